"""Student templates generated from the reference solution: solution regions become TODOs."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from grader.assignment import ASSIGNMENTS_DIR, Assignment, load_assignment_dir
from grader.authoring.templates import (
    render_templates,
    self_check_for,
    stale_templates,
    strip_solutions,
    write_templates,
)
from grader.errors import AssignmentError
from grader.intake.sections import split_sections
from grader.intake.submission import load_submission

LAB = ASSIGNMENTS_DIR / "lab1-part1"


@pytest.fixture(scope="module")
def lab1() -> Assignment:
    return load_assignment_dir(LAB)


@pytest.fixture(scope="module")
def reference(lab1: Assignment) -> Path:
    if lab1.reference_path is None or not lab1.reference_path.exists():
        pytest.skip("this checkout has no reference solution")
    return lab1.reference_path


def _solution_lines(reference: Path) -> list[str]:
    """Every line of solution code in the reference, as written (without the marker comment)."""
    lines: list[str] = []
    for cell in nbformat.read(reference, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        in_block = False
        for line in cell.source.splitlines():
            if re.search(r"#\s*BEGIN SOLUTION", line):
                in_block = True
            elif re.search(r"#\s*END SOLUTION", line):
                in_block = False
            elif in_block:
                lines.append(line.strip())
            elif re.search(r"#\s*SOLUTION\s*$", line):
                lines.append(re.sub(r"\s*#\s*SOLUTION\s*$", "", line).strip())
    return [line for line in lines if line]


# --- strip_solutions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 1  # SOLUTION", "x = # TODO"),
        ("a, b = 1.5, 2.5  # SOLUTION", "a, b = # TODO"),
        ("    self.W = self.add_weight(name='w')  # SOLUTION", "    self.W = # TODO"),
        ("        return y  # SOLUTION", "        return # TODO"),
        ("model.add(dense_layer)  # SOLUTION", "# TODO"),
        ("    x.assign(new_x)  #SOLUTION", "    # TODO"),
        ("done = x == 1  # SOLUTION", "done = # TODO"),
    ],
    ids=["assign", "tuple-assign", "attribute", "return", "call", "no-space", "comparison"],
)
def test_strip_solutions_replaces_solution_line(source: str, expected: str) -> None:
    assert strip_solutions(source, where="ref.ipynb, cell 3") == expected


def test_strip_solutions_keeps_other_lines() -> None:
    source = "a, b = 1.5, 2.5\ne_out = func(a, b)  # SOLUTION\nprint(e_out)"
    assert strip_solutions(source) == "a, b = 1.5, 2.5\ne_out = # TODO\nprint(e_out)"


def test_strip_solutions_ignores_marker_inside_a_string() -> None:
    source = "note = 'mark lines # SOLUTION'  # a comment"
    assert strip_solutions(source) == source


def test_strip_solutions_block_becomes_hint() -> None:
    source = (
        "def call(self, inputs, isidentity=False):\n"
        "    # BEGIN SOLUTION: return the input when isidentity is True\n"
        "    if isidentity:\n"
        "        return inputs\n"
        "    return self.dense_layer(inputs)\n"
        "    # END SOLUTION\n"
        "print('after')"
    )
    assert strip_solutions(source) == (
        "def call(self, inputs, isidentity=False):\n"
        "    # TODO: return the input when isidentity is True\n"
        "print('after')"
    )


def test_strip_solutions_block_without_hint_is_bare_todo() -> None:
    assert strip_solutions("# BEGIN SOLUTION\nx = 1\n# END SOLUTION") == "# TODO"


def test_strip_solutions_unclosed_begin_raises() -> None:
    with pytest.raises(
        AssignmentError, match=r"ref\.ipynb, cell 7: BEGIN SOLUTION is never closed"
    ):
        strip_solutions("# BEGIN SOLUTION: hint\nx = 1", where="ref.ipynb, cell 7")


def test_strip_solutions_end_without_begin_raises() -> None:
    with pytest.raises(AssignmentError, match=r"ref\.ipynb, cell 2, line 2: END SOLUTION without"):
        strip_solutions("x = 1\n# END SOLUTION", where="ref.ipynb, cell 2")


def test_strip_solutions_call_named_return_is_not_a_return() -> None:
    assert strip_solutions("return_sequences(x)  # SOLUTION") == "# TODO"


# --- render_templates -------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["ipynb", "py"], ids=["notebook", "percent-script"])
def test_render_templates_reproduces_committed_template(
    lab1: Assignment, reference: Path, which: str
) -> None:
    rendered = getattr(render_templates(reference, self_check=self_check_for(lab1)), which)
    committed = (LAB / f"template.{which}").read_bytes()
    assert rendered.encode("utf-8") == committed, (
        f"assignments/lab1-part1/template.{which} is stale: regenerate it from the reference"
    )


def test_stale_templates_names_an_edited_template(reference: Path, tmp_path: Path) -> None:
    assert write_templates(reference, tmp_path) == [
        tmp_path / "template.ipynb",
        tmp_path / "template.py",
    ]
    assert stale_templates(reference, tmp_path) == []
    edited = tmp_path / "template.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "# my change\n", encoding="utf-8")
    assert stale_templates(reference, tmp_path) == [edited]
    assert write_templates(reference, tmp_path) == [edited]  # regenerating undoes the edit
    assert stale_templates(reference, tmp_path) == []


@pytest.mark.parametrize("which", ["ipynb", "py"], ids=["notebook", "percent-script"])
def test_committed_template_holds_no_solution_code(reference: Path, which: str) -> None:
    text = (LAB / f"template.{which}").read_text(encoding="utf-8")
    if which == "ipynb":
        text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
    solutions = _solution_lines(reference)
    assert len(solutions) > 20  # the reference marks its answers
    leaked = [line for line in solutions if line in text]
    assert leaked == []
    for telltale in ("tf.sigmoid(z)", "add_weight(name=", "tape.gradient(y, x)", "tf.add(a, b)"):
        assert telltale not in text


@pytest.mark.parametrize("suffix", [".ipynb", ".py"], ids=["notebook", "percent-script"])
def test_committed_template_keeps_every_section_heading(lab1: Assignment, suffix: str) -> None:
    submission = load_submission(lab1.template_path(suffix))
    assert submission.problem is None
    split = split_sections(submission, lab1.section_ids)
    assert {s.id: s.heading is not None for s in split.sections} == dict.fromkeys(
        lab1.section_ids, True
    )


def test_render_templates_clears_outputs_ids_and_metadata(tmp_path: Path) -> None:
    code = v4.new_code_cell(
        "y = x * x  # SOLUTION",
        execution_count=3,
        outputs=[v4.new_output("stream", name="stdout", text="9\n")],
        metadata={"colab": {"id": "abc"}},
    )
    nb = v4.new_notebook(cells=[v4.new_markdown_cell("## 1.1 Squares"), code])
    nb.metadata["colab"] = {"provenance": []}
    reference = tmp_path / "solution.ipynb"
    nbformat.write(nb, reference)

    templates = render_templates(reference)
    assert all('"id"' not in line for line in templates.ipynb.splitlines())
    rendered = nbformat.reads(templates.ipynb, as_version=4)
    assert rendered.nbformat_minor == 4
    assert "colab" not in rendered.metadata
    (_, cell) = rendered.cells
    assert cell.source == "y = # TODO"
    assert cell.outputs == []
    assert cell.execution_count is None
    assert cell.metadata == {}
    assert templates.py == "# %% [markdown]\n# ## 1.1 Squares\n\n# %%\ny = # TODO\n"
    assert render_templates(reference) == templates  # same bytes on every run


def test_render_templates_names_the_cell_of_an_unclosed_block(tmp_path: Path) -> None:
    nb = v4.new_notebook(
        cells=[v4.new_markdown_cell("## 1.1"), v4.new_code_cell("# BEGIN SOLUTION\nx = 1")]
    )
    reference = tmp_path / "solution.ipynb"
    nbformat.write(nb, reference)
    with pytest.raises(AssignmentError, match=r"solution\.ipynb, cell 2: BEGIN SOLUTION is never"):
        render_templates(reference)


def test_render_templates_unreadable_reference_raises(tmp_path: Path) -> None:
    reference = tmp_path / "solution.ipynb"
    reference.write_text("{not json", encoding="utf-8")
    with pytest.raises(AssignmentError, match="cannot read the reference notebook"):
        render_templates(reference)


@pytest.mark.parametrize("suffix", [".ipynb", ".py"], ids=["notebook", "percent-script"])
def test_committed_template_setup_cell_first_and_a_check_cell_closing_each_section(
    lab1: Assignment, suffix: str
) -> None:
    submission = load_submission(lab1.template_path(suffix))
    split = split_sections(submission, lab1.section_ids)
    setup = split.preamble[0].cell.source
    assert "\nimport tf_autograder as autograder\n" in setup
    assert 'autograder.start("lab1-part1")' in setup
    assert "pip install -q tf_autograder-0.1.0+lab1.part1-py3-none-any.whl" in setup
    for section in split.sections:
        assert section.chunks[-1].source.rstrip().endswith(f'autograder.check("{section.id}")')
        assert sum("autograder.check(" in c.source for c in section.chunks) == 1


def test_render_templates_without_self_check_has_no_autograder_cells(reference: Path) -> None:
    assert "autograder" not in render_templates(reference).ipynb

"""Splitting a submission into the handout's sections, and the order to run and harvest them in."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from grader.intake.sections import Split, Step, split_notes, split_sections
from grader.intake.submission import load_submission

SECTION_IDS = ("1.1", "1.2", "1.3.1", "1.3.2", "1.3.3", "1.4")


def _split_notebook(tmp_path: Path, cells: list[nbformat.NotebookNode]) -> Split:
    path = tmp_path / "student.ipynb"
    nbformat.write(v4.new_notebook(cells=cells), path)
    return split_sections(load_submission(path), SECTION_IDS)


def _split_script(
    tmp_path: Path,
    text: str,
    starts: dict[str, tuple[str, ...]] | None = None,
    *,
    outputs: dict[str, tuple[str, ...]] | None = None,
) -> Split:
    path = tmp_path / "student.py"
    path.write_text(text, encoding="utf-8")
    return split_sections(load_submission(path), SECTION_IDS, starts=starts, outputs=outputs)


def _code_of(split: Split, section_id: str) -> list[str]:
    return [c.source for c in split.section(section_id).chunks]


def _harvest_order(split: Split) -> list[tuple[str, str | None, int | None]]:
    return [(s.kind, s.section, s.chunk) for s in split.plan]


# --- markdown headings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "section_id"),
    [
        ("## 1.1 Why is TensorFlow called TensorFlow?", "1.1"),
        ("# **1.2 Computations on Tensors**", "1.2"),
        ("#### 1.3.1 A network Layer", "1.3.1"),
        ("### 1.3.2. Using the Sequential API", "1.3.2"),
        ("**1.3.3 Subclassing the Model class**", "1.3.3"),
        ("Section 1.4: Automatic differentiation", "1.4"),
        ("Some intro text.\n\n## 1.4 Automatic differentiation", "1.4"),
    ],
    ids=["h2", "h1-bold", "h4", "trailing-dot", "bold-only", "section-word", "not-first-line"],
)
def test_split_sections_finds_markdown_heading(
    tmp_path: Path, heading: str, section_id: str
) -> None:
    split = _split_notebook(
        tmp_path, [v4.new_markdown_cell(heading), v4.new_code_cell("answer = 42")]
    )
    section = split.section(section_id)
    assert section.heading == "cell 1"
    assert _code_of(split, section_id) == ["answer = 42"]
    assert split.preamble == ()
    assert split.found_any


def test_split_sections_ignores_numbers_not_in_the_spec(tmp_path: Path) -> None:
    split = _split_notebook(
        tmp_path,
        [
            v4.new_markdown_cell("#### 1.0 Install TensorFlow"),
            v4.new_code_cell("import tensorflow as tf"),
            v4.new_markdown_cell("# **1.2 Computations**"),
            v4.new_code_cell("def func(a, b):\n    return a"),
            v4.new_markdown_cell("### 1.3 Neural networks in TensorFlow"),
            v4.new_code_cell("note = 'still 1.2'"),
        ],
    )
    assert [c.source for c in split.preamble] == ["import tensorflow as tf"]
    assert _code_of(split, "1.2") == ["def func(a, b):\n    return a", "note = 'still 1.2'"]
    assert split.section("1.3.1").heading is None


def test_split_sections_code_before_first_heading_is_preamble(tmp_path: Path) -> None:
    split = _split_notebook(
        tmp_path,
        [
            v4.new_code_cell("import tensorflow as tf"),
            v4.new_code_cell("import numpy as np"),
            v4.new_markdown_cell("## 1.1 Why"),
            v4.new_code_cell("sport = 1"),
        ],
    )
    assert [(c.section, c.source) for c in split.preamble] == [
        (None, "import tensorflow as tf"),
        (None, "import numpy as np"),
    ]
    assert _code_of(split, "1.1") == ["sport = 1"]


def test_split_sections_skips_empty_code_cells(tmp_path: Path) -> None:
    split = _split_notebook(
        tmp_path,
        [v4.new_markdown_cell("## 1.1 Why"), v4.new_code_cell("  \n"), v4.new_code_cell("x = 1")],
    )
    assert [c.cell.label for c in split.chunks] == ["cell 3"]


def test_split_sections_replaces_magics_and_records_them(tmp_path: Path) -> None:
    split = _split_notebook(
        tmp_path, [v4.new_code_cell("%tensorflow_version 2.x\nimport tensorflow as tf")]
    )
    (chunk,) = split.chunks
    assert chunk.source == "pass\nimport tensorflow as tf"
    assert chunk.removed_magics == ("%tensorflow_version 2.x",)


# --- comment headings in code -----------------------------------------------------------------

PLAIN = """\
import tensorflow as tf

# 1.1 Why is TensorFlow called TensorFlow?
sport = tf.constant("Tennis")
number = tf.constant(1.5)

## 1.2 Computations
def func(a, b):
    return (a + b) * (b - 1)
# Section 1.3.1: A network Layer
layer = 1
"""


def test_split_sections_cuts_plain_script_at_comment_headings(tmp_path: Path) -> None:
    split = _split_script(tmp_path, PLAIN)
    assert [c.source for c in split.preamble] == ["import tensorflow as tf\n\n"]
    assert _code_of(split, "1.1") == [
        '# 1.1 Why is TensorFlow called TensorFlow?\nsport = tf.constant("Tennis")\n'
        "number = tf.constant(1.5)\n\n"
    ]
    assert _code_of(split, "1.3.1") == ["# Section 1.3.1: A network Layer\nlayer = 1\n"]
    headings = {s.id: s.heading for s in split.sections}
    assert headings == {
        "1.1": "line 3",
        "1.2": "line 7",
        "1.3.1": "line 10",
        "1.3.2": None,
        "1.3.3": None,
        "1.4": None,
    }


@pytest.mark.parametrize(
    ("section_id", "line", "where"),
    [
        ("1.1", None, "line 3"),
        ("1.1", 2, "line 4"),
        ("1.1", 3, "line 5"),
        ("1.2", 3, "line 9"),
        ("1.3.1", 2, "line 11"),
    ],
    ids=["chunk", "1.1-line-2", "1.1-line-3", "1.2-line-3", "1.3.1-line-2"],
)
def test_chunk_where_gives_file_lines_in_a_script(
    tmp_path: Path, section_id: str, line: int | None, where: str
) -> None:
    split = _split_script(tmp_path, PLAIN)
    (chunk,) = split.section(section_id).chunks
    assert chunk.where(line) == where
    if line is not None:  # the line named is the line the student sees in the file
        assert PLAIN.splitlines()[int(where.split()[1]) - 1] == chunk.source.splitlines()[line - 1]


def test_chunk_where_gives_file_lines_in_a_percent_script(tmp_path: Path) -> None:
    text = "# %%\nimport tensorflow as tf\n\n# %% [markdown]\n# ## 1.1 Why\n\n# %%\nsport = 1\nnumber = 2\n"
    split = _split_script(tmp_path, text)
    (chunk,) = split.section("1.1").chunks
    assert split.section("1.1").heading == "line 5"
    assert chunk.where() == "line 8"
    assert chunk.where(2) == "line 9"


def test_chunk_where_gives_cell_and_line_in_a_notebook(tmp_path: Path) -> None:
    split = _split_notebook(
        tmp_path,
        [
            v4.new_markdown_cell("## 1.2 Computations"),
            v4.new_code_cell(
                "def func(a, b):\n    return a\n\n# 1.3.1 A network Layer\nclass L:\n    pass\n"
            ),
        ],
    )
    (before,) = split.section("1.2").chunks
    (after,) = split.section("1.3.1").chunks
    assert split.section("1.3.1").heading == "cell 2, line 4"
    assert before.where(2) == "cell 2, line 2"
    assert after.where() == "cell 2"
    assert after.where(1) == "cell 2, line 4"
    assert after.where(3) == "cell 2, line 6"


def test_split_sections_heading_comment_in_function_body_does_not_cut(tmp_path: Path) -> None:
    code = "def func(a, b):\n# 1.3.1 is not a heading here\n    return a\n"
    split = _split_notebook(
        tmp_path, [v4.new_markdown_cell("## 1.2 Computations"), v4.new_code_cell(code)]
    )
    assert _code_of(split, "1.2") == [code]
    assert split.section("1.3.1").heading is None
    assert split.section("1.3.1").chunks == ()


def test_split_sections_block_comment_keeps_other_cuts_in_a_script(tmp_path: Path) -> None:
    text = (
        "# 1.1 Why\nsport = 1\n\n"
        "# 1.2 Computations\ndef func(a, b):\n# 1.3.1 step one\n    return a\n\n"
        "# 1.3.1 A network Layer\nlayer = 1\n"
    )
    split = _split_script(tmp_path, text)
    assert split.found_any
    assert _code_of(split, "1.1") == ["# 1.1 Why\nsport = 1\n\n"]
    assert split.section("1.3.1").heading == "line 9"


def test_split_sections_finds_headings_in_colab_export(tmp_path: Path) -> None:
    text = (
        "# -*- coding: utf-8 -*-\n"
        '"""Lab1_Part1.ipynb\n\nAutomatically generated by Colab.\n"""\n\n'
        "import tensorflow as tf\n\n"
        '"""## 1.1 Why is TensorFlow called TensorFlow?\n\nTensors are n-dimensional arrays.\n"""\n\n'
        'sport = tf.constant("Tennis")\n\n'
        '"""# **1.2 Computations on Tensors**"""\n\n'
        "def func(a, b):\n    return a\n"
    )
    split = _split_script(tmp_path, text)
    assert split.found_any
    assert any("sport" in code for code in _code_of(split, "1.1"))
    assert any("def func" in code for code in _code_of(split, "1.2"))


# --- the plan ---------------------------------------------------------------------------------


def test_split_sections_plans_harvest_right_after_each_section(tmp_path: Path) -> None:
    split = _split_script(tmp_path, PLAIN)
    assert _harvest_order(split) == [
        ("code", None, 0),
        ("code", "1.1", 1),
        ("harvest", "1.1", None),
        ("code", "1.2", 2),
        ("harvest", "1.2", None),
        ("code", "1.3.1", 3),
        ("harvest", "1.3.1", None),
        ("harvest", "1.3.2", None),
        ("harvest", "1.3.3", None),
        ("harvest", "1.4", None),
    ]


def test_split_sections_missing_heading_is_harvested_with_previous_section(
    tmp_path: Path,
) -> None:
    split = _split_notebook(
        tmp_path,
        [
            v4.new_markdown_cell("## 1.1 Why"),
            v4.new_code_cell("sport = 1"),
            v4.new_markdown_cell("## 1.2 Computations"),
            v4.new_code_cell("def func(a, b):\n    return a"),
            v4.new_code_cell("model = 'the 1.3.1 code, under 1.2'"),  # 1.3.1 heading deleted
            v4.new_markdown_cell("#### 1.3.2 Sequential"),
            v4.new_code_cell("model = 2"),
        ],
    )
    assert split.section("1.3.1").heading is None
    assert split.found_any
    assert Step("harvest", "1.3.1", None) in split.plan
    assert _harvest_order(split)[3:8] == [
        ("code", "1.2", 2),
        ("harvest", "1.2", None),
        ("harvest", "1.3.1", None),
        ("code", "1.3.2", 3),
        ("harvest", "1.3.2", None),
    ]


def test_split_sections_missing_first_heading_is_harvested_after_preamble(
    tmp_path: Path,
) -> None:
    split = _split_notebook(
        tmp_path,
        [
            v4.new_code_cell("import tensorflow as tf"),
            v4.new_code_cell("sport = 1"),  # the 1.1 heading was deleted
            v4.new_markdown_cell("## 1.2 Computations"),
            v4.new_code_cell("def func(a, b):\n    return a"),
        ],
    )
    assert _harvest_order(split)[:4] == [
        ("code", None, 0),
        ("code", None, 1),
        ("harvest", "1.1", None),
        ("code", "1.2", 2),
    ]


def test_split_sections_plan_runs_every_chunk_once_in_order(tmp_path: Path) -> None:
    split = _split_script(tmp_path, PLAIN)
    code_steps = [s.chunk for s in split.plan if s.kind == "code"]
    assert code_steps == [c.index for c in split.chunks] == list(range(len(split.chunks)))
    harvested = [s.section for s in split.plan if s.kind == "harvest"]
    assert sorted(harvested, key=str) == sorted(SECTION_IDS)


def test_split_sections_without_headings_finds_none(tmp_path: Path) -> None:
    split = _split_notebook(
        tmp_path,
        [
            v4.new_markdown_cell("# My lab\n\nI did the exercises."),
            v4.new_code_cell("sport = 1"),
            v4.new_code_cell("def func(a, b):\n    return a"),
        ],
    )
    assert not split.found_any
    assert all(s.heading is None and s.chunks == () for s in split.sections)
    assert [c.source for c in split.preamble] == ["sport = 1", "def func(a, b):\n    return a"]


def test_split_sections_sections_follow_the_spec_order(tmp_path: Path) -> None:
    split = _split_notebook(tmp_path, [v4.new_markdown_cell("## 1.4 Gradients")])
    assert [s.id for s in split.sections] == list(SECTION_IDS)


def test_split_sections_start_line_stands_in_for_a_missing_heading(tmp_path: Path) -> None:
    text = (
        "# 1.3.2 Using the Sequential API\nmodel = 'sequential'\n\n"
        "class SubclassModel:\n    pass\n\nmodel = SubclassModel()\n\n"
        "# 1.4 Automatic differentiation\nx = 3\n"
    )
    split = _split_script(tmp_path, text, {"1.3.3": ("class SubclassModel",)})
    assert _code_of(split, "1.3.2") == [
        "# 1.3.2 Using the Sequential API\nmodel = 'sequential'\n\n"
    ]
    assert split.section("1.3.3").recognised_by == "`class SubclassModel:` at line 4"
    assert split.section("1.3.3").heading is None


def test_split_sections_start_line_ignored_when_the_heading_is_there(tmp_path: Path) -> None:
    text = "# 1.3.2 Using\nclass SubclassModel:\n    pass\n# 1.3.3 Subclassing\nm = 1\n"
    split = _split_script(tmp_path, text, {"1.3.3": ("class SubclassModel",)})
    assert split.section("1.3.3").recognised_by is None
    assert split.section("1.3.3").heading == "line 4"


# --- more heading forms -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "section_id"),
    [
        ("# ===== 1.1 Why is TensorFlow called TensorFlow? =====", "1.1"),
        ("#----- 1.2 Computations on Tensors -----", "1.2"),
        ("# *** Section 1.3.1: A network Layer ***", "1.3.1"),
        ("## [1.3.2] Using the Sequential API", "1.3.2"),
        ("# Exercise 1.3.3 - Subclassing", "1.3.3"),
        ("#### (1.4) Automatic differentiation", "1.4"),
        ("# 🔥 1.4 Automatic differentiation", "1.4"),
    ],
    ids=["banner", "dashes", "stars-section", "brackets", "exercise", "parentheses", "emoji"],
)
def test_split_sections_finds_banner_comment_headings(
    tmp_path: Path, line: str, section_id: str
) -> None:
    split = _split_script(tmp_path, f"import tensorflow as tf\n\n{line}\nanswer = 42\n")
    assert split.section(section_id).heading == "line 3"
    assert _code_of(split, section_id) == [f"{line}\nanswer = 42\n"]


@pytest.mark.parametrize(
    ("heading", "section_id"),
    [
        ("<h2>1.1 Why is TensorFlow called TensorFlow?</h2>", "1.1"),
        ("### <u>1.3.1</u> A network Layer", "1.3.1"),
        ("## ===== 1.2 Computations =====", "1.2"),
        ("__1.3.2 Using the Sequential API__", "1.3.2"),
    ],
    ids=["html", "underlined", "banner", "underscores"],
)
def test_split_sections_finds_more_markdown_heading_forms(
    tmp_path: Path, heading: str, section_id: str
) -> None:
    split = _split_notebook(tmp_path, [v4.new_markdown_cell(heading), v4.new_code_cell("a = 1")])
    assert split.section(section_id).heading == "cell 1"


@pytest.mark.parametrize(
    "text",
    ["Contents:\n- 1.1 Tensors\n- 1.2 Computations", "| 1.1 | done |", "> 1.2 seconds per step"],
    ids=["list", "table", "quote"],
)
def test_split_sections_markdown_lists_tables_and_quotes_are_not_headings(
    tmp_path: Path, text: str
) -> None:
    split = _split_notebook(tmp_path, [v4.new_markdown_cell(text), v4.new_code_cell("a = 1")])
    assert not split.found_any


@pytest.mark.parametrize(
    "line",
    ["# -*- coding: utf-8 -*-", "# 1.5 times faster than before", "# see exercise 1.1 above"],
    ids=["coding", "not-a-section-id", "mid-sentence"],
)
def test_split_sections_ignores_comments_that_are_not_headings(tmp_path: Path, line: str) -> None:
    split = _split_script(tmp_path, f"# 1.1 Why\nsport = 1\n{line}\nnumber = 2\n")
    assert _code_of(split, "1.1") == [f"# 1.1 Why\nsport = 1\n{line}\nnumber = 2\n"]


# --- the attacker's cheapest headings: each splits at once -----------------------------------

HOSTILE_SCRIPTS = {
    "hash-and-200k-spaces": "#" + " " * 200_000 + "\nx = 1\n",
    "hash-200k-spaces-then-id": "#" + " " * 200_000 + "1.1\nx = 1\n",
    "200k-stars": "# " + "*" * 200_000 + "\nx = 1\n",
    "200k-open-tags": "# " + "<" * 200_000 + "\nx = 1\n",
    "200k-dotted-digits": "# " + "1." * 100_000 + "\nx = 1\n",
    "16k-heading-lines": "# 1.1 Why\n# 1.2 Computations\n" * 8_000 + "x = 1\n",
    "100k-comment-lines": "# 1.1\n" + "#\n" * 100_000 + "x = 1\n",
    "20k-strings-at-column-0": "# 1.1\n" + "'''1.1'''\n" * 20_000,
    "one-line-of-200k-spaces": " " * 200_000 + "# 1.1\n",
}


@pytest.mark.parametrize("text", HOSTILE_SCRIPTS.values(), ids=HOSTILE_SCRIPTS.keys())
def test_split_sections_hostile_headings_split_at_once(tmp_path: Path, text: str) -> None:
    path = tmp_path / "hostile.py"
    path.write_text(text, encoding="utf-8")
    submission = load_submission(path)
    assert submission.problem is None  # within the size caps: the splitter reads all of it
    started = time.perf_counter()
    split = split_sections(submission, SECTION_IDS, outputs={"1.1": ("x",)}, starts={"1.2": ("x",)})
    assert time.perf_counter() - started < 10  # hours of backtracking before
    assert len(split.chunks) <= 60


@pytest.mark.parametrize(
    "source",
    ["#" + " " * 200_000, "#" * 6 + " " * 200_000 + "1.1", "<" * 200_000, "**" * 100_000],
    ids=["hash-spaces", "hashes-spaces-id", "open-tags", "stars"],
)
def test_split_sections_hostile_markdown_heading_splits_at_once(
    tmp_path: Path, source: str
) -> None:
    started = time.perf_counter()
    _split_notebook(tmp_path, [v4.new_markdown_cell(source), v4.new_code_cell("x = 1")])
    assert time.perf_counter() - started < 5


# --- sections located by their code ---------------------------------------------------------

OUTPUTS = {
    "1.1": ("sport", "number", "sports", "numbers", "images"),
    "1.2": ("func", "e_out"),
    "1.3.1": ("OurDenseLayer", "y"),
    "1.3.2": ("model", "model_output"),
    "1.3.3": ("SubclassModel", "IdentityModel", "out_activate", "out_identity"),
    "1.4": ("dy_dx", "x", "history"),
}
REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "lab1-part1" / "solution.ipynb"


def _defined_in(split: Split, section_id: str) -> set[str]:
    import ast

    names: set[str] = set()
    for chunk in split.section(section_id).chunks:
        for node in ast.parse(chunk.source).body:
            if isinstance(node, ast.Assign):
                names.update(
                    n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)
                )
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                names.add(node.name)
    return names


def test_split_sections_notebook_without_markdown_is_located_by_its_names(tmp_path: Path) -> None:
    nb = nbformat.read(REFERENCE, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "code"]
    path = tmp_path / "no_markdown.ipynb"
    nbformat.write(nb, path)
    split = split_sections(load_submission(path), SECTION_IDS, outputs=OUTPUTS)
    assert split.found_any
    assert all(s.heading is None for s in split.sections)
    for section_id, names in OUTPUTS.items():
        assert set(names) <= _defined_in(split, section_id), section_id
    assert split.section("1.1").recognised_by == (
        '`sport = tf.constant("Tennis", tf.string)  # SOLUTION` at cell 2'
    )
    assert split.section("1.3.3").recognised_by == (
        "`class SubclassModel(tf.keras.Model):` at cell 10, line 6"
    )
    assert [c.source.splitlines()[0] for c in split.preamble] == ["pass"]  # %tensorflow_version


def test_split_sections_later_reassignments_do_not_move_a_section(tmp_path: Path) -> None:
    text = (
        "# 1.3.2 Using the Sequential API\nmodel = Sequential()\nmodel_output = model(x)\n\n"
        "class SubclassModel(tf.keras.Model):\n    pass\n\nmodel = SubclassModel(3)\n\n"
        "class IdentityModel(tf.keras.Model):\n    pass\n\nmodel = IdentityModel(3)\n"
        "out_activate = model(x)\nout_identity = model(x, isidentity=True)\n"
    )
    split = _split_script(tmp_path, text, outputs=OUTPUTS)
    assert (
        split.section("1.3.3").recognised_by == "`class SubclassModel(tf.keras.Model):` at line 5"
    )
    assert _code_of(split, "1.3.2") == [
        "# 1.3.2 Using the Sequential API\nmodel = Sequential()\nmodel_output = model(x)\n\n"
    ]


def test_split_sections_a_helper_name_does_not_start_a_section_early(tmp_path: Path) -> None:
    text = (
        "# 1.3.3 Subclassing\nclass IdentityModel(tf.keras.Model):\n    pass\n"
        "x = tf.ones((1, 2))  # a helper, not 1.4's x\n"
        "out_activate = IdentityModel(3)(x)\nout_identity = x\n\n"
        "# the gradient of x^2\nwith tf.GradientTape() as tape:\n    y = x * x\n"
        "dy_dx = tape.gradient(y, x)\nhistory = []\n"
    )
    split = _split_script(tmp_path, text, outputs=OUTPUTS)
    assert {"out_activate", "out_identity"} <= _defined_in(split, "1.3.3")
    assert split.section("1.4").recognised_by == "`dy_dx = tape.gradient(y, x)` at line 11"


def test_split_sections_code_that_does_not_compile_is_located_line_by_line(tmp_path: Path) -> None:
    text = (
        "import tensorflow as tf\n\nsport = # TODO\nnumber = tf.constant(1.5)\n\n"
        "def func(a, b):\n    return # TODO\ne_out = func(1.5, 2.5)\n"
    )
    split = _split_script(tmp_path, text, outputs=OUTPUTS)
    assert split.section("1.1").recognised_by == "`sport = # TODO` at line 3"
    assert split.section("1.2").recognised_by == "`def func(a, b):` at line 6"
    assert _code_of(split, "1.2") == [
        "def func(a, b):\n    return # TODO\ne_out = func(1.5, 2.5)\n"
    ]


def test_split_sections_comments_above_a_located_section_go_with_it(tmp_path: Path) -> None:
    text = "sport = 1\nprint(sport)\n\n# Construct a simple computation function\ndef func(a, b):\n    return a\n"
    split = _split_script(tmp_path, text, outputs=OUTPUTS)
    assert _code_of(split, "1.1") == ["sport = 1\nprint(sport)\n\n"]
    assert _code_of(split, "1.2")[0].startswith("# Construct a simple computation function\n")


def test_split_sections_without_any_of_the_names_finds_none(tmp_path: Path) -> None:
    split = _split_script(tmp_path, "import tensorflow as tf\nanswer = 42\n", outputs=OUTPUTS)
    assert not split.found_any


def test_split_notes_locating_sections_is_said_once(tmp_path: Path) -> None:
    text = "sport = 1\n\ndef func(a, b):\n    return a\ne_out = func(1, 2)\n"
    split = _split_script(tmp_path, text, outputs=OUTPUTS)
    notes = split_notes(split)
    located = [n for ns in notes.values() for n in ns if "located by the names" in n]
    assert located == [
        "No heading was found for sections 1.1, 1.2, so they were located by the names the "
        "handout has them define: 1.1 from `sport = 1` at line 1; 1.2 from `def func(a, b):` at "
        "line 3. Keep the handout's headings ('1.1 ...') to be sure."
    ]
    assert list(notes) == ["1.1", "1.3.1", "1.3.2", "1.3.3", "1.4"]  # the rest: not found


@pytest.mark.parametrize(
    ("cell", "phrase"),
    [
        (
            "%%capture\nanswer = 42",
            "`%%capture` at cell 2: that line was removed and the code under it ran",
        ),
        (
            "%%time\nanswer = 42",
            "`%%time` at cell 2: that line was removed and the code under it ran",
        ),
        ("%%bash\necho hi", "cell 2 is a `%%bash` cell, which is not Python: it was not run"),
        (
            "!pip install mitdeeplearning",
            "Notebook commands (`!pip install mitdeeplearning`) at cell 2 were skipped",
        ),
        ("files = !ls\nanswer = 42", "`files = !ls` at cell 2: the shell command was not run"),
    ],
    ids=["capture", "time", "bash", "pip", "assigned"],
)
def test_split_notes_say_what_happened_to_notebook_commands(
    tmp_path: Path, cell: str, phrase: str
) -> None:
    split = _split_notebook(tmp_path, [v4.new_markdown_cell("## 1.1 Why"), v4.new_code_cell(cell)])
    (notes,) = split_notes(split)["1.1"][:1]
    assert phrase in notes
    assert "skipped" not in notes or "!pip" in cell

"""Splitting a submission into the handout's sections, and the order to run and harvest them in."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from grader.intake.sections import Split, Step, split_sections
from grader.intake.submission import load_submission

SECTION_IDS = ("1.1", "1.2", "1.3.1", "1.3.2", "1.3.3", "1.4")


def _split_notebook(tmp_path: Path, cells: list[nbformat.NotebookNode]) -> Split:
    path = tmp_path / "student.ipynb"
    nbformat.write(v4.new_notebook(cells=cells), path)
    return split_sections(load_submission(path), SECTION_IDS)


def _split_script(
    tmp_path: Path, text: str, starts: dict[str, tuple[str, ...]] | None = None
) -> Split:
    path = tmp_path / "student.py"
    path.write_text(text, encoding="utf-8")
    return split_sections(load_submission(path), SECTION_IDS, starts=starts)


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

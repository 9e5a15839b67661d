"""Loading submissions: notebooks of every format version, scripts, and files that are not either."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import nbformat
import pytest
from nbformat import v3, v4

from grader.errors import SubmissionError
from grader.intake.submission import (
    MAX_BYTES,
    MAX_CELLS,
    MAX_CODE_CHARS,
    MAX_JSON_ITEMS,
    load_submission,
)


def _write_v4(path: Path, cells: list[nbformat.NotebookNode], *, minor: int) -> Path:
    nb = v4.new_notebook(cells=cells)
    nb.nbformat_minor = minor
    if minor < 5:  # cell ids arrived in 4.5; older notebooks have none
        for cell in nb.cells:
            cell.pop("id", None)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _kinds_and_sources(path: Path) -> list[tuple[str, str]]:
    return [(c.kind, c.source) for c in load_submission(path).cells]


# --- notebooks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("minor", [0, 4, 5], ids=["v4.0", "v4.4", "v4.5"])
def test_load_submission_reads_v4_notebook_cells(tmp_path: Path, minor: int) -> None:
    path = _write_v4(
        tmp_path / "alice.ipynb",
        [v4.new_markdown_cell("## 1.1 Why"), v4.new_code_cell("sport = 1\nnumber = 2")],
        minor=minor,
    )
    sub = load_submission(path)
    assert sub.problem is None
    assert sub.format == "ipynb"
    assert sub.name == "alice.ipynb"
    assert [(c.kind, c.source, c.index, c.label) for c in sub.cells] == [
        ("markdown", "## 1.1 Why", 1, "cell 1"),
        ("code", "sport = 1\nnumber = 2", 2, "cell 2"),
    ]


def test_load_submission_joins_list_sources(tmp_path: Path) -> None:
    raw = {
        "cells": [
            {
                "cell_type": "code",
                "source": ["x = 1\n", "y = 2"],
                "metadata": {},
                "outputs": [],
                "execution_count": None,
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 2,
    }
    path = tmp_path / "lists.ipynb"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert _kinds_and_sources(path) == [("code", "x = 1\ny = 2")]


def test_load_submission_reads_nbformat3_worksheets(tmp_path: Path) -> None:
    nb = v3.new_notebook(
        worksheets=[
            v3.new_worksheet(
                cells=[
                    v3.new_heading_cell("1.1 Why is TensorFlow called TensorFlow?", level=2),
                    v3.new_text_cell("markdown", source="Create the tensors."),
                    v3.new_code_cell(input="sport = 1"),
                ]
            )
        ]
    )
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    sub = load_submission(path)
    assert sub.problem is None
    assert [(c.kind, c.source) for c in sub.cells] == [
        ("markdown", "## 1.1 Why is TensorFlow called TensorFlow?"),
        ("markdown", "Create the tensors."),
        ("code", "sport = 1"),
    ]


def test_load_submission_accepts_uppercase_suffix(tmp_path: Path) -> None:
    path = _write_v4(tmp_path / "BOB.IPYNB", [v4.new_code_cell("x = 1")], minor=5)
    sub = load_submission(path)
    assert sub.format == "ipynb"
    assert sub.problem is None


def test_load_submission_records_sha256_of_the_file(tmp_path: Path) -> None:
    path = _write_v4(tmp_path / "a.ipynb", [v4.new_code_cell("x = 1")], minor=5)
    assert load_submission(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_load_submission_keeps_code_of_notebook_without_version_key(tmp_path: Path) -> None:
    path = tmp_path / "handmade.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "x = 1"}]}))
    sub = load_submission(path)
    assert sub.problem is None
    assert [(c.kind, c.source) for c in sub.cells] == [("code", "x = 1")]


# --- scripts -----------------------------------------------------------------------------------

PERCENT = """\
import tensorflow as tf

# %%
a = 1

# %% [markdown]
# ## 1.1 Why
#
# Some text.

# %% 1.2 Computations
b = 2
#%%
c = 3
"""


def test_load_submission_splits_percent_script_at_markers(tmp_path: Path) -> None:
    path = tmp_path / "alice.py"
    path.write_text(PERCENT, encoding="utf-8")
    sub = load_submission(path)
    assert sub.problem is None
    assert sub.format == "py"
    assert [(c.kind, c.source, c.first_line, c.label) for c in sub.cells] == [
        ("code", "import tensorflow as tf\n\n", 1, "line 1"),
        ("code", "a = 1\n\n", 4, "line 4"),
        ("markdown", "## 1.1 Why\n\nSome text.\n\n", 7, "line 7"),
        ("markdown", "1.2 Computations", 11, "line 11"),
        ("code", "b = 2\n", 12, "line 12"),
        ("code", "c = 3\n", 14, "line 14"),
    ]
    assert [c.index for c in sub.cells] == [1, 2, 3, 4, 5, 6]


def test_load_submission_first_line_points_at_the_cell_code(tmp_path: Path) -> None:
    path = tmp_path / "s.py"
    path.write_text(PERCENT, encoding="utf-8")
    lines = PERCENT.splitlines()
    for cell in load_submission(path).cells:
        if cell.kind == "code" and cell.source.strip():
            first_code = cell.source.splitlines()[0]
            assert lines[cell.first_line - 1] == first_code


def test_load_submission_reads_plain_script_as_one_cell(tmp_path: Path) -> None:
    text = "import tensorflow as tf\n# 1.1 Why\nsport = tf.constant('Tennis')\n"
    path = tmp_path / "plain.py"
    path.write_text(text, encoding="utf-8")
    sub = load_submission(path)
    assert sub.problem is None
    assert [(c.kind, c.source, c.first_line, c.label) for c in sub.cells] == [
        ("code", text, 1, "line 1")
    ]


def test_load_submission_drops_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.py"
    path.write_bytes("\ufeffx = 1\n".encode())
    sub = load_submission(path)
    assert [c.source for c in sub.cells] == ["x = 1\n"]
    assert sub.warnings == ()


def test_load_submission_reads_cp1252_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "windows.py"
    path.write_bytes('name = "café"\n'.encode("cp1252"))
    sub = load_submission(path)
    assert sub.problem is None
    assert [c.source for c in sub.cells] == ['name = "café"\n']
    (warning,) = sub.warnings
    assert "not valid UTF-8" in warning
    assert "Windows-1252" in warning
    assert "Save it as UTF-8" in warning


# --- files that cannot be graded --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("empty.ipynb", b"", "the file is empty"),
        ("empty.py", b"", "the file is empty"),
        ("blank.py", b"  \n\t\r\n   \n", "the file is empty"),
        ("blank.ipynb", b"\n\n", "the file is empty"),
        ("truncated.ipynb", b'{"cells": [{"cell_type": "code", "source": "x =', "not valid JSON"),
        ("list.ipynb", b"[1, 2, 3]", "not a notebook"),
        ("string.ipynb", b'"notebook"', "not a notebook"),
        ("nocells.ipynb", b'{"metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "no cells"),
        (
            "emptycells.ipynb",
            b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
            "no cells",
        ),
        ("junk.py", b"\x00\x01\x02\xff\xfe binary \x00", "binary"),
        ("zip.ipynb", b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "binary"),
    ],
    ids=[
        "empty-ipynb",
        "empty-py",
        "whitespace-py",
        "whitespace-ipynb",
        "truncated-json",
        "json-list",
        "json-string",
        "json-without-cells",
        "no-cells",
        "nul-bytes",
        "zip-renamed",
    ],
)
def test_load_submission_sets_problem_for_unusable_files(
    tmp_path: Path, name: str, data: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    sub = load_submission(path)
    assert sub.cells == ()
    assert sub.problem is not None
    assert expected in sub.problem
    assert "submit" in sub.problem  # every problem tells the student what to do next
    assert sub.sha256 == hashlib.sha256(data).hexdigest()


def test_load_submission_truncated_notebook_says_where_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "cut.ipynb"
    path.write_bytes(b'{\n "cells": [\n  {"cell_type": "code", "source": "x')
    problem = load_submission(path).problem
    assert problem is not None
    assert "line 3" in problem
    assert "truncated" in problem
    assert "Open it in Jupyter, save it" in problem


def test_load_submission_refuses_oversized_file_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.ipynb"
    size = MAX_BYTES + 2**20
    with path.open("wb") as f:
        f.truncate(size)  # sparse: fast to make, still over the limit
    sub = load_submission(path)
    assert sub.cells == ()
    assert sub.problem is not None
    assert "21 MiB" in sub.problem
    assert "20 MiB limit" in sub.problem
    assert "Clear All Outputs" in sub.problem
    assert sub.sha256 == hashlib.sha256(bytes(size)).hexdigest()


@pytest.mark.parametrize(
    "name", ["notes.txt", "lab.docx", "lab.ipynb.zip", "lab"], ids=["txt", "docx", "zip", "none"]
)
def test_load_submission_rejects_unknown_suffix(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(SubmissionError, match=r"expected a \.ipynb notebook or a \.py script"):
        load_submission(path)


def test_load_submission_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match="no such file; check the path"):
        load_submission(tmp_path / "nobody.ipynb")


def test_load_submission_directory_raises(tmp_path: Path) -> None:
    (tmp_path / "folder.py").mkdir()
    with pytest.raises(SubmissionError, match="cannot read the file"):
        load_submission(tmp_path / "folder.py")


# --- the attacker's cheapest files: each loads, with its own problem, at once ---------------------


def _notebook_text(*, metadata: str = "{}", cells: str = "[]", nbformat: int = 4) -> str:
    return (
        f'{{"nbformat": {nbformat}, "nbformat_minor": 0, "metadata": {metadata}, "cells": {cells}}}'
    )


_CELL = '{"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": []}'
HOSTILE_NOTEBOOKS = {
    "metadata-nested-5000-deep": (
        _notebook_text(metadata="[" * 5000 + "]" * 5000, cells=f"[{_CELL}]"),
        "nested more deeply",
    ),
    "objects-nested-5000-deep": (
        _notebook_text(metadata='{"a":' * 5000 + "1" + "}" * 5000, cells=f"[{_CELL}]"),
        "nested more deeply",
    ),
    "nbformat3-nested-5000-deep": (
        '{"nbformat": 3, "nbformat_minor": 0, "metadata": '
        + "[" * 5000
        + "]" * 5000
        + ', "worksheets": []}',
        "nested more deeply",
    ),
    "integer-of-5000-digits": (
        _notebook_text(metadata='{"n": ' + "9" * 5000 + "}", cells=f"[{_CELL}]"),
        "cannot be read as JSON",
    ),
    "million-empty-lists": (
        _notebook_text(metadata="[" + "[]," * 1_000_000 + "[]]", cells=f"[{_CELL}]"),
        f"more than the {MAX_JSON_ITEMS} the grader reads",
    ),
    "too-many-cells": (
        _notebook_text(cells="[" + ",".join([_CELL] * (MAX_CELLS + 1)) + "]"),
        f"more than the {MAX_CELLS} the grader reads",
    ),
    "huge-code-cell": (
        _notebook_text(
            cells=json.dumps([{"cell_type": "code", "source": "x = 1\n" * (MAX_CODE_CHARS // 5)}])
        ),
        "KiB of code",
    ),
}


@pytest.mark.parametrize(
    ("text", "expected"), HOSTILE_NOTEBOOKS.values(), ids=HOSTILE_NOTEBOOKS.keys()
)
def test_load_submission_hostile_notebook_gets_its_own_problem_quickly(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "hostile.ipynb"
    path.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    sub = load_submission(path)
    assert time.perf_counter() - started < 5
    assert sub.cells == ()
    assert sub.problem is not None
    assert expected in sub.problem
    assert "submit" in sub.problem


def test_load_submission_huge_code_in_a_script_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.py"
    path.write_text("x = 1\n" * (MAX_CODE_CHARS // 5), encoding="utf-8")
    problem = load_submission(path).problem
    assert problem is not None
    assert "KiB of code" in problem


def test_load_submission_lone_surrogates_become_replacement_characters(tmp_path: Path) -> None:
    path = tmp_path / "emoji.ipynb"
    path.write_text(_notebook_text(cells='[{"cell_type": "code", "source": "s = \'\\ud83d\'"}]'))
    (cell,) = load_submission(path).cells
    assert cell.source == "s = '\ufffd'"
    assert cell.source.encode("utf-8")


def test_load_submission_name_escapes_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "evil\x1b]0;title\x07.py"
    path.write_text("x = 1\n", encoding="utf-8")
    assert load_submission(path).name == "evil\\x1b]0;title\\x07.py"

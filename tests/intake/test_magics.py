"""Turning IPython magics and shell escapes into Python that does nothing, line for line."""

from __future__ import annotations

import time

import pytest

from grader.intake.magics import strip_magics


def _compiles(source: str) -> bool:
    try:
        compile(source, "<cell>", "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


CASES = [
    (
        "%tensorflow_version 2.x\nimport tensorflow as tf",
        "pass\nimport tensorflow as tf",
        ("%tensorflow_version 2.x",),
    ),
    (
        "!pip install mitdeeplearning\nimport mitdeeplearning as mdl",
        "pass\nimport mitdeeplearning as mdl",
        ("!pip install mitdeeplearning",),
    ),
    ("files = !ls\nprint(files)", "files = []\nprint(files)", ("!ls",)),
    ("a, b = !ls data\n", "a, b = []", ("!ls data",)),
    ("%matplotlib inline\nimport matplotlib", "pass\nimport matplotlib", ("%matplotlib inline",)),
    (
        "if USING_COLAB:\n    !pip install x\nelse:\n    %pip install y\nprint('ok')",
        "if USING_COLAB:\n    pass\nelse:\n    pass\nprint('ok')",
        ("!pip install x", "%pip install y"),
    ),
    ("def f():\n    !ls\n", "def f():\n    pass", ("!ls",)),
    (
        "for i in range(3):\n    %time step(i)",
        "for i in range(3):\n    pass",
        ("%time step(i)",),
    ),
    ("tf.constant?\nx = 1", "pass\nx = 1", ("tf.constant?",)),
    ("tf.keras.layers.Dense??", "pass", ("tf.keras.layers.Dense??",)),
    ("%%time\nx = 1\ny = 2", "pass\nx = 1\ny = 2", ("%%time",)),
    ("%%timeit -n 3\nx = 1", "pass\nx = 1", ("%%timeit -n 3",)),
    (
        "%%capture out\n!pip install x\nimport x",
        "pass\npass\nimport x",
        ("%%capture out", "!pip install x"),
    ),
]
CASE_IDS = [
    "tensorflow-version",
    "pip",
    "assigned-shell",
    "assigned-shell-tuple",
    "matplotlib-inline",
    "indented-in-if",
    "indented-in-def",
    "indented-in-for",
    "help",
    "double-help",
    "time-cell",
    "timeit-cell-args",
    "capture-cell-with-shell",
]


@pytest.mark.parametrize(("source", "expected", "removed"), CASES, ids=CASE_IDS)
def test_strip_magics_replaces_magics(source: str, expected: str, removed: tuple[str, ...]) -> None:
    cleaned = strip_magics(source)
    assert cleaned.source == expected
    assert cleaned.removed == removed


@pytest.mark.parametrize(("source", "expected", "removed"), CASES, ids=CASE_IDS)
def test_strip_magics_result_compiles(source: str, expected: str, removed: tuple[str, ...]) -> None:
    assert _compiles(strip_magics(source).source)


@pytest.mark.parametrize(("source", "expected", "removed"), CASES, ids=CASE_IDS)
def test_strip_magics_keeps_line_numbers(
    source: str, expected: str, removed: tuple[str, ...]
) -> None:
    assert len(strip_magics(source).source.splitlines()) == len(source.splitlines())


@pytest.mark.parametrize(
    "source",
    ["%%bash\necho hi\nls -la | wc -l", "%%writefile helper.py\nprint('hi')", "%%html\n<b>hi</b>"],
    ids=["bash", "writefile", "html"],
)
def test_strip_magics_empties_non_python_cells(source: str) -> None:
    cleaned = strip_magics(source)
    assert cleaned.source.strip() == ""
    assert cleaned.removed == (source.splitlines()[0],)
    assert _compiles(cleaned.source)


@pytest.mark.parametrize(
    "source",
    [
        "x = 1\nprint(x)\n",
        "x = 5 % 3\ny = not x",
        "s = '%d items' % 3\nprint(s)",
        "import tensorflow as tf\nplt.show()",
        "",
    ],
    ids=["plain", "modulo", "format-string", "colab-leftover", "empty"],
)
def test_strip_magics_returns_code_without_magics_unchanged(source: str) -> None:
    cleaned = strip_magics(source)
    assert cleaned.source == source
    assert cleaned.removed == ()


def test_strip_magics_handles_backslash_continued_shell_command() -> None:
    cleaned = strip_magics("!pip install tensorflow \\\n    mitdeeplearning\nimport tensorflow")
    assert _compiles(cleaned.source)


def test_strip_magics_handles_prefix_help() -> None:
    cleaned = strip_magics("?tf.constant\nx = 1")
    assert _compiles(cleaned.source)


def test_strip_magics_leaves_string_contents_alone() -> None:
    source = 'template = """\n%d items\n"""\n!ls'
    cleaned = strip_magics(source)
    assert cleaned.source == 'template = """\n%d items\n"""\npass'


@pytest.mark.parametrize(
    ("source", "line", "ran"),
    [
        ("%%capture out\nx = 1", "%%capture out", True),
        ("%%time\nx = 1", "%%time", True),
        ("%%bash\necho hi", "%%bash", False),
        ("%%writefile helper.py\nprint('hi')", "%%writefile helper.py", False),
    ],
    ids=["capture", "time", "bash", "writefile"],
)
def test_strip_magics_says_whether_a_cell_magic_body_ran(source: str, line: str, ran: bool) -> None:
    cell_magic = strip_magics(source).cell_magic
    assert cell_magic is not None
    assert (cell_magic.line, cell_magic.body_ran) == (line, ran)


def test_strip_magics_records_shell_output_assignments() -> None:
    cleaned = strip_magics("files = !ls\nprint(files)\n!pwd")
    assert cleaned.assigned == ("files = !ls",)
    assert cleaned.cell_magic is None


PATHOLOGICAL = {
    "spaces": " " * 200_000,
    "spaces-then-word": " " * 200_000 + "x",
    "assignment-without-magic": "a" + " ," * 100_000 + " = " + " " * 100_000 + "b",
    "help-without-question-mark": "a" * 200_000 + "!",
    "many-magic-lines": "!ls\n" * 50_000 + "x = (",
    "deep-expression": "x = " + "+".join(["1"] * 100_000),
}


@pytest.mark.parametrize("source", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_strip_magics_pathological_line_is_linear(source: str) -> None:
    started = time.perf_counter()
    cleaned = strip_magics(source)
    assert time.perf_counter() - started < 2  # a few ms; quadratic would be minutes
    assert len(cleaned.source.splitlines()) == len(source.splitlines())

"""The student release, built and searched: what it holds, and what it must never hold."""

from __future__ import annotations

import ast
import itertools
import re
import shutil
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader.assignment import (
    Assignment,
    load_assignment,
    load_assignment_code,
    load_assignment_dir,
)
from grader.authoring.release import Release, build_release
from grader.authoring.strip import check_marks
from grader.authoring.templates import solution_blocks
from grader.config import GraderConfig
from grader.errors import AssignmentError
from grader.exports.student_report import render_student_report
from grader.grading import grade_submission
from tests.support import DATA, ROOT, TINY_DIR

PREFIX = "grader/assignments/lab1-part1/"


@pytest.fixture(scope="module")
def lab() -> Assignment:
    return load_assignment("lab1-part1")


@pytest.fixture(scope="module")
def release(lab: Assignment, tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build_release(lab, out=tmp_path_factory.mktemp("release"))


@pytest.fixture(scope="module")
def wheel_files(release: Release) -> dict[str, bytes]:
    with zipfile.ZipFile(release.wheel) as wheel:
        return {name: wheel.read(name) for name in wheel.namelist()}


def _texts(files: dict[str, bytes]) -> dict[str, str]:
    return {name: data.decode("utf-8") for name, data in files.items()}


def test_build_release_wheel_holds_runtime_and_the_visible_assignment(
    wheel_files: dict[str, bytes],
) -> None:
    runtime = {
        f"grader/{p.relative_to(ROOT / 'grader').as_posix()}": p.read_bytes()
        for p in (ROOT / "grader").rglob("*")
        if p.suffix in (".py", ".json") and "__pycache__" not in p.parts
    }
    # The grader runtime as it is: the same files, byte for byte (no fork of it).
    assert {n: d for n, d in wheel_files.items() if n in runtime} == runtime
    assert (
        wheel_files["tf_autograder/__init__.py"]
        == (ROOT / "tf_autograder/__init__.py").read_bytes()
    )
    lab_files = sorted(n.removeprefix(PREFIX) for n in wheel_files if n.startswith(PREFIX))
    assert lab_files == [
        "checks/conftest.py",
        "checks/pytest.ini",
        "checks/test_1_1.py",
        "checks/test_1_2.py",
        "checks/test_1_3_1.py",
        "checks/test_1_3_2.py",
        "checks/test_1_3_3.py",
        "checks/test_1_4.py",
        "hints.py",
        "inputs.py",
        "sandboxed/harvest.py",
        "spec.toml",
        "template.ipynb",
        "template.py",
    ]
    others = set(wheel_files) - set(runtime) - {f"{PREFIX}{n}" for n in lab_files}
    assert {n.split("/")[0] for n in others} == {
        "tf_autograder",
        "tf_autograder-0.1.0+lab1.part1.dist-info",
    }


def test_build_release_wheel_holds_no_reference_tests_or_history(
    lab: Assignment, wheel_files: dict[str, bytes]
) -> None:
    assert lab.reference_path is not None
    reference = {p.read_bytes() for p in lab.reference_path.parent.rglob("*") if p.is_file()}
    assert [n for n, d in wheel_files.items() if d in reference] == []
    top = {n.split("/")[0] for n in wheel_files}
    assert top.isdisjoint({"tests", "examples", "reference", ".git", "assignments", "bench"})
    assert not [n for n in wheel_files if "solution" in n or "/reference/" in n]


def test_build_release_wheel_names_no_hidden_check(
    lab: Assignment, wheel_files: dict[str, bytes]
) -> None:
    hidden = [c for c in lab.checks if c.visibility == "hidden"]
    assert len(hidden) == 7
    functions = [
        fn.name
        for path in lab.checks_dir.glob("*.py")
        for fn, cid in check_marks(ast.parse(path.read_text(encoding="utf-8")))
        if cid in {c.id for c in hidden}
    ]
    assert len(functions) == 7
    words = [c.id for c in hidden] + [c.title for c in hidden] + functions
    # The names of the cases only the hidden checks try (their inputs' names) stay out too.
    words += ['"scalars-0"', '"tensors-0"', '"wide"', '"narrow"', '"unseen"']
    leaks = [(name, w) for name, text in _texts(wheel_files).items() for w in words if w in text]
    assert leaks == []


def test_build_release_wheel_holds_no_hidden_input_generator(
    lab: Assignment, release: Release, wheel_files: dict[str, bytes]
) -> None:
    for name, text in _texts(wheel_files).items():
        assert not re.search(r"^\s*def make_hidden_inputs\b", text, re.M), name
    code = load_assignment_code(release.folder)
    assert code.make_hidden_inputs is None
    ours = code.make_inputs(np.random.default_rng(7))
    theirs = load_assignment_code(lab.root).make_inputs(np.random.default_rng(7))
    assert ours == theirs  # the visible inputs are made exactly as the instructor's are


def test_build_release_wheel_holds_no_solution_code(
    lab: Assignment, wheel_files: dict[str, bytes]
) -> None:
    assert lab.reference_path is not None
    blocks = solution_blocks(lab.reference_path)
    assert sum(map(len, blocks)) > 20
    texts = _texts(wheel_files)
    # No two lines of a solution together, anywhere (a visible check may print one as a hint).
    for name, text in texts.items():
        lines = [line.strip() for line in text.splitlines()]
        pairs = set(itertools.pairwise(lines))
        for block in blocks:
            assert not pairs & set(itertools.pairwise(block)), name
    # The templates hold none of it at all.
    notebook = nbformat.reads(texts[PREFIX + "template.ipynb"], as_version=4)
    template = "\n".join(c.source for c in notebook.cells) + texts[PREFIX + "template.py"]
    assert [line for block in blocks for line in block if line in template] == []


def test_build_release_spec_counts_hidden_checks_and_keeps_the_visible(
    lab: Assignment, release: Release
) -> None:
    shipped = load_assignment_dir(release.folder)
    assert shipped.release.student is True
    assert shipped.release.isolation == "process"
    assert shipped.reference_path is None
    assert shipped.sections == lab.sections
    assert shipped.max_score == lab.max_score == 100
    visible = [c for c in lab.checks if c.visibility == "visible"]
    assert [c for c in shipped.checks if not c.withheld] == visible
    for section in lab.section_ids:
        hidden = [c.points for c in lab.checks_of(section) if c.visibility == "hidden"]
        withheld = [c for c in shipped.checks_of(section) if c.withheld]
        assert [c.points for c in withheld] == hidden
        assert [c.id for c in withheld] == [
            f"{section}/hidden-{n}" for n in range(1, len(hidden) + 1)
        ]
    shipped_marks = {
        cid
        for path in shipped.checks_dir.glob("*.py")
        for _, cid in check_marks(ast.parse(path.read_text(encoding="utf-8")))
    }
    assert shipped_marks == {c.id for c in visible}


def test_build_release_folder_and_notebooks_match_the_wheel(
    release: Release, wheel_files: dict[str, bytes]
) -> None:
    folder = {
        f"{PREFIX}{p.relative_to(release.folder).as_posix()}": p.read_bytes()
        for p in release.folder.rglob("*")
        if p.is_file()
    }
    assert folder == {n: d for n, d in wheel_files.items() if n.startswith(PREFIX)}
    assert [p.name for p in release.notebooks] == ["lab1-part1.ipynb", "lab1-part1.py"]
    assert release.notebooks[0].read_bytes() == wheel_files[PREFIX + "template.ipynb"]


def test_build_release_same_checkout_same_wheel(
    lab: Assignment, release: Release, tmp_path: Path
) -> None:
    again = build_release(lab, out=tmp_path)
    assert again.wheel.read_bytes() == release.wheel.read_bytes()


def test_build_release_setup_cell_installs_from_the_configured_source(
    lab: Assignment, tmp_path: Path
) -> None:
    url = "https://courses.example.edu/lab1/tf_autograder-0.1.0+lab1.part1-py3-none-any.whl"
    built = build_release(lab, out=tmp_path, install_from=url)
    setup = nbformat.read(built.notebooks[0], as_version=4).cells[2].source
    assert f"%pip install -q {url}\nimport tf_autograder as autograder\n" in setup
    assert 'autograder.start("lab1-part1")' in setup
    assert f"install_from = {url!r}".replace("'", '"') in (built.folder / "spec.toml").read_text()


def _tiny(tmp_path: Path) -> Assignment:
    shutil.copytree(TINY_DIR / "tiny", tmp_path / "tiny")
    return load_assignment_dir(tmp_path / "tiny")


def test_build_release_refuses_a_file_that_names_a_hidden_check(tmp_path: Path) -> None:
    tiny = _tiny(tmp_path)
    (tiny.root / "hints.py").write_text(
        '"""Hints."""\n# 1.1/square-unseen tries a second number\n', encoding="utf-8"
    )
    with pytest.raises(AssignmentError) as raised:
        build_release(tiny, out=tmp_path / "out")
    assert "refusing to build the student release" in str(raised.value)
    assert "grader/assignments/tiny/hints.py: hidden check id '1.1/square-unseen'" in str(
        raised.value
    )
    assert not (tmp_path / "out").exists()


def test_build_release_refuses_to_release_a_release(tmp_path: Path) -> None:
    built = build_release(_tiny(tmp_path), out=tmp_path / "out")
    with pytest.raises(AssignmentError, match=r"is a student release already"):
        build_release(load_assignment_dir(built.folder), out=tmp_path / "again")


def test_build_release_tiny_grades_visible_checks_and_counts_hidden(tmp_path: Path) -> None:
    built = build_release(_tiny(tmp_path), out=tmp_path / "out")
    shipped = load_assignment_dir(built.folder)
    card = grade_submission(
        DATA / "tiny" / "passes.py",
        assignment=shipped,
        config=GraderConfig(section_timeout_s=20, submission_timeout_s=60),
    )
    checks = {c.id: (c.status, c.score, c.visibility) for s in card.sections for c in s.checks}
    assert checks == {
        "1.1/square": ("passed", 3, "visible"),
        "1.1/hidden-1": ("not_run", 0, "hidden"),
        "1.2/greeting": ("passed", 5, "visible"),
    }
    assert (card.score, card.max_score) == (8, 10)
    assert [s.status for s in card.sections] == ["passed", "passed"]
    report = render_student_report(card, title=shipped.title)
    assert "Visible checks: 8/8 points, 2/2 passed" in report
    assert "Hidden checks: 1 more, worth 2 points" in report
    assert "[ PASS  ] 1.1" in report

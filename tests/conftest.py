"""Shared fixtures: the real assignment, the tiny fixture assignment, and batch runs done once."""

from __future__ import annotations

import pytest

from grader.assignment import Assignment, load_assignment, load_assignment_dir
from tests.support import EXAMPLES, SUBMISSIONS, TINY_DIR, Card, load_scorecards, run_grade


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="rewrite tests/goldens/ from this run's scorecards (review the diff before committing)",
    )


@pytest.fixture(scope="session")
def lab() -> Assignment:
    return load_assignment("lab1-part1")


@pytest.fixture(scope="session")
def tiny() -> Assignment:
    return load_assignment_dir(TINY_DIR / "tiny")


@pytest.fixture(scope="session")
def graded_submissions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Card]:
    """Every file in tests/data/submissions, batch-graded once per test session."""
    out = tmp_path_factory.mktemp("graded")
    result = run_grade("batch", SUBMISSIONS, "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    return load_scorecards(out)


@pytest.fixture(scope="session")
def graded_examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Card]:
    """The bundled samples in examples/submissions, batch-graded once per test session."""
    out = tmp_path_factory.mktemp("examples")
    result = run_grade("batch", EXAMPLES, "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    return load_scorecards(out)

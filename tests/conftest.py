"""Shared fixtures: the real assignment, the tiny fixture assignment, and batch runs done once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader.assignment import Assignment, load_assignment, load_assignment_dir

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SUBMISSIONS = DATA / "submissions"
TINY_DIR = DATA / "assignments"


@pytest.fixture(scope="session")
def lab() -> Assignment:
    return load_assignment("lab1-part1")


@pytest.fixture(scope="session")
def tiny() -> Assignment:
    return load_assignment_dir(TINY_DIR / "tiny")


def run_grade(*args: str | Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run `python grade.py ARGS` as a user would, from the repository root."""
    return subprocess.run(
        [sys.executable, str(ROOT / "grade.py"), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def load_scorecards(folder: Path) -> dict[str, dict[str, object]]:
    """Scorecards in `folder`, keyed by the submission's file name."""
    cards = {}
    for path in sorted(folder.glob("*.json")):
        card = json.loads(path.read_text(encoding="utf-8"))
        cards[card["submission"]["path"]] = card
    return cards


@pytest.fixture(scope="session")
def graded_submissions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """Every file in tests/data/submissions, batch-graded once per test session."""
    out = tmp_path_factory.mktemp("graded")
    result = run_grade("batch", SUBMISSIONS, "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    return load_scorecards(out)

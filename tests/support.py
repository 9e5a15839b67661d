"""Paths and helpers the tests share: run `grade.py` as a user would, read what it wrote."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SUBMISSIONS = DATA / "submissions"
EXAMPLES = ROOT / "examples" / "submissions"
TINY_DIR = DATA / "assignments"

#: A scorecard (or any JSON document) as the tests read it back.
Card = dict[str, Any]


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


def load_scorecards(folder: Path) -> dict[str, Card]:
    """Scorecards in `folder`, keyed by the submission's file name."""
    cards = {}
    for path in sorted(folder.glob("*.json")):
        card = json.loads(path.read_text(encoding="utf-8"))
        cards[card["submission"]["path"]] = card
    return cards


@functools.cache
def auto_sandbox() -> str:
    """The scorecard's `environment.sandbox` under `--isolation auto` on this machine ('' if refused)."""
    from grader.run.doctor import examine
    from grader.run.isolation import layers_name

    exam = examine(harvest_dir=ROOT / "assignments" / "lab1-part1" / "sandboxed")
    return layers_name(exam.auto) if exam.auto is not None else ""

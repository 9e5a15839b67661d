"""Read the scorecard JSON files `batch` wrote back into Scorecard records, validating each."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import cast

from grader.errors import GraderError
from grader.results import Status
from grader.scorecard import validation_errors
from grader.scoring import CheckScore, Scorecard, SectionScore, SubmissionInfo


class ScorecardReadError(GraderError):
    """A scorecards folder is missing, empty, or holds a file that is not a valid scorecard."""


def load_scorecard(path: Path) -> Scorecard:
    """Read and validate one scorecard file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScorecardReadError(f"{path}: no such scorecard file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScorecardReadError(
            f"{path}: not a readable JSON scorecard ({exc}); delete it or grade again with "
            "`grade.py batch`"
        ) from None
    problems = validation_errors(document)
    if problems:
        raise ScorecardReadError(
            f"{path}: not a valid scorecard ({problems[0]}); move files other than scorecards "
            "out of the folder, or grade again with `grade.py batch`"
        )
    return _scorecard(document)


def load_scorecard_dir(folder: Path) -> list[Scorecard]:
    """Every `*.json` scorecard in `folder` (not recursive), sorted by student id."""
    if not folder.is_dir():
        raise ScorecardReadError(
            f"{folder}: no such folder; give the --out folder of `grade.py batch`"
        )
    cards = [load_scorecard(p) for p in sorted(folder.glob("*.json")) if not p.name.startswith(".")]
    if not cards:
        raise ScorecardReadError(
            f"{folder}: no scorecards (*.json) here; run `grade.py batch INPUT --out {folder}` first"
        )
    return sorted(cards, key=lambda c: c.student.lower())


def single_assignment(cards: Sequence[Scorecard], folder: Path) -> str:
    """The one assignment all `cards` belong to; an export or report covers one assignment."""
    names = sorted({c.assignment for c in cards})
    if len(names) != 1:
        raise ScorecardReadError(
            f"{folder}: holds scorecards of {len(names)} assignments ({', '.join(names)}); "
            "put each assignment's scorecards in its own folder"
        )
    return names[0]


def scorecard_from_document(doc: Mapping[str, object]) -> Scorecard:
    """A Scorecard from a validated scorecard document (as `render_scorecard` made it)."""
    problems = validation_errors(doc)
    if problems:
        raise ScorecardReadError(f"not a valid scorecard ({problems[0]})")
    return _scorecard(doc)


def _scorecard(doc: Mapping[str, object]) -> Scorecard:
    # The schema has been checked, so the casts below only tell mypy what it guarantees.
    submission = cast(Mapping[str, str], doc["submission"])
    sections = cast(list[Mapping[str, object]], doc["sections"])
    return Scorecard(
        assignment=str(doc["assignment"]),
        student=str(doc["student"]),
        submission=SubmissionInfo(submission["path"], submission["format"], submission["sha256"]),
        score=float(cast(float, doc["score"])),
        max_score=float(cast(float, doc["max_score"])),
        sections=tuple(_section(s) for s in sections),
        errors=tuple(cast(list[str], doc["errors"])),
        environment=dict(cast(Mapping[str, str], doc["environment"])),
        graded_at=str(doc["graded_at"]),
        duration_s=float(cast(float, doc["duration_s"])),
        output_tail=str(doc.get("output_tail", "")),
        late=bool(doc.get("late", False)),
    )


def _section(doc: Mapping[str, object]) -> SectionScore:
    checks = cast(list[Mapping[str, object]], doc["checks"])
    return SectionScore(
        id=str(doc["id"]),
        title=str(doc["title"]),
        score=float(cast(float, doc["score"])),
        max_score=float(cast(float, doc["max_score"])),
        status=cast(Status, doc["status"]),
        feedback=str(doc.get("feedback", "")),
        checks=tuple(
            CheckScore(
                id=str(c["id"]),
                title=str(c.get("title", c["id"])),
                score=float(cast(float, c["score"])),
                max_score=float(cast(float, c["max_score"])),
                status=cast(Status, c["status"]),
                visibility="hidden" if c["visibility"] == "hidden" else "visible",
                feedback=str(c["feedback"]),
            )
            for c in checks
        ),
    )

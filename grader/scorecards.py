"""Scorecards: the records, and their JSON form (render, validate against the schema, write, read)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from grader.atomic import write_json
from grader.errors import ScorecardReadError
from grader.intake.tamper import Lead
from grader.schemas import schema_errors
from grader.status import Status, Visibility

SCHEMA_PATH = Path(__file__).with_name("scorecard.schema.json")
SCHEMA_VERSION = 1

__all__ = [
    "SCHEMA_PATH",
    "CheckScore",
    "Integrity",
    "Scorecard",
    "ScorecardReadError",
    "SectionScore",
    "SubmissionInfo",
    "load_scorecard",
    "load_scorecard_dir",
    "points",
    "render_scorecard",
    "scorecard_from_document",
    "single_assignment",
    "validation_errors",
    "write_scorecard",
]


@dataclass(frozen=True, slots=True)
class CheckScore:
    id: str
    title: str
    score: float
    max_score: float
    status: Status
    visibility: Visibility
    feedback: str


@dataclass(frozen=True, slots=True)
class SectionScore:
    id: str
    title: str
    score: float
    max_score: float
    status: Status
    feedback: str  # section-level: why it did not run, what the student's code raised, notes
    checks: tuple[CheckScore, ...]


@dataclass(frozen=True, slots=True)
class SubmissionInfo:
    path: str  # the file name as given
    format: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Integrity:
    """Why a human should look at this submission: leads in its code, a broken protocol."""

    leads: tuple[Lead, ...] = ()  # constructs in its code no honest lab needs
    violation: str | None = None  # the student process sent answers the grader did not ask for

    @property
    def needs_review(self) -> bool:
        return bool(self.leads) or self.violation is not None


@dataclass(frozen=True, slots=True)
class Scorecard:
    """One student's result."""

    assignment: str
    student: str
    submission: SubmissionInfo
    score: float
    max_score: float
    sections: tuple[SectionScore, ...]
    errors: tuple[str, ...]
    environment: Mapping[str, str]
    graded_at: str
    duration_s: float
    output_tail: str
    late: bool = False  # Canvas marked the submission late
    grader_failure: str | None = None  # the grader, not the student, failed: grade again
    integrity: Integrity = Integrity()  # leads for a human; `needs_review` when there are any


def points(x: float) -> int | float:
    """A score as JSON and CSV write it: whole numbers as ints, others to 4 decimals."""
    return int(x) if float(x).is_integer() else round(x, 4)


def validation_errors(document: object) -> list[str]:
    """Every way `document` breaks the scorecard schema, as 'path: message' lines."""
    return schema_errors(SCHEMA_PATH, document)


def render_scorecard(card: Scorecard) -> dict[str, object]:
    """The scorecard as the JSON document the SPEC defines."""
    document: dict[str, object] = {
        "schema_version": SCHEMA_VERSION,
        "assignment": card.assignment,
        "student": card.student,
        "submission": {
            "path": card.submission.path,
            "format": card.submission.format,
            "sha256": card.submission.sha256,
        },
        "score": points(card.score),
        "max_score": points(card.max_score),
        "sections": [
            {
                "id": s.id,
                "title": s.title,
                "score": points(s.score),
                "max_score": points(s.max_score),
                "status": s.status,
                "feedback": s.feedback,
                "checks": [
                    {
                        "id": c.id,
                        "title": c.title,
                        "score": points(c.score),
                        "max_score": points(c.max_score),
                        "status": c.status,
                        "visibility": c.visibility,
                        "feedback": c.feedback,
                    }
                    for c in s.checks
                ],
            }
            for s in card.sections
        ],
        "errors": list(card.errors),
        "environment": dict(card.environment),
        "graded_at": card.graded_at,
        "duration_s": round(card.duration_s, 3),
        "output_tail": card.output_tail,
        "late": card.late,
    }
    if card.grader_failure is not None:
        document["grader_failure"] = card.grader_failure
    if card.integrity.needs_review:
        document["integrity"] = {
            "needs_review": True,
            "protocol_violation": card.integrity.violation,
            "leads": [
                {"where": lead.where, "construct": lead.construct, "why": lead.why}
                for lead in card.integrity.leads
            ],
        }
    return document


def write_scorecard(path: Path, card: Scorecard) -> dict[str, object]:
    """Validate and write one scorecard atomically; return the document written."""
    document = render_scorecard(card)
    problems = validation_errors(document)
    if problems:  # a grader bug, never the student's doing: fail loudly
        raise ValueError(f"scorecard for {card.student} breaks the schema: {problems[:3]}")
    write_json(path, document)
    return document


def load_scorecard(path: Path) -> Scorecard:
    """Read and validate one scorecard file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScorecardReadError(f"{path}: no such scorecard file") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
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
    """A Scorecard from a scorecard document (as `render_scorecard` made it), validated first."""
    problems = validation_errors(doc)
    if problems:
        raise ScorecardReadError(f"not a valid scorecard ({problems[0]})")
    return _scorecard(doc)


def _scorecard(doc: Mapping[str, object]) -> Scorecard:
    # The schema has been checked, so the casts below only tell mypy what it guarantees.
    submission = cast(Mapping[str, str], doc["submission"])
    sections = cast(list[Mapping[str, object]], doc["sections"])
    failure = doc.get("grader_failure")
    integrity = cast(Mapping[str, object], doc.get("integrity") or {})
    leads = cast(list[Mapping[str, str]], integrity.get("leads", []))
    violation = integrity.get("protocol_violation")
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
        grader_failure=str(failure) if failure is not None else None,
        integrity=Integrity(
            leads=tuple(Lead(d["where"], d["construct"], d["why"]) for d in leads),
            violation=str(violation) if violation is not None else None,
        ),
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

"""Render a Scorecard as JSON, validate it against the published schema, write it atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from grader.schemas import schema_errors
from grader.scoring import Scorecard

SCHEMA_PATH = Path(__file__).with_name("scorecard.schema.json")
SCHEMA_VERSION = 1


def validation_errors(document: object) -> list[str]:
    """Every way `document` breaks the scorecard schema, as 'path: message' lines."""
    return schema_errors(SCHEMA_PATH, document)


def render_scorecard(card: Scorecard) -> dict[str, object]:
    """The scorecard as the JSON document the SPEC defines."""
    return {
        "schema_version": SCHEMA_VERSION,
        "assignment": card.assignment,
        "student": card.student,
        "submission": {
            "path": card.submission.path,
            "format": card.submission.format,
            "sha256": card.submission.sha256,
        },
        "score": _num(card.score),
        "max_score": _num(card.max_score),
        "sections": [
            {
                "id": s.id,
                "title": s.title,
                "score": _num(s.score),
                "max_score": _num(s.max_score),
                "status": s.status,
                "feedback": s.feedback,
                "checks": [
                    {
                        "id": c.id,
                        "title": c.title,
                        "score": _num(c.score),
                        "max_score": _num(c.max_score),
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


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 4)


def write_json(path: Path, document: object) -> None:
    """Write JSON atomically: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=2, ensure_ascii=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_scorecard(path: Path, card: Scorecard) -> dict[str, object]:
    """Validate and write one scorecard; return the document written."""
    document = render_scorecard(card)
    problems = validation_errors(document)
    if problems:  # a grader bug, never the student's doing: fail loudly
        raise ValueError(f"scorecard for {card.student} breaks the schema: {problems[:3]}")
    write_json(path, document)
    return document

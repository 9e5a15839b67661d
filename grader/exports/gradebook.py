"""Render scorecards as a plain per-student, per-section CSV (Moodle, Blackboard, a spreadsheet)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from grader.exports.summary import cell
from grader.intake.names import parse_canvas_name
from grader.scorecards import Scorecard, points


@dataclass(frozen=True, slots=True)
class SectionColumn:
    """A section as a column: its id, title and points, from the first scorecard that has it."""

    id: str
    title: str
    max_score: float


def section_columns(cards: Sequence[Scorecard]) -> tuple[SectionColumn, ...]:
    """Every section id in the scorecards, in the order the scorecards list them."""
    seen: dict[str, SectionColumn] = {}
    for card in cards:
        for s in card.sections:
            seen.setdefault(s.id, SectionColumn(s.id, s.title, s.max_score))
    return tuple(seen.values())


def render_gradebook_csv(cards: Sequence[Scorecard]) -> str:
    """One row per student: total, percent, each section's points, and the Canvas late flag."""
    columns = section_columns(cards)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["student", "file", "score", "max_score", "percent"]
        + [f"{c.id} {c.title} ({points(c.max_score)})" for c in columns]
        + ["late"]
    )
    for card in cards:
        sections = {s.id: s for s in card.sections}
        canvas = parse_canvas_name(card.submission.path)
        percent = 100 * card.score / card.max_score if card.max_score else 0.0
        writer.writerow(
            [
                cell(card.student),
                cell(card.submission.path),
                points(card.score),
                points(card.max_score),
            ]
            + [f"{percent:.1f}"]
            + [points(sections[c.id].score) if c.id in sections else "" for c in columns]
            + ["yes" if canvas is not None and canvas.late else "no"]
        )
    return out.getvalue()

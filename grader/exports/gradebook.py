"""Render scorecards as a plain per-student, per-section CSV (Moodle, Blackboard, a spreadsheet)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from grader.adjust import Adjusted
from grader.exports.summary import cell, overrides_cell, penalty_cell
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


def render_gradebook_csv(results: Sequence[Adjusted]) -> str:
    """One row per student: total, percent, each section's points, late flag and penalty, more.

    Scores have the overrides and late penalty applied; `graded_score` is the grader's own total.
    """
    columns = section_columns([r.card for r in results])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["student", "file", "score", "max_score", "percent"]
        + [f"{c.id} {c.title} ({points(c.max_score)})" for c in columns]
        + ["late", "late_penalty", "graded_score", "overrides"]
    )
    for result in results:
        card = result.card
        sections = {s.id for s in card.sections}
        percent = 100 * result.score / card.max_score if card.max_score else 0.0
        writer.writerow(
            [
                cell(card.student),
                cell(card.submission.path),
                points(result.score),
                points(card.max_score),
            ]
            + [f"{percent:.1f}"]
            + [points(result.section_scores[c.id]) if c.id in sections else "" for c in columns]
            + [
                "yes" if result.late else "no",
                penalty_cell(result),
                points(card.score),
                cell(overrides_cell(result)),
            ]
        )
    return out.getvalue()

"""Render the class summary CSV that `batch` writes beside the scorecards."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from grader.adjust import Adjusted
from grader.exports.text import shorten

#: Characters that make a spreadsheet treat a cell as a formula (CSV injection).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: one line, never a formula."""
    text = " ".join(str(value).splitlines())
    return "'" + text if text.startswith(_FORMULA) and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def overrides_cell(result: Adjusted) -> str:
    """The overrides applied to a student, as one CSV cell: `1.2/func: 0 -> 2.5 (reason; by)`."""
    return " | ".join(
        f"{a.override.target}: {a.graded:g} -> {a.points:g} ({a.override.reason}; {a.override.by})"
        for a in result.overrides
    )


def penalty_cell(result: Adjusted) -> str:
    """The late penalty as a number of points, or empty when there is none."""
    return f"{result.penalty.points:g}" if result.penalty else ""


def render_summary_csv(results: Sequence[Adjusted], section_ids: Sequence[str]) -> str:
    """One row per student: adjusted total and section scores, statuses, errors, then the rest.

    `score` and the section scores have the overrides and late penalty applied; `graded_score`
    is the grader's own total, `late_penalty` the points the late policy took off.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["student", "file", "score", "max_score"]
        + [f"{sid} score" for sid in section_ids]
        + [f"{sid} status" for sid in section_ids]
        + ["duration_s", "errors", "graded_score", "late", "late_penalty", "overrides"]
    )
    for result in results:
        card = result.card
        sections = {s.id: s for s in card.sections}
        writer.writerow(
            [
                cell(card.student),
                cell(card.submission.path),
                f"{result.score:g}",
                f"{card.max_score:g}",
            ]
            + [f"{result.section_scores[sid]:g}" if sid in sections else "" for sid in section_ids]
            + [sections[sid].status if sid in sections else "" for sid in section_ids]
            + [
                f"{card.duration_s:.2f}",
                cell(shorten(" | ".join(card.errors), 500)),
                f"{card.score:g}",
                "yes" if result.late else "no",
                penalty_cell(result),
                cell(overrides_cell(result)),
            ]
        )
    return out.getvalue()

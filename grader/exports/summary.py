"""Render the class summary CSV that `batch` writes beside the scorecards."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from grader.scorecards import Scorecard

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


def render_summary_csv(scorecards: Sequence[Scorecard], section_ids: Sequence[str]) -> str:
    """One row per student: total, each section's score and status, and errors."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["student", "file", "score", "max_score"]
        + [f"{sid} score" for sid in section_ids]
        + [f"{sid} status" for sid in section_ids]
        + ["duration_s", "errors"]
    )
    for card in scorecards:
        sections = {s.id: s for s in card.sections}
        writer.writerow(
            [
                cell(card.student),
                cell(card.submission.path),
                f"{card.score:g}",
                f"{card.max_score:g}",
            ]
            + [f"{sections[sid].score:g}" if sid in sections else "" for sid in section_ids]
            + [sections[sid].status if sid in sections else "" for sid in section_ids]
            + [f"{card.duration_s:.2f}", cell(" | ".join(card.errors)[:500])]
        )
    return out.getvalue()

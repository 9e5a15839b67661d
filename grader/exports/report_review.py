"""The class report's "Needs review" section: submissions whose code or answers look tampered with."""

from __future__ import annotations

from collections.abc import Sequence

from grader.exports.page import e, table
from grader.scorecards import Scorecard

__all__ = ["render_review"]


def render_review(cards: Sequence[Scorecard]) -> list[str]:
    """The section's body (after its heading): one row per lead, grouped by student."""
    out = [
        '<p class="caution"><strong>These are leads for a human, not verdicts.</strong> '
        "A submission is listed when its code holds constructs an honest lab never needs (walking "
        "the interpreter's objects or frames, raw file descriptors, ctypes, replacing library "
        "functions, naming the grader's files), or when its process sent answers the grader did "
        "not ask for. Its score is what the checks decided: read the code at each place before "
        "drawing any conclusion.</p>"
    ]
    rows = []
    for card in cards:
        integrity = card.integrity
        if not integrity.needs_review:
            continue
        if integrity.violation is not None:
            rows.append([e(card.student), "answers", "", e(integrity.violation)])
        rows.extend(
            [e(card.student), e(lead.where), f"<code>{e(lead.construct)}</code>", e(lead.why)]
            for lead in integrity.leads
        )
    if not rows:
        return [*out, "<p>No submission needs review.</p>"]
    return [*out, table(["student", "where", "construct", "what it can do"], rows, numeric=set())]

"""Render the feedback page a student gets back: one self-contained HTML page per student.

Pages are named so Canvas's "Re-Upload Submissions" can attach them: Canvas reads the first two
all-digit, underscore-separated parts of each file name in the uploaded zip as the user id and
the id of a file in that user's submission, so a page for `doejane_LATE_12345_67890_lab1.ipynb`
is `doejane_12345_67890_feedback.html`. A submission not named by Canvas gets
`<student>_feedback.html` (the scorecard's name), for any other LMS or by hand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from grader.adjust import Adjusted, AdjustedClass, AppliedOverride
from grader.exports.canvas import latest_per_user
from grader.exports.page import document, e, table
from grader.intake.names import parse_canvas_name
from grader.scorecards import CheckScore, Scorecard, SectionScore, points
from grader.scoring import visible_status

__all__ = ["FeedbackPage", "feedback_filename", "render_feedback_page", "render_feedback_pages"]

_MARK = {
    "passed": "PASS",
    "failed": "FAIL",
    "error": "ERROR",
    "timeout": "TIMEOUT",
    "not_run": "NOT RUN",
}
_CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232b;
       max-width: 900px; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .4rem; border-bottom: 2px solid #dde3ea; padding-bottom: .2rem; }
.muted { color: #5b6673; } .total { font-size: 1.6rem; font-weight: 700; margin: .6rem 0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: 14px; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e4e8ee; vertical-align: top; }
th { background: #f3f5f8; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; min-width: 4.5rem; text-align: center; border-radius: 4px;
         font-size: .8rem; padding: .05rem .4rem; margin-right: .5rem; color: white; }
.st-passed { background: #1e7a46; } .st-failed { background: #b03a2e; } .st-error { background: #8e2c8e; }
.st-timeout { background: #a35d00; } .st-not_run { background: #5b6673; }
.points { float: right; font-weight: 400; color: #5b6673; }
.message { white-space: pre-wrap; word-break: break-word; }
.note { background: #eef4fb; border-left: 4px solid #3b6ea5; padding: .5rem .9rem; margin: .5rem 0; }
.late { background: #fff6db; border-left: 4px solid #d08c00; padding: .5rem .9rem; margin: .5rem 0; }
"""


@dataclass(frozen=True, slots=True)
class FeedbackPage:
    """One student's page: the file name to write it under, and the HTML."""

    student: str
    filename: str
    canvas: bool  # named for Canvas's Re-Upload Submissions (the submission came from Canvas)
    html: str


def feedback_filename(card: Scorecard) -> str:
    """The page's file name: Canvas's ids first when Canvas named the submission (module doc)."""
    canvas = parse_canvas_name(card.submission.path)
    if canvas is None:
        return f"{card.student}_feedback.html"
    name = re.sub(r"[^a-z0-9]", "", canvas.name.lower()) or "student"
    return f"{name}_{canvas.user_id}_{canvas.submission_id}_feedback.html"


def render_feedback_pages(
    adjusted: AdjustedClass, *, title: str, release_hidden: bool = False
) -> tuple[list[FeedbackPage], list[str]]:
    """A page for every student's latest submission, and notes on what got no page.

    A scorecard that records a grader failure gets no page: grade it again first.
    """
    chosen, notes = latest_per_user(adjusted.results)
    failed = [r.student for r, _ in chosen if r.card.grader_failure is not None]
    if failed:
        notes.append(
            f"{len(failed)} scorecard(s) record a grader failure and got no page: "
            f"{', '.join(failed[:10])}; grade them again with `grade.py batch --resume`"
        )
    pages = [
        FeedbackPage(
            student=r.student,
            filename=feedback_filename(r.card),
            canvas=canvas is not None,
            html=render_feedback_page(r, title=title, release_hidden=release_hidden),
        )
        for r, canvas in chosen
        if r.card.grader_failure is None
    ]
    return pages, notes


def render_feedback_page(result: Adjusted, *, title: str, release_hidden: bool = False) -> str:
    """The student's page: total, adjustments, then each section with its checks.

    Hidden checks appear as counts (how many, how many passed, their points) unless
    `release_hidden`; an override of a hidden check is shown with its reason, not its name.
    """
    card = result.card
    body = [
        f"<h1>{e(title)}</h1>",
        f'<p class="muted">Feedback for <strong>{e(card.student)}</strong> on '
        f"<code>{e(card.submission.path)}</code>, graded {e(card.graded_at)}.</p>",
        f'<p class="total">Your score: {points(result.score)} / {points(result.max_score)}</p>',
        *_breakdown(result, release_hidden),
    ]
    for section in card.sections:
        body += _section(result, section, release_hidden)
    if card.errors:
        body.append("<h2>Notes from the grader</h2>")
        body += [f'<p class="note message">{e(note)}</p>' for note in card.errors]
    hidden = sum(c.visibility == "hidden" for s in card.sections for c in s.checks)
    footer = (
        "Hidden checks are shown because your instructor released them."
        if release_hidden
        else "Hidden checks try your code on inputs you did not see; they are counted here, "
        "not named."
    )
    body.append(
        f'<p class="muted">{footer if hidden else ""} Grader {e(card.environment.get("grader", ""))}'
        f", assignment {e(card.assignment)}.</p>"
    )
    return document(title=f"{title}: feedback for {card.student}", css=_CSS, body=body)


def _breakdown(result: Adjusted, release_hidden: bool) -> list[str]:
    if not result.changed:
        return []
    rows = [["Points the grader gave", f"{points(result.graded)}"]]
    for a in result.overrides:
        rows.append(
            [
                f"Changed by {e(a.override.by)}: {_target(a, release_hidden)}, "
                f"{a.graded:g} → {a.points:g} of {a.max_score:g} points",
                f"{a.delta:+g}",
            ]
        )
    if result.penalty is not None:
        p = result.penalty
        days = f"{p.days} day{'s' * (p.days != 1)}"
        rows.append(
            [f"Late penalty: {days} late, {p.percent:g}% of the points", f"&minus;{p.points:g}"]
        )
    rows.append(["<strong>Your score</strong>", f"<strong>{points(result.score)}</strong>"])
    out = [table(["", "points"], rows, numeric={1})]
    for a in result.overrides:
        out.append(
            f'<p class="note"><strong>Why {_target(a, release_hidden)} changed</strong> '
            f'({e(a.override.by)}): <span class="message">{e(a.override.reason)}</span></p>'
        )
    if result.penalty is not None and result.penalty.basis == "flag":
        out.append(
            '<p class="late">Canvas marked this submission late; it was counted as one day late.</p>'
        )
    return out


def _target(a: AppliedOverride, release_hidden: bool) -> str:
    if a.override.kind == "section":
        return f"section {e(a.section)} {e(a.title)}"
    if a.visibility == "hidden" and not release_hidden:
        return f"a hidden check of section {e(a.section)}"
    return f"check {e(a.title)}"


def _section(result: Adjusted, section: SectionScore, release_hidden: bool) -> list[str]:
    status = section.status if release_hidden else visible_status(section)
    shown = [c for c in section.checks if release_hidden or c.visibility == "visible"]
    hidden = [c for c in section.checks if c not in shown]
    score = result.section_scores.get(section.id, section.score)
    out = [
        f'<h2 id="section-{e(section.id)}"><span class="badge st-{status}">{_MARK[status]}</span>'
        f"{e(section.id)} {e(section.title)}"
        f'<span class="points">{points(score)} / {points(section.max_score)}</span></h2>'
    ]
    if section.feedback and status != "passed":
        out.append(f'<p class="message">{e(section.feedback)}</p>')
    rows = [_check_row(result, section, c) for c in shown]
    if rows:
        out.append(table(["check", "result", "points", "feedback"], rows, numeric={2}))
    if hidden:
        passed = sum(c.status == "passed" for c in hidden)
        earned = sum(result.check_scores.get(c.id, c.score) for c in hidden)
        out.append(
            f'<p class="muted">Hidden checks: {len(hidden)} in this section, {passed} passed, '
            f"{earned:g} of {sum(c.max_score for c in hidden):g} points.</p>"
        )
    return out


def _check_row(result: Adjusted, section: SectionScore, check: CheckScore) -> Sequence[str]:
    if section.status == "error" and check.status == "error" and check.feedback == section.feedback:
        feedback = '<span class="muted">the error above</span>'
    elif check.status == "passed":
        feedback = ""
    else:
        feedback = f'<span class="message">{e(check.feedback)}</span>'
    label = e(check.title) + (
        ' <span class="muted">(hidden)</span>' if check.visibility == "hidden" else ""
    )
    score = result.check_scores.get(check.id, check.score)
    return [
        f'{label}<br><span class="muted">{e(check.id)}</span>',
        _MARK[check.status],
        f"{score:g} / {check.max_score:g}",
        feedback,
    ]

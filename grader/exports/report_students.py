"""The class report's per-student table and its overrides and late policy section."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from grader.adjust import Adjusted, AdjustedClass, is_late
from grader.exports.gradebook import section_columns
from grader.exports.page import e, table
from grader.scorecards import points

__all__ = ["render_adjustments", "render_students"]


def render_students(results: Sequence[Adjusted], links: Mapping[str, str]) -> list[str]:
    columns = section_columns([r.card for r in results])
    rows = []
    for r in results:
        sections = {s.id: s for s in r.card.sections}
        late = ""
        if r.penalty is not None:
            late = f"yes, -{r.penalty.points:g} ({r.penalty.days} day{'s' * (r.penalty.days != 1)})"
        elif r.late:
            late = "yes"
        overrides = "<br>".join(
            f"{e(a.override.target)}: {a.graded:g} → {a.points:g}" for a in r.overrides
        )
        href = links.get(r.student)
        cells = [
            e(r.student) + (f'<br><a href="{e(href)}">feedback page</a>' if href else ""),
            f"{points(r.score)} / {points(r.max_score)}",
            f"{points(r.graded)}",
            e(late),
            overrides,
        ]
        for c in columns:
            s = sections.get(c.id)
            cells.append(
                f'<span class="st-{s.status}">{e(s.status)}</span><br>'
                f"{points(r.section_scores[c.id])}/{points(s.max_score)}"
                if s is not None
                else ""
            )
        rows.append(cells)
    note = (
        '<p class="muted">Score is what each student gets (overrides and late penalty applied); '
        "graded is the grader's own total. Section cells show the status as graded and the "
        "points after overrides."
        + (
            ""
            if links
            else " Feedback pages are linked here when <code>grade.py export feedback</code> "
            "wrote them into <code>feedback/</code> beside this report (or give "
            "<code>report --feedback DIR</code>)."
        )
        + "</p>"
    )
    headers = ["student", "score", "graded", "late", "overrides", *[c.id for c in columns]]
    students = table(headers, rows, numeric={1, 2}, css_class="students")
    return [note, f'<div class="scroll">{students}</div>']


def render_adjustments(adjusted: AdjustedClass) -> list[str]:
    policy = adjusted.policy
    out = []
    source = e(policy.source) if policy.source else ""
    if not policy.source:
        out.append(
            '<p class="muted">No overrides file: put an <code>overrides.toml</code> beside the '
            "scorecards to change a student's points with a reason, or to set a late policy "
            "(see the README).</p>"
        )
    late = policy.late
    flagged = sum(1 for r in adjusted.results if is_late(r.card))
    if late is not None and late.per_day:
        out.append(
            f"<p>Late policy ({source}): {late.per_day:g}% of the points per day or part of a day "
            f"late, at most {late.max_penalty:g}%. {flagged} submission(s) flagged late by Canvas; "
            f"{sum(1 for r in adjusted.results if r.penalty)} penalised.</p>"
        )
    elif flagged:
        out.append(
            f"<p>No late policy: the {flagged} submission(s) Canvas flagged late are not "
            "penalised (add a [late] table to overrides.toml to change that).</p>"
        )
    for warning in adjusted.warnings:
        out.append(f'<p class="caution">Not applied or changed: {e(warning)}</p>')
    rows = [
        [
            e(r.student),
            e(a.override.target),
            f"{a.graded:g} → {a.points:g} of {a.max_score:g}",
            f'<span class="message">{e(a.override.reason)}</span>',
            e(a.override.by),
        ]
        for r in adjusted.results
        for a in r.overrides
    ]
    if rows:
        out.append(
            table(["student", "check or section", "points", "reason", "by"], rows, numeric=set())
        )
    elif policy.source:
        out.append(f"<p>{source} changes no student's points.</p>")
    return out

"""What a student sees of a scorecard: the report, or the same as a JSON "student view".

Hidden checks stay hidden in both: they are counted, with the points they are worth, and nothing
else (no id, title, feedback, status or score), and section statuses and scores count visible
checks only. Every string is escaped for the terminal it is printed on.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

from grader.schemas import schema_errors
from grader.scorecards import SCHEMA_VERSION, CheckScore, Scorecard, SectionScore, points
from grader.scoring import visible_status
from grader.terminal import safe_text

STUDENT_VIEW_SCHEMA = Path(__file__).resolve().parent.parent / "student_view.schema.json"

__all__ = [
    "STUDENT_VIEW_SCHEMA",
    "render_section_report",
    "render_student_report",
    "render_student_view",
    "student_view_errors",
]

_MARK = {
    "passed": "PASS",
    "failed": "FAIL",
    "error": "ERROR",
    "timeout": "TIMEOUT",
    "not_run": "NOT RUN",
}


def render_student_report(card: Scorecard, *, title: str, width: int = 96) -> str:
    """A per-section report; hidden checks are counted, never named or scored."""
    lines = [f"{title} - {card.submission.path}"]
    lines.extend(_totals([c for s in card.sections for c in s.checks]))
    lines.append("")
    for section in card.sections:
        lines.extend(_section_lines(section, width))
    if card.errors:
        lines.append("")
        for error in card.errors:
            lines.extend(textwrap.wrap(f"Note: {error}", width, subsequent_indent="  "))
    return safe_text("\n".join(lines) + "\n")


def render_student_view(card: Scorecard) -> dict[str, object]:
    """The scorecard as its student may see it (`check --json`); see student_view.schema.json."""
    visible = [c for s in card.sections for c in s.checks if c.visibility == "visible"]
    hidden = [c for s in card.sections for c in s.checks if c.visibility == "hidden"]
    document: dict[str, object] = {
        "view": "student",
        "schema_version": SCHEMA_VERSION,
        "assignment": card.assignment,
        "student": card.student,
        "submission": {
            "path": card.submission.path,
            "format": card.submission.format,
            "sha256": card.submission.sha256,
        },
        "visible": {
            "score": points(sum(c.score for c in visible)),
            "max_score": points(sum(c.max_score for c in visible)),
            "checks": len(visible),
            "passed": sum(c.status == "passed" for c in visible),
        },
        "hidden": {"checks": len(hidden), "max_score": points(sum(c.max_score for c in hidden))},
        "sections": [
            {
                "id": s.id,
                "title": s.title,
                "status": visible_status(s),
                "score": points(sum(c.score for c in s.checks if c.visibility == "visible")),
                "max_score": points(
                    sum(c.max_score for c in s.checks if c.visibility == "visible")
                ),
                "feedback": s.feedback,
                "checks": [
                    {
                        "id": c.id,
                        "title": c.title,
                        "score": points(c.score),
                        "max_score": points(c.max_score),
                        "status": c.status,
                        "feedback": c.feedback,
                    }
                    for c in s.checks
                    if c.visibility == "visible"
                ],
                "hidden": {
                    "checks": sum(c.visibility == "hidden" for c in s.checks),
                    "max_score": points(
                        sum(c.max_score for c in s.checks if c.visibility == "hidden")
                    ),
                },
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
    return document


def student_view_errors(document: object) -> list[str]:
    """Every way `document` breaks the student view's schema."""
    return schema_errors(STUDENT_VIEW_SCHEMA, document)


def render_section_report(section: SectionScore, *, title: str, width: int = 96) -> str:
    """The same report for one section alone (what the notebook's check cell prints)."""
    lines = [f"{title} - section {section.id}"]
    lines.extend(_totals(section.checks, where=" in this section"))
    lines.append("")
    lines.extend(_section_lines(section, width))
    return safe_text("\n".join(lines) + "\n")


def _totals(checks: Sequence[CheckScore], *, where: str = "") -> list[str]:
    visible = [c for c in checks if c.visibility == "visible"]
    hidden = [c for c in checks if c.visibility == "hidden"]
    earned = sum(c.score for c in visible)
    possible = sum(c.max_score for c in visible)
    lines = [
        f"Visible checks: {earned:g}/{possible:g} points, "
        f"{sum(c.status == 'passed' for c in visible)}/{len(visible)} passed"
    ]
    if hidden:
        lines.append(
            f"Hidden checks: {len(hidden)} more{where}, worth {sum(c.max_score for c in hidden):g} "
            "points, run when your work is graded (they try your code on other inputs)."
        )
    return lines


def _section_lines(section: SectionScore, width: int) -> list[str]:
    lines: list[str] = []
    shown = [c for c in section.checks if c.visibility == "visible"]
    status = visible_status(section)
    v_earned = sum(c.score for c in shown)
    v_max = sum(c.max_score for c in shown)
    lines.append(f"[{_MARK[status]:^7}] {section.id:<6} {section.title}  ({v_earned:g}/{v_max:g})")
    indent = " " * 10
    if section.feedback and status != "passed":
        for paragraph in section.feedback.splitlines():
            lines.extend(
                textwrap.wrap(
                    paragraph, width, initial_indent=indent, subsequent_indent=indent + "  "
                )
            )
    for check in shown:
        if check.status == "passed":
            continue
        if section.status == "error" and check.status == "error":
            # The same exception as the section's own, already shown above.
            lines.append(f"{indent}{_MARK[check.status]}: {check.title} (the error above)")
            continue
        lines.append(f"{indent}{_MARK[check.status]}: {check.title}")
        if check.feedback and check.feedback != section.feedback:
            for paragraph in check.feedback.splitlines():
                lines.extend(
                    textwrap.wrap(
                        paragraph,
                        width,
                        initial_indent=indent + "  ",
                        subsequent_indent=indent + "    ",
                    )
                )
    return lines

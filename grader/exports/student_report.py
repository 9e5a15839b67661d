"""Render a scorecard as the report a student reads at a glance. Hidden checks stay hidden."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from grader.scorecards import CheckScore, Scorecard, SectionScore
from grader.scoring import visible_status

__all__ = ["render_section_report", "render_student_report"]

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
    return "\n".join(lines) + "\n"


def render_section_report(section: SectionScore, *, title: str, width: int = 96) -> str:
    """The same report for one section alone (what the notebook's check cell prints)."""
    lines = [f"{title} - section {section.id}"]
    lines.extend(_totals(section.checks, where=" in this section"))
    lines.append("")
    lines.extend(_section_lines(section, width))
    return "\n".join(lines) + "\n"


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

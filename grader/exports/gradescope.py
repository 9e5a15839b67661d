"""Render a Scorecard as Gradescope's results.json."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, get_args

from grader.schemas import schema_errors
from grader.scorecards import CheckScore, Scorecard, SectionScore, points
from grader.scoring import visible_status
from grader.terminal import strip_ansi

GradescopeVisibility = Literal["hidden", "after_due_date", "after_published", "visible"]
VISIBILITIES: tuple[GradescopeVisibility, ...] = get_args(GradescopeVisibility)
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "gradescope.schema.json"

_MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "timeout": "TIMEOUT"}
_HIDDEN_WHEN: dict[GradescopeVisibility, str] = {
    "hidden": "their results are not shown to students",
    "after_due_date": "their results are shown after the due date",
    "after_published": "their results are shown when grades are published",
    "visible": "their results are listed with the others",
}


def results_validation_errors(document: object) -> list[str]:
    """Every way `document` breaks Gradescope's results.json specification."""
    return schema_errors(SCHEMA_PATH, document)


def render_results(
    card: Scorecard,
    *,
    title: str,
    hidden_visibility: GradescopeVisibility = "after_published",
    notes: Sequence[str] = (),
) -> dict[str, object]:
    """The results.json document: one test per check, the total equal to the scorecard's score."""
    tests = [
        _test(section, check, hidden_visibility=hidden_visibility)
        for section in card.sections
        for check in section.checks
    ]
    return {
        "score": points(card.score),
        "execution_time": round(card.duration_s, 2),
        "output": _summary(card, title=title, hidden_visibility=hidden_visibility, notes=notes),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "assignment": card.assignment,
            "student": card.student,
            "submission": {"path": card.submission.path, "sha256": card.submission.sha256},
            "max_score": points(card.max_score),
            "environment": dict(card.environment),
            "sections": {s.id: s.status for s in card.sections},
        },
    }


def render_failure_results(message: str, *, execution_time: float = 0.0) -> dict[str, object]:
    """A results.json for an upload with nothing to grade: score 0 and what to do."""
    return {
        "score": 0,
        "execution_time": round(execution_time, 2),
        "output": message,
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def _test(
    section: SectionScore, check: CheckScore, *, hidden_visibility: GradescopeVisibility
) -> dict[str, object]:
    if check.status == "passed":
        output = "Passed."
    else:
        output = check.feedback or section.feedback or f"Status: {check.status}."
    return {
        "name": f"{section.id} {check.title}",
        "number": check.id,
        "score": points(check.score),
        "max_score": points(check.max_score),
        "status": "passed" if check.status == "passed" else "failed",
        "output": strip_ansi(output),
        "tags": [f"section {section.id}", check.visibility],
        "visibility": hidden_visibility if check.visibility == "hidden" else "visible",
    }


def _summary(
    card: Scorecard,
    *,
    title: str,
    hidden_visibility: GradescopeVisibility,
    notes: Sequence[str],
    width: int = 96,
) -> str:
    visible = [c for s in card.sections for c in s.checks if c.visibility == "visible"]
    hidden = [c for s in card.sections for c in s.checks if c.visibility == "hidden"]
    lines = [
        f"{title}: {card.submission.path}",
        f"Visible checks: {sum(c.score for c in visible):g}/{sum(c.max_score for c in visible):g} "
        f"points, {sum(c.status == 'passed' for c in visible)}/{len(visible)} passed.",
    ]
    if hidden:
        lines.append(
            f"Hidden checks: {len(hidden)} more, worth {sum(c.max_score for c in hidden):g} "
            f"points; they try your code on other inputs, and {_HIDDEN_WHEN[hidden_visibility]}."
        )
    lines.append("")
    for section in card.sections:
        shown = [c for c in section.checks if c.visibility == "visible"]
        status = visible_status(section)
        mark = _MARK.get(status, "NOT RUN")
        lines.append(
            f"[{mark}] {section.id} {section.title} "
            f"({sum(c.score for c in shown):g}/{sum(c.max_score for c in shown):g})"
        )
        if status != "passed" and section.feedback:
            for paragraph in section.feedback.splitlines():
                lines.extend(
                    textwrap.wrap(
                        paragraph, width, initial_indent="    ", subsequent_indent="      "
                    )
                )
    extra = [*notes, *card.errors]
    if extra:
        lines.append("")
        for note in extra:
            lines.extend(textwrap.wrap(f"Note: {note}", width, subsequent_indent="  "))
    return strip_ansi("\n".join(lines) + "\n")

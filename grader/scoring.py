"""Turn an assignment spec, section harvests and check results into section scores. All policy is here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from grader.assignment import Assignment
from grader.checks.results import CheckResult
from grader.run.decode import SectionHarvest
from grader.scorecards import CheckScore, SectionScore
from grader.status import Status

#: What a withheld check says: it is hidden and not in this copy of the assignment.
WITHHELD_FEEDBACK = "A hidden check: it runs when your work is graded."

_STATE_STATUS: dict[str, Status] = {
    "timeout": "timeout",
    "crashed": "error",
    "rejected": "error",
    "not_run": "not_run",
}


def score_sections(
    assignment: Assignment,
    *,
    harvests: Mapping[str, SectionHarvest],
    results: Mapping[str, CheckResult],
    notes: Mapping[str, Sequence[str]],
    not_run_reason: str = "",
) -> tuple[SectionScore, ...]:
    """Score every section of the spec, in spec order, whatever happened to the submission."""
    sections = []
    for spec in assignment.sections:
        harvest = harvests.get(spec.id)
        checks = []
        ran = []  # the checks that could run here: a withheld one never decides the status
        for check in assignment.checks_of(spec.id):
            if check.withheld:
                result = CheckResult(check.id, "not_run", WITHHELD_FEEDBACK)
            else:
                result = _result_for(check.id, harvest, results, not_run_reason)
            earned = check.points if result.status == "passed" else 0.0
            checks.append(
                CheckScore(
                    id=check.id,
                    title=check.title,
                    score=earned,
                    max_score=check.points,
                    status=result.status,
                    visibility=check.visibility,
                    feedback=result.feedback,
                )
            )
            if not check.withheld:
                ran.append(checks[-1])
        # A section with withheld checks only is judged by them: not run, or the error.
        status = _section_status(harvest, ran or checks)
        feedback = _section_feedback(harvest, notes.get(spec.id, ()), not_run_reason, status)
        sections.append(
            SectionScore(
                id=spec.id,
                title=spec.title,
                score=sum(c.score for c in checks),
                max_score=sum(c.max_score for c in checks),
                status=status,
                feedback=feedback,
                checks=tuple(checks),
            )
        )
    return tuple(sections)


def _result_for(
    check_id: str,
    harvest: SectionHarvest | None,
    results: Mapping[str, CheckResult],
    not_run_reason: str,
) -> CheckResult:
    if harvest is None:
        return CheckResult(check_id, "not_run", not_run_reason or "the section did not run")
    if harvest.state != "harvested":
        status = _STATE_STATUS.get(harvest.state, "not_run")
        return CheckResult(check_id, status, harvest.detail)
    return results.get(check_id) or CheckResult(check_id, "not_run", "the check did not run")


def _section_status(harvest: SectionHarvest | None, checks: Sequence[CheckScore]) -> Status:
    if harvest is None:
        return "not_run"
    if harvest.state != "harvested":
        return _STATE_STATUS.get(harvest.state, "not_run")
    if all(c.status == "passed" for c in checks):
        return "passed"
    if harvest.code_errors:  # the notebook itself raised (not just when a check called it)
        return "error"
    if all(c.status == "not_run" for c in checks):
        return "not_run"
    return "failed"


def _section_feedback(
    harvest: SectionHarvest | None, notes: Sequence[str], not_run_reason: str, status: Status
) -> str:
    lines: list[str] = []
    if harvest is None:
        lines.append(not_run_reason)
    elif harvest.state != "harvested":
        lines.append(harvest.detail)
    else:
        lines.extend(
            f"Your code raised {ce.error.describe(with_hint=True)}" for ce in harvest.code_errors
        )
    lines.extend(notes)
    if status == "passed" and not lines:
        return "All checks passed."
    return "\n".join(line for line in lines if line)


def visible_status(section: SectionScore) -> Status:
    """A section's status as a student sees it, counting only the checks they are shown.

    A section whose code raised, timed out or did not run says so; otherwise it passed when
    every visible check passed (a hidden check that failed is not revealed by the status).
    """
    shown = [c for c in section.checks if c.visibility == "visible"]
    if section.status in ("error", "timeout", "not_run") or not shown:
        return section.status
    return "passed" if all(c.status == "passed" for c in shown) else "failed"


def visible_passed(sections: Sequence[SectionScore]) -> bool:
    """Whether every visible check passed (what `check` exits 0 on)."""
    return all(
        c.status == "passed" for s in sections for c in s.checks if c.visibility == "visible"
    )

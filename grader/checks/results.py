"""Parse pytest-json-report's report into CheckResults. The only reader of that report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Status = Literal["passed", "failed", "error", "timeout", "not_run"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """How one check ended, and what to tell the student."""

    check_id: str
    status: Status
    feedback: str
    internal_error: str | None = None  # a bug in the check itself, for the instructor


def parse_report(report: Mapping[str, object]) -> dict[str, CheckResult]:
    """Return each check's result keyed by check id."""
    tests = report.get("tests", [])
    results: dict[str, CheckResult] = {}
    if not isinstance(tests, list):
        return results
    for test in tests:
        if not isinstance(test, dict):
            continue
        meta = test.get("metadata") or {}
        check_id = meta.get("check_id") if isinstance(meta, dict) else None
        if not check_id:
            continue
        kind = meta.get("kind")
        feedback = str(meta.get("feedback", "")).strip()
        outcome = test.get("outcome")
        if outcome == "passed" and kind is None:
            results[check_id] = CheckResult(check_id, "passed", "")
        elif kind == "failed":
            results[check_id] = CheckResult(check_id, "failed", feedback)
        elif kind == "student_error":
            results[check_id] = CheckResult(check_id, "error", feedback)
        elif kind == "skipped":
            results[check_id] = CheckResult(check_id, "not_run", feedback)
        else:
            results[check_id] = CheckResult(
                check_id,
                "error",
                "the grader could not run this check; your instructor has been told",
                internal_error=feedback or f"pytest outcome {outcome!r}",
            )
    return results

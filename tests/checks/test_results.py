"""Parsing pytest-json-report's report into one CheckResult per check id."""

from __future__ import annotations

import pytest

from grader.checks.results import CheckResult, parse_report
from grader.status import Status


def _test(outcome: str, **metadata: str) -> dict[str, object]:
    return {"nodeid": "checks/test_x.py::test_x", "outcome": outcome, "metadata": metadata}


def test_parse_report_passed_check() -> None:
    report = {"tests": [_test("passed", check_id="1.1/sport")]}
    assert parse_report(report) == {"1.1/sport": CheckResult("1.1/sport", "passed", "")}


@pytest.mark.parametrize(
    ("outcome", "kind", "status"),
    [
        ("failed", "failed", "failed"),
        ("failed", "student_error", "error"),
        ("error", "student_error", "error"),
        ("skipped", "skipped", "not_run"),
    ],
    ids=["failed", "student-error-in-call", "student-error-in-setup", "skipped"],
)
def test_parse_report_keeps_student_feedback(outcome: str, kind: str, status: Status) -> None:
    feedback = "  output shape is (None, 10), expected (None, 3): the Dense layer needs 3 units\n"
    report = {
        "tests": [_test(outcome, check_id="1.3.2/architecture", kind=kind, feedback=feedback)]
    }
    assert parse_report(report) == {
        "1.3.2/architecture": CheckResult("1.3.2/architecture", status, feedback.strip())
    }


def test_parse_report_internal_error_hides_details_from_student() -> None:
    report = {
        "tests": [
            _test(
                "failed",
                check_id="1.4/history",
                kind="internal",
                feedback="KeyError: 'history'",
            )
        ]
    }
    (result,) = parse_report(report).values()
    assert result.status == "error"
    assert "KeyError" not in result.feedback
    assert "your instructor has been told" in result.feedback
    assert result.internal_error == "KeyError: 'history'"


@pytest.mark.parametrize(
    "outcome", ["error", "failed", "xfailed"], ids=["error", "failed", "xfail"]
)
def test_parse_report_unlabelled_outcome_is_internal(outcome: str) -> None:
    (result,) = parse_report({"tests": [_test(outcome, check_id="1.1/sport")]}).values()
    assert result.status == "error"
    assert result.internal_error == f"pytest outcome {outcome!r}"


def test_parse_report_ignores_tests_without_check_id() -> None:
    report = {
        "tests": [
            {"nodeid": "a", "outcome": "passed"},
            {"nodeid": "b", "outcome": "passed", "metadata": None},
            _test("passed", check_id=""),
            "not a test",
            _test("passed", check_id="1.2/e-out"),
        ]
    }
    assert list(parse_report(report)) == ["1.2/e-out"]


@pytest.mark.parametrize(
    "report",
    [{}, {"tests": None}, {"tests": {"a": 1}}, {"summary": {"total": 0}, "tests": []}],
    ids=["no-tests", "null", "mapping", "empty"],
)
def test_parse_report_without_tests_is_empty(report: dict[str, object]) -> None:
    assert parse_report(report) == {}


def test_parse_report_keys_every_check_by_id() -> None:
    report = {
        "tests": [
            _test("passed", check_id="1.1/sport"),
            _test("failed", check_id="1.1/number", kind="failed", feedback="not a float"),
            _test("skipped", check_id="1.2/e-out", kind="skipped", feedback="not harvested"),
        ]
    }
    assert {k: r.status for k, r in parse_report(report).items()} == {
        "1.1/sport": "passed",
        "1.1/number": "failed",
        "1.2/e-out": "not_run",
    }

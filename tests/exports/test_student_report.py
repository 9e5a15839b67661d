"""What a student sees of a scorecard, as a report or as JSON: hidden checks as counts only."""

from __future__ import annotations

import json

from grader.exports.student_report import (
    render_student_report,
    render_student_view,
    student_view_errors,
)
from tests.exports.cards import make_card

SECRET = "expected (7, 3) on the unseen input of width 7"


def _card_failing_hidden_checks():
    return make_card(
        failed={"1.1/images-zeros": SECRET, "1.2/func-unseen": SECRET, "1.2/func-handout": "off"}
    )


def test_student_view_is_valid_and_counts_hidden_checks() -> None:
    view = render_student_view(_card_failing_hidden_checks())
    assert student_view_errors(view) == []
    assert view["visible"] == {"score": 2, "max_score": 4.5, "checks": 2, "passed": 1}
    assert view["hidden"] == {"checks": 2, "max_score": 5.5}
    sections = {s["id"]: s for s in view["sections"]}  # type: ignore[attr-defined]
    assert sections["1.1"]["hidden"] == {"checks": 1, "max_score": 3}
    assert sections["1.1"]["status"] == "passed"  # its only visible check passed
    assert (sections["1.1"]["score"], sections["1.1"]["max_score"]) == (2, 2)
    assert [c["id"] for c in sections["1.2"]["checks"]] == ["1.2/func-handout"]


def test_student_view_reveals_nothing_of_hidden_checks() -> None:
    text = json.dumps(render_student_view(_card_failing_hidden_checks()))
    for secret in (SECRET, "images-zeros", "func-unseen", "`images` is all zeros", "unseen inputs"):
        assert secret not in text


def test_student_report_reveals_nothing_of_hidden_checks() -> None:
    report = render_student_report(_card_failing_hidden_checks(), title="Lab")
    assert "Hidden checks: 2 more, worth 5.5 points" in report
    for secret in (SECRET, "images-zeros", "func-unseen", "`images` is all zeros"):
        assert secret not in report


def test_student_report_escapes_terminal_controls() -> None:
    card = make_card(
        file="evil\x1b]0;x\x07.ipynb",
        failed={"1.2/func-handout": "found \x1b[2J\x9b1A\rPASS"},
        errors=["note \x08\x08\x08"],
    )
    report = render_student_report(card, title="Lab")
    assert not any(ch in report for ch in "\x1b\x07\x9b\r\x08")
    assert "found \\x1b[2J\\x9b1A\n" in report  # a carriage return starts a new line
    assert "evil\\x1b]0;x\\x07.ipynb" in report

"""Feedback pages handed back to students: what they show, what they hide, how they are named."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from grader.adjust import LatePolicy, Override, Policy, adjust
from grader.exports.feedback import (
    feedback_filename,
    render_feedback_page,
    render_feedback_pages,
)
from grader.scorecards import Scorecard
from tests.exports.browser import browse, needs_chromium
from tests.exports.cards import make_card

TITLE = "Intro to TensorFlow (Lab 1, Part 1)"
HOSTILE = "func returned <script>alert(1)</script> \x1b[2J\x1b]0;pwned\x07 and \u202etxt.exe"


def _canvas_rule(filename: str) -> tuple[str, str]:
    """What Canvas's Re-Upload Submissions reads from a name: the first two all-digit parts."""
    user_id, attachment_id = [part for part in filename.split("_") if part.isdigit()][:2]
    return user_id, attachment_id


def _bob() -> Scorecard:
    return make_card(
        "doejane_12345",
        file="doejane_LATE_12345_67890_lab1.ipynb",
        failed={"1.2/func-handout": HOSTILE, "1.2/func-unseen": "func(7, 3) is 1, expected 20"},
    )


def _policy() -> Policy:
    return Policy(
        overrides=(
            Override(1, "doejane_12345", "check", "1.2/func-unseen", 2.5,
                     "Your func is right on tensors; the check fed it a list", "TA Kim"),
        ),
        late=LatePolicy(per_day=10, days={"doejane_12345": 2}),
        source="overrides.toml",
    )  # fmt: skip


def _page(release_hidden: bool = False) -> str:
    (result,) = adjust([_bob()], _policy()).results
    return render_feedback_page(result, title=TITLE, release_hidden=release_hidden)


def test_feedback_filename_canvas_reupload_can_match_it() -> None:
    name = feedback_filename(_bob())
    assert name == "doejane_12345_67890_feedback.html"
    assert _canvas_rule(name) == ("12345", "67890")  # user id, then the submitted file's id
    resubmitted = make_card("doejane_12345", file="doejane_12345_99001_lab1-2.ipynb")
    assert feedback_filename(resubmitted) == "doejane_12345_99001_feedback.html"


def test_feedback_filename_without_canvas_name_is_the_student_id() -> None:
    assert feedback_filename(make_card("alice")) == "alice_feedback.html"


def test_feedback_page_shows_score_overrides_and_late_penalty() -> None:
    page = _page()
    # 5 graded (both 1.2 checks failed), +2.5 by the override, -20% of 10 for two days late
    assert "Your score: 5.5 / 10" in page
    assert "Points the grader gave" in page
    assert "Your func is right on tensors; the check fed it a list" in page
    assert "TA Kim" in page
    assert "Late penalty: 2 days late, 20% of the points" in page


def test_feedback_page_counts_hidden_checks_without_naming_them() -> None:
    page = _page()
    assert "Hidden checks: 1 in this section, 0 passed, 2.5 of 2.5 points." in page  # overridden
    assert "func-unseen" not in page
    assert "func(7, 3)" not in page  # a hidden check's feedback stays hidden
    assert "a hidden check of section 1.2" in page  # the override, without the check's name
    assert "`images` is all zeros" not in page


def test_feedback_page_release_hidden_names_them() -> None:
    page = _page(release_hidden=True)
    assert "1.2/func-unseen" in page
    assert "func(7, 3) is 1, expected 20" in page
    assert "Hidden checks:" not in page
    assert "released" in page


def test_feedback_page_escapes_student_text() -> None:
    page = _page()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\x1b" not in page
    assert "\\x1b[2J" in page  # the escape made visible, not obeyed
    assert "\u202e" not in page
    assert "\\u202etxt.exe" in page


def test_feedback_pages_one_per_canvas_user_and_none_for_grader_failures() -> None:
    cards = [
        make_card("doejane_12345", file="doejane_12345_100_lab1.ipynb"),
        make_card("doejane_12345-2", file="doejane_12345_250_lab1-1.ipynb"),
        dataclasses.replace(make_card("broken"), grader_failure="sandbox did not start"),
        make_card("alice"),
    ]
    pages, notes = render_feedback_pages(adjust(cards), title=TITLE)
    assert sorted(p.filename for p in pages) == [
        "alice_feedback.html",
        "doejane_12345_250_feedback.html",  # the latest upload only
    ]
    assert [p.canvas for p in sorted(pages, key=lambda p: p.filename)] == [False, True]
    assert any("used the latest upload" in n for n in notes)
    assert any("grader failure" in n and "broken" in n for n in notes)


@needs_chromium
def test_feedback_page_in_headless_chromium(tmp_path: Path) -> None:
    shown = browse(_page(), tmp_path, name="doejane_12345_67890_feedback.html")
    text = str(shown["text"])
    for expected in (
        TITLE,
        "Feedback for doejane_12345 on doejane_LATE_12345_67890_lab1.ipynb",
        "Your score: 5.5 / 10",
        "1.1 Tensors",
        "1.2 Computations",
        "`func` on the handout's inputs",
        "Why a hidden check of section 1.2 changed (TA Kim): Your func is right on tensors",
        "Late penalty: 2 days late, 20% of the points",
        "Hidden checks: 1 in this section",
        "func returned <script>alert(1)</script> \\x1b[2J",  # shown as text
    ):
        assert expected in text, expected
    assert "func-unseen" not in text
    assert shown["scripts"] == 0  # the student's <script> is text, not a script
    assert shown["resources"] == []  # self-contained
    assert shown["title"] == f"{TITLE}: feedback for doejane_12345"

"""The class report: what it says, that it needs nothing but itself, and what a browser shows."""

from __future__ import annotations

import base64
import dataclasses
import html
import importlib.util
import re
import sys
from pathlib import Path

import pytest

from grader.adjust import AdjustedClass, LatePolicy, Override, Policy, adjust
from grader.exports.class_report import feedback_groups, render_report
from grader.exports.similarity import Code, SimilarityOptions, SimilarityResult, find_similar
from grader.intake.tamper import Lead
from grader.scorecards import Integrity, Scorecard
from tests.exports.browser import browse, needs_chromium
from tests.exports.cards import make_card

HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
needs_matplotlib = pytest.mark.skipif(
    not HAS_MATPLOTLIB, reason="matplotlib is not installed (`pip install matplotlib`)"
)

COPIED = """\
def descend(goal, steps=500, rate=1e-2):
    trail = []
    guess = tf.Variable([tf.random.normal([1])])
    for step in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(guess - goal))
        slope = tape.gradient(loss, guess)
        guess.assign_sub(rate * slope)
        trail.append(guess.numpy().ravel()[0])
    return guess, trail
"""


def _code(name: str, text: str) -> Code:
    lines = tuple(text.splitlines())
    return Code(name, lines, tuple(f"cell 9, line {n}" for n in range(1, len(lines) + 1)))


def _class() -> list[Scorecard]:
    return [
        make_card("alice", duration_s=2.0),
        make_card(
            "bob",
            failed={"1.2/func-handout": "func(1.5, 2.5) returned 4.0, expected 6.0"},
            duration_s=9.5,
        ),
        make_card(
            "carol",
            failed={"1.2/func-handout": "func(1.5, 2.5) returned 5.25, expected 6.0"},
            statuses={"1.1/rank": "timeout"},
            section_feedback={
                "1.1": "Timed out: section 1.1 ran longer than 60 s and was stopped."
            },
            duration_s=61.0,
        ),
        make_card(
            "dave<script>",
            file="dave_LATE_7_800_lab1.ipynb",
            failed={"1.1/rank": "rank is <b>1</b>"},
            errors=["warning: the file is not valid UTF-8"],
        ),
    ]


def _similar() -> SimilarityResult:
    renamed = COPIED.replace("guess", "g").replace("trail", "hist").replace("500", "900")
    codes = [_code("alice", COPIED), _code("bob", renamed), _code("carol", "x = 1\n")]
    return find_similar(codes, options=SimilarityOptions(min_tokens=20))


def _page(plots: bool = True) -> str:
    similarity = _similar()
    return render_report(
        adjust(_class()),
        title="Intro to TensorFlow",
        generated_at="2026-01-01T00:00:00+00:00",
        similarity=similarity,
        plots=plots,
    )


def test_report_feedback_groups_fold_numbers_and_count_students() -> None:
    groups = feedback_groups(_class())
    top = groups[0]
    assert top.students == 2  # bob's 4.0 and carol's 5.25 are one message
    assert top.where == ("1.2/func-handout",)
    assert top.example.startswith("func(1.5, 2.5) returned")


def test_report_lists_sections_checks_slowest_and_late() -> None:
    page = _page(plots=False)
    for text in ("Score distribution", "Pass rate per section", "Pass rate per check",
                 "Most frequent feedback", "Slowest submissions", "1.2/func-handout",
                 "61.0 s", "late (Canvas)"):  # fmt: skip
        assert text in page
    slowest = page.index('id="slowest"')
    assert page.index("carol", slowest) < page.index("bob", slowest) < page.index("alice", slowest)


def test_report_escapes_what_students_wrote() -> None:
    page = _page(plots=False)
    assert "dave&lt;script&gt;" in page
    assert "rank is &lt;b&gt;1&lt;/b&gt;" in page
    assert "<script>" not in page


def test_report_is_self_contained() -> None:
    page = _page()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "<link" not in page
    assert "<script" not in page
    assert "@import" not in page


def test_report_similar_section_is_a_lead_not_a_verdict() -> None:
    page = _page(plots=False)
    assert "lead for a human, not a verdict" in page
    assert "alice and bob" in page
    assert "def descend(goal, steps=500, rate=1e-2):" in page  # alice's side, as she wrote it
    assert "g = tf.Variable([tf.random.normal([1])])" in page  # bob's side


def test_report_similarity_not_computed_says_how() -> None:
    page = render_report(
        adjust(_class()),
        title="Lab",
        generated_at="now",
        similarity=None,
        similarity_note="pass --submissions with the folder that `batch` graded",
        plots=False,
    )
    assert "Not computed: pass --submissions" in page


@needs_matplotlib
def test_report_plots_are_inline_png() -> None:
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', _page())
    assert len(images) == 3
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)


def test_report_without_matplotlib_degrades_to_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import now raises ImportError
    page = _page()
    assert "<img" not in page
    assert "matplotlib is not installed" in page
    assert "pip install matplotlib" in page
    assert "Pass rate per check" in page


@needs_chromium
def test_report_in_headless_chromium_shows_everything(tmp_path: Path) -> None:
    shown = browse(_page(), tmp_path)
    text = str(shown["text"])
    for expected in ("Class report: Intro to TensorFlow", "Score distribution",
                     "Pass rate per section", "Pass rate per check", "Most frequent feedback",
                     "Slowest submissions", "Similar submissions",
                     "This is a lead for a human, not a verdict.", "alice and bob",
                     "func(1.5, 2.5) returned 4.0, expected 6.0", "dave<script>"):  # fmt: skip
        assert expected in text, expected
    # Student-written markup is shown as text, never run or rendered.
    assert "rank is <b>1</b>" in text
    assert shown["resources"] == []  # nothing was fetched
    images = shown["images"]
    assert isinstance(images, list)
    if HAS_MATPLOTLIB:
        assert [i["alt"] for i in images] == [
            "histogram of total scores",
            "pass rate per section",
            "pass rate per check",
        ]
        assert all(i["width"] > 100 and i["shown"] > 100 for i in images)  # decoded and laid out


@needs_chromium
def test_report_in_headless_chromium_evidence_side_by_side(tmp_path: Path) -> None:
    shown = browse(_page(plots=False), tmp_path)
    text = str(shown["text"])
    # Both sides of the pair appear, each labelled with where the passage is in the file.
    assert "alice: cell 9, line 1 to cell 9, line 10" in text
    assert "bob: cell 9, line 1 to cell 9, line 10" in text
    assert "trail.append(guess.numpy().ravel()[0])" in text
    assert "hist.append(g.numpy().ravel()[0])" in text


LONG_HINT = (
    "Your layer's output does not match sigmoid(xW + b) computed from its own weights: "
    + "check the shapes of W and b and that call() uses both of them, " * 12
    + "and do not forget the bias"
)


def _adjusted() -> AdjustedClass:
    cards = [*_class(), make_card("erin", failed={"1.1/rank": LONG_HINT})]
    policy = Policy(
        overrides=(
            Override(1, "bob", "check", "1.2/func-handout", 2.5, "regrade: dtype <b>mix-up</b>", "TA Kim"),
            Override(2, "zed", "section", "1.1", 5, "typo in the id", "TA Kim"),
        ),
        late=LatePolicy(per_day=10),
        source="scorecards/overrides.toml",
    )  # fmt: skip
    return adjust(cards, policy)


def _term_page(links: dict[str, str] | None = None) -> str:
    return render_report(
        _adjusted(),
        title="Intro to TensorFlow",
        generated_at="now",
        similarity=None,
        plots=False,
        feedback_links=links,
    )


def _students_rows(page: str) -> dict[str, str]:
    table = page[page.index('<table class="students">') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr><td>(.*?)</td>(.*?)</tr>", table)
    return {html.unescape(name.split("<br>")[0]): name + cells for name, cells in rows}


def test_report_students_table_has_score_late_overrides_and_sections() -> None:
    rows = _students_rows(_term_page())
    assert list(rows) == ["alice", "bob", "carol", "dave<script>", "erin"]
    assert "10 / 10" in rows["bob"]  # 7.5 graded + 2.5 override
    assert '<td class="num">7.5</td>' in rows["bob"]  # graded
    assert "1.2/func-handout: 0 → 2.5" in rows["bob"]
    assert "yes, -1 (1 day)" in rows["dave<script>"]  # 10% of 10, from Canvas's late flag
    assert '<span class="st-failed">failed</span><br>3/5' in rows["dave<script>"]
    assert '<span class="st-timeout">timeout</span>' in rows["carol"]


def test_report_students_table_links_feedback_pages() -> None:
    rows = _students_rows(_term_page({"bob": "feedback/bob_feedback.html"}))
    assert '<a href="feedback/bob_feedback.html">feedback page</a>' in rows["bob"]
    assert "<a " not in rows["alice"]


def test_report_feedback_says_who_got_each_message() -> None:
    groups = feedback_groups(_class())
    assert groups[0].who == ("bob", "carol")
    page = _page(plots=False)
    feedback = page[page.index('id="feedback"') :]
    assert "<td>bob, carol</td>" in feedback[: feedback.index("</table>")]


def test_report_messages_are_cut_at_a_word_boundary() -> None:
    page = _term_page()
    feedback = page[page.index('id="feedback"') : page.index('id="adjustments"')]
    (shown,) = [html.unescape(m) for m in re.findall(r'"message">(Your layer.*?)</span>', feedback)]
    assert shown.endswith("…")
    assert len(shown) <= 600
    last_word = shown[:-1].split()[-1]
    assert last_word in LONG_HINT.split()  # a whole word, never "the bia"


def test_report_adjustments_list_overrides_policy_and_what_did_not_apply() -> None:
    page = _term_page()
    section = page[page.index('id="adjustments"') : page.index('id="slowest"')]
    assert "regrade: dtype &lt;b&gt;mix-up&lt;/b&gt;" in section
    assert "10% of the points per day" in section
    assert "override 2 (zed, 1.1) not applied: there is no scorecard for student" in section


@needs_chromium
def test_report_in_headless_chromium_navigation_matches_headings(tmp_path: Path) -> None:
    (tmp_path / "feedback").mkdir()
    (tmp_path / "feedback" / "bob_feedback.html").write_text("<p>bob</p>")
    shown = browse(_term_page({"bob": "feedback/bob_feedback.html"}), tmp_path)
    nav, headings = shown["nav"], shown["headings"]
    assert isinstance(nav, list)
    assert isinstance(headings, list)
    assert [a["text"] for a in nav] == [h["text"] for h in headings]
    assert [a["href"] for a in nav] == [f"#{h['id']}" for h in headings]
    assert "Students" in [h["text"] for h in headings]
    links = shown["links"]
    assert isinstance(links, list)
    (page_link,) = [a for a in links if a["text"] == "feedback page"]
    assert Path(page_link["resolved"].removeprefix("file://")).is_file()  # the link works
    text = str(shown["text"])
    assert "bob, carol" in text
    assert "regrade: dtype <b>mix-up</b>" in text


def test_report_needs_review_lists_leads_and_protocol_violations() -> None:
    cards = _class()
    cards[1] = dataclasses.replace(
        cards[1],
        integrity=Integrity(
            leads=(Lead("section 1.1, line 40", "gc.get_objects(...)", "walks every object"),),
        ),
    )
    cards[2] = dataclasses.replace(
        cards[2], integrity=Integrity(violation="a message that did not come from the harvest")
    )
    page = render_report(
        adjust(cards), title="Lab", generated_at="2026-01-01T00:00:00+00:00", similarity=None
    )
    review = page[page.index('id="review"') : page.index('id="similar"')]
    assert "leads for a human, not verdicts" in review
    assert "bob" in review
    assert "section 1.1, line 40" in review
    assert "gc.get_objects(...)" in review
    assert "carol" in review
    assert "did not come from the harvest" in review
    assert "alice" not in review

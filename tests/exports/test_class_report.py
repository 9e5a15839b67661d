"""The class report: what it says, that it needs nothing but itself, and what a browser shows."""

from __future__ import annotations

import base64
import html
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.exports.class_report import feedback_groups, render_report
from grader.exports.similarity import Code, SimilarityOptions, SimilarityResult, find_similar
from grader.scorecards import Scorecard
from tests.exports.cards import make_card

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (`apt-get install chromium`; .ci/run installs it)",
)
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
            file="dave_LATE_7_8_lab1.ipynb",
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
        _class(),
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
        _class(),
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


_PROBE = """<script>
window.addEventListener("load", function () {
  var out = {
    text: document.body.innerText,
    images: Array.from(document.images).map(function (i) {
      return {alt: i.alt, width: i.naturalWidth, shown: i.getBoundingClientRect().width};
    }),
    resources: performance.getEntriesByType("resource").map(function (e) { return e.name; })
  };
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def _browse(page: str, tmp_path: Path) -> dict[str, object]:
    """Open `page` in headless Chromium, offline, and return what it shows (text, images)."""
    # The probe is added to a copy: it reads the rendered page, then the DOM is dumped.
    path = tmp_path / "probe.html"
    path.write_text(page.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    assert CHROMIUM is not None
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--host-resolver-rules=MAP * ~NOTFOUND",  # no network: the page must not need it
         "--virtual-time-budget=10000", "--dump-dom", path.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.DOTALL)
    assert found, f"Chromium showed no page: {result.stderr[-2000:]}"
    shown: dict[str, object] = json.loads(html.unescape(found.group(1)))
    return shown


@needs_chromium
def test_report_in_headless_chromium_shows_everything(tmp_path: Path) -> None:
    shown = _browse(_page(), tmp_path)
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
    shown = _browse(_page(plots=False), tmp_path)
    text = str(shown["text"])
    # Both sides of the pair appear, each labelled with where the passage is in the file.
    assert "alice: cell 9, line 1 to cell 9, line 10" in text
    assert "bob: cell 9, line 1 to cell 9, line 10" in text
    assert "trail.append(guess.numpy().ravel()[0])" in text
    assert "hist.append(g.numpy().ravel()[0])" in text

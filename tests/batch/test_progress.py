"""What a batch shows while it runs: why the first seconds pass, what was skipped, where results are."""

from __future__ import annotations

import io
from pathlib import Path

from grader.adjust import adjust
from grader.batch.progress import BatchProgress
from grader.intake.files import Found
from tests.exports.cards import make_card


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(stream: io.StringIO, *, quiet: bool = False) -> str:
    cards = [make_card("alice"), make_card("bob", failed={"1.1/rank": "x"}), make_card("carol")]
    with BatchProgress(3, stream=stream, quiet=quiet) as progress:
        progress.skipped(cards[:1])
        progress.starting(2)
        for done, card in enumerate(cards[1:], start=2):
            progress.update(done, Found(Path(f"{card.student}.py"), card.student), card)
    progress.summary(adjust(cards), out="scorecards")
    return stream.getvalue()


def test_progress_lines_say_what_happens_before_results() -> None:
    lines = _run(io.StringIO()).splitlines()
    assert lines[:4] == [
        "skipped 1 already graded (--resume keeps their scorecards)",
        "starting 2 sandboxes: importing TensorFlow",
        "[2/3] bob: 8/10 (1.0 s)",
        "[3/3] carol: 10/10 (1.0 s)",
    ]


def test_progress_summary_ends_with_where_the_results_are() -> None:
    text = _run(io.StringIO())
    assert "3 submissions: 2 graded in" in text
    assert "1 skipped (already graded)" in text
    assert text.splitlines()[-2:] == [
        "Per-student results: scorecards/<student>.json (3 scorecards); "
        "class table: scorecards/summary.csv",
        "Next: grade.py report --scorecards scorecards --out report.html, or "
        "grade.py export feedback --scorecards scorecards --out feedback",
    ]


def test_progress_live_bar_names_the_start_up_at_once() -> None:
    text = _run(_Terminal())
    assert "starting 2 sandboxes: importing TensorFlow" in text
    assert "skipped 1 already graded" in text
    assert "Per-student results: scorecards/<student>.json" in text


def test_progress_quiet_prints_nothing() -> None:
    assert _run(io.StringIO(), quiet=True) == ""

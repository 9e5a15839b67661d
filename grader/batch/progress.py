"""Show a batch's progress (a live bar on a terminal, one line per submission elsewhere) and its summary."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from grader.adjust import AdjustedClass
from grader.intake.files import Found
from grader.scorecards import Scorecard
from grader.status import STATUSES as _STATUSES

_TROUBLE = ("timeout", "not_run")


class BatchProgress:
    """Follow a batch: call `update` for every scorecard, then leave the `with` block.

    `starting` and `skipped` say what happens before the first result: sandboxes starting (each
    imports TensorFlow, which takes seconds) and submissions `--resume` does not grade again.
    """

    def __init__(self, total: int, *, stream: TextIO, quiet: bool = False) -> None:
        self.total = total
        self.quiet = quiet
        self.console = Console(file=stream, highlight=False, soft_wrap=True)
        if not self.console.is_terminal:
            self.console = Console(file=stream, highlight=False, soft_wrap=True, width=110)
        self.live = not quiet and self.console.is_terminal
        self.troubled = 0
        self.skipped_count = 0
        self.graded = 0
        self.started = time.monotonic()
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),  # ticks from the first second: the batch is alive
            TimeRemainingColumn(),
            TextColumn("{task.fields[trouble]}"),
            console=self.console,
            transient=True,
        )
        self._task = self._bar.add_task("preparing", total=total, rate="", trouble="")

    def __enter__(self) -> BatchProgress:
        if self.live:
            self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.live:
            self._bar.stop()

    def status(self, text: str) -> None:
        """Say what the batch is doing now, before results come in."""
        if self.quiet:
            return
        if self.live:
            self._bar.update(self._task, description=text, refresh=True)  # now, not in 0.1 s
        else:
            self.console.print(text)

    def starting(self, sandboxes: int) -> None:
        """Sandboxes are starting: the first seconds go to importing TensorFlow in each."""
        plural = "es" if sandboxes != 1 else ""
        self.status(f"starting {sandboxes} sandbox{plural}: importing TensorFlow")

    def skipped(self, cards: Sequence[Scorecard]) -> None:
        """`--resume` kept these scorecards: they count as done, and are not graded again."""
        self.skipped_count += len(cards)
        if self.quiet:
            return
        text = f"skipped {len(cards)} already graded (--resume keeps their scorecards)"
        if self.live:
            self._bar.console.print(text)
            self._bar.update(self._task, completed=self.skipped_count, refresh=True)
        else:
            self.console.print(text)

    def update(self, done: int, item: Found, card: Scorecard) -> None:
        self.graded += 1
        if _troubled(card):
            self.troubled += 1
        if self.quiet:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        if self.live:
            self._bar.update(
                self._task,
                description="grading",
                completed=done,
                rate=f"{self.graded / elapsed:.2f}/s",
                trouble=f"{self.troubled} with timeouts or grader failures"
                if self.troubled
                else "",
            )
        else:
            self.console.print(
                f"[{done}/{self.total}] {item.student}: {card.score:g}/{card.max_score:g} "
                f"({card.duration_s:.1f} s)"
            )

    def summary(self, adjusted: AdjustedClass, *, out: str) -> None:
        """The closing table (section pass rates and means), then where the results are."""
        results = adjusted.results
        if self.quiet or not results:
            return
        cards = [r.card for r in results]
        done = f"{self.graded} graded in {time.monotonic() - self.started:.1f} s"
        if self.skipped_count:
            done += f", {self.skipped_count} skipped (already graded)"
        table = Table(title=f"{len(cards)} submissions: {done}")
        table.add_column("section")
        table.add_column("mean", justify="right")
        for status in _STATUSES:
            table.add_column(status, justify="right")
        for i, section in enumerate(cards[0].sections):
            counts = Counter(c.sections[i].status for c in cards if len(c.sections) > i)
            mean = sum(r.section_scores.get(section.id, 0.0) for r in results) / len(results)
            table.add_row(
                f"{section.id} {section.title}",
                f"{mean:.1f}/{section.max_score:g}",
                *(str(counts.get(s, 0)) for s in _STATUSES),
            )
        mean_total = sum(r.score for r in results) / len(results)
        table.add_row(
            "total",
            f"{mean_total:.1f}/{cards[0].max_score:g}",
            *([""] * len(_STATUSES)),
            end_section=True,
        )
        self.console.print(table)
        failures = sum(1 for c in cards if c.grader_failure is not None)
        if failures:
            self.console.print(
                f"{failures} submissions could not be graded (see their scorecards' errors); "
                "run the batch again with --resume to grade only those."
            )
        adjusted_count = sum(1 for r in results if r.changed)
        if adjusted.policy.source:
            self.console.print(
                f"Means and summary.csv apply {adjusted.policy.source} "
                f"({adjusted_count} student(s) adjusted)."
            )
        self.console.print(
            f"Per-student results: {out}/<student>.json ({len(cards)} scorecards); "
            f"class table: {out}/summary.csv"
        )
        self.console.print(
            f"Next: grade.py report --scorecards {out} --out report.html, or "
            f"grade.py export feedback --scorecards {out} --out feedback"
        )


def _troubled(card: Scorecard) -> bool:
    return card.grader_failure is not None or any(s.status in _TROUBLE for s in card.sections)

"""Show a batch's progress (a live bar on a terminal, one line per submission elsewhere) and its summary."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from grader.intake.files import Found
from grader.scorecards import Scorecard

_TROUBLE = ("timeout", "not_run")


class BatchProgress:
    """Follow a batch: call `update` for every scorecard, then leave the `with` block."""

    def __init__(self, total: int, *, stream: TextIO, quiet: bool = False) -> None:
        self.total = total
        self.quiet = quiet
        self.console = Console(file=stream, highlight=False, soft_wrap=True)
        if not self.console.is_terminal:
            self.console = Console(file=stream, highlight=False, soft_wrap=True, width=110)
        self.live = not quiet and self.console.is_terminal
        self.troubled = 0
        self.started = time.monotonic()
        self._bar = Progress(
            TextColumn("grading"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[trouble]}"),
            console=self.console,
            transient=True,
        )
        self._task = self._bar.add_task("grading", total=total, rate="", trouble="")

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

    def skipped(self, count: int) -> None:
        """`--resume` found `count` submissions already graded: say so once, count them done."""
        if self.quiet:
            return
        self.console.print(f"skipped {count} already graded")
        if self.live:
            self._bar.update(self._task, completed=count)

    def update(self, done: int, item: Found, card: Scorecard) -> None:
        if _troubled(card):
            self.troubled += 1
        if self.quiet:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        if self.live:
            self._bar.update(
                self._task,
                completed=done,
                rate=f"{done / elapsed:.2f}/s",
                trouble=f"{self.troubled} with timeouts or grader failures"
                if self.troubled
                else "",
            )
        else:
            self.console.print(
                f"[{done}/{self.total}] {item.student}: {card.score:g}/{card.max_score:g} "
                f"({card.duration_s:.1f} s)"
            )

    def summary(self, cards: Sequence[Scorecard], *, out: str) -> None:
        """The closing table: per-section pass rates and mean scores, then totals."""
        if self.quiet or not cards:
            return
        table = Table(
            title=f"{len(cards)} submissions graded in {time.monotonic() - self.started:.1f} s"
        )
        table.add_column("section")
        table.add_column("mean", justify="right")
        for status in ("passed", "failed", "error", "timeout", "not_run"):
            table.add_column(status, justify="right")
        for i, section in enumerate(cards[0].sections):
            counts = Counter(c.sections[i].status for c in cards)
            mean = sum(c.sections[i].score for c in cards) / len(cards)
            table.add_row(
                f"{section.id} {section.title}",
                f"{mean:.1f}/{section.max_score:g}",
                *(
                    str(counts.get(s, 0))
                    for s in ("passed", "failed", "error", "timeout", "not_run")
                ),
            )
        mean_total = sum(c.score for c in cards) / len(cards)
        table.add_row(
            "total",
            f"{mean_total:.1f}/{cards[0].max_score:g}",
            "",
            "",
            "",
            "",
            "",
            end_section=True,
        )
        self.console.print(table)
        failures = sum(1 for c in cards if c.grader_failure is not None)
        if failures:
            self.console.print(
                f"{failures} submissions could not be graded (see their scorecards' errors)."
            )
        self.console.print(f"Scorecards and summary.csv are in {out}")


def _troubled(card: Scorecard) -> bool:
    return card.grader_failure is not None or any(s.status in _TROUBLE for s in card.sections)

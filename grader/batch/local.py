"""Grade many submissions with a pool of warm sandboxes, writing each scorecard as it is done."""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path

from grader.assignment import Assignment
from grader.config import GraderConfig
from grader.errors import GraderError, SandboxError
from grader.grading import grade_submission, grader_failure
from grader.intake.files import Found
from grader.intake.submission import read_bounded
from grader.run.sandbox import Sandbox
from grader.scorecards import Scorecard, load_scorecard, write_scorecard

OnResult = Callable[[int, Found, Scorecard], None]
#: Told how many sandboxes start, before the first does: each imports TensorFlow (seconds), and
#: a progress display can say that is what the wait is for.
OnStarting = Callable[[int], None]
#: Given the scorecards `resume` kept, once, before grading starts.
OnSkipped = Callable[[Sequence[Scorecard]], None]

__all__ = [
    "OnResult",
    "OnSkipped",
    "OnStarting",
    "already_graded",
    "grade_batch",
    "report_kept",
    "sandbox_pool",
]


@contextmanager
def sandbox_pool(
    *,
    assignment: Assignment,
    config: GraderConfig,
    hide: Sequence[Path],
    workers: int,
    on_starting: OnStarting | None = None,
) -> Iterator[list[Sandbox]]:
    """`workers` warm sandboxes (started in parallel), closed on exit whatever happens."""
    sandboxes = [
        Sandbox(harvest_path=assignment.harvest_path, config=config, hide=hide, slot=i)
        for i in range(workers)
    ]
    try:
        if on_starting is not None:
            on_starting(len(sandboxes))
        for s in sandboxes:  # from this thread, which outlives them (see Sandbox.spawn)
            s.spawn()
        for s in sandboxes:
            s.wait_ready()
        yield sandboxes
    finally:
        for s in sandboxes:
            s.stop()


def already_graded(found: Sequence[Found], out: Path) -> dict[int, Scorecard]:
    """The scorecards in `out` made from these very files (same sha256), by position in `found`.

    A scorecard that records a grader failure is not kept: that submission is graded again.
    """
    done = {}
    for n, item in enumerate(found):
        card = _previous_card(out / f"{item.student}.json", item.path)
        if card is not None:
            done[n] = card
    return done


def grade_batch(
    found: Sequence[Found],
    *,
    assignment: Assignment,
    config: GraderConfig,
    out: Path,
    hide: Sequence[Path],
    workers: int = 1,
    resume: bool = False,
    on_result: OnResult | None = None,
    on_starting: OnStarting | None = None,
    on_skipped: OnSkipped | None = None,
) -> list[Scorecard]:
    """Grade every submission; return the scorecards in input order.

    Each submission runs in a fresh child of a warm sandbox, so results do not depend on which
    worker graded it or what it graded before. With `resume`, a submission whose scorecard in
    `out` was made from the same file (same sha256) is not graded again: those scorecards go to
    `on_skipped` when given, else to `on_result` one by one. On Ctrl-C, a submission being
    graded gets no scorecard: `resume` grades it again.
    """
    cards = already_graded(found, out) if resume else {}
    report_kept(cards, found, on_result=on_result, on_skipped=on_skipped)
    todo = [n for n in range(len(found)) if n not in cards]
    if todo:
        workers = max(1, min(workers, len(todo)))
        with sandbox_pool(
            assignment=assignment,
            config=config,
            hide=hide,
            workers=workers,
            on_starting=on_starting,
        ) as sandboxes:
            _grade_all(
                [found[n] for n in todo],
                sandboxes,
                grade=lambda item, sandbox: _grade_one(
                    item, sandbox, assignment=assignment, config=config, out=out
                ),
                on_done=lambda i, card: _record(cards, todo[i], card, found, on_result),
            )
    return [cards[n] for n in range(len(found))]


def report_kept(
    cards: Mapping[int, Scorecard],
    found: Sequence[Found],
    *,
    on_result: OnResult | None,
    on_skipped: OnSkipped | None,
) -> None:
    """Tell the caller about the scorecards `resume` kept (all at once to `on_skipped`)."""
    if on_skipped is not None:
        if cards:
            _quietly(on_skipped, [cards[n] for n in sorted(cards)])
        return
    for n in sorted(cards):
        if on_result is not None:
            on_result(len(cards), found[n], cards[n])


def _record(
    cards: dict[int, Scorecard],
    n: int,
    card: Scorecard,
    found: Sequence[Found],
    on_result: OnResult | None,
) -> None:
    cards[n] = card
    if on_result is not None:
        _quietly(on_result, len(cards), found[n], card)


def _quietly(show: Callable[..., None], *args: object) -> None:
    """Show progress; a terminal that went away (a closed pipe) must not stop the batch."""
    # BrokenPipeError; writing to a closed stream, or one that cannot encode what is shown.
    with contextlib.suppress(OSError, ValueError):
        show(*args)


def _grade_all(
    items: Sequence[Found],
    sandboxes: Sequence[Sandbox],
    *,
    grade: Callable[[Found, Sandbox], Scorecard],
    on_done: Callable[[int, Scorecard], None],
) -> None:
    """Grade `items` on a thread per sandbox; on Ctrl-C stop every sandbox and finish nothing."""
    pool: queue.Queue[Sandbox] = queue.Queue()
    for s in sandboxes:
        pool.put(s)
    interrupted = threading.Event()

    def work(item: Found) -> Scorecard:
        sandbox = pool.get()
        try:
            if interrupted.is_set():
                raise SandboxError("grading was interrupted")
            return grade(item, sandbox)
        finally:
            pool.put(sandbox)

    executor = ThreadPoolExecutor(max_workers=len(sandboxes), thread_name_prefix="grader")
    try:
        futures = {executor.submit(work, item): i for i, item in enumerate(items)}
        for future in as_completed(futures):
            on_done(futures[future], future.result())
    except BaseException:  # Ctrl-C: kill every sandbox now, finish nothing half-way
        interrupted.set()
        for s in sandboxes:
            s.stop()
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)


def _grade_one(
    item: Found, sandbox: Sandbox, *, assignment: Assignment, config: GraderConfig, out: Path
) -> Scorecard:
    """Grade one submission and write its scorecard; a grader failure becomes its scorecard.

    After Ctrl-C (the sandbox was stopped) nothing is written: whatever the interrupted run
    produced ("the Python process stopped answering") is not this submission's result.
    """
    card: Scorecard | None = None
    for attempt in (1, 2):
        try:
            card = grade_submission(
                item.path,
                assignment=assignment,
                config=config,
                student=item.student,
                runner=sandbox,
            )
            break
        except SandboxError as exc:  # the grader's or machine's fault: retry once afresh
            if sandbox.stopped:
                raise
            sandbox.close()
            if attempt == 2:
                card = grader_failure(
                    item.path, assignment=assignment, student=item.student, error=exc
                )
        except Exception as exc:  # a grader bug on one file must not cost the whole batch
            if sandbox.stopped:
                raise SandboxError("grading was interrupted") from exc
            card = grader_failure(
                item.path,
                assignment=assignment,
                student=item.student,
                error=RuntimeError(f"{type(exc).__name__}: {exc}"),
            )
            break
    assert card is not None
    if sandbox.stopped:  # stopped while this ran: its result may come from the kill
        raise SandboxError("grading was interrupted")
    if item.late:
        card = dataclasses.replace(card, late=True)
    write_scorecard(out / f"{item.student}.json", card)
    return card


def _previous_card(path: Path, submission: Path) -> Scorecard | None:
    """The scorecard already in `path`, if it is valid and was made from this very file."""
    if not path.is_file():
        return None
    try:
        card = load_scorecard(path)
    except GraderError:
        return None
    try:
        _, _, digest = read_bounded(submission)
    except GraderError:
        return None
    if card.submission.sha256 != digest or card.grader_failure is not None:
        return None
    return card

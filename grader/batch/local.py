"""Grade many submissions with a pool of warm sandboxes, writing each scorecard as it is done."""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path

from grader.assignment import Assignment
from grader.config import GraderConfig
from grader.errors import GraderError, SandboxError, SandboxStartError
from grader.grading import grade_submission, grader_failure
from grader.intake.files import Found
from grader.intake.submission import read_bounded
from grader.run.exchange import Job
from grader.run.sandbox import Sandbox, SandboxResult
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
    "Pool",
    "already_graded",
    "grade_batch",
    "report_kept",
    "sandbox_pool",
]


class Pool:
    """Warm sandboxes, each lent to one submission at a time, and only while its code runs.

    A sandbox joins the pool the moment its zygote is ready, so grading starts with the first
    one; a submission with no code to run (an empty or unreadable file) never waits for any.
    """

    def __init__(self, sandboxes: Sequence[Sandbox]) -> None:
        self.sandboxes = tuple(sandboxes)
        self.interrupted = threading.Event()
        self._ready: queue.Queue[Sandbox] = queue.Queue()
        self._failed: dict[int, SandboxError] = {}

    def start(self) -> None:
        """Start every zygote; each joins the pool when ready (or with the reason it is not)."""
        for s in self.sandboxes:  # from this thread, which outlives them (see Sandbox.spawn)
            s.spawn()
        for s in self.sandboxes:
            threading.Thread(target=self._join_when_ready, args=(s,), daemon=True).start()

    def _join_when_ready(self, sandbox: Sandbox) -> None:
        try:
            sandbox.wait_ready()
        except SandboxError as exc:
            self._failed[id(sandbox)] = exc
        self._ready.put(sandbox)

    def stop(self) -> None:
        """Ctrl-C: a job running now ends, no new one starts."""
        self.interrupted.set()
        for s in self.sandboxes:
            s.stop()

    def lease(self) -> Lease:
        return Lease(self)

    @contextmanager
    def borrow(self) -> Iterator[Sandbox]:
        """The first sandbox ready; it goes back to the pool when the block ends."""
        sandbox = self._ready.get()
        try:
            failed = self._failed.get(id(sandbox))
            if failed is not None:  # it never started: the batch cannot go on
                raise SandboxStartError(str(failed)) from failed
            if self.interrupted.is_set() or sandbox.stopped:
                raise SandboxError("grading was interrupted")
            yield sandbox
        except BaseException:
            if not sandbox.stopped:
                sandbox.close()  # it may have been stopped half-way through a job: start afresh
            raise
        finally:
            self._ready.put(sandbox)


class Lease:
    """A runner for one submission that holds a sandbox only while the submission's code runs.

    The checks of one submission then run in the grader while the next one's code runs in the
    sandbox it gave back.
    """

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self.waited_s = 0.0  # for a sandbox to be free: not this submission's own time

    def __call__(self, job: Job, *, section_timeout_s: float, deadline: float) -> SandboxResult:
        asked = time.monotonic()
        with self._pool.borrow() as sandbox:
            waited = time.monotonic() - asked
            self.waited_s += waited
            return sandbox(job, section_timeout_s=section_timeout_s, deadline=deadline + waited)

    @property
    def stopped(self) -> bool:
        """Whether grading was interrupted: no result of this lease counts."""
        return self._pool.interrupted.is_set()


@contextmanager
def sandbox_pool(
    *,
    assignment: Assignment,
    config: GraderConfig,
    hide: Sequence[Path],
    workers: int,
    on_starting: OnStarting | None = None,
) -> Iterator[Pool]:
    """`workers` warm sandboxes (started in parallel), closed on exit whatever happens."""
    pool = Pool(
        [
            Sandbox(harvest_path=assignment.harvest_path, config=config, hide=hide, slot=i)
            for i in range(workers)
        ]
    )
    try:
        if on_starting is not None:
            on_starting(len(pool.sandboxes))
        pool.start()
        yield pool
    finally:
        for s in pool.sandboxes:
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
        ) as pool:
            _grade_all(
                [found[n] for n in todo],
                pool,
                grade=lambda item: _grade_one(
                    item, pool.lease(), assignment=assignment, config=config, out=out
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
    pool: Pool,
    *,
    grade: Callable[[Found], Scorecard],
    on_done: Callable[[int, Scorecard], None],
) -> None:
    """Grade `items` on two threads per sandbox (one's code runs while another's checks do);
    on Ctrl-C stop every sandbox and finish nothing."""
    executor = ThreadPoolExecutor(max_workers=2 * len(pool.sandboxes), thread_name_prefix="grader")
    try:
        futures = {executor.submit(grade, item): i for i, item in enumerate(items)}
        for future in as_completed(futures):
            on_done(futures[future], future.result())
    except BaseException:  # Ctrl-C: kill every sandbox now, finish nothing half-way
        pool.stop()
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)


def _grade_one(
    item: Found, lease: Lease, *, assignment: Assignment, config: GraderConfig, out: Path
) -> Scorecard:
    """Grade one submission and write its scorecard; a grader failure becomes its scorecard.

    After Ctrl-C (the sandboxes were stopped) nothing is written: whatever the interrupted run
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
                runner=lease,
            )
            break
        except SandboxStartError:
            raise
        except SandboxError as exc:  # the grader's or machine's fault: retry once afresh
            if lease.stopped:
                raise
            if attempt == 2:
                card = grader_failure(
                    item.path, assignment=assignment, student=item.student, error=exc
                )
        except Exception as exc:  # a grader bug on one file must not cost the whole batch
            if lease.stopped:
                raise SandboxError("grading was interrupted") from exc
            card = grader_failure(
                item.path,
                assignment=assignment,
                student=item.student,
                error=RuntimeError(f"{type(exc).__name__}: {exc}"),
            )
            break
    assert card is not None
    if lease.stopped:  # stopped while this ran: its result may come from the kill
        raise SandboxError("grading was interrupted")
    if lease.waited_s:  # the time in a queue is not the submission's
        card = dataclasses.replace(
            card, duration_s=max(0.0, round(card.duration_s - lease.waited_s, 3))
        )
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

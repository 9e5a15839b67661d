"""Grade many submissions with a pool of warm sandboxes, writing each scorecard as it is done."""

from __future__ import annotations

import dataclasses
import hashlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path

from grader.assignment import Assignment
from grader.config import GraderConfig
from grader.errors import GraderError, SandboxError
from grader.exports.scorecards import load_scorecard
from grader.grading import GRADER_FAILURE, grade_submission, grader_failure
from grader.paths import Found
from grader.sandbox import Sandbox
from grader.scorecard import write_scorecard
from grader.scoring import Scorecard

OnResult = Callable[[int, Found, Scorecard], None]


@contextmanager
def sandbox_pool(
    *, assignment: Assignment, config: GraderConfig, hide: Sequence[Path], workers: int
) -> Iterator[list[Sandbox]]:
    """`workers` warm sandboxes (started in parallel), closed on exit whatever happens."""
    sandboxes = [
        Sandbox(harvest_path=assignment.harvest_path, config=config, hide=hide, slot=i)
        for i in range(workers)
    ]
    try:
        for s in sandboxes:  # from this thread, which outlives them (see Sandbox.spawn)
            s.spawn()
        for s in sandboxes:
            s.wait_ready()
        yield sandboxes
    finally:
        for s in sandboxes:
            s.stop()


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
) -> list[Scorecard]:
    """Grade every submission; return the scorecards in input order.

    Each submission runs in a fresh child of a warm sandbox, so results do not depend on which
    worker graded it or what it graded before. With `resume`, a submission whose scorecard in
    `out` was made from the same file (same sha256) is not graded again.
    """
    cards: dict[int, Scorecard] = {}
    todo: list[int] = []
    for n, item in enumerate(found):
        previous = _previous_card(out / f"{item.student}.json", item.path) if resume else None
        if previous is None:
            todo.append(n)
        else:
            cards[n] = previous
            if on_result is not None:
                on_result(len(cards), item, previous)
    if not todo:
        return [cards[n] for n in range(len(found))]
    workers = max(1, min(workers, len(todo)))
    with sandbox_pool(
        assignment=assignment, config=config, hide=hide, workers=workers
    ) as sandboxes:
        pool: queue.Queue[Sandbox] = queue.Queue()
        for s in sandboxes:
            pool.put(s)
        interrupted = threading.Event()

        def grade_one(item: Found) -> Scorecard:
            sandbox = pool.get()
            try:
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
                    except (
                        SandboxError
                    ) as exc:  # the grader's or machine's fault: retry once afresh
                        if interrupted.is_set():
                            raise
                        sandbox.close()
                        if attempt == 2:
                            card = grader_failure(
                                item.path, assignment=assignment, student=item.student, error=exc
                            )
            finally:
                pool.put(sandbox)
            if item.late:
                card = dataclasses.replace(card, late=True)
            write_scorecard(out / f"{item.student}.json", card)
            return card

        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grader")
        try:
            futures = {executor.submit(grade_one, found[n]): n for n in todo}
            for future in as_completed(futures):
                n = futures[future]
                cards[n] = future.result()
                if on_result is not None:
                    on_result(len(cards), found[n], cards[n])
        except BaseException:  # Ctrl-C: kill every sandbox now, finish nothing half-way
            interrupted.set()
            for s in sandboxes:
                s.stop()
            executor.shutdown(wait=True, cancel_futures=True)
            raise
        executor.shutdown(wait=True)
    return [cards[n] for n in range(len(found))]


def _previous_card(path: Path, submission: Path) -> Scorecard | None:
    """The scorecard already in `path`, if it is valid and was made from this very file."""
    if not path.is_file():
        return None
    try:
        card = load_scorecard(path)
    except GraderError:
        return None
    digest = hashlib.sha256(submission.read_bytes()).hexdigest()
    failed = any(e.startswith(GRADER_FAILURE) for e in card.errors)  # those are graded again
    return card if card.submission.sha256 == digest and not failed else None

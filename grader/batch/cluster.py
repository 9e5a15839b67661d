"""Grade a batch on a Dask distributed cluster; scorecards come back here and are written here.

Every Dask worker keeps its own warm sandbox (one per worker process, started on first use) and
grades submissions sent to it as bytes; only plain data (the scorecard document) travels back.
A worker that dies mid-batch loses nothing: Dask runs its tasks again on another worker.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from grader.assignment import Assignment, load_assignment_dir
from grader.atomic import write_json
from grader.batch.local import OnResult, OnSkipped, already_graded, report_kept
from grader.config import GraderConfig
from grader.errors import GraderError
from grader.grading import grader_failure
from grader.intake.files import Found
from grader.run.sandbox import Sandbox
from grader.scorecards import Scorecard, render_scorecard, scorecard_from_document

# One warm sandbox per (worker process, assignment, limits); made on the worker on first use.
_SANDBOXES: dict[tuple[str, str], tuple[Sandbox, Path]] = {}
_SANDBOX_LOCK = threading.Lock()


def grade_on_worker(
    data: bytes, *, filename: str, student: str, assignment_root: str, config: dict[str, object]
) -> dict[str, object]:
    """Runs on a Dask worker: grade one submission's bytes, return its scorecard document."""
    from grader.grading import grade_submission

    assignment = load_assignment_dir(Path(assignment_root))
    settings = GraderConfig(**config)  # type: ignore[arg-type]
    key = (assignment_root, repr(sorted(config.items())))
    with _SANDBOX_LOCK:  # one job at a time per worker process: its sandbox is not shared
        if key not in _SANDBOXES:
            inbox = Path(tempfile.mkdtemp(prefix="grader-dask-inbox-"))
            hide = [inbox, *assignment.trusted_paths()]
            _SANDBOXES[key] = (
                Sandbox(harvest_path=assignment.harvest_path, config=settings, hide=hide),
                inbox,
            )
        sandbox, inbox = _SANDBOXES[key]
        path = Path(tempfile.mkdtemp(dir=inbox)) / filename
        try:
            path.write_bytes(data)
            card = grade_submission(
                path, assignment=assignment, config=settings, student=student, runner=sandbox
            )
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)
    return render_scorecard(card)


def grade_batch_on_cluster(
    found: Sequence[Found],
    *,
    assignment: Assignment,
    config: GraderConfig,
    out: Path,
    scheduler: str,
    resume: bool = False,
    on_result: OnResult | None = None,
    on_skipped: OnSkipped | None = None,
) -> list[Scorecard]:
    """Send every submission to the cluster at `scheduler`; write each scorecard as it returns.

    With `resume`, a submission whose scorecard in `out` was made from the same file is not sent
    (its scorecard goes to `on_skipped` when given, as in `grade_batch`). A submission the
    cluster fails on gets a grader-failure scorecard; the batch goes on.
    """
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise GraderError(
            "--cluster needs Dask's distributed scheduler: pip install 'tf-autograder[cluster]'"
        ) from None
    try:
        client = Client(scheduler, timeout="30s")  # type: ignore[no-untyped-call]
    except OSError as exc:
        raise GraderError(
            f"cannot reach the Dask scheduler at {scheduler} ({exc}); is `dask scheduler` running?"
        ) from None
    cards = already_graded(found, out) if resume else {}
    report_kept(cards, found, on_result=on_result, on_skipped=on_skipped)
    with client:
        futures = {}
        for n, item in enumerate(found):
            if n in cards:
                continue
            data = item.path.read_bytes()
            future = client.submit(
                grade_on_worker,
                data,
                filename=item.path.name,
                student=item.student,
                assignment_root=str(assignment.root),
                config=asdict(config),
                key=f"grade-{item.student}-{hashlib.sha256(data).hexdigest()[:12]}",
                retries=2,  # a worker that dies takes its tasks with it: Dask runs them elsewhere
                pure=False,
            )
            futures[future] = n
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            n = futures[future]
            try:
                document = dict(future.result())
                card = scorecard_from_document(document)  # validated before it is written
            except Exception as exc:  # the worker failed on this one file: not the batch
                failure = grader_failure(
                    found[n].path,
                    assignment=assignment,
                    student=found[n].student,
                    error=RuntimeError(f"{type(exc).__name__}: {exc}"),
                )
                document = render_scorecard(failure)
            if found[n].late:
                document["late"] = True
            card = scorecard_from_document(document)
            write_json(out / f"{found[n].student}.json", document)
            cards[n] = card
            if on_result is not None:
                on_result(len(cards), found[n], card)
    return [cards[n] for n in range(len(found))]

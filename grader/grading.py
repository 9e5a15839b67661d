"""Grade one submission: load, split, run in the sandbox, check in this process, score."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import platform
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from grader import __version__
from grader.assignment import Assignment, load_assignment_code
from grader.checks.data import SectionData
from grader.checks.runner import run_checks
from grader.config import GraderConfig
from grader.intake.sections import Split, split_notes, split_sections
from grader.intake.submission import Submission, load_submission
from grader.run.sandbox import Runner, Sandbox
from grader.run.settle import Settled, limit_hint, settle
from grader.scorecards import Scorecard, SectionScore, SubmissionInfo
from grader.scoring import score_sections

__all__ = ["grade_submission", "grader_failure"]


def grade_submission(
    path: Path,
    *,
    assignment: Assignment,
    config: GraderConfig,
    student: str | None = None,
    runner: Runner | None = None,
    hide: Sequence[Path] = (),
) -> Scorecard:
    """Grade the file at `path`; any student behaviour ends in a Scorecard, never an exception.

    `runner` runs the student's code: a warm `Sandbox` shared across a batch, or a fake in
    tests. Without one, a sandbox is started for this submission alone, hiding `hide`.
    """
    started = time.monotonic()
    submission = load_submission(path)
    student = student or path.stem
    split = split_sections(
        submission,
        assignment.section_ids,
        starts={s.id: s.starts for s in assignment.sections},
        outputs={s.id: s.outputs for s in assignment.sections},
    )
    reason = _not_run_reason(submission, split, assignment)
    if reason:
        sections = score_sections(
            assignment, harvests={}, results={}, notes={}, not_run_reason=reason
        )
        return _scorecard(submission, student, assignment, sections, [reason], started=started)
    code = load_assignment_code(assignment.root)
    inputs = dict(
        code.make_inputs(np.random.default_rng(_seed(assignment.name, submission.sha256)))
    )
    with _sandbox(runner, assignment=assignment, config=config, hide=hide) as run:
        settled = settle(
            split,
            section_ids=assignment.section_ids,
            inputs=inputs,
            runner=run,
            config=config,
            hint_for=lambda error: limit_hint(error, config) or code.hint_for(error),
            started=started,
        )
    results = run_checks(assignment, _section_data(split, settled, inputs))
    errors = settled.errors + [
        f"check {r.check_id} failed inside the grader: {r.internal_error}"
        for r in results.values()
        if r.internal_error
    ]
    notes = split_notes(split, assignment.section_ids[0])
    for sid, extra in settled.notes.items():
        notes.setdefault(sid, []).extend(extra)
    sections = score_sections(assignment, harvests=settled.harvests, results=results, notes=notes)
    return _scorecard(
        submission, student, assignment, sections, errors, settled=settled, started=started
    )


def grader_failure(
    path: Path, *, assignment: Assignment, student: str, error: Exception
) -> Scorecard:
    """The scorecard for a submission the grader itself failed on: nothing run, nothing lost."""
    submission = load_submission(path)
    reason = f"Not graded: the grader failed on this submission ({error}). Your instructor will re-run it."
    sections = score_sections(assignment, harvests={}, results={}, notes={}, not_run_reason=reason)
    return _scorecard(
        submission,
        student,
        assignment,
        sections,
        [f"grader failure: {error}"],
        started=None,
        grader_failure=str(error),
    )


def _not_run_reason(submission: Submission, split: Split, assignment: Assignment) -> str:
    if submission.problem:
        return f"Not run: {submission.name}: {submission.problem}."
    if split.found_any:
        return ""
    return (
        f"Not run: {submission.name} has none of the handout's section headings "
        f"({', '.join(assignment.section_ids)}), nor code that defines the names the handout "
        "asks for. Keep headings like '## 1.1 ...' in the notebook's text cells (in a .py "
        "file: a comment line '# 1.1 ...')."
    )


@contextlib.contextmanager
def _sandbox(
    runner: Runner | None, *, assignment: Assignment, config: GraderConfig, hide: Sequence[Path]
) -> Iterator[Runner]:
    """The given runner, or a sandbox for this one submission (started on first use, so a file
    that cannot be read never pays for TensorFlow's import)."""
    if runner is not None:
        yield runner
        return
    sandbox = Sandbox(
        harvest_path=assignment.harvest_path, config=config, hide=hide, single_use=True
    )
    try:
        yield sandbox
    finally:
        sandbox.close()


def _section_data(
    split: Split, settled: Settled, inputs: Mapping[str, object]
) -> dict[str, SectionData]:
    chunk_sources = {c.index: c.source for c in split.chunks}
    out = {}
    for sid, harvest in settled.harvests.items():
        if harvest.state == "harvested":
            section_inputs = inputs.get(sid, {})
            out[sid] = SectionData(
                id=sid,
                harvest=harvest,
                inputs=section_inputs if isinstance(section_inputs, dict) else {},
                source="\n".join(c.source for c in split.section(sid).chunks),
                chunk_sources=chunk_sources,
            )
    return out


def _scorecard(
    submission: Submission,
    student: str,
    assignment: Assignment,
    sections: tuple[SectionScore, ...],
    errors: Sequence[str],
    *,
    started: float | None,
    settled: Settled | None = None,
    grader_failure: str | None = None,
) -> Scorecard:
    warnings = tuple(f"warning: {w}" for w in submission.warnings)
    return Scorecard(
        assignment=assignment.name,
        student=student,
        submission=SubmissionInfo(submission.name, submission.format, submission.sha256),
        score=sum(s.score for s in sections),
        max_score=assignment.max_score,
        sections=sections,
        errors=(*errors, *warnings),
        environment=environment(settled.isolation if settled else "none"),
        graded_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        duration_s=time.monotonic() - started if started is not None else 0.0,
        output_tail=settled.output if settled else "",
        grader_failure=grader_failure,
    )


def environment(isolation: str) -> dict[str, str]:
    """Versions that decide a result, for the scorecard."""
    try:
        tf_version = importlib.metadata.version("tensorflow")
    except importlib.metadata.PackageNotFoundError:
        tf_version = "not installed"
    return {
        "python": platform.python_version(),
        "tensorflow": tf_version,
        "grader": __version__,
        "sandbox": isolation,
    }


def _seed(assignment: str, sha256: str) -> int:
    """Unseen inputs depend on the file itself: the same file always gets the same inputs."""
    return int.from_bytes(hashlib.sha256(f"{assignment}:{sha256}".encode()).digest()[:8], "little")

"""Grade one submission: load, split, run in the sandbox, check in this process, score."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import importlib.metadata
import platform
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from grader import __version__
from grader.assignment import Assignment, AssignmentCode, load_assignment_code
from grader.budget import Budget, OverBudget
from grader.checks.data import SectionData
from grader.checks.runner import run_checks
from grader.config import GraderConfig
from grader.errors import SubmissionError
from grader.intake.sections import Split, split_notes, split_sections
from grader.intake.submission import Submission, load_submission, read_bounded
from grader.intake.tamper import scan_split
from grader.run.sandbox import Runner, Sandbox
from grader.run.settle import Settled, limit_hint, settle
from grader.scorecards import Integrity, Scorecard, SectionScore, SubmissionInfo
from grader.scoring import score_sections
from grader.secret import seed_for
from grader.terminal import safe_name, safe_text, strip_ansi

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
    tests. Without one, a sandbox is started for this submission alone, hiding `hide`. The
    grader's own work on the file runs under a CPU budget (`grader.budget`): a file that would
    keep it busy longer gets a grader-failure scorecard instead.

    Raises:
        SubmissionError: the file cannot be read at all (it vanished, or is a folder).
        SandboxError: the sandbox itself failed (the machine's fault: grade again).
    """
    started = time.monotonic()
    student = student or path.stem
    budget = Budget(config.parent_cpu_s)
    try:
        with budget.watch():
            return _grade(
                path,
                assignment=assignment,
                config=config,
                student=student,
                runner=runner,
                hide=hide,
                budget=budget,
                started=started,
            )
    except OverBudget:
        if isinstance(runner, Sandbox):
            runner.close()  # it may have been stopped half-way through a job: start afresh
        return grader_failure(
            path, assignment=assignment, student=student, error=RuntimeError(budget.describe())
        )


def _grade(
    path: Path,
    *,
    assignment: Assignment,
    config: GraderConfig,
    student: str,
    runner: Runner | None,
    hide: Sequence[Path],
    budget: Budget,
    started: float,
) -> Scorecard:
    budget.at("reading the file")
    submission = load_submission(path)
    budget.at("splitting it into sections")
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
    budget.at("choosing its inputs")
    code = load_assignment_code(assignment.root)
    inputs = _inputs(code, assignment.name, submission.sha256)
    budget.at("running it and reading what it sent")
    with _sandbox(runner, assignment=assignment, config=config, hide=hide) as run:
        settled = settle(
            split,
            section_ids=assignment.section_ids,
            inputs=inputs,
            outputs={s.id: s.outputs for s in assignment.sections},
            runner=run,
            config=config,
            hint_for=lambda error: limit_hint(error, config) or code.hint_for(error),
            started=started,
        )
    budget.at("running the checks")
    results = run_checks(assignment, _section_data(split, settled, inputs))
    budget.at("scoring it")
    errors = settled.errors + [
        f"check {r.check_id} failed inside the grader: {r.internal_error}"
        for r in results.values()
        if r.internal_error
    ]
    notes = split_notes(split)
    for sid, extra in settled.notes.items():
        notes.setdefault(sid, []).extend(extra)
    errors += [f"Before section {assignment.section_ids[0]}: {note}" for note in notes.pop("", [])]
    sections = score_sections(assignment, harvests=settled.harvests, results=results, notes=notes)
    budget.at("scanning it for tampering")
    integrity = Integrity(leads=scan_split(split), violation=settled.violation)
    card = _scorecard(
        submission,
        student,
        assignment,
        sections,
        errors,
        settled=settled,
        started=started,
        integrity=integrity,
    )
    budget.check()
    return card


def grader_failure(
    path: Path, *, assignment: Assignment, student: str, error: BaseException
) -> Scorecard:
    """The scorecard for a submission the grader itself failed on: nothing run, nothing lost.

    The file is not parsed again (parsing it may be what failed): only read, within MAX_BYTES,
    for its sha256.
    """
    try:
        _, _, sha256 = read_bounded(path)
    except SubmissionError:
        sha256 = hashlib.sha256(b"").hexdigest()
    suffix = path.suffix.lower()
    submission = Submission(
        path, safe_name(path.name), "py" if suffix == ".py" else "ipynb", sha256, (), (), None
    )
    text = safe_text(str(error) or type(error).__name__)[:500]
    reason = (
        f"Not graded: the grader failed on this submission ({text}). This is not a judgement "
        "of the work; it will be graded again."
    )
    sections = score_sections(assignment, harvests={}, results={}, notes={}, not_run_reason=reason)
    return _scorecard(
        submission,
        student,
        assignment,
        sections,
        [f"grader failure: {text}"],
        started=None,
        grader_failure=text,
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
    integrity: Integrity | None = None,
) -> Scorecard:
    warnings = tuple(f"warning: {w}" for w in submission.warnings)
    return Scorecard(
        assignment=assignment.name,
        student=student,
        submission=SubmissionInfo(submission.name, submission.format, submission.sha256),
        score=sum(s.score for s in sections),
        max_score=assignment.max_score,
        sections=tuple(_escaped(s) for s in sections),
        errors=tuple(safe_text(e) for e in (*errors, *warnings)),
        environment=environment(settled.isolation if settled else "none"),
        graded_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        duration_s=time.monotonic() - started if started is not None else 0.0,
        output_tail=strip_ansi(settled.output) if settled else "",
        grader_failure=grader_failure,
        integrity=integrity or Integrity(),
    )


def _escaped(section: SectionScore) -> SectionScore:
    """The section with its feedback safe to show on a terminal: it quotes the student's code,
    output and exception messages, which may hold escape sequences."""
    return dataclasses.replace(
        section,
        feedback=safe_text(section.feedback),
        checks=tuple(
            dataclasses.replace(c, feedback=safe_text(c.feedback)) for c in section.checks
        ),
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


def _inputs(code: AssignmentCode, assignment: str, sha256: str) -> dict[str, object]:
    """The inputs this file meets, visible and hidden, each from its own keyed stream (so the
    visible ones are the same with or without the hidden checks)."""
    rng = np.random.default_rng(seed_for(assignment, sha256, "visible"))
    inputs = {k: dict(v) if isinstance(v, Mapping) else v for k, v in code.make_inputs(rng).items()}
    if code.make_hidden_inputs is not None:
        hidden_rng = np.random.default_rng(seed_for(assignment, sha256, "hidden"))
        for sid, extra in code.make_hidden_inputs(hidden_rng).items():
            section = inputs.setdefault(sid, {})
            assert isinstance(section, dict)
            assert isinstance(extra, Mapping)
            for key, item in extra.items():
                if isinstance(item, list) and isinstance(section.get(key), list):
                    section[key] = [*section[key], *item]
                else:
                    section[key] = item
    return inputs

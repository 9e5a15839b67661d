"""Grade one submission: load, split, run in the sandbox, check in this process, score."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import importlib.util
import platform
import time
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from grader.assignment import Assignment
from grader.checkdata import SectionData
from grader.checkrun import run_checks
from grader.config import GraderConfig
from grader.errors import AssignmentError
from grader.harvest import (
    HarvestFormatError,
    SectionHarvest,
    SectionState,
    StudentError,
    decode_run,
)
from grader.sandbox import Job, JobStep, Runner, Sandbox, SandboxResult
from grader.scoring import Scorecard, SubmissionInfo, score_sections
from grader.sections import Split, split_sections
from grader.submission import load_submission

GRADER_VERSION = "0.1.0"
GRADER_FAILURE = (
    "grader failure"  # how a scorecard's errors start when the grader, not the student, failed
)

HintFn = Callable[[StudentError], str | None]


@dataclass(frozen=True, slots=True)
class _AssignmentCode:
    make_inputs: Callable[[np.random.Generator], Mapping[str, object]]
    hint_for: HintFn


@cache
def _assignment_code(root: Path) -> _AssignmentCode:
    """Import the assignment's trusted parent-side modules (inputs, hints) once per process."""
    inputs = _import(root / "inputs.py", "inputs")
    make_inputs = getattr(inputs, "make_inputs", None)
    if not callable(make_inputs):
        raise AssignmentError(f"{root / 'inputs.py'} must define make_inputs(rng)")
    hints_path = root / "hints.py"
    hint_for: HintFn = lambda error: None  # noqa: E731 - an assignment may have no hints
    if hints_path.exists():
        hint_for = getattr(_import(hints_path, "hints"), "hint_for", hint_for)
    return _AssignmentCode(make_inputs, hint_for)


def _import(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"_assignment_{path.parent.name}_{name}", path)
    if spec is None or spec.loader is None:
        raise AssignmentError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def environment(isolation: str) -> dict[str, str]:
    """Versions that decide a result, for the scorecard."""
    try:
        tf_version = importlib.metadata.version("tensorflow")
    except importlib.metadata.PackageNotFoundError:
        tf_version = "not installed"
    return {
        "python": platform.python_version(),
        "tensorflow": tf_version,
        "grader": GRADER_VERSION,
        "sandbox": isolation,
    }


@dataclass(slots=True)
class _Progress:
    """Sections settled so far across sandbox runs of one submission."""

    harvests: dict[str, SectionHarvest] = field(default_factory=dict)
    skip: set[str] = field(
        default_factory=set
    )  # sections (or "" for the preamble) not to run again
    errors: list[str] = field(default_factory=list)
    isolation: str = "none"
    output: str = ""


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
    if runner is None:
        # Started on first use: a file that cannot be read never pays for TensorFlow's import.
        sandbox = Sandbox(
            harvest_path=assignment.harvest_path, config=config, hide=hide, single_use=True
        )
        try:
            return grade_submission(
                path, assignment=assignment, config=config, student=student, runner=sandbox
            )
        finally:
            sandbox.close()
    started = time.monotonic()
    submission = load_submission(path)
    code = _assignment_code(assignment.root)
    student = student or path.stem
    progress = _Progress()
    notes: dict[str, list[str]] = {}
    not_run_reason = ""
    sections_data: dict[str, SectionData] = {}

    if submission.problem:
        not_run_reason = f"Not run: {submission.name}: {submission.problem}."
        progress.errors.append(not_run_reason)
    else:
        split = split_sections(
            submission, assignment.section_ids, starts={s.id: s.starts for s in assignment.sections}
        )
        if not split.found_any:
            not_run_reason = (
                f"Not run: {submission.name} has none of the handout's section headings "
                f"({', '.join(assignment.section_ids)}). Keep headings like '## 1.1 ...' in the "
                "notebook's text cells (in a .py file: a comment line '# 1.1 ...')."
            )
            progress.errors.append(not_run_reason)
        else:
            _notes_from_split(split, assignment, notes)
            rng = np.random.default_rng(_seed(assignment.name, submission.sha256))
            inputs = dict(code.make_inputs(rng))
            _run_until_settled(
                split,
                assignment=assignment,
                config=config,
                inputs=inputs,
                runner=runner,
                progress=progress,
                notes=notes,
                hint_for=lambda error: _limit_hint(error, config) or code.hint_for(error),
                deadline=started + config.submission_timeout_s,
            )
            for sid, harvest in progress.harvests.items():
                if harvest.state == "harvested":
                    section_inputs = inputs.get(sid, {})
                    sections_data[sid] = SectionData(
                        id=sid,
                        harvest=harvest,
                        inputs=section_inputs if isinstance(section_inputs, dict) else {},
                        source="\n".join(c.source for c in split.section(sid).chunks),
                        chunk_sources={c.index: c.source for c in split.chunks},
                    )
    results = run_checks(assignment, sections_data) if sections_data else {}
    for result in results.values():
        if result.internal_error:
            progress.errors.append(
                f"check {result.check_id} failed inside the grader: {result.internal_error}"
            )
    sections = score_sections(
        assignment,
        harvests=progress.harvests,
        results=results,
        notes=notes,
        not_run_reason=not_run_reason,
    )
    return Scorecard(
        assignment=assignment.name,
        student=student,
        submission=SubmissionInfo(submission.name, submission.format, submission.sha256),
        score=sum(s.score for s in sections),
        max_score=assignment.max_score,
        sections=sections,
        errors=tuple(progress.errors) + tuple(f"warning: {w}" for w in submission.warnings),
        environment=environment(progress.isolation),
        graded_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        duration_s=time.monotonic() - started,
        output_tail=progress.output,
    )


def grader_failure(
    path: Path, *, assignment: Assignment, student: str, error: Exception
) -> Scorecard:
    """The scorecard for a submission the grader itself failed on: nothing run, nothing lost."""
    submission = load_submission(path)
    reason = f"Not graded: the grader failed on this submission ({error}). Your instructor will re-run it."
    sections = score_sections(assignment, harvests={}, results={}, notes={}, not_run_reason=reason)
    return Scorecard(
        assignment=assignment.name,
        student=student,
        submission=SubmissionInfo(submission.name, submission.format, submission.sha256),
        score=0,
        max_score=assignment.max_score,
        sections=sections,
        errors=(f"{GRADER_FAILURE}: {error}",),
        environment=environment("none"),
        graded_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        duration_s=0.0,
        output_tail="",
    )


def _limit_hint(error: StudentError, config: GraderConfig) -> str | None:
    """Explain errors that mean a sandbox limit was reached, whatever the assignment."""
    if error.type == "MemoryError":
        return f"the code tried to use more memory than the grader allows ({config.memory_mb} MiB)"
    if error.type == "BlockingIOError" and "Resource temporarily unavailable" in error.message:
        return f"the code started more processes or threads than the grader allows ({config.max_processes})"
    if error.type == "OSError" and "File too large" in error.message:
        return f"the code wrote a file larger than the grader allows ({config.max_file_mb} MiB)"
    return None


def _seed(assignment: str, sha256: str) -> int:
    """Unseen inputs depend on the file itself: the same file always gets the same inputs."""
    return int.from_bytes(hashlib.sha256(f"{assignment}:{sha256}".encode()).digest()[:8], "little")


def _notes_from_split(split: Split, assignment: Assignment, notes: dict[str, list[str]]) -> None:
    previous = "the start of the file"
    for section in split.sections:
        if section.recognised_by is not None:
            notes.setdefault(section.id, []).append(
                f"No heading for section {section.id} was found; its code was recognised by "
                f"{section.recognised_by}. Keep the handout's heading ('{section.id} ...') to be sure."
            )
            previous = f"section {section.id}"
        elif section.heading is None:
            notes.setdefault(section.id, []).append(
                f"No heading for section {section.id} was found; it was graded with the state after "
                f"{previous}. Keep the handout's heading ('{section.id} ...') to be sure."
            )
        else:
            previous = f"section {section.id}"
    for chunk in split.chunks:
        if chunk.removed_magics:
            key = chunk.section or assignment.section_ids[0]
            shown = ", ".join(f"`{m[:40]}`" for m in chunk.removed_magics[:3])
            notes.setdefault(key, []).append(
                f"Notebook commands ({shown}) at {chunk.where()} were skipped; they cost nothing."
            )


def _run_until_settled(
    split: Split,
    *,
    assignment: Assignment,
    config: GraderConfig,
    inputs: Mapping[str, object],
    runner: Runner,
    progress: _Progress,
    notes: dict[str, list[str]],
    hint_for: HintFn,
    deadline: float,
) -> None:
    """Run the submission; after a hang or crash, run it again without the section that caused it."""
    chunk_of = {c.index: c for c in split.chunks}

    def locate(chunk: int, line: int | None) -> tuple[str, str]:
        c = chunk_of.get(chunk)
        if c is None:
            return "", ""
        lines = c.source.splitlines()
        text = lines[line - 1] if line is not None and 0 < line <= len(lines) else ""
        return f"section {c.section}, {c.where(line)}" if c.section else c.where(line), text

    for _attempt in range(len(assignment.sections) + 2):
        steps = tuple(
            JobStep(
                kind=s.kind,
                section=s.section,
                chunk=s.chunk,
                source=chunk_of[s.chunk].source if s.chunk is not None else None,
            )
            for s in split.plan
            if (s.section or "") not in progress.skip
            and not (s.kind == "harvest" and s.section in progress.harvests)
        )
        if not any(s.kind == "harvest" for s in steps):
            return
        result = runner(
            Job(steps=steps, inputs=inputs),
            section_timeout_s=config.section_timeout_s,
            deadline=deadline,
        )
        progress.isolation = result.isolation
        progress.output = _tail(result, config.output_tail_chars)
        try:
            run = decode_run(
                result.events,
                section_ids=assignment.section_ids,
                chunk_sections={c.index: c.section for c in split.chunks},
                locate=locate,
                hint_for=hint_for,
            )
        except HarvestFormatError as exc:
            progress.errors.append(
                f"the student process sent malformed data ({exc}); it was rejected"
            )
            for sid in assignment.section_ids:
                progress.harvests.setdefault(
                    sid,
                    SectionHarvest(
                        sid, "crashed", {}, (), "The grader could not read this section's results."
                    ),
                )
            return
        for sid, harvest in run.harvests.items():
            progress.harvests.setdefault(sid, harvest)
        for chunk_index, name in run.stubbed:
            chunk = chunk_of[chunk_index]
            note = (
                f"`import {name[:60]}` at {chunk.where()}: no such package is installed here, so a "
                "stand-in that does nothing was used. That costs nothing unless your answers need it."
            )
            section_notes = notes.setdefault(chunk.section or assignment.section_ids[0], [])
            if note not in section_notes:
                section_notes.append(note)
        if result.end == "done":
            return
        if result.last_step is None:
            # The child never reached the student's code: the grader's fault, not the student's.
            detail = f"Not run: the grader could not start Python for this submission ({result.detail or result.end})."
            progress.errors.append(f"{detail} Output: {result.stderr_tail[-500:]}")
            for sid in assignment.section_ids:
                progress.harvests.setdefault(sid, SectionHarvest(sid, "not_run", {}, (), detail))
            return
        stuck = _stuck_section(steps, result)
        if result.end == "deadline":
            detail = (
                f"Not run: the whole submission used up its {config.submission_timeout_s:g} s time "
                "limit before this section. Look for slow or endless loops."
            )
            if stuck:
                progress.harvests.setdefault(
                    stuck, SectionHarvest(stuck, "timeout", {}, (), detail)
                )
            for sid in assignment.section_ids:
                progress.harvests.setdefault(sid, SectionHarvest(sid, "not_run", {}, (), detail))
            return
        if result.end == "timeout":
            detail = (
                f"Timed out: section {stuck or 'before 1.1'} ran longer than "
                f"{config.section_timeout_s:g} s and was stopped. Look for an endless loop, a long "
                "sleep or a very long training loop in this section."
            )
        elif result.end == "protocol":
            detail = f"Stopped: {result.detail}."
        else:
            detail = (
                f"Crashed: {result.detail} while running section {stuck or 'before 1.1'}. "
                "Calls like os._exit(), or code that crashes Python, end the whole notebook."
            )
        if stuck == "":
            progress.skip.add("")
            progress.errors.append(f"code before section {assignment.section_ids[0]}: {detail}")
        else:
            state: SectionState = "timeout" if result.end == "timeout" else "crashed"
            progress.harvests.setdefault(stuck, SectionHarvest(stuck, state, {}, (), detail))
            progress.skip.add(stuck)


def _stuck_section(steps: Sequence[JobStep], result: SandboxResult) -> str:
    """The section ("" for code before the first section) of the step that was running."""
    assert result.last_step is not None
    n = min(max(result.last_step, 0), len(steps) - 1)
    return steps[n].section or ""


def _tail(result: SandboxResult, limit: int) -> str:
    """The end of what the student's code printed (stdout, then stderr), at most `limit` characters."""
    text = result.stdout_tail
    if result.stderr_tail.strip():
        text += "\n[stderr]\n" + result.stderr_tail
    if len(text) > limit or "characters before this were cut" in text:
        return "[... earlier output was cut ...]\n" + text[-limit:]
    return text

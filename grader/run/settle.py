"""Run a split submission until every section is settled: harvested, timed out, crashed or not run.

A hang or a crash stops the student process; the submission is then run again from the start
without the section that caused it, so one bad section costs only itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from grader.config import GraderConfig
from grader.intake.sections import Split, Step
from grader.run.decode import (
    HarvestFormatError,
    SectionHarvest,
    SectionState,
    StudentError,
    decode_run,
)
from grader.run.exchange import Job
from grader.run.sandbox import Runner, SandboxResult

HintFn = Callable[[StudentError], str | None]

__all__ = ["HintFn", "Settled", "limit_hint", "settle"]


@dataclass(slots=True)
class Settled:
    """What the runs of one submission established, section by section."""

    harvests: dict[str, SectionHarvest] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # for the scorecard's `errors`
    # Per section, for its feedback; notes on the code before the first section are under "".
    notes: dict[str, list[str]] = field(default_factory=dict)
    # Why the student process's answers were refused (an integrity note for the instructor).
    violation: str | None = None
    isolation: str = "none"  # the sandbox's isolation, as the last run reported it
    output: str = ""  # the tail of what the student's code printed in the last run
    # Sections ("" for the code before the first section) not to run again.
    skip: set[str] = field(default_factory=set)


def settle(
    split: Split,
    *,
    section_ids: Sequence[str],
    inputs: Mapping[str, object],
    outputs: Mapping[str, tuple[str, ...]],
    runner: Runner,
    config: GraderConfig,
    hint_for: HintFn,
    started: float,
) -> Settled:
    """Run the submission; after a hang or crash, run it again without the section that caused it."""
    settled = Settled()
    deadline = started + config.submission_timeout_s
    sources = {c.index: c.source for c in split.chunks}
    for _attempt in range(len(section_ids) + 2):
        steps = tuple(
            s
            for s in split.plan
            if (s.section or "") not in settled.skip
            and not (s.kind == "harvest" and s.section in settled.harvests)
        )
        if not any(s.kind == "harvest" for s in steps):
            break
        result = runner(
            Job(steps=steps, sources=sources, inputs=inputs, outputs=outputs),
            section_timeout_s=config.section_timeout_s,
            deadline=deadline,
        )
        settled.isolation = result.isolation
        settled.output = _tail(result, config.output_tail_chars)
        if not _take(result, split, section_ids, hint_for, settled) or result.end == "done":
            break
        if not _after_stop(result, steps, section_ids, config, settled):
            break
    return settled


def _take(
    result: SandboxResult,
    split: Split,
    section_ids: Sequence[str],
    hint_for: HintFn,
    settled: Settled,
) -> bool:
    """Record what one run harvested; False when its data had to be rejected."""
    chunk_of = {c.index: c for c in split.chunks}

    def locate(chunk: int, line: int | None) -> tuple[str, str]:
        c = chunk_of.get(chunk)
        if c is None:
            return "", ""
        lines = c.source.splitlines()
        text = lines[line - 1] if line is not None and 0 < line <= len(lines) else ""
        return f"section {c.section}, {c.where(line)}" if c.section else c.where(line), text

    try:
        run = decode_run(
            result.events,
            section_ids=section_ids,
            chunk_sections={c.index: c.section for c in split.chunks},
            locate=locate,
            hint_for=hint_for,
        )
    except HarvestFormatError as exc:
        settled.errors.append(f"the student process sent malformed data ({exc}); it was rejected")
        _mark_rest(
            settled, section_ids, "crashed", "The grader could not read this section's results."
        )
        return False
    for sid, harvest in run.harvests.items():
        settled.harvests.setdefault(sid, harvest)
    for ce in run.preamble_errors:
        note = f"Code before section {section_ids[0]} raised {ce.error.describe(with_hint=True)}"
        if note not in settled.errors:
            settled.errors.append(note)
    for chunk_index, name in run.stubbed:
        chunk = chunk_of[chunk_index]
        note = (
            f"`import {name[:60]}` at {chunk.where()}: no such package is installed here, so a "
            "stand-in that does nothing was used. That costs nothing unless your answers need it."
        )
        section_notes = settled.notes.setdefault(chunk.section or "", [])
        if note not in section_notes:
            section_notes.append(note)
    return True


def _after_stop(
    result: SandboxResult,
    steps: Sequence[Step],
    section_ids: Sequence[str],
    config: GraderConfig,
    settled: Settled,
) -> bool:
    """Settle the section a run stopped in; True when the rest of the submission should run again."""
    if result.last_step is None:
        # The child never reached the student's code: the grader's fault, not the student's.
        detail = (
            "Not run: the grader could not start Python for this submission "
            f"({result.detail or result.end})."
        )
        settled.errors.append(f"{detail} Output: {result.stderr_tail[-500:]}")
        _mark_rest(settled, section_ids, "not_run", detail)
        return False
    n = min(max(result.last_step, 0), len(steps) - 1)
    stuck = steps[n].section or ""  # "" for the code before the first section
    if result.end == "deadline":
        if stuck:
            settled.harvests.setdefault(
                stuck, SectionHarvest(stuck, "timeout", {}, (), _deadline_detail(config))
            )
        _mark_rest(settled, section_ids, "not_run", _deadline_detail(config))
        return False
    where = f"section {stuck}" if stuck else f"the code before section {section_ids[0]}"
    if result.end == "timeout":
        detail = (
            f"Timed out: {where} ran longer than {config.section_timeout_s:g} s and was stopped. "
            "Look for an endless loop, a long sleep or a very long training loop in this section."
        )
    elif result.end == "protocol":
        # Not the student's bad luck but answers the grader did not ask for: nothing is run
        # again, and no section that was not proven before it happened earns anything.
        settled.violation = result.detail
        _mark_rest(
            settled,
            section_ids,
            "rejected",
            f"Stopped: {result.detail}. Sections not graded before that get no points; your "
            "instructor will review this submission.",
        )
        return False
    else:
        detail = (
            f"Crashed: {result.detail} while running {where}. Calls like os._exit(), or code "
            "that crashes Python, end the whole notebook."
        )
    settled.skip.add(stuck)
    if not stuck:
        settled.errors.append(f"code before section {section_ids[0]}: {detail}")
    else:
        state: SectionState = "timeout" if result.end == "timeout" else "crashed"
        settled.harvests.setdefault(stuck, SectionHarvest(stuck, state, {}, (), detail))
    return True


def _deadline_detail(config: GraderConfig) -> str:
    return (
        f"Not run: the whole submission used up its {config.submission_timeout_s:g} s time "
        "limit before this section. Look for slow or endless loops."
    )


def _mark_rest(
    settled: Settled, section_ids: Sequence[str], state: SectionState, detail: str
) -> None:
    for sid in section_ids:
        settled.harvests.setdefault(sid, SectionHarvest(sid, state, {}, (), detail))


def _tail(result: SandboxResult, limit: int) -> str:
    """The end of what the student's code printed (stdout, then stderr), at most `limit` characters."""
    text = result.stdout_tail
    if result.stderr_tail.strip():
        text += "\n[stderr]\n" + result.stderr_tail
    if len(text) > limit or "characters before this were cut" in text:
        return "[... earlier output was cut ...]\n" + text[-limit:]
    return text


def limit_hint(error: StudentError, config: GraderConfig) -> str | None:
    """Explain errors that mean a sandbox limit was reached, whatever the assignment."""
    if error.type == "MemoryError":
        return f"the code tried to use more memory than the grader allows ({config.memory_mb} MiB)"
    if error.type == "BlockingIOError" and "Resource temporarily unavailable" in error.message:
        return f"the code started more processes or threads than the grader allows ({config.max_processes})"
    if error.type == "OSError" and "File too large" in error.message:
        return f"the code wrote a file larger than the grader allows ({config.max_file_mb} MiB)"
    return None

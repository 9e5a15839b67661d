"""The conversation with one student process: one request at a time, one authenticated answer each.

The grader asks for step 0, waits for exactly its answer, asks for step 1, and so on. Every
answer line must carry the MAC of this run's key (sent in the first request, before any student
code ran), and is bounded while it is read: bytes per line and per run, arrays and containers per
line. Anything else ends the run as a protocol violation: a line that is not authenticated (a
student writing into the pipe), an answer to a step not asked, a second answer, an early `done`.
Time limits are enforced here too, per section and for the whole submission.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Literal

from grader.intake.sections import Step
from grader.sandboxed.wire import KEY_BYTES, Event, Marker, Request, unseal

__all__ = ["Caps", "EndReason", "Job", "Message", "Outcome", "converse"]

EndReason = Literal["done", "timeout", "deadline", "crashed", "protocol"]
Message = dict[str, object]


@dataclass(frozen=True, slots=True)
class Job:
    """What the child runs: steps in order, each chunk's code, and the unseen inputs."""

    steps: tuple[Step, ...]
    sources: Mapping[int, str]  # the code each chunk runs, by chunk index
    inputs: Mapping[str, object]  # JSON-able, keyed by section id
    outputs: Mapping[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # names each section defines


@dataclass(frozen=True, slots=True)
class Caps:
    """Bounds on what the student process may send, enforced while reading, before decoding."""

    line_bytes: int = 8 * 2**20  # one answer
    run_bytes: int = 32 * 2**20  # all answers of one run
    arrays_per_line: int = 2_000
    containers_per_line: int = 200_000  # JSON lists and objects: `[[],[],...]` parses huge
    values_per_line: int = 500_000  # commas: a list of millions of numbers parses huge too


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the conversation ended: the accepted answers in order, and where it stopped."""

    events: tuple[Message, ...]
    end: EndReason
    last_step: int | None  # the step that was asked when the run stopped
    ready: bool  # the child answered START: student code may have run
    detail: str  # what broke the protocol, in plain words


class _Violation(str):
    """A reason the reader thread gave up on the answers."""


def converse(
    requests: IO[bytes],
    answers: IO[bytes],
    job: Job,
    *,
    caps: Caps,
    section_timeout_s: float,
    deadline: float,
) -> Outcome:
    """Run `job` step by step over the two pipes; never raises for anything the child does."""
    key = os.urandom(KEY_BYTES)
    inbox: queue.Queue[Message | _Violation | None] = queue.Queue()
    threading.Thread(target=_read, args=(answers, key, caps, inbox), daemon=True).start()
    outbox: queue.Queue[bytes | None] = queue.Queue()
    threading.Thread(target=_write, args=(requests, outbox), daemon=True).start()
    talk = _Talk(inbox, outbox, deadline=deadline, section_timeout_s=section_timeout_s)
    try:
        return talk.run(job, key)
    finally:
        outbox.put(None)


class _Talk:
    def __init__(
        self,
        inbox: queue.Queue[Message | _Violation | None],
        outbox: queue.Queue[bytes | None],
        *,
        deadline: float,
        section_timeout_s: float,
    ) -> None:
        self.inbox, self.outbox = inbox, outbox
        self.deadline, self.section_timeout_s = deadline, section_timeout_s
        self.events: list[Message] = []
        self.ready = False
        self.last_step: int | None = None
        self.section_started = time.monotonic()

    def run(self, job: Job, key: bytes) -> Outcome:
        self._ask({Request.KEY: Request.START, "key": key.hex()})
        stop = self._expect(Event.READY, n=None)
        if stop is not None:
            return stop
        self.ready = True
        section: str | None = "\0"  # no section yet
        for n, step in enumerate(job.steps):
            if step.section != section:
                section, self.section_started = step.section, time.monotonic()
            self.last_step = n
            self._ask(_request(n, step, job))
            stop = self._expect(step.kind, n=n, section=step.section)
            if stop is not None:
                return stop
        self._ask({Request.KEY: Request.END})
        return self._expect(Event.DONE, n=None) or self._end("done")

    def _ask(self, request: Message) -> None:
        self.outbox.put(json.dumps(request).encode("utf-8") + b"\n")

    def _expect(self, kind: str, *, n: int | None, section: str | None = None) -> Outcome | None:
        """Wait for the answer to the request just sent; an Outcome when the run must stop."""
        while True:
            section_deadline = self.section_started + self.section_timeout_s
            wait = min(self.deadline, section_deadline) - time.monotonic()
            if wait <= 0:
                return self._end("deadline" if self.deadline <= section_deadline else "timeout")
            try:
                item = self.inbox.get(timeout=wait)
            except queue.Empty:
                continue
            if item is None:  # the channel closed: the child exited (or closed it)
                return self._end("crashed")
            if isinstance(item, _Violation):
                return self._end("protocol", str(item))
            problem = _mismatch(item, kind, n=n, section=section)
            if problem:
                return self._end("protocol", problem)
            if n is not None:
                self.events.append(item)
            return None

    def _end(self, end: EndReason, detail: str = "") -> Outcome:
        return Outcome(tuple(self.events), end, self.last_step, self.ready, detail)


def _request(n: int, step: Step, job: Job) -> Message:
    if step.kind == "code":
        assert step.chunk is not None
        return {
            Request.KEY: Request.CODE,
            "n": n,
            "section": step.section,
            "chunk": step.chunk,
            "source": job.sources[step.chunk],
        }
    section = step.section or ""
    return {
        Request.KEY: Request.HARVEST,
        "n": n,
        "section": section,
        "inputs": job.inputs.get(section, {}),
        "outputs": list(job.outputs.get(section, ())),
    }


def _mismatch(answer: Message, kind: str, *, n: int | None, section: str | None) -> str:
    """Why `answer` is not the answer to the request just sent ("" when it is)."""
    got_kind, got_n = answer.get(Event.KEY), answer.get("n")
    asked = f"step {n}" if n is not None else "the start" if kind == Event.READY else "the end"
    if got_kind == Event.DONE and kind != Event.DONE:
        return f"the student process said it was done while {asked} was asked"
    if got_kind != kind or got_n != n:
        return (
            f"the student process answered {got_kind!r} for step {got_n!r} while {asked} "
            f"({kind}) was asked"
        )
    if kind == Event.HARVEST and answer.get("section") != section:
        return f"the student process described section {answer.get('section')!r} for {asked}"
    return ""


def _read(
    stream: IO[bytes], key: bytes, caps: Caps, out: queue.Queue[Message | _Violation | None]
) -> None:
    """Read answer lines, bounded and authenticated, until EOF or the first bad one."""
    total = 0
    with stream:
        while line := stream.readline(caps.line_bytes + 1):
            total += len(line)
            problem = _check_line(line, total, caps)
            body = None if problem else unseal(key, line)
            if body is None:
                out.put(
                    _Violation(
                        problem
                        or "a message that did not come from the grader's harvest was written "
                        "into its channel"
                    )
                )
                return
            problem = _check_body(body, caps)
            if problem:
                out.put(_Violation(problem))
                return
            try:
                message = json.loads(body)
            except (ValueError, RecursionError):
                out.put(_Violation("the student process sent a message that is not JSON"))
                return
            if not isinstance(message, dict):
                out.put(_Violation("the student process sent a message that is not an object"))
                return
            out.put(message)
    out.put(None)


def _check_line(line: bytes, total: int, caps: Caps) -> str:
    if len(line) > caps.line_bytes or not line.endswith(b"\n"):
        return f"the student process sent more than {_size(caps.line_bytes)} in one message"
    if total > caps.run_bytes:
        return f"the student process sent more than {_size(caps.run_bytes)} in one run"
    return ""


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 2**20 else f"{n >> 10} KiB" if n >= 2**10 else f"{n} bytes"


def _check_body(body: bytes, caps: Caps) -> str:
    if body.count(Marker.NDARRAY.encode()) > caps.arrays_per_line:
        return f"the student process sent more than {caps.arrays_per_line} arrays in one message"
    if (
        body.count(b"[") + body.count(b"{") > caps.containers_per_line
        or body.count(b",") > caps.values_per_line
    ):
        return "the student process sent a message nested or repeated beyond the grader's limits"
    return ""


def _write(stream: IO[bytes], outbox: queue.Queue[bytes | None]) -> None:
    """Send requests in order; a child that stopped reading costs nothing but this thread."""
    with contextlib.suppress(OSError), stream:
        while (data := outbox.get()) is not None:
            stream.write(data)
            stream.flush()

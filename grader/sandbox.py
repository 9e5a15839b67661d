"""The only module that starts processes: run a job in an isolated, limited child, from outside.

Limits are enforced by the parent: wall-clock per section and per submission with SIGKILL to
the whole process group (a student's signal handlers cannot stop it), rlimits on memory, file
size and core dumps set before the child starts, and bounded capture of its output. Where
bubblewrap is installed the child also gets no network, its own PID namespace, a private /tmp
and no view of the paths the caller hides (reference solutions, other submissions, output).
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from grader.config import GraderConfig
from grader.errors import SandboxError

EndReason = Literal["done", "timeout", "deadline", "crashed", "protocol"]
Isolation = Literal["bwrap", "process"]

_GRADER_ROOT = Path(__file__).resolve().parent.parent

Event = dict[str, object]


@dataclass(frozen=True, slots=True)
class JobStep:
    """Run one chunk of student code, or harvest one section."""

    kind: Literal["code", "harvest"]
    section: str | None
    chunk: int | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """What the child runs: steps in order, the harvest module, and the unseen inputs."""

    steps: tuple[JobStep, ...]
    harvest_path: Path
    inputs: Mapping[str, object]  # JSON-able, keyed by section id


@dataclass(frozen=True, slots=True)
class SandboxResult:
    """What came back: the child's events (still untrusted), and how the run ended."""

    events: tuple[Event, ...]
    end: EndReason
    last_step: int | None  # the step running when the child was stopped or died
    exit_code: int | None  # negative: killed by that signal
    stdout_tail: str
    stderr_tail: str
    duration_s: float
    isolation: Isolation
    detail: str = ""  # what went wrong, for crashed/protocol ends


@dataclass(slots=True)
class _Tail:
    limit: int
    parts: collections.deque[str] = field(default_factory=collections.deque)
    size: int = 0
    dropped: int = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        while self.size > self.limit and len(self.parts) > 1:
            old = self.parts.popleft()
            self.size -= len(old)
            self.dropped += len(old)

    def text(self) -> str:
        joined = "".join(self.parts)[-self.limit :]
        return (
            f"[... {self.dropped} characters before this were cut ...]\n" if self.dropped else ""
        ) + joined


def isolation_available() -> Isolation:
    """The strongest isolation this machine offers."""
    return "bwrap" if _bwrap_works() else "process"


_BWRAP_OK: bool | None = None


def _bwrap_works() -> bool:
    global _BWRAP_OK
    if _BWRAP_OK is None:
        exe = shutil.which("bwrap")
        if exe is None:
            _BWRAP_OK = False
        else:
            probe = subprocess.run(
                [
                    exe,
                    "--ro-bind",
                    "/",
                    "/",
                    "--unshare-all",
                    "--die-with-parent",
                    "--proc",
                    "/proc",
                    "--dev",
                    "/dev",
                    "true",
                ],
                capture_output=True,
                timeout=30,
                check=False,
            )
            _BWRAP_OK = probe.returncode == 0
    return _BWRAP_OK


def run_job(
    job: Job,
    *,
    config: GraderConfig,
    section_timeout_s: float,
    deadline: float,
    hide: Sequence[Path] = (),
) -> SandboxResult:
    """Run `job` in a fresh child; stop it at the first section over time or at `deadline`.

    `deadline` is a `time.monotonic()` value for the whole submission. `hide` lists paths the
    child must not see (with bubblewrap they are replaced by empty folders).
    """
    isolation: Isolation = "bwrap" if not config.allow_network and _bwrap_works() else "process"
    with tempfile.TemporaryDirectory(prefix="grader-scratch-") as scratch:
        read_fd, write_fd = os.pipe()
        payload = {
            "channel_fd": write_fd,
            "harvest_path": str(job.harvest_path),
            "inputs": dict(job.inputs),
            "steps": [
                {"kind": s.kind, "section": s.section, "chunk": s.chunk, "source": s.source}
                for s in job.steps
            ],
        }
        argv = [sys.executable, "-X", "utf8", "-m", "grader.child"]
        if isolation == "bwrap":
            argv = _bwrap_argv(scratch, hide) + argv
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=scratch,
                env=_child_env(scratch),
                pass_fds=(write_fd,),
                start_new_session=True,
                preexec_fn=_child_limits(config),
            )
        except OSError as exc:
            os.close(read_fd)
            os.close(write_fd)
            raise SandboxError(
                f"cannot start the student process ({exc}); is Python runnable?"
            ) from exc
        os.close(write_fd)
        try:
            return _supervise(
                proc,
                read_fd,
                payload,
                config=config,
                isolation=isolation,
                section_timeout_s=section_timeout_s,
                deadline=deadline,
                start=start,
            )
        finally:
            _kill(proc)


def _supervise(
    proc: subprocess.Popen[bytes],
    read_fd: int,
    payload: dict[str, object],
    *,
    config: GraderConfig,
    isolation: Isolation,
    section_timeout_s: float,
    deadline: float,
    start: float,
) -> SandboxResult:
    events: queue.Queue[Event | str | None] = queue.Queue()
    stdout, stderr = _Tail(config.output_tail_chars), _Tail(config.output_tail_chars)
    threads = [
        threading.Thread(
            target=_read_events, args=(read_fd, events, config.max_harvest_mb), daemon=True
        ),
        threading.Thread(target=_drain, args=(proc.stdout, stdout), daemon=True),
        threading.Thread(target=_drain, args=(proc.stderr, stderr), daemon=True),
    ]
    for t in threads:
        t.start()
    assert proc.stdin is not None
    try:
        proc.stdin.write(json.dumps(payload).encode("utf-8"))
        proc.stdin.close()
    except BrokenPipeError:
        pass

    received: list[Event] = []
    ready = False
    last_step: int | None = None
    step_section: str | None = None
    section_started = time.monotonic()
    steps = payload["steps"]
    assert isinstance(steps, list)
    end: EndReason = "crashed"
    detail = ""
    while True:
        now = time.monotonic()
        section_deadline = section_started + section_timeout_s
        wait = min(deadline, section_deadline) - now
        if wait <= 0:
            end = "deadline" if deadline <= section_deadline else "timeout"
            break
        try:
            item = events.get(timeout=wait)
        except queue.Empty:
            continue
        if item is None:  # channel closed: the child exited (or closed it)
            end = "crashed"
            break
        if isinstance(item, str):
            end, detail = "protocol", item
            break
        received.append(item)
        if item.get("event") == "ready":
            ready = True
        elif item.get("event") == "step":
            n = item.get("n")
            if not isinstance(n, int) or not 0 <= n < len(steps):
                end, detail = "protocol", f"bad step number {n!r}"
                break
            section = steps[n]["section"]
            if section != step_section or last_step is None:
                section_started = time.monotonic()
                step_section = section
            last_step = n
        elif item.get("event") == "done":
            end = "done"
            break
    if end == "crashed":
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
    _kill(proc)
    for t in threads[1:]:
        t.join(timeout=2)
    code = proc.returncode
    if not ready and end == "crashed":
        # No student code runs before "ready": a failure here is the grader's or the machine's.
        raise SandboxError(
            f"the student process failed before running any student code ({_describe_exit(code)}); "
            f"its last output:\n{stderr.text()[-2000:]}"
        )
    if end == "crashed":
        detail = _describe_exit(code)
    return SandboxResult(
        events=tuple(received),
        end=end,
        last_step=last_step,
        exit_code=code,
        stdout_tail=stdout.text(),
        stderr_tail=stderr.text(),
        duration_s=time.monotonic() - start,
        isolation=isolation,
        detail=detail,
    )


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "the student process stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == signal.SIGSEGV:
            return f"the Python process crashed ({name}, a segmentation fault)"
        return f"the Python process was killed by {name}"
    return f"the Python process exited with code {code} (os._exit or a crash)"


def _read_events(fd: int, out: queue.Queue[Event | str | None], max_mb: int) -> None:
    limit = max_mb * 2**20
    with os.fdopen(fd, "rb") as stream:
        while True:
            line = stream.readline(limit + 1)
            if not line:
                break
            if len(line) > limit:
                out.put(f"the student process sent more than {max_mb} MiB in one message")
                return
            try:
                event = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                out.put("the student process sent a message that is not JSON")
                return
            if not isinstance(event, dict):
                out.put("the student process sent a message that is not a JSON object")
                return
            out.put(event)
    out.put(None)


def _drain(stream: IO[bytes] | None, tail: _Tail) -> None:
    if stream is None:
        return
    while True:
        block = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
        if not block:
            return
        tail.add(block.decode("utf-8", errors="replace"))


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole process group (and, under bwrap, its PID namespace)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def _child_env(scratch: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": scratch,
        "TMPDIR": scratch,
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(_GRADER_ROOT),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "",
        "KERAS_HOME": scratch,
    }
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "VIRTUAL_ENV"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def _child_limits(config: GraderConfig) -> Callable[[], None]:
    mem = config.memory_mb * 2**20
    fsize = config.max_file_mb * 2**20

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _bwrap_argv(scratch: str, hide: Sequence[Path]) -> list[str]:
    bwrap = shutil.which("bwrap") or "bwrap"
    argv = [
        bwrap,
        "--die-with-parent",
        "--new-session",
        "--unshare-all",
        "--ro-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "--tmpfs",
        "/dev/shm",
        "--tmpfs",
        "/run",
    ]
    for path in hide:
        resolved = path.resolve()
        if resolved.is_dir():
            argv += ["--tmpfs", str(resolved)]
        elif resolved.exists():
            argv += ["--ro-bind", "/dev/null", str(resolved)]
    argv += ["--bind", scratch, scratch, "--chdir", scratch]
    return argv

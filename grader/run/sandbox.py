"""The only module that starts processes: run jobs in isolated, limited children, from outside.

A `Sandbox` starts one warm zygote (`grader.sandboxed.zygote`) that imports TensorFlow once, then forks a
fresh child per submission. Limits are enforced from outside the student's code: wall-clock per
section and per submission (on overrun the zygote, which runs as a different user, SIGKILLs every
process the job made; if it does not answer, the whole sandbox is killed), rlimits on memory,
file size, core dumps and process count set before any student code runs, and bounded capture of
output. What student code can reach is one allowlist (`grader.run.isolation`), enforced by the
layers `GraderConfig.isolation` asks for: bubblewrap (no network, own PID namespace, a private
size-limited /tmp wiped between students), else Landlock and seccomp; as root, student code runs
as a job user this sandbox holds alone (`grader.run.jobuser`), in a memory cgroup where one can
be made. The zygote receives the confinement as a `Policy` on its command line.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Protocol

from grader.config import GraderConfig
from grader.errors import SandboxError
from grader.run.exchange import Caps, EndReason, Job, Message, Outcome, converse
from grader.run.isolation import (
    GRADER_ROOT,
    Layers,
    allowlist,
    bwrap_argv,
    bwrap_job_root,
    layers_name,
    resolve_layers,
)
from grader.run.jobuser import (
    JobUser,
    acquire_job_user,
    kill_uid,
    make_cgroup,
    oom_kills,
    remove_cgroup,
)
from grader.sandboxed import zygote
from grader.sandboxed.policy import Policy
from grader.sandboxed.wire import Control, Op

_FAILED_EXIT_S = 5.0  # how long a zygote that failed gets to exit and flush
_START_TIMEOUT_S = 180.0  # importing TensorFlow on a loaded machine
_REPLY_TIMEOUT_S = 30.0
_CGROUP_SLACK_MB = 1024  # pages a forked child copies from the zygote, besides its own memory
# Shared folders where a job user could leave files when there is no private /tmp.
_SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")


@dataclass(frozen=True, slots=True)
class SandboxResult:
    """What came back: the child's events (still untrusted), and how the run ended."""

    events: tuple[Message, ...]
    end: EndReason
    last_step: int | None  # the step running when the child was stopped or died
    exit_code: int | None  # negative: killed by that signal
    stdout_tail: str
    stderr_tail: str
    duration_s: float
    isolation: str  # the layers that confined it, as the scorecard names them (`layers_name`)
    detail: str = ""  # what went wrong, for crashed/protocol ends


class Runner(Protocol):
    """Anything that runs a job: a `Sandbox`, or a fake in tests."""

    def __call__(self, job: Job, *, section_timeout_s: float, deadline: float) -> SandboxResult: ...


@dataclass(slots=True)
class _Tail:
    """The last `limit` characters of a stream, however much is written."""

    limit: int
    parts: collections.deque[str] = field(default_factory=collections.deque)
    size: int = 0
    dropped: int = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        while self.size > self.limit:
            old = self.parts.popleft()
            self.size -= len(old)
            keep = max(0, self.limit - self.size)  # what of `old` still fits
            if keep:
                self.parts.appendleft(old[-keep:])
                self.size += keep
            self.dropped += len(old) - keep

    def text(self) -> str:
        joined = "".join(self.parts)
        cut = f"[... {self.dropped} characters before this were cut ...]\n" if self.dropped else ""
        return cut + joined


class Sandbox:
    """A warm, isolated worker that runs one job at a time; `close` it when done."""

    def __init__(
        self,
        *,
        harvest_path: Path,
        config: GraderConfig,
        hide: Sequence[Path] = (),
        slot: int = 0,
        single_use: bool = False,
    ) -> None:
        self.harvest_path = harvest_path
        # The zygote itself runs the job (no fork): least memory, one job per start.
        self.single_use = single_use
        self.config = config
        self.hide = tuple(hide)  # what must stay out of reach besides the grader's own tree
        self.slot = slot
        self.layers: Layers = ()  # decided when the zygote starts (`spawn`)
        self.isolation = "none"  # `layers_name(self.layers)` once started
        self._user: JobUser | None = None
        self._cgroup: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._events: queue.Queue[Message | None] = queue.Queue()
        self._exits: dict[int, int] = {}
        self._log = _Tail(4000)
        self._log_drain: threading.Thread | None = None
        self._failure = ""  # what a zygote that could not start said was wrong
        self._scratch: str | None = None
        self._stopped = False

    # -- the zygote -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the zygote and wait until it has imported TensorFlow and the harvest module."""
        self.spawn()
        self.wait_ready()

    def spawn(self) -> None:
        """Start the zygote without waiting for it (start several, then `wait_ready` on each).

        Call it from a thread that outlives the sandbox: the zygote dies with the thread that
        started it (PR_SET_PDEATHSIG follows the thread, not the process).
        """
        self.close()
        if os.geteuid() == 0 and self._user is None:
            # Never run student code as root: it could regain every capability by exec'ing.
            self._user = acquire_job_user(hint=self.slot)
        self._scratch = tempfile.mkdtemp(prefix="grader-scratch-")
        os.chmod(self._scratch, 0o755)
        allow = allowlist(
            harvest_dir=self.harvest_path.parent, job_root=Path(self._scratch), private=self.hide
        )
        tmpfs_bytes = self.config.tmpfs_mb * 2**20
        base = Policy()
        if self._user is not None:
            base = Policy(
                uid=self._user.uid, gid=self._user.gid, groups=self._user.groups, wipe=_SHARED_TMP
            )
        self.layers, policy = resolve_layers(
            self.config.isolation, allow=allow, policy=base, tmpfs_bytes=tmpfs_bytes
        )
        self.isolation = layers_name(self.layers)
        scratch, prefix = self._scratch, []
        if "bwrap" in self.layers:
            scratch = str(bwrap_job_root(allow))
            prefix = bwrap_argv(allow, tmpfs_bytes=tmpfs_bytes)
            policy = replace(policy, private_tmp=True, wipe=())
        passed = []
        if self._user is not None:
            limit = self.config.memory_mb + 2 * self.config.tmpfs_mb + _CGROUP_SLACK_MB
            self._cgroup = make_cgroup(self._user.uid, limit_bytes=limit * 2**20)
            if self._cgroup is not None:
                cgroup_fd = os.open(self._cgroup / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC)
                policy = replace(policy, cgroup_fd=cgroup_fd)
                passed.append(cgroup_fd)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        passed.append(theirs.fileno())
        argv = [
            *prefix,
            sys.executable,
            "-X",
            "utf8",
            "-m",
            zygote.__name__,
            "--control-fd",
            str(theirs.fileno()),
            "--harvest",
            str(self.harvest_path),
            "--scratch",
            scratch,
            "--policy",
            policy.to_json(),
            *(["--single-use"] if self.single_use else []),
        ]
        env = _child_env(scratch)
        try:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=self._scratch,
                env=env,
                pass_fds=passed,
                start_new_session=True,
            )
        except OSError as exc:
            raise SandboxError(
                f"cannot start the sandbox ({exc}); is {sys.executable} runnable?"
            ) from exc
        finally:
            theirs.close()
            if policy.cgroup_fd >= 0:
                os.close(policy.cgroup_fd)
        self._control = ours
        self._events = queue.Queue()
        self._exits = {}
        self._log = _Tail(4000)
        threading.Thread(target=_read_control, args=(ours, self._events), daemon=True).start()
        self._log_drain = threading.Thread(
            target=_drain, args=(self._proc.stdout, self._log), daemon=True
        )
        self._log_drain.start()

    def wait_ready(self) -> None:
        """Wait until the spawned zygote is ready; SandboxError with its output if it fails."""
        ready = self._await(Control.ZYGOTE_READY, timeout=_START_TIMEOUT_S)
        if ready is None:
            # The zygote reports its failure before its traceback is flushed: let it exit and
            # the drain read everything, so the error shows the cause, not a first line.
            if self._proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(timeout=_FAILED_EXIT_S)
            self.close()
            if self._log_drain is not None:
                self._log_drain.join(timeout=_FAILED_EXIT_S)
            log = self._log.text()[-2000:]
            cause = f" ({self._failure})" if self._failure else ""
            raise SandboxError(f"the sandbox did not start{cause}; its output:\n{log}")

    @property
    def stopped(self) -> bool:
        """Whether `stop` was called: no job runs here again."""
        return self._stopped

    def stop(self) -> None:
        """Close for good (on Ctrl-C): a job running now ends, and no new zygote is started."""
        self._stopped = True
        self.close()
        self.release()

    def close(self) -> None:
        """Stop the zygote and everything under it; remove its scratch folder.

        Everything running as this sandbox's job user dies too, wherever it went (a daemon
        that left the zygote's process group, or outlived the zygote).
        """
        if self._control is not None:
            with contextlib.suppress(OSError):
                self._control.close()
            self._control = None
        if self._proc is not None:
            _kill_group(self._proc)
            self._proc = None
        if self._user is not None:
            kill_uid(self._user.uid)
        if self._cgroup is not None:
            remove_cgroup(self._cgroup)
            self._cgroup = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
        if self.single_use:
            self.release()

    def release(self) -> None:
        """Let the job user go (after `close`): another sandbox may take it now."""
        if self._user is not None:
            self._user.release()
            self._user = None

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and self._control is not None

    def _send(self, request: Message, fds: Sequence[int] = ()) -> bool:
        if self._control is None:
            return False
        try:
            socket.send_fds(self._control, [json.dumps(request).encode()], list(fds))
        except OSError:
            return False
        return True

    def _await(self, kind: str, *, timeout: float) -> Message | None:
        """The next control event of `kind` (exit reports are kept aside); None if it never comes."""
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            try:
                event = self._events.get(timeout=left)
            except queue.Empty:
                return None
            if event is None:
                return None
            if event.get(Control.KEY) == Control.EXIT:
                pid, code = event.get("pid"), event.get("code")
                if isinstance(pid, int) and isinstance(code, int):
                    self._exits[pid] = code
                continue
            if event.get(Control.KEY) == kind:
                return event
            if event.get(Control.KEY) == Control.ZYGOTE_FAILED:
                self._failure = str(event.get("error", ""))[:500]
                return None
        return None

    # -- one job ----------------------------------------------------------------------------

    def __call__(self, job: Job, *, section_timeout_s: float, deadline: float) -> SandboxResult:
        return self.run(job, section_timeout_s=section_timeout_s, deadline=deadline)

    def run(self, job: Job, *, section_timeout_s: float, deadline: float) -> SandboxResult:
        """Run `job` in a fresh child; stop it at the first section over time or at `deadline`.

        `deadline` is a `time.monotonic()` value for the whole submission.
        """
        if self._stopped:
            raise SandboxError("grading was interrupted")
        if not self._alive():
            self.start()
        start = time.monotonic()
        direct = self.single_use and "bwrap" in self.layers  # bwrap's PID namespace reaps
        pid, (requests, answers, out_r, err_r) = self._fork(direct)
        oom_before = oom_kills(self._cgroup)
        stdout, stderr = _Tail(self.config.output_tail_chars), _Tail(self.config.output_tail_chars)
        drains = [
            threading.Thread(target=_drain, args=(os.fdopen(out_r, "rb"), stdout), daemon=True),
            threading.Thread(target=_drain, args=(os.fdopen(err_r, "rb"), stderr), daemon=True),
        ]
        for t in drains:
            t.start()
        outcome = converse(
            os.fdopen(requests, "wb"),
            os.fdopen(answers, "rb"),
            job,
            caps=_caps(self.config),
            section_timeout_s=section_timeout_s,
            deadline=deadline,
        )
        out_of_memory = oom_kills(self._cgroup) > oom_before  # before _finish removes the cgroup
        exit_code = self._finish(pid, outcome, direct=direct)
        for t in drains:
            t.join(timeout=2)
        if not outcome.ready and outcome.end == "crashed":
            # No student code runs before "ready": a failure here is the grader's or the machine's.
            raise SandboxError(
                f"the student process failed before running any student code ({_describe_exit(exit_code)}); "
                f"its last output:\n{stderr.text()[-2000:]}"
            )
        return SandboxResult(
            events=outcome.events,
            end=outcome.end,
            last_step=outcome.last_step,
            exit_code=exit_code,
            stdout_tail=stdout.text(),
            stderr_tail=stderr.text(),
            duration_s=time.monotonic() - start,
            isolation=self.isolation,
            detail=self._crash_detail(exit_code, out_of_memory)
            if outcome.end == "crashed"
            else outcome.detail,
        )

    def _crash_detail(self, exit_code: int | None, out_of_memory: bool) -> str:
        if out_of_memory:
            return (
                "the Python process was killed for using more memory than the grader allows "
                f"({self.config.memory_mb} MiB, files in /tmp and /dev/shm included)"
            )
        return _describe_exit(exit_code)

    def _fork(self, direct: bool) -> tuple[int, tuple[int, int, int, int]]:
        """Ask the zygote for a student process; (its pid, our ends: requests, answers, stdout, stderr)."""
        job_r, job_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        ch_r, ch_w = os.pipe()
        limits = {
            "memory_bytes": self.config.memory_mb * 2**20,
            "file_bytes": self.config.max_file_mb * 2**20,
            "processes": self.config.max_processes,
        }
        sent = self._send(
            {Op.KEY: Op.RUN, "limits": limits, "direct": direct}, [job_r, out_w, err_w, ch_w]
        )
        for fd in (job_r, out_w, err_w, ch_w):
            os.close(fd)
        forked = self._await(Control.FORKED, timeout=_REPLY_TIMEOUT_S) if sent else None
        pid = forked.get("pid") if forked is not None else None
        if not isinstance(pid, int):
            for fd in (job_w, out_r, err_r, ch_r):
                os.close(fd)
            log = self._log.text()[-2000:]
            self.close()
            raise SandboxError(f"the sandbox stopped answering; its output:\n{log}")
        return pid, (job_w, ch_r, out_r, err_r)

    def _finish(self, pid: int, outcome: Outcome, *, direct: bool) -> int | None:
        """Kill what is left of the job and wipe it; return how the student process ended."""
        if outcome.end != "done" and not (
            self._send({Op.KEY: Op.KILL}) and self._await(Control.KILLED, timeout=10)
        ):
            self.close()  # the zygote did not answer: kill the whole sandbox, start afresh next time
        if direct:  # the zygote was the student process: nothing to clean, start afresh next time
            exit_code = self._direct_exit_code() if outcome.end == "crashed" else None
            self.close()
        else:
            exit_code = self._exit_code(pid) if outcome.end == "crashed" else None
        if self._alive() and not (
            self._send({Op.KEY: Op.CLEANUP})
            and self._await(Control.CLEAN, timeout=_REPLY_TIMEOUT_S)
        ):
            self.close()
        return exit_code

    def _direct_exit_code(self) -> int | None:
        """How the student process ended when it was the zygote itself (bwrap passes it on)."""
        if self._proc is None:
            return None
        try:
            code = self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None
        # bwrap exits with 128 + n when its child was killed by signal n.
        return -(code - 128) if code > 128 else code

    def _exit_code(self, pid: int) -> int | None:
        end = time.monotonic() + 5
        while pid not in self._exits and time.monotonic() < end:
            try:
                event = self._events.get(timeout=0.1)
            except queue.Empty:
                continue
            if event is None:
                break
            exited, code = event.get("pid"), event.get("code")
            if (
                event.get(Control.KEY) == Control.EXIT
                and isinstance(exited, int)
                and isinstance(code, int)
            ):
                self._exits[exited] = code
        return self._exits.pop(pid, None)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "the Python process stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == signal.SIGSEGV:
            return f"the Python process crashed ({name}, a segmentation fault)"
        return f"the Python process was killed by {name}"
    return f"the Python process exited with code {code} (os._exit or a crash)"


def _read_control(sock: socket.socket, out: queue.Queue[Message | None]) -> None:
    while True:
        try:
            data = sock.recv(65536)
        except OSError:
            break
        if not data:
            break
        with contextlib.suppress(json.JSONDecodeError, UnicodeDecodeError):
            event = json.loads(data)
            if isinstance(event, dict):
                out.put(event)
    out.put(None)


def _drain(stream: IO[bytes] | None, tail: _Tail) -> None:
    if stream is None:
        return
    with stream:
        while block := stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536):
            tail.add(block.decode("utf-8", errors="replace"))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the sandbox's whole process group (under bwrap, its PID namespace dies with it)."""
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
        "PYTHONPATH": str(GRADER_ROOT),  # only grader/__init__.py and grader/sandboxed/ in reach
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


def _caps(config: GraderConfig) -> Caps:
    return Caps(line_bytes=config.max_message_mb * 2**20, run_bytes=config.max_run_mb * 2**20)

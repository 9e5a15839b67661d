"""The warm parent of student processes: imports TensorFlow once, forks one child per submission.

Runs inside the sandbox (under bubblewrap when available), started by `grader.run.sandbox` as
`python -m grader.sandboxed.zygote`. It has
imported TensorFlow and the assignment's harvest module but never runs a TensorFlow op, so its
forked children can (a process that has run an op hangs its forked children). It talks to the
grader over a Unix socket: each request is one JSON line, with file descriptors attached for
`run`. Each child confines itself before any student code runs, as the grader's `Policy` says
(`grader.sandboxed.policy`: memory cgroup, Landlock, a separate unprivileged user, seccomp), so
student code can neither signal the zygote nor escape the process limit; the zygote is a child
subreaper, so every process a student leaves behind becomes its child and is killed before the
next one. `--probe` applies the same confinement in a throwaway child and exits: the grader runs
the sandbox's exact command line that way to learn whether every layer holds.

Two things keep a submission cheap. Everything imported is moved out of the garbage collector's
reach (`gc.freeze`) before the first fork, so a child's collections neither walk TensorFlow's
million objects nor copy the pages they sit on. A single-use sandbox (`--single-use`: one `check`,
one Gradescope run) hands the kernel back, as it imports and once more before any student code,
the library pages that only loading TensorFlow touched (relocations, symbol tables, static
initialisers: about 350 MiB of the 600 MiB the import costs); what the student's code needs is
read back on first use. A warm sandbox of a batch keeps them: its children would read them back
once each.
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import ctypes
import gc
import json
import os
import resource
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

from grader.sandboxed.child import HarvestFn, load_harvesters, run_forked
from grader.sandboxed.policy import Policy, confine
from grader.sandboxed.seccomp import available as seccomp_available
from grader.sandboxed.wire import Control, Op

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_MAX_FDS = 4


def _prctl(option: int, value: int) -> None:
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the grader's kills still apply
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


class Zygote:
    """Serve `run`, `kill` and `cleanup` requests from the grader, one job at a time."""

    def __init__(
        self,
        control: socket.socket,
        harvesters: dict[str, HarvestFn],
        scratch: Path,
        policy: Policy,
    ) -> None:
        self.control = control
        self.harvesters = harvesters
        self.scratch = scratch
        self.policy = policy
        self.private_tmp = policy.private_tmp
        self.uid = policy.uid
        # What bubblewrap made in the private /tmp and /dev/shm (the scratch folder, the
        # folders its read-only mounts sit in) stays; whatever a student makes there goes.
        self.keep = {e for root in _TMP_ROOTS if root.is_dir() for e in root.iterdir()}
        self.send_lock = threading.Lock()
        self.job_dir: Path | None = None

    def send(self, event: dict[str, object]) -> None:
        with self.send_lock:  # the reaper thread sends too; one datagram per event
            self.control.send(json.dumps(event).encode())

    def serve(self) -> None:
        threading.Thread(target=self._reap, daemon=True).start()
        self.send({Control.KEY: Control.ZYGOTE_READY, "pid": os.getpid(), "uid": self.uid})
        while True:
            msg, fds, _flags, _addr = socket.recv_fds(self.control, 65536, _MAX_FDS)
            if not msg:
                return  # the grader went away
            request = json.loads(msg)
            op = request.get(Op.KEY)
            if op == Op.RUN:
                self._run(request, fds)
            elif op == Op.KILL:
                self._kill_all()
                self.send({Control.KEY: Control.KILLED})
            elif op == Op.CLEANUP:
                self._kill_all()
                self._wipe()
                self.send({Control.KEY: Control.CLEAN})
            for fd in fds:
                os.close(fd)

    def _run(self, request: dict[str, object], fds: list[int]) -> None:
        job_fd, out_fd, err_fd, channel_fd = fds
        self.job_dir = Path(tempfile.mkdtemp(prefix="job-", dir=self.scratch))
        if self.uid >= 0:
            os.chown(self.job_dir, self.uid, self.policy.gid if self.policy.gid >= 0 else self.uid)
        limits = request.get("limits")
        assert isinstance(limits, dict)
        # A single-use sandbox (one submission, e.g. on Gradescope) becomes the student process
        # itself: no fork means no copied pages, the least memory.
        direct = bool(request.get("direct"))
        pid = os.getpid() if direct else os.fork()
        if pid != 0:
            self.send({Control.KEY: Control.FORKED, "pid": pid})
        if direct or pid == 0:
            try:  # the student process: never returns
                try:
                    self._become_student(job_fd, out_fd, err_fd, channel_fd, limits)
                except BaseException:  # a layer did not hold: no student code runs
                    traceback.print_exc()
                    sys.stderr.flush()
                    raise
                run_forked(job_fd, channel_fd, self.harvesters)
            finally:
                os._exit(70)

    def _become_student(
        self, job_fd: int, out_fd: int, err_fd: int, channel_fd: int, limits: dict[str, object]
    ) -> None:
        self.control.close()
        os.setsid()
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        for fd in (devnull, out_fd, err_fd):
            os.close(fd)
        sys.stdin = open(os.devnull)  # noqa: SIM115 - the child's stdin for its whole life
        sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
        assert self.job_dir is not None
        os.chdir(self.job_dir)
        for key in ("HOME", "TMPDIR"):
            os.environ[key] = str(self.job_dir)
        tempfile.tempdir = str(self.job_dir)
        _limit(_int(limits, "memory_bytes"), _int(limits, "file_bytes"))
        confine(self.policy, job_dir=str(self.job_dir), nproc=_int(limits, "processes"))

    def _reap(self) -> None:
        """Reap every child (and adopted orphan); report how each one ended."""
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                time.sleep(0.05)
                continue
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            self.send({Control.KEY: Control.EXIT, "pid": pid, "code": code})

    def _kill_all(self) -> None:
        """SIGKILL every descendant: the job, its children, and orphans adopted by us."""
        me = os.getpid()
        for _round in range(200):
            victims = [pid for pid in _descendants(me, self.uid) if pid != me]
            if not victims:
                return
            for pid in victims:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def _wipe(self) -> None:
        if self.job_dir is not None:
            shutil.rmtree(self.job_dir, ignore_errors=True)
            self.job_dir = None
        if self.private_tmp:  # the sandbox's own /tmp and /dev/shm: nothing may carry over
            for root in _TMP_ROOTS:
                for entry in root.iterdir() if root.is_dir() else ():
                    if entry in self.keep or self.scratch.is_relative_to(entry):
                        continue
                    _remove(entry)
        # Shared folders (no bubblewrap): whatever the job user left there; the job user is
        # this sandbox's alone, so nothing of it belongs to anyone else.
        if self.uid >= 0:
            for folder in self.policy.wipe:
                with contextlib.suppress(OSError):
                    for left in os.scandir(folder):
                        with contextlib.suppress(OSError):
                            if left.stat(follow_symlinks=False).st_uid == self.uid:
                                _remove(Path(left.path))


_TMP_ROOTS = (Path("/tmp"), Path("/dev/shm"))


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            entry.unlink()


_MADV_PAGEOUT = 21  # Linux 5.4; older kernels refuse it (EINVAL) and nothing changes


def release_loaded_pages() -> int:
    """Reclaim the clean pages of every read-only file mapping; return how many were asked.

    Only pages no other process maps are reclaimed (the kernel's rule for MADV_PAGEOUT), and
    they are clean: nothing is lost, a page touched again is read back from the file.
    """
    try:
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return 0
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    asked = 0
    with contextlib.suppress(OSError), open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) < 6 or "w" in fields[1] or not fields[5].startswith("/"):
                continue
            start, end = (int(edge, 16) for edge in fields[0].split("-"))
            asked += madvise(start, end - start, _MADV_PAGEOUT) == 0
    return asked


@contextlib.contextmanager
def releasing_loaded_pages(every_bytes: int = 128 * 2**20) -> Iterator[None]:
    """While importing: reclaim loaded pages each time the resident size grew by `every_bytes`.

    After each import statement, the count of page faults (one system call) says whether the
    resident size can have grown enough to be worth reading.
    """
    original = builtins.__import__
    resident = _resident_bytes()
    faults = _page_faults()

    def importing(*args: object, **kwargs: object) -> object:
        nonlocal resident, faults
        module = original(*args, **kwargs)  # type: ignore[arg-type]
        if _page_faults() - faults > _FAULTS_BETWEEN_LOOKS:
            faults = _page_faults()
            if _resident_bytes() - resident > every_bytes:
                release_loaded_pages()
                resident = _resident_bytes()
        return module

    builtins.__import__ = importing  # type: ignore[assignment]
    try:
        yield
    finally:
        builtins.__import__ = original
        release_loaded_pages()


_FAULTS_BETWEEN_LOOKS = 2048  # a fault maps at least a page: 8 MiB at the least between looks


def _page_faults() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_minflt + usage.ru_majflt


def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit(memory: int, fsize: int) -> None:
    """Address space (what the zygote has mapped plus `memory`), file size, no core dumps."""
    address_space = _vm_size() + memory
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _int(limits: dict[str, object], key: str) -> int:
    value = limits.get(key)
    assert isinstance(value, int)
    return value


def _vm_size() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _descendants(me: int, uid: int) -> list[int]:
    """Our children (orphans included, as we are a subreaper), and every process of the job user.

    The owner comes from the status file: after setuid a process is not dumpable, and its
    /proc folder belongs to root.
    """
    pids: list[int] = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", "rb") as f:
                status = f.read()
            ppid = int(status.split(b"\nPPid:")[1].split()[0])
            uids = {int(u) for u in status.split(b"\nUid:")[1].split(b"\n")[0].split()}
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me or (uid >= 0 and uid in uids):
            pids.append(int(entry.name))
    return pids


def probe(policy: Policy) -> int:
    """Confine a throwaway child exactly as a student process, check it can work; 0 if so."""
    job_dir = tempfile.mkdtemp(prefix="grader-probe-")
    try:
        if policy.uid >= 0:
            os.chown(job_dir, policy.uid, policy.gid if policy.gid >= 0 else policy.uid)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                _limit(2**30, 2**20)
                confine(policy, job_dir=job_dir, nproc=64)
                with open(os.path.join(job_dir, "probe"), "w") as f:
                    f.write("ok")
                # What every student process needs: the interpreter and its library.
                with open(os.path.realpath(sys.executable), "rb") as f:
                    f.read(1)
                os.listdir(os.path.dirname(os.__file__))
                code = 0
            except BaseException as exc:
                print(f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m grader.sandboxed.zygote")
    parser.add_argument("--control-fd", type=int)
    parser.add_argument("--harvest")
    parser.add_argument("--scratch")
    parser.add_argument("--policy", default="{}", help="JSON: how to confine student processes")
    parser.add_argument("--probe", action="store_true", help="check the policy holds, then exit")
    parser.add_argument(
        "--single-use", action="store_true", help="one job: give back the pages only loading used"
    )
    args = parser.parse_args()
    policy = Policy.from_json(args.policy)
    if args.probe:
        sys.exit(probe(policy))
    if args.control_fd is None or not args.harvest or not args.scratch:
        parser.error("--control-fd, --harvest and --scratch are required")
    control = socket.socket(fileno=args.control_fd)
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    gc.disable()  # nothing imported here is garbage: collecting it would only cost time
    try:
        with releasing_loaded_pages() if args.single_use else contextlib.nullcontext():
            harvesters = load_harvesters(args.harvest)
    except Exception as exc:  # the assignment's harvest module is broken: the grader's problem
        failure = {Control.KEY: Control.ZYGOTE_FAILED, "error": f"{type(exc).__name__}: {exc}"}
        control.send(json.dumps(failure).encode())
        raise
    if policy.seccomp:
        seccomp_available()  # libseccomp's binding imported once here, not in every child
    gc.freeze()  # out of every child's collections, and their pages stay shared
    gc.enable()
    Zygote(control, harvesters, Path(args.scratch), policy).serve()


if __name__ == "__main__":
    main()

"""What this machine offers for isolating student code, layer by layer, and how to get more."""

from __future__ import annotations

import os
import platform
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.run.isolation import (
    Allowlist,
    Layers,
    allowlist,
    bwrap_works,
    layers_name,
    reachable,
)
from grader.run.jobuser import JOB_GROUP, LOCK_DIR, job_uids
from grader.sandboxed import landlock, seccomp
from grader.sandboxed.policy import Policy

__all__ = ["Examination", "Finding", "examine", "render"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One layer: whether it is there, what it gives, and how to get it if not."""

    name: str
    ok: bool
    detail: str
    advice: str = ""


@dataclass(frozen=True, slots=True)
class Examination:
    """Every layer, and what `--isolation auto` would run student code inside."""

    findings: tuple[Finding, ...]
    auto: Layers | None  # None: `auto` refuses here (only `--isolation process` grades)

    @property
    def strong(self) -> bool:
        """Namespaces or Landlock confine student code, as a job user when the grader is root."""
        return self.auto is not None and ("bwrap" in self.auto or "landlock" in self.auto)


def _closed_above(allow: Allowlist, uid: int) -> list[Path]:
    closed = []
    for path in allow.read:
        for folder in reversed(path.parents):
            if not reachable(folder, uid=uid, gids=(uid, JOB_GROUP)) and folder not in closed:
                closed.append(folder)
                break
    return closed


def examine(*, harvest_dir: Path) -> Examination:
    """Examine the machine for an assignment harvesting from `harvest_dir`; changes nothing."""
    root = os.geteuid() == 0
    uid = job_uids().start
    with tempfile.TemporaryDirectory(prefix="grader-doctor-") as scratch:
        os.chmod(scratch, 0o755)
        allow = allowlist(harvest_dir=harvest_dir, job_root=Path(scratch))
        base = Policy(uid=uid, gid=uid, groups=(JOB_GROUP,)) if root else Policy()
        no_seccomp = seccomp.available()
        why_not_bwrap = bwrap_works(
            allow, base.with_layers(landlock=None, seccomp=not no_seccomp), tmpfs_bytes=2**26
        )
    abi = landlock.abi()
    findings = [
        Finding(
            "bubblewrap",
            not why_not_bwrap,
            "starts with the sandbox's own command line: no network, own PID namespace, an "
            "empty root with only the allowlist, size-limited /tmp and /dev/shm"
            if not why_not_bwrap
            else f"cannot start: {why_not_bwrap}",
            ""
            if not why_not_bwrap
            else "install it (Debian/Ubuntu: apt-get install bubblewrap); in a container it needs "
            "namespaces (Docker refuses them by default): Landlock and seccomp stand in",
        ),
        Finding(
            "Landlock",
            abi >= 1,
            f"ABI {abi}: reads only the allowlist, writes only the job folder"
            + ("; TCP bind and connect denied" if abi >= 4 else "; no TCP rules (needs ABI 4)")
            + (
                "; signals and abstract Unix sockets scoped to the job"
                if abi >= 6
                else "; no signal scoping (needs ABI 6)"
            )
            if abi >= 1
            else "not available in this kernel",
            ""
            if abi >= 6
            else "Linux 6.12 or newer with landlock in its lsm= list gives all of it",
        ),
        Finding(
            "seccomp",
            not no_seccomp,
            no_seccomp
            or "no sockets, ptrace, namespaces, mounts, SysV IPC, io_uring or memfd for student code",
            ""
            if not no_seccomp
            else "python -m pip install pyseccomp; apt-get install libseccomp2",
        ),
    ]
    closed = _closed_above(allow, uid) if root else []
    pool = job_uids()
    findings.append(
        Finding(
            "separate user for student code",
            root,
            f"student code runs as a job user ({pool.start}-{pool.stop - 1}), one per live "
            f"sandbox, locked in {LOCK_DIR}: it cannot signal the grader, and the process "
            "limit applies"
            + (
                f"; {', '.join(map(str, closed))} is closed to it: without bubblewrap the grader "
                f"grants its job group ({JOB_GROUP}) search, not reading, there (a POSIX ACL)"
                if closed
                else ""
            )
            if root
            else "student code runs as the grader's own user",
            ""
            if root
            else "run the grader as root (in a container or with sudo): student code then runs "
            "as an unprivileged job user",
        )
    )
    cgroup = Path("/sys/fs/cgroup/memory")
    v2 = Path("/sys/fs/cgroup/cgroup.controllers")
    cgroup_ok = root and (
        os.access(cgroup, os.W_OK)
        or (v2.exists() and "memory" in v2.read_text() and os.access(v2.parent, os.W_OK))
    )
    findings.append(
        Finding(
            "memory cgroup",
            cgroup_ok,
            "each sandbox gets its own memory cgroup: files in RAM-backed folders count too"
            if cgroup_ok
            else "no writable memory cgroup: the address-space limit and size-limited /tmp apply",
            "" if cgroup_ok else "run as root where /sys/fs/cgroup is writable",
        )
    )
    findings.append(
        Finding(
            "resource limits",
            platform.system() == "Linux",
            "memory (address space), file size, process count and core dumps are limited with "
            "setrlimit; time limits are enforced with SIGKILL by the grader",
        )
    )
    auto: Layers | None
    extra: Layers = (*(() if no_seccomp else ("seccomp",)), *(("uid",) if root else ()))
    if not why_not_bwrap:
        auto = ("bwrap", *extra)
    elif abi >= 1 and not no_seccomp:
        auto = ("landlock", *extra)
    else:
        auto = None
    return Examination(tuple(findings), auto)


def render(exam: Examination) -> str:
    lines = []
    for f in exam.findings:
        lines.append(f"[{'yes' if f.ok else 'no ':>3}] {f.name}: {f.detail}")
        if f.advice:
            lines.append(f"      to get more: {f.advice}")
    lines.append("")
    if exam.auto is None:
        lines.append(
            "With --isolation auto the grader refuses to run student code here (unless file "
            "permissions hide the grader from the job user); --isolation process accepts a "
            "plain limited process."
        )
    else:
        lines.append(f"With --isolation auto, student code runs inside: {layers_name(exam.auto)}.")
    return "\n".join(lines) + "\n"

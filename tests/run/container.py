"""A container like Gradescope's, for tests: root with Docker's default capabilities only, and a
seccomp program that refuses namespaces and mounts, so the grader's own bubblewrap cannot start.

Built from bubblewrap (`--cap-drop ALL`, `--cap-add` Docker's default set, `--seccomp FD` with a
filter compiled by libseccomp) around the command; /sys is read-only and /root is a fresh folder
holding only the interpreter (closed, mode 700, as pyenv has it, or open, as a system Python).
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from grader.sandboxed import seccomp

#: Docker's default capabilities (moby's oci/caps/defaults.go).
DOCKER_CAPS = (
    "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
    "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
)  # fmt: skip

_NAMESPACE_FLAGS = (
    0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000,
)  # fmt: skip


def container_filter(path: Path) -> Path:
    """Write the BPF program: unshare, setns, mount and clone with CLONE_NEW* get EPERM."""
    import pyseccomp

    deny = pyseccomp.ERRNO(errno.EPERM)
    f = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for name in ("unshare", "setns", "mount", "umount2", "pivot_root"):
        f.add_rule(deny, name)
    for flag in _NAMESPACE_FLAGS:
        f.add_rule(deny, "clone", pyseccomp.Arg(0, pyseccomp.MASKED_EQ, flag, flag))
    f.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")  # as Docker: flags it cannot read
    with path.open("wb") as out:
        f.export_bpf(out)
    return path


def available() -> bool:
    """Whether this machine can build the container (bubblewrap and libseccomp, as root)."""
    return shutil.which("bwrap") is not None and os.geteuid() == 0 and not seccomp.available()


def container_argv(
    command: Sequence[str], *, seccomp_fd: int, closed_root: bool = True
) -> list[str]:
    """`command` inside the container; `seccomp_fd` is an open file holding `container_filter`."""
    argv = [
        shutil.which("bwrap") or "bwrap",
        "--dev-bind", "/", "/",
        "--unshare-pid", "--proc", "/proc",
        "--ro-bind", "/sys", "/sys",
        "--perms", "0700" if closed_root else "0755", "--tmpfs", "/root",
    ]  # fmt: skip
    pyenv = Path("/root/.pyenv")
    if pyenv.is_dir():
        argv += ["--ro-bind", str(pyenv), str(pyenv)]
    argv += ["--cap-drop", "ALL"]
    for cap in DOCKER_CAPS:
        argv += ["--cap-add", f"CAP_{cap}"]
    argv += ["--seccomp", str(seccomp_fd), "--", *command]
    return argv


def filter_file() -> Path:
    """A fresh file holding the container's seccomp program."""
    folder = Path(tempfile.mkdtemp(prefix="grader-container-"))
    return container_filter(folder / "container.bpf")

"""Which isolation this machine offers, and the bubblewrap command line that provides it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

Isolation = Literal["bwrap", "process"]

GRADER_ROOT = Path(__file__).resolve().parent.parent
_PRIVATE_TREES = ("/home", "/root", "/mnt", "/media", "/srv")


_BWRAP_OK: bool | None = None


def isolation_available() -> Isolation:
    """The strongest isolation this machine offers."""
    global _BWRAP_OK
    if _BWRAP_OK is None:
        exe = shutil.which("bwrap")
        _BWRAP_OK = exe is not None and (
            subprocess.run(
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
            ).returncode
            == 0
        )
    return "bwrap" if _BWRAP_OK else "process"


def needed_paths() -> list[Path]:
    """What student code must be able to read: the interpreter, its libraries and the grader."""
    import site
    import sysconfig

    executable = Path(sys.executable)
    paths = {
        Path(sys.prefix),
        Path(sys.base_prefix),
        executable.parent,
        executable.resolve().parent,
    }
    paths.add(GRADER_ROOT)
    if (executable.parent.parent / "pyvenv.cfg").exists():  # a venv (even if sys.prefix says not)
        paths.add(executable.parent.parent)
    paths.update(Path(p) for p in site.getsitepackages())
    paths.update(
        Path(p)
        for key in ("stdlib", "platstdlib", "purelib", "platlib")
        if (p := sysconfig.get_paths().get(key))
    )
    return sorted(p.resolve() for p in paths if p.exists())


def closed_ancestors() -> list[tuple[Path, Path]]:
    """(closed ancestor, its child on the way) for each needed path others cannot reach.

    Under pyenv the interpreter lives below /root (mode 700); a sandbox can show just that
    subtree on a fresh /root instead of the whole home folder.
    """
    out: list[tuple[Path, Path]] = []
    for path in needed_paths():
        for depth in range(1, len(path.parts)):
            ancestor = Path(*path.parts[:depth])
            if not os.stat(ancestor).st_mode & 0o001:
                pair = (ancestor, Path(*path.parts[: depth + 1]))
                if pair not in out:
                    out.append(pair)
                break
    return out


def bwrap_argv(scratch: str, hide: Sequence[Path], expose: Sequence[Path]) -> list[str]:
    bwrap = shutil.which("bwrap") or "bwrap"
    argv = [
        # No user namespace: as root the zygote must be able to switch children to the job uid.
        bwrap, "--die-with-parent", "--unshare-ipc", "--unshare-pid", "--unshare-net",
        "--unshare-uts", "--unshare-cgroup-try",
        "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
        "--perms", "1777", "--tmpfs", "/tmp", "--perms", "1777", "--tmpfs", "/dev/shm",
        "--tmpfs", "/run",
    ]  # fmt: skip
    # People's files are never the student's business; a closed ancestor of the interpreter
    # (pyenv under /root) is replaced too. What student code needs is shown again, read-only.
    covered = ["/tmp", "/dev/shm", "/run"]
    for tree in sorted({*_PRIVATE_TREES, *(str(a) for a, _ in closed_ancestors())}):
        if Path(tree).is_dir():
            argv += ["--tmpfs", tree]
            covered.append(tree)
    needed = sorted({*needed_paths(), *(p.resolve() for p in expose)})
    made: set[Path] = set()
    for path in needed:
        inside_other = any(path != other and path.is_relative_to(other) for other in needed)
        root = next((Path(c) for c in covered if path.is_relative_to(c)), None)
        if inside_other or root is None:
            continue
        for parent in reversed(path.parents):  # traversable folders on the way, nothing else
            if parent.is_relative_to(root) and parent != root and parent not in made:
                argv += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        argv += ["--ro-bind", str(path), str(path)]
    # Hidden paths last, so that nothing shown again above can show them. A folder holding what
    # student code needs (a submissions folder given as /tmp) cannot be hidden whole.
    for path in hide:
        resolved = path.resolve()
        if any(n.is_relative_to(resolved) for n in needed):
            continue
        if resolved.is_dir():
            argv += ["--tmpfs", str(resolved)]
        elif resolved.exists():
            argv += ["--ro-bind", "/dev/null", str(resolved)]
    argv += ["--bind", scratch, scratch, "--chdir", scratch]
    return argv

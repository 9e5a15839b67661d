"""What student code may reach (one allowlist), and the layers that enforce it on this machine.

The allowlist is computed once per sandbox (`allowlist`) and serves both enforcers: bubblewrap
mounts exactly its paths on an empty root (`bwrap_argv`), Landlock allows exactly its paths
(`landlock_rules`). Student code may read the system's libraries and the interpreter's, the part
of the grader that runs in the student process (`grader/__init__.py`, `grader/sandboxed/`), the
assignment's `sandboxed/` folder, and write its own job folder; nothing else of the grader's tree,
wherever the grader is installed (a checkout, a wheel in site-packages, /autograder/source).

Layers (`Layer`), named in every scorecard's `environment.sandbox` as e.g. `bwrap+seccomp+uid`:

- `bwrap`: bubblewrap namespaces (no network, own PIDs, an empty root with only the allowlist);
- `landlock`: the kernel's Landlock (reads only the allowlist, writes only the job folder, no TCP
  at ABI >= 4, signals and abstract sockets scoped to the job at ABI >= 6);
- `seccomp`: no sockets, tracing, namespaces, mounts, SysV IPC or io_uring;
- `uid`: student code runs as an unprivileged job user locked for this sandbox alone;
- `perms`: file permissions alone keep the grader's private paths out of the job user's reach.

`resolve_layers` turns the configured choice (`auto`, `bwrap`, `landlock`, `process`) into the
layers this machine gives, probing with the exact command line the sandbox will run, and raises
`IsolationError` rather than quietly giving less than was asked for.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import stat
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import grader
from grader.config import IsolationChoice
from grader.errors import IsolationError
from grader.run.jobuser import acl_grants_search, open_ancestors
from grader.sandboxed import landlock, seccomp, zygote
from grader.sandboxed.policy import Policy

__all__ = [
    "GRADER_PACKAGE",
    "GRADER_ROOT",
    "Allowlist",
    "Layer",
    "Layers",
    "allowlist",
    "bwrap_argv",
    "bwrap_job_root",
    "bwrap_works",
    "landlock_rules",
    "layers_name",
    "reachable",
    "resolve_layers",
]

Layer = Literal["bwrap", "landlock", "seccomp", "uid", "perms"]
Layers = tuple[Layer, ...]

#: The grader package, and the folder it was imported from (a checkout, site-packages, ...).
GRADER_PACKAGE = Path(grader.__file__).resolve().parent
GRADER_ROOT = GRADER_PACKAGE.parent
#: What of the package runs in the student process; it imports nothing else of the grader.
SANDBOXED_PARTS = (GRADER_PACKAGE / "__init__.py", GRADER_PACKAGE / "sandboxed")

# The system's programs and libraries; /etc for the dynamic loader, locale and time zone files.
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
# CPU topology (os.cpu_count, TensorFlow's thread pools); nothing else of /sys.
_SYSFS = ("/sys/devices/system/cpu",)
_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


@dataclass(frozen=True, slots=True)
class Allowlist:
    """Everything student code may reach; everything else is out of its reach."""

    read: tuple[Path, ...]  # trees it may read: system and interpreter libraries (no grader)
    hidden: tuple[Path, ...]  # trees inside `read` it must not read (the grader in site-packages)
    sandboxed: tuple[
        Path, ...
    ]  # read-only: grader/__init__.py, grader/sandboxed/, the harvest folder
    job_root: Path  # the folder the job folders are made in: the only place it may write
    private: tuple[Path, ...]  # what must stay unreadable (checkout, outputs, ...), for `perms`


def _interpreter_paths() -> set[Path]:
    executable = Path(sys.executable)
    paths = {Path(sys.prefix), Path(sys.base_prefix), executable.parent}
    paths.add(executable.resolve().parent)
    if (executable.parent.parent / "pyvenv.cfg").exists():  # a venv (even if sys.prefix says not)
        paths.add(executable.parent.parent)
    paths.update(Path(p) for p in site.getsitepackages())
    paths.update(
        Path(p)
        for key in ("stdlib", "platstdlib", "purelib", "platlib")
        if (p := sysconfig.get_paths().get(key))
    )
    return paths


def _outermost(paths: Iterable[Path]) -> tuple[Path, ...]:
    unique = sorted(set(paths))
    return tuple(p for p in unique if not any(p != q and p.is_relative_to(q) for q in unique))


def allowlist(*, harvest_dir: Path, job_root: Path, private: Sequence[Path] = ()) -> Allowlist:
    """The allowlist of a sandbox whose assignment harvests from `harvest_dir`.

    `private` names what the caller knows must stay unreachable (the output and submissions
    folders, Gradescope's results); the grader's own tree is always private.
    """
    system = [Path(p) for p in (*_SYSTEM, *_SYSFS)]
    interpreter = [p.resolve() for p in _interpreter_paths() if p.exists()]
    # A checkout holding its venv shows the venv, never the checkout itself.
    interpreter = [p for p in interpreter if p not in (GRADER_ROOT, GRADER_PACKAGE)]
    read = _outermost([*(p for p in system if p.exists()), *interpreter])
    assignment_root = harvest_dir.resolve().parent
    trusted = [GRADER_PACKAGE, assignment_root]
    if not any(GRADER_ROOT.is_relative_to(r) for r in read):
        trusted.append(GRADER_ROOT)  # a checkout or /autograder/source, not site-packages
    everything_private = _outermost(
        [*trusted, *(p.resolve() for p in private if p.exists() or p.is_absolute())]
    )
    hidden = tuple(
        p for p in everything_private if any(p != r and p.is_relative_to(r) for r in read)
    )
    sandboxed = tuple(p for p in (*SANDBOXED_PARTS, harvest_dir.resolve()) if p.exists())
    return Allowlist(read, hidden, sandboxed, job_root, everything_private)


def bwrap_argv(allow: Allowlist, *, tmpfs_bytes: int) -> list[str]:
    """bubblewrap's command line: an empty root holding only the allowlist.

    No user namespace: as root, the zygote must be able to switch children to the job user.
    /tmp and /dev/shm are RAM-backed and size-limited (the address-space limit does not count
    them); the job folders are made inside that /tmp.
    """
    size = str(tmpfs_bytes)
    argv = [
        shutil.which("bwrap") or "bwrap",
        "--die-with-parent", "--unshare-ipc", "--unshare-pid", "--unshare-net",
        "--unshare-uts", "--unshare-cgroup-try",
        "--proc", "/proc", "--dev", "/dev",
        "--size", size, "--perms", "1777", "--tmpfs", "/tmp",
        "--size", size, "--perms", "1777", "--tmpfs", "/dev/shm",
    ]  # fmt: skip
    # Folders can be made in the writable tmpfs mounts (/tmp, /dev/shm), not in read-only ones.
    mounted = [Path("/proc"), Path("/dev")]
    made: set[Path] = {Path("/tmp"), Path("/dev/shm")}

    def folders_to(path: Path) -> list[str]:
        """Traversable folders on the way to `path` (bubblewrap would make them mode 0700)."""
        out: list[str] = []
        for folder in reversed(path.parents[:-1]):  # "/" itself is bubblewrap's own
            if any(folder.is_relative_to(m) for m in mounted):
                break
            if folder not in made:
                made.add(folder)
                out += ["--perms", "0755", "--dir", str(folder)]
        return out

    for tree in allow.read:
        if tree.is_symlink() and tree.parent == Path("/"):  # /lib -> usr/lib on merged /usr
            argv += ["--symlink", os.readlink(tree), str(tree)]
        else:
            argv += [*folders_to(tree), "--ro-bind", str(tree), str(tree)]
        mounted.append(tree)
    for path in allow.hidden:  # after the trees they lie in, before what is shown again
        argv += ["--size", "4096", "--perms", "0755", "--tmpfs", str(path)]
        mounted.append(path)
    for path in allow.sandboxed:
        argv += [*folders_to(path), "--ro-bind", str(path), str(path)]
    inside = str(bwrap_job_root(allow))
    argv += ["--perms", "0755", "--dir", inside, "--chdir", inside]
    return argv


def bwrap_job_root(allow: Allowlist) -> Path:
    """Where the job folders are inside bubblewrap: in its size-limited /tmp, never on the host."""
    return Path("/tmp") / allow.job_root.name


def landlock_rules(allow: Allowlist) -> list[tuple[str, str]]:
    """Landlock's rules for the allowlist: (kind, path), kinds as `grader.sandboxed.landlock`.

    Landlock only ever adds access, so a read tree holding a hidden path is allowed child by
    child around it (its folders may be listed, the hidden files not read).
    """
    rules: list[tuple[str, str]] = []

    def add(tree: Path, hidden: list[Path]) -> None:
        inside = [h for h in hidden if h == tree or h.is_relative_to(tree)]
        if not inside:
            rules.append(("read", str(tree)))
        elif tree not in inside and tree.is_dir():
            rules.append(("list", str(tree)))
            for child in sorted(tree.iterdir()):
                # Resolved: a rule follows symlinks (a venv's lib64 -> lib), so must the check.
                add(child.resolve(), inside)

    for tree in allow.read:
        add(tree.resolve(), list(allow.hidden))
    rules += [("read", str(p)) for p in allow.sandboxed]
    rules += [("read", "/proc")]  # /proc/self; other users' processes stay closed (ptrace checks)
    rules += [("device", d) for d in _DEVICES]
    return rules


def reachable(path: Path, *, uid: int, gids: Sequence[int]) -> bool:
    """Whether a process of `uid` (groups `gids`) could open `path`, by its permission bits.

    ACLs the grader adds grant search only, to the job group, on the folders above the
    interpreter; everything else is judged on the mode bits, as the kernel would.
    """

    def allows(st: os.stat_result, bit: int) -> bool:
        if st.st_uid == uid:
            return bool(st.st_mode & (bit << 6))
        if st.st_gid in gids:
            return bool(st.st_mode & (bit << 3))
        return bool(st.st_mode & bit)

    path = path.absolute()
    for ancestor in reversed(path.parents):
        try:
            st = os.stat(ancestor)
        except OSError:
            return False
        if not allows(st, 0o1) and not acl_grants_search(ancestor, gids):
            return False
    try:
        st = os.stat(path)
    except OSError:
        return False
    return allows(st, 0o4) or (stat.S_ISDIR(st.st_mode) and allows(st, 0o1))


def layers_name(layers: Layers) -> str:
    """The scorecard's `environment.sandbox`: the active layers joined by '+', or 'process'."""
    return "+".join(layers) if layers else "process"


# -- choosing the layers ----------------------------------------------------------------------

_PROBES: dict[str, str] = {}  # probe command line -> '' (it worked) or why not, once per process


def _probe(argv: list[str]) -> str:
    """Run the sandbox's own command line with `--probe`: '' if every layer held, else why."""
    key = json.dumps(argv)
    if key not in _PROBES:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(GRADER_ROOT),
            "LANG": "C.UTF-8",
            "TMPDIR": "/tmp",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=60, check=False, cwd="/", env=env
            )
            why = "" if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")
        except (OSError, subprocess.TimeoutExpired) as exc:
            why = str(exc)
        _PROBES[key] = why.splitlines()[-1] if why else ""
    return _PROBES[key]


def probe_argv(prefix: Sequence[str], policy: Policy) -> list[str]:
    """The zygote's command line in probe mode: apply every layer, run nothing, exit 0."""
    return [
        *prefix,
        sys.executable,
        "-X",
        "utf8",
        "-m",
        zygote.__name__,
        "--probe",
        "--policy",
        policy.to_json(),
    ]


def bwrap_works(allow: Allowlist, policy: Policy, *, tmpfs_bytes: int) -> str:
    """'' if bubblewrap starts here with the sandbox's exact command line, else why not."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed"
    return _probe(probe_argv(bwrap_argv(allow, tmpfs_bytes=tmpfs_bytes), policy))


def resolve_layers(
    choice: IsolationChoice,
    *,
    allow: Allowlist,
    policy: Policy,
    tmpfs_bytes: int,
) -> tuple[Layers, Policy]:
    """The layers to use for `choice`, and the policy the student process applies for them.

    `policy` carries the job user (if root) and everything but Landlock and seccomp, which are
    added here when they are to be used. Raises IsolationError when `choice` cannot be had.
    """
    user: Layers = ("uid",) if policy.uid >= 0 else ()
    no_seccomp = seccomp.available()
    confined = policy.with_layers(
        landlock=landlock_rules(allow) if landlock.abi() >= 1 else None,
        seccomp=not no_seccomp,
    )
    if choice in ("auto", "bwrap"):
        bwrapped = policy.with_layers(landlock=None, seccomp=not no_seccomp)
        why_not = bwrap_works(allow, bwrapped, tmpfs_bytes=tmpfs_bytes)
        if not why_not:
            extra: Layers = () if no_seccomp else ("seccomp",)
            return ("bwrap", *extra, *user), bwrapped
        if choice == "bwrap":
            raise IsolationError(
                f"--isolation bwrap: bubblewrap cannot start here ({why_not}); install it "
                "(apt-get install bubblewrap) or allow namespaces, or choose --isolation landlock"
            )
    else:
        why_not = "not asked for"
    if policy.uid >= 0:  # no namespaces from here on: the job user must reach the interpreter
        # (not the sandboxed modules: the zygote imported them before any child was forked)
        open_ancestors([*allow.read, allow.job_root], uid=policy.uid, gids=policy.groups)
    if choice in ("auto", "landlock"):
        problems = []
        if confined.landlock is None:
            problems.append("Landlock is not available in this kernel (Linux 5.13+, lsm=landlock)")
        if no_seccomp:
            problems.append(no_seccomp)
        if not problems:
            failed = _probe(probe_argv((), confined))
            if not failed:
                return ("landlock", "seccomp", *user), confined
            problems.append(f"applying them failed: {failed}")
        if choice == "landlock" or policy.uid < 0:
            raise IsolationError(
                f"cannot isolate student code here: bubblewrap: {why_not}; Landlock and "
                f"seccomp: {'; '.join(problems)}. Fix one of them (`grade.py doctor` says how), "
                "or accept a plain limited process with --isolation process"
            )
    # Without namespaces or Landlock: a separate user, seccomp, and permissions that hide
    # the grader's private paths from it. `auto` takes this only when the permissions do hide
    # them; `process` takes what there is.
    plain = policy.with_layers(landlock=None, seccomp=not no_seccomp)
    failed = _probe(probe_argv((), plain))
    if failed:
        raise IsolationError(f"the student process cannot be started here: {failed}")
    gids = (policy.gid, *policy.groups)
    open_paths = [p for p in allow.private if reachable(p, uid=policy.uid, gids=gids)]
    hidden_by_perms = policy.uid >= 0 and not open_paths
    if choice == "auto" and not hidden_by_perms:
        raise IsolationError(
            "cannot isolate student code here: neither bubblewrap nor Landlock works "
            f"(`grade.py doctor` says why), and {', '.join(map(str, open_paths[:3])) or 'the grader'} "
            "can be read by the job user; `chmod o=` them, fix bubblewrap or Landlock, or "
            "accept a plain limited process with --isolation process"
        )
    layers: Layers = (
        *(() if no_seccomp else ("seccomp",)),
        *user,
        *(("perms",) if hidden_by_perms else ()),
    )
    return layers, plain

"""Job users: an unprivileged uid that one live sandbox on this machine holds alone, and its cgroup.

As root the grader runs student code as a job user (uid 61000+ by default; `GRADER_JOB_UIDS`
sets another range, e.g. `62000-62099`). A uid is taken with an exclusive `flock` on
`/run/lock/tf-autograder/<uid>.lock`, which the kernel releases when the holder dies, so any
number of concurrent `check`, `batch`, `gradescope` and Dask workers each get a uid no other
live sandbox has, and killing "every process of my uid" never touches another sandbox. Every
job user also belongs to one job group, to which the grader may grant search (never read) on the
closed folders above the interpreter (pyenv under /root), as a POSIX ACL. A per-sandbox memory
cgroup, where the cgroup file system is writable, counts what RAM-backed files hold too.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import stat
import struct
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import IsolationError

__all__ = [
    "JOB_GROUP",
    "JobUser",
    "acl_grants_search",
    "acquire_job_user",
    "grant_search",
    "job_uids",
    "kill_uid",
    "make_cgroup",
    "open_ancestors",
    "remove_cgroup",
]

JOB_GROUP = 60999  # every job user's supplementary group: what ACLs on closed folders name
_DEFAULT_UIDS = range(61000, 62000)
LOCK_DIR = Path("/run/lock/tf-autograder")
_CGROUP_NAME = "tf-autograder"


def job_uids() -> range:
    """The uids the job users are taken from: `GRADER_JOB_UIDS=FIRST-LAST`, else 61000-61999."""
    text = os.environ.get("GRADER_JOB_UIDS", "")
    if not text:
        return _DEFAULT_UIDS
    try:
        first, last = (int(x) for x in text.split("-"))
    except ValueError:
        raise IsolationError(
            f"GRADER_JOB_UIDS={text!r} is not a range like 62000-62099; fix or unset it"
        ) from None
    if not 1000 <= first <= last < 2**31:
        raise IsolationError(f"GRADER_JOB_UIDS={text!r}: give unused uids above 1000, lowest first")
    return range(first, last + 1)


@dataclass(slots=True)
class JobUser:
    """A job uid held by this process until `release`."""

    uid: int
    gid: int
    groups: tuple[int, ...]
    _lock_fd: int

    def release(self) -> None:
        """Kill whatever still runs as this uid, then let the uid go."""
        if self._lock_fd >= 0:
            kill_uid(self.uid)
            os.close(self._lock_fd)
            self._lock_fd = -1


def _lock_dir() -> Path:
    with contextlib.suppress(FileExistsError):
        LOCK_DIR.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        LOCK_DIR.mkdir(mode=0o700)
    st = os.lstat(LOCK_DIR)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != 0 or st.st_mode & 0o022:
        raise IsolationError(
            f"{LOCK_DIR} must be a folder owned by root that only root can write; "
            "remove it (the grader makes it again)"
        )
    return LOCK_DIR


def acquire_job_user(*, hint: int = 0) -> JobUser:
    """Lock a job uid that no other live sandbox holds (starting near `hint`)."""
    folder = _lock_dir()
    pool = job_uids()
    start = hint % len(pool)
    for uid in (*pool[start:], *pool[:start]):
        fd = os.open(
            folder / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600
        )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        kill_uid(uid)  # left by a grader that died: ours now, and nothing of it may run on
        return JobUser(uid=uid, gid=uid, groups=(JOB_GROUP,), _lock_fd=fd)
    raise IsolationError(
        f"all {len(pool)} job users ({pool.start}-{pool.stop - 1}) are held by other running "
        "graders; wait for one to finish, or give more with GRADER_JOB_UIDS=FIRST-LAST"
    )


def _uids_of(pid: str) -> set[int]:
    with open(f"/proc/{pid}/status", "rb") as f:
        status = f.read()
    if b"\nState:\tZ" in status:
        return set()
    return {int(u) for u in status.split(b"\nUid:")[1].split(b"\n")[0].split()}


def kill_uid(uid: int, *, timeout: float = 10.0) -> int:
    """SIGKILL every process running as `uid` (real, effective, saved or fs), until none is left.

    Only ever call it with a uid this process holds the lock of.
    """
    killed = 0
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        victims = []
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    if uid in _uids_of(entry.name):
                        victims.append(int(entry.name))
        if not victims:
            break
        for pid in victims:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(0.02)
    return killed


# -- search on closed folders, as a POSIX ACL -------------------------------------------------

_ACL_XATTR = "system.posix_acl_access"
_ACL_VERSION = 2
_USER_OBJ, _USER, _GROUP_OBJ, _GROUP, _MASK, _OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
_UNDEFINED_ID = 0xFFFFFFFF
_ENTRY = struct.Struct("<HHI")


def _acl_entries(path: Path) -> list[tuple[int, int, int]]:
    try:
        data = os.getxattr(path, _ACL_XATTR)
    except OSError as exc:
        if exc.errno not in (errno.ENODATA, errno.EOPNOTSUPP):
            raise
        mode = os.stat(path).st_mode
        return [
            (_USER_OBJ, (mode >> 6) & 7, _UNDEFINED_ID),
            (_GROUP_OBJ, (mode >> 3) & 7, _UNDEFINED_ID),
            (_OTHER, mode & 7, _UNDEFINED_ID),
        ]
    (version,) = struct.unpack_from("<I", data)
    if version != _ACL_VERSION:
        raise OSError(errno.EINVAL, f"unknown ACL version {version} on {path}")
    return [_ENTRY.unpack_from(data, 4 + n * 8) for n in range((len(data) - 4) // 8)]


def acl_grants_search(path: Path, gids: Sequence[int]) -> bool:
    """Whether an ACL on `path` lets one of `gids` search it (its mask allowing)."""
    try:
        entries = _acl_entries(path)
    except OSError:
        return False
    mask = next((perm for tag, perm, _ in entries if tag == _MASK), 7)
    return any(tag == _GROUP and gid in gids and perm & mask & 1 for tag, perm, gid in entries)


def grant_search(path: Path, gid: int) -> None:
    """Add `group:gid:--x` to the ACL of the folder `path` (search only: no listing, no reading)."""
    entries = [e for e in _acl_entries(path) if not (e[0] == _GROUP and e[2] == gid)]
    old = next((e for e in _acl_entries(path) if e[0] == _GROUP and e[2] == gid), None)
    entries.append((_GROUP, (old[1] if old else 0) | 1, gid))
    if any(tag == _MASK for tag, _, _ in entries):  # widen the mask by search alone
        entries = [(t, p | 1 if t == _MASK else p, i) for t, p, i in entries]
    else:  # a new mask: the union of the group class, so the owning group keeps what it had
        union = 0
        for tag, perm, _ in entries:
            if tag in (_GROUP_OBJ, _GROUP):
                union |= perm
        entries.append((_MASK, union, _UNDEFINED_ID))
    entries.sort(key=lambda e: (e[0], e[2]))
    data = struct.pack("<I", _ACL_VERSION) + b"".join(_ENTRY.pack(*e) for e in entries)
    os.setxattr(path, _ACL_XATTR, data)


def open_ancestors(paths: Iterable[Path], *, uid: int, gids: Sequence[int]) -> list[Path]:
    """Grant the job group search on every folder above `paths` the job user cannot search.

    Returns the folders changed. Raises IsolationError when a folder cannot be given an ACL.
    """
    changed: list[Path] = []
    for path in paths:
        for folder in reversed(path.resolve().parents):
            st = os.stat(folder)
            if st.st_uid == uid:
                bit = st.st_mode & 0o100
            elif st.st_gid in gids:
                bit = st.st_mode & 0o010
            else:
                bit = st.st_mode & 0o001
            if bit or acl_grants_search(folder, gids) or folder in changed:
                continue
            try:
                grant_search(folder, JOB_GROUP)
            except OSError as exc:
                raise IsolationError(
                    f"student code runs as an unprivileged user, who cannot reach {path}: "
                    f"{folder} is closed and an ACL granting search could not be added ({exc}); "
                    "install Python outside it (e.g. apt-get install python3.11) or use bubblewrap"
                ) from None
            changed.append(folder)
    return changed


# -- a memory cgroup per sandbox --------------------------------------------------------------


def make_cgroup(uid: int, *, limit_bytes: int) -> Path | None:
    """A memory cgroup for the sandbox of `uid`, limited to `limit_bytes`; None where none can be made.

    cgroup v1 (`/sys/fs/cgroup/memory`) or v2 with the memory controller; the student process
    joins it itself (`Policy.cgroup_fd`), so that what its RAM-backed files hold counts too.
    """
    v1 = Path("/sys/fs/cgroup/memory")
    v2 = Path("/sys/fs/cgroup")
    try:
        if (v1 / "memory.limit_in_bytes").exists():
            folder = v1 / _CGROUP_NAME / str(uid)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "memory.limit_in_bytes").write_text(str(limit_bytes))
            return folder
        if "memory" in (v2 / "cgroup.controllers").read_text().split():
            parent = v2 / _CGROUP_NAME
            parent.mkdir(exist_ok=True)
            (parent / "cgroup.subtree_control").write_text("+memory")
            folder = parent / str(uid)
            folder.mkdir(exist_ok=True)
            (folder / "memory.max").write_text(str(limit_bytes))
            (folder / "memory.swap.max").write_text("0")
            return folder
    except OSError:
        return None
    return None


def oom_kills(folder: Path | None) -> int:
    """How many processes the kernel killed for the cgroup's memory limit so far (0 if unknown)."""
    if folder is None:
        return 0
    for name in ("memory.oom_control", "memory.events"):  # cgroup v1, v2
        try:
            text = (folder / name).read_text()
        except OSError:
            continue
        for line in text.splitlines():
            key, _, count = line.partition(" ")
            if key == "oom_kill" and count.strip().isdigit():
                return int(count)
    return 0


def remove_cgroup(folder: Path) -> None:
    """Remove the cgroup (its processes, all of the job user, were killed before)."""
    for _ in range(50):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.05)

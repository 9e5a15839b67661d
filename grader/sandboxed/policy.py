"""What confines the student process (a `Policy` the grader sends), and applying it before any
student code runs: memory cgroup, Landlock, job user, no_new_privs, seccomp, in that order.

The grader builds the policy (`grader.run.isolation` decides what to allow) and passes it to the
zygote on its command line as JSON; the zygote applies it in every student process it forks.
This module imports nothing else of the grader but its sibling enforcers.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
from dataclasses import dataclass, replace

from grader.sandboxed.landlock import Ruleset
from grader.sandboxed.seccomp import build_student_filter

__all__ = ["Policy", "confine"]


@dataclass(frozen=True, slots=True)
class Policy:
    """How to confine a student process; every field has the no-confinement default."""

    uid: int = -1  # the job user to switch to (-1: stay who the zygote is)
    gid: int = -1  # its primary group
    groups: tuple[int, ...] = ()  # supplementary groups (the job group that ACLs let search)
    landlock: tuple[tuple[str, str], ...] | None = None  # (kind, path) rules; None: no Landlock
    seccomp: bool = False  # load `grader.sandboxed.seccomp`'s filter
    cgroup_fd: int = -1  # an inherited fd open on a memory cgroup's cgroup.procs, to join it
    private_tmp: bool = False  # /tmp and /dev/shm are the sandbox's own: wipe them whole
    wipe: tuple[str, ...] = ()  # folders where the job user's files are removed after a job

    def with_layers(
        self, *, landlock: list[tuple[str, str]] | None, seccomp: bool, private_tmp: bool = False
    ) -> Policy:
        return replace(
            self,
            landlock=None if landlock is None else tuple(landlock),
            seccomp=seccomp,
            private_tmp=private_tmp or self.private_tmp,
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "uid": self.uid,
                "gid": self.gid,
                "groups": list(self.groups),
                "landlock": None if self.landlock is None else [list(r) for r in self.landlock],
                "seccomp": self.seccomp,
                "cgroup_fd": self.cgroup_fd,
                "private_tmp": self.private_tmp,
                "wipe": list(self.wipe),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Policy:
        raw = json.loads(text)
        rules = raw.get("landlock")
        return cls(
            uid=int(raw.get("uid", -1)),
            gid=int(raw.get("gid", -1)),
            groups=tuple(int(g) for g in raw.get("groups", ())),
            landlock=None if rules is None else tuple((str(k), str(p)) for k, p in rules),
            seccomp=bool(raw.get("seccomp", False)),
            cgroup_fd=int(raw.get("cgroup_fd", -1)),
            private_tmp=bool(raw.get("private_tmp", False)),
            wipe=tuple(str(w) for w in raw.get("wipe", ())),
        )


def confine(policy: Policy, *, job_dir: str, nproc: int) -> None:
    """Apply `policy` to this process for good; raise (and run no student code) if a layer fails.

    Called as the zygote's user (root, when there is a job user), after the rlimits on memory,
    file size and core dumps.
    """
    if policy.cgroup_fd >= 0:  # "0": this process; opened by root, so the write is allowed
        os.write(policy.cgroup_fd, b"0")
        os.close(policy.cgroup_fd)
    # Everything is built while this process may still read it all, and enforced at the end.
    ruleset = None
    if policy.landlock is not None:
        ruleset = Ruleset(policy.landlock)  # opens the allowed paths
        ruleset.allow("write", job_dir)
    syscall_filter = build_student_filter() if policy.seccomp else None
    if policy.uid >= 0:
        os.setgroups(list(policy.groups))
        os.setgid(policy.gid if policy.gid >= 0 else policy.uid)
        os.setuid(policy.uid)
        if os.getuid() != policy.uid or os.geteuid() != policy.uid:
            raise OSError(f"could not switch to the job user {policy.uid}")
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    _no_new_privs()  # no setuid program can give root (or anything) back
    if ruleset is not None:
        ruleset.enforce()
    if syscall_filter is not None:
        syscall_filter.load()


def _no_new_privs() -> None:
    if ctypes.CDLL(None, use_errno=True).prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")

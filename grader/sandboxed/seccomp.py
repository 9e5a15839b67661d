"""A seccomp filter for the student process: no sockets, no tracing, no namespaces, no shared IPC.

Built with libseccomp through `pyseccomp` (a ctypes binding with the API of libseccomp's own
Python bindings, which Debian ships only for the system interpreter): libseccomp knows every
architecture's syscall numbers and compiles the BPF, which no hand-written table should.
Everything not listed is allowed: the filter removes what a lab never needs and an attacker
would use. It imports nothing else of the grader.
"""

from __future__ import annotations

import errno
from typing import Any

__all__ = ["DENIED", "available", "load_student_filter"]

# Every family: socketpair(AF_UNIX) stays allowed (Python and TensorFlow use it), socket()
# does not (internet, netlink, packet and Unix sockets alike: a student needs none).
_SOCKETS = ("socket",)
# Reading or writing another process's memory, or stealing its file descriptors.
_TRACING = ("ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp")
# New namespaces and mounts: the way out of a sandbox (clone with CLONE_NEW* is below).
_NAMESPACES = (
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
)  # fmt: skip
# State that outlives a process and is keyed by uid or by a global id, so that two students
# run as the same job user could pass it along: SysV IPC, POSIX message queues, key rings.
_SHARED_STATE = (
    "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
    "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend",
    "mq_timedreceive", "mq_notify", "mq_getsetattr", "keyctl", "add_key", "request_key",
)  # fmt: skip
# io_uring runs socket and file operations the filter above would never see; memfd_create
# makes RAM-backed files that the address-space limit does not count.
_BYPASSES = ("io_uring_setup", "io_uring_enter", "io_uring_register", "memfd_create")
_KERNEL = (
    "bpf", "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", "reboot", "swapon", "swapoff", "acct",
    "name_to_handle_at", "open_by_handle_at",
)  # fmt: skip

#: Every system call the filter refuses with EPERM (besides clone with namespace flags).
DENIED = (*_SOCKETS, *_TRACING, *_NAMESPACES, *_SHARED_STATE, *_BYPASSES, *_KERNEL)

_CLONE_NEW_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)


def _module() -> Any:
    import pyseccomp  # raises RuntimeError when libseccomp.so.2 is missing

    return pyseccomp


def available() -> str:
    """'' when a filter can be built here, else why not (and what to install)."""
    try:
        _module()
    except ImportError:
        return "pyseccomp is not installed (python -m pip install pyseccomp)"
    except (RuntimeError, OSError) as exc:
        return f"libseccomp cannot be loaded ({exc}; Debian/Ubuntu: apt-get install libseccomp2)"
    return ""


def build_student_filter() -> Any:
    """The filter, not yet loaded (tests export it as BPF to look at it)."""
    sc = _module()
    deny = sc.ERRNO(errno.EPERM)
    seccomp_filter = sc.SyscallFilter(sc.ALLOW)  # sets no_new_privs when loaded
    for name in DENIED:
        try:
            seccomp_filter.add_rule(deny, name)
        except (RuntimeError, OSError, ValueError):
            continue  # a call this architecture does not have
    for flag in _CLONE_NEW_FLAGS:
        seccomp_filter.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory a filter cannot read: say it does not exist, and the
    # C library falls back to clone, whose flags are checked above.
    seccomp_filter.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    return seccomp_filter


def load_student_filter() -> None:
    """Load the filter into this process (and every process it starts), for good."""
    build_student_filter().load()

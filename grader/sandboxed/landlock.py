"""Landlock for the student process: read only what the grader allows, write only its job folder.

A small ctypes module over the kernel's three Landlock system calls rather than a binding from
PyPI: the only maintained one (`landlock` 1.0.0.dev5) is a prerelease that knows neither TCP
rules (ABI 4) nor signal and abstract-socket scoping (ABI 6), and this module must run in the
student process, so it stays short enough to audit in one sitting. It imports nothing else of
the grader. The grader (`grader.run.isolation`) decides *what* to allow; this module only turns
(kind, path) rules into a ruleset and enforces it.
"""

from __future__ import annotations

import ctypes
import os
import platform
from collections.abc import Iterable

__all__ = ["RULE_KINDS", "Ruleset", "abi"]

# Syscall numbers: the same on x86_64 and aarch64 (the generic table since Linux 5.13).
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# Filesystem rights (include/uapi/linux/landlock.h), by the ABI that introduced them.
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_ABI1_FS = (1 << 13) - 1  # execute ... make_sym
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

#: What a rule may grant: `read` a tree (or file), only `list` a folder's names, read and write
#: a `device` file (/dev/null), or do anything in a `write` folder (the job folder).
RULE_KINDS = ("read", "list", "device", "write")


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # the kernel's struct is __attribute__((packed))
    _fields_ = [
        ("allowed_access", ctypes.c_uint64),
        ("parent_fd", ctypes.c_int32),
    ]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _syscall(number: int, *args: object) -> int:
    result = int(_libc().syscall(ctypes.c_long(number), *args))
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"landlock syscall {number}: {os.strerror(err)}")
    return result


def abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is missing, disabled or refused."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "aarch64"):
        return 0
    try:
        return _syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    except OSError:
        return 0


def _handled_fs(version: int) -> int:
    handled = _ABI1_FS
    if version >= 2:
        handled |= _REFER
    if version >= 3:
        handled |= _TRUNCATE
    if version >= 5:
        handled |= _IOCTL_DEV
    return handled


class Ruleset:
    """A Landlock ruleset built from (kind, path) rules; `enforce` it in the student process.

    Build it while the process can still open every allowed path (as root, before switching to
    the job user), enforce it after: Landlock checks access when a file is opened, not when a
    rule is added. TCP bind and connect are denied outright where the ABI handles them (4+);
    signals and abstract Unix sockets are scoped to the student's own processes where it
    handles those (6+).
    """

    def __init__(self, rules: Iterable[tuple[str, str]]) -> None:
        self.abi = abi()
        if self.abi < 1:
            raise OSError("Landlock is not available in this kernel")
        self.handled = _handled_fs(self.abi)
        self.denies_tcp = self.abi >= 4
        self.scopes = self.abi >= 6
        attr = _RulesetAttr(
            handled_access_fs=self.handled,
            handled_access_net=(_NET_BIND_TCP | _NET_CONNECT_TCP) if self.denies_tcp else 0,
            scoped=(_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL) if self.scopes else 0,
        )
        # The struct grew with the ABI; older kernels reject a size they do not know.
        size = 24 if self.scopes else 16 if self.denies_tcp else 8
        self.fd = _syscall(
            _SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)
        )
        os.set_inheritable(self.fd, False)
        for kind, path in rules:
            self._add(kind, path)

    def _add(self, kind: str, path: str) -> None:
        if kind not in RULE_KINDS:
            raise ValueError(f"unknown Landlock rule kind {kind!r}")
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except FileNotFoundError:
            return  # nothing there to allow
        try:
            is_dir = os.path.isdir(f"/proc/self/fd/{fd}")
            file_rights = _EXECUTE | _READ_FILE
            if kind == "read":
                access = file_rights | (_READ_DIR if is_dir else 0)
            elif kind == "list":
                access = _READ_DIR if is_dir else 0
            elif kind == "device":
                access = _READ_FILE | _WRITE_FILE | _TRUNCATE | _IOCTL_DEV
            else:
                access = self.handled if is_dir else (file_rights | _WRITE_FILE | _TRUNCATE)
            access &= self.handled
            if access:
                rule = _PathBeneathAttr(allowed_access=access, parent_fd=fd)
                _syscall(
                    _SYS_ADD_RULE,
                    ctypes.c_int(self.fd),
                    _RULE_PATH_BENEATH,
                    ctypes.byref(rule),
                    ctypes.c_uint32(0),
                )
        finally:
            os.close(fd)

    def allow(self, kind: str, path: str) -> None:
        """Add one more rule (the job folder, known only when the job starts)."""
        self._add(kind, path)

    def enforce(self) -> None:
        """Restrict this process and every process it starts, for good."""
        if _libc().prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        try:
            _syscall(_SYS_RESTRICT_SELF, ctypes.c_int(self.fd), ctypes.c_uint32(0))
        finally:
            os.close(self.fd)

"""Shared assertions for checks; each failure message is written for the student."""

from __future__ import annotations

import numpy as np

from grader.harvest import StudentError

__all__ = ["StudentCodeError", "fail", "format_array"]


class StudentCodeError(Exception):
    """The student's code raised while the check needed it: the check's status is `error`."""

    def __init__(self, message: str, error: StudentError | None = None) -> None:
        super().__init__(message)
        self.error = error


def fail(message: str) -> None:
    """Fail the current check with `message` (expected, found, hint)."""
    __tracebackhide__ = True
    raise AssertionError(message)


def format_array(value: object, *, digits: int = 4, limit: int = 8) -> str:
    """A short, readable rendering of a value for feedback."""
    if isinstance(value, np.generic | float | int) and not isinstance(value, bool):
        value = np.asarray(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc":
            flat = np.round(value.astype(np.float64).reshape(-1), digits)
        else:
            flat = value.reshape(-1)
        items = [
            f"{v:g}" if isinstance(v, float | np.floating) else str(v)
            for v in flat[:limit].tolist()
        ]
        more = ", ..." if flat.size > limit else ""
        if value.ndim == 0:
            return items[0]
        return f"[{', '.join(items)}{more}] (shape {tuple(value.shape)})"
    return repr(value)

"""Shared assertions for checks; each failure message is written for the student."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from grader.harvest import StudentError

__all__ = ["StudentCodeError", "assert_close", "assert_shape", "fail", "format_array"]


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


def assert_shape(
    found: Sequence[int], expected: Sequence[int], *, what: str, hint: str = ""
) -> None:
    """Fail unless `found` equals `expected`, saying which is which."""
    __tracebackhide__ = True
    if tuple(found) != tuple(expected):
        fail(
            f"{what} has shape {tuple(found)}, expected {tuple(expected)}"
            + (f": {hint}" if hint else "")
        )


def assert_close(
    found: np.ndarray,
    expected: np.ndarray,
    *,
    what: str,
    hint: str = "",
    rtol: float = 1e-4,
    atol: float = 1e-5,
) -> None:
    """Fail unless `found` matches `expected` in shape and value (NaN never matches)."""
    __tracebackhide__ = True
    found = np.asarray(found)
    expected = np.asarray(expected)
    if found.shape != expected.shape:
        fail(
            f"{what} has shape {found.shape}, expected {expected.shape}"
            + (f": {hint}" if hint else "")
        )
    if found.dtype.kind not in "biufc":
        fail(f"{what} is not numeric (dtype {found.dtype})")
    ok = np.allclose(
        found.astype(np.float64), expected.astype(np.float64), rtol=rtol, atol=atol, equal_nan=False
    )
    if not ok:
        fail(
            f"{what} is {format_array(found)}, expected {format_array(expected)}"
            + (f": {hint}" if hint else "")
        )

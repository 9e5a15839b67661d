"""Shared assertions for checks; each failure message is written for the student."""

from __future__ import annotations

from typing import NoReturn

import numpy as np

from grader.checks.values import array_of, is_tensor, short_type
from grader.run.decode import StudentError, Value

__all__ = [
    "StudentCodeError",
    "close",
    "dense",
    "describe_mismatch",
    "fail",
    "format_array",
    "numeric",
    "outcome",
    "sigmoid",
    "tensor_value",
]


class StudentCodeError(Exception):
    """The student's code raised while the check needed it: the check's status is `error`."""

    def __init__(self, message: str, error: StudentError | None = None) -> None:
        super().__init__(message)
        self.error = error


def fail(message: str) -> NoReturn:
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


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z.astype(np.float64)))


def dense(x: object, W: object, b: object) -> np.ndarray:
    """sigmoid(xW + b) in float64, from the grader's own copies of x, W and b."""
    return sigmoid(
        np.asarray(x, np.float64) @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
    )


def close(
    found: np.ndarray, expected: np.ndarray, *, rtol: float = 1e-4, atol: float = 1e-5
) -> bool:
    """Same shape and the same values up to float32 rounding."""
    return found.shape == expected.shape and bool(
        np.allclose(found, expected, rtol=rtol, atol=atol)
    )


def outcome(value: Value, *, what: str) -> Value:
    """A probe result; a student exception ends the check as `error`, with where it happened."""
    __tracebackhide__ = True
    if isinstance(value, StudentError):
        raise StudentCodeError(f"{what} raised {value.describe(with_hint=True)}", value)
    return value


def numeric(desc: Value, *, what: str, hint: str = "") -> np.ndarray:
    """The numeric value of a tensor (or number); fails if there is none."""
    __tracebackhide__ = True
    arr = array_of(desc)
    if arr is None or arr.dtype.kind not in "biuf":
        found = short_type(desc)
        if found == "NoneType":
            fail(f"{what} is None" + (f": {hint}" if hint else ""))
        fail(f"{what} is a {found}, not a number or tensor" + (f": {hint}" if hint else ""))
    return arr


def tensor_value(desc: Value, *, what: str) -> np.ndarray:
    """The value of a genuine `tf.Tensor`; fails, with a hint, for Python or NumPy values."""
    __tracebackhide__ = True
    arr = numeric(desc, what=what)
    if not is_tensor(desc):
        fail(
            f"{what} is a {short_type(desc)}, expected a tf.Tensor: compute it with TensorFlow "
            "operations (tf.add, tf.multiply, ...) so that the result is a tensor"
        )
    return arr


def describe_mismatch(
    found: np.ndarray, expected: np.ndarray, alternatives: dict[str, np.ndarray]
) -> str:
    """Explain a wrong output: the first known mistake that reproduces it, else the numbers."""
    for hint, alt in alternatives.items():
        if close(found, alt):
            return f"found {format_array(found)}: {hint}"
    return f"found {format_array(found)}, expected {format_array(expected)}"

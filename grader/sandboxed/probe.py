"""Child-side helpers for harvest modules: describe student objects as plain data, call them safely.

This module runs inside the sandboxed student process. It keeps its own references to the
builtins and numpy functions it uses, taken at import time (before any student code runs), so a
submission that monkeypatches `isinstance`, `numpy` or `type` does not change what it reports.
Everything it returns is JSON-serialisable plain data; arrays travel as raw little-endian bytes.
"""

from __future__ import annotations

import base64
import builtins
import traceback
from collections.abc import Callable

import numpy as np

from grader.sandboxed.wire import Marker, Plain, chunk_of_filename

_type = builtins.type
_isinstance = builtins.isinstance
_len = builtins.len
_repr = builtins.repr
_str = builtins.str
_float = builtins.float
_np_asarray = np.asarray
_np_ndarray = np.ndarray
_np_generic = np.generic
_NUMERIC_KINDS = frozenset("biufc")

MAX_ELEMENTS = 200_000  # per array; bigger arrays are summarised
MAX_TEXT = 2_000


def type_names(obj: object) -> list[str]:
    """The fully qualified names of the object's classes, most specific first."""
    try:
        mro = _type(obj).__mro__
    except Exception:
        return ["<unknown>"]
    return [f"{getattr(c, '__module__', '?')}.{getattr(c, '__qualname__', '?')}" for c in mro]


def class_names(cls: object) -> list[str]:
    """Like `type_names`, for a class itself."""
    mro = getattr(cls, "__mro__", None)
    if not _isinstance(mro, tuple):
        return []
    assert mro is not None
    return [f"{getattr(c, '__module__', '?')}.{getattr(c, '__qualname__', '?')}" for c in mro]


def encode_array(arr: np.ndarray) -> Plain:
    """An exact numpy array as plain data: dtype, shape and base64 bytes (or a summary if huge)."""
    if arr.dtype.kind in _NUMERIC_KINDS:
        if arr.size > MAX_ELEMENTS:
            finite = arr[np.isfinite(arr)] if arr.dtype.kind in "fc" else arr
            return {
                Marker.SUMMARY: {
                    "dtype": _str(arr.dtype),
                    "shape": [int(d) for d in arr.shape],
                    "nonzero": int(np.count_nonzero(arr)),
                    "min": _float(finite.min().real) if finite.size else None,
                    "max": _float(finite.max().real) if finite.size else None,
                }
            }
        data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False)
        return {
            Marker.NDARRAY: {
                "dtype": data.dtype.str,
                "shape": [int(d) for d in arr.shape],
                "data": base64.b64encode(data.tobytes()).decode("ascii"),
            }
        }
    if arr.dtype.kind in "SUO" and arr.size <= 1000:
        flat: list[Plain] = [_text(v) for v in arr.reshape(-1).tolist()]
        return {Marker.STRINGS: {"shape": [int(d) for d in arr.shape], "data": flat}}
    return {Marker.SUMMARY: {"dtype": _str(arr.dtype), "shape": [int(d) for d in arr.shape]}}


def _text(value: object) -> str:
    if _isinstance(value, bytes):
        assert isinstance(value, bytes)
        return value.decode("utf-8", errors="replace")[:MAX_TEXT]
    return _str(value)[:MAX_TEXT]


def describe(
    obj: object,
    *,
    classify: Callable[[object], str | None] | None = None,
    to_numpy: Callable[[object], np.ndarray] | None = None,
) -> Plain:
    """Describe any student object: its type names, its kind, and its value when genuinely numeric.

    `kind` is decided from the object's exact type: "none", "python" (bool, int, float), "str",
    "list", "tuple", "ndarray", a framework kind from `classify` (the harvest module passes one
    that compares the type with the framework's own classes, taken before student code ran, e.g.
    "tensor" or "variable"), or "other". Only a framework kind is asked for its value, through
    `to_numpy`: a class that lies in `__array__` or `__float__` gets none.
    """
    names: list[Plain] = [*type_names(obj)]
    out: dict[str, Plain] = {"types": names}
    t = _type(obj)
    if obj is None or t in (bool, int, float):
        out["kind"] = "none" if obj is None else "python"
        out["python"] = obj  # type: ignore[assignment]  # exactly None, bool, int or float
        if obj is not None:
            out["value"] = encode_array(_np_asarray(obj))
        return out
    if t is str:
        out["kind"] = "str"
        out["python"] = _text(obj)
        return out
    if t is list or t is tuple:
        items: list[object] | tuple[object, ...] = obj  # type: ignore[assignment]  # exact type checked
        out["kind"] = "list" if t is list else "tuple"
        out["length"] = _len(items)
        if _len(items) <= 10_000:
            out["items"] = [describe(v, classify=classify, to_numpy=to_numpy) for v in items]
        return out
    if t is _np_ndarray or _isinstance(obj, _np_generic):
        out["kind"] = "ndarray"
        out["value"] = encode_array(_np_asarray(obj))
        return out
    kind = classify(obj) if classify is not None else None
    out["kind"] = kind or "other"
    if kind is not None and to_numpy is not None:
        try:
            arr = to_numpy(obj)
        except Exception as exc:  # the framework refused: record why, no value
            out["value_error"] = _text(f"{_type(exc).__name__}: {exc}")
        else:
            if _isinstance(arr, bytes):  # a 0-d string tensor converts to bytes, not an array
                out["value"] = encode_array(np.array(arr, dtype=object))
            elif _type(arr) is _np_ndarray or _isinstance(arr, _np_generic):
                out["value"] = encode_array(_np_asarray(arr))
    if "value" not in out:
        out["repr"] = _text(_safe_repr(obj))
    return out


def _safe_repr(obj: object) -> str:
    try:
        return _repr(obj)
    except Exception:
        return f"<{_type(obj).__name__} object>"


def error_info(exc: BaseException) -> dict[str, Plain]:
    """An exception as plain data: type, message and the student's own frames (chunk, line)."""
    frames: list[Plain] = []
    last_lib: str | None = None
    for fs in traceback.extract_tb(exc.__traceback__):
        chunk = chunk_of_filename(fs.filename)
        if chunk is not None:
            frames.append({"chunk": chunk, "line": fs.lineno, "function": fs.name})
        else:
            last_lib = fs.name
    info: dict[str, Plain] = {
        "type": _type(exc).__name__,
        "message": _text(exc),
        "frames": frames,
        "library_function": last_lib,
    }
    if _isinstance(exc, SyntaxError):
        assert isinstance(exc, SyntaxError)
        chunk = chunk_of_filename(exc.filename or "")
        if chunk is not None:
            info["frames"] = [{"chunk": chunk, "line": exc.lineno, "function": "<module>"}]
            info["message"] = _text(exc.msg)
    return info


def call(
    fn: Callable[..., object], *args: object, **kwargs: object
) -> tuple[object, dict[str, Plain] | None]:
    """Call student code; return (result, None), or (None, error_info) if it raised."""
    try:
        return fn(*args, **kwargs), None
    except Exception as exc:
        return None, error_info(exc)

"""Read the decoded descriptions of student objects: their types, values, shapes and dtypes."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from grader.run.decode import Summary, Value

#: How `short_type` names the framework kinds the harvest reports (see `probe.describe`).
_KIND_NAMES = {"tensor": "tf.Tensor", "variable": "tf.Variable"}


def type_names(desc: Value) -> list[str]:
    """The object's class names as the student process reported them (for messages only:
    names can be made up; decisions use `kind_of`)."""
    if isinstance(desc, dict) and isinstance(desc.get("types"), list):
        return [t for t in desc["types"] if isinstance(t, str)]  # type: ignore[union-attr]
    return []


def kind_of(desc: Value) -> str:
    """The object's kind as the harvest decided it from its exact type: "tensor", "variable",
    "ndarray", "python", "str", "list", "tuple", "none" or "other"."""
    if isinstance(desc, dict) and isinstance(desc.get("kind"), str):
        return str(desc["kind"])
    return "other"


def short_type(desc: Value) -> str:
    """What the object is, in a word a student recognises: tf.Tensor, float, np.ndarray, ..."""
    kind = kind_of(desc)
    if kind in _KIND_NAMES:
        return _KIND_NAMES[kind]
    names = type_names(desc)
    if not names:
        return "unknown"
    first = names[0]
    if first.startswith("builtins."):
        return first.removeprefix("builtins.")
    if first.startswith("numpy."):
        return "np." + first.split(".")[-1]
    return first.rsplit(".", 1)[-1]


def is_tensor(desc: Value) -> bool:
    return kind_of(desc) == "tensor"


def is_variable(desc: Value) -> bool:
    return kind_of(desc) == "variable"


def fields(desc: Value) -> Mapping[str, Value]:
    """A harvested record's fields ({} when the value is not a record)."""
    return desc if isinstance(desc, dict) else {}


def items(desc: Value) -> list[Value]:
    """A harvested list's items ([] when the value is not a list)."""
    return desc if isinstance(desc, list) else []


def array_of(desc: Value) -> np.ndarray | None:
    """The numeric value in a description, or None if the child sent none."""
    if isinstance(desc, dict):
        value = desc.get("value")
        if isinstance(value, np.ndarray):
            return value
    return None


def summary_of(desc: Value) -> Summary | None:
    if isinstance(desc, dict):
        value = desc.get("value")
        if isinstance(value, Summary):
            return value
    return None


def shape_of(desc: Value) -> tuple[int, ...] | None:
    arr = array_of(desc)
    if arr is not None:
        return tuple(arr.shape)
    summary = summary_of(desc)
    return summary.shape if summary is not None else None


def dtype_of(desc: Value) -> str | None:
    """The tensor's dtype name as TensorFlow calls it ('float32', 'string')."""
    if isinstance(desc, dict) and isinstance(desc.get("dtype"), str):
        return desc["dtype"]  # type: ignore[return-value]
    arr = array_of(desc)
    return str(arr.dtype) if arr is not None else None

"""Read the decoded descriptions of student objects: their types, values, shapes and dtypes."""

from __future__ import annotations

import numpy as np

from grader.run.decode import Summary, Value

TENSOR_TYPES = frozenset(
    {
        "tensorflow.python.framework.ops.EagerTensor",
        "tensorflow.python.framework.tensor.Tensor",
    }
)
VARIABLE_TYPES = frozenset(
    {
        "tensorflow.python.ops.variables.Variable",
        "tensorflow.python.ops.resource_variable_ops.ResourceVariable",
        "keras.src.backend.common.variables.Variable",
    }
)


def type_names(desc: Value) -> list[str]:
    if isinstance(desc, dict) and isinstance(desc.get("types"), list):
        return [t for t in desc["types"] if isinstance(t, str)]  # type: ignore[union-attr]
    return []


def short_type(desc: Value) -> str:
    names = type_names(desc)
    if not names:
        return "unknown"
    first = names[0]
    if first in TENSOR_TYPES:
        return "tf.Tensor"
    if first in VARIABLE_TYPES:
        return "tf.Variable"
    if first.startswith("builtins."):
        return first.removeprefix("builtins.")
    if first.startswith("numpy."):
        return "np." + first.split(".")[-1]
    return first.rsplit(".", 1)[-1]


def is_tensor(desc: Value) -> bool:
    return bool(TENSOR_TYPES & set(type_names(desc)))


def is_variable(desc: Value) -> bool:
    return bool(VARIABLE_TYPES & set(type_names(desc)))


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

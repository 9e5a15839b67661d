"""What a check receives: one section's harvested values, its unseen inputs and its source."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from grader.assertions import StudentCodeError, fail
from grader.harvest import CodeError, SectionHarvest, StudentError, Summary, Value

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


@dataclass(frozen=True, slots=True)
class SectionData:
    """One section as the checks see it. Values were validated when they were decoded."""

    id: str
    harvest: SectionHarvest
    inputs: Mapping[str, object]  # the parent's own copy of the unseen inputs for this section
    source: str  # the section's code as the student wrote it (for static checks)
    chunk_sources: Mapping[int, str] = field(default_factory=dict)  # each chunk's code, by index

    @property
    def code_errors(self) -> tuple[CodeError, ...]:
        return self.harvest.code_errors

    def has(self, key: str) -> bool:
        return key in self.harvest.data

    def get(self, key: str, *, missing: str | None = None) -> Value:
        """The harvested value `key`; fails with `missing` (or a default hint) if absent.

        If the student's code raised while it was being harvested, the check ends as `error`
        with the student's exception and where it happened.
        """
        __tracebackhide__ = True
        if key not in self.harvest.data:
            fail(
                missing
                or f"`{key}` is not defined after section {self.id}: define it in this section"
            )
        value = self.harvest.data[key]
        if isinstance(value, StudentError):
            raise StudentCodeError(self.explain(value), value)
        return value

    def explain(self, error: StudentError) -> str:
        """Say what the student's code raised and where, with the hint if there is one."""
        return f"your code raised {error.describe(with_hint=True)}"

    def undefined(self, name: str) -> str:
        """Explain a missing name, pointing at the error in the code that should define it."""
        defines = re.compile(
            rf"^\s*(?:{re.escape(name)}\s*(?:,[^=]*)?=|(?:def|class)\s+{re.escape(name)}\b)", re.M
        )
        errors = sorted(
            self.code_errors,
            key=lambda ce: not defines.search(self.chunk_sources.get(ce.chunk, "")),
        )
        for ce in errors:
            where = f" at {ce.error.location}" if ce.error.location else ""
            return (
                f"`{name}` is not defined after section {self.id}: your code raised "
                f"{ce.error.type}{where} before defining it"
            )
        return f"`{name}` is not defined after section {self.id}: define it in this section's code"


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

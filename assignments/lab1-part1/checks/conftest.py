"""Fixtures for Lab 1 Part 1 checks: one per section, and helpers shared by the checks."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from grader.assertions import StudentCodeError, fail, format_array
from grader.checkdata import SectionData, array_of, is_tensor, short_type, type_names
from grader.harvest import StudentError, Value
from grader.plugin import Grading


@pytest.fixture
def section_1_1(grading: Grading) -> SectionData:
    return grading.section("1.1")


@pytest.fixture
def section_1_2(grading: Grading) -> SectionData:
    return grading.section("1.2")


@pytest.fixture
def section_1_3_1(grading: Grading) -> SectionData:
    return grading.section("1.3.1")


@pytest.fixture
def section_1_3_2(grading: Grading) -> SectionData:
    return grading.section("1.3.2")


@pytest.fixture
def section_1_3_3(grading: Grading) -> SectionData:
    return grading.section("1.3.3")


@pytest.fixture
def section_1_4(grading: Grading) -> SectionData:
    return grading.section("1.4")


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z.astype(np.float64)))


def require(section: SectionData, key: str, *, name: str | None = None) -> Value:
    """The harvested value `key` (the student's `name`), or a failure that says why it is missing."""
    __tracebackhide__ = True
    if not section.has(key):
        fail(section.undefined(name or key))
    return section.get(key)


def outcome(value: Value, *, what: str) -> Value:
    """A probe result; a student exception ends the check as `error`, with where it happened."""
    __tracebackhide__ = True
    if isinstance(value, dict) and "__harvest_error__" in value:
        raise StudentCodeError(f"{what} could not be inspected")
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


def subclasses(mro: Value, base: str) -> bool:
    """Whether a harvested class MRO (list of qualified names) contains a Keras base class."""
    names = mro if isinstance(mro, list) else type_names(mro)
    return any(
        isinstance(n, str) and n.startswith("keras.") and n.endswith("." + base) for n in names
    )


def describe_mismatch(
    found: np.ndarray, expected: np.ndarray, alternatives: dict[str, np.ndarray]
) -> str:
    """Explain a wrong output: the first known mistake that reproduces it, else the numbers."""
    for hint, alt in alternatives.items():
        if alt.shape == found.shape and np.allclose(found, alt, rtol=1e-4, atol=1e-5):
            return f"found {format_array(found)}: {hint}"
    return f"found {format_array(found)}, expected {format_array(expected)}"


def assigned_from_call(source: str, target: str, callee: str) -> bool:
    """Whether the code assigns `target = <...>.callee(...)` or `target = callee(...)` somewhere."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            value = node.value
            if target in names and isinstance(value, ast.Call):
                func = value.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name == callee:
                    return True
    return False

"""Section 1.2: func(a, b) = (a + b) * (b - 1) with TensorFlow operations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from grader.checks.assertions import assigned_from_call, fail, format_array, outcome, tensor_value
from grader.checks.data import SectionData

HANDOUT_CASES = 1  # the first case is the handout's (1.5, 2.5)
SCALAR_CASES = slice(2, 4)  # case 1 is the visible check's extra pair
TENSOR_CASES = slice(4, None)

# Mistakes students make, and what each one computes.
MISTAKES = {
    "d should be b - 1, not b + 1": lambda a, b: (a + b) * (b + 1),
    "c should be a + b, not a - b": lambda a, b: (a - b) * (b - 1),
    "c should be a + b, not a * b": lambda a, b: (a * b) * (b - 1),
    "d should be b - 1, not a - 1": lambda a, b: (a + b) * (a - 1),
    "d should be b - 1, not 1 - b": lambda a, b: (a + b) * (1 - b),
    "e should multiply c and d, not add them": lambda a, b: (a + b) + (b - 1),
    "e should multiply c and d, not subtract them": lambda a, b: (a + b) - (b - 1),
}


def _value(spec: dict[str, object]) -> np.ndarray:
    return np.asarray(spec["value"], dtype=np.float32)


def _check_cases(section: SectionData, cases: Sequence[int]) -> None:
    __tracebackhide__ = True
    func = section.require("func")
    if not (isinstance(func, dict) and func.get("callable")):
        fail("`func` is not a function: define it with `def func(a, b):`")
    calls = section.get("calls")
    specs = section.inputs["cases"]
    assert isinstance(calls, list)
    assert isinstance(specs, list)
    for i in cases:
        a, b = _value(specs[i]["a"]), _value(specs[i]["b"])
        shown = f"func({format_array(a)}, {format_array(b)})"
        found = tensor_value(outcome(calls[i], what=shown), what=f"the result of {shown}")
        expected = ((a + b) * (b - np.float32(1))).astype(np.float32)
        if found.shape != expected.shape:
            fail(
                f"{shown} has shape {found.shape}, expected {expected.shape}: "
                "use element-wise operations (tf.add, tf.subtract, tf.multiply)"
            )
        if not np.allclose(found, expected, rtol=1e-4, atol=1e-4):
            for hint, mistake in MISTAKES.items():
                if np.allclose(found, mistake(a, b), rtol=1e-4, atol=1e-4):
                    fail(
                        f"{shown} returned {format_array(found)}, expected {format_array(expected)}: {hint}"
                    )
            fail(
                f"{shown} returned {format_array(found)}, expected (a + b) * (b - 1) = "
                f"{format_array(expected)}"
            )


@pytest.mark.check("1.2/func-handout")
def test_func_on_handout_inputs(section_1_2: SectionData) -> None:
    # One more pair besides the handout's, so that `return tf.constant(6.0)` earns nothing.
    _check_cases(section_1_2, range(HANDOUT_CASES + 1))


@pytest.mark.check("1.2/e-out")
def test_e_out_is_func_result(section_1_2: SectionData) -> None:
    found = tensor_value(section_1_2.require("e_out"), what="`e_out`")
    if not assigned_from_call(section_1_2.source, "e_out", "func"):
        fail("`e_out` must be the result of calling your function: e_out = func(a, b)")
    if found.shape != () or not np.isclose(float(found), 6.0, rtol=1e-5):
        fail(
            f"`e_out` is {format_array(found)}, expected 6.0: set a, b = 1.5, 2.5 and e_out = func(a, b)"
        )


@pytest.mark.check("1.2/func-unseen-scalars")
def test_func_on_unseen_scalars(section_1_2: SectionData) -> None:
    _check_cases(section_1_2, range(*SCALAR_CASES.indices(len(section_1_2.inputs["cases"]))))


@pytest.mark.check("1.2/func-unseen-tensors")
def test_func_on_unseen_tensors(section_1_2: SectionData) -> None:
    _check_cases(section_1_2, range(*TENSOR_CASES.indices(len(section_1_2.inputs["cases"]))))

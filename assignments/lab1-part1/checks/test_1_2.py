"""Section 1.2: func(a, b) = (a + b) * (b - 1) with TensorFlow operations."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pytest

from grader.checks.assertions import close, fail, format_array, numeric, outcome
from grader.checks.data import SectionData
from grader.checks.values import fields, kind_of, short_type
from grader.run.decode import Value

# Mistakes students make, and what each one computes.
MISTAKES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "d should be b - 1, not b + 1": lambda a, b: (a + b) * (b + 1),
    "c should be a + b, not a - b": lambda a, b: (a - b) * (b - 1),
    "c should be a + b, not a * b": lambda a, b: (a * b) * (b - 1),
    "d should be b - 1, not a - 1": lambda a, b: (a + b) * (a - 1),
    "d should be b - 1, not 1 - b": lambda a, b: (a + b) * (1 - b),
    "e should multiply c and d, not add them": lambda a, b: (a + b) + (b - 1),
    "e should multiply c and d, not subtract them": lambda a, b: (a + b) - (b - 1),
}


def _value(spec: Mapping[str, object]) -> np.ndarray:
    return np.asarray(spec["value"], dtype=np.float32)


def _result_tensor(desc: Value, *, shown: str) -> np.ndarray:
    """The value `func` returned, which must be a genuine tf.Tensor."""
    __tracebackhide__ = True
    found = numeric(desc, what=f"the result of {shown}")
    kind = kind_of(desc)
    if kind == "ndarray":
        fail(
            f"{shown} returned a NumPy array, expected a tf.Tensor: return the tensor itself "
            "(`return e`, not `return e.numpy()`)"
        )
    if kind != "tensor":
        fail(
            f"{shown} returned a {short_type(desc)}, expected a tf.Tensor: compute c, d and e "
            "with TensorFlow operations (tf.add, tf.subtract, tf.multiply)"
        )
    return found


def _check_cases(section: SectionData, names: Sequence[str]) -> None:
    __tracebackhide__ = True
    if fields(section.require("func")).get("callable") is not True:
        fail("`func` is not a function: define it with `def func(a, b):`")
    calls = fields(section.get("calls"))
    for name in names:
        case = section.case(name)
        a, b = _value(case["a"]), _value(case["b"])
        shown = f"func({format_array(a)}, {format_array(b)})"
        found = _result_tensor(outcome(calls[name], what=shown), shown=shown)
        expected = ((a + b) * (b - np.float32(1))).astype(np.float32)
        if found.shape != expected.shape:
            fail(
                f"{shown} has shape {found.shape}, expected {expected.shape}: "
                "use element-wise operations (tf.add, tf.subtract, tf.multiply)"
            )
        if not close(found, expected, atol=1e-4):
            for hint, mistake in MISTAKES.items():
                if close(found, mistake(a, b), atol=1e-4):
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
    _check_cases(section_1_2, ["handout", "pair"])


@pytest.mark.check("1.2/e-out")
def test_e_out_is_func_result(section_1_2: SectionData) -> None:
    desc = section_1_2.require("e_out")
    found = numeric(desc, what="`e_out`")
    if kind_of(desc) != "tensor":
        fail(
            f"`e_out` is a {short_type(desc)}, expected the tf.Tensor that func returns: "
            "e_out = func(a, b)"
        )
    from_func = section_1_2.has("e_out_returned_by_func") and section_1_2.get(
        "e_out_returned_by_func"
    )
    if from_func is not True:
        fail(
            "`e_out` is not what your function returned when the section ran: set "
            "a, b = 1.5, 2.5 and e_out = func(a, b)"
        )
    if found.shape != () or not np.isclose(float(found), 6.0, rtol=1e-5):
        fail(
            f"`e_out` is {format_array(found)}, expected 6.0: set a, b = 1.5, 2.5 and e_out = func(a, b)"
        )


@pytest.mark.check("1.2/func-unseen-scalars")
def test_func_on_unseen_scalars(section_1_2: SectionData) -> None:
    _check_cases(section_1_2, ["scalars-0", "scalars-1"])


@pytest.mark.check("1.2/func-unseen-tensors")
def test_func_on_unseen_tensors(section_1_2: SectionData) -> None:
    _check_cases(section_1_2, ["tensors-0", "tensors-1"])

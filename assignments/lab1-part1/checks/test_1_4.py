"""Section 1.4: a gradient from tf.GradientTape, and SGD on L = (x - x_f)^2 with x_f = 4.

Whether a value came from a tape is decided from what ran (the grader counts every
`tape.gradient` call and keeps what it returned), never from the source text.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from grader.checks.assertions import fail, format_array, numeric, tensor_value
from grader.checks.data import SectionData
from grader.checks.values import fields, is_variable, kind_of, short_type
from grader.run.decode import Value

TARGET = 4.0  # the handout's x_f: the helper names (x_f, learning_rate) are the student's own
HANDOUT_STEPS = 500
TOLERANCE = 1e-2  # |x - x_f| after SGD; 500 steps at lr 1e-2 get within ~1e-3 from |x0 - x_f| < 10
MIN_TAPE_STEPS = 10  # an SGD loop computes its gradients with the tape, step after step


def _tape(section: SectionData) -> Mapping[str, Value]:
    return fields(section.get("tape"))


def _calls_on_x(section: SectionData) -> int:
    """How many tape.gradient calls took the final `x` among their sources."""
    calls = _tape(section).get("calls_on_x")
    return calls if isinstance(calls, int) else 0


def _sgd(section: SectionData) -> tuple[float, np.ndarray]:
    """(final x, history) after an SGD loop whose steps used the tape; fails otherwise."""
    __tracebackhide__ = True
    x_desc = section.require("x")
    x = numeric(x_desc, what="`x`")
    if not is_variable(x_desc):
        fail(f"`x` is a {short_type(x_desc)}, expected a tf.Variable updated with x.assign(new_x)")
    if x.size != 1:
        fail(f"`x` has shape {list(x.shape)}, expected a single value")
    calls = _calls_on_x(section)
    if calls < MIN_TAPE_STEPS:
        fail(
            f"the SGD loop computed {calls} gradient(s) of `x` with a tape: each step must compute "
            "grad = tape.gradient(loss, x) inside `with tf.GradientTape() as tape:`, then "
            "x.assign(x - learning_rate * grad)"
        )
    history = np.zeros(0)
    if section.has("history"):
        history = (
            numeric(
                section.get("history"),
                what="`history`",
                hint="append the value of x after every step: history.append(x.numpy()[0])",
            )
            .reshape(-1)
            .astype(np.float64)
        )
    return float(x.reshape(-1)[0]), history


@pytest.mark.check("1.4/gradient-value")
def test_gradient_value(section_1_4: SectionData) -> None:
    desc = section_1_4.require("dy_dx")
    if kind_of(desc) == "none":
        fail(
            "`dy_dx` is None: tape.gradient(y, x) returns None when y was not computed inside the "
            "`with tf.GradientTape() as tape:` block, or when x is not a tf.Variable"
        )
    found = tensor_value(desc, what="`dy_dx`")
    if found.size != 1 or not np.isclose(float(found.reshape(-1)[0]), 6.0, rtol=1e-5):
        fail(f"`dy_dx` is {format_array(found)}, expected 6.0 (the derivative of x*x at x = 3)")


@pytest.mark.check("1.4/gradient-tape")
def test_gradient_from_tape(section_1_4: SectionData) -> None:
    section_1_4.require("dy_dx")
    tape = _tape(section_1_4)
    if not tape.get("calls"):
        fail(
            "no gradient was computed with a tf.GradientTape in section 1.4: compute y = x * x "
            "inside `with tf.GradientTape() as tape:`, then dy_dx = tape.gradient(y, x)"
        )
    if tape.get("dy_dx_from_tape") is not True:
        fail(
            "`dy_dx` is not what tape.gradient returned: dy_dx = tape.gradient(y, x), not a "
            "formula written by hand"
        )


@pytest.mark.check("1.4/sgd-converges")
def test_sgd_converges(section_1_4: SectionData) -> None:
    x, history = _sgd(section_1_4)
    start = abs(history[0] - TARGET) if history.size and np.isfinite(history[0]) else 10.0
    if not np.isfinite(x) or abs(x - TARGET) > 10 * max(start, 1.0):
        fail(
            f"SGD diverged: x ended at {x:g}, far from x_f = {TARGET:g}. The update must subtract the "
            "gradient (new_x = x - learning_rate * grad) with a small learning rate such as 1e-2"
        )
    if abs(x - TARGET) > TOLERANCE:
        steps = f" after {history.size} steps" if history.size else ""
        hint = (
            f"run more steps: the handout uses {HANDOUT_STEPS}"
            if 0 < history.size < HANDOUT_STEPS
            else "check the update new_x = x - learning_rate * grad and x.assign(new_x)"
        )
        fail(f"x ended at {x:.4f}{steps}, expected x_f = {TARGET:g} (within {TOLERANCE:g}): {hint}")


@pytest.mark.check("1.4/history")
def test_history_records_steps(section_1_4: SectionData) -> None:
    x, history = _sgd(section_1_4)
    desc = section_1_4.require("history")
    if history.size < 2:
        fail(
            f"`history` has {history.size} entries, expected one per step: call "
            "history.append(x.numpy()[0]) inside the loop"
        )
    distinct = fields(desc).get("distinct_objects")
    if distinct == 1 or np.all(history == history[0]):
        fail(
            f"every entry of `history` is the same value ({history[0]:g}): append a copy of x's "
            "value after each update, history.append(x.numpy()[0]), not the variable x itself"
        )
    if not np.isclose(history[-1], x, rtol=1e-5, atol=1e-6, equal_nan=True):
        fail(
            f"the last entry of `history` is {history[-1]:g} but x is {x:g}: append x after "
            "every update, inside the loop"
        )
    calls = _calls_on_x(section_1_4)
    if history.size > calls + 1:
        fail(
            f"`history` has {history.size} entries but only {calls} SGD steps computed a gradient "
            "with the tape: append x once per step, after x.assign(new_x)"
        )


@pytest.mark.check("1.4/sgd-trajectory")
def test_history_is_sgd_trajectory(section_1_4: SectionData) -> None:
    _x, history = _sgd(section_1_4)
    if history.size < 2:
        fail("`history` needs one entry per step to check the SGD updates")
    if not np.all(np.isfinite(history)):
        fail(
            "`history` runs to inf or nan: SGD diverged, so its steps cannot be checked; use a "
            "small learning rate such as 1e-2 and subtract the gradient"
        )
    # x_{k+1} - x_f = (1 - 2 lr)(x_k - x_f): one learning rate, whatever the student named it.
    gaps = history - TARGET
    far = np.flatnonzero(np.abs(gaps[:-1]) > 1e-3)
    if far.size == 0:
        return  # it started at the target: nothing to tell apart
    ratio = gaps[far[0] + 1] / gaps[far[0]]
    lr = (1 - ratio) / 2
    predicted = TARGET + (1 - 2 * lr) * gaps[:-1]
    bad = np.flatnonzero(~np.isclose(history[1:], predicted, rtol=1e-4, atol=1e-5))
    if not 0 < lr < 1 or bad.size:
        k = int(bad[0]) if bad.size else int(far[0])
        fail(
            f"step {k + 1} of `history` went from {history[k]:g} to {history[k + 1]:g}; an SGD "
            f"step with learning rate {lr:g} (the first step's) goes to {predicted[k]:g}: "
            "x - learning_rate * 2 * (x - x_f) at every step"
        )

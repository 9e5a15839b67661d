"""Section 1.4: a gradient from tf.GradientTape, and SGD on L = (x - x_f)^2."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from grader.checks.assertions import fail, format_array, numeric, tensor_value
from grader.checks.data import SectionData
from grader.checks.values import is_variable, short_type

HANDOUT_STEPS = 500
TOLERANCE = 1e-2  # |x - x_f| after SGD; 500 steps at lr 1e-2 get within ~1e-3 from |x0 - x_f| < 10


def _tape_gradient_assigns(source: str) -> tuple[bool, bool]:
    """(a `with tf.GradientTape() as t:` block exists, `dy_dx = t.gradient(...)` with that tape)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False, False
    tapes: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                if isinstance(call, ast.Call):
                    name = (
                        call.func.attr
                        if isinstance(call.func, ast.Attribute)
                        else getattr(call.func, "id", "")
                    )
                    if name == "GradientTape" and isinstance(item.optional_vars, ast.Name):
                        tapes.add(item.optional_vars.id)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "dy_dx" for t in node.targets
        ):
            value = node.value
            if (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Attribute)
                and value.func.attr == "gradient"
                and isinstance(value.func.value, ast.Name)
                and value.func.value.id in tapes
            ):
                return True, True
    return bool(tapes), False


def _sgd(section: SectionData) -> tuple[float, float, np.ndarray]:
    """(final x, x_f, history) after the SGD loop."""
    __tracebackhide__ = True
    x_desc = section.require("x")
    x = numeric(x_desc, what="`x`")
    if not is_variable(x_desc):
        fail(f"`x` is a {short_type(x_desc)}, expected a tf.Variable updated with x.assign(new_x)")
    if x.size != 1:
        fail(f"`x` has shape {list(x.shape)}, expected a single value")
    x_f = float(numeric(section.require("x_f"), what="`x_f`").reshape(-1)[0])
    history_desc = section.require("history")
    history = numeric(
        history_desc,
        what="`history`",
        hint="append the value of x after every step: history.append(x.numpy()[0])",
    )
    return float(x.reshape(-1)[0]), x_f, history.reshape(-1).astype(np.float64)


@pytest.mark.check("1.4/gradient-value")
def test_gradient_value(section_1_4: SectionData) -> None:
    desc = section_1_4.require("dy_dx")
    if short_type(desc) == "NoneType":
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
    has_tape, from_tape = _tape_gradient_assigns(section_1_4.source)
    if not has_tape:
        fail(
            "no `with tf.GradientTape() as tape:` block was found in section 1.4: compute y = x * x "
            "inside it, then dy_dx = tape.gradient(y, x)"
        )
    if not from_tape:
        fail(
            "`dy_dx` must come from the tape: dy_dx = tape.gradient(y, x), not a formula written by hand"
        )


@pytest.mark.check("1.4/sgd-converges")
def test_sgd_converges(section_1_4: SectionData) -> None:
    x, x_f, history = _sgd(section_1_4)
    if not np.isfinite(x) or abs(x - x_f) > 10 * (abs(history[0] - x_f) if history.size else 10):
        fail(
            f"SGD diverged: x ended at {x:g}, far from x_f = {x_f:g}. The update must subtract the "
            "gradient (new_x = x - learning_rate * grad) with a small learning rate such as 1e-2"
        )
    if abs(x - x_f) > TOLERANCE:
        steps = f" after {history.size} steps" if history.size else ""
        hint = (
            f"run more steps: the handout uses {HANDOUT_STEPS}"
            if 0 < history.size < HANDOUT_STEPS
            else "check the update new_x = x - learning_rate * grad and x.assign(new_x)"
        )
        fail(f"x ended at {x:.4f}{steps}, expected x_f = {x_f:g} (within {TOLERANCE:g}): {hint}")


@pytest.mark.check("1.4/history")
def test_history_records_steps(section_1_4: SectionData) -> None:
    x, _x_f, history = _sgd(section_1_4)
    if history.size < 2:
        fail(
            f"`history` has {history.size} entries, expected one per step: call "
            "history.append(x.numpy()[0]) inside the loop"
        )
    if not np.isclose(history[-1], x, rtol=1e-5, atol=1e-6, equal_nan=True):
        fail(
            f"the last entry of `history` is {history[-1]:g} but x is {x:g}: append x after "
            "every update, inside the loop"
        )


@pytest.mark.check("1.4/sgd-trajectory")
def test_history_is_sgd_trajectory(section_1_4: SectionData) -> None:
    _x, x_f, history = _sgd(section_1_4)
    lr_desc = section_1_4.require("learning_rate")
    lr = float(numeric(lr_desc, what="`learning_rate`").reshape(-1)[0])
    if history.size < 2:
        fail("`history` needs one entry per step to check the SGD updates")
    if not np.all(np.isfinite(history)):
        fail(
            "`history` runs to inf or nan: SGD diverged, so its steps cannot be checked; use a "
            "small learning rate such as 1e-2 and subtract the gradient"
        )
    predicted = history[:-1] - lr * 2 * (history[:-1] - x_f)
    bad = np.flatnonzero(~np.isclose(history[1:], predicted, rtol=1e-4, atol=1e-5))
    if bad.size:
        k = int(bad[0])
        fail(
            f"step {k + 1} of `history` went from {history[k]:g} to {history[k + 1]:g}; an SGD step "
            f"with learning_rate {lr:g} goes to {predicted[k]:g}: x - learning_rate * 2 * (x - x_f)"
        )

"""Section 1.3.1: OurDenseLayer, a Keras layer computing sigmoid(xW + b) from its own weights.

The grader builds new layers itself, sets W and b to values it chose, calls the layer on an input
it chose, and compares with sigmoid(xW + b) computed here from its own copies of x, W and b.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from grader.checks.assertions import (
    close,
    dense,
    describe_mismatch,
    fail,
    format_array,
    numeric,
    outcome,
    sigmoid,
)
from grader.checks.data import SectionData
from grader.checks.values import array_of, fields, items
from grader.run.decode import Value

Probe = Mapping[str, Value]
Case = Mapping[str, Any]


def _class(section: SectionData) -> None:
    __tracebackhide__ = True
    if fields(section.require("class", name="OurDenseLayer")).get("is_subclass") is not True:
        fail(
            "`OurDenseLayer` must subclass tf.keras.layers.Layer: "
            "class OurDenseLayer(tf.keras.layers.Layer)"
        )


def _probe(section: SectionData, name: str) -> tuple[Probe, Case]:
    """The layer the grader built for case `name`, and the case (n, x, W, b)."""
    __tracebackhide__ = True
    _class(section)
    case = section.case(name)
    probe = fields(fields(section.get("probes")).get(name))
    x = np.asarray(case["x"], np.float32)
    if "construct" in probe:
        outcome(probe["construct"], what=f"OurDenseLayer({case['n']})")
    if "build" in probe:
        outcome(
            probe["build"],
            what=f"calling OurDenseLayer({case['n']}) on an input of shape {list(x.shape)}",
        )
    return probe, case


def _shapes(probe: Probe) -> list[tuple[int, ...]]:
    return [
        tuple(arr.shape)
        for w in items(probe.get("weights"))
        if (arr := array_of(fields(w).get("value"))) is not None
    ]


def _check_shapes(probe: Probe, case: Case, *, handout: bool = True) -> None:
    """W is [d, n] and b is [1, n]; one message for the first thing that is not.

    For other widths (`handout=False`) only what depends on the width is judged: a transposed W
    and the bias's shape are the handout case's to report, once.
    """
    __tracebackhide__ = True
    n, d = int(case["n"]), len(case["x"][0])
    shapes = _shapes(probe)
    matrices = [s for s in shapes if len(s) == 2 and s[0] > 1]
    if not matrices:
        fail(
            'the layer has no weight matrix: in build, create self.W = self.add_weight(name="weight", '
            "shape=[d, self.n_output_nodes])"
        )
    W = matrices[0]
    if (n, d) == W and n != d and not handout:
        return
    if (n, d) == W and n != d:
        fail(
            f"W has shape {list(W)}, expected [d, n] = {[d, n]}: W is transposed; "
            "create it with shape=[d, self.n_output_nodes]"
        )
    if (d, n) != W:
        if d != 2 and W[0] == 2:
            fail(
                f"W has shape {list(W)} for an input of width {d}, expected {[d, n]}: "
                "the input width is hard-coded as 2; use d = int(input_shape[-1]) in build"
            )
        fail(
            f"W has shape {list(W)}, expected [d, n] = {[d, n]} for an input of width {d} "
            f"and {n} output nodes"
        )
    if not handout:
        return
    biases = [s for s in shapes if s != W and s[-1:] == (n,)]
    if not biases:
        fail(
            'the layer has no bias: in build, create self.b = self.add_weight(name="bias", '
            "shape=[1, self.n_output_nodes])"
        )
    if biases[0] != (1, n):
        fail(
            f"b has shape {list(biases[0])}, expected [1, n] = {[1, n]}: create it with "
            "shape=[1, self.n_output_nodes]"
        )


def _check_output(probe: Probe, case: Case) -> None:
    """The layer's output is sigmoid(xW + b) for the grader's W and b, which it left alone."""
    __tracebackhide__ = True
    n = int(case["n"])
    x = np.asarray(case["x"], np.float32)
    W = np.asarray(case["W"], np.float32)
    b = np.asarray(case["b"], np.float32)
    shown = f"OurDenseLayer({n}) on an input of shape {list(x.shape)}"
    roles = items(probe.get("roles"))
    if "W" not in roles and "W.T" not in roles:
        fail(
            f"{shown}: its output cannot be checked until W has shape [d, n] (see the check above)"
        )
    found = numeric(outcome(probe.get("output"), what=shown), what=f"the output of {shown}")
    # A missing or misshapen bias is the weight-shapes check's to report: judge the rest here.
    bias = b if "b" in roles else np.zeros_like(b)
    expected = dense(x, W, bias)
    if not close(found, expected) and "W.T" in roles:
        fail(
            f"{shown} gives {format_array(found)}, not sigmoid(xW + b): with W of shape [n, d] "
            "the product goes the wrong way; give W the shape [d, n] (see the weight-shapes check)"
        )
    if not close(found, expected):
        z = x.astype(np.float64) @ W + bias
        fail(
            f"{shown} is not sigmoid(xW + b) from the layer's own weights; "
            + describe_mismatch(
                found,
                expected,
                {
                    "the bias b is not used: z = tf.matmul(x, self.W) + self.b": sigmoid(z - bias),
                    "the activation is ReLU, not sigmoid: use tf.sigmoid(z)": np.maximum(z, 0),
                    "the activation is tanh, not sigmoid: use tf.sigmoid(z)": np.tanh(z),
                    "the sigmoid is missing: y = tf.sigmoid(z)": z,
                },
            )
        )
    readback = fields(probe.get("readback"))
    for role, set_value in (("W", W), ("W.T", W.T), ("b", b)):
        after = array_of(readback.get(role))
        if after is not None and not close(after.reshape(-1), set_value.reshape(-1)):
            fail(
                f"calling {shown} changed the layer's own weights ({role} after the call is not "
                "what it was before): compute the output from self.W and self.b, never assign them"
            )


@pytest.mark.check("1.3.1/subclass")
def test_layer_subclasses_keras_layer(section_1_3_1: SectionData) -> None:
    _probe(section_1_3_1, "handout")


@pytest.mark.check("1.3.1/weight-shapes")
def test_layer_weight_shapes(section_1_3_1: SectionData) -> None:
    _check_shapes(*_probe(section_1_3_1, "handout"))


@pytest.mark.check("1.3.1/output")
def test_layer_output_uses_own_weights(section_1_3_1: SectionData) -> None:
    _check_output(*_probe(section_1_3_1, "handout"))
    # `y` is the layer's output on x_input: sigmoid(x_input W + b) from the student's `layer`.
    y = numeric(section_1_3_1.require("y"), what="`y`")
    x_input = numeric(section_1_3_1.require("x_input"), what="`x_input`")
    layer = fields(section_1_3_1.require("layer"))
    weights = [
        arr
        for w in items(layer.get("weights"))
        if (arr := array_of(fields(w).get("value"))) is not None
    ]
    d, n = (x_input.shape[-1], y.shape[-1]) if x_input.ndim and y.ndim else (0, 0)
    # Judged as the output check judged the layer: W as [d, n] or transposed, no bias as zero.
    matrices = [w if w.shape == (d, n) else w.T for w in weights if w.shape in ((d, n), (n, d))]
    biases = [w for w in weights if w.ndim in (1, 2) and w.shape[-1:] == (n,) and w.size == n]
    W = matrices[0] if matrices else None
    b = biases[0].reshape(1, -1) if biases else np.zeros((1, n))
    if W is None or not close(y, dense(x_input, W, b)):
        fail(
            f"`y` is {format_array(y)}, which is not the output of `layer` on x_input: "
            "y = layer.call(x_input) after layer = OurDenseLayer(3)"
        )


@pytest.mark.check("1.3.1/any-width")
def test_layer_any_width(section_1_3_1: SectionData) -> None:
    for name in ("wide", "narrow"):
        probe, case = _probe(section_1_3_1, name)
        # The bias's shape is the weight-shapes check's to report, once; W's depends on the width.
        _check_shapes(probe, case, handout=False)
        _check_output(probe, case)

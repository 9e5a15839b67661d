"""Section 1.3.1: OurDenseLayer, a Keras layer computing sigmoid(xW + b) from its own weights."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.assertions import describe_mismatch, fail, numeric, outcome, sigmoid, subclasses
from grader.checks.data import SectionData
from grader.checks.values import short_type
from grader.run.decode import StudentError

HANDOUT = 0  # the first probe uses the handout's input [[1, 2]] and 3 outputs


def _probe(section: SectionData, i: int) -> tuple[dict[str, object], np.ndarray, int]:
    """Probe i: what the layer did, its input x and its output count n."""
    __tracebackhide__ = True
    cls = section.require("class", name="OurDenseLayer")
    if not subclasses(cls.get("mro") if isinstance(cls, dict) else None, "Layer"):
        fail(
            "`OurDenseLayer` must subclass tf.keras.layers.Layer: class OurDenseLayer(tf.keras.layers.Layer)"
        )
    probes = section.get("probes")
    case = section.inputs["cases"][i]
    x = np.asarray(case["x"], dtype=np.float32)
    n = int(case["n"])
    assert isinstance(probes, list)
    probe = probes[i]
    assert isinstance(probe, dict)
    if "construct" in probe:
        outcome(probe["construct"], what=f"OurDenseLayer({n})")
    return probe, x, n


def _weights(probe: dict[str, object], x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The layer's W and b, found by attribute or among its weights; fails with a hint."""
    __tracebackhide__ = True
    d = x.shape[1]
    w_desc, b_desc = probe.get("W"), probe.get("b")
    weights = [numeric(w["value"], what=f"weight {w['name']!r}") for w in probe.get("weights", [])]
    W = _as_array(w_desc)
    b = _as_array(b_desc)
    if W is None:
        W = next((w for w in weights if w.ndim == 2 and w.shape[0] > 1), None)
    if b is None:
        b = next((w for w in weights if w is not W and w.shape in ((1, n), (n,))), None)
    if W is None:
        fail(
            'the layer has no weight matrix: in build, create self.W = self.add_weight(name="weight", '
            "shape=[d, self.n_output_nodes])"
        )
    if W.shape == (n, d) and n != d:
        fail(
            f"W has shape {list(W.shape)}, expected [d, n] = {[d, n]}: W is transposed; "
            "create it with shape=[d, self.n_output_nodes]"
        )
    if W.shape != (d, n):
        if W.shape[0] != d and d != 2 and W.shape[0] == 2:
            fail(
                f"W has shape {list(W.shape)} for an input of width {d}, expected {[d, n]}: "
                "the input width is hard-coded as 2; use d = int(input_shape[-1]) in build"
            )
        fail(
            f"W has shape {list(W.shape)}, expected [d, n] = {[d, n]} for an input of width {d} "
            f"and {n} output nodes"
        )
    if b is None:
        fail(
            'the layer has no bias: in build, create self.b = self.add_weight(name="bias", '
            "shape=[1, self.n_output_nodes])"
        )
    if b.shape != (1, n):
        fail(
            f"b has shape {list(b.shape)}, expected [1, n] = {[1, n]}: create it with "
            "shape=[1, self.n_output_nodes]"
        )
    return W, b


def _as_array(desc: object) -> np.ndarray | None:
    if isinstance(desc, dict) and isinstance(desc.get("value"), np.ndarray):
        arr = desc["value"]
        return arr if arr.dtype.kind == "f" else None
    return None


def _check_output(probe: dict[str, object], x: np.ndarray, n: int) -> None:
    __tracebackhide__ = True
    shown = f"OurDenseLayer({n}) on an input of shape {list(x.shape)}"
    W = _as_array(probe.get("W"))
    if (
        isinstance(probe["output"], StudentError)
        and W is not None
        and W.ndim == 2
        and W.shape[0] != x.shape[1]
    ):
        fail(
            f"{shown} failed: W has shape {list(W.shape)} but the input has width {x.shape[1]}; "
            "build W from the input's width, d = int(input_shape[-1]), instead of a fixed number"
        )
    out = numeric(outcome(probe["output"], what=shown), what=f"the output of {shown}")
    W, b = _weights(probe, x, n)
    z = x.astype(np.float64) @ W.astype(np.float64) + b.astype(np.float64)
    expected = sigmoid(z)
    if out.shape != expected.shape:
        fail(
            f"the output of {shown} has shape {list(out.shape)}, expected {list(expected.shape)} = "
            "[batch, n_output_nodes]"
        )
    if np.allclose(out, expected, rtol=1e-4, atol=1e-5):
        return
    relu = "the activation should be tf.sigmoid, not ReLU"
    missing = "the activation is missing: return tf.sigmoid(z)"
    if (z >= 0).all():  # ReLU(z) == z here: the two mistakes look the same
        relu = missing = (
            "the output is xW + b, without the sigmoid (or with ReLU, the same here): return tf.sigmoid(z)"
        )
    mistakes = {
        "the bias b is not used: z should be tf.matmul(x, self.W) + self.b": sigmoid(z - b),
        relu: np.maximum(z, 0),
        missing: z,
        "the activation should be tf.sigmoid, not tanh": np.tanh(z),
        "the activation should be tf.sigmoid, not softmax": np.exp(z)
        / np.exp(z).sum(-1, keepdims=True),
    }
    fail(
        f"the output of {shown} is not sigmoid(xW + b) computed from the layer's own W and b; "
        + describe_mismatch(out, expected, mistakes)
    )


@pytest.mark.check("1.3.1/subclass")
def test_layer_subclasses_keras_layer(section_1_3_1: SectionData) -> None:
    probe, x, n = _probe(section_1_3_1, HANDOUT)
    outcome(probe["output"], what=f"calling OurDenseLayer({n}) on {x.tolist()}")


@pytest.mark.check("1.3.1/weight-shapes")
def test_layer_weight_shapes(section_1_3_1: SectionData) -> None:
    probe, x, n = _probe(section_1_3_1, HANDOUT)
    outcome(probe["output"], what=f"calling OurDenseLayer({n}) on {x.tolist()}")
    _weights(probe, x, n)


@pytest.mark.check("1.3.1/output")
def test_layer_output_uses_own_weights(section_1_3_1: SectionData) -> None:
    probe, x, n = _probe(section_1_3_1, HANDOUT)
    _check_output(probe, x, n)


@pytest.mark.check("1.3.1/any-width")
def test_layer_any_input_width(section_1_3_1: SectionData) -> None:
    for i in range(1, len(section_1_3_1.inputs["cases"])):
        probe, x, n = _probe(section_1_3_1, i)
        _check_output(probe, x, n)
        if short_type(probe["output"]) not in ("tf.Tensor",):
            fail(f"OurDenseLayer returned a {short_type(probe['output'])}, expected a tf.Tensor")

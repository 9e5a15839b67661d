"""Section 1.3.2: a Sequential model with one Dense(3, activation='sigmoid') layer."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.assertions import (
    describe_mismatch,
    fail,
    format_array,
    numeric,
    outcome,
    sigmoid,
)
from grader.checks.data import SectionData
from grader.checks.values import type_names

N_OUTPUTS = 3


def _model(section: SectionData) -> dict[str, object]:
    __tracebackhide__ = True
    model = section.require("model")
    assert isinstance(model, dict)
    names = type_names(model)
    if not any(n.endswith(".Sequential") for n in names):
        kind = names[0].rsplit(".", 1)[-1] if names else "unknown"
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        fail(
            f"`model` is {article} {kind}, expected a Sequential model: model = Sequential(), then "
            "model.add(Dense(...)). Each section is checked right after its own cells: if this "
            "`model` comes from section 1.3.3, put the heading '1.3.3 Subclassing the Model class' "
            "back above that code"
        )
    return model


def _dense(model: dict[str, object]) -> dict[str, object]:
    __tracebackhide__ = True
    layers = model.get("layers")
    assert isinstance(layers, list)
    dense = [layer for layer in layers if any(n.endswith(".Dense") for n in type_names(layer))]
    if len(layers) != 1 or len(dense) != 1:
        kinds = [type_names(layer)[0].rsplit(".", 1)[-1] for layer in layers if type_names(layer)]
        fail(
            f"the model has layers {kinds}, expected exactly one Dense layer: model.add(Dense(3, "
            "activation='sigmoid'))"
        )
    return dense[0]


def _kernel_bias(layer: dict[str, object]) -> tuple[np.ndarray, np.ndarray]:
    weights = {
        w["name"]: numeric(w["value"], what=f"weight {w['name']!r}") for w in layer["weights"]
    }
    kernel = weights.get("kernel")
    bias = weights.get("bias", np.zeros(N_OUTPUTS, dtype=np.float32))
    if kernel is None:
        fail("the Dense layer has no weights; call the model on x_input so that it is built")
    return kernel, bias


def _check_values(found: np.ndarray, x: np.ndarray, layer: dict[str, object], *, what: str) -> None:
    __tracebackhide__ = True
    kernel, bias = _kernel_bias(layer)
    z = x.astype(np.float64) @ kernel + bias
    expected = sigmoid(z)
    if found.shape != expected.shape:
        fail(f"{what} has shape {list(found.shape)}, expected {list(expected.shape)}")
    if not np.allclose(found, expected, rtol=1e-4, atol=1e-5):
        fail(
            f"{what} is not sigmoid(xW + b) from the model's own weights; "
            + describe_mismatch(
                found, expected, {"the activation is missing: use activation='sigmoid'": z}
            )
        )


@pytest.mark.check("1.3.2/architecture")
def test_model_is_sequential_dense_sigmoid(section_1_3_2: SectionData) -> None:
    layer = _dense(_model(section_1_3_2))
    if layer.get("units") != N_OUTPUTS:
        fail(
            f"the Dense layer has {layer.get('units')} units, expected {N_OUTPUTS}: Dense(n_output_nodes) "
            "with n_output_nodes = 3"
        )
    if layer.get("activation") != "sigmoid":
        fail(
            f"the Dense layer's activation is {layer.get('activation')!r}, expected 'sigmoid': "
            "Dense(n_output_nodes, activation='sigmoid')"
        )


@pytest.mark.check("1.3.2/model-output")
def test_model_output_matches_own_weights(section_1_3_2: SectionData) -> None:
    layer = _dense(_model(section_1_3_2))
    found = numeric(section_1_3_2.require("model_output"), what="`model_output`")
    x_input = numeric(section_1_3_2.require("x_input"), what="`x_input`")
    if x_input.shape != (1, 2):
        fail(
            f"`x_input` has shape {list(x_input.shape)}, expected [1, 2]: x_input = tf.constant([[1, 2.]], "
            f"shape=(1, 2)); it is {format_array(x_input)}"
        )
    _check_values(found, x_input, layer, what="`model_output`")


@pytest.mark.check("1.3.2/unseen-batch")
def test_model_on_unseen_batch(section_1_3_2: SectionData) -> None:
    model = _model(section_1_3_2)
    layer = _dense(model)
    x = np.asarray(section_1_3_2.inputs["x"], dtype=np.float32)
    found = numeric(
        outcome(model["output"], what=f"model(x) for x of shape {list(x.shape)}"),
        what="the model's output",
    )
    _check_values(found, x, layer, what=f"model(x) for x of shape {list(x.shape)}")

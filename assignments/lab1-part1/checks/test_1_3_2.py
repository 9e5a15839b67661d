"""Section 1.3.2: a Sequential model with one Dense(3, activation='sigmoid') layer."""

from __future__ import annotations

from collections.abc import Mapping

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
)
from grader.checks.data import SectionData
from grader.checks.values import array_of, fields, items
from grader.run.decode import Value

N_OUTPUTS = 3


def _model(section: SectionData) -> Mapping[str, Value]:
    __tracebackhide__ = True
    model = fields(section.require("model"))
    if model.get("is_sequential") is not True:
        fail(
            "`model` is not a tf.keras Sequential model: model = Sequential(), then model.add(...)"
        )
    return model


def _dense(model: Mapping[str, Value]) -> Mapping[str, Value]:
    """The model's one Dense layer; fails when there is not exactly one layer and it is Dense."""
    __tracebackhide__ = True
    layers = items(model.get("layers"))
    if len(layers) != 1:
        fail(
            f"the model has {len(layers)} layers, expected exactly one: "
            "model.add(Dense(n_output_nodes, activation='sigmoid')) once"
        )
    layer = fields(layers[0])
    if layer.get("is_dense") is not True:
        fail(
            "the model's layer is not a tf.keras.layers.Dense: use Dense(n_output_nodes, activation='sigmoid')"
        )
    return layer


def _own_weights(layer: Mapping[str, Value]) -> tuple[np.ndarray, np.ndarray]:
    __tracebackhide__ = True
    arrays = [
        arr
        for w in items(layer.get("weights"))
        if (arr := array_of(fields(w).get("value"))) is not None
    ]
    kernel = next((w for w in arrays if w.ndim == 2), None)
    bias = next((w for w in arrays if w.ndim == 1), np.zeros(N_OUTPUTS))
    if kernel is None:
        fail("the Dense layer has no weights yet: call the model on x_input (model(x_input))")
    return kernel, bias


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
    kernel, bias = _own_weights(layer)
    expected = dense(x_input, kernel, bias)
    if not close(found, expected):
        z = x_input.astype(np.float64) @ kernel + bias
        fail(
            "`model_output` is not the model's output on x_input, sigmoid(xW + b) from its own "
            "weights; "
            + describe_mismatch(
                found, expected, {"the activation is missing: use activation='sigmoid'": z}
            )
        )


@pytest.mark.check("1.3.2/unseen-batch")
def test_model_on_unseen_batch(section_1_3_2: SectionData) -> None:
    model = _model(section_1_3_2)
    _dense(model)
    inputs = section_1_3_2.inputs
    x = np.asarray(inputs["x"], np.float32)
    W, b = np.asarray(inputs["W"], np.float32), np.asarray(inputs["b"], np.float32)
    shown = f"model(x) for x of shape {list(x.shape)}"
    probe = fields(model.get("probe"))
    if not probe:
        fail(f"{shown} could not be tried: the model must have exactly one Dense layer")
    if "build" in probe:
        outcome(probe["build"], what=shown)
    if "W" not in items(probe.get("roles")):
        fail(
            f"{shown} cannot be checked until the Dense layer has {N_OUTPUTS} units for an input "
            "of width 2 (see the architecture check)"
        )
    found = numeric(outcome(probe.get("output"), what=shown), what=f"the output of {shown}")
    expected = dense(x, W, b)
    if not close(found, expected):
        z = x.astype(np.float64) @ W + b
        fail(
            f"{shown} is not sigmoid(xW + b) from the model's own weights; "
            + describe_mismatch(
                found, expected, {"the activation is missing: use activation='sigmoid'": z}
            )
        )

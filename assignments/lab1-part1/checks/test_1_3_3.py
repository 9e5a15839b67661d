"""Section 1.3.3: SubclassModel and IdentityModel(call(inputs, isidentity=False)).

The grader builds each model itself, sets its Dense layer's weights to values it chose, and
compares the outputs with sigmoid(xW + b) computed here from its own copies of x, W and b.
"""

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


def _probe(
    section: SectionData, cls_name: str, case_name: str
) -> tuple[Mapping[str, Value], np.ndarray, np.ndarray]:
    """The model the grader built for `case_name`, its input x, and sigmoid(xW + b) for it."""
    __tracebackhide__ = True
    info = fields(section.require(cls_name))
    if info.get("is_subclass") is not True:
        fail(f"`{cls_name}` must subclass tf.keras.Model: class {cls_name}(tf.keras.Model)")
    case = section.case(case_name)
    n, x = int(case["n"]), np.asarray(case["x"], np.float32)
    probe = fields(fields(info.get("probes")).get(case_name))
    for stage, what in (("construct", f"{cls_name}({n})"), ("build", f"{cls_name}({n})(x)")):
        if stage in probe:
            outcome(probe[stage], what=what)
    dense_layers = [fields(la) for la in items(probe.get("layers")) if fields(la).get("is_dense")]
    if len(dense_layers) != 1:
        fail(
            f"`{cls_name}({n})` has {len(dense_layers)} Dense layers, expected one: in __init__, "
            "set self.dense_layer = Dense(n_output_nodes, activation='sigmoid')"
        )
    if dense_layers[0].get("units") != n:
        fail(
            f"`{cls_name}({n})` made a Dense layer with {dense_layers[0].get('units')} units, "
            f"expected {n}: use n_output_nodes"
        )
    expected = dense(x, np.asarray(case["W"], np.float32), np.asarray(case["b"], np.float32))
    return probe, x, expected


def _is(found: np.ndarray, target: np.ndarray) -> bool:
    return close(found, target, rtol=0, atol=0)


def _check_forward(section: SectionData, cls_name: str, case: str, *, key: str) -> None:
    __tracebackhide__ = True
    probe, x, expected = _probe(section, cls_name, case)
    n = expected.shape[-1]
    what = f"{cls_name}({n}).call(x)" if key == "call_default" else f"{cls_name}({n})(x)"
    what += f" for x of shape {list(x.shape)}"
    found = numeric(outcome(probe[key], what=what), what=what)
    if _is(found, x):
        identity = array_of(probe.get("call_identity")) if "call_identity" in probe else None
        if identity is not None and _is(identity, x):
            fail(
                f"{what} returned the input unchanged, and so did call(x, isidentity=True): the "
                "default must be the Dense layer's output: def call(self, inputs, isidentity=False)"
            )
        fail(
            f"{what} returned the input unchanged; by default (isidentity=False) it must return "
            "the Dense layer's output. Are the two branches swapped?"
        )
    if not close(found, expected):
        fail(
            f"{what} is not the Dense layer's output sigmoid(xW + b); "
            + describe_mismatch(found, expected, {})
        )


def _check_identity(section: SectionData, case: str) -> None:
    __tracebackhide__ = True
    probe, x, expected = _probe(section, "IdentityModel", case)
    what = f"IdentityModel({expected.shape[-1]}).call(x, isidentity=True) for x of shape {list(x.shape)}"
    found = numeric(outcome(probe["call_identity"], what=what), what=what)
    if not _is(found, x):
        if close(found, expected):
            fail(
                f"{what} returned the Dense layer's output; with isidentity=True it must return "
                "`inputs` unchanged: `if isidentity: return inputs`"
            )
        fail(f"{what} did not return the input unchanged; " + describe_mismatch(found, x, {}))


def _own_dense(section: SectionData) -> tuple[np.ndarray, np.ndarray]:
    """The Dense weights of the student's own `model` (the IdentityModel of the handout)."""
    __tracebackhide__ = True
    model = section.require("model")
    arrays = [
        arr
        for layer in items(fields(model).get("layers"))
        if fields(layer).get("is_dense")
        for w in items(fields(layer).get("weights"))
        if (arr := array_of(fields(w).get("value"))) is not None
    ]
    kernel = next((a for a in arrays if a.ndim == 2), None)
    bias = next((a for a in arrays if a.ndim == 1), None)
    if kernel is None or bias is None:
        fail(
            "`model` has no Dense weights: model = IdentityModel(n_output_nodes), then model.call(x_input)"
        )
    return kernel, bias


@pytest.mark.check("1.3.3/subclass-model")
def test_subclass_model_forward(section_1_3_3: SectionData) -> None:
    _check_forward(section_1_3_3, "SubclassModel", "handout", key="output")


@pytest.mark.check("1.3.3/subclass-unseen")
def test_subclass_model_unseen(section_1_3_3: SectionData) -> None:
    _check_forward(section_1_3_3, "SubclassModel", "unseen", key="output")


@pytest.mark.check("1.3.3/identity-default")
def test_identity_model_default_branch(section_1_3_3: SectionData) -> None:
    _check_forward(section_1_3_3, "IdentityModel", "handout", key="call_default")
    found = numeric(section_1_3_3.require("out_activate"), what="`out_activate`")
    x_input = numeric(section_1_3_3.require("x_input"), what="`x_input`")
    kernel, bias = _own_dense(section_1_3_3)
    if x_input.shape[-1:] != kernel.shape[:1] or not close(found, dense(x_input, kernel, bias)):
        fail(
            f"`out_activate` is {format_array(found)}, which is not the model's output on x_input: "
            "out_activate = model.call(x_input)"
        )


@pytest.mark.check("1.3.3/identity-branch")
def test_identity_model_identity_branch(section_1_3_3: SectionData) -> None:
    _check_identity(section_1_3_3, "handout")
    found = numeric(section_1_3_3.require("out_identity"), what="`out_identity`")
    x_input = numeric(section_1_3_3.require("x_input"), what="`x_input`")
    if not _is(found, x_input):
        fail(
            f"`out_identity` is {format_array(found)}, expected x_input unchanged: "
            "out_identity = model.call(x_input, isidentity=True)"
        )


@pytest.mark.check("1.3.3/identity-unseen")
def test_identity_model_unseen(section_1_3_3: SectionData) -> None:
    _check_forward(section_1_3_3, "IdentityModel", "unseen", key="call_default")
    _check_identity(section_1_3_3, "unseen")

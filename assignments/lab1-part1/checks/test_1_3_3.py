"""Section 1.3.3: SubclassModel and IdentityModel(call(inputs, isidentity=False))."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.assertions import describe_mismatch, fail, numeric, outcome, sigmoid, subclasses
from grader.checks.data import SectionData
from grader.checks.values import type_names

HANDOUT, UNSEEN = 0, 1


def _probe(
    section: SectionData, cls_name: str, i: int
) -> tuple[dict[str, object], np.ndarray, int]:
    __tracebackhide__ = True
    info = section.require(cls_name)
    assert isinstance(info, dict)
    if not subclasses(info.get("mro"), "Model"):
        fail(f"`{cls_name}` must subclass tf.keras.Model: class {cls_name}(tf.keras.Model)")
    case = section.inputs["cases"][i]
    x = np.asarray(case["x"], dtype=np.float32)
    n = int(case["n"])
    probe = info["probes"][i]  # type: ignore[index]
    assert isinstance(probe, dict)
    if "construct" in probe:
        outcome(probe["construct"], what=f"{cls_name}({n})")
    return probe, x, n


def _dense_output(probe: dict[str, object], x: np.ndarray, n: int, cls_name: str) -> np.ndarray:
    """sigmoid(xW + b) from the model's own Dense layer; fails if it has none."""
    __tracebackhide__ = True
    layers = probe.get("layers") or []
    dense = [layer for layer in layers if any(t.endswith(".Dense") for t in type_names(layer))]
    if not dense:
        fail(
            f"`{cls_name}` has no Dense layer: in __init__, set self.dense_layer = "
            "Dense(n_output_nodes, activation='sigmoid')"
        )
    layer = dense[0]
    weights = {
        w["name"]: numeric(w["value"], what=f"weight {w['name']!r}") for w in layer["weights"]
    }
    if "kernel" not in weights:
        fail(
            f"`{cls_name}`'s Dense layer was never used on the input: call self.dense_layer(inputs) in call"
        )
    if layer.get("units") != n:
        fail(
            f"`{cls_name}({n})` made a Dense layer with {layer.get('units')} units, expected {n}: "
            "use n_output_nodes"
        )
    z = x.astype(np.float64) @ weights["kernel"] + weights.get("bias", 0)
    if layer.get("activation") != "sigmoid":
        fail(
            f"`{cls_name}`'s Dense layer uses activation {layer.get('activation')!r}, expected 'sigmoid'"
        )
    return sigmoid(z)


def _check_forward(section: SectionData, cls_name: str, i: int, *, key: str = "output") -> None:
    __tracebackhide__ = True
    probe, x, n = _probe(section, cls_name, i)
    what = f"{cls_name}({n}).call(x)" if key != "output" else f"{cls_name}({n})(x)"
    what += f" for x of shape {list(x.shape)}"
    found = numeric(outcome(probe[key], what=what), what=what)
    expected = _dense_output(probe, x, n, cls_name)
    if found.shape == x.shape and np.allclose(found, x):
        fail(
            f"{what} returned the input unchanged; by default (isidentity=False) it must return "
            "the Dense layer's output. Are the two branches swapped?"
        )
    if found.shape != expected.shape or not np.allclose(found, expected, rtol=1e-4, atol=1e-5):
        fail(
            f"{what} is not the Dense layer's output sigmoid(xW + b); "
            + describe_mismatch(found, expected, {})
        )


def _check_identity(section: SectionData, i: int) -> None:
    __tracebackhide__ = True
    probe, x, n = _probe(section, "IdentityModel", i)
    what = f"IdentityModel({n}).call(x, isidentity=True) for x of shape {list(x.shape)}"
    found = numeric(outcome(probe["call_identity"], what=what), what=what)
    if found.shape != x.shape or not np.allclose(found, x, rtol=0, atol=0):
        dense = _dense_output(probe, x, n, "IdentityModel")
        if found.shape == dense.shape and np.allclose(found, dense, rtol=1e-4, atol=1e-5):
            fail(
                f"{what} returned the Dense layer's output; with isidentity=True it must return "
                "`inputs` unchanged: `if isidentity: return inputs`"
            )
        fail(f"{what} did not return the input unchanged; " + describe_mismatch(found, x, {}))


@pytest.mark.check("1.3.3/subclass-model")
def test_subclass_model_forward(section_1_3_3: SectionData) -> None:
    _check_forward(section_1_3_3, "SubclassModel", HANDOUT)


@pytest.mark.check("1.3.3/subclass-unseen")
def test_subclass_model_unseen(section_1_3_3: SectionData) -> None:
    _check_forward(section_1_3_3, "SubclassModel", UNSEEN)


@pytest.mark.check("1.3.3/identity-default")
def test_identity_model_default_branch(section_1_3_3: SectionData) -> None:
    _check_forward(section_1_3_3, "IdentityModel", HANDOUT, key="call_default")


@pytest.mark.check("1.3.3/identity-branch")
def test_identity_model_identity_branch(section_1_3_3: SectionData) -> None:
    _check_identity(section_1_3_3, HANDOUT)


@pytest.mark.check("1.3.3/identity-unseen")
def test_identity_model_unseen(section_1_3_3: SectionData) -> None:
    _check_forward(section_1_3_3, "IdentityModel", UNSEEN, key="call_default")
    _check_identity(section_1_3_3, UNSEEN)

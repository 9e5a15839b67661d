"""Lab 1 Part 1: what to collect from the student's namespace after each section.

Runs inside the sandboxed student process (see grader/child.py). It only describes objects and
calls the student's functions and classes on the unseen inputs it is given; it decides nothing.
No TensorFlow op runs at import time, so a warm parent may import this module and fork.
"""

from __future__ import annotations

import builtins
import contextlib

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.framework import ops as _ops
from tensorflow.python.ops import resource_variable_ops as _rvo

from grader.sandboxed.probe import Plain, call, class_names, describe, error_info, type_names

# Taken before any student code runs: monkeypatching these later changes nothing here.
_type = builtins.type
_getattr = builtins.getattr
_callable = builtins.callable
_len = builtins.len
_tensor_numpy = _ops._EagerTensorBase.numpy
_tensor_base = _ops._EagerTensorBase
_variable_base = _rvo.BaseResourceVariable
_variable_numpy = _rvo.BaseResourceVariable.numpy
_keras_variable = keras.Variable
_keras_variable_numpy = keras.Variable.numpy
_constant = tf.constant
_Layer = tf.keras.layers.Layer


def _to_numpy(obj: object) -> np.ndarray:
    mro = _type(obj).__mro__
    if _tensor_base in mro:
        return _tensor_numpy(obj)  # type: ignore[no-any-return]
    if _variable_base in mro:
        return _variable_numpy(obj)  # type: ignore[no-any-return]
    if _keras_variable in mro:
        return _keras_variable_numpy(obj)  # type: ignore[no-any-return]
    raise TypeError("not a TensorFlow tensor or variable")


def value(obj: object) -> Plain:
    """Describe a student object; tensors and variables also get their dtype name."""
    desc = describe(obj, to_numpy=_to_numpy)
    mro = _type(obj).__mro__
    if isinstance(desc, dict) and (
        _tensor_base in mro or _variable_base in mro or _keras_variable in mro
    ):
        with contextlib.suppress(Exception):
            desc["dtype"] = str(obj.dtype.name)  # type: ignore[attr-defined]
    return desc


def _error(err: dict[str, Plain]) -> Plain:
    return {"__error__": err}


def _outcome(result: object, err: dict[str, Plain] | None) -> Plain:
    return _error(err) if err is not None else value(result)


def _arg(spec: dict[str, Plain]) -> object:
    """Build an argument the way the check asked for it: a Python float or a float32 tensor."""
    data = spec["value"]
    if spec["kind"] == "python":
        return float(data)  # type: ignore[arg-type]
    return _constant(np.asarray(data, dtype=np.float32))


def _names(ns: dict[str, object], *names: str) -> dict[str, Plain]:
    return {n: value(ns[n]) for n in names if n in ns}


def _weights(layer: object) -> list[Plain]:
    out: list[Plain] = []
    weights = _getattr(layer, "weights", None)
    if isinstance(weights, list):
        for w in weights[:20]:
            out.append({"name": str(_getattr(w, "name", "")), "value": value(w)})
    return out


def _layer_info(layer: object) -> dict[str, Plain]:
    activation = _getattr(layer, "activation", None)
    units = _getattr(layer, "units", None)
    use_bias = _getattr(layer, "use_bias", None)
    return {
        "types": type_names(layer),
        "units": units if _type(units) is int else None,
        "activation": str(_getattr(activation, "__name__", "")) if activation is not None else None,
        "use_bias": use_bias if _type(use_bias) is bool else None,
        "weights": _weights(layer),
    }


def _dense_layers(model: object) -> list[Plain]:
    layers = _getattr(model, "layers", None)
    if not isinstance(layers, list):
        return []
    return [_layer_info(layer) for layer in layers[:10]]


def harvest_1_1(ns: dict[str, object], inputs: Plain) -> Plain:
    return _names(ns, "sport", "number", "sports", "numbers", "images")


def harvest_1_2(ns: dict[str, object], inputs: Plain) -> Plain:
    out = _names(ns, "e_out")
    func = ns.get("func")
    if func is None:
        return out
    out["func"] = {"types": type_names(func), "callable": _callable(func)}
    if not _callable(func):
        return out
    calls: list[Plain] = []
    for case in inputs["cases"]:  # type: ignore[index, union-attr]
        result, err = call(func, _arg(case["a"]), _arg(case["b"]))
        calls.append(_outcome(result, err))
    out["calls"] = calls
    return out


def _probe_layer(cls: object, n: int, x: object) -> Plain:
    layer, err = call(cls, n)
    if err is not None:
        return {"construct": _error(err)}
    y, err = call(layer, x)
    return {
        "output": _outcome(y, err),
        "weights": _weights(layer),
        "W": value(_getattr(layer, "W", None)),
        "b": value(_getattr(layer, "b", None)),
    }


def harvest_1_3_1(ns: dict[str, object], inputs: Plain) -> Plain:
    out = _names(ns, "y", "x_input")
    layer = ns.get("layer")
    if layer is not None:
        out["layer"] = {
            "types": type_names(layer),
            "weights": _weights(layer),
            "W": value(_getattr(layer, "W", None)),
            "b": value(_getattr(layer, "b", None)),
        }
    cls = ns.get("OurDenseLayer")
    if cls is None:
        return out
    out["class"] = {"mro": class_names(cls)}  # type: ignore[dict-item]
    out["probes"] = [
        _probe_layer(cls, case["n"], _constant(np.asarray(case["x"], np.float32)))  # type: ignore[index]
        for case in inputs["cases"]  # type: ignore[index, union-attr]
    ]
    return out


def harvest_1_3_2(ns: dict[str, object], inputs: Plain) -> Plain:
    out = _names(ns, "model_output", "x_input")
    model = ns.get("model")
    if model is None:
        return out
    x = _constant(np.asarray(inputs["x"], np.float32))  # type: ignore[index]
    y, err = call(model, x)
    out["model"] = {
        "types": type_names(model),
        "layers": _dense_layers(model),
        "output": _outcome(y, err),
    }
    return out


def _probe_model(cls: object, n: int, x: object, *, identity: bool) -> Plain:
    model, err = call(cls, n)
    if err is not None:
        return {"construct": _error(err)}
    y, err = call(model, x)
    probe: dict[str, Plain] = {"output": _outcome(y, err)}
    if identity:
        default, err = call(_getattr(model, "call"), x)
        probe["call_default"] = _outcome(default, err)
        ident, err = call(_getattr(model, "call"), x, isidentity=True)
        probe["call_identity"] = _outcome(ident, err)
        ident_kw, err = call(model, x, isidentity=True)
        probe["identity_kw"] = _outcome(ident_kw, err)
    probe["layers"] = _dense_layers(model)
    return probe


def harvest_1_3_3(ns: dict[str, object], inputs: Plain) -> Plain:
    out = _names(ns, "out_activate", "out_identity", "x_input")
    for name, identity in (("SubclassModel", False), ("IdentityModel", True)):
        cls = ns.get(name)
        if cls is None:
            continue
        probes = [
            _probe_model(
                cls, case["n"], _constant(np.asarray(case["x"], np.float32)), identity=identity
            )  # type: ignore[index]
            for case in inputs["cases"]  # type: ignore[index, union-attr]
        ]
        out[name] = {"mro": class_names(cls), "probes": probes}  # type: ignore[dict-item]
    return out


def harvest_1_4(ns: dict[str, object], inputs: Plain) -> Plain:
    out = _names(ns, "dy_dx", "x", "x_f", "learning_rate")
    history = ns.get("history")
    if history is not None:
        out["history"] = _history(history)
    return out


def _history(history: object) -> Plain:
    """A list of per-step values as one float64 array, when every item is a genuine number."""
    if _type(history) is not list:
        return value(history)
    items = []
    for item in history[:100_000]:  # type: ignore[index]
        t = _type(item)
        if t in (float, int) or isinstance(item, np.generic):
            items.append(float(item))  # type: ignore[arg-type]
            continue
        try:
            arr = _to_numpy(item) if t is not np.ndarray else item
        except TypeError:
            return {
                "types": ["builtins.list"],
                "length": _len(history),
                "item_types": type_names(item),
            }  # type: ignore[arg-type]
        if _type(arr) is not np.ndarray or arr.size != 1 or arr.dtype.kind not in "iuf":
            return {
                "types": ["builtins.list"],
                "length": _len(history),
                "item_types": type_names(item),
            }  # type: ignore[arg-type]
        items.append(float(arr.reshape(-1)[0]))
    return describe(np.asarray(items, dtype=np.float64)) | {
        "types": ["builtins.list"],
        "length": _len(history),
    }  # type: ignore[operator, arg-type]


HARVESTERS = {
    "1.1": harvest_1_1,
    "1.2": harvest_1_2,
    "1.3.1": harvest_1_3_1,
    "1.3.2": harvest_1_3_2,
    "1.3.3": harvest_1_3_3,
    "1.4": harvest_1_4,
}

__all__ = ["HARVESTERS", "error_info"]

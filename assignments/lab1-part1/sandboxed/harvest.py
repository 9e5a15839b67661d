"""Lab 1 Part 1: what to collect from the student's namespace after each section.

Runs inside the sandboxed student process (see grader/sandboxed/child.py). It describes objects,
and calls the student's functions and classes on inputs the grader chose at grading time: before
each call it sets the weights and biases to values the grader chose too, so only code that
really computes sigmoid(xW + b) from its weights gives the answer the grader expects. It decides
nothing. What it knows about types it learns by comparing with TensorFlow's and Keras's own
classes, taken at import, before any student code runs; what it knows about method (a tape was
used, `e_out` is what `func` returned) comes from hooks installed here, at import.
No TensorFlow op runs at import time, so a warm parent may import this module and fork.
"""

from __future__ import annotations

import builtins
import contextlib
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.framework import ops as _ops
from tensorflow.python.ops import resource_variable_ops as _rvo

from grader.sandboxed import evidence
from grader.sandboxed.probe import call, class_names, describe, error_info, type_names
from grader.sandboxed.wire import Marker, Plain

# Taken before any student code runs: monkeypatching these later changes nothing here.
_type = builtins.type
_getattr = builtins.getattr
_callable = builtins.callable
_isinstance = builtins.isinstance
_issubclass = builtins.issubclass
_len = builtins.len
_id = builtins.id
_float = builtins.float
_FunctionType = types.FunctionType
_EagerTensor = _ops._EagerTensorBase
_tensor_numpy = _ops._EagerTensorBase.numpy
_TfVariable = _rvo.BaseResourceVariable
_tf_variable_numpy = _rvo.BaseResourceVariable.numpy
_tf_variable_assign = _rvo.BaseResourceVariable.assign
_KerasVariable = keras.Variable
_keras_variable_numpy = keras.Variable.numpy
_keras_variable_assign = keras.Variable.assign
_Layer = keras.layers.Layer
_Model = keras.Model
_Sequential = keras.Sequential
_Dense = keras.layers.Dense
_constant = tf.constant
_tape_gradient = tf.GradientTape.gradient

GRADIENT = "tape.gradient"


def _recorded_gradient(
    self: tf.GradientTape, target: Any, sources: Any, *args: Any, **kwargs: Any
) -> Any:
    result = _tape_gradient(self, target, sources, *args, **kwargs)
    evidence.record(GRADIENT, (sources, result))
    return result


# Evidence of method: every tape.gradient call, and what the student's own functions return in
# 1.2 (so `e_out = func(a, b)` can be told from `e_out = tf.constant(6.0)`).
tf.GradientTape.gradient = _recorded_gradient
evidence.trace_returns("1.2")


def _kind(obj: object) -> str | None:
    mro = _type(obj).__mro__
    if _EagerTensor in mro:
        return "tensor"
    if _TfVariable in mro or _KerasVariable in mro:
        return "variable"
    return None


def _to_numpy(obj: object) -> np.ndarray:
    mro = _type(obj).__mro__
    if _EagerTensor in mro:
        return _tensor_numpy(obj)  # type: ignore[no-any-return]
    if _TfVariable in mro:
        return _tf_variable_numpy(obj)  # type: ignore[no-any-return]
    if _KerasVariable in mro:
        return _keras_variable_numpy(obj)  # type: ignore[no-any-return]
    raise TypeError("not a TensorFlow tensor or variable")


def value(obj: object) -> Plain:
    """Describe a student object; tensors and variables also get their dtype name."""
    desc = describe(obj, classify=_kind, to_numpy=_to_numpy)
    if _isinstance(desc, dict) and _kind(obj) is not None:
        with contextlib.suppress(Exception):
            cast(dict[str, Plain], desc)["dtype"] = str(_getattr(_getattr(obj, "dtype"), "name"))
    return desc


def _call(fn: object, *args: object, **kwargs: object) -> tuple[object, dict[str, Plain] | None]:
    """Call a student object that may not even be callable; `call` reports what it raises."""
    return call(fn, *args, **kwargs)  # type: ignore[arg-type]  # any object: a TypeError is reported


def _outcome(result: object, err: dict[str, Plain] | None) -> Plain:
    return {Marker.ERROR: err} if err is not None else value(result)


def _array(data: object) -> np.ndarray:
    return np.asarray(data, dtype=np.float32)


def _arg(spec: Mapping[str, Any]) -> object:
    """An argument as the check asked for it: a Python float or a float32 tensor."""
    if spec["kind"] == "python":
        return _float(spec["value"])
    return _constant(_array(spec["value"]))


def _names(ns: dict[str, object], *names: str) -> dict[str, Plain]:
    return {n: value(ns[n]) for n in names if n in ns}


def _is_class(obj: object, base: type) -> bool:
    return _isinstance(obj, type) and _issubclass(obj, base)  # type: ignore[arg-type]


def _class_info(cls: object, base: type) -> dict[str, Plain]:
    return {"names": class_names(cls), "is_subclass": _is_class(cls, base)}


def _variables(layer: object) -> list[object]:
    """The layer's real TensorFlow/Keras variables: its `weights`, then `W`/`b` attributes."""
    found: list[object] = []
    weights = _getattr(layer, "weights", None)
    candidates = list(weights[:20]) if _type(weights) is list else []
    candidates += [_getattr(layer, name, None) for name in ("W", "b", "w", "kernel", "bias")]
    for v in candidates:
        if _kind(v) == "variable" and not any(v is f for f in found):
            found.append(v)
    return found


def _shape(v: object) -> tuple[int, ...]:
    return tuple(int(d) for d in _to_numpy(v).shape)


def _assign(v: object, data: np.ndarray) -> None:
    mro = _type(v).__mro__
    if _KerasVariable in mro:
        _keras_variable_assign(v, data)
    else:
        _tf_variable_assign(v, data)


def _set_dense(variables: list[object], W: np.ndarray, b: np.ndarray) -> dict[str, object]:
    """Give the weight of shape [d, n] (or [n, d]) the grader's W and the bias [1, n] / [n] its b.

    Returns the variable given each role ("W", "W.T", "b"); a layer without such shapes keeps
    its own values, and the check says what the shapes should be.
    """
    d, n = W.shape
    roles: dict[str, object] = {}
    for v in variables:
        shape = _shape(v)
        if "W" not in roles and "W.T" not in roles and shape == (d, n):
            roles["W"] = v
        elif "W" not in roles and "W.T" not in roles and shape == (n, d) and n != d:
            roles["W.T"] = v
        elif "b" not in roles and shape in ((1, n), (n,)):
            roles["b"] = v
    for role, v in roles.items():
        data = W if role == "W" else W.T if role == "W.T" else b.reshape(_shape(v))
        _assign(v, data.astype(np.float32))
    return roles


def _readback(roles: Mapping[str, object]) -> dict[str, Plain]:
    return {role: value(v) for role, v in roles.items()}


def _weights_info(variables: list[object]) -> list[Plain]:
    return [{"name": str(_getattr(v, "name", "")), "value": value(v)} for v in variables]


# -- 1.1 and 1.2 --------------------------------------------------------------------------------


def harvest_1_1(ns: dict[str, object], inputs: Mapping[str, Any]) -> Plain:
    return _names(ns, "sport", "number", "sports", "numbers", "images")


def harvest_1_2(ns: dict[str, object], inputs: Mapping[str, Any]) -> Plain:
    out = _names(ns, "e_out")
    func = ns.get("func")
    if func is None:
        return out
    is_function = _type(func) is _FunctionType
    out["func"] = {"types": type_names(func), "callable": _callable(func), "function": is_function}
    if "e_out" in ns and is_function:
        e_out = ns["e_out"]
        code = func.__code__  # type: ignore[attr-defined]  # a real function
        out["e_out_returned_by_func"] = any(v is e_out for v in evidence.returned("1.2", code))
    if _callable(func):
        out["calls"] = {
            case["name"]: _outcome(*_call(func, _arg(case["a"]), _arg(case["b"])))
            for case in inputs.get("cases", ())
        }
    return out


# -- 1.3.1 ---------------------------------------------------------------------------------------


def _probe_layer(cls: object, case: Mapping[str, Any]) -> Plain:
    x = _constant(_array(case["x"]))
    layer, err = _call(cls, int(case["n"]))
    if err is not None:
        return {"construct": {Marker.ERROR: err}}
    _, err = _call(layer, x)  # builds the layer: its weights exist from here on
    if err is not None:
        return {"build": {Marker.ERROR: err}, "weights": _weights_info(_variables(layer))}
    variables = _variables(layer)
    roles = _set_dense(variables, _array(case["W"]), _array(case["b"]))
    y, err = _call(layer, x)
    return {
        "weights": _weights_info(variables),
        "roles": list(roles),
        "output": _outcome(y, err),
        "readback": _readback(roles),
    }


def harvest_1_3_1(ns: dict[str, object], inputs: Mapping[str, Any]) -> Plain:
    out = _names(ns, "y", "x_input")
    layer = ns.get("layer")
    if layer is not None:
        out["layer"] = {
            "types": type_names(layer),
            "is_layer": _isinstance(layer, _Layer),
            "weights": _weights_info(_variables(layer)),
        }
    cls = ns.get("OurDenseLayer")
    if cls is None:
        return out
    out["class"] = _class_info(cls, _Layer)
    if _is_class(cls, _Layer):
        out["probes"] = {case["name"]: _probe_layer(cls, case) for case in inputs.get("cases", ())}
    return out


# -- 1.3.2 ---------------------------------------------------------------------------------------


def _dense_info(layer: object, *, weights: bool = True) -> dict[str, Plain]:
    activation = _getattr(layer, "activation", None)
    units = _getattr(layer, "units", None)
    info: dict[str, Plain] = {
        "types": type_names(layer),
        "is_dense": _isinstance(layer, _Dense),
        "units": units if _type(units) is int else None,
        "activation": str(_getattr(activation, "__name__", "")) if activation is not None else None,
    }
    if weights:
        info["weights"] = _weights_info(_variables(layer))
    return info


def _sublayers(model: object) -> list[object]:
    layers = _getattr(model, "layers", None)
    return list(layers[:10]) if _type(layers) is list else []


@contextlib.contextmanager
def _secret_weights(layer: object, W: np.ndarray, b: np.ndarray) -> Iterator[dict[str, object]]:
    """The grader's W and b in `layer` for the duration; its own values are put back after."""
    variables = _variables(layer)
    saved = [(v, _to_numpy(v).copy()) for v in variables]
    try:
        yield _set_dense(variables, W, b)
    finally:
        for v, data in saved:
            with contextlib.suppress(Exception):
                _assign(v, data)


def harvest_1_3_2(ns: dict[str, object], inputs: Mapping[str, Any]) -> Plain:
    out = _names(ns, "model_output", "x_input")
    model = ns.get("model")
    if model is None:
        return out
    info: dict[str, Plain] = {
        "types": type_names(model),
        "is_sequential": _isinstance(model, _Sequential),
        "layers": [_dense_info(layer) for layer in _sublayers(model)],
    }
    out["model"] = info
    dense = [layer for layer in _sublayers(model) if _isinstance(layer, _Dense)]
    if "x" in inputs and _len(dense) == 1 and info["is_sequential"]:
        x = _constant(_array(inputs["x"]))
        _, err = _call(model, x)  # builds a model that was never called
        if err is None:
            with _secret_weights(dense[0], _array(inputs["W"]), _array(inputs["b"])) as roles:
                info["probe"] = {"roles": list(roles), "output": _outcome(*_call(model, x))}
        else:
            info["probe"] = {"build": {Marker.ERROR: err}}
    return out


# -- 1.3.3 ---------------------------------------------------------------------------------------


def _prebuild_dense(model: object, *, width: int) -> bool:
    """Build the model's unbuilt Dense layers for inputs `width` wide, as its first call would.

    Keras builds a subclassed model that has no `build` by first tracing its `call` on symbolic
    inputs, which is most of a probe's cost; with its Dense layers built, one eager call is all
    it takes. False when nothing was built (the first call then builds the model as usual), as
    for a model with its own `build`, which Keras calls instead of tracing.
    """
    if _getattr(_getattr(model, "build", None), "_is_default", False) is not True:
        return False
    built = False
    for layer in _sublayers(model):
        if _isinstance(layer, _Dense) and _getattr(layer, "built", True) is False:
            _, err = _call(_getattr(layer, "build"), (None, width))
            if err is not None:
                return False
            built = True
    return built


def _probe_model(cls: object, case: Mapping[str, Any], *, identity: bool) -> Plain:
    """Build `cls(n)` on x, give its one Dense layer the grader's W and b, and call it.

    Only what the checks read: a SubclassModel's output, an IdentityModel's `call(x)` and
    `call(x, isidentity=True)`. The model is the grader's own, so its weights need no restoring.
    """
    x = _constant(_array(case["x"]))
    model, err = _call(cls, int(case["n"]))
    if err is not None:
        return {"construct": {Marker.ERROR: err}}
    prebuilt = _prebuild_dense(model, width=int(x.shape[-1]))
    _, err = _call(model, x)
    if err is not None and prebuilt:  # its Dense layer does not take x as it is: build as usual
        model, err = _call(cls, int(case["n"]))
        if err is not None:
            return {"construct": {Marker.ERROR: err}}
        _, err = _call(model, x)
    if err is not None:
        return {"build": {Marker.ERROR: err}}
    layers = _sublayers(model)
    dense = [layer for layer in layers if _isinstance(layer, _Dense)]
    probe: dict[str, Plain] = {"layers": [_dense_info(layer, weights=False) for layer in layers]}
    if _len(dense) != 1:
        return probe
    _set_dense(_variables(dense[0]), _array(case["W"]), _array(case["b"]))
    if identity:
        method = _getattr(model, "call")
        probe["call_default"] = _outcome(*_call(method, x))
        probe["call_identity"] = _outcome(*_call(method, x, isidentity=True))
    else:
        probe["output"] = _outcome(*_call(model, x))
    return probe


def harvest_1_3_3(ns: dict[str, object], inputs: Mapping[str, Any]) -> Plain:
    out = _names(ns, "out_activate", "out_identity", "x_input")
    model = ns.get("model")
    if model is not None:
        out["model"] = {
            "types": type_names(model),
            "layers": [_dense_info(layer) for layer in _sublayers(model)],
        }
    for name, identity in (("SubclassModel", False), ("IdentityModel", True)):
        cls = ns.get(name)
        if cls is None:
            continue
        info = _class_info(cls, _Model)
        if _is_class(cls, _Model):
            info["probes"] = {
                case["name"]: _probe_model(cls, case, identity=identity)
                for case in inputs.get("cases", ())
            }
        out[name] = info
    return out


# -- 1.4 -----------------------------------------------------------------------------------------


def _flatten(obj: object) -> Iterator[object]:
    if _type(obj) in (list, tuple):
        for item in obj:  # type: ignore[attr-defined]
            yield from _flatten(item)
    elif _type(obj) is dict:
        for item in obj.values():
            yield from _flatten(item)
    else:
        yield obj


def harvest_1_4(ns: dict[str, object], inputs: Mapping[str, Any]) -> Plain:
    out = _names(ns, "dy_dx", "x")
    records = evidence.records("1.4", GRADIENT)
    calls = [r for r in records if _type(r) is tuple and _len(r) == 2]
    tape: dict[str, Plain] = {"calls": _len(calls)}
    if "dy_dx" in ns:
        dy_dx = ns["dy_dx"]
        results = (r for call_ in calls for r in _flatten(call_[1]))
        tape["dy_dx_from_tape"] = dy_dx is not None and any(r is dy_dx for r in results)
    if "x" in ns:
        x = ns["x"]
        tape["calls_on_x"] = sum(1 for call_ in calls if any(s is x for s in _flatten(call_[0])))
    out["tape"] = tape
    if "history" in ns:
        out["history"] = _history(ns["history"])
    return out


def _history(history: object) -> Plain:
    """The trajectory as one float64 array when every entry is a number, and how it was kept."""
    if _type(history) is not list:
        return value(history)
    items: list[object] = history[:100_000]
    info: dict[str, Plain] = {
        "types": ["builtins.list"],
        "kind": "list",
        "length": _len(history),
        "distinct_objects": _len({_id(item) for item in items}),
    }
    values = []
    for item in items:
        t = _type(item)
        if t in (float, int) or _isinstance(item, np.generic):
            values.append(_float(item))  # type: ignore[arg-type]
            continue
        try:
            arr = _to_numpy(item) if t is not np.ndarray else item
        except TypeError:
            info["item_types"] = type_names(item)
            return info
        if _type(arr) is not np.ndarray or arr.size != 1 or arr.dtype.kind not in "iuf":
            info["item_types"] = type_names(item)
            return info
        values.append(_float(arr.reshape(-1)[0]))
    info["item_kinds"] = sorted({_kind(item) or type_names(item)[0] for item in items[:1000]})
    info["value"] = describe(np.asarray(values, dtype=np.float64))["value"]  # type: ignore[index, call-overload]
    return info


HARVESTERS: dict[str, Callable[[dict[str, object], Mapping[str, Any]], Plain]] = {
    "1.1": harvest_1_1,
    "1.2": harvest_1_2,
    "1.3.1": harvest_1_3_1,
    "1.3.2": harvest_1_3_2,
    "1.3.3": harvest_1_3_3,
    "1.4": harvest_1_4,
}

__all__ = ["HARVESTERS", "error_info"]

"""Lab 1 Part 1: the inputs, weights and biases the visible checks try, chosen in the grader.

The grader seeds `rng` with a key of its own and the submission's hash, at grading time: a file
always meets the same values on one grading machine, but nobody can know them when writing it.
Weights and biases here are set in the student's layers right before the grader calls them, so a
layer only gives the expected output if it really computes sigmoid(xW + b) from its weights.
Values are rounded to float32 here, so the student process and the checks use the same numbers.
The hidden checks' inputs come from `make_hidden_inputs` (other numbers, widths, batches and
sizes), which the student release leaves out, with the hidden checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

HANDOUT_X = [[1.0, 2.0]]  # the handout's x_input


def f32(a: np.ndarray) -> list[Any]:
    """An array as a JSON-able list of float32 values."""
    return a.astype(np.float32).tolist()  # type: ignore[no-any-return]  # numpy's tolist is untyped


def dense_case(rng: np.random.Generator, name: str, *, n: int, x: list[Any]) -> dict[str, object]:
    """A layer of `n` outputs tried on `x`, with weights W [d, n] and bias b [1, n] set first."""
    d = len(x[0])
    return {
        "name": name,
        "n": n,
        "x": x,
        "W": f32(rng.normal(scale=0.8, size=(d, n))),
        "b": f32(rng.normal(scale=0.5, size=(1, n))),
    }


def make_inputs(rng: np.random.Generator) -> Mapping[str, object]:
    a, b = rng.uniform(-5, 5, size=2).astype(np.float32)
    return {
        "1.2": {
            "cases": [
                {
                    "name": "handout",
                    "a": {"kind": "python", "value": 1.5},
                    "b": {"kind": "python", "value": 2.5},
                },
                # One more pair besides the handout's, so that `return tf.constant(6.0)` fails.
                {
                    "name": "pair",
                    "a": {"kind": "python", "value": float(a)},
                    "b": {"kind": "python", "value": float(b)},
                },
            ]
        },
        "1.3.1": {"cases": [dense_case(rng, "handout", n=3, x=HANDOUT_X)]},
        "1.3.3": {"cases": [dense_case(rng, "handout", n=3, x=HANDOUT_X)]},
    }


def make_hidden_inputs(rng: np.random.Generator) -> Mapping[str, object]:
    scalars = [rng.uniform(-5, 5, size=2).astype(np.float32) for _ in range(2)]
    tensors = [
        (rng.uniform(-3, 3, size=shape), rng.uniform(-3, 3, size=shape)) for shape in ((3,), (2, 4))
    ]
    return {
        "1.2": {
            "cases": [
                *(
                    {
                        "name": f"scalars-{i}",
                        "a": {"kind": "python", "value": float(a)},
                        "b": {"kind": "python", "value": float(b)},
                    }
                    for i, (a, b) in enumerate(scalars)
                ),
                *(
                    {
                        "name": f"tensors-{i}",
                        "a": {"kind": "tensor", "value": f32(a)},
                        "b": {"kind": "tensor", "value": f32(b)},
                    }
                    for i, (a, b) in enumerate(tensors)
                ),
            ]
        },
        "1.3.1": {
            "cases": [
                dense_case(rng, "wide", n=4, x=f32(rng.normal(size=(3, 5)))),
                dense_case(rng, "narrow", n=2, x=f32(rng.normal(size=(4, 7)))),
            ]
        },
        "1.3.2": {
            "x": f32(rng.normal(size=(4, 2))),
            "W": f32(rng.normal(scale=0.8, size=(2, 3))),
            "b": f32(rng.normal(scale=0.5, size=(3,))),
        },
        "1.3.3": {"cases": [dense_case(rng, "unseen", n=5, x=f32(rng.normal(size=(4, 6))))]},
    }

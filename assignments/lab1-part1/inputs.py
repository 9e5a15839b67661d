"""Lab 1 Part 1: the unseen inputs each check uses, chosen at grading time in the trusted parent.

The generator is seeded from the submission's own hash, so a file always meets the same inputs
(results are repeatable) but nobody can know them before writing the file. Values are rounded to
float32 here, so the child and the checks work on exactly the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

HANDOUT_X = [[1.0, 2.0]]  # the handout's x_input


def _f32(a: np.ndarray) -> list[object]:
    return a.astype(np.float32).tolist()  # type: ignore[no-any-return]


def make_inputs(rng: np.random.Generator) -> Mapping[str, object]:
    scalars = [rng.uniform(-5, 5, size=2).astype(np.float32) for _ in range(3)]
    tensors = [
        (rng.uniform(-3, 3, size=shape), rng.uniform(-3, 3, size=shape)) for shape in ((3,), (2, 4))
    ]
    return {
        "1.2": {
            "cases": [
                {"a": {"kind": "python", "value": 1.5}, "b": {"kind": "python", "value": 2.5}},
                *(
                    {
                        "a": {"kind": "python", "value": float(a)},
                        "b": {"kind": "python", "value": float(b)},
                    }
                    for a, b in scalars
                ),
                *(
                    {
                        "a": {"kind": "tensor", "value": _f32(a)},
                        "b": {"kind": "tensor", "value": _f32(b)},
                    }
                    for a, b in tensors
                ),
            ]
        },
        "1.3.1": {
            "cases": [
                {"n": 3, "x": HANDOUT_X},
                {"n": 4, "x": _f32(rng.normal(size=(3, 5)))},
                {"n": 2, "x": _f32(rng.normal(size=(4, 7)))},
            ]
        },
        "1.3.2": {"x": _f32(rng.normal(size=(4, 2)))},
        "1.3.3": {
            "cases": [
                {"n": 3, "x": HANDOUT_X},
                {"n": 5, "x": _f32(rng.normal(size=(4, 6)))},
            ]
        },
        "1.4": {},
    }

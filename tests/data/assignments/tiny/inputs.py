"""Tiny lab: unseen inputs (trusted side)."""


def make_inputs(rng):
    return {"1.1": {"xs": [3.0, float(rng.integers(4, 100))]}}

"""Warm sandboxes are correct, not just fast: same results as a cold start, nothing carried over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.exports.student_report import render_student_view
from grader.scorecards import scorecard_from_document
from tests.support import ROOT, run_grade

pytestmark = [pytest.mark.slow, pytest.mark.tensorflow]

POLLUTER = """# 1.1 Why is TensorFlow called TensorFlow?
import builtins, os, sys
import numpy as np
import tensorflow as tf
tf.constant = lambda *a, **k: 42
tf.sigmoid = lambda z: z
np.allclose = lambda *a, **k: True
builtins.print = lambda *a, **k: None
sys.modules["tensorflow"].keras = None
for place in ("/tmp/planted.py", os.path.expanduser("~/planted.py"), "planted.py"):
    try:
        with open(place, "w") as f:
            f.write("ANSWER = 42")
    except OSError:
        pass
os.environ["PLANTED"] = "1"
"""

SNOOPER = """# 1.1 Why is TensorFlow called TensorFlow?
import os
import tensorflow as tf
leaks = [p for p in ("/tmp/planted.py", os.path.expanduser("~/planted.py"), "planted.py") if os.path.exists(p)]
leaks += ["env"] if os.environ.get("PLANTED") else []
sport = tf.constant("Tennis") if not leaks else None
number = tf.constant(1.5, tf.float64)
sports = tf.constant(["a", "b"])
numbers = tf.constant([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])
images = tf.zeros([10, 256, 256, 3])
print("LEAKS", leaks)
"""


def test_warm_sandbox_carries_nothing_between_students(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a_polluter.py").write_text(POLLUTER)
    (inputs / "b_reference.ipynb").write_bytes(
        (ROOT / "reference/lab1-part1/solution.ipynb").read_bytes()
    )
    (inputs / "c_snooper.py").write_text(SNOOPER)
    out = tmp_path / "out"
    result = run_grade("batch", inputs, "--out", out, "--quiet", "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "b_reference.json").read_text())["score"] == 100
    snooper = json.loads((out / "c_snooper.json").read_text())
    assert "LEAKS []" in snooper["output_tail"]
    assert snooper["sections"][0]["status"] == "passed"


def test_warm_batch_equals_cold_check(tmp_path: Path) -> None:
    reference = ROOT / "examples/submissions/buggy_transposed_w.ipynb"
    cold = run_grade("check", reference, "--json")
    assert cold.returncode == 1, cold.stderr  # a visible check fails: the exit code says so
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / reference.name).write_bytes(reference.read_bytes())
    assert run_grade("batch", inputs, "--out", tmp_path / "out", "--quiet").returncode == 0
    warm = json.loads((tmp_path / "out" / "buggy_transposed_w.json").read_text())
    # `check --json` prints the student view of the scorecard: compare it with the batch's.
    warm_view = render_student_view(scorecard_from_document(warm))
    # Printed outputs differ run to run: Keras initialises weights randomly, seeds or not.
    ignore = ("graded_at", "duration_s", "output_tail")
    assert {k: v for k, v in json.loads(cold.stdout).items() if k not in ignore} == {
        k: v for k, v in warm_view.items() if k not in ignore
    }

"""Warm sandboxes are correct, not just fast: same results as a cold start, nothing carried over."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from grader.exports.student_report import render_student_view
from grader.scorecards import scorecard_from_document
from tests.support import DATA, ROOT, TINY_DIR, run_grade

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


SLOW = """# 1.1 Squares
import time
time.sleep(1.5)
def square(x):
    return x * x

# 1.2 Greeting
time.sleep(1.5)
greeting = "Hello, world"
"""
# Leaves a process behind: the cleanup after it kills every process of its job user.
LEAVES_A_CHILD = """# 1.1 Squares
import os, time
if os.fork() == 0:
    time.sleep(30)
    os._exit(0)
def square(x):
    return x * x

# 1.2 Greeting
greeting = "Hello, world"
"""


def _comparable(folder: Path) -> dict[str, object]:
    ignore = ("graded_at", "duration_s")
    return {
        p.name: {k: v for k, v in json.loads(p.read_text()).items() if k not in ignore}
        for p in sorted(folder.glob("*.json"))
    }


@pytest.mark.skipif(os.geteuid() != 0, reason="job users need root")
def test_concurrent_batches_and_check_each_hold_their_own_job_user(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    for n in range(3):
        (subs / f"slow_{n}.py").write_text(SLOW)
    (subs / "a_leaves_a_child.py").write_text(LEAVES_A_CHILD)
    (subs / "b_passes.py").write_bytes((DATA / "tiny" / "passes.py").read_bytes())
    # Exactly as many job users as sandboxes (2 + 2 + 1): none may share one.
    first = 62000 + 10 * random.randrange(300)
    env = {**os.environ, "GRADER_JOB_UIDS": f"{first}-{first + 4}"}
    tiny = ("--assignments-dir", str(TINY_DIR), "--assignment", "tiny")

    def commands(tag: str) -> list[list[str]]:
        grade = [sys.executable, str(ROOT / "grade.py")]
        batch = [*grade, "batch", str(subs), "--quiet", "--workers", "2", *tiny]
        return [
            [*batch, "--out", str(tmp_path / f"{tag}-a")],
            [*batch, "--out", str(tmp_path / f"{tag}-b")],
            [*grade, "check", str(subs / "slow_0.py"), "--json", *tiny],
        ]

    def run(cmds: list[list[str]], *, together: bool) -> list[str]:
        if not together:
            return [
                subprocess.run(c, env=env, capture_output=True, text=True, check=True).stdout
                for c in cmds
            ]
        procs = [
            subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for c in cmds
        ]
        outs = [p.communicate(timeout=600)[0] for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0]
        return outs

    alone = run(commands("alone"), together=False)
    together = run(commands("together"), together=True)
    expected = _comparable(tmp_path / "alone-a")
    card = expected["a_leaves_a_child.json"]
    assert isinstance(card, dict)
    assert {s["status"] for s in card["sections"]} == {"passed"}
    assert _comparable(tmp_path / "together-a") == expected
    assert _comparable(tmp_path / "together-b") == expected
    strip = ("graded_at", "duration_s")
    cards = [
        {k: v for k, v in json.loads(o).items() if k not in strip} for o in (alone[2], together[2])
    ]
    assert cards[0] == cards[1]
    assert {s["status"] for s in cards[0]["sections"]} == {"passed"}

"""Tests of the benchmark's cheap parts: bench/bench.py's copies, sample, magics and memory walk;
bench/profile_run.py's section split and probe timing. None of them runs TensorFlow or a benchmark.

The benchmark itself takes minutes (`python bench/bench.py --quick` is the fast real run).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support import ROOT

BENCH = ROOT / "bench"


def _load(name: str, path: Path) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.append(str(BENCH))  # the scripts import each other from bench/, as when run
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = _load("bench_script", BENCH / "bench.py")
profile_run = _load("profile_run_script", BENCH / "profile_run.py")


def _line(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.lstrip().startswith(start))


def test_bench_copies_cycle_through_the_samples_without_templates(tmp_path: Path) -> None:
    originals = bench.sample_notebooks()
    assert originals
    assert not [p for p in originals if p.name.startswith("untouched_template")]
    copies = bench.build_copies(originals, len(originals) + 2, tmp_path)
    assert [c.path.name for c in copies[:2]] == [
        f"copy_000_{originals[0].name}",
        f"copy_001_{originals[1].name}",
    ]
    assert copies[-1].origin == originals[1]
    assert copies[-1].path.read_bytes() == originals[1].read_bytes()
    assert len({c.student for c in copies}) == len(copies)


def test_bench_sample_is_spread_and_distinct() -> None:
    assert bench.spread(40, 8) == [0, 5, 10, 15, 20, 25, 30, 35]
    assert bench.spread(3, 8) == [0, 1, 2]


def test_bench_comments_out_colab_magics_and_shell_escapes() -> None:
    notebook = ROOT / "tests" / "data" / "submissions" / "passes_all_colab_habits.ipynb"
    code = "\n".join(bench.code_cells(notebook, strip_magics=True))
    assert "# %tensorflow_version 2.x" in code
    assert "# !pip install mitdeeplearning --quiet" in code
    assert "import tensorflow as tf" in code
    compile(code, "<notebook>", "exec")  # what (c) executes is plain Python


@pytest.mark.parametrize("children_files", [True, False], ids=["children-files", "ppid-scan"])
def test_bench_memory_sampler_counts_every_descendant(children_files: bool) -> None:
    if children_files and not bench._has_children_files():
        pytest.skip("this kernel has no /proc/PID/task/TID/children")
    grandchild = "import time; x = b'1' * 60_000_000; time.sleep(1.5)"
    child = (
        "import subprocess, sys; "
        f"ps = [subprocess.Popen([sys.executable, '-c', {grandchild!r}]) for _ in range(2)]; "
        "[p.wait() for p in ps]"
    )
    proc = subprocess.Popen([sys.executable, "-c", child])
    sampler = bench.TreeSampler(proc.pid, "test", interval=0.05)
    sampler.children_files = children_files
    with sampler:
        proc.wait(timeout=30)
        time.sleep(0.1)
    result = sampler.result
    assert result.max_processes == 3
    assert result.pids_seen == 3
    assert result.peak_bytes > 2 * 60_000_000  # both grandchildren's private pages, counted once
    assert result.samples >= 5


def test_bench_tells_a_shared_address_space_from_a_separate_one() -> None:
    if not bench.shares_memory(os.getpid(), os.getpid()):
        pytest.skip("kcmp(2) is not available here")
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(2)"])
    try:
        assert not bench.shares_memory(proc.pid, os.getpid())
    finally:
        proc.kill()
        proc.wait()


# -- profile_run ---------------------------------------------------------------------------------


def test_profile_run_splits_the_reference_notebook_as_the_grader_does_without_tensorflow() -> None:
    code = f"""
import sys
sys.path.insert(0, {str(BENCH)!r})
import profile_run
from grader.assignment import find_assignment
assignment = find_assignment(str(profile_run.ASSIGNMENT))
split = profile_run.load_split(profile_run.REFERENCE, assignment)
inputs = profile_run.make_inputs(assignment)
print([s.id for s in split.sections])
print([s.section for s in split.plan if s.kind == "harvest"])
print(all(s.chunks for s in split.sections), sorted(inputs))
print("tensorflow" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    ids = ["1.1", "1.2", "1.3.1", "1.3.2", "1.3.3", "1.4"]
    assert done.stdout.splitlines() == [
        str(ids),
        str(ids),
        "True ['1.2', '1.3.1', '1.3.2', '1.3.3']",
        "False",
    ]


def test_profile_run_times_probes_by_self_time_and_skips_what_is_missing() -> None:
    module = types.ModuleType("fake_harvest")

    def _call(seconds: float) -> float:
        time.sleep(seconds)
        return seconds

    def _probe_layer(n: int) -> float:
        return float(sum(module._call(0.01) for _ in range(n)))

    @contextlib.contextmanager
    def _secret_weights() -> Iterator[None]:
        yield

    def _probe_generator() -> Iterator[int]:
        yield 1

    for fn in (_call, _probe_layer, _secret_weights, _probe_generator):
        setattr(module, fn.__name__, fn)
    module.HARVESTERS = {}  # type: ignore[attr-defined]
    names = profile_run.probe_names(module, ["_secret_weights", "_nowhere"], every=False)
    assert names == ["_probe_layer", "_call"]  # no context manager, generator or missing name
    timer = profile_run.ProbeTimer()
    assert profile_run.instrument(module, [*names, "_model"], timer) == names
    module._probe_layer(3)
    stats = timer.take()
    assert stats["_call"].calls == 3
    assert stats["_probe_layer"].calls == 1
    assert stats["_call"].self_s >= 0.03
    assert stats["_probe_layer"].inclusive_s >= stats["_call"].inclusive_s
    assert stats["_probe_layer"].self_s < 0.01  # the sleeps are _call's
    assert timer.take() == {}


def test_profile_run_summary_takes_medians_and_renders_a_row_per_section() -> None:
    def run(code: float, harvest: float) -> dict[str, Any]:
        return {
            "(preamble)": profile_run.SectionTime("(preamble)", code_s=0.001, chunks=1),
            "1.3.1": profile_run.SectionTime(
                "1.3.1",
                code_s=code,
                harvest_s=harvest,
                chunks=2,
                probes={"_call": profile_run.Stat(4, harvest, harvest / 2)},
            ),
        }

    rows = profile_run.summarise(run(0.5, 0.5), [run(0.1, 0.2), run(0.3, 0.4), run(0.2, 0.9)])
    row = rows[1]
    assert (row["code_s"], row["harvest_s"], row["first_code_s"]) == (0.2, 0.4, 0.5)
    assert row["probes"]["_call"] == {"calls": 4, "self_s": 0.2, "inclusive_s": 0.4}
    meta = {"notebook": "nb", "assignment": "lab", "tensorflow": "2", "import_s": 3.0,
            "runs": 3, "wrapped": ["_call"], "missing": ["_probe_model"]}  # fmt: skip
    text = profile_run.render(rows, meta)
    assert "not in the harvest module: _probe_model" in text
    assert _line(text, "1.3.1").split()[:3] == ["1.3.1", "0.200", "0.400"]
    assert "_call 0.200 (4), rest 0.200" in _line(text, "1.3.1")
    assert _line(text, "total").split()[1:3] == ["0.201", "0.400"]

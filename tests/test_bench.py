"""Smoke tests of bench/bench.py's cheap parts: the copies, the sample, magics, the memory walk.

The benchmark itself takes minutes (`python bench/bench.py --quick` is the fast real run).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from tests.support import ROOT


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_script", ROOT / "bench" / "bench.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


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

"""Tests of the benchmark's cheap parts: bench/bench.py's copies, sample, magics and memory walk;
bench/bench_report.py's report and README blocks (from a small JSON fixture); bench/profile_run.py's
section split and probe timing. None of them runs TensorFlow or a benchmark.

The benchmark itself takes minutes (`python bench/bench.py --quick` is the fast real run).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
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
report = _load("bench_report_script", BENCH / "bench_report.py")
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


# -- the report, from a small JSON fixture --------------------------------------------------------


def _timing(method: str, label: str, count: int, seconds: float, **extra: Any) -> dict[str, Any]:
    return {
        "method": method,
        "label": label,
        "count": count,
        "seconds": seconds,
        "rate": count / seconds,
        "per_submission": seconds / count,
        "note": "",
        "per_item": [seconds / count] * count,
        "extra": extra,
    }


def _ratio(id_: str, value: float, op: str | None, target: float, headline: bool) -> dict[str, Any]:
    return {
        "id": id_,
        "label": f"ratio {id_}",
        "measure": f"the measure of {id_}",
        "value": value,
        "numerator": value,
        "denominator": 1.0,
        "unit": "s per submission",
        "target": {"op": op, "value": target} if op else None,
        "met": None,  # the renderer decides from the numbers, not from this
        "headline": headline,
        "note": "",
    }


def _memory(id_: str, peak_mib: int, op: str, target_mib: int) -> dict[str, Any]:
    return {
        "id": id_,
        "label": f"memory {id_}",
        "measure": f"peak memory of {id_}",
        "peak_bytes": peak_mib * 2**20,
        "target_op": op,
        "target_bytes": target_mib * 2**20,
        "run_peaks_bytes": [peak_mib * 2**20],
        "met": None,
    }


def _results() -> dict[str, Any]:
    """A run's JSON, cut down: what bench_report needs of it."""
    return {
        "schema": report.SCHEMA,
        "meta": {
            "command": "python bench/bench.py --copies 40",
            "date": "2026-12-01 10:00 +0000",
            "copies": 40,
            "originals": 20,
            "sample": ["copy_000", "copy_005"],
            "cores": 2,
            "workers": 2,
            "sandbox": "bwrap",
            "python": "3.11.7",
            "tensorflow": "2.21.0",
            "nbclient": "0.11.0",
            "ipykernel": "7.4.0",
            "load_average_before": [0.1, 0.2, 0.3],
        },
        "timings": [
            _timing("a", "(a) grade.py batch, 2 workers", 40, 20.0, workers=2),
            _timing("a", "(a) grade.py batch, 1 worker", 40, 36.0, workers=1),
            _timing("b", "(b) nbclient, fresh kernel each", 8, 48.0, cells_with_errors=[0, 1]),
            _timing(
                "d",
                "(d) warm process, reference code",
                10,
                4.0,
                processes=1,
                import_s=[3.0, 3.1],
                warmup_s=[0.7, 0.8],
            ),
        ],
        "ratios": [
            _ratio("a1_cost_vs_d1", 1.25, "<=", 1.3, True),
            _ratio("aw_cost_vs_dw", 1.42, "<=", 1.3, True),
            _ratio("aw_vs_b_throughput", 16.0, ">=", 15.0, True),
            _ratio("aw_vs_c_throughput", 9.0, None, 0.0, False),
        ],
        "memory": [_memory("check", 590, "<=", 600), _memory("batch2", 2100, "<", 2048)],
        "verdicts": {
            "scorecards": {"workers=2": 40, "workers=1": 40},
            "missing": {"workers=2": 0, "workers=1": 0},
            "runs_differing": [],
            "copies_inconsistent": [],
            "ta_sections_agree": 240,
            "ta_sections_total": 240,
            "ta_disagreements": [],
            "score_counts": {"100": 40},
            "grader_failures": 0,
            "section_ids": ["1.1", "1.2"],
            "notebooks": [
                {
                    "notebook": "examples/reference_solution.ipynb",
                    "copies": 40,
                    "score": 100,
                    "statuses": {"1.1": "passed", "1.2": "failed"},
                    "ta_agree": 2,
                    "ta_total": 2,
                }
            ],
        },
    }


def test_report_renders_ratios_memory_and_verdicts_with_their_verdicts() -> None:
    text = report.render_report(_results())
    assert "Grading throughput: 40 copies of 20 sample notebooks, 2 cores" in text
    assert _line(text, "(a) grade.py batch, 2 workers").split()[5:7] == ["40", "20.0"]
    assert "target <= 1.3x: met" in _line(text, "ratio a1_cost_vs_d1")
    assert "target <= 1.3x: NOT met" in _line(text, "ratio aw_cost_vs_dw")
    assert "target >= 15x: met" in _line(text, "ratio aw_vs_b_throughput")
    assert "target" not in _line(text, "ratio aw_vs_c_throughput")
    headline, others = text.split("Other ratios")
    assert "aw_vs_b_throughput" in headline
    assert "aw_vs_c_throughput" in others
    assert "target <= 600 MiB (629 MB): met" in text
    assert "target < 2 GiB (2,147 MB): NOT met" in text
    assert "imported TensorFlow in 3.0, 3.1 s" in text
    assert "cells raising, per sampled notebook: (b) [0, 1]" in text
    assert "examples/reference_solution.ipynb (40)" in _line(text, "examples/reference_solution")
    assert _line(text, "examples/reference_solution").split()[-3:] == ["P", "F", "2/2"]
    assert "240/240: agree" in text


def test_met_words_follow_the_numbers_not_the_json_flags() -> None:
    results = _results()
    rows = {row["id"]: row for row in report.targets(results)}
    assert [rows[i]["met"] for i in rows] == [True, False, True, True, False]
    results["ratios"][0].update(value=1.31, numerator=1.31)  # over "at most 1.3x": not met
    results["ratios"][0]["met"] = True  # a stale flag changes nothing
    results["memory"][0]["peak_bytes"] = 600 * 2**20  # exactly on "at most": met
    results["memory"][1]["peak_bytes"] = 2048 * 2**20  # exactly on "under": not met
    rows = {row["id"]: row for row in report.targets(results)}
    assert not rows["a1_cost_vs_d1"]["met"]
    assert rows["memory_check"]["met"]
    assert not rows["memory_batch2"]["met"]
    bullets = "\n".join(report.reading(results))
    assert (
        "- **The measure of a1_cost_vs_d1: not met**, 1.31x (1.31 vs 1.00 s per submission); target at most 1.3x."
        in bullets
    )
    assert "**Peak memory of check: met**, 600 MiB" in bullets
    assert (
        "**Peak memory of batch2: not met**, 2,048 MiB (2,147 MB); target under 2 GiB." in bullets
    )
    assert "**Verdicts: agree**" in bullets
    table = report.speed_block(results)
    assert (
        "| the measure of a1_cost_vs_d1 | 1.31x (1.31 vs 1.00 s per submission) | at most 1.3x | not met |"
        in table
    )
    assert (
        "| the measure of aw_vs_b_throughput | 16.00x (16.00 vs 1.00 s per submission) | at least 15x | met |"
        in table
    )
    assert "aw_vs_c_throughput" not in table  # no target: not a row


def test_reading_says_when_the_run_is_not_the_targets_conditions() -> None:
    results = _results()
    assert "Not the conditions" not in "\n".join(report.reading(results))
    results["meta"].update(copies=6, load_average_before=[1.5, 1.0, 0.5])
    results["verdicts"]["ta_sections_agree"] = 239
    bullets = "\n".join(report.reading(results))
    assert "**Verdicts: do not agree**" in bullets
    assert "6 copies, not 40, a load average of 1.50 before the run" in bullets
    assert "6 copies, not 40" in report.speed_block(results)
    assert "this run: 6 copies, not 40" in report.render_report(results)


BENCH_README_TEXT = """# Benchmark

Prose about what is measured.

## Latest figures

{begin}
stale figures: 1.13x, met
{end}

## After

More prose.
"""

README_TEXT = """# Grader

## Speed

Prose before the table.

{begin}
| old | table |
{end}

Prose after it.

## Next section
"""


def _readmes(tmp_path: Path) -> tuple[Path, Path]:
    bench_readme, readme = tmp_path / "bench-README.md", tmp_path / "README.md"
    bench_readme.write_text(
        BENCH_README_TEXT.format(begin=report.FIGURES_BEGIN, end=report.FIGURES_END),
        encoding="utf-8",
    )
    readme.write_text(
        README_TEXT.format(begin=report.SPEED_BEGIN, end=report.SPEED_END), encoding="utf-8"
    )
    return bench_readme, readme


def _outside(text: str, begin: str, end: str) -> tuple[str, str]:
    return text[: text.index(begin) + len(begin)], text[text.index(end) :]


def test_write_readmes_replaces_only_what_lies_between_the_markers(tmp_path: Path) -> None:
    bench_readme, readme = _readmes(tmp_path)
    before = bench_readme.read_text(), readme.read_text()
    report.write_readmes(_results(), bench_readme=bench_readme, readme=readme)
    figures, speed = bench_readme.read_text(), readme.read_text()
    assert _outside(figures, report.FIGURES_BEGIN, report.FIGURES_END) == _outside(
        before[0], report.FIGURES_BEGIN, report.FIGURES_END
    )
    assert _outside(speed, report.SPEED_BEGIN, report.SPEED_END) == _outside(
        before[1], report.SPEED_BEGIN, report.SPEED_END
    )
    assert "stale figures" not in figures
    assert "| old | table |" not in speed
    assert "$ python bench/bench.py --copies 40\nGrading throughput: 40 copies" in figures
    assert "### Reading them" in figures
    assert "- **The measure of aw_cost_vs_dw: not met**, 1.42x" in figures
    assert "| measure | figure | target | met |" in speed
    assert "| peak memory of check | 590 MiB (619 MB) | at most 600 MiB | met |" in speed
    # Written again from the same numbers: the same bytes.
    report.write_readmes(_results(), bench_readme=bench_readme, readme=readme)
    assert (bench_readme.read_text(), readme.read_text()) == (figures, speed)


@pytest.mark.parametrize("damage", ["missing", "twice", "reversed"])
def test_write_readmes_refuses_damaged_markers_and_writes_neither_file(
    tmp_path: Path, damage: str
) -> None:
    bench_readme, readme = _readmes(tmp_path)
    text = readme.read_text()
    if damage == "missing":
        text = text.replace(report.SPEED_END, "")
    elif damage == "twice":
        text += f"\n{report.SPEED_BEGIN}\n"
    else:
        text = (
            text.replace(report.SPEED_BEGIN, "@@")
            .replace(report.SPEED_END, report.SPEED_BEGIN)
            .replace("@@", report.SPEED_END)
        )
    readme.write_text(text)
    before = bench_readme.read_text()
    with pytest.raises(ValueError, match="bench:speed"):
        report.write_readmes(_results(), bench_readme=bench_readme, readme=readme)
    assert bench_readme.read_text() == before
    assert readme.read_text() == text


def test_bench_report_command_prints_the_report_and_writes_the_readmes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench_readme, readme = _readmes(tmp_path)
    numbers = tmp_path / "bench-results.json"
    numbers.write_text(json.dumps(_results()))
    argv = ["--from-json", str(numbers), "--bench-readme", str(bench_readme)]
    assert report.main([*argv, "--readme", str(readme)]) == 0
    assert capsys.readouterr().out == report.render_report(_results())
    assert "stale figures" in bench_readme.read_text()  # without --write-readme: untouched
    assert report.main([*argv, "--readme", str(readme), "--write-readme"]) == 0
    assert report.render_report(_results()).rstrip("\n") in bench_readme.read_text()
    numbers.write_text(json.dumps({**_results(), "schema": "something else"}))
    with pytest.raises(SystemExit, match="not tf-autograder-bench"):
        report.main(argv)


def test_the_readmes_carry_the_markers_once() -> None:
    for path, begin, end in (
        (report.BENCH_README, report.FIGURES_BEGIN, report.FIGURES_END),
        (report.README, report.SPEED_BEGIN, report.SPEED_END),
    ):
        text = path.read_text(encoding="utf-8")
        assert report.replace_between(text, begin, end, "x", where=str(path)).count(begin) == 1


def test_bench_ratios_put_equal_parallelism_first_with_the_issue_targets() -> None:
    def timing(method: str, count: int, seconds: float, **extra: Any) -> Any:
        return bench.Timing(method, method, count, seconds, per_item=[0.5] * count, extra=extra)

    timings = [
        timing("a", 40, 20.0, workers=2),
        timing("a", 40, 36.0, workers=1),
        timing("b", 8, 80.0),
        timing("c", 8, 36.0),
        timing("d", 10, 4.0, processes=1),
        timing("d", 20, 5.0, processes=2),
    ]
    ratios = {r["id"]: r for r in bench.compute_ratios(timings, 0.6)}
    headline = [i for i, r in ratios.items() if r["headline"]]
    assert headline == ["a1_cost_vs_d1", "aw_cost_vs_dw", "aw_vs_b_throughput"]
    assert ratios["a1_cost_vs_d1"]["value"] == pytest.approx(0.9 / 0.4)
    assert ratios["aw_cost_vs_dw"]["value"] == pytest.approx(0.5 / 0.25)
    assert ratios["aw_vs_b_throughput"]["value"] == pytest.approx(2.0 / 0.1)
    assert ratios["a1_cost_vs_d1"]["target"] == {"op": "<=", "value": 1.3}
    assert ratios["aw_vs_b_throughput"]["target"] == {"op": ">=", "value": 15.0}
    assert [ratios[i]["met"] for i in headline] == [False, False, True]
    assert ratios["a1_reference_in_worker_vs_d1"]["value"] == pytest.approx(0.6 / 0.5)
    assert bench.TARGET_CHECK_PEAK_BYTES == ("<=", 600 * 2**20)


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


_UNDER_CPROFILE = """
import cProfile, importlib.util, pstats, sys
from pathlib import Path
from typing import Any

from grader.assignment import find_assignment

spec = importlib.util.spec_from_file_location("profile_run_script", sys.argv[1])
profile_run = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = profile_run
spec.loader.exec_module(profile_run)
script = Path(sys.argv[2])
script.write_text(
    "# 1.1\\nsport = 'tennis'\\nprint('printed, not shown')\\n\\n"
    "# 1.2\\ndef func(a, b):\\n    return a + b\\n\\ne_out = func(1.5, 2.5)\\nundefined_name\\n"
)
split = profile_run.load_split(script, find_assignment(str(profile_run.ASSIGNMENT)))
seen = {}

def harvest_1_1(ns, inputs):
    seen["sport"] = ns.get("sport")
    return {"sport": str(ns.get("sport"))}

def harvest_1_2(ns, inputs):
    seen["inputs"] = inputs
    seen["e_out"] = ns.get("e_out")
    return {}

profiler = cProfile.Profile()
times = profile_run.run_once(
    split,
    {"1.1": harvest_1_1, "1.2": harvest_1_2},
    {"1.2": {"cases": []}},
    {"1.1": ("sport",)},
    profile_run.ProbeTimer(),
    profiler,
)
assert sys.getprofile() is None  # neither cProfile nor evidence's hook is left on
assert seen == {"sport": "tennis", "inputs": {"cases": []}, "e_out": 4.0}, seen
assert list(times)[:2] == ["1.1", "1.2"]
assert times["1.1"].chunks == 1
assert times["1.1"].code_s > 0
assert times["1.1"].harvest_s > 0
assert times["1.1"].errors == []
assert times["1.2"].errors == ["NameError: name 'undefined_name' is not defined"]
functions = {name for _file, _line, name in pstats.Stats(profiler).stats}
assert "harvest_1_1" in functions
print("ok")
"""


def test_profile_run_runs_the_plan_section_by_section_under_cprofile(tmp_path: Path) -> None:
    """In a fresh interpreter: cProfile and evidence's hooks share sys.setprofile with whatever
    else this test process has running."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _UNDER_CPROFILE,
            str(BENCH / "profile_run.py"),
            str(tmp_path / "s.py"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "ok"

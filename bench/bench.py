"""Benchmark: batch grading with warm sandboxes against the usual ways of running notebooks.

One run builds a folder of N copies of realistic sample notebooks and measures, side by side:

  (a) this grader: `python grade.py batch DIR --out OUT --quiet --workers W` (W = cores, and 1),
      wall clock including the sandboxes' start;
  (b) nbclient executing each notebook in a fresh Jupyter kernel, one after another, the way
      nbgrader autogrades (on an evenly spaced sample of the copies);
  (c) a fresh `python` process per notebook executing its code cells in one namespace (same sample);
  (d) the bare limit: the reference solution's code executed again and again in warm processes
      (TensorFlow imported once, an untimed warm-up run, a fresh namespace each time): in one
      process, and in W processes side by side (the same parallelism as (a) with W workers);
  (e) `python grade.py check REFERENCE --json`: one submission, one cold sandbox.

The headline compares (a) with (d) at equal parallelism, one worker against one warm process and
W workers against W warm processes, and (a)'s throughput with (b)'s; the other ratios come from
the same run. It also measures the peak memory of the grader's whole process tree for (e) and for
the batch with 2 workers, counted as a container's memory cgroup counts it (shared pages once):
the sum of PSS over the grader and every descendant, sampled about every 100 ms in separate,
untimed runs (reading PSS of a TensorFlow process costs ~20 ms of kernel time, which would skew
the timings).

    python bench/bench.py --copies 40 [--workers W] [--sample 8] [--json FILE] [--write-readme]
    python bench/bench.py --quick            # 6 copies, small samples: a fast check

Progress goes to stderr, the report (rendered by bench/bench_report.py from the same numbers
--json writes) to stdout. Ratios come from the same run, as the machine is noisy.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import bench_report

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (ROOT / "examples" / "submissions", ROOT / "tests" / "data" / "submissions")
REFERENCE = ROOT / "reference" / "lab1-part1" / "solution.ipynb"
GRADE = ROOT / "grade.py"
SECTION_IDS = ("1.1", "1.2", "1.3.1", "1.3.2", "1.3.3", "1.4")

MIB = 2**20
# Issue 14's targets, for --copies 40 on a quiet 2-core machine: (comparison, value).
TARGET_COST_VS_WARM = ("<=", 1.3)  # s/sub of (a) over (d), at equal parallelism (1 and W)
TARGET_SPEEDUP_VS_NBCLIENT = (">=", 15.0)  # throughput of (a) with W workers over (b)
TARGET_CHECK_PEAK_BYTES = ("<=", 600 * MIB)  # Gradescope: a 768 MB container for one `check`
TARGET_BATCH2_PEAK_BYTES = ("<", 2 * 2**30)
RESULT_MARK = "BENCH-RESULT "
READY_MARK = "BENCH-READY"


# -- the submissions ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Copy:
    """One benchmark submission: a copy of a sample notebook under a new name."""

    path: Path
    origin: Path

    @property
    def student(self) -> str:
        return self.path.stem


def sample_notebooks() -> list[Path]:
    """The notebooks to copy: the reference solution, and every sample .ipynb except the
    untouched templates."""
    found = [REFERENCE] + [
        p
        for folder in SOURCES
        for p in sorted(folder.glob("*.ipynb"))
        if not p.name.startswith("untouched_template")
    ]
    if not found:
        raise SystemExit(f"bench: no sample notebooks in {', '.join(map(str, SOURCES))}")
    return found


def build_copies(originals: Sequence[Path], n: int, dest: Path) -> list[Copy]:
    """`n` copies cycling through `originals`, named copy_000_<name>.ipynb, in `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    copies = []
    for i in range(n):
        origin = originals[i % len(originals)]
        path = dest / f"copy_{i:03d}_{origin.name}"
        shutil.copyfile(origin, path)
        copies.append(Copy(path, origin))
    return copies


def spread(n: int, k: int) -> list[int]:
    """`k` evenly spaced indices out of `n` (all of them when k >= n)."""
    if k >= n:
        return list(range(n))
    return [i * n // k for i in range(k)]


def code_cells(path: Path, *, strip_magics: bool) -> list[str]:
    """The notebook's code cells; with `strip_magics`, lines starting with % or ! commented out.

    Outside Colab `%tensorflow_version 2.x` raises UsageError, which would abort the cell that
    imports TensorFlow (and every later cell with it), and `!pip install` would hit the network.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    cells = [str(c.source) for c in nb.cells if c.cell_type == "code"]
    if strip_magics:
        cells = ["\n".join(_strip_magic(line) for line in c.splitlines()) for c in cells]
    return cells


def _strip_magic(line: str) -> str:
    return f"# {line}" if line.lstrip().startswith(("%", "!")) else line


# -- running and timing ---------------------------------------------------------------------


@dataclass(slots=True)
class Timing:
    """One method's measurement: `count` submissions in `seconds` of wall clock."""

    method: str
    label: str
    count: int
    seconds: float
    note: str = ""
    per_item: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    @property
    def per_submission(self) -> float:
        return self.seconds / self.count


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run(
    argv: Sequence[str | Path | int], *, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run a command to completion; its wall-clock seconds and result (failure is fatal)."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):  # `check` exits 1 when a visible check fails
        raise SystemExit(
            f"bench: {' '.join(map(str, argv))} exited {done.returncode}:\n{done.stderr[-3000:]}"
        )
    return seconds, done


def result_line(stdout: str) -> dict[str, Any]:
    """The JSON a helper process printed after RESULT_MARK."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            parsed: dict[str, Any] = json.loads(line[len(RESULT_MARK) :])
            return parsed
    raise SystemExit(f"bench: a helper process printed no result; its output:\n{stdout[-2000:]}")


def plain_env() -> dict[str, str]:
    """The environment for (c) and (d): headless plotting, TensorFlow's C++ logs quiet."""
    return {**os.environ, "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "3"}


def bench_grader(copies_dir: Path, out: Path, n: int, workers: int) -> Timing:
    """(a) `grade.py batch` on the whole folder."""
    log(f"(a) grade.py batch --workers {workers} on {n} copies ...")
    shutil.rmtree(out, ignore_errors=True)
    seconds, _ = run(
        [sys.executable, GRADE, "batch", copies_dir, "--out", out, "--quiet", "--workers", workers]
    )
    cards = load_cards(out)
    durations = [float(c["duration_s"]) for c in cards.values()]
    return Timing(
        method="a",
        label=f"(a) grade.py batch, {workers} worker{'s' if workers > 1 else ''}",
        count=n,
        seconds=seconds,
        note="all copies, wall clock incl. sandbox start",
        per_item=durations,
        extra={"workers": workers, "scorecards": len(cards)},
    )


def bench_nbclient(sample: Sequence[Copy], scratch: Path) -> Timing:
    """(b) nbclient: each notebook in a fresh kernel, sequentially, errors allowed."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient import NotebookClient

    if "python3" not in KernelSpecManager().find_kernel_specs():
        raise SystemExit(
            "bench: no python3 Jupyter kernel; run `pip install -r bench/requirements.txt` "
            "(and `python -m ipykernel install --sys-prefix` if it is still missing)"
        )
    log(f"(b) nbclient, a fresh kernel per notebook, {len(sample)} notebooks ...")
    times, errors = [], []
    kernel_log = scratch / "kernels.log"
    for copy in sample:
        nb = nbformat.read(copy.path, as_version=4)  # type: ignore[no-untyped-call]
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source = "\n".join(_strip_magic(line) for line in cell.source.splitlines())
        workdir = Path(tempfile.mkdtemp(dir=scratch))
        with stderr_to(kernel_log):  # the kernels inherit it: TensorFlow's start-up chatter
            start = time.perf_counter()
            client = NotebookClient(
                nb,
                timeout=600,
                kernel_name="python3",
                allow_errors=True,
                resources={"metadata": {"path": str(workdir)}},
            )
            client.execute()
            times.append(time.perf_counter() - start)
        errors.append(
            sum(
                any(o.get("output_type") == "error" for o in c.get("outputs", []))
                for c in nb.cells
                if c.cell_type == "code"
            )
        )
    return Timing(
        method="b",
        label="(b) nbclient, fresh kernel each",
        count=len(sample),
        seconds=sum(times),
        note=f"sample of {len(sample)}, sequential",
        per_item=times,
        extra={"cells_with_errors": errors},
    )


@contextmanager
def stderr_to(path: Path) -> Iterator[None]:
    """Point file descriptor 2 (inherited by child processes) at `path` for a while."""
    sys.stderr.flush()
    saved = os.dup(2)
    with path.open("ab") as f:
        os.dup2(f.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def bench_fresh_python(sample: Sequence[Copy], scratch: Path) -> Timing:
    """(c) a fresh `python` per notebook executing its code cells in one namespace."""
    log(f"(c) a fresh python process per notebook, {len(sample)} notebooks ...")
    times, errors = [], []
    for copy in sample:
        workdir = Path(tempfile.mkdtemp(dir=scratch))
        seconds, done = run(
            [sys.executable, Path(__file__).resolve(), "--exec-notebook", copy.path],
            env=plain_env(),
            cwd=workdir,
        )
        times.append(seconds)
        errors.append(int(result_line(done.stdout)["errors"]))
    return Timing(
        method="c",
        label="(c) fresh python process each",
        count=len(sample),
        seconds=sum(times),
        note=f"sample of {len(sample)}, sequential",
        per_item=times,
        extra={"cells_with_errors": errors},
    )


def warm_block(runs: int, scratch: Path, processes: int = 1) -> dict[str, Any]:
    """`processes` warm processes side by side, each running the reference solution's code.

    Each imports TensorFlow once and does an untimed warm-up run; once all are ready they start
    together and each does `runs` timed runs (a fresh namespace each time). The block's wall
    clock runs from their common start to the end of the last one (CLOCK_MONOTONIC, which all
    processes share). What the notebook prints goes to a file; each process reports to the
    benchmark on a pipe of its own, so none can stall on a full pipe while the others run.
    """
    log(
        f"(d) the reference solution {runs} times in each of {processes} warm processes side "
        "by side ..."
        if processes > 1
        else f"(d) the reference solution {runs} times in one warm process ..."
    )
    procs: list[tuple[subprocess.Popen[bytes], Any]] = []
    outputs = scratch / "warm-output.log"
    try:
        with outputs.open("ab") as sink:
            for _ in range(processes):
                read_fd, write_fd = os.pipe()
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        Path(__file__).resolve(),
                        "--warm-loop",
                        REFERENCE,
                        "--runs",
                        str(runs),
                        "--report-fd",
                        str(write_fd),
                    ],
                    cwd=scratch,
                    env=plain_env(),
                    stdin=subprocess.PIPE,
                    stdout=sink,
                    stderr=sink,
                    pass_fds=(write_fd,),
                )
                os.close(write_fd)
                procs.append((proc, os.fdopen(read_fd, "r", encoding="utf-8")))
        for _, report in procs:  # every process imported TensorFlow and warmed up
            if report.readline().strip() != READY_MARK:
                raise SystemExit(f"bench: a warm process failed before its runs; see {outputs}")
        for proc, _ in procs:  # then all start at once
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
        results = [result_line(report.read()) for _, report in procs]
        for proc, _ in procs:
            if proc.wait(timeout=3600) != 0:
                raise SystemExit(f"bench: a warm process exited {proc.returncode}; see {outputs}")
    finally:
        for proc, report in procs:
            report.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return {
        "processes": results,
        "wall_s": max(float(r["ended"]) for r in results)
        - min(float(r["started"]) for r in results),
    }


def bench_warm(blocks: Sequence[dict[str, Any]]) -> Timing:
    """(d) the bare limit, from blocks of warm processes run at the start and at the end.

    Two blocks, minutes apart, so that a burst of load on a noisy machine does not decide it.
    Seconds per submission: the blocks' wall clock over all their timed runs.
    """
    processes = len(blocks[0]["processes"])
    done = [p for block in blocks for p in block["processes"]]
    times = [float(t) for p in done for t in p["times"]]
    ordered = sorted(times)
    many = processes > 1
    return Timing(
        method="d",
        label=f"(d) reference code, {processes} warm process{'es' if many else ''}",
        count=len(times),
        seconds=sum(float(block["wall_s"]) for block in blocks),
        note=(
            f"{len(times)} runs in {len(blocks)} blocks"
            + (f" of {processes} processes at once" if many else " (one process each)")
            + f", each after an untimed warm-up; per run fastest {ordered[0]:.2f}, "
            f"median {ordered[len(ordered) // 2]:.2f}"
        ),
        per_item=times,
        extra={
            "processes": processes,
            "walls_s": [float(block["wall_s"]) for block in blocks],
            "import_s": [float(p["import_s"]) for p in done],
            "warmup_s": [float(p["warmup_s"]) for p in done],
        },
    )


def bench_check() -> Timing:
    """(e) `grade.py check` on the reference solution: one cold sandbox, one submission."""
    log("(e) grade.py check on the reference solution ...")
    seconds, done = run([sys.executable, GRADE, "check", REFERENCE, "--json"])
    visible = json.loads(done.stdout)["visible"]  # the student view: visible checks only
    return Timing(
        method="e",
        label="(e) grade.py check (1, cold)",
        count=1,
        seconds=seconds,
        note=f"reference solution, visible score {visible['score']}/{visible['max_score']}",
    )


# -- helper processes for (c) and (d) -------------------------------------------------------


def exec_notebook(path: Path) -> None:
    """(c)'s child: run every code cell in one namespace; a cell that raises is counted."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    cells = code_cells(path, strip_magics=True)
    errors = 0
    for n, source in enumerate(cells):
        try:
            exec(compile(source, f"<cell {n}>", "exec"), namespace)
        except BaseException:  # SystemExit included: the notebook's cell failed, go on
            errors += 1
    print(RESULT_MARK + json.dumps({"cells": len(cells), "errors": errors}), flush=True)


def warm_loop(path: Path, runs: int, report_fd: int) -> None:
    """(d)'s child: import TensorFlow once, warm up, wait for "go", time `runs` executions.

    Reports on `report_fd`: READY_MARK after the warm-up, then RESULT_MARK and its numbers.
    """
    start = time.perf_counter()
    import matplotlib.pyplot as plt
    import tensorflow as tf  # noqa: F401 - imported once for every run below

    import_s = time.perf_counter() - start
    cells = [
        compile(c, f"<cell {n}>", "exec") for n, c in enumerate(code_cells(path, strip_magics=True))
    ]

    def once() -> float:
        namespace: dict[str, Any] = {"__name__": "__main__"}
        start = time.perf_counter()
        for code in cells:
            exec(code, namespace)
        seconds = time.perf_counter() - start
        plt.close("all")
        return seconds

    with os.fdopen(report_fd, "w", encoding="utf-8") as report:
        warmup_s = once()
        print(READY_MARK, file=report, flush=True)
        sys.stdin.readline()  # "go": every process of the block is ready
        started = time.monotonic()
        times = [once() for _ in range(runs)]
        ended = time.monotonic()
        numbers = {
            "import_s": import_s,
            "warmup_s": warmup_s,
            "times": times,
            "started": started,
            "ended": ended,
        }
        print(RESULT_MARK + json.dumps(numbers), file=report, flush=True)


# -- memory of a process tree ---------------------------------------------------------------


def _has_children_files() -> bool:
    tid = threading.get_native_id()
    return Path(f"/proc/{os.getpid()}/task/{tid}/children").exists()


def descendants(root: int, *, children_files: bool) -> dict[int, int | None]:
    """`root` and every process below it, each with its parent (None for `root`).

    As seen from here, so processes in other PID namespaces are included. Uses
    /proc/PID/task/TID/children where the kernel has it (CONFIG_PROC_CHILDREN), else the parent
    pid in every /proc/PID/stat.
    """
    found: dict[int, int | None] = {root: None}
    queue = [root]
    if children_files:
        while queue:
            pid = queue.pop()
            try:
                tasks = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tasks:
                try:
                    with open(f"/proc/{pid}/task/{tid}/children") as f:
                        kids = [int(c) for c in f.read().split()]
                except OSError:
                    continue
                for kid in kids:
                    found[kid] = pid
                queue += kids
        return found
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    while queue:
        pid = queue.pop()
        for kid in children.get(pid, []):
            found[kid] = pid
            queue.append(kid)
    return found


_SYS_KCMP = 312  # x86_64
_KCMP_VM = 1
_libc = ctypes.CDLL(None, use_errno=True)


def shares_memory(pid: int, other: int) -> bool:
    """Whether two processes share one address space (a vfork child before its exec).

    Their smaps_rollup would then both report the same pages: count them once. kcmp(2); where
    it is missing (not x86_64, no CONFIG_KCMP), assume they do not.
    """
    if platform.machine() != "x86_64":
        return False
    return int(_libc.syscall(_SYS_KCMP, pid, other, _KCMP_VM, 0, 0)) == 0


def pss_bytes(pid: int) -> int | None:
    """The process's proportional set size (None once it has gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return 0  # a zombie: no memory left


def _describe(pid: int) -> tuple[str, int]:
    """Name and real uid (from status: a process that switched uid leaves /proc/PID to root)."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            name = f.read().strip()
        with open(f"/proc/{pid}/status") as f:
            uid = next(int(line.split()[1]) for line in f if line.startswith("Uid:"))
        return name, uid
    except (OSError, StopIteration, ValueError):
        return "?", -1


def _is_student(uid: int) -> bool:
    return uid not in (os.getuid(), -1)


@dataclass(slots=True)
class MemoryPeak:
    """What the sampler saw: the peak PSS sum and the processes that made it up."""

    label: str
    peak_bytes: int = 0
    peak_at_s: float = 0.0  # seconds after the start
    peak_processes: list[dict[str, Any]] = field(default_factory=list)
    peak_with_student_bytes: int = 0  # the highest sum while a student process was running
    run_peaks_bytes: list[int] = field(default_factory=list)  # one per repeat
    max_processes: int = 0
    pids_seen: int = 0
    other_uid_pids_seen: int = 0  # student processes run as a job uid
    shared_address_spaces: int = 0  # samples of a process sharing its parent's (vfork), not counted
    samples: int = 0
    mean_interval_s: float = 0.0
    walk: str = ""
    seconds: float = 0.0


class TreeSampler:
    """Sample the PSS sum of a process tree every `interval` seconds in a thread."""

    def __init__(self, root: int, label: str, interval: float = 0.1) -> None:
        self.root = root
        self.interval = interval
        self.children_files = _has_children_files()
        self.result = MemoryPeak(
            label, walk="task/*/children" if self.children_files else "ppid in /proc/*/stat"
        )
        self._stop = threading.Event()
        self._started = time.perf_counter()
        self._seen: dict[int, tuple[str, int]] = {}  # pid: (name, uid) when first seen
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._started = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        r = self.result
        r.seconds = time.perf_counter() - self._started
        r.pids_seen = len(self._seen)
        r.other_uid_pids_seen = sum(_is_student(uid) for _name, uid in self._seen.values())
        r.mean_interval_s = r.seconds / max(1, r.samples)

    def sample(self) -> None:
        tree = descendants(self.root, children_files=self.children_files)
        sizes: dict[int, int | None] = {}
        for pid, parent in tree.items():
            # Asked before reading its PSS: a vfork child that has exec'd shares nothing again.
            if parent is not None and shares_memory(pid, parent):
                sizes[pid] = 0  # its pages are its parent's, counted there
                self.result.shared_address_spaces += 1
            else:
                sizes[pid] = pss_bytes(pid)
        alive = {pid: size for pid, size in sizes.items() if size is not None}
        for pid in alive:
            # Asked every time: a single-use sandbox's zygote becomes the student process itself.
            name, uid = _describe(pid)
            if pid not in self._seen or _is_student(uid):
                self._seen[pid] = (name, uid)
        total = sum(alive.values())
        r = self.result
        r.samples += 1
        r.max_processes = max(r.max_processes, len(alive))
        if any(_is_student(self._seen[pid][1]) for pid in alive):
            r.peak_with_student_bytes = max(r.peak_with_student_bytes, total)
        if total > r.peak_bytes:
            r.peak_bytes = total
            r.peak_at_s = time.perf_counter() - self._started
            r.peak_processes = [
                {
                    "pid": pid,
                    "name": self._seen[pid][0],
                    "uid": self._seen[pid][1],
                    "pss_bytes": size,
                }
                for pid, size in alive.items()
            ]

    def _loop(self) -> None:
        while not self._stop.is_set():
            start = time.perf_counter()
            self.sample()
            self._stop.wait(max(0.0, self.interval - (time.perf_counter() - start)))


def measure_memory(label: str, argv: Sequence[str | Path | int], repeats: int = 1) -> MemoryPeak:
    """Run `argv` to completion `repeats` times while sampling its process tree's PSS.

    Returns the run with the highest peak, with every run's peak in `run_peaks_bytes`.
    """
    log(f"memory: {label}{f' ({repeats} runs)' if repeats > 1 else ''} ...")
    results = []
    for _ in range(repeats):
        proc = subprocess.Popen(
            [str(a) for a in argv],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        with TreeSampler(proc.pid, label) as sampler:
            _, stderr = proc.communicate(timeout=3600)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"bench: {label} exited {proc.returncode}:\n{stderr[-3000:]}")
        results.append(sampler.result)
    worst = max(results, key=lambda r: r.peak_bytes)
    worst.run_peaks_bytes = [r.peak_bytes for r in results]
    return worst


# -- verdicts -------------------------------------------------------------------------------


def load_cards(out: Path) -> dict[str, dict[str, Any]]:
    """Scorecards in `out`, keyed by student."""
    cards: dict[str, dict[str, Any]] = {}
    for path in sorted(out.glob("*.json")):
        card = json.loads(path.read_text(encoding="utf-8"))
        cards[str(card["student"])] = card
    return cards


def statuses(card: dict[str, Any]) -> dict[str, str]:
    return {str(s["id"]): str(s["status"]) for s in card["sections"]}


def ta_verdicts() -> dict[Path, dict[str, str]]:
    """A careful TA's section statuses for each sample notebook (verdicts.toml)."""
    out: dict[Path, dict[str, str]] = {}
    for folder in SOURCES:
        raw = tomllib.loads((folder / "verdicts.toml").read_text(encoding="utf-8"))
        for name, verdict in raw.items():
            out[folder / name] = {sid: str(verdict[sid]) for sid in SECTION_IDS if sid in verdict}
    return out


def check_verdicts(
    copies: Sequence[Copy], runs: dict[str, dict[str, dict[str, Any]]]
) -> dict[str, Any]:
    """Compare every run's scorecards: with each other, across copies, and with the TA."""
    first_label, first = next(iter(runs.items()))
    missing = {label: len(copies) - len(cards) for label, cards in runs.items()}
    differing = [
        f"{copy.student} ({label} vs {first_label})"
        for label, cards in runs.items()
        for copy in copies
        if copy.student in cards
        and copy.student in first
        and (cards[copy.student]["score"], statuses(cards[copy.student]))
        != (first[copy.student]["score"], statuses(first[copy.student]))
    ]
    by_origin: dict[Path, set[str]] = {}
    for copy in copies:
        if copy.student in first:
            card = first[copy.student]
            by_origin.setdefault(copy.origin, set()).add(
                json.dumps([card["score"], statuses(card)])
            )
    inconsistent = sorted(str(o.relative_to(ROOT)) for o, v in by_origin.items() if len(v) > 1)
    ta = ta_verdicts()
    agree = total = 0
    disagreements = []
    for copy in copies:
        expected, graded = ta.get(copy.origin), first.get(copy.student)
        if expected is None or graded is None:
            continue
        got = statuses(graded)
        for sid, status in expected.items():
            total += 1
            if got.get(sid) == status:
                agree += 1
            else:
                disagreements.append(f"{copy.student} {sid}: grader {got.get(sid)}, TA {status}")
    scores = Counter(int(card["score"]) for card in first.values())
    return {
        "scorecards": {label: len(cards) for label, cards in runs.items()},
        "missing": missing,
        "runs_differing": differing,
        "copies_inconsistent": inconsistent,
        "ta_sections_agree": agree,
        "ta_sections_total": total,
        "ta_disagreements": disagreements,
        "score_counts": dict(sorted(scores.items(), reverse=True)),
        "grader_failures": sum("grader_failure" in card for card in first.values()),
    }


# -- the numbers of the report --------------------------------------------------------------


def _method(timings: Sequence[Timing], method: str, parallel: int | None = None) -> Timing:
    """The timing of `method`; with `parallel`, the one with that many workers or processes."""
    return next(
        t
        for t in timings
        if t.method == method
        and (parallel is None or t.extra.get("workers", t.extra.get("processes")) == parallel)
    )


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _ratio(
    id_: str,
    label: str,
    numerator: float,
    denominator: float,
    *,
    unit: str = "",
    measure: str = "",
    target: tuple[str, float] | None = None,
    headline: bool = False,
    note: str = "",
) -> dict[str, Any]:
    """One ratio of the report: its figures, and its target and whether it is met, if any."""
    value = numerator / denominator
    return {
        "id": id_,
        "label": label,
        "measure": measure or label,
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "unit": unit,
        "target": {"op": target[0], "value": target[1]} if target else None,
        "met": bench_report.meets(value, *target) if target else None,
        "headline": headline,
        "note": note,
    }


def compute_ratios(
    timings: Sequence[Timing], reference_in_worker_s: float | None
) -> list[dict[str, Any]]:
    """The headline (s/sub of (a) over (d) with 1 and with W, throughput of (a) over (b)) and
    the other ratios, all from this run's timings."""
    a_1 = _method(timings, "a", 1)
    a_w = _method(timings, "a")  # sorted first: the most workers
    workers = int(a_w.extra["workers"])
    d_1 = _method(timings, "d", 1)
    d_w = _method(timings, "d", workers)
    b, c = _method(timings, "b"), _method(timings, "c")
    w = f"{workers} worker{'s' if workers > 1 else ''}"
    s_sub, subs_s = "s per submission", "submissions/s"
    ratios = [
        _ratio(
            "a1_cost_vs_d1",
            "s/sub (a) 1 worker / (d) 1 warm process",
            a_1.per_submission,
            d_1.per_submission,
            unit=s_sub,
            measure="seconds per submission, `batch` with 1 worker vs the lab's code in 1 warm "
            "process",
            target=TARGET_COST_VS_WARM,
            headline=True,
        )
    ]
    if workers > 1:
        ratios.append(
            _ratio(
                "aw_cost_vs_dw",
                f"s/sub (a) {w} / (d) {workers} warm processes",
                a_w.per_submission,
                d_w.per_submission,
                unit=s_sub,
                measure=f"seconds per submission, `batch` with {w} vs the lab's code in "
                f"{workers} warm processes side by side",
                target=TARGET_COST_VS_WARM,
                headline=True,
            )
        )
    ratios.append(
        _ratio(
            "aw_vs_b_throughput",
            f"throughput (a) {w} / (b) nbclient",
            a_w.rate,
            b.rate,
            unit=subs_s,
            measure=f"throughput, `batch` ({w}) vs nbclient's fresh kernel per notebook",
            target=TARGET_SPEEDUP_VS_NBCLIENT,
            headline=True,
        )
    )
    if workers > 1:
        ratios.append(
            _ratio(
                "a1_vs_b_throughput",
                "throughput (a) 1 worker / (b) nbclient",
                a_1.rate,
                b.rate,
                unit=subs_s,
            )
        )
    ratios.append(
        _ratio(
            "aw_vs_c_throughput",
            f"throughput (a) {w} / (c) fresh python",
            a_w.rate,
            c.rate,
            unit=subs_s,
        )
    )
    ratios.append(
        _ratio(
            "a1_in_worker_vs_d1",
            "inside a warm worker, 1 worker / (d) 1 process",
            _mean(a_1.per_item),
            _mean(d_1.per_item),
            unit="s per run",
            note="scorecards' mean duration_s (sandbox run, harvest, checks; no start-up) "
            "against (d)'s mean run",
        )
    )
    if workers > 1:
        ratios.append(
            _ratio(
                "aw_in_worker_vs_dw",
                f"inside a warm worker, {w} / (d) {workers} processes",
                _mean(a_w.per_item),
                _mean(d_w.per_item),
                unit="s per run",
                note="the same, both at the same parallelism",
            )
        )
    if reference_in_worker_s is not None:
        ratios.append(
            _ratio(
                "a1_reference_in_worker_vs_d1",
                "inside a warm worker, reference copies, 1 worker / (d)",
                reference_in_worker_s,
                _mean(d_1.per_item),
                unit="s per run",
                note="the very code (d) runs",
            )
        )
    if workers > 1:
        ratios.append(
            _ratio(
                "a_scaling",
                f"s/sub (a) 1 worker / (a) {w}",
                a_1.per_submission,
                a_w.per_submission,
                unit=s_sub,
                note=f"what {workers} workers gain; (d) 1 / (d) {workers} processes: "
                f"{d_1.per_submission / d_w.per_submission:.2f}x",
            )
        )
    return ratios


def memory_rows(memory: Sequence[tuple[str, str, MemoryPeak, tuple[str, int]]]) -> list[Any]:
    """The memory peaks with their targets, for the JSON."""
    return [
        {
            **asdict(peak),
            "id": id_,
            "measure": measure,
            "target_op": target[0],
            "target_bytes": target[1],
            "met": bench_report.meets(peak.peak_bytes, *target),
        }
        for id_, measure, peak, target in memory
    ]


def origin_rows(copies: Sequence[Copy], cards: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per original notebook: its name, copies, score, section statuses, agreement with the TA."""
    ta = ta_verdicts()
    seen: dict[Path, dict[str, Any]] = {}
    for copy in copies:
        card = cards.get(copy.student)
        if card is None:
            continue
        got = statuses(card)
        expected = ta.get(copy.origin, {})
        old = seen.get(copy.origin)
        seen[copy.origin] = {
            "notebook": f"{copy.origin.relative_to(ROOT).parent.parent.name}/{copy.origin.name}",
            "copies": 1 + (old["copies"] if old else 0),
            "score": int(card["score"]),
            "statuses": {sid: got.get(sid, "") for sid in SECTION_IDS},
            "ta_agree": sum(got.get(s) == v for s, v in expected.items()),
            "ta_total": len(expected),
        }
    return list(seen.values())


def _git_revision() -> str | None:
    """The grader's commit, with "+changes" when the work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+changes" if dirty else head


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as f:
            return next(
                (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")),
                None,
            )
    except OSError:
        return None


def _memory_total() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            return next(
                (int(line.split()[1]) * 1024 for line in f if line.startswith("MemTotal:")), None
            )
    except (OSError, ValueError):
        return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


# -- main -----------------------------------------------------------------------------------


def cores() -> int:
    return len(os.sched_getaffinity(0))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/bench.py",
        description="Batch grading with warm sandboxes against nbclient, a fresh python per "
        "submission and the lab's code in warm processes (one, and W side by side); peak memory "
        "of the process tree.",
    )
    parser.add_argument("--copies", type=int, default=40, help="submissions to grade (default 40)")
    parser.add_argument(
        "--workers",
        type=int,
        default=cores(),
        help=f"workers for (a) and warm processes for (d) (default: cores, {cores()})",
    )
    parser.add_argument(
        "--sample", type=int, default=8, help="copies run by (b) and (c) (default 8)"
    )
    parser.add_argument(
        "--warm-runs",
        type=int,
        default=10,
        help="timed runs of (d) per process, half at the start and half at the end (default 10)",
    )
    parser.add_argument(
        "--memory-runs",
        type=int,
        default=3,
        help="memory runs of (e), the highest wins (default 3)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the numbers here")
    parser.add_argument(
        "--write-readme",
        action="store_true",
        help="rewrite the generated figures in bench/README.md and README.md from this run",
    )
    parser.add_argument("--quick", action="store_true", help="a fast check: 6 copies, samples of 3")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--exec-notebook", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--warm-loop", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--report-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.copies, args.sample, args.warm_runs, args.memory_runs = 6, 3, 4, 1
    if min(args.copies, args.workers, args.sample, args.warm_runs // 2, args.memory_runs) < 1:
        parser.error(
            "--copies, --workers, --sample and --memory-runs must be >= 1, --warm-runs >= 2"
        )
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.exec_notebook is not None:
        exec_notebook(args.exec_notebook)
        return 0
    if args.warm_loop is not None:
        if args.report_fd is None:
            raise SystemExit("bench: --warm-loop needs --report-fd")
        warm_loop(args.warm_loop, args.runs, args.report_fd)
        return 0

    work = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    try:
        results = benchmark(args, work, argv)
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if args.json is not None:
        text = json.dumps(results, indent=2, default=str) + "\n"
        args.json.write_text(text, encoding="utf-8")
        log(f"numbers written to {args.json}")
    sys.stdout.write(bench_report.render_report(results))
    if args.write_readme:
        for path in bench_report.write_readmes(results):
            log(f"figures written to {path}")
    return 0


def benchmark(args: argparse.Namespace, work: Path, argv: Sequence[str] | None) -> dict[str, Any]:
    """Every measurement, in one run; return its numbers (the JSON; the report renders them)."""
    load_before = os.getloadavg()
    started = time.time()
    originals = sample_notebooks()
    folder = work / "submissions"
    copies = build_copies(originals, args.copies, folder)
    sample = [copies[i] for i in spread(len(copies), args.sample)]
    scratch = work / "scratch"
    scratch.mkdir()
    log(f"{len(copies)} copies of {len(originals)} notebooks in {folder}")

    parallel = list(dict.fromkeys([1, args.workers]))  # (d) in 1 process, and in W side by side
    first_half = args.warm_runs // 2
    # First: it also warms the page cache.
    warm = {n: [warm_block(first_half, scratch, n)] for n in parallel}
    timings = []
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    for workers in dict.fromkeys([args.workers, 1]):
        out = work / f"out-{workers}"
        timings.append(bench_grader(folder, out, len(copies), workers))
        runs[f"workers={workers}"] = load_cards(out)
    timings.append(bench_nbclient(sample, scratch))
    timings.append(bench_fresh_python(sample, scratch))
    timings.append(bench_check())
    for n in parallel:
        warm[n].append(warm_block(args.warm_runs - first_half, scratch, n))
    timings += [bench_warm(blocks) for blocks in warm.values()]
    timings.sort(
        key=lambda t: (t.method, -int(t.extra.get("workers", t.extra.get("processes", 0))))
    )

    check_argv: list[str | Path | int] = [sys.executable, GRADE, "check", REFERENCE, "--json"]
    out_mem = work / "out-memory"
    batch_argv: list[str | Path | int] = [
        sys.executable,
        GRADE,
        "batch",
        folder,
        "--out",
        out_mem,
        "--quiet",
        "--workers",
        2,
    ]
    memory = [
        (
            "check",
            "peak memory (PSS, whole process tree), `check` on one submission",
            measure_memory("(e) grade.py check reference --json", check_argv, args.memory_runs),
            TARGET_CHECK_PEAK_BYTES,
        ),
        (
            "batch2",
            "peak memory (PSS, whole process tree), `batch` with 2 workers",
            measure_memory(f"(a) grade.py batch, 2 workers, {len(copies)} copies", batch_argv),
            TARGET_BATCH2_PEAK_BYTES,
        ),
    ]
    runs["memory run (workers=2)"] = load_cards(out_mem)

    one = runs["workers=1"]
    reference_times = [
        float(one[c.student]["duration_s"])
        for c in copies
        if c.origin == REFERENCE and c.student in one
    ]
    first = runs[f"workers={args.workers}"]
    given = list(sys.argv[1:] if argv is None else argv)
    meta = {
        "command": " ".join(["python", "bench/bench.py", *given]),
        "argv": given,
        "date": time.strftime("%Y-%m-%d %H:%M %z", time.localtime(started)),
        "started_at": started,
        "seconds": time.time() - started,
        "copies": len(copies),
        "originals": len(originals),
        "sample": [c.student for c in sample],
        "cores": cores(),
        "cpu_model": _cpu_model(),
        "memory_total_bytes": _memory_total(),
        "platform": platform.platform(),
        "workers": args.workers,
        "warm_runs": args.warm_runs,
        "memory_runs": args.memory_runs,
        "sandbox": ", ".join(
            sorted({str(c["environment"].get("sandbox")) for c in first.values()})
        ),
        "python": platform.python_version(),
        "tensorflow": _version("tensorflow"),
        "nbclient": _version("nbclient"),
        "ipykernel": _version("ipykernel"),
        "git": _git_revision(),
        "uid": os.getuid(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    reference_in_worker = _mean(reference_times) if reference_times else None
    verdicts = {
        **check_verdicts(copies, runs),
        "section_ids": list(SECTION_IDS),
        "notebooks": origin_rows(copies, first),
    }
    return {
        "schema": bench_report.SCHEMA,
        "meta": meta,
        "timings": [
            {**asdict(t), "rate": t.rate, "per_submission": t.per_submission} for t in timings
        ],
        "ratios": compute_ratios(timings, reference_in_worker),
        "memory": memory_rows(memory),
        "verdicts": verdicts,
    }


if __name__ == "__main__":
    sys.exit(main())

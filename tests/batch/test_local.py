"""Batch grading as an instructor runs it: resuming, interrupting, and parallel workers."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support import DATA, ROOT, TINY_DIR, run_grade

TINY = ("--assignments-dir", TINY_DIR, "--assignment", "tiny")


def _copy_tiny(folder: Path, *names: str) -> None:
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes((DATA / "tiny" / name).read_bytes())


def _descendants(pid: int) -> set[int]:
    """Every process below `pid`, as /proc shows them from here."""
    out: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            for child in children:
                if child not in out:
                    out.add(child)
                    todo.append(child)
    return out


def _alive(pids: set[int]) -> list[str]:
    """The processes of `pids` still running (zombies waiting to be reaped do not count)."""
    alive = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:100]
        except OSError:
            continue
        state = status.split("State:")[1].split()[0]
        if state != "Z":
            alive.append(f"{pid} {state} {cmdline.decode(errors='replace')}")
    return alive


def test_batch_resume_skips_unchanged_submissions(tmp_path: Path) -> None:
    _copy_tiny(tmp_path / "in", "passes.py", "hardcoded.py", "raises.py")
    out = tmp_path / "out"
    assert run_grade("batch", tmp_path / "in", "--out", out, "--quiet", *TINY).returncode == 0
    first = {p.name: json.loads(p.read_text()) for p in out.glob("*.json")}
    (tmp_path / "in" / "raises.py").write_bytes((DATA / "tiny" / "passes.py").read_bytes())
    result = run_grade("batch", tmp_path / "in", "--out", out, "--resume", *TINY)
    assert result.returncode == 0, result.stderr
    second = {p.name: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert second["passes.json"] == first["passes.json"]  # not graded again
    assert second["hardcoded.json"] == first["hardcoded.json"]
    assert (
        second["raises.json"]["submission"]["sha256"]
        != first["raises.json"]["submission"]["sha256"]
    )
    assert second["raises.json"]["score"] == 10
    assert "summary.csv" in {p.name for p in out.iterdir()}


def test_batch_ctrl_c_leaves_no_process_behind(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for n in range(3):
        (inputs / f"sleeper{n}.py").write_text("# 1.1 Squares\nimport time\ntime.sleep(600)\n")
    batch = subprocess.Popen(
        [sys.executable, str(ROOT / "grade.py"), "batch", inputs, "--out", tmp_path / "out",
         "--workers", "2", "--section-timeout", "300", *TINY],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(seen) < 6:  # bwrap, zygote, child, x2 workers
            seen |= _descendants(batch.pid)
            time.sleep(0.2)
        time.sleep(2)  # let the sleepers start
        seen |= _descendants(batch.pid)
        batch.send_signal(signal.SIGINT)
        _, stderr = batch.communicate(timeout=60)
    finally:
        if batch.poll() is None:
            batch.kill()
    assert batch.returncode == 130, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    assert len(seen) >= 4
    time.sleep(1)
    assert _alive(seen) == []


def test_batch_workers_give_identical_scorecards(tmp_path: Path) -> None:
    _copy_tiny(tmp_path / "in", "passes.py", "hardcoded.py", "raises.py")
    cards = {}
    for workers in ("1", "3"):
        out = tmp_path / f"out{workers}"
        assert (
            run_grade(
                "batch", tmp_path / "in", "--out", out, "--quiet", "--workers", workers, *TINY
            ).returncode
            == 0
        )
        cards[workers] = {
            p.name: {
                k: v
                for k, v in json.loads(p.read_text()).items()
                if k not in ("graded_at", "duration_s")
            }
            for p in out.glob("*.json")
        }
    assert cards["1"] == cards["3"]


def _slow_copies(folder: Path, count: int) -> None:
    """`count` submissions that sleep in each section, so some are always in flight (an
    interrupt in the last section used to leave a "Crashed" scorecard behind)."""
    folder.mkdir()
    samples = ("passes.py", "hardcoded.py", "raises.py")
    for n in range(count):
        text = (DATA / "tiny" / samples[n % 3]).read_text(encoding="utf-8")
        text = text.replace("# 1.2 Greeting", "import time\ntime.sleep(0.2)\n\n# 1.2 Greeting")
        (folder / f"student{n}.py").write_text(text + "time.sleep(1.2)\n", encoding="utf-8")


def _verdict(card: dict[str, Any]) -> tuple[object, ...]:
    return (
        card["score"],
        card.get("grader_failure"),
        tuple((s["id"], s["status"], s["score"], s["feedback"]) for s in card["sections"]),
    )


def _verdicts(out: Path) -> dict[str, tuple[object, ...]]:
    return {p.name: _verdict(json.loads(p.read_text())) for p in out.glob("*.json")}


@pytest.mark.slow
def test_batch_ctrl_c_leaves_only_true_scorecards_and_resume_completes(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    _slow_copies(inputs, 6)
    batch: list[str | Path] = ["batch", inputs, "--workers", "2", *TINY]
    clean_out = tmp_path / "clean"
    assert run_grade(*batch, "--out", clean_out, "--quiet").returncode == 0
    clean = _verdicts(clean_out)
    assert len(clean) == 6
    # Interrupt while the first submissions run, after the first scorecard, after the third.
    for moment, cards_before in enumerate((0, 1, 3)):
        out = tmp_path / f"out{moment}"
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "grade.py"), *map(str, batch), "--out", str(out), "--quiet"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                written = len(list(out.glob("*.json"))) if out.is_dir() else 0
                in_flight = len(_descendants(proc.pid)) >= 4  # two zygotes and their children
                if written >= cards_before and in_flight:
                    break
                time.sleep(0.05)
            time.sleep(0.3)  # into the middle of a run
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 130, stderr
        left = _verdicts(out)
        assert len(left) < 6, f"moment {moment}: the batch finished before the interrupt"
        assert {name: left[name] for name in left} == {name: clean[name] for name in left}
        resumed = run_grade(*batch, "--out", out, "--resume")
        assert resumed.returncode == 0, resumed.stderr
        if left:
            assert f"skipped {len(left)} already graded" in resumed.stderr
        else:
            assert "already graded" not in resumed.stderr
        assert _verdicts(out) == clean


def _cheapest_attacks(folder: Path) -> None:
    """The cheapest files an attacker can send the trusted parent (issue 9), one of each."""
    folder.mkdir()
    code = "# 1.1 Squares\ndef square(x):\n    return x * x\n# 1.2 Greeting\ngreeting = 'hello'\n"

    def notebook(*, metadata: str = "{}", cells: str | None = None) -> str:
        cells = cells or json.dumps([{"cell_type": "code", "source": code}])
        return f'{{"nbformat": 4, "nbformat_minor": 5, "metadata": {metadata}, "cells": {cells}}}'

    files = {
        "heading_of_spaces.py": "#" + " " * 200_000 + "\n" + code,
        "markdown_heading_of_spaces.ipynb": notebook(
            cells=json.dumps(
                [
                    {"cell_type": "markdown", "source": "#" + " " * 200_000},
                    {"cell_type": "code", "source": code},
                ]
            )
        ),
        "metadata_5000_deep.ipynb": notebook(metadata="[" * 5000 + "]" * 5000),
        "integer_of_5000_digits.ipynb": notebook(metadata='{"n": ' + "9" * 5000 + "}"),
        "million_lists.ipynb": notebook(metadata="[" + "[]," * 1_000_000 + "[]]"),
        "huge_cell.ipynb": notebook(
            cells=json.dumps([{"cell_type": "code", "source": code + "x = 1\n" * 400_000}])
        ),
        "twenty_thousand_headings.py": "# 1.1 Squares\n# 1.2 Greeting\n" * 9_000 + code,
        "deep_expression.py": code + "z = " + "+".join(["1"] * 100_000) + "\n",
        "forged_message.py": code.replace(
            "return x * x", "raise ValueError(' ' * 1_000_000 + '{{function_node ' * 60_000)"
        ),
        "escapes_\x1b]0;pwned\x07.py": code,
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


@pytest.mark.slow
def test_batch_attackers_cheapest_files_each_get_a_scorecard_quickly(tmp_path: Path) -> None:
    _cheapest_attacks(tmp_path / "in")
    out = tmp_path / "out"
    started = time.monotonic()
    result = run_grade("batch", tmp_path / "in", "--out", out, "--workers", "2", *TINY)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "\x1b" not in result.stderr
    cards = {
        c["submission"]["path"]: c for c in map(json.loads, map(Path.read_text, out.glob("*.json")))
    }
    assert len(cards) == 10
    assert elapsed < 180  # hours of backtracking, or a crash of the whole batch, before
    assert all(c.get("grader_failure") is None for c in cards.values())
    assert {s["status"] for s in cards["metadata_5000_deep.ipynb"]["sections"]} == {"not_run"}
    assert "nested more deeply" in cards["metadata_5000_deep.ipynb"]["sections"][0]["feedback"]
    assert "KiB of code" in cards["huge_cell.ipynb"]["sections"][0]["feedback"]
    assert cards["heading_of_spaces.py"]["score"] == 10
    # Past 50 cuts a cell, the rest stays in one section: 1.2 is still graded.
    assert cards["twenty_thousand_headings.py"]["sections"][1]["status"] == "passed"
    forged = cards["forged_message.py"]["sections"][0]["checks"][0]["feedback"]
    assert forged.startswith("calling square") or "ValueError" in forged
    assert len(forged) < 3000
    assert cards["escapes_\\x1b]0;pwned\\x07.py"]["score"] == 10


def _slow_starting_tiny(root: Path) -> Path:
    """The tiny assignment, with a harvest module that takes 10 minutes to import."""
    dest = root / "assignments"
    shutil.copytree(DATA / "assignments", dest)
    harvest = dest / "tiny" / "sandboxed" / "harvest.py"
    harvest.write_text("import time\ntime.sleep(600)\n" + harvest.read_text())
    return dest


def test_batch_of_files_with_no_code_never_waits_for_a_sandbox(tmp_path: Path) -> None:
    assignments = _slow_starting_tiny(tmp_path)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.py").write_bytes(b"")
    (folder / "blank.ipynb").write_bytes(b"")
    (folder / "not_utf8.py").write_bytes(b"\xff\xfe\x00garbage")
    out = tmp_path / "out"
    started = time.monotonic()
    result = run_grade(
        "batch", folder, "--out", out, "--workers", "2", "--quiet",
        "--assignments-dir", assignments, "--assignment", "tiny",
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    cards = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert set(cards) == {"empty", "blank", "not_utf8"}
    for card in cards.values():
        assert {s["status"] for s in card["sections"]} == {"not_run"}
        assert card.get("grader_failure") is None
    assert elapsed < 120  # the sandboxes take 600 s to start: nobody waited for them


def test_batch_grades_while_sandboxes_are_lent_only_for_the_run(tmp_path: Path) -> None:
    """Two threads per sandbox: one submission's checks run while the next one's code does.

    Every copy gets the same result as the one graded alone, and no scorecard's duration counts
    the time it waited for the sandbox.
    """
    folder = tmp_path / "in"
    folder.mkdir()
    names = ["passes.py", "hardcoded.py", "raises.py"]
    for i in range(2):
        for name in names:
            (folder / f"{i}_{name}").write_bytes((DATA / "tiny" / name).read_bytes())
    submitted = sorted(p.name for p in folder.iterdir())
    out = tmp_path / "out"
    result = run_grade("batch", folder, "--out", out, "--workers", "1", "--quiet", *TINY)
    assert result.returncode == 0, result.stderr
    cards = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert len(cards) == len(submitted)
    for stem, card in cards.items():
        twin = cards[("1" if stem[0] == "0" else "0") + stem[1:]]
        assert card["score"] == twin["score"]
        assert [s["status"] for s in card["sections"]] == [s["status"] for s in twin["sections"]]
        assert card.get("grader_failure") is None
    durations = sorted(c["duration_s"] for c in cards.values())
    # Queued behind the others, the last one would count their run times too.
    assert durations[-1] < 3 * durations[len(durations) // 2] + 1.0


def test_batch_stops_with_the_reason_when_no_sandbox_can_start(tmp_path: Path) -> None:
    assignments = tmp_path / "assignments"
    shutil.copytree(DATA / "assignments", assignments)
    harvest = assignments / "tiny" / "sandboxed" / "harvest.py"
    harvest.write_text("raise ImportError('the harvest module is broken')\n")
    folder = tmp_path / "in"
    _copy_tiny(folder, "passes.py", "raises.py")
    (folder / "empty.py").write_bytes(b"")
    out = tmp_path / "out"
    result = run_grade(
        "batch", folder, "--out", out, "--workers", "2", "--quiet",
        "--assignments-dir", assignments, "--assignment", "tiny",
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "the sandbox did not start" in result.stderr
    assert "the harvest module is broken" in result.stderr
    assert "Traceback (most recent call last)" not in result.stderr.splitlines()[0]
    # No scorecard blames a student for the machine's fault.
    assert not [p for p in out.glob("*.json") if p.stem != "empty"]

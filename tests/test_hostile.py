"""Hostile and broken submissions: the batch finishes, nobody earns what they did not, nothing escapes.

Every attack runs only inside the grader's sandbox, with small limits (8 s a section, 1 GiB,
64 processes), so none of them can harm the machine the tests run on.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from grader.scorecards import validation_errors
from tests.support import DATA, ROOT, auto_sandbox, run_grade

HOSTILE = DATA / "hostile"
LIMITS = (
    "--section-timeout",
    "8",
    "--timeout",
    "120",
    "--memory-mb",
    "1024",
    "--max-processes",
    "64",
)
JOB_UIDS = range(61000, 61100)
SEPARATE_USER = os.geteuid() == 0
BWRAP = auto_sandbox().startswith(("bwrap", "landlock"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.tensorflow,
    # A fork bomb is bounded by the process limit only when student code runs as its own user.
    pytest.mark.skipif(
        not SEPARATE_USER, reason="needs root and bubblewrap (see `grade.py doctor`)"
    ),
]


class _Listener:
    """A loopback TCP server that records whether anything connected to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=2)
        self.sock.close()


def _job_processes() -> list[str]:
    """Live processes running as a job uid (read from status: after setuid /proc/PID is root's)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            uid = int(status.split("\nUid:")[1].split()[0])
            state = status.split("\nState:")[1].split()[0]
            if uid in JOB_UIDS and state != "Z":
                out.append(entry.name)
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }


def _bad_files(folder: Path) -> dict[str, bytes]:
    files = {
        "empty.ipynb": b"",
        "truncated.ipynb": b'{"cells": [{"cell_type": "code", "source": "x = 1"',
        "binary_junk.ipynb": bytes(range(256)) * 40,
        "latin1.py": "# 1.1 Why\nsport = 'Ren\xe9e'\n".encode("cp1252"),
        "old_nbformat3.ipynb": json.dumps(
            {
                "nbformat": 3,
                "nbformat_minor": 0,
                "metadata": {},
                "worksheets": [
                    {
                        "cells": [
                            {"cell_type": "markdown", "source": "## 1.1 Why"},
                            {"cell_type": "code", "input": "x = 1", "language": "python"},
                        ]
                    }
                ],
            }
        ).encode(),
        "-rf $(touch PWNED); 'quote' élève.py": (HOSTILE / "hardcoded_outputs.py").read_bytes(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Batch-grade every hostile and broken file once, watching the machine while it runs."""
    inputs = tmp_path_factory.mktemp("hostile-in")
    out = tmp_path_factory.mktemp("hostile-out")
    listener = _Listener()
    for path in HOSTILE.glob("*.py"):
        text = path.read_text()
        text = text.replace('int(os.environ.get("GRADER_TEST_PORT", "1"))', str(listener.port))
        (inputs / path.name).write_text(text)
    bad = _bad_files(inputs)
    before = _digest(inputs)
    repo_before = sorted(p.name for p in ROOT.iterdir())
    result = run_grade("batch", inputs, "--out", out, "--quiet", "--workers", "2", *LIMITS)
    listener.close()
    cards = {
        json.loads(p.read_text())["submission"]["path"]: json.loads(p.read_text())
        for p in out.glob("*.json")
    }
    return {
        "result": result,
        "cards": cards,
        "out": out,
        "inputs": inputs,
        "bad": bad,
        "before": before,
        "after": _digest(inputs),
        "listener": listener,
        "repo_before": repo_before,
        "repo_after": sorted(p.name for p in ROOT.iterdir()),
        "leftover": _job_processes(),
    }


def _statuses(run: dict[str, Any], name: str) -> dict[str, str]:
    card = run["cards"][name]
    return {s["id"]: s["status"] for s in card["sections"]}


def _feedback(run: dict[str, Any], name: str, section: str) -> str:
    card = run["cards"][name]
    return str(next(s["feedback"] for s in card["sections"] if s["id"] == section))


def test_hostile_batch_finishes_with_a_valid_scorecard_for_every_file(
    hostile_run: dict[str, Any],
) -> None:
    result = hostile_run["result"]
    assert result.returncode == 0, result.stderr
    names = {p.name for p in HOSTILE.glob("*.py")} | set(hostile_run["bad"])
    assert set(hostile_run["cards"]) == names
    for name, card in hostile_run["cards"].items():
        assert validation_errors(card) == [], name
        assert len(card["sections"]) == 6, name


@pytest.mark.parametrize(
    ("name", "section", "status", "phrase"),
    [
        ("infinite_loop_1_2.py", "1.2", "timeout", "ran longer than 8 s"),
        ("sleep_1_3_1.py", "1.3.1", "timeout", "ran longer than 8 s"),
        ("signal_handlers_1_3_2.py", "1.3.2", "timeout", "ran longer than 8 s"),
        ("memory_bomb_1_3_3.py", "1.3.3", "error", "more memory than the grader allows (1024 MiB)"),
        ("os_exit_1_3_2.py", "1.3.2", "error", "exited with code 3"),
        ("segfault_1_3_3.py", "1.3.3", "error", "segmentation fault"),
        ("sys_exit_1_2.py", "1.2", "error", "SystemExit"),
    ],
    ids=lambda v: v.removesuffix(".py") if isinstance(v, str) and v.endswith(".py") else None,
)
def test_hostile_attack_costs_only_its_own_section(
    hostile_run: dict[str, Any], name: str, section: str, status: str, phrase: str
) -> None:
    statuses = _statuses(hostile_run, name)
    assert statuses[section] == status
    assert phrase in _feedback(hostile_run, name, section)
    others = {sid: s for sid, s in statuses.items() if sid != section}
    assert set(others.values()) == {"passed"}, others


def test_hostile_fork_bomb_is_contained(hostile_run: dict[str, Any]) -> None:
    statuses = _statuses(hostile_run, "fork_bomb_1_1.py")
    assert statuses["1.1"] != "passed"
    assert statuses["1.2"] == "passed"


@pytest.mark.parametrize(
    ("name", "section"),
    [
        ("monkeypatch_1_2.py", "1.2"),
        ("lying_objects_1_2.py", "1.2"),
        ("hardcoded_outputs.py", "1.2"),
        ("hardcoded_outputs.py", "1.3.1"),
    ],
    ids=["monkeypatch", "lying-objects", "hardcoded-func", "hardcoded-layer"],
)
def test_hostile_tricks_earn_no_points(
    hostile_run: dict[str, Any], name: str, section: str
) -> None:
    card = hostile_run["cards"][name]
    sec = next(s for s in card["sections"] if s["id"] == section)
    assert sec["status"] != "passed"
    checks = {c["id"]: c for c in sec["checks"]}
    if section == "1.2":
        assert checks["1.2/func-handout"]["score"] == 0
        assert checks["1.2/func-unseen-scalars"]["score"] == 0
    else:
        assert checks["1.3.1/output"]["score"] == 0


def test_hostile_output_flood_keeps_a_short_tail(hostile_run: dict[str, Any]) -> None:
    card = hostile_run["cards"]["output_flood_1_1.py"]
    assert card["score"] == 100
    assert len(card["output_tail"]) < 5000
    assert "earlier output was cut" in card["output_tail"]


def test_hostile_nothing_escapes(hostile_run: dict[str, Any]) -> None:
    assert hostile_run["leftover"] == [], "student processes outlived the batch"
    assert hostile_run["after"] == hostile_run["before"], "the submissions folder changed"
    assert hostile_run["repo_after"] == hostile_run["repo_before"], (
        "files appeared in the repository"
    )
    out: Path = hostile_run["out"]
    names = {p.name for p in out.iterdir()} - {"summary.csv"}
    assert all(n.endswith(".json") for n in names)
    assert len(names) == len(hostile_run["cards"])
    assert not (out / "DAEMON-WAS-HERE").exists()
    assert not list(Path("/tmp").glob("DAEMON-WAS-HERE"))
    assert not (ROOT / "DAEMON-WAS-HERE").exists()
    assert not (ROOT / "PWNED").exists()
    assert not (Path.cwd() / "PWNED").exists()


@pytest.mark.skipif(not BWRAP, reason="network and file-system isolation need bubblewrap")
def test_hostile_no_network_and_no_reference(hostile_run: dict[str, Any]) -> None:
    assert hostile_run["listener"].connections == 0
    network = hostile_run["cards"]["network_loopback_1_4.py"]["output_tail"]
    assert "no network" in network
    assert "NETWORK-REACHED" not in network
    search = hostile_run["cards"]["read_reference_1_4.py"]["output_tail"]
    assert "searched; found" in search
    # Other copies of the repository on this machine are beyond the grader's knowledge; this
    # checkout's reference, which the grader hides, must not be readable.
    assert f"SOLUTION-LEAKED {ROOT / 'reference'}" not in search


def test_hostile_bad_files_get_clear_messages(hostile_run: dict[str, Any]) -> None:
    expectations = {
        "empty.ipynb": "the file is empty",
        "truncated.ipynb": "not valid JSON",
        "binary_junk.ipynb": "binary",
    }
    for name, phrase in expectations.items():
        assert set(_statuses(hostile_run, name).values()) == {"not_run"}
        assert phrase in _feedback(hostile_run, name, "1.1")
    assert _statuses(hostile_run, "latin1.py")["1.1"] != "not_run"
    assert any("Windows-1252" in e for e in hostile_run["cards"]["latin1.py"]["errors"])
    odd = "-rf $(touch PWNED); 'quote' élève.py"
    assert hostile_run["cards"][odd]["student"].isascii()
    assert os.sep not in hostile_run["cards"][odd]["student"]

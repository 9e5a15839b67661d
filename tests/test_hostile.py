"""Hostile and broken submissions: the batch finishes, nobody earns what they did not, nothing escapes.

The same batch runs three ways, as a deployment would: with bubblewrap; in a container like
Gradescope's (root with Docker's default capabilities, namespaces refused by seccomp, so the
grader falls back to Landlock, seccomp and a job user; `tests/run/container.py`); and with
bubblewrap missing from PATH, the grader run as root from a writable copy of the checkout.
Every attack runs only inside the grader's sandbox, with small limits (8 s a section, 1 GiB,
64 processes), so none of them can harm the machine the tests run on.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from grader.sandboxed import landlock
from grader.scorecards import validation_errors
from tests.run import container
from tests.support import DATA, EXAMPLES, ROOT, auto_sandbox

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
#: Honest files graded after every hostile one (names sort last): they must get full marks.
VICTIMS = ("zz_victim_1.py", "zz_victim_2.py")
MODES = ("bwrap", "container", "no-bwrap")
#: What `environment.sandbox` says in each mode.
EXPECTED_SANDBOX = {
    "bwrap": "bwrap+seccomp+uid",
    "container": "landlock+seccomp+uid",
    "no-bwrap": "landlock+seccomp+uid",
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.tensorflow,
    # A fork bomb is bounded by the process limit only when student code runs as its own user.
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (see `grade.py doctor`)"),
]


def _unavailable(mode: str) -> str:
    if mode == "bwrap" and not auto_sandbox().startswith("bwrap"):
        return "bubblewrap does not start here (apt-get install bubblewrap)"
    if mode in ("container", "no-bwrap") and landlock.abi() < 1:
        return "Landlock is not available in this kernel"
    if mode == "container" and not container.available():
        return "the container needs bubblewrap and root"
    return ""


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


def _job_processes(uids: range) -> list[str]:
    """Live processes of this run's own job users (read from status: /proc/PID is root's)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            ids = {int(u) for u in status.split("\nUid:")[1].split("\n")[0].split()}
            state = status.split("\nState:")[1].split()[0]
            if ids & set(uids) and state != "Z":
                out.append(entry.name)
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }


def _tree_digest(root: Path) -> dict[str, str]:
    """Every file of the grader and the assignments (bytecode caches the tests make excluded)."""
    out = {}
    for top in ("grader", "assignments", "grade.py"):
        for path in [root / top, *sorted((root / top).rglob("*"))]:
            if path.is_file() and "__pycache__" not in path.parts:
                out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _writable_copy(target: Path) -> Path:
    """A copy of the checkout the grader runs from (as root, writable), as the third way."""
    skip = shutil.ignore_patterns(".git", "__pycache__", ".*_cache", "scorecards", "*.egg-info")
    shutil.copytree(ROOT, target, ignore=skip, symlinks=True)
    return target


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


def _read_cards(out: Path) -> dict[str, Any]:
    return {
        json.loads(p.read_text())["submission"]["path"]: json.loads(p.read_text())
        for p in out.glob("*.json")
    }


@pytest.fixture(scope="module", params=MODES)
def hostile_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Batch-grade every hostile and broken file once per mode, watching the machine."""
    mode: str = request.param
    why_not = _unavailable(mode)
    if why_not:
        pytest.skip(why_not)
    inputs = tmp_path_factory.mktemp(f"hostile-in-{mode}")
    out = tmp_path_factory.mktemp(f"hostile-out-{mode}")
    listener = _Listener()
    for path in HOSTILE.glob("*.py"):
        text = path.read_text()
        text = text.replace('int(os.environ.get("GRADER_TEST_PORT", "1"))', str(listener.port))
        (inputs / path.name).write_text(text)
    for name in VICTIMS:
        shutil.copy(EXAMPLES / "correct_work.py", inputs / name)
    bad = _bad_files(inputs)
    before = _digest(inputs)
    root = ROOT
    if mode == "no-bwrap":
        root = _writable_copy(tmp_path_factory.mktemp("checkout") / "tf-autograder")
    grader_before = _tree_digest(root)
    repo_before = sorted(p.name for p in root.iterdir())
    # This run's own job users, so that what it counts is its own, whatever else runs here.
    first = 62000 + 10 * random.randrange(300)
    uids = range(first, first + 10)
    secret = f"s3cret-{random.randrange(10**12)}"
    env = {
        **os.environ,
        "GRADER_JOB_UIDS": f"{uids.start}-{uids.stop - 1}",
        "GRADER_TEST_SECRET": secret,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if mode == "no-bwrap":
        env["PATH"] = str(Path(sys.executable).parent)  # no bwrap on it
    command = [str(sys.executable), str(root / "grade.py"), "batch", str(inputs), "--out", str(out)]
    command += ["--quiet", "--workers", "2", *LIMITS]
    pass_fds: tuple[int, ...] = ()
    if mode == "container":
        bpf = os.open(container.filter_file(), os.O_RDONLY)
        pass_fds = (bpf,)
        command = container.container_argv(command, seccomp_fd=bpf)
    try:
        result = subprocess.run(
            command,
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            pass_fds=pass_fds,
        )
    finally:
        for fd in pass_fds:
            os.close(fd)
    listener.close()
    cards = _read_cards(out)
    leftover = _job_processes(uids)
    time.sleep(2)  # a daemon that outlived the grader would rewrite scorecards now
    return {
        "mode": mode,
        "result": result,
        "cards": cards,
        "cards_later": _read_cards(out),
        "out": out,
        "inputs": inputs,
        "bad": bad,
        "before": before,
        "after": _digest(inputs),
        "listener": listener,
        "root": root,
        "grader_before": grader_before,
        "grader_after": _tree_digest(root),
        "repo_before": repo_before,
        "repo_after": sorted(p.name for p in root.iterdir()),
        "leftover": leftover + _job_processes(uids),
        "secret": secret,
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
    names = {p.name for p in HOSTILE.glob("*.py")} | set(hostile_run["bad"]) | set(VICTIMS)
    assert set(hostile_run["cards"]) == names
    for name, card in hostile_run["cards"].items():
        assert validation_errors(card) == [], name
        assert len(card["sections"]) == 6, name
        if card["sections"][0]["status"] != "not_run":
            assert card["environment"]["sandbox"] == EXPECTED_SANDBOX[hostile_run["mode"]], name


def test_hostile_honest_victims_after_the_attacks_get_full_marks(
    hostile_run: dict[str, Any],
) -> None:
    for name in VICTIMS:
        card = hostile_run["cards"][name]
        assert card["score"] == 100, (name, card["errors"], card["output_tail"][-2000:])
        assert "fill-" not in card["output_tail"]


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
        ("fill_ram_folders_1_3_2.py", "1.3.2", "error", "[Errno"),
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
    root: Path = hostile_run["root"]
    assert hostile_run["repo_after"] == hostile_run["repo_before"], "files appeared in the checkout"
    assert hostile_run["grader_after"] == hostile_run["grader_before"], "a grader file changed"
    out: Path = hostile_run["out"]
    names = {p.name for p in out.iterdir()} - {"summary.csv"}
    assert all(n.endswith(".json") for n in names)
    assert len(names) == len(hostile_run["cards"])
    assert not (out / "DAEMON-WAS-HERE").exists()
    assert not list(Path("/tmp").glob("DAEMON-WAS-HERE"))
    assert not (root / "DAEMON-WAS-HERE").exists()
    assert not (root / "PWNED").exists()
    assert not (Path.cwd() / "PWNED").exists()
    writer = hostile_run["cards"]["write_grader_files_1_1.py"]["output_tail"]
    assert "WROTE []" in writer


def test_hostile_daemon_cannot_rewrite_scorecards_after_exit(hostile_run: dict[str, Any]) -> None:
    assert hostile_run["cards_later"] == hostile_run["cards"]
    daemon = hostile_run["cards"]["kill_zygote_leave_daemon_1_2.py"]
    assert "REWROTE" not in daemon["output_tail"]
    assert "cannot kill" in daemon["output_tail"]
    # What the file's honest work earns, no more: its attack costs the zygote nothing.
    assert all(s["status"] == "passed" for s in daemon["sections"])


def test_hostile_signals_and_secrets_stay_in_the_sandbox(hostile_run: dict[str, Any]) -> None:
    thief = hostile_run["cards"]["steal_environ_1_3_1.py"]
    assert "environ scan done: 0 hits" in thief["output_tail"]
    everything = json.dumps(hostile_run["cards"])
    assert hostile_run["secret"] not in everything
    signaller = hostile_run["cards"]["signal_other_sandboxes_1_3_3.py"]["output_tail"]
    assert "signalled 0 of" in signaller
    assert "ptrace attach: -1" in signaller


def test_hostile_no_network_and_no_reference(hostile_run: dict[str, Any]) -> None:
    # seccomp refuses sockets in every mode; bubblewrap and Landlock (ABI 4+) refuse TCP too.
    assert hostile_run["listener"].connections == 0
    network = hostile_run["cards"]["network_loopback_1_4.py"]["output_tail"]
    assert "no network" in network
    assert "NETWORK-REACHED" not in network
    search = hostile_run["cards"]["read_reference_1_4.py"]["output_tail"]
    assert "searched; found 0" in search
    assert "SOLUTION-LEAKED" not in search


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

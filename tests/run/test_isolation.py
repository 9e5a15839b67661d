"""Fail closed: the isolation asked for, or one line and a stop; doctor names every layer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.run.isolation import layers_name
from grader.sandboxed import landlock
from tests.support import DATA, ROOT, TINY_DIR, auto_sandbox

TINY = ("--assignments-dir", str(TINY_DIR), "--assignment", "tiny")


def _grade(*args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, str(ROOT / "grade.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def test_isolation_layers_name_the_scorecard_vocabulary() -> None:
    assert layers_name(("bwrap", "seccomp", "uid")) == "bwrap+seccomp+uid"
    assert layers_name(("landlock", "seccomp", "uid")) == "landlock+seccomp+uid"
    assert layers_name(()) == "process"


def test_isolation_bwrap_asked_for_but_missing_stops_in_one_line() -> None:
    no_bwrap = str(Path(sys.executable).parent)  # the venv's bin: no bwrap there
    result = _grade(
        "check", str(DATA / "tiny" / "passes.py"), "--isolation", "bwrap", *TINY, path=no_bwrap
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "--isolation bwrap: bubblewrap cannot start here" in lines[0]
    assert "apt-get install bubblewrap" in lines[0]
    assert result.stdout == ""


@pytest.mark.skipif(landlock.abi() < 1, reason="needs Landlock")
def test_isolation_auto_without_bwrap_falls_back_to_landlock_and_says_so() -> None:
    no_bwrap = str(Path(sys.executable).parent)
    result = _grade("check", str(DATA / "tiny" / "passes.py"), "--json", *TINY, path=no_bwrap)
    assert result.returncode == 0, result.stderr
    sandbox = json.loads(result.stdout)["environment"]["sandbox"]
    assert sandbox.startswith("landlock+seccomp")
    assert sandbox.endswith("+uid") == (os.geteuid() == 0)


def test_isolation_process_is_accepted_only_when_asked_for() -> None:
    result = _grade(
        "check", str(DATA / "tiny" / "passes.py"), "--json", "--isolation", "process", *TINY
    )
    assert result.returncode == 0, result.stderr
    sandbox = json.loads(result.stdout)["environment"]["sandbox"]
    assert "bwrap" not in sandbox
    assert "landlock" not in sandbox
    assert ("uid" in sandbox.split("+")) == (os.geteuid() == 0)  # as root: always a job user


def test_isolation_doctor_lists_every_layer_and_what_auto_uses() -> None:
    result = _grade("doctor")
    assert result.returncode in (0, 1), result.stderr
    for layer in ("bubblewrap", "Landlock", "seccomp", "separate user", "memory cgroup"):
        assert any(
            line.startswith(("[yes]", "[no ]")) and f"] {layer}" in line
            for line in result.stdout.splitlines()
        ), layer
    expected = auto_sandbox()
    if expected:
        assert f"With --isolation auto, student code runs inside: {expected}." in result.stdout

"""Job users' memory cgroups: what the kernel says about out-of-memory kills."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.run.jobuser import oom_kills


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"),
        ("memory.events", "low 0\nhigh 0\nmax 7\noom 3\noom_kill 3\noom_group_kill 0\n"),
    ],
    ids=["cgroup-v1", "cgroup-v2"],
)
def test_jobuser_oom_kills_are_read_from_either_cgroup_version(
    tmp_path: Path, name: str, text: str
) -> None:
    (tmp_path / name).write_text(text)
    assert oom_kills(tmp_path) == 3


def test_jobuser_oom_kills_unknown_without_a_cgroup(tmp_path: Path) -> None:
    assert oom_kills(None) == 0
    assert oom_kills(tmp_path) == 0

"""Batch grading on a Dask cluster: same scorecards as local mode, and a dying worker loses nothing."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from grader.assignment import load_assignment_dir
from grader.batch.cluster import grade_batch_on_cluster
from grader.config import GraderConfig
from grader.intake.files import find_submissions
from grader.scorecards import validation_errors
from tests.support import DATA, TINY_DIR, run_grade

distributed = pytest.importorskip("distributed")
if TYPE_CHECKING:
    from distributed import Client

TINY = ("--assignments-dir", TINY_DIR, "--assignment", "tiny")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Client]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client


def _cards(folder: Path) -> dict[str, dict[str, object]]:
    return {
        p.name: {
            k: v
            for k, v in json.loads(p.read_text()).items()
            if k not in ("graded_at", "duration_s")
        }
        for p in folder.glob("*.json")
    }


def test_cluster_batch_matches_local_mode(cluster: Client, tmp_path: Path) -> None:
    inputs = DATA / "tiny"
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert run_grade("batch", inputs, "--out", local, "--quiet", *TINY).returncode == 0
    result = run_grade(
        "batch",
        inputs,
        "--out",
        remote,
        "--quiet",
        "--cluster",
        cluster.scheduler_info()["address"],
        *TINY,
    )
    assert result.returncode == 0, result.stderr
    assert _cards(remote) == _cards(local)
    assert (remote / "summary.csv").read_text().splitlines()[0].startswith("student,file,score")


def test_cluster_worker_death_loses_no_submission(cluster: Client, tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for n in range(6):
        (inputs / f"slow{n}.py").write_text(
            "# 1.1 Squares\nimport time\ntime.sleep(1.5)\ndef square(x):\n    return x * x\n"
            "# 1.2 Greeting\ngreeting = 'hello'\n"
        )
    out = tmp_path / "out"
    out.mkdir()
    pids = list(cluster.run(os.getpid).values())
    killed: list[int] = []

    def kill_one_worker(done: int, item: object, card: object) -> None:
        if not killed:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    cards = grade_batch_on_cluster(
        find_submissions(inputs),
        assignment=load_assignment_dir(TINY_DIR / "tiny"),
        config=GraderConfig(section_timeout_s=20, submission_timeout_s=60),
        out=out,
        scheduler=cluster.scheduler_info()["address"],
        on_result=kill_one_worker,
    )
    assert killed
    assert len(cards) == 6
    assert all(c.score == 10 for c in cards)
    written = sorted(p.name for p in out.glob("*.json"))
    assert written == [f"slow{n}.json" for n in range(6)]
    for path in out.glob("*.json"):
        assert validation_errors(json.loads(path.read_text())) == []

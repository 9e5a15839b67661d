"""Gradescope: results.json against the published specification, the upload chooser, the bundle."""

from __future__ import annotations

import json
import math
import os
import stat
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from grader.errors import NoSubmissionError, SubmissionError
from grader.exports.gradescope import (
    VISIBILITIES,
    GradescopeVisibility,
    render_failure_results,
    render_results,
    results_validation_errors,
)
from grader.exports.gradescope_bundle import SETUP_SH, pinned_requirements
from grader.intake.files import choose_submission
from grader.scorecards import validation_errors
from tests.exports.cards import make_card
from tests.support import DATA, SUBMISSIONS, TINY_DIR, auto_sandbox, load_scorecards, run_grade

TINY = ("--assignments-dir", TINY_DIR, "--assignment", "tiny")


def _tests(document: dict[str, object]) -> list[dict[str, Any]]:
    tests = document["tests"]
    assert isinstance(tests, list)
    return tests


def test_gradescope_results_valid_and_total_equals_scorecard() -> None:
    card = make_card(failed={"1.1/rank": "rank is 1, expected 2", "1.2/func-unseen": "wrong"})
    document = render_results(card, title="Lab")
    assert results_validation_errors(document) == []
    assert document["score"] == card.score == 5.5
    assert math.isclose(sum(t["score"] for t in _tests(document)), card.score)
    assert [t["number"] for t in _tests(document)] == [
        "1.1/rank",
        "1.1/images-zeros",
        "1.2/func-handout",
        "1.2/func-unseen",
    ]
    assert document["stdout_visibility"] == "hidden"
    assert isinstance(document["execution_time"], float | int)


@pytest.mark.parametrize("visibility", VISIBILITIES, ids=str)
def test_gradescope_hidden_checks_get_configured_visibility(
    visibility: GradescopeVisibility,
) -> None:
    document = render_results(make_card(), title="Lab", hidden_visibility=visibility)
    assert results_validation_errors(document) == []
    by_id = {t["number"]: t["visibility"] for t in _tests(document)}
    assert by_id["1.1/images-zeros"] == by_id["1.2/func-unseen"] == visibility
    assert by_id["1.1/rank"] == by_id["1.2/func-handout"] == "visible"


def test_gradescope_test_output_is_feedback_and_status_is_binary() -> None:
    card = make_card(
        failed={"1.2/func-handout": "func(1.5, 2.5) returned 4.0, expected 6.0"},
        statuses={"1.1/rank": "error", "1.2/func-handout": "failed"},
        section_feedback={"1.1": "Your code raised NameError: name 'tf' is not defined"},
    )
    tests = {t["number"]: t for t in _tests(render_results(card, title="Lab"))}
    assert tests["1.2/func-handout"]["status"] == "failed"
    assert tests["1.2/func-handout"]["output"] == "func(1.5, 2.5) returned 4.0, expected 6.0"
    assert tests["1.1/rank"]["status"] == "failed"  # Gradescope knows passed and failed only
    assert "NameError" in str(
        tests["1.1/rank"]["output"]
    )  # section feedback when the check has none
    assert tests["1.2/func-unseen"]["output"] == "Passed."


def test_gradescope_summary_never_names_hidden_checks() -> None:
    card = make_card(failed={"1.2/func-unseen": "func(7.0, -2.0) should be -15.0"})
    output = str(render_results(card, title="Lab").get("output"))
    assert "on unseen inputs" not in output
    assert "-15.0" not in output
    assert "Hidden checks: 2 more, worth 5.5 points" in output
    assert "shown when grades are published" in output


@pytest.mark.parametrize(
    "scores",
    [(1 / 3, 2 / 3, 0.1, 0.2), (2.5, 2.5, 0.0, 0.0), (0.0, 0.0, 0.0, 0.0)],
    ids=["thirds", "halves", "zero"],
)
def test_gradescope_total_matches_sum_of_tests(scores: tuple[float, ...]) -> None:
    card = make_card()
    checks = [c for s in card.sections for c in s.checks]
    assert len(checks) == len(scores)
    new_sections = []
    it = iter(scores)
    for s in card.sections:
        new_checks = tuple(replace(c, score=next(it)) for c in s.checks)
        new_sections.append(replace(s, checks=new_checks, score=sum(c.score for c in new_checks)))
    card = replace(card, sections=tuple(new_sections), score=sum(s.score for s in new_sections))
    document = render_results(card, title="Lab")
    assert results_validation_errors(document) == []
    total = document["score"]
    assert isinstance(total, int | float)
    assert math.isclose(total, card.score, abs_tol=1e-4)
    assert math.isclose(sum(t["score"] for t in _tests(document)), total, abs_tol=1e-3)


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        ({"tests": [{"name": "a"}]}, "not valid under any"),
        ({"score": 1, "visibility": "students"}, "students"),
        ({"score": 1, "tests": [{"score": 1, "status": "error"}]}, "error"),
        ({"score": 1, "execution_time": "3 s"}, "3 s"),
        ({"score": 1, "tests": [{"score": 1, "feedback": "x"}]}, "feedback"),
        ({"score": "10"}, "10"),
    ],
    ids=[
        "no-score",
        "bad-visibility",
        "bad-status",
        "time-not-number",
        "unknown-key",
        "score-string",
    ],
)
def test_gradescope_schema_rejects_what_gradescope_would(
    document: dict[str, object], complaint: str
) -> None:
    problems = results_validation_errors(document)
    assert problems
    assert any(complaint in p for p in problems)


def test_gradescope_failure_results_valid_and_zero() -> None:
    document = render_failure_results("No notebook was found", execution_time=0.2)
    assert results_validation_errors(document) == []
    assert document["score"] == 0
    assert document["output"] == "No notebook was found"


def test_choose_submission_prefers_notebook_and_lists_others(tmp_path: Path) -> None:
    for name in ("helper.py", "lab1.ipynb", "zz_notes.ipynb", "readme.txt"):
        (tmp_path / name).write_text("{}")
    chosen = choose_submission(tmp_path)
    assert chosen.path.name == "lab1.ipynb"
    assert [p.name for p in chosen.ignored] == ["zz_notes.ipynb", "helper.py"]


def test_choose_submission_empty_upload_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "lab1.pdf").write_bytes(b"%PDF")
    with pytest.raises(NoSubmissionError, match=r"found: lab1\.pdf.*Upload the \.ipynb"):
        choose_submission(tmp_path)


def test_choose_submission_missing_folder_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match="no such submission folder") as info:
        choose_submission(tmp_path / "nope")
    assert not isinstance(info.value, NoSubmissionError)


def test_bundle_pins_every_runtime_dependency() -> None:
    pins = pinned_requirements()
    names = {p.split("==")[0] for p in pins}
    assert {"tensorflow", "numpy", "pytest", "pytest-json-report", "jsonschema"} <= names
    # Transitive ones too: TensorFlow's Keras, jsonschema's referencing, pytest's pluggy.
    assert {"keras", "referencing", "pluggy", "pyseccomp"} <= names
    assert all("==" in p and p.split("==")[1] for p in pins)
    assert len(names) == len(pins)


def test_bundle_setup_sh_is_valid_bash(tmp_path: Path) -> None:
    script = tmp_path / "setup.sh"
    script.write_text(SETUP_SH)
    result = subprocess.run(
        ["bash", "-n", str(script)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "bubblewrap" in SETUP_SH
    assert "libseccomp2" in SETUP_SH
    assert "--no-deps -r" in SETUP_SH  # the lock is the whole tree: nothing resolved on Gradescope
    assert "deadsnakes" in SETUP_SH


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    result = run_grade("gradescope-bundle", "--out", out, "--hidden-visibility", "hidden", *TINY)
    assert result.returncode == 0, result.stderr
    return out


def test_bundle_layout_is_what_gradescope_expects(tiny_bundle: Path) -> None:
    with zipfile.ZipFile(tiny_bundle) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        requirements = zf.read("requirements.txt").decode()
    for name in ("setup.sh", "run_autograder"):
        assert name in infos  # at the root of the zip, not in a folder
        assert (infos[name].external_attr >> 16) & stat.S_IXUSR
    assert {"grade.py", "grader/cli/__init__.py", "grader/gradescope.schema.json"} <= set(infos)
    assert "assignments/tiny/spec.toml" in infos
    assert not [n for n in infos if "reference" in n or "__pycache__" in n]
    assert "tensorflow==" in requirements
    assert "keras==" in requirements
    with zipfile.ZipFile(tiny_bundle) as zf:
        run = zf.read("run_autograder").decode()
        setup = zf.read("setup.sh").decode()
    assert "--isolation auto" in run  # chosen when the bundle was built, not on Gradescope
    assert run.index('chmod go= "$ROOT/source" "$ROOT/results"') < run.index("exec ")
    assert f'PYTHON="python{sys.version_info.major}.{sys.version_info.minor}"' in setup


def _autograder_root(tmp_path: Path, bundle: Path, *, files: dict[str, bytes]) -> Path:
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):
        (root / "source" / name).chmod(0o755)
    for name, data in files.items():
        (root / "submission" / name).write_bytes(data)
    return root


def _run_autograder(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    return subprocess.run(
        [str(root / "source" / "run_autograder")],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    "name", ["passes.py", "hardcoded.py", "raises.py"], ids=["passes", "hardcoded", "raises"]
)
def test_bundle_run_autograder_writes_valid_results(
    tmp_path: Path, tiny_bundle: Path, name: str
) -> None:
    root = _autograder_root(
        tmp_path, tiny_bundle, files={name: (DATA / "tiny" / name).read_bytes()}
    )
    result = _run_autograder(root)
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads((root / "results" / "results.json").read_text())
    assert results_validation_errors(document) == []
    # The instructor's scorecard (`check --json` shows the student view, without hidden scores).
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / name).write_bytes((DATA / "tiny" / name).read_bytes())
    batch = run_grade("batch", tmp_path / "in", "--out", tmp_path / "cards", "--quiet", *TINY)
    assert batch.returncode == 0, batch.stderr
    (scorecard,) = load_scorecards(tmp_path / "cards").values()
    assert validation_errors(scorecard) == []
    assert document["score"] == scorecard["score"]
    assert sum(t["score"] for t in document["tests"]) == scorecard["score"]
    hidden = [t for t in document["tests"] if t["number"] == "1.1/square-unseen"]
    assert hidden[0]["visibility"] == "hidden"  # as --hidden-visibility said at bundle time
    assert document["extra_data"]["environment"]["sandbox"] == auto_sandbox()
    for folder in ("source", "results"):  # closed to student code before it ran
        assert (root / folder).stat().st_mode & 0o077 == 0


def test_bundle_run_autograder_empty_upload_scores_zero_with_advice(
    tmp_path: Path, tiny_bundle: Path
) -> None:
    root = _autograder_root(tmp_path, tiny_bundle, files={"answers.docx": b"PK\x03\x04"})
    result = _run_autograder(root)
    assert result.returncode == 0, result.stderr
    document = json.loads((root / "results" / "results.json").read_text())
    assert results_validation_errors(document) == []
    assert document["score"] == 0
    assert "answers.docx" in document["output"]
    assert "Upload the .ipynb" in document["output"]


@pytest.mark.slow
@pytest.mark.tensorflow
def test_bundle_lab1_notebook_full_marks(tmp_path: Path) -> None:
    bundle = tmp_path / "autograder.zip"
    built = run_grade("gradescope-bundle", "--out", bundle)
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(bundle) as zf:
        assert "assignments/lab1-part1/template.ipynb" in zf.namelist()
        assert not [n for n in zf.namelist() if n.startswith("reference/")]
    notebook = (SUBMISSIONS / "passes_all.ipynb").read_bytes()
    root = _autograder_root(tmp_path, bundle, files={"My Lab 1 (final).ipynb": notebook})
    result = _run_autograder(root)
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads((root / "results" / "results.json").read_text())
    assert results_validation_errors(document) == []
    assert document["score"] == 100 == sum(t["score"] for t in document["tests"])
    assert len(document["tests"]) == len({t["number"] for t in document["tests"]})

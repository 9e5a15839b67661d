"""The command line as users run it: outputs, files written and exit codes."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.scorecards import validation_errors
from tests.support import DATA, ROOT, TINY_DIR, run_grade

TINY = ("--assignments-dir", TINY_DIR, "--assignment", "tiny")


@pytest.mark.parametrize("command", ["check", "batch", "templates", "release"], ids=str)
def test_cli_every_command_has_help(command: str) -> None:
    result = run_grade(command, "--help")
    assert result.returncode == 0
    assert "usage: grade.py" in result.stdout


def test_cli_top_level_help_documents_exit_codes() -> None:
    result = run_grade("--help")
    assert result.returncode == 0
    assert "Exit codes" in result.stdout


@pytest.mark.slow
@pytest.mark.tensorflow
def test_cli_check_reference_json_full_marks() -> None:
    result = run_grade("check", ROOT / "reference/lab1-part1/solution.ipynb", "--json")
    assert result.returncode == 0, result.stderr
    card = json.loads(result.stdout)
    assert validation_errors(card) == []
    assert card["score"] == card["max_score"] == 100
    assert [s["id"] for s in card["sections"]] == ["1.1", "1.2", "1.3.1", "1.3.2", "1.3.3", "1.4"]
    assert card["submission"]["path"] == "solution.ipynb"


def test_cli_check_report_hides_hidden_checks() -> None:
    result = run_grade("check", DATA / "tiny" / "hardcoded.py", *TINY)
    assert result.returncode == 1  # a visible check failed
    assert "Hidden checks: 1 more, worth 2 points" in result.stdout
    assert "square-unseen" not in result.stdout
    assert "works on other numbers" not in result.stdout
    assert "greeting is 'bye'" in result.stdout


def test_cli_check_exit_zero_when_visible_checks_pass() -> None:
    result = run_grade("check", DATA / "tiny" / "passes.py", *TINY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[ PASS  ] 1.1" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "missing.ipynb"), "no such file"),
        (("check", "notes.txt"), "expected a .ipynb notebook or a .py script"),
        (("batch", "missing_folder", "--out", "x"), "no such folder or zip"),
        (("check", "x.py", "--assignment", "nope"), "no assignment 'nope'"),
    ],
    ids=["missing-file", "wrong-suffix", "missing-folder", "unknown-assignment"],
)
def test_cli_bad_input_is_one_line_without_traceback(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = run_grade(
        *(str(tmp_path / a) if a.endswith((".ipynb", ".txt", "_folder")) else a for a in args)
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _batch_inputs(folder: Path) -> None:
    folder.mkdir()
    for name in ("passes.py", "hardcoded.py", "raises.py"):
        (folder / name).write_bytes((DATA / "tiny" / name).read_bytes())
    (folder / "notes.txt").write_text("not a submission")


def test_cli_batch_folder_writes_scorecards_and_summary(tmp_path: Path) -> None:
    _batch_inputs(tmp_path / "in")
    out = tmp_path / "out"
    result = run_grade("batch", tmp_path / "in", "--out", out, *TINY)
    assert result.returncode == 0, result.stderr
    assert "[3/3]" in result.stderr  # progress
    assert sorted(p.name for p in out.iterdir()) == [
        "hardcoded.json",
        "passes.json",
        "raises.json",
        "summary.csv",
    ]
    for path in out.glob("*.json"):
        assert validation_errors(json.loads(path.read_text())) == []
    rows = {r["student"]: r for r in csv.DictReader((out / "summary.csv").open())}
    assert rows["passes"]["score"] == "10"
    # square() raises only when the grader calls it: the check errs, the section fails.
    assert rows["raises"]["1.1 status"] == "failed"


def test_cli_batch_zip_same_as_folder(tmp_path: Path) -> None:
    _batch_inputs(tmp_path / "in")
    archive = tmp_path / "subs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in (tmp_path / "in").iterdir():
            zf.write(path, f"submissions/{path.name}")
    result = run_grade("batch", archive, "--out", tmp_path / "out", "--quiet", *TINY)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    cards = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "out").glob("*.json")}
    assert cards["submissions_passes"]["score"] == 10
    assert cards["submissions_hardcoded"]["score"] == 3


def test_cli_templates_check_reports_fresh_templates() -> None:
    result = run_grade("templates", "--check")
    assert result.returncode == 0, result.stderr


def test_cli_batch_maps_canvas_names_and_flags_late(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "doejane_LATE_12345_67890_lab1.py").write_bytes(
        (DATA / "tiny" / "passes.py").read_bytes()
    )
    (inputs / "smithbob_222_333_lab1-1.py").write_bytes(
        (DATA / "tiny" / "hardcoded.py").read_bytes()
    )
    out = tmp_path / "out"
    result = run_grade("batch", inputs, "--out", out, "--quiet", *TINY)
    assert result.returncode == 0, result.stderr
    late = json.loads((out / "doejane_12345.json").read_text())
    on_time = json.loads((out / "smithbob_222.json").read_text())
    assert late["late"] is True
    assert on_time["late"] is False
    assert late["submission"]["path"] == "doejane_LATE_12345_67890_lab1.py"


def test_cli_check_assignment_by_path(tmp_path: Path) -> None:
    result = run_grade("check", DATA / "tiny" / "passes.py", "--assignment", TINY_DIR / "tiny")
    assert result.returncode == 0, result.stderr
    assert "Tiny lab (test fixture) - passes.py" in result.stdout


def test_cli_unknown_assignment_says_where_it_looked() -> None:
    result = run_grade("check", DATA / "tiny" / "passes.py", "--assignment", "lab9")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "grade.py check: no assignment 'lab9': searched a folder lab9 (no spec.toml there); "
        "the installed student release ("
    )
    assert f"the repository's assignments ({ROOT / 'assignments'}: lab1-part1)" in result.stderr


def _run_here(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_cli_python_m_grader_works_from_any_folder(tmp_path: Path) -> None:
    result = _run_here([sys.executable, "-m", "grader", "templates", "--check"], tmp_path)
    assert result.returncode == 0, result.stderr
    usage = _run_here([sys.executable, "-m", "grader", "--help"], tmp_path)
    assert usage.stdout.startswith("usage: python -m grader")


def test_cli_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "tf-autograder"
    assert script.is_file(), (
        "reinstall the grader (pip install -e .) to get the tf-autograder command"
    )
    result = _run_here([str(script), "--help"], ROOT.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: tf-autograder")


def test_cli_release_writes_the_wheel_folder_and_notebooks(tmp_path: Path) -> None:
    out = tmp_path / "release"
    result = run_grade("release", "--out", out)
    assert result.returncode == 0, result.stderr
    wheel = "tf_autograder-0.1.0+lab1.part1-py3-none-any.whl"
    assert sorted(p.name for p in out.iterdir()) == [
        "lab1-part1",
        "lab1-part1.ipynb",
        "lab1-part1.py",
        wheel,
    ]
    assert f"wrote {out / wheel} (" in result.stdout
    assert "left out: the reference, 7 hidden checks (counted and scored only)" in result.stdout
    assert f"students install it with: pip install {wheel}" in result.stdout

"""The command line as users run it: outputs, files written and exit codes."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

from grader.exports.student_report import student_view_errors
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
    view = json.loads(result.stdout)
    assert student_view_errors(view) == []
    assert view["visible"]["score"] == view["visible"]["max_score"] == 66
    assert view["hidden"] == {"checks": 7, "max_score": 34}
    assert [s["id"] for s in view["sections"]] == ["1.1", "1.2", "1.3.1", "1.3.2", "1.3.3", "1.4"]
    assert view["submission"]["path"] == "solution.ipynb"


def test_cli_check_json_is_the_student_view_without_hidden_checks() -> None:
    result = run_grade("check", DATA / "tiny" / "hardcoded.py", "--json", *TINY)
    assert result.returncode == 1  # a visible check failed
    view = json.loads(result.stdout)
    assert student_view_errors(view) == []
    assert view["view"] == "student"
    assert view["visible"] == {"score": 3, "max_score": 8, "checks": 2, "passed": 1}
    assert view["hidden"] == {"checks": 1, "max_score": 2}
    squares = view["sections"][0]
    assert [c["id"] for c in squares["checks"]] == ["1.1/square"]
    assert squares["hidden"] == {"checks": 1, "max_score": 2}
    assert (squares["score"], squares["max_score"], squares["status"]) == (3, 3, "passed")
    assert "square-unseen" not in result.stdout
    assert "works on other numbers" not in result.stdout  # the hidden check's title


def test_cli_check_report_and_json_escape_terminal_controls(tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.py"
    hostile.write_text(
        "# 1.1 Squares\ndef square(x):\n    raise RuntimeError('\\x1b]0;pwned\\x07\\x9b2J\\rPASS')\n"
        "print('\\x1b[2J\\x1b[Hall good')\n# 1.2 Greeting\ngreeting = 'hello'\n",
        encoding="utf-8",
    )
    report = run_grade("check", hostile, *TINY)
    as_json = run_grade("check", hostile, "--json", *TINY)
    for result in (report, as_json):
        assert result.returncode == 1, result.stderr
        assert not any(ch in result.stdout for ch in "\x1b\x07\x9b\r")
    assert "RuntimeError: \\x1b]0;pwned\\x07\\x9b2J\\x0dPASS" in report.stdout
    view = json.loads(as_json.stdout)
    assert "\\x1b[2J" in view["output_tail"]


def _broken_tiny(tmp_path: Path) -> tuple[str, ...]:
    """The tiny assignment with a bug in the grader's own code for it (its unseen inputs)."""
    root = tmp_path / "assignments"
    shutil.copytree(TINY_DIR / "tiny", root / "tiny")
    (root / "tiny" / "inputs.py").write_text(
        "def make_inputs(rng):\n    raise RuntimeError('instructor bug')\n", encoding="utf-8"
    )
    return ("--assignments-dir", str(root), "--assignment", "tiny")


def test_cli_check_grader_failure_still_gets_a_report(tmp_path: Path) -> None:
    broken = _broken_tiny(tmp_path)
    report = run_grade("check", DATA / "tiny" / "passes.py", *broken)
    assert report.returncode == 1
    assert "Traceback" not in report.stdout + report.stderr
    assert "Not graded: the grader failed on this submission" in report.stdout
    view = json.loads(run_grade("check", DATA / "tiny" / "passes.py", "--json", *broken).stdout)
    assert student_view_errors(view) == []
    assert view["grader_failure"] == "RuntimeError: instructor bug"


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


def test_cli_batch_zip_with_duplicate_names_grades_every_member(tmp_path: Path) -> None:
    archive = tmp_path / "subs.zip"
    members = [("alice.py", "passes.py"), ("alice.py", "hardcoded.py"), ("Alice.py", "raises.py")]
    with zipfile.ZipFile(archive, "w") as zf:
        for name, sample in members:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "Duplicate name"
                zf.writestr(name, (DATA / "tiny" / sample).read_bytes())
    out = tmp_path / "out"
    result = run_grade("batch", archive, "--out", out, "--quiet", *TINY)
    assert result.returncode == 0, result.stderr
    cards = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert {k: c["score"] for k, c in cards.items()} == {"alice": 10, "alice-2": 3, "Alice-3": 5}
    assert len({c["submission"]["sha256"] for c in cards.values()}) == 3


@pytest.mark.parametrize("workers", ["0", "-1", "two"], ids=["zero", "negative", "not-a-number"])
def test_cli_batch_refuses_worker_counts_below_one(tmp_path: Path, workers: str) -> None:
    _batch_inputs(tmp_path / "in")
    result = run_grade("batch", tmp_path / "in", "--out", tmp_path / "out", "--workers", workers)
    assert result.returncode == 2
    assert "--workers" in result.stderr
    assert "give 1 or more" in result.stderr or "is not a whole number" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


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

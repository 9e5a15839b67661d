"""The LMS commands as instructors run them: gradescope, export canvas|csv, report."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from grader.exports.gradescope import results_validation_errors
from tests.support import DATA, TINY_DIR, auto_sandbox, load_scorecards, run_grade

TINY = ("--assignments-dir", TINY_DIR, "--assignment", "tiny")
#: Canvas download names for the tiny fixtures, and one file named by hand.
CANVAS_FILES = {
    "doejane_101_9001_lab.py": "passes.py",
    "roefred_LATE_102_9002_lab-1.py": "hardcoded.py",
    "poeed_103_9003_lab.py": "raises.py",
    "plainname.py": "passes.py",
}
ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Tiny lab (77)
    Points Possible,,,,,10
"Doe, Jane",101,S1,jdoe,Sec 1,
"Roe, Fred",102,S2,froe,Sec 2,
"Poe, Ed",103,S3,epoe,Sec 1,
"Name, Plain",104,S4,plainname,Sec 2,
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(submissions folder, scorecards folder): the tiny fixtures under Canvas names, batch-graded."""
    base = tmp_path_factory.mktemp("canvas")
    submissions = base / "submissions"
    submissions.mkdir()
    for name, source in CANVAS_FILES.items():
        shutil.copyfile(DATA / "tiny" / source, submissions / name)
    out = base / "scorecards"
    result = run_grade("batch", submissions, "--out", out, "--quiet", *TINY)
    assert result.returncode == 0, result.stderr
    return submissions, out


def _one_line_error(result: object, message: str) -> None:
    assert getattr(result, "returncode", None) == 2
    stderr = str(getattr(result, "stderr", ""))
    assert message in stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "command",
    [("gradescope",), ("gradescope-bundle",), ("export", "canvas"), ("export", "csv"), ("report",)],
    ids=["gradescope", "gradescope-bundle", "export-canvas", "export-csv", "report"],
)
def test_lms_cli_every_command_has_help(command: tuple[str, ...]) -> None:
    result = run_grade(*command, "--help")
    assert result.returncode == 0
    assert "usage: grade.py" in result.stdout


def test_lms_cli_gradescope_paths_overridden(tmp_path: Path, graded: tuple[Path, Path]) -> None:
    upload = tmp_path / "submission"
    upload.mkdir()
    shutil.copyfile(DATA / "tiny" / "hardcoded.py", upload / "whatever name.py")
    results = tmp_path / "out" / "results.json"
    result = run_grade(
        "gradescope", "--submission", upload, "--results", results,
        "--hidden-visibility", "after_due_date", *TINY,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(results.read_text())
    assert results_validation_errors(document) == []
    batch_card = load_scorecards(graded[1])["roefred_LATE_102_9002_lab-1.py"]  # same file
    assert document["score"] == batch_card["score"] == 3
    assert sum(t["score"] for t in document["tests"]) == document["score"]
    visibility = {t["number"]: t["visibility"] for t in document["tests"]}
    assert visibility == {
        "1.1/square": "visible",
        "1.1/square-unseen": "after_due_date",
        "1.2/greeting": "visible",
    }
    assert "whatever name.py" in document["output"]
    assert "1.1/square-unseen" in result.stdout  # stdout is for instructors, hidden from students


def test_lms_cli_gradescope_empty_upload_writes_zero(tmp_path: Path) -> None:
    (tmp_path / "submission").mkdir()
    results = tmp_path / "results.json"
    result = run_grade(
        "gradescope", "--submission", tmp_path / "submission", "--results", results, *TINY
    )
    assert result.returncode == 0
    document = json.loads(results.read_text())
    assert results_validation_errors(document) == []
    assert document["score"] == 0
    assert "No notebook (.ipynb) or Python script (.py)" in document["output"]


def test_lms_cli_export_canvas_from_download_names(
    tmp_path: Path, graded: tuple[Path, Path]
) -> None:
    out = tmp_path / "grades.csv"
    result = run_grade(
        "export", "canvas", "--scorecards", graded[1], "--out", out, "--column", "Lab"
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Lab"]
    assert {r[1]: r[-1] for r in rows[2:]} == {"101": "10", "102": "3", "103": "5"}
    assert "plainname" in result.stderr  # not a Canvas name: left out, and the instructor is told


def test_lms_cli_export_canvas_with_roster(tmp_path: Path, graded: tuple[Path, Path]) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    out = tmp_path / "grades.csv"
    result = run_grade(
        "export", "canvas", "--scorecards", graded[1], "--out", out, "--roster", roster,
        "--column", "Tiny lab",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0][-1] == "Tiny lab (77)"
    assert rows[2:] == [
        ["Doe, Jane", "101", "S1", "jdoe", "Sec 1", "10"],
        ["Roe, Fred", "102", "S2", "froe", "Sec 2", "3"],
        ["Poe, Ed", "103", "S3", "epoe", "Sec 1", "5"],
        ["Name, Plain", "104", "S4", "plainname", "Sec 2", "10"],
    ]


def test_lms_cli_export_csv(tmp_path: Path, graded: tuple[Path, Path]) -> None:
    out = tmp_path / "table.csv"
    result = run_grade("export", "csv", "--scorecards", graded[1], "--out", out)
    assert result.returncode == 0, result.stderr
    rows = {r["file"]: r for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert set(rows) == set(CANVAS_FILES)
    late = rows["roefred_LATE_102_9002_lab-1.py"]
    assert (late["score"], late["1.1 Squares (5)"], late["late"]) == ("3", "3", "yes")


def test_lms_cli_report(tmp_path: Path, graded: tuple[Path, Path]) -> None:
    out = tmp_path / "report.html"
    submissions, scorecards = graded
    result = run_grade(
        "report", "--scorecards", scorecards, "--out", out, "--submissions", submissions, *TINY[:2]
    )
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    assert "Class report: Tiny lab (test fixture)" in page
    assert "4 submissions compared" in page
    assert "lead for a human, not a verdict" in page
    assert "greeting is &#x27;bye&#x27;" in page  # the most frequent feedback, escaped


def test_lms_cli_report_without_submissions(tmp_path: Path, graded: tuple[Path, Path]) -> None:
    out = tmp_path / "report.html"
    result = run_grade("report", "--scorecards", graded[1], "--out", out, "--no-plots", *TINY[:2])
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    assert "Not computed: pass --submissions" in page
    assert "<img" not in page


def test_lms_cli_scorecards_of_two_assignments_refused(
    tmp_path: Path, graded: tuple[Path, Path]
) -> None:
    mixed = tmp_path / "mixed"
    shutil.copytree(graded[1], mixed)
    card = json.loads((mixed / "plainname.json").read_text())
    card["assignment"] = "lab1-part1"
    (mixed / "other.json").write_text(json.dumps(card))
    result = run_grade("export", "csv", "--scorecards", mixed, "--out", tmp_path / "t.csv")
    _one_line_error(result, "holds scorecards of 2 assignments")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "csv", "--scorecards", "missing_dir", "--out", "t.csv"), "no such folder"),
        (("report", "--scorecards", "empty_dir", "--out", "r.html"), "no scorecards (*.json)"),
        (
            ("export", "canvas", "--scorecards", "bad_dir", "--out", "g.csv"),
            "not a valid scorecard",
        ),
        (
            ("gradescope", "--submission", "missing_dir", *map(str, TINY)),
            "no such submission folder",
        ),
    ],
    ids=["missing-scorecards", "empty-scorecards", "invalid-scorecard", "missing-upload"],
)
def test_lms_cli_bad_input_is_one_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    (tmp_path / "empty_dir").mkdir()
    (tmp_path / "bad_dir").mkdir()
    (tmp_path / "bad_dir" / "x.json").write_text('{"student": "x"}')
    result = run_grade(
        *(str(tmp_path / a) if a.endswith(("_dir", ".csv", ".html")) else a for a in args)
    )
    _one_line_error(result, message)


def test_lms_cli_canvas_roster_missing_is_one_line(
    tmp_path: Path, graded: tuple[Path, Path]
) -> None:
    result = run_grade(
        "export", "canvas", "--scorecards", graded[1], "--out", tmp_path / "g.csv",
        "--roster", tmp_path / "nope.csv",
    )  # fmt: skip
    _one_line_error(result, "no such roster file")


@pytest.mark.skipif(
    not auto_sandbox().startswith(("bwrap", "landlock")),
    reason="needs bubblewrap or Landlock (see `grade.py doctor`)",
)
def test_lms_cli_gradescope_student_code_cannot_see_checks(tmp_path: Path) -> None:
    # A student could raise an exception holding the checks' source: its message is feedback.
    checks = TINY_DIR / "tiny" / "checks"
    upload = tmp_path / "submission"
    upload.mkdir()
    (upload / "peek.py").write_text(
        "# 1.1 Squares\nimport os\ndef square(x):\n    return x * x\n\n# 1.2 Greeting\n"
        f"raise RuntimeError('seen: ' + str(sorted(os.listdir({str(checks)!r}))))\n"
    )
    results = tmp_path / "results.json"
    result = run_grade("gradescope", "--submission", upload, "--results", results, *TINY)
    assert result.returncode == 0, result.stderr
    document = json.loads(results.read_text())
    # Out of reach altogether: no such folder (bubblewrap) or permission denied (Landlock).
    assert "seen: [" not in document["output"]
    assert "FileNotFoundError" in document["output"] or "PermissionError" in document["output"]
    assert "test_tiny.py" not in json.dumps(document)


def test_lms_cli_gradescope_grader_failure_still_writes_results(tmp_path: Path) -> None:
    root = tmp_path / "assignments"
    shutil.copytree(TINY_DIR / "tiny", root / "tiny")
    (root / "tiny" / "inputs.py").write_text(
        "def make_inputs(rng):\n    raise RuntimeError('instructor bug')\n", encoding="utf-8"
    )
    upload = tmp_path / "submission"
    upload.mkdir()
    shutil.copyfile(DATA / "tiny" / "passes.py", upload / "lab.py")
    results = tmp_path / "results.json"
    result = run_grade(
        "gradescope", "--submission", upload, "--results", results,
        "--assignments-dir", root, "--assignment", "tiny",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(results.read_text())
    assert results_validation_errors(document) == []
    assert document["score"] == 0
    assert (
        "the grader failed on this submission (RuntimeError: instructor bug)" in document["output"]
    )


def test_lms_cli_gradescope_output_escapes_terminal_controls(tmp_path: Path) -> None:
    upload = tmp_path / "submission"
    upload.mkdir()
    (upload / "lab.py").write_text(
        "# 1.1 Squares\ndef square(x):\n    return x * x\nprint('\\x1b]0;pwned\\x07\\x9b2J')\n"
        "# 1.2 Greeting\nraise ValueError('\\x1b[2J\\rPASS')\n",
        encoding="utf-8",
    )
    results = tmp_path / "results.json"
    result = run_grade("gradescope", "--submission", upload, "--results", results, *TINY)
    assert result.returncode == 0, result.stderr
    text = results.read_text()
    document = json.loads(text)
    shown = [document["output"], *(t["output"] for t in document["tests"]), result.stdout]
    for output in shown:
        assert not any(ch in output for ch in "\x1b\x07\x9b\r")
    assert "ValueError: \\x1b[2J\\x0dPASS" in document["output"]
    assert "\\x1b]0;pwned\\x07\\x9b2J" in result.stdout  # the output tail, for instructors

"""The instructor's term as the issue checks it: a Canvas download graded, one check overridden
with a reason, a check's points changed and the batch regraded (the diff names exactly the
students affected, the override still applies), Canvas's column found in the roster, feedback
pages for every student, and the report linking them."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import DATA, TINY_DIR, run_grade

#: Canvas download names for the tiny fixtures: 10, 3 (late) and 5 points of 10.
CANVAS_FILES = {
    "doejane_101_9001_lab.py": "passes.py",
    "roefred_LATE_102_9002_lab-1.py": "hardcoded.py",
    "poeed_103_9003_lab.py": "raises.py",
}
ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Lab 1: Intro to TensorFlow (98765),Quiz 1 (98766),Current Score
    Points Possible,,,,,10,5,(read only)
"Doe, Jane",101,S1,jdoe,Sec 1,,5,80
"Roe, Fred",102,S2,froe,Sec 2,,4,70
"Poe, Ed",103,S3,epoe,Sec 1,,3,60
"""
OVERRIDES = """\
[[override]]
student = "poeed_103"
check = "1.1/square"
points = 3
reason = "square() raises only for the grader's huge input; accepted on regrade request"
by = "TA Kim"

[late]
per_day = 10
days = { roefred_102 = 2 }
"""


@dataclass(frozen=True)
class Term:
    submissions: Path
    old: Path  # a copy of the scorecards made before the regrade
    scorecards: Path  # regraded in place, with 1.1/square worth 4 points instead of 3
    first_batch_stderr: str
    regrade_stderr: str


def _tiny(assignments: Path, square_points: int) -> tuple[str, ...]:
    """A copy of the tiny assignment with 1.1/square worth `square_points`."""
    shutil.rmtree(assignments, ignore_errors=True)
    shutil.copytree(TINY_DIR / "tiny", assignments / "tiny")
    spec = assignments / "tiny" / "spec.toml"
    text = spec.read_text()
    spec.write_text(text.replace('id = "1.1/square"\ntitle = "`square(x)` returns x * x"\npoints = 3',
                                 f'id = "1.1/square"\ntitle = "`square(x)` returns x * x"\npoints = {square_points}'))  # fmt: skip
    assert f"points = {square_points}" in spec.read_text()
    return ("--assignments-dir", str(assignments), "--assignment", "tiny")


@pytest.fixture(scope="module")
def term(tmp_path_factory: pytest.TempPathFactory) -> Term:
    base = tmp_path_factory.mktemp("term")
    submissions = base / "submissions"
    submissions.mkdir()
    for name, source in CANVAS_FILES.items():
        shutil.copyfile(DATA / "tiny" / source, submissions / name)
    scorecards = base / "scorecards"
    first = run_grade(
        "batch", submissions, "--out", scorecards, "--workers", "1", *_tiny(base / "a", 3)
    )
    assert first.returncode == 0, first.stderr
    (scorecards / "overrides.toml").write_text(OVERRIDES)
    old = base / "scorecards-before-regrade"
    shutil.copytree(scorecards, old)
    regrade = run_grade(
        "batch", submissions, "--out", scorecards, "--workers", "1", *_tiny(base / "a", 4)
    )
    assert regrade.returncode == 0, regrade.stderr
    return Term(submissions, old, scorecards, first.stderr, regrade.stderr)


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def _one_line_error(result: object, message: str) -> None:
    assert getattr(result, "returncode", None) == 2
    stderr = str(getattr(result, "stderr", ""))
    assert message in stderr, stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "command", [("diff",), ("export", "feedback")], ids=["diff", "export-feedback"]
)
def test_instructor_cli_commands_have_help_with_exit_codes(command: tuple[str, ...]) -> None:
    result = run_grade(*command, "--help")
    assert result.returncode == 0
    assert "usage: grade.py" in result.stdout
    assert "Exit" in result.stdout


def test_instructor_batch_progress_says_what_the_first_seconds_are_for(term: Term) -> None:
    lines = term.first_batch_stderr.splitlines()
    assert lines[0] == "starting 1 sandbox: importing TensorFlow"
    assert lines[1].startswith("[1/3] ")
    assert f"Per-student results: {term.old}" not in term.first_batch_stderr
    assert (
        f"Per-student results: {term.scorecards}/<student>.json (3 scorecards); "
        f"class table: {term.scorecards}/summary.csv"
    ) in term.first_batch_stderr


def test_instructor_batch_resume_shows_skipped_as_skipped(term: Term, tmp_path: Path) -> None:
    out = tmp_path / "scorecards"
    shutil.copytree(term.old, out)
    result = run_grade(
        "batch", term.submissions, "--out", out, "--resume", *_tiny(tmp_path / "a", 3)
    )
    assert result.returncode == 0, result.stderr
    assert "skipped 3 already graded" in result.stderr
    assert "starting" not in result.stderr  # nothing to grade: no sandbox started
    assert "[1/3]" not in result.stderr
    assert "3 submissions: 0 graded" in result.stderr
    assert "3 skipped (already graded)" in result.stderr


def test_instructor_summary_csv_applies_overrides_and_late_policy(term: Term) -> None:
    rows = {r["student"]: r for r in _csv(term.scorecards / "summary.csv")}
    poe, roe = rows["poeed_103"], rows["roefred_102"]
    assert (poe["graded_score"], poe["score"], poe["1.1 score"]) == ("5", "8", "3")
    assert "1.1/square: 0 -> 3 (square() raises only" in poe["overrides"]
    # regraded: 4 of 11 points, two days late at 10% a day of 11 points
    assert (roe["graded_score"], roe["late"], roe["late_penalty"], roe["score"]) == (
        "4", "yes", "2.2", "1.8",
    )  # fmt: skip
    assert "Means and summary.csv apply" in term.regrade_stderr


def test_instructor_diff_names_exactly_the_students_affected(term: Term) -> None:
    result = run_grade("diff", term.old, term.scorecards)
    assert result.returncode == 1, result.stderr  # something changed
    out = result.stdout
    assert "Checks worth other points now: 1.1/square 3 -> 4" in out
    assert "doejane_101  score 10 -> 11 (+1); graded 10 -> 11" in out
    assert "roefred_102  score 1 -> 1.8 (+0.8); graded 3 -> 4" in out
    assert "poeed_103" not in out  # failed 1.1/square: same points, override still 3
    assert out.splitlines()[-1].startswith("2 of 3 students changed (2 up, 0 down")


def test_instructor_diff_no_change_exits_zero(term: Term) -> None:
    result = run_grade("diff", term.scorecards, term.scorecards)
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1].startswith("No change: 0 of 3 students changed")


def test_instructor_diff_bad_input_is_one_line(term: Term, tmp_path: Path) -> None:
    _one_line_error(run_grade("diff", term.old, tmp_path / "missing"), "no such folder")


def test_instructor_export_canvas_lands_in_the_rosters_column(term: Term, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    for column in ("98765", "Lab 1: Intro to TensorFlow"):
        out = tmp_path / "grades.csv"
        result = run_grade(
            "export", "canvas", "--scorecards", term.scorecards, "--out", out,
            "--roster", roster, "--column", column,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        rows = list(csv.reader(io.StringIO(out.read_text())))
        assert rows[0][-1] == "Lab 1: Intro to TensorFlow (98765)"
        assert rows[2:] == [
            ["Doe, Jane", "101", "S1", "jdoe", "Sec 1", "11"],
            ["Roe, Fred", "102", "S2", "froe", "Sec 2", "1.8"],
            ["Poe, Ed", "103", "S3", "epoe", "Sec 1", "8"],  # the override survived the regrade
        ]
        assert "grades go in the roster's column 'Lab 1: Intro to TensorFlow (98765)'" in (
            result.stderr
        )
        assert "worth 10 points but the scorecards are out of 11" in result.stderr


def test_instructor_export_canvas_without_matching_column_refuses(
    term: Term, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    result = run_grade(
        "export", "canvas", "--scorecards", term.scorecards, "--out", tmp_path / "g.csv",
        "--roster", roster, *_tiny(tmp_path / "a", 4),
    )  # fmt: skip
    _one_line_error(result, "the roster has no assignment column for 'Tiny lab (test fixture)'")
    assert "Lab 1: Intro to TensorFlow (98765), Quiz 1 (98766)" in result.stderr
    assert not (tmp_path / "g.csv").exists()


def test_instructor_export_feedback_for_every_student(term: Term, tmp_path: Path) -> None:
    out = tmp_path / "feedback"
    archive = tmp_path / "feedback.zip"
    result = run_grade(
        "export", "feedback", "--scorecards", term.scorecards, "--out", out, "--zip", archive
    )
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "doejane_101_9001_feedback.html",
        "poeed_103_9003_feedback.html",
        "roefred_102_9002_feedback.html",
    ]
    assert sorted(zipfile.ZipFile(archive).namelist()) == names
    assert "Re-Upload Submissions" in result.stdout
    poe = (out / "poeed_103_9003_feedback.html").read_text()
    assert "Your score: 8 / 11" in poe
    assert "accepted on regrade request" in poe
    roe = (out / "roefred_102_9002_feedback.html").read_text()
    assert "Late penalty: 2 days late, 20% of the points" in roe
    assert "square-unseen" not in roe  # hidden, counted only
    assert "Hidden checks: 1 in this section" in roe


def test_instructor_report_links_feedback_pages(term: Term, tmp_path: Path) -> None:
    feedback = tmp_path / "feedback"
    assert (
        run_grade(
            "export", "feedback", "--scorecards", term.scorecards, "--out", feedback
        ).returncode
        == 0
    )
    report = tmp_path / "report.html"
    result = run_grade(
        "report", "--scorecards", term.scorecards, "--out", report, "--no-plots",
        "--assignments-dir", tmp_path / "none",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    page = report.read_text()
    for name in ("doejane_101_9001", "poeed_103_9003", "roefred_102_9002"):
        assert f'<a href="feedback/{name}_feedback.html">feedback page</a>' in page


def test_instructor_broken_overrides_file_is_one_line(term: Term, tmp_path: Path) -> None:
    scorecards = tmp_path / "scorecards"
    shutil.copytree(term.old, scorecards)
    (scorecards / "overrides.toml").write_text('[[override]]\nstudent = "x"\n')
    result = run_grade("export", "csv", "--scorecards", scorecards, "--out", tmp_path / "t.csv")
    _one_line_error(result, 'override 1: give either check = "<check id>"')


def test_instructor_override_of_a_missing_check_is_reported(term: Term, tmp_path: Path) -> None:
    scorecards = tmp_path / "scorecards"
    shutil.copytree(term.old, scorecards)
    (scorecards / "overrides.toml").write_text(
        '[[override]]\nstudent = "doejane_101"\ncheck = "1.1/gone"\npoints = 1\n'
        'reason = "r"\nby = "me"\n'
    )
    out = tmp_path / "t.csv"
    result = run_grade("export", "csv", "--scorecards", scorecards, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "warning: overrides.toml: override 1 (doejane_101, 1.1/gone) not applied" in (
        result.stderr
    )
    report = tmp_path / "r.html"
    result = run_grade("report", "--scorecards", scorecards, "--out", report, "--no-plots")
    assert "override 1 (doejane_101, 1.1/gone) not applied" in report.read_text()

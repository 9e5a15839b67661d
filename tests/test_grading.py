"""Grading real submissions end to end: the reference, the templates, and the fake-runner seam."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest

from grader.assignment import Assignment
from grader.config import GraderConfig
from grader.grading import grade_submission, grader_failure
from grader.run.exchange import EndReason, Job
from grader.run.sandbox import SandboxResult
from grader.scorecards import render_scorecard, validation_errors
from tests.support import DATA

SECTION_IDS = ["1.1", "1.2", "1.3.1", "1.3.2", "1.3.3", "1.4"]
FAST = GraderConfig(section_timeout_s=60, submission_timeout_s=180)


@pytest.mark.slow
@pytest.mark.tensorflow
def test_grading_reference_scores_full_marks(lab: Assignment) -> None:
    assert lab.reference_path is not None
    card = grade_submission(lab.reference_path, assignment=lab, config=FAST)
    document: dict[str, Any] = render_scorecard(card)
    assert validation_errors(document) == []
    assert [s["id"] for s in document["sections"]] == SECTION_IDS
    failing = [(c.id, c.feedback) for s in card.sections for c in s.checks if c.status != "passed"]
    assert failing == []
    assert card.score == card.max_score == 100


@pytest.mark.slow
@pytest.mark.tensorflow
@pytest.mark.parametrize(
    ("suffix", "where"),
    [(".ipynb", "section 1.1, cell 6, line 1"), (".py", "section 1.1, line 30")],
    ids=["notebook", "percent-script"],
)
def test_grading_untouched_template_scores_zero(lab: Assignment, suffix: str, where: str) -> None:
    card = grade_submission(lab.template_path(suffix), assignment=lab, config=FAST)
    assert validation_errors(render_scorecard(card)) == []
    assert [s.id for s in card.sections] == SECTION_IDS
    assert card.score == 0
    assert {s.status for s in card.sections} == {"error"}
    first = card.sections[0]
    assert f"invalid syntax at {where} (`sport = # TODO`)" in first.feedback


def test_grading_tiny_assignment_uses_same_grader(tiny: Assignment) -> None:
    card = grade_submission(DATA / "tiny" / "passes.py", assignment=tiny, config=FAST)
    assert [s.id for s in card.sections] == ["1.1", "1.2"]
    assert card.score == card.max_score == 10
    assert validation_errors(render_scorecard(card)) == []


def test_grading_tiny_hardcoded_answer_earns_nothing_hidden(tiny: Assignment) -> None:
    card = grade_submission(DATA / "tiny" / "hardcoded.py", assignment=tiny, config=FAST)
    checks = {c.id: c for s in card.sections for c in s.checks}
    assert checks["1.1/square"].status == "passed"  # the hard-coded 9.0 happens to fit x = 3
    assert checks["1.1/square-unseen"].status == "failed"
    assert checks["1.2/greeting"].status == "failed"
    assert "expected a string that says hello" in checks["1.2/greeting"].feedback


def test_grading_tiny_student_exception_is_error_with_location(tiny: Assignment) -> None:
    card = grade_submission(DATA / "tiny" / "raises.py", assignment=tiny, config=FAST)
    square = card.sections[0]
    assert square.status == "failed"  # the script ran; square() raised when a check called it
    assert square.checks[0].status == "error"
    feedback = square.checks[0].feedback
    assert "RuntimeError: not yet" in feedback
    assert "line 3" in feedback
    assert card.sections[1].status == "passed"


class _ScriptedRunner:
    """A fake sandbox: replays scripted results, records the jobs it was given."""

    def __init__(self, results: list[SandboxResult]) -> None:
        self.results = results
        self.jobs: list[Job] = []

    def __call__(self, job: Job, *, section_timeout_s: float, deadline: float) -> SandboxResult:
        self.jobs.append(job)
        return self.results.pop(0)


def _result(
    events: list[dict[str, object]], end: EndReason, last_step: int | None
) -> SandboxResult:
    return SandboxResult(
        events=tuple(events),
        end=end,
        last_step=last_step,
        exit_code=None,
        stdout_tail="",
        stderr_tail="",
        duration_s=0.1,
        isolation="process",
    )


def test_grading_timeout_costs_only_its_section(tiny: Assignment, tmp_path: Path) -> None:
    source = tmp_path / "loops.py"
    source.write_text("# 1.1 Squares\nwhile True: pass\n# 1.2 Greeting\ngreeting = 'hello'\n")
    # Plan: step 0 runs 1.1's code, 1 harvests 1.1, 2 runs 1.2's code, 3 harvests 1.2.
    first = _result([], "timeout", 0)
    second = _result(
        [
            {"event": "code", "n": 0, "chunk": 1, "error": None, "stubbed": []},
            {
                "event": "harvest",
                "n": 1,
                "section": "1.2",
                "data": {"greeting": {"types": ["builtins.str"], "python": "hello"}},
            },
        ],
        "done",
        1,
    )
    runner = _ScriptedRunner([first, second])
    card = grade_submission(source, assignment=tiny, config=FAST, runner=runner)
    assert [s.status for s in card.sections] == ["timeout", "passed"]
    assert "ran longer than" in card.sections[0].feedback
    assert all(c.status == "timeout" for c in card.sections[0].checks)
    # The re-run left out the section that hung.
    assert [s.section for s in runner.jobs[1].steps] == ["1.2", "1.2"]


def test_grading_rejects_malformed_child_data(tiny: Assignment) -> None:
    forged = _result(
        [
            {
                "event": "harvest",
                "n": 1,
                "section": "1.1",
                "data": {"results": [{"__ndarray__": {"dtype": "|O", "shape": [1], "data": ""}}]},
            },
        ],
        "done",
        1,
    )
    card = grade_submission(
        DATA / "tiny" / "passes.py", assignment=tiny, config=FAST, runner=_ScriptedRunner([forged])
    )
    assert card.score == 0
    assert any("malformed" in e for e in card.errors)


def test_grading_unparseable_file_gets_all_sections(lab: Assignment, tmp_path: Path) -> None:
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [', encoding="utf-8")
    card = grade_submission(broken, assignment=lab, config=FAST)
    assert [s.id for s in card.sections] == SECTION_IDS
    assert {s.status for s in card.sections} == {"not_run"}
    assert "not valid JSON" in card.sections[0].feedback
    assert validation_errors(render_scorecard(card)) == []


def test_grading_file_without_headings_says_how_to_fix(lab: Assignment, tmp_path: Path) -> None:
    plain = tmp_path / "noheadings.py"
    plain.write_text("import tensorflow as tf\nanswer = 1\n", encoding="utf-8")
    card = grade_submission(plain, assignment=lab, config=FAST)
    assert {s.status for s in card.sections} == {"not_run"}
    feedback = card.sections[0].feedback
    assert (
        "has none of the handout's section headings (1.1, 1.2, 1.3.1, 1.3.2, 1.3.3, 1.4)"
        in feedback
    )
    assert "'## 1.1 ...'" in feedback


class _SpinningRunner:
    """A fake step of the grader's own work that never ends (a runaway parser, say)."""

    def __call__(self, job: Job, *, section_timeout_s: float, deadline: float) -> SandboxResult:
        while True:
            sum(range(1000))


def test_grading_runaway_parent_step_becomes_a_grader_failure(
    tiny: Assignment, tmp_path: Path
) -> None:
    config = GraderConfig(section_timeout_s=60, submission_timeout_s=180, parent_cpu_s=0.5)
    started = time.monotonic()
    card = grade_submission(
        DATA / "tiny" / "passes.py", assignment=tiny, config=config, runner=_SpinningRunner()
    )
    assert time.monotonic() - started < 30
    assert card.grader_failure is not None
    assert (
        "(running it and reading what it sent) used more than 0.5 s of CPU" in card.grader_failure
    )
    assert {s.status for s in card.sections} == {"not_run"}
    assert "Not graded: the grader failed on this submission" in card.sections[0].feedback
    assert validation_errors(render_scorecard(card)) == []


def test_grader_failure_does_not_parse_the_file_again(lab: Assignment, tmp_path: Path) -> None:
    path = tmp_path / "hostile.ipynb"
    path.write_text("[" * 5000, encoding="utf-8")
    card = grader_failure(path, assignment=lab, student="s", error=RuntimeError("boom\x1b[2J"))
    assert card.submission.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert card.grader_failure == "boom\\x1b[2J"
    assert validation_errors(render_scorecard(card)) == []


def test_grading_output_tail_is_stored_without_terminal_controls(tiny: Assignment) -> None:
    result = SandboxResult(
        events=(
            {"event": "ready"},
            {"event": "step", "n": 0},
            {"event": "done"},
        ),
        end="done",
        last_step=0,
        exit_code=None,
        stdout_tail="\x1b[31mred\x1b[0m \x1b]0;owned\x07\rPASS\n",
        stderr_tail="",
        duration_s=0.1,
        isolation="process",
    )
    card = grade_submission(
        DATA / "tiny" / "passes.py", assignment=tiny, config=FAST, runner=_ScriptedRunner([result])
    )
    assert card.output_tail == "red \\x1b]0;owned\\x07\\x0dPASS\n"


def test_grading_scorecard_stores_feedback_without_terminal_controls(
    tiny: Assignment, tmp_path: Path
) -> None:
    source = tmp_path / "hostile.py"
    source.write_text(
        "# 1.1 Squares\ndef square(x):\n    raise RuntimeError('\\x1b]0;pwned\\x07')  # \x1b[2J\n"
        "# 1.2 Greeting\ngreeting = 'hello'\n",
        encoding="utf-8",
    )
    card = grade_submission(source, assignment=tiny, config=FAST)
    stored = json.dumps(render_scorecard(card), ensure_ascii=False)
    assert "\x1b" not in stored
    assert "\\\\x1b]0;pwned\\\\x07" in stored

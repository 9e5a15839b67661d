"""Scorecards as JSON: valid against the published schema, written atomically; the summary CSV."""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest

from grader.adjust import adjust
from grader.exports.summary import render_summary_csv
from grader.scorecards import (
    SCHEMA_PATH,
    CheckScore,
    Scorecard,
    SectionScore,
    SubmissionInfo,
    render_scorecard,
    validation_errors,
    write_scorecard,
)

SECTION_IDS = ["1.1", "1.2"]


def _card(student: str = "alice", **changes: object) -> Scorecard:
    card = Scorecard(
        assignment="lab1-part1",
        student=student,
        submission=SubmissionInfo(path=f"{student}.ipynb", format="ipynb", sha256="ab" * 32),
        score=12.5,
        max_score=25,
        sections=(
            SectionScore(
                id="1.1",
                title="Why is TensorFlow called TensorFlow?",
                score=10,
                max_score=10,
                status="passed",
                feedback="All checks passed.",
                checks=(
                    CheckScore(
                        id="1.1/sport",
                        title="`sport` is a 0-d string tensor",
                        score=10,
                        max_score=10,
                        status="passed",
                        visibility="visible",
                        feedback="",
                    ),
                ),
            ),
            SectionScore(
                id="1.2",
                title="Computations on Tensors",
                score=2.5,
                max_score=15,
                status="failed",
                feedback="",
                checks=(
                    CheckScore(
                        id="1.2/func-handout",
                        title="`func(1.5, 2.5)` returns the tensor 6.0",
                        score=2.5,
                        max_score=5,
                        status="passed",
                        visibility="visible",
                        feedback="",
                    ),
                    CheckScore(
                        id="1.2/func-unseen-scalars",
                        title="`func` computes (a + b) * (b - 1) on other numbers",
                        score=0,
                        max_score=10,
                        status="failed",
                        visibility="hidden",
                        feedback="func(2, 3) returned 10, expected 10.0: d should be b - 1",
                    ),
                ),
            ),
        ),
        errors=(),
        environment={"python": "3.11.7", "tensorflow": "2.21.0", "grader": "0.1.0"},
        graded_at="2025-01-31T12:00:00+00:00",
        duration_s=1.23456,
        output_tail="",
    )
    return dataclasses.replace(card, **changes)  # type: ignore[arg-type]


# --- render and validate ----------------------------------------------------------------------


def test_render_scorecard_is_valid_against_the_schema() -> None:
    assert validation_errors(render_scorecard(_card())) == []


def test_render_scorecard_has_the_spec_fields() -> None:
    document = render_scorecard(_card())
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert set(schema["required"]) <= set(document)
    assert document["schema_version"] == 1
    assert document["submission"] == {"path": "alice.ipynb", "format": "ipynb", "sha256": "ab" * 32}
    assert document["score"] == 12.5
    assert document["max_score"] == 25
    assert document["duration_s"] == 1.235
    sections = document["sections"]
    assert isinstance(sections, list)
    assert [s["id"] for s in sections] == SECTION_IDS


def test_render_scorecard_is_json_serialisable() -> None:
    document = render_scorecard(_card(student="José", errors=("warning: not valid UTF-8",)))
    assert json.loads(json.dumps(document)) == document


def test_render_scorecard_writes_whole_numbers_as_integers() -> None:
    document = render_scorecard(_card())
    first = document["sections"][0]  # type: ignore[index]
    assert (first["score"], type(first["score"])) == (10, int)
    assert document["score"] == 12.5


def _broken(change: str) -> dict[str, object]:
    document = copy.deepcopy(render_scorecard(_card()))
    sections = document["sections"]
    assert isinstance(sections, list)
    if change == "missing-section-status":
        del sections[0]["status"]
    elif change == "bad-status":
        sections[1]["status"] = "partial"
    elif change == "bad-check-status":
        sections[1]["checks"][0]["status"] = "ok"
    elif change == "bad-check-id":
        sections[0]["checks"][0]["id"] = "sport"
    elif change == "no-sections":
        document["sections"] = []
    elif change == "negative-score":
        document["score"] = -1
    elif change == "bad-sha256":
        document["submission"] = {"path": "a.py", "format": "py", "sha256": "xyz"}
    elif change == "missing-environment":
        del document["environment"]
    return document


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ("missing-section-status", "sections/0: 'status' is a required property"),
        ("bad-status", "sections/1/status: 'partial' is not one of"),
        ("bad-check-status", "sections/1/checks/0/status: 'ok' is not one of"),
        ("bad-check-id", "sections/0/checks/0/id: 'sport' does not match"),
        ("no-sections", "sections: [] should be non-empty"),
        ("negative-score", "score: -1 is less than the minimum of 0"),
        ("bad-sha256", "submission/sha256: 'xyz' does not match"),
        ("missing-environment", "<root>: 'environment' is a required property"),
    ],
    ids=[
        "missing-section-status",
        "bad-status",
        "bad-check-status",
        "bad-check-id",
        "no-sections",
        "negative-score",
        "bad-sha256",
        "missing-environment",
    ],
)
def test_validation_errors_name_the_broken_field(change: str, where: str) -> None:
    errors = validation_errors(_broken(change))
    assert len(errors) == 1
    assert errors[0].startswith(where)


# --- write ------------------------------------------------------------------------------------


def test_write_scorecard_writes_the_rendered_document(tmp_path: Path) -> None:
    path = tmp_path / "out" / "alice.json"
    document = write_scorecard(path, _card())
    assert json.loads(path.read_text(encoding="utf-8")) == document == render_scorecard(_card())
    assert path.read_text(encoding="utf-8").endswith("}\n")


def test_write_scorecard_leaves_no_temporary_files(tmp_path: Path) -> None:
    write_scorecard(tmp_path / "alice.json", _card())
    write_scorecard(tmp_path / "alice.json", _card(score=25))  # replaces the first
    write_scorecard(tmp_path / "bob.json", _card("bob"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alice.json", "bob.json"]
    assert json.loads((tmp_path / "alice.json").read_text(encoding="utf-8"))["score"] == 25


def test_write_scorecard_keeps_non_ascii_readable(tmp_path: Path) -> None:
    path = tmp_path / "jose.json"
    write_scorecard(path, _card(student="José"))
    assert '"student": "José"' in path.read_text(encoding="utf-8")


def test_write_scorecard_refuses_invalid_scorecard(tmp_path: Path) -> None:
    path = tmp_path / "alice.json"
    path.write_text('{"old": true}\n', encoding="utf-8")
    bad = _card(submission=SubmissionInfo(path="a.py", format="py", sha256="not-a-hash"))
    with pytest.raises(ValueError, match="scorecard for alice breaks the schema"):
        write_scorecard(path, bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alice.json"]
    assert path.read_text(encoding="utf-8") == '{"old": true}\n'  # the old file is untouched


def test_write_scorecard_cleans_up_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "alice.json"
    (target / "in-the-way").mkdir(parents=True)  # a folder where the scorecard should go
    with pytest.raises(OSError, match=r"alice\.json"):
        write_scorecard(target, _card())
    assert [p.name for p in tmp_path.iterdir()] == ["alice.json"]  # no temporary file left


# --- summary CSV ------------------------------------------------------------------------------


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_render_summary_csv_has_one_row_per_student() -> None:
    text = render_summary_csv(adjust([_card("alice"), _card("bob", score=25)]).results, SECTION_IDS)
    header = text.splitlines()[0]
    assert header == (
        "student,file,score,max_score,1.1 score,1.2 score,1.1 status,1.2 status,duration_s,errors,"
        "graded_score,late,late_penalty,overrides"
    )
    rows = _rows(text)
    assert [(r["student"], r["score"], r["1.2 status"]) for r in rows] == [
        ("alice", "12.5", "failed"),
        ("bob", "25", "failed"),
    ]
    assert rows[0]["1.2 score"] == "2.5"


@pytest.mark.parametrize(
    "name",
    ["=cmd()", "+SUM(1,2)", "-2+3", "@SUM(A1)", "\t=1"],
    ids=["equals", "plus", "minus", "at", "tab"],
)
def test_render_summary_csv_neutralises_formula_injection(name: str) -> None:
    card = _card(
        student=name,
        submission=SubmissionInfo(path=f"{name}.py", format="py", sha256="ab" * 32),
        errors=(f"{name} in errors",),
    )
    (row,) = _rows(render_summary_csv(adjust([card]).results, SECTION_IDS))
    assert row["student"] == "'" + name
    assert row["file"] == f"'{name}.py"
    assert row["errors"] == f"'{name} in errors"


def test_render_summary_csv_leaves_ordinary_text_alone() -> None:
    card = _card(student="o'brien, jr", errors=("warning: a", "warning: b"))
    (row,) = _rows(render_summary_csv(adjust([card]).results, SECTION_IDS))
    assert row["student"] == "o'brien, jr"
    assert row["errors"] == "warning: a | warning: b"


def test_render_summary_csv_blank_for_sections_the_card_lacks() -> None:
    (row,) = _rows(render_summary_csv(adjust([_card()]).results, [*SECTION_IDS, "1.4"]))
    assert (row["1.4 score"], row["1.4 status"]) == ("", "")


def test_render_summary_csv_carriage_return_cannot_start_a_row() -> None:
    name = "bob\r=cmd()"
    card = _card(submission=SubmissionInfo(path=f"{name}.py", format="py", sha256="ab" * 32))
    text = render_summary_csv(adjust([card]).results, SECTION_IDS)
    lines = text.splitlines()  # what a spreadsheet sees: CR, LF and CRLF all end a row
    assert len(lines) == 2
    assert not any(line.startswith(("=", "+", "-", "@")) for line in lines)

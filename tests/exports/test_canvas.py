"""Canvas gradebook CSV: the columns Canvas's import requires, ids from file names or a roster."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from grader.errors import RosterError
from grader.exports.canvas import IDENTITY_COLUMNS, read_roster, render_canvas_csv
from tests.exports.cards import make_card

ROSTER = """\ufeffStudent,ID,SIS User ID,SIS Login ID,Integration ID,Section,Lab 1 Part 1 (4411),Current Score
    Points Possible,,,,,,100,(read only)
"Doe, Jane",12345,S001,jdoe,,Section A,,80
"Roe, Fred",222,S002,froe,,Section B,50,70
"Poe, Ed",333,S003,epoe,,Section A,,60
"Student, Test",999,,,,Section A,,
"""


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _roster(tmp_path: Path, text: str = ROSTER) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_canvas_csv_has_the_columns_canvas_requires() -> None:
    cards = [make_card("doejane_12345", file="doejane_12345_67890_lab1.ipynb")]
    export = render_canvas_csv(cards, column="Lab 1 Part 1")
    rows = _rows(export.csv)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Lab 1 Part 1"]
    assert rows[0][: len(IDENTITY_COLUMNS)] == list(IDENTITY_COLUMNS)
    assert rows[1][0] == "Points Possible"
    assert rows[1][-1] == "10"
    assert rows[2] == ["doejane_12345", "12345", "", "", "", "10"]
    assert export.rows == 1


def test_canvas_csv_without_roster_leaves_out_unidentified() -> None:
    cards = [
        make_card("doejane_12345", file="doejane_12345_67890_lab1.ipynb"),
        make_card("alice", file="alice.ipynb"),
    ]
    export = render_canvas_csv(cards, column="Lab 1")
    assert [r[1] for r in _rows(export.csv)[2:]] == ["12345"]
    assert len(export.notes) == 1
    assert "alice" in export.notes[0]
    assert "--roster" in export.notes[0]


def test_canvas_csv_keeps_latest_upload_per_student() -> None:
    cards = [
        make_card("doejane_12345", file="doejane_12345_100_lab1.ipynb", failed={"1.1/rank": "x"}),
        make_card("doejane_12345-2", file="doejane_LATE_12345_250_lab1-1.ipynb"),
    ]
    export = render_canvas_csv(cards, column="Lab 1")
    assert _rows(export.csv)[2][-1] == "10"  # the later, full-marks upload
    assert export.rows == 1
    assert any("used the latest upload" in n for n in export.notes)


def test_canvas_roster_matches_by_id_login_and_name(tmp_path: Path) -> None:
    cards = [
        make_card("doejane_12345", file="doejane_12345_67890_lab1.ipynb"),  # Canvas id
        make_card("froe", file="froe.ipynb", failed={"1.1/rank": "x"}),  # SIS login
        make_card("poeed_1", file="poeed_1_2_lab1.py", failed={"1.2/func-unseen": "y"}),  # name
        make_card("stranger", file="stranger.ipynb"),
    ]
    export = render_canvas_csv(cards, column="Lab 1 Part 1", roster=read_roster(_roster(tmp_path)))
    rows = _rows(export.csv)
    assert rows[0][-1] == "Lab 1 Part 1 (4411)"  # the roster's own header updates that assignment
    assert rows[2:] == [
        ["Doe, Jane", "12345", "S001", "jdoe", "Section A", "10"],
        ["Roe, Fred", "222", "S002", "froe", "Section B", "8"],
        ["Poe, Ed", "333", "S003", "epoe", "Section A", "7.5"],
    ]
    assert any("stranger" in n for n in export.notes)


def test_canvas_roster_students_without_scorecard_are_left_out(tmp_path: Path) -> None:
    cards = [make_card("doejane_12345", file="doejane_12345_67890_lab1.ipynb")]
    export = render_canvas_csv(cards, column="Lab 1 Part 1", roster=read_roster(_roster(tmp_path)))
    assert [r[0] for r in _rows(export.csv)[2:]] == ["Doe, Jane"]
    note = next(n for n in export.notes if "no scorecard" in n)
    assert "Roe, Fred" in note
    assert "Student, Test" not in note
    assert "Canvas keeps their current grade" in note


def test_canvas_read_roster_skips_points_and_test_student(tmp_path: Path) -> None:
    roster = read_roster(_roster(tmp_path))
    assert [r.id for r in roster.rows] == ["12345", "222", "333"]
    assert roster.columns[0] == "Student"  # the byte-order mark Canvas writes is gone


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Name,Email\nJane,j@x\n", "no 'Student' or 'ID' column"),
        ("Student,Section\nJane,A\n", "no 'ID' column"),
    ],
    ids=["not-canvas", "no-id"],
)
def test_canvas_read_roster_rejects_other_csv(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(RosterError, match=message):
        read_roster(_roster(tmp_path, text))


def test_canvas_read_roster_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match="no such roster file"):
        read_roster(tmp_path / "missing.csv")


def test_canvas_csv_cells_cannot_become_formulas(tmp_path: Path) -> None:
    roster = _roster(
        tmp_path, 'Student,ID,SIS User ID,SIS Login ID,Section\n"=HYPERLINK(1)",5,,,\n'
    )
    cards = [make_card("x_5", file="x_5_6_lab1.ipynb")]
    rows = _rows(render_canvas_csv(cards, column="Lab", roster=read_roster(roster)).csv)
    assert rows[2][0] == "'=HYPERLINK(1)"

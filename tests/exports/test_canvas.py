"""Canvas gradebook CSV: the columns Canvas's import requires, ids from file names or a roster."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from grader.adjust import Override, Policy, adjust
from grader.errors import RosterError
from grader.exports.canvas import IDENTITY_COLUMNS, choose_column, read_roster, render_canvas_csv
from tests.exports.cards import make_card

ROSTER = """\ufeffStudent,ID,SIS User ID,SIS Login ID,Integration ID,Section,Lab 1 Part 1 (4411),Current Score
    Points Possible,,,,,,100,(read only)
"Doe, Jane",12345,S001,jdoe,,Section A,,80
"Roe, Fred",222,S002,froe,,Section B,50,70
"Poe, Ed",333,S003,epoe,,Section A,,60
"Student, Test",999,,,,Section A,,
"""


#: A roster as Canvas exports it mid-term: two assignments, computed columns after them.
TERM_ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Lab 1: Intro to TensorFlow (98765),Quiz 2 (11),Current Score,Final Score
    Points Possible,,,,,100,5,(read only),(read only)
"Doe, Jane",12345,S001,jdoe,Section A,,4,80,80
"""


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _roster(tmp_path: Path, text: str = ROSTER) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_canvas_csv_has_the_columns_canvas_requires() -> None:
    cards = [make_card("doejane_12345", file="doejane_12345_67890_lab1.ipynb")]
    export = render_canvas_csv(adjust(cards).results, column="Lab 1 Part 1")
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
    export = render_canvas_csv(adjust(cards).results, column="Lab 1")
    assert [r[1] for r in _rows(export.csv)[2:]] == ["12345"]
    (left_out,) = [n for n in export.notes if "left out" in n]
    assert "alice" in left_out
    assert "--roster" in left_out


def test_canvas_csv_without_roster_says_canvas_creates_a_column() -> None:
    cards = [make_card("doejane_12345", file="doejane_12345_67890_lab1.ipynb")]
    (note,) = render_canvas_csv(adjust(cards).results, column="lab1-part1").notes
    assert "creates a new assignment" in note
    assert "--roster" in note
    with_id = render_canvas_csv(adjust(cards).results, column="Lab 1 (98765)")
    assert with_id.notes == ()  # a header with Canvas's id lands in that assignment


def test_canvas_csv_keeps_latest_upload_per_student() -> None:
    cards = [
        make_card("doejane_12345", file="doejane_12345_100_lab1.ipynb", failed={"1.1/rank": "x"}),
        make_card("doejane_12345-2", file="doejane_LATE_12345_250_lab1-1.ipynb"),
    ]
    export = render_canvas_csv(adjust(cards).results, column="Lab 1")
    assert _rows(export.csv)[2][-1] == "10"  # the later, full-marks upload
    assert export.rows == 1
    assert any("used the latest upload" in n for n in export.notes)


def test_canvas_csv_says_when_an_override_is_on_an_upload_not_used() -> None:
    cards = [
        make_card("doejane_12345", file="doejane_12345_100_lab1.ipynb"),
        make_card("doejane_12345-2", file="doejane_12345_250_lab1-1.ipynb"),
    ]
    policy = Policy(overrides=(Override(1, "doejane_12345", "section", "1.1", 0, "r", "TA"),))
    (note,) = render_canvas_csv(adjust(cards, policy).results, column="Lab 1 (9)").notes
    assert "the overrides of doejane_12345 do not count: give them to doejane_12345-2" in note


def test_canvas_roster_matches_by_id_then_login_then_name(tmp_path: Path) -> None:
    cards = [
        make_card("doejane_12345", file="doejane_12345_67890_lab1.ipynb"),  # Canvas id
        make_card("froe", file="froe.ipynb", failed={"1.1/rank": "x"}),  # SIS login
        make_card("poeed", file="poeed.py", failed={"1.2/func-unseen": "y"}),  # name only
        make_card("stranger", file="stranger.ipynb"),
    ]
    roster = read_roster(_roster(tmp_path))
    export = render_canvas_csv(adjust(cards).results, column="Lab 1 Part 1 (4411)", roster=roster)
    rows = _rows(export.csv)
    assert rows[0][-1] == "Lab 1 Part 1 (4411)"
    assert rows[2:] == [  # the roster's order, names, SIS ids and sections
        ["Doe, Jane", "12345", "S001", "jdoe", "Section A", "10"],
        ["Roe, Fred", "222", "S002", "froe", "Section B", "8"],
        ["Poe, Ed", "333", "S003", "epoe", "Section A", "7.5"],
    ]
    (by_name,) = [n for n in export.notes if "by name alone" in n]
    assert "poeed -> 'Poe, Ed' (id 333)" in by_name
    assert "froe" not in by_name  # a login is an id, not a name
    assert any("stranger" in n and "match no roster student" in n for n in export.notes)


def test_canvas_roster_never_matches_another_canvas_id_by_name(tmp_path: Path) -> None:
    # Same sortable name as the roster's Jane Doe, but another Canvas user: someone else.
    cards = [make_card("doejane_555", file="doejane_555_67890_lab1.ipynb")]
    export = render_canvas_csv(
        adjust(cards).results, column="Lab 1 Part 1 (4411)", roster=read_roster(_roster(tmp_path))
    )
    assert export.rows == 0
    (note,) = [n for n in export.notes if "Canvas id the roster does not have" in n]
    assert "doejane_555 (Canvas id 555; the roster's 'Doe, Jane' has id 12345)" in note


def test_canvas_roster_points_possible_mismatch_is_reported(tmp_path: Path) -> None:
    cards = [make_card("doejane_12345", file="doejane_12345_67890_lab1.ipynb")]
    export = render_canvas_csv(
        adjust(cards).results, column="Lab 1 Part 1 (4411)", roster=read_roster(_roster(tmp_path))
    )
    (note,) = [n for n in export.notes if "worth" in n]
    assert "worth 100 points but the scorecards are out of 10" in note


@pytest.mark.parametrize(
    ("column", "names", "header"),
    [
        ("Lab 1: Intro to TensorFlow", (), "Lab 1: Intro to TensorFlow (98765)"),
        ("98765", (), "Lab 1: Intro to TensorFlow (98765)"),
        ("Lab 1: Intro to TensorFlow (98765)", (), "Lab 1: Intro to TensorFlow (98765)"),
        ("  lab 1:  intro to tensorflow ", (), "Lab 1: Intro to TensorFlow (98765)"),
        (
            None,
            ("Intro to TensorFlow (Lab 1, Part 1)", "lab1-part1"),
            "Lab 1: Intro to TensorFlow (98765)",
        ),
        (None, ("Quiz 2", "quiz"), "Quiz 2 (11)"),
    ],
    ids=["name", "id", "header", "spacing-and-case", "assignment-title-words", "exact-name"],
)
def test_canvas_choose_column_by_name_or_id(
    tmp_path: Path, column: str | None, names: tuple[str, ...], header: str
) -> None:
    roster = read_roster(_roster(tmp_path, TERM_ROSTER))
    chosen, how = choose_column(roster, column=column, names=names)
    assert chosen == header
    assert header in how


def test_canvas_choose_column_refuses_when_none_matches(tmp_path: Path) -> None:
    roster = read_roster(_roster(tmp_path, TERM_ROSTER))
    with pytest.raises(RosterError) as caught:
        choose_column(roster, column="Lab 2", names=())
    message = str(caught.value)
    assert "no assignment column for 'Lab 2'" in message
    assert "Lab 1: Intro to TensorFlow (98765)" in message  # what there is
    assert "--column" in message
    assert "--new-column" in message
    assert "Current Score" not in message  # not an assignment
    chosen, how = choose_column(roster, column="Lab 2", names=(), allow_new=True)
    assert chosen == "Lab 2"
    assert "create a new assignment column" in how


def test_canvas_choose_column_refuses_when_two_match(tmp_path: Path) -> None:
    roster = read_roster(_roster(tmp_path, TERM_ROSTER.replace("Quiz 2 (11)", "Lab 1 (12)")))
    with pytest.raises(RosterError, match="2 roster columns match"):
        choose_column(roster, column=None, names=("Intro to TensorFlow (Lab 1, Part 1)",))


def test_canvas_roster_students_without_scorecard_are_left_out(tmp_path: Path) -> None:
    cards = [make_card("doejane_12345", file="doejane_12345_67890_lab1.ipynb")]
    export = render_canvas_csv(
        adjust(cards).results, column="Lab 1 Part 1", roster=read_roster(_roster(tmp_path))
    )
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
    cards = [make_card("x_5", file="x_5_600_lab1.ipynb")]
    rows = _rows(
        render_canvas_csv(adjust(cards).results, column="Lab", roster=read_roster(roster)).csv
    )
    assert rows[2][0] == "'=HYPERLINK(1)"

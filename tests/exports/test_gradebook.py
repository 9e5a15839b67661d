"""The plain gradebook CSV: one row per student, one column per section."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from grader.adjust import LatePolicy, Override, Policy, adjust
from grader.exports.gradebook import render_gradebook_csv, section_columns
from tests.exports.cards import make_card


def _table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_gradebook_one_row_per_student_with_section_points() -> None:
    cards = [
        make_card("alice"),
        make_card("bob", failed={"1.1/rank": "x", "1.2/func-unseen": "y"}),
    ]
    text = render_gradebook_csv(adjust(cards).results)
    header = next(csv.reader(io.StringIO(text)))
    assert header == [
        "student",
        "file",
        "score",
        "max_score",
        "percent",
        "1.1 Tensors (5)",
        "1.2 Computations (5)",
        "late",
        "late_penalty",
        "graded_score",
        "overrides",
    ]
    rows = _table(text)
    assert [r["student"] for r in rows] == ["alice", "bob"]
    assert rows[1]["score"] == "5.5"
    assert rows[1]["percent"] == "55.0"
    assert rows[1]["1.1 Tensors (5)"] == "3"
    assert rows[1]["1.2 Computations (5)"] == "2.5"


def test_gradebook_late_flag_from_canvas_name() -> None:
    cards = [
        make_card("doejane_1", file="doejane_LATE_1_200_lab1.ipynb"),
        make_card("roefred_3", file="roefred_3_400_lab1.ipynb"),
        make_card("alice"),
    ]
    assert [r["late"] for r in _table(render_gradebook_csv(adjust(cards).results))] == [
        "yes",
        "no",
        "no",
    ]


def test_gradebook_missing_section_is_blank() -> None:
    full = make_card("alice")
    partial = replace(make_card("bob"), sections=full.sections[:1])
    rows = _table(render_gradebook_csv(adjust([full, partial]).results))
    assert rows[1]["1.2 Computations (5)"] == ""
    assert [c.id for c in section_columns([partial, full])] == ["1.1", "1.2"]


def test_gradebook_cells_cannot_become_formulas() -> None:
    rows = _table(render_gradebook_csv(adjust([make_card("=cmd", file="@evil.ipynb")]).results))
    assert rows[0]["student"] == "'=cmd"
    assert rows[0]["file"] == "'@evil.ipynb"


def test_gradebook_applies_overrides_and_late_penalty() -> None:
    cards = [make_card("doejane_1", file="doejane_LATE_1_200_lab1.ipynb", failed={"1.1/rank": "x"})]
    policy = Policy(
        overrides=(Override(1, "doejane_1", "check", "1.1/rank", 1, "partial credit", "TA"),),
        late=LatePolicy(per_day=5, days={"doejane_1": 2}),
    )
    (row,) = _table(render_gradebook_csv(adjust(cards, policy).results))
    # 8 graded + 1 override = 9, minus 10% of 10 for two days late
    assert (row["score"], row["percent"], row["1.1 Tensors (5)"]) == ("8", "80.0", "4")
    assert (row["graded_score"], row["late"], row["late_penalty"]) == ("8", "yes", "1")
    assert row["overrides"] == "1.1/rank: 0 -> 1 (partial credit; TA)"

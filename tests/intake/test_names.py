"""Canvas bulk-download file names: ids, the late flag, resubmission suffixes."""

from __future__ import annotations

import pytest

from grader.intake.names import CanvasName, parse_canvas_name, safe_id


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        (
            "doejane_12345_67890_lab1.ipynb",
            CanvasName("doejane_12345", "doejane", "12345", "67890", False, "lab1.ipynb", 0),
        ),
        (
            "doejane_LATE_12345_67890_lab1.ipynb",
            CanvasName("doejane_12345", "doejane", "12345", "67890", True, "lab1.ipynb", 0),
        ),
        (
            "doejane_late_12345_67890_lab1.py",
            CanvasName("doejane_12345", "doejane", "12345", "67890", True, "lab1.py", 0),
        ),
        (
            "doejane_12345_67891_lab1-2.ipynb",
            CanvasName("doejane_12345", "doejane", "12345", "67891", False, "lab1.ipynb", 2),
        ),
        (
            "roefred_LATE_222_333_Lab_1_Part_1-1.ipynb",
            CanvasName("roefred_222", "roefred", "222", "333", True, "Lab_1_Part_1.ipynb", 1),
        ),
        (
            "submissions/doejane_12345_67890_lab1.ipynb",
            CanvasName("doejane_12345", "doejane", "12345", "67890", False, "lab1.ipynb", 0),
        ),
        (
            "doejane_12345_67890_lab-1-final.ipynb",
            CanvasName("doejane_12345", "doejane", "12345", "67890", False, "lab-1-final.ipynb", 0),
        ),
    ],
    ids=["plain", "late", "late-lower-case", "resubmission", "late-resubmission-underscores",
         "in-folder", "hyphen-not-suffix"],
)  # fmt: skip
def test_parse_canvas_name_reads_fields(filename: str, expected: CanvasName) -> None:
    assert parse_canvas_name(filename) == expected


@pytest.mark.parametrize(
    "filename",
    [
        "alice.ipynb",
        "lab1_final.ipynb",
        "doejane_12a_67890_lab1.ipynb",
        "doejane_12345_lab1.ipynb",
        "_12345_67890_lab1.ipynb",
        "",
    ],
    ids=["plain-name", "underscore", "non-numeric-id", "one-id", "no-name", "empty"],
)
def test_parse_canvas_name_rejects_other_names(filename: str) -> None:
    assert parse_canvas_name(filename) is None


def test_parse_canvas_name_student_id_is_safe() -> None:
    parsed = parse_canvas_name("müllerjosé_77_880_lab1.ipynb")
    assert parsed is not None
    assert parsed.student_id == "mullerjose_77"
    assert safe_id(parsed.student_id) == parsed.student_id


def test_parse_canvas_name_same_student_same_id_across_uploads() -> None:
    first = parse_canvas_name("doejane_12345_100_lab1.ipynb")
    later = parse_canvas_name("doejane_LATE_12345_200_lab1-1.ipynb")
    assert first is not None
    assert later is not None
    assert first.student_id == later.student_id
    assert int(later.submission_id) > int(first.submission_id)


@pytest.mark.parametrize(
    "name", ["fails_1_3_1_relu.ipynb", "lab_1_2_final.py", "error_1_2_tf_substract.ipynb"]
)
def test_parse_canvas_name_students_own_numbered_names_are_not_canvas_names(name: str) -> None:
    # Canvas's attachment ids are long: `lab_1_2_x.py` must not make "1" someone's Canvas id.
    assert parse_canvas_name(name) is None

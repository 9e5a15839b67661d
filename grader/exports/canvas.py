"""Render scorecards as a CSV that Canvas's gradebook import accepts, optionally matched to a roster."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import RosterError
from grader.exports.summary import cell
from grader.intake.names import CanvasName, parse_canvas_name
from grader.scorecards import Scorecard, points

#: The identity columns of Canvas's gradebook CSV, in Canvas's order; the assignment column follows.
IDENTITY_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
_POINTS_POSSIBLE = "Points Possible"


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One student in Canvas's gradebook export."""

    student: str  # "Last, First", as Canvas writes it
    id: str  # Canvas user id
    sis_user_id: str
    sis_login_id: str
    section: str


@dataclass(frozen=True, slots=True)
class Roster:
    """A Canvas gradebook export: its students and its column headers."""

    rows: tuple[RosterRow, ...]
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CanvasExport:
    """The CSV text, and what the instructor should know about it."""

    csv: str
    column: str  # the assignment column header written
    rows: int  # students written
    notes: tuple[str, ...]  # scorecards left out, students without a scorecard, duplicates


def read_roster(path: Path) -> Roster:
    """Read Canvas's gradebook export (Grades > Export > Export Entire Gradebook)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RosterError(f"{path}: no such roster file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"{path}: cannot read the roster ({exc}); save it as UTF-8 CSV") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = tuple(c.strip() for c in reader.fieldnames or ())
    missing = [c for c in ("Student", "ID") if c not in columns]
    if missing:
        raise RosterError(
            f"{path}: no {' or '.join(repr(c) for c in missing)} column; give the CSV that Canvas's "
            "Grades > Export > Export Entire Gradebook downloads"
        )
    rows = []
    for raw in reader:
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
        # Skips the "Points Possible" and posting-policy rows, whose ID cell is empty.
        if not row.get("ID", "").isdigit() or row.get("Student") == "Student, Test":
            continue
        rows.append(
            RosterRow(
                student=row.get("Student", ""),
                id=row["ID"],
                sis_user_id=row.get("SIS User ID", ""),
                sis_login_id=row.get("SIS Login ID", ""),
                section=row.get("Section", ""),
            )
        )
    return Roster(tuple(rows), columns)


def render_canvas_csv(
    cards: Sequence[Scorecard], *, column: str, roster: Roster | None = None
) -> CanvasExport:
    """One row per student Canvas can identify: the identity columns, then `column` = the score.

    With a roster, rows follow its order and carry its names, SIS ids and sections, and `column`
    becomes the roster's own header for that assignment (`Lab 1 (12345)`) when it has one.
    """
    notes: list[str] = []
    chosen = _latest_per_student(cards, notes)
    header_column = _roster_column(roster, column) if roster else column
    rows: list[list[str]] = []
    if roster is None:
        for card, canvas in chosen:
            if canvas is None:
                continue
            rows.append([card.student, canvas.user_id, "", "", "", _score(card)])
        unidentified = [card.student for card, canvas in chosen if canvas is None]
        if unidentified:
            notes.append(
                f"{len(unidentified)} scorecard(s) left out: their file names are not Canvas's "
                f"download names, so they carry no Canvas id ({_names(unidentified)}); "
                "pass --roster with Canvas's gradebook export to match them by login or name"
            )
    else:
        matched = _match(chosen, roster, notes=notes)
        for student in roster.rows:
            found = matched.get(student.id)
            if found is not None:
                rows.append(
                    [
                        student.student,
                        student.id,
                        student.sis_user_id,
                        student.sis_login_id,
                        student.section,
                        _score(found),
                    ]
                )
        without = [student.student for student in roster.rows if student.id not in matched]
        if without:
            notes.append(
                f"{len(without)} student(s) in the roster have no scorecard and are not in the "
                f"file, so Canvas keeps their current grade: {_names(without)}"
            )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*IDENTITY_COLUMNS, header_column])
    max_score = max((c.max_score for c in cards), default=0.0)
    writer.writerow([_POINTS_POSSIBLE, "", "", "", "", str(points(max_score))])
    for values in rows:
        writer.writerow([cell(v) for v in values])
    return CanvasExport(out.getvalue(), header_column, len(rows), tuple(notes))


def _score(card: Scorecard) -> str:
    return str(points(card.score))


def _names(names: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _latest_per_student(
    cards: Sequence[Scorecard], notes: list[str]
) -> list[tuple[Scorecard, CanvasName | None]]:
    """One scorecard per Canvas user: the latest upload (Canvas ids and `-n` suffixes grow)."""
    by_user: dict[str, list[tuple[Scorecard, CanvasName]]] = {}
    result: list[tuple[Scorecard, CanvasName | None]] = []
    for card in cards:
        canvas = parse_canvas_name(card.submission.path)
        if canvas is None:
            result.append((card, None))
        else:
            by_user.setdefault(canvas.user_id, []).append((card, canvas))
    for user_id, items in by_user.items():
        items.sort(key=lambda it: (int(it[1].submission_id), it[1].resubmission))
        result.append(items[-1])
        if len(items) > 1:
            notes.append(
                f"{len(items)} scorecards for Canvas user {user_id} "
                f"({_names([c.student for c, _ in items])}); used the latest upload, "
                f"{items[-1][0].submission.path}"
            )
    return sorted(result, key=lambda it: it[0].student.lower())


def _roster_column(roster: Roster, column: str) -> str:
    """The roster's header for `column`: Canvas appends the assignment id, `Lab 1 (12345)`."""
    for header in roster.columns:
        if header == column or re.fullmatch(re.escape(column) + r" \(\d+\)", header):
            return header
    return column


def _fold(text: str) -> str:
    """A name as Canvas writes it in download file names: lower case ASCII letters and digits."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def _match(
    chosen: Sequence[tuple[Scorecard, CanvasName | None]], roster: Roster, *, notes: list[str]
) -> dict[str, Scorecard]:
    """Map roster ids to scorecards: by Canvas user id, then SIS login or user id, then name."""
    by_id = {r.id: r for r in roster.rows}
    by_login: dict[str, list[RosterRow]] = {}
    by_name: dict[str, list[RosterRow]] = {}
    for r in roster.rows:
        for key in {r.sis_login_id.lower(), r.sis_user_id.lower()} - {""}:
            by_login.setdefault(key, []).append(r)
        by_name.setdefault(_fold(r.student), []).append(r)
    matched: dict[str, Scorecard] = {}
    unmatched: list[str] = []
    for card, canvas in chosen:
        row: RosterRow | None = None
        if canvas is not None and canvas.user_id in by_id:
            row = by_id[canvas.user_id]
        else:
            login = by_login.get(card.student.lower(), [])
            named = by_name.get(_fold(canvas.name), []) if canvas else []
            if len(login) == 1:
                row = login[0]
            elif len(named) == 1:
                row = named[0]
        if row is None or row.id in matched:
            unmatched.append(card.student)
        else:
            matched[row.id] = card
    if unmatched:
        notes.append(
            f"{len(unmatched)} scorecard(s) match no roster student and are not in the file: "
            f"{_names(unmatched)}"
        )
    return matched

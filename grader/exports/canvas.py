"""Render results as a CSV that Canvas's gradebook import accepts, matched to a roster when given.

Canvas's import puts a column into an existing assignment when its header carries that
assignment's id (`Lab 1: Intro to TensorFlow (98765)`) or is exactly its title; any other header
becomes a new assignment. Rows are matched to students by the `ID` column (Canvas's user id).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.adjust import Adjusted
from grader.errors import RosterError
from grader.exports.summary import cell
from grader.intake.names import CanvasName, parse_canvas_name
from grader.scorecards import points

#: The identity columns of Canvas's gradebook CSV, in Canvas's order; the assignment column follows.
IDENTITY_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
_POINTS_POSSIBLE = "Points Possible"
_ASSIGNMENT_HEADER = re.compile(r"^(?P<name>.*\S)\s*\((?P<id>\d+)\)$")


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
    points_possible: Mapping[str, str] = field(default_factory=dict)  # header -> its cell

    def assignment_columns(self) -> tuple[str, ...]:
        """The headers that name an assignment with its id, `Name (id)`, in roster order."""
        return tuple(c for c in self.columns if _ASSIGNMENT_HEADER.match(c))


@dataclass(frozen=True, slots=True)
class CanvasExport:
    """The CSV text, and what the instructor should know about it."""

    csv: str
    column: str  # the assignment column header written
    rows: int  # students written
    notes: tuple[str, ...]  # the column chosen, scorecards left out, name-only matches, duplicates


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
    possible: dict[str, str] = {}
    for raw in reader:
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
        if row.get("Student") == _POINTS_POSSIBLE:
            possible = {k: v for k, v in row.items() if v and k != "Student"}
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
    return Roster(tuple(rows), columns, possible)


def choose_column(
    roster: Roster, *, column: str | None, names: Sequence[str], allow_new: bool = False
) -> tuple[str, str]:
    """The roster's header to write grades under, and a note saying how it was chosen.

    `column` (the instructor's `--column`) matches a header, its name or its id exactly. Without
    it, the assignment's `names` (title, folder name) match a name exactly, or all of one
    column's words appear in them. No match, or more than one, is a RosterError that lists the
    roster's assignment columns, unless `allow_new` says Canvas may create the column.
    """
    headers = roster.assignment_columns()
    names = list(dict.fromkeys(names))  # the title may be the folder name
    if column is not None:
        found = [h for h in headers if column.strip() in (h, *_name_and_id(h))] or [
            h for h in headers if _norm(column) == _norm(_name_and_id(h)[0])
        ]
        wanted = repr(column)
    else:
        found = [h for h in headers if any(_norm(n) == _norm(_name_and_id(h)[0]) for n in names)]
        how = "its name is the assignment's"
        if not found:
            found = [h for h in headers if any(_words_in(_name_and_id(h)[0], n) for n in names)]
            how = f"every word of its name is in {names[0]!r}; pass --column to choose another"
        wanted = " or ".join(repr(n) for n in names)
    if len(found) == 1:
        how = "as --column asked" if column is not None else how
        return found[0], f"grades go in the roster's column {found[0]!r} ({how})"
    if len(found) > 1:
        raise RosterError(
            f"{len(found)} roster columns match {wanted}: {_names(list(found))}; "
            "pass --column with the assignment's id (the number in brackets)"
        )
    new = column if column is not None else names[0]
    if allow_new:
        return new, f"Canvas will create a new assignment column {new!r} on import (--new-column)"
    listed = _names(list(headers)) if headers else "none"
    raise RosterError(
        f"the roster has no assignment column for {wanted} (its assignment columns: {listed}); "
        "pass --column with one of those names or its id, or --new-column to have Canvas create one"
    )


def render_canvas_csv(
    results: Sequence[Adjusted], *, column: str, roster: Roster | None = None
) -> CanvasExport:
    """One row per student Canvas can identify: the identity columns, then `column` = the score.

    With a roster, rows follow its order and carry its names, SIS ids and sections; `column`
    should be the header `choose_column` picked. Scores have overrides and late penalty applied.
    """
    notes: list[str] = []
    chosen, duplicates = latest_per_user(results)
    notes += duplicates
    rows: list[list[str]] = []
    if roster is None:
        if _ASSIGNMENT_HEADER.match(column) is None:
            notes.append(
                f"no --roster: Canvas puts column {column!r} into an assignment titled exactly "
                "that, or else creates a new assignment; give --roster (Canvas's gradebook "
                "export) to land in an existing column"
            )
        for result, canvas in chosen:
            if canvas is not None:
                rows.append([result.student, canvas.user_id, "", "", "", _score(result)])
        unidentified = [result.student for result, canvas in chosen if canvas is None]
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
    max_score = max((r.max_score for r in results), default=0.0)
    if roster is not None and column in roster.points_possible:
        canvas_points = roster.points_possible[column]
        if _number(canvas_points) not in (None, max_score):
            notes.append(
                f"Canvas's column {column!r} is worth {canvas_points} points but the scorecards "
                f"are out of {points(max_score)}: set the assignment's points in Canvas to "
                f"{points(max_score)}, or Canvas shows these scores out of {canvas_points}"
            )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*IDENTITY_COLUMNS, column])
    writer.writerow([_POINTS_POSSIBLE, "", "", "", "", str(points(max_score))])
    for values in rows:
        writer.writerow([cell(v) for v in values])
    return CanvasExport(out.getvalue(), column, len(rows), tuple(notes))


def latest_per_user(
    results: Sequence[Adjusted],
) -> tuple[list[tuple[Adjusted, CanvasName | None]], list[str]]:
    """One result per Canvas user, the latest upload (Canvas ids and `-n` suffixes grow); notes.

    Results whose file name is not a Canvas download name are all kept, with `None`.
    """
    by_user: dict[str, list[tuple[Adjusted, CanvasName]]] = {}
    chosen: list[tuple[Adjusted, CanvasName | None]] = []
    notes: list[str] = []
    for result in results:
        canvas = parse_canvas_name(result.card.submission.path)
        if canvas is None:
            chosen.append((result, None))
        else:
            by_user.setdefault(canvas.user_id, []).append((result, canvas))
    for user_id, items in by_user.items():
        items.sort(key=lambda it: (int(it[1].submission_id), it[1].resubmission))
        chosen.append(items[-1])
        if len(items) > 1:
            unused = [r.student for r, _ in items[:-1] if r.overrides]
            notes.append(
                f"{len(items)} scorecards for Canvas user {user_id} "
                f"({_names([r.student for r, _ in items])}); used the latest upload, "
                f"{items[-1][0].card.submission.path}"
                + (
                    f"; the overrides of {_names(unused)} do not count: give them to "
                    f"{items[-1][0].student}"
                    if unused
                    else ""
                )
            )
    return sorted(chosen, key=lambda it: it[0].student.lower()), notes


def _score(result: Adjusted) -> str:
    return str(points(result.score))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _names(names: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _name_and_id(header: str) -> tuple[str, str]:
    m = _ASSIGNMENT_HEADER.match(header)
    return (m["name"], m["id"]) if m else (header, "")


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", _fold_accents(text).lower())


def _words_in(column_name: str, assignment_name: str) -> bool:
    """Every word of the column's name is a word of the assignment's (`Lab 1: Intro ...`)."""
    words = _words(column_name)
    return bool(words) and set(words) <= set(_words(assignment_name))


def _fold_accents(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _fold(text: str) -> str:
    """A name as Canvas writes it in download file names: lower case ASCII letters and digits."""
    return re.sub(r"[^a-z0-9]", "", _fold_accents(text).lower())


def _match(
    chosen: Sequence[tuple[Adjusted, CanvasName | None]], roster: Roster, *, notes: list[str]
) -> dict[str, Adjusted]:
    """Map roster ids to results: by Canvas user id; else SIS login or user id; else by name.

    A file that carries a Canvas id is matched by that id only: a roster student of the same name
    but another id is someone else (or another course), and is named in a note instead. A match
    by name alone is made only when the name is unique, and is always reported.
    """
    by_id = {r.id: r for r in roster.rows}
    by_login: dict[str, list[RosterRow]] = {}
    by_name: dict[str, list[RosterRow]] = {}
    for r in roster.rows:
        for key in {r.sis_login_id.lower(), r.sis_user_id.lower()} - {""}:
            by_login.setdefault(key, []).append(r)
        by_name.setdefault(_fold(r.student), []).append(r)
    matched: dict[str, Adjusted] = {}
    unmatched: list[str] = []
    wrong_id: list[str] = []
    by_name_only: list[str] = []
    for result, canvas in chosen:
        row: RosterRow | None = None
        if canvas is not None:
            row = by_id.get(canvas.user_id)
            if row is None:
                namesakes = by_name.get(_fold(canvas.name), [])
                if namesakes:
                    wrong_id.append(
                        f"{result.student} (Canvas id {canvas.user_id}; the roster's "
                        f"{namesakes[0].student!r} has id {namesakes[0].id})"
                    )
                    continue
        else:
            login = by_login.get(result.student.lower(), [])
            named = by_name.get(_fold(result.student), [])
            if len(login) == 1:
                row = login[0]
            elif len(named) == 1:
                row = named[0]
                by_name_only.append(f"{result.student} -> {row.student!r} (id {row.id})")
        if row is None or row.id in matched:
            unmatched.append(result.student)
        else:
            matched[row.id] = result
    if by_name_only:
        notes.append(
            f"{len(by_name_only)} scorecard(s) matched to a roster student by name alone: "
            f"{_names(by_name_only)}; check them before importing"
        )
    if wrong_id:
        notes.append(
            f"{len(wrong_id)} scorecard(s) carry a Canvas id the roster does not have and are not "
            f"in the file, although a roster student has the same name: {_names(wrong_id)}; is "
            "the roster from the course these submissions were downloaded from?"
        )
    if unmatched:
        notes.append(
            f"{len(unmatched)} scorecard(s) match no roster student and are not in the file: "
            f"{_names(unmatched)}"
        )
    return matched

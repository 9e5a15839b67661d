"""overrides.toml: the instructor's per-student overrides and late policy, read and checked."""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from grader.errors import OverridesError

__all__ = ["OVERRIDES_FILE", "LatePolicy", "Override", "Policy", "load_policy", "read_policy"]

#: The file beside the scorecards that holds the instructor's overrides and late policy.
OVERRIDES_FILE = "overrides.toml"

Target = Literal["check", "section"]

_OVERRIDE_KEYS = ("student", "check", "section", "points", "reason", "by")
_LATE_KEYS = ("per_day", "max_penalty", "due", "days", "submitted")


@dataclass(frozen=True, slots=True)
class Override:
    """One entry of overrides.toml: a check or section of one student earns `points`."""

    number: int  # its place in the file (1 for the first [[override]]), for messages
    student: str
    kind: Target
    target: str  # a check id ("1.3.1/weight-shapes") or a section id ("1.3.1")
    points: float
    reason: str  # shown to the student on their feedback page
    by: str  # who decided


@dataclass(frozen=True, slots=True)
class LatePolicy:
    """Points lost for lateness: `per_day` % a day, at most `max_penalty` % of the total."""

    per_day: float  # % of the assignment's points lost per day, or part of a day, late
    max_penalty: float = 100.0  # % of the assignment's points: the most lateness can cost
    due: dt.datetime | None = None  # the due date, to count days from `submitted`
    days: Mapping[str, int] = field(default_factory=dict)  # student -> days late (0 excuses)
    submitted: Mapping[str, dt.datetime] = field(default_factory=dict)  # student -> when


@dataclass(frozen=True, slots=True)
class Policy:
    """What overrides.toml says; the empty policy changes nothing."""

    overrides: tuple[Override, ...] = ()
    late: LatePolicy | None = None
    source: str = ""  # the file it was read from; "" when there was none


def load_policy(folder: Path, path: Path | None = None) -> Policy:
    """`path`, else `folder`/overrides.toml when it exists, else the empty policy."""
    if path is not None:
        return read_policy(path)
    default = folder / OVERRIDES_FILE
    return read_policy(default) if default.is_file() else Policy()


def read_policy(path: Path) -> Policy:
    """Read and check an overrides file; every mistake is an OverridesError that says what to fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OverridesError(
            f"{path}: no such overrides file; create it or leave out --overrides"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OverridesError(f"{path}: cannot read it ({exc}); save it as UTF-8 text") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OverridesError(f"{path}: not valid TOML ({exc}); fix it and run again") from None
    _only(document, ("override", "late"), where=f"{path}", what="table")
    entries = document.get("override", [])
    if not isinstance(entries, list):
        raise OverridesError(f"{path}: write each override as an [[override]] table (two brackets)")
    overrides = tuple(_override(n, e, path) for n, e in enumerate(entries, start=1))
    seen: dict[tuple[str, str], int] = {}
    for o in overrides:
        first = seen.setdefault((o.student, o.target), o.number)
        if first != o.number:
            raise OverridesError(
                f"{path}: overrides {first} and {o.number} both set {o.student}'s {o.target}; "
                "keep one"
            )
    late = document.get("late")
    return Policy(
        overrides=overrides,
        late=_late(late, path) if late is not None else None,
        source=str(path),
    )


def _only(table: Mapping[str, object], keys: Sequence[str], *, where: str, what: str) -> None:
    unknown = sorted(set(table) - set(keys))
    if unknown:
        raise OverridesError(
            f"{where}: unknown {what} {', '.join(repr(k) for k in unknown)}; "
            f"the {what}s are {', '.join(keys)}"
        )


def _text(entry: Mapping[str, object], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise OverridesError(f'{where}: give {key} = "..." (text, not empty)')
    return value.strip()


def _number(value: object, key: str, where: str, *, top: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise OverridesError(f"{where}: {key} must be a number")
    if value < 0 or (top is not None and value > top):
        limit = f"between 0 and {top:g}" if top is not None else "0 or more"
        raise OverridesError(f"{where}: {key} = {value:g} is not allowed; give {limit}")
    return float(value)


def _override(number: int, entry: object, path: Path) -> Override:
    where = f"{path}, override {number}"
    if not isinstance(entry, dict):
        raise OverridesError(f"{where}: write it as an [[override]] table")
    _only(entry, _OVERRIDE_KEYS, where=where, what="key")
    student = _text(entry, "student", where)
    has_check, has_section = "check" in entry, "section" in entry
    if has_check == has_section:
        raise OverridesError(
            f'{where}: give either check = "<check id>" or section = "<section id>", not '
            + ("both" if has_check else "neither")
        )
    kind: Target = "check" if has_check else "section"
    if "points" not in entry:
        raise OverridesError(f"{where}: give points = N (what the {kind} earns instead)")
    return Override(
        number=number,
        student=student,
        kind=kind,
        target=_text(entry, kind, where),
        points=_number(entry["points"], "points", where),
        reason=_text(entry, "reason", where),
        by=_text(entry, "by", where),
    )


def _moment(value: object, key: str, where: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise OverridesError(
            f"{where}: {key} must be a date and time with its UTC offset, "
            "e.g. 2026-02-06T23:59:00-05:00"
        )
    return value


def _late(table: object, path: Path) -> LatePolicy:
    where = f"{path}, [late]"
    if not isinstance(table, dict):
        raise OverridesError(f"{where}: write the late policy as a [late] table")
    _only(table, _LATE_KEYS, where=where, what="key")
    if "per_day" not in table:
        raise OverridesError(f"{where}: give per_day = N (% of the points lost per day late)")
    due = _moment(table["due"], "due", where) if "due" in table else None
    days_table = table.get("days", {})
    submitted_table = table.get("submitted", {})
    if not isinstance(days_table, dict) or not isinstance(submitted_table, dict):
        raise OverridesError(f"{where}: days and submitted are tables of student = value")
    days: dict[str, int] = {}
    for student, value in days_table.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise OverridesError(
                f"{where}: days.{student} must be a whole number of days, 0 or more"
            )
        days[student] = value
    submitted = {s: _moment(v, f"submitted.{s}", where) for s, v in submitted_table.items()}
    if submitted and due is None:
        raise OverridesError(f"{where}: submission times need the due date: give due = ...")
    return LatePolicy(
        per_day=_number(table["per_day"], "per_day", where, top=100),
        max_penalty=_number(table.get("max_penalty", 100.0), "max_penalty", where, top=100),
        due=due,
        days=days,
        submitted=submitted,
    )

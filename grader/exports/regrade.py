"""Compare two gradings of a class (before and after a regrade): who changed, by how much, where."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from grader.adjust import Adjusted, AdjustedClass
from grader.scorecards import CheckScore
from grader.terminal import safe_text

__all__ = [
    "CheckChange",
    "PointsChange",
    "RegradeDiff",
    "StudentChange",
    "diff_results",
    "render_diff",
]

ChangeKind = Literal["changed", "added", "removed"]


@dataclass(frozen=True, slots=True)
class CheckChange:
    """One check whose status or points differ for a student; `None` when it is not there."""

    id: str
    old: CheckScore | None
    new: CheckScore | None


@dataclass(frozen=True, slots=True)
class StudentChange:
    """A student whose result differs, or who is in only one of the two gradings."""

    student: str
    kind: ChangeKind
    old: Adjusted | None
    new: Adjusted | None
    checks: tuple[CheckChange, ...]

    @property
    def delta(self) -> float:
        """Change of the final score (overrides and late policy applied); 0 when added/removed."""
        if self.old is None or self.new is None:
            return 0.0
        return self.new.score - self.old.score


@dataclass(frozen=True, slots=True)
class PointsChange:
    """A check worth other points in the new grading (its spec changed); `None`: not there."""

    id: str
    old: float | None
    new: float | None


@dataclass(frozen=True, slots=True)
class RegradeDiff:
    """What differs between two gradings of the same assignment."""

    students: tuple[StudentChange, ...]  # changed first (largest change first), then added, removed
    points: tuple[PointsChange, ...]
    compared: int  # students in both gradings
    old_mean: float | None  # mean final score
    new_mean: float | None
    notes: tuple[str, ...]  # e.g. the two sides applied different overrides

    @property
    def changed(self) -> bool:
        return bool(self.students or self.points)


def diff_results(old: AdjustedClass, new: AdjustedClass) -> RegradeDiff:
    """Compare by student id: final and graded totals, and each check's status and points."""
    before = {r.student: r for r in old.results}
    after = {r.student: r for r in new.results}
    changes: list[StudentChange] = []
    for student in sorted(before.keys() & after.keys(), key=str.lower):
        o, n = before[student], after[student]
        checks = _check_changes(_checks(o), _checks(n))
        if checks or o.score != n.score or o.graded != n.graded:
            changes.append(StudentChange(student, "changed", o, n, checks))
    changes.sort(key=lambda c: -abs(c.delta))
    for student in sorted(after.keys() - before.keys(), key=str.lower):
        changes.append(StudentChange(student, "added", None, after[student], ()))
    for student in sorted(before.keys() - after.keys(), key=str.lower):
        changes.append(StudentChange(student, "removed", before[student], None, ()))
    notes = []
    counts = len(old.policy.overrides), len(new.policy.overrides)
    if counts[0] != counts[1] or bool(old.policy.late) != bool(new.policy.late):
        notes.append(
            f"the two sides apply different overrides files (old: {_policy(old)}; new: "
            f"{_policy(new)}): final scores differ by them; copy overrides.toml beside the new "
            "scorecards to carry the overrides over"
        )
    return RegradeDiff(
        students=tuple(changes),
        points=_points_changes(old.results, new.results),
        compared=len(before.keys() & after.keys()),
        old_mean=statistics.fmean(r.score for r in old.results) if old.results else None,
        new_mean=statistics.fmean(r.score for r in new.results) if new.results else None,
        notes=tuple(notes),
    )


def _policy(side: AdjustedClass) -> str:
    policy = side.policy
    if not policy.source:
        return "none"
    late = ", a late policy" if policy.late else ""
    return f"{policy.source}, {len(policy.overrides)} override(s){late}"


def _checks(result: Adjusted) -> dict[str, CheckScore]:
    return {c.id: c for s in result.card.sections for c in s.checks}


def _check_changes(
    old: Mapping[str, CheckScore], new: Mapping[str, CheckScore]
) -> tuple[CheckChange, ...]:
    out = []
    for cid in [*old, *(c for c in new if c not in old)]:
        o, n = old.get(cid), new.get(cid)
        if o is None or n is None or (o.status, o.score) != (n.status, n.score):
            out.append(CheckChange(cid, o, n))
    return tuple(out)


def _points_changes(old: Sequence[Adjusted], new: Sequence[Adjusted]) -> tuple[PointsChange, ...]:
    def worth(results: Sequence[Adjusted]) -> dict[str, float]:
        found: dict[str, float] = {}
        for r in results:
            for cid, check in _checks(r).items():
                found.setdefault(cid, check.max_score)
        return found

    before, after = worth(old), worth(new)
    if not before or not after:
        return ()
    ids = [*before, *(c for c in after if c not in before)]
    return tuple(
        PointsChange(cid, before.get(cid), after.get(cid))
        for cid in ids
        if before.get(cid) != after.get(cid)
    )


def _n(x: float | None) -> str:
    return "-" if x is None else f"{x:g}"


def _check_text(c: CheckChange) -> str:
    def side(s: CheckScore | None) -> str:
        return "absent" if s is None else f"{s.status} {s.score:g}/{s.max_score:g}"

    return f"{c.id}: {side(c.old)} -> {side(c.new)}"


def render_diff(diff: RegradeDiff, *, old_label: str, new_label: str) -> str:
    """The diff as an instructor reads it in a terminal, ending with a one-line summary."""
    lines = [f"Regrade diff: {safe_text(old_label)} -> {safe_text(new_label)}"]
    lines += [f"note: {safe_text(n)}" for n in diff.notes]
    if diff.points:
        lines.append(
            "Checks worth other points now: "
            + ", ".join(f"{p.id} {_n(p.old)} -> {_n(p.new)}" for p in diff.points)
        )
    changed = [c for c in diff.students if c.kind == "changed"]
    width = max((len(c.student) for c in diff.students), default=7)
    if changed:
        lines.append(f"Changed ({len(changed)}):")
    for c in changed:
        assert c.old is not None
        assert c.new is not None
        lines.append(
            f"  {safe_text(c.student):<{width}}  score {_n(c.old.score)} -> {_n(c.new.score)} "
            f"({c.delta:+g}); graded {_n(c.old.graded)} -> {_n(c.new.graded)}"
        )
        lines += [f"  {'':<{width}}    {_check_text(k)}" for k in c.checks]
    for kind, title in (
        ("added", "Only in the new grading"),
        ("removed", "Only in the old grading"),
    ):
        these = [c for c in diff.students if c.kind == kind]
        if these:
            lines.append(f"{title} ({len(these)}):")
            for c in these:
                result = c.new if c.new is not None else c.old
                assert result is not None
                lines.append(f"  {safe_text(c.student):<{width}}  score {_n(result.score)}")
    lines.append(summary_line(diff))
    return "\n".join(lines) + "\n"


def summary_line(diff: RegradeDiff) -> str:
    """`2 of 40 students changed (1 up, 1 down), 0 added, 0 removed; mean score 71 -> 71.5`."""
    changed = [c for c in diff.students if c.kind == "changed"]
    up = sum(c.delta > 0 for c in changed)
    down = sum(c.delta < 0 for c in changed)
    added = sum(c.kind == "added" for c in diff.students)
    removed = sum(c.kind == "removed" for c in diff.students)

    def mean(x: float | None) -> str:
        return "-" if x is None else f"{x:.2f}".rstrip("0").rstrip(".")

    text = (
        f"{len(changed)} of {diff.compared} students changed ({up} up, {down} down, "
        f"{len(changed) - up - down} same total), {added} added, {removed} removed; "
        f"mean score {mean(diff.old_mean)} -> {mean(diff.new_mean)}"
    )
    return text if diff.changed else "No change: " + text

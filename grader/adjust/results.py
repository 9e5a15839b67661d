"""Apply a Policy to scorecards: the adjusted results every export, report and diff reads."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from grader.adjust.policy import OVERRIDES_FILE, LatePolicy, Override, Policy
from grader.intake.names import parse_canvas_name
from grader.scorecards import Scorecard, SectionScore
from grader.status import Visibility

__all__ = ["Adjusted", "AdjustedClass", "AppliedOverride", "LatePenalty", "adjust", "is_late"]

#: How a late penalty's days were counted: Canvas's late flag alone (one day), the submission
#: time against the due date, or the instructor's own count.
DaysBasis = Literal["flag", "submitted", "days"]

_DAY = 86400.0


@dataclass(frozen=True, slots=True)
class AppliedOverride:
    """An override as applied to one scorecard: what the grader gave, what counts now."""

    override: Override
    section: str  # the section the target is in (the target itself for a section override)
    title: str  # the check's or section's title
    visibility: Visibility  # a hidden check's override is shown without its name unless released
    graded: float  # points the grader gave
    points: float  # points it earns now: the override's, at most `max_score`
    max_score: float

    @property
    def delta(self) -> float:
        return self.points - self.graded


@dataclass(frozen=True, slots=True)
class LatePenalty:
    """Points taken off a late submission, and how they were counted."""

    days: int
    basis: DaysBasis
    percent: float  # of the assignment's points, after the cap
    points: float  # taken off (never more than the student had)


@dataclass(frozen=True, slots=True)
class Adjusted:
    """One student's result as every export shows it: the scorecard plus the instructor's say."""

    card: Scorecard
    score: float  # what the student gets: graded, plus overrides, minus the late penalty
    overridden: float  # graded plus overrides, before the late penalty
    section_scores: Mapping[str, float]  # section id -> points after overrides
    check_scores: Mapping[str, float]  # check id -> points after overrides
    overrides: tuple[AppliedOverride, ...]
    late: bool  # Canvas flagged the submission late, or the policy counts days late for it
    penalty: LatePenalty | None

    @property
    def student(self) -> str:
        return self.card.student

    @property
    def graded(self) -> float:
        return self.card.score

    @property
    def max_score(self) -> float:
        return self.card.max_score

    @property
    def changed(self) -> bool:
        """Whether the instructor's adjustments changed the grader's score."""
        return bool(self.overrides) or self.penalty is not None


@dataclass(frozen=True, slots=True)
class AdjustedClass:
    """Every student's adjusted result, in the scorecards' order, and what did not apply."""

    results: tuple[Adjusted, ...]
    warnings: tuple[str, ...]
    policy: Policy


def is_late(card: Scorecard) -> bool:
    """Canvas flagged the submission late (in the scorecard, or in its download file name)."""
    canvas = parse_canvas_name(card.submission.path)
    return card.late or (canvas is not None and canvas.late)


def adjust(cards: Sequence[Scorecard], policy: Policy | None = None) -> AdjustedClass:
    """Apply `policy` to every scorecard; what applies to nothing comes back as a warning."""
    policy = policy or Policy()
    source = Path(policy.source).name if policy.source else OVERRIDES_FILE
    warnings: list[str] = []
    students = {c.student for c in cards}
    by_student: dict[str, list[Override]] = {}
    for o in policy.overrides:
        if o.student in students:
            by_student.setdefault(o.student, []).append(o)
        else:
            warnings.append(
                f"{source}: override {o.number} ({o.student}, {o.target}) not applied: there is "
                f"no scorecard for student {o.student!r}; the student ids are the scorecards' "
                "file names without .json"
            )
    results = []
    counted_one_day: list[str] = []
    for card in cards:
        applied = _apply_overrides(card, by_student.get(card.student, []), source, warnings)
        section_scores = {s.id: s.score for s in card.sections}
        check_scores = {c.id: c.score for s in card.sections for c in s.checks}
        for a in applied:
            if a.override.kind == "check":
                check_scores[a.override.target] = a.points
                section_scores[a.section] += a.delta
            else:
                section_scores[a.section] = a.points
        overridden = max(0.0, card.score + sum(a.delta for a in applied))
        penalty = _penalty(card, overridden, policy.late)
        if penalty is not None and penalty.basis == "flag":
            counted_one_day.append(card.student)
        results.append(
            Adjusted(
                card=card,
                score=round(overridden - (penalty.points if penalty else 0.0), 6),
                overridden=overridden,
                section_scores=section_scores,
                check_scores=check_scores,
                overrides=tuple(applied),
                late=is_late(card) or penalty is not None,
                penalty=penalty,
            )
        )
    if policy.late is not None:
        named = set(policy.late.days) | set(policy.late.submitted)
        for student in sorted(named - students):
            warnings.append(
                f"{source}: [late] names {student!r}, who has no scorecard: not applied; "
                "the student ids are the scorecards' file names without .json"
            )
    if counted_one_day:
        warnings.append(
            f"{source}: {len(counted_one_day)} submission(s) Canvas flagged late have no day "
            f"count or submission time, so each lost one day's penalty: "
            f"{', '.join(counted_one_day[:10])}{' and more' if len(counted_one_day) > 10 else ''}; "
            "give [late] days = { student = N } to count them exactly"
        )
    return AdjustedClass(tuple(results), tuple(warnings), policy)


def _apply_overrides(
    card: Scorecard, overrides: Sequence[Override], source: str, warnings: list[str]
) -> list[AppliedOverride]:
    sections = {s.id: s for s in card.sections}
    checks = {c.id: (s, c) for s in card.sections for c in s.checks}
    applied: list[AppliedOverride] = []
    for o in overrides:
        label = f"{source}: override {o.number} ({o.student}, {o.target})"
        if o.kind == "section":
            section = sections.get(o.target)
            if section is None:
                hint = f' (a check? write check = "{o.target}")' if o.target in checks else ""
                warnings.append(
                    f"{label} not applied: the scorecard has no section {o.target!r}{hint}; "
                    f"its sections are {', '.join(sections)}"
                )
                continue
            applied.append(
                _applied(
                    o,
                    section,
                    title=section.title,
                    visibility="visible",
                    graded=section.score,
                    max_score=section.max_score,
                )
            )
        else:
            found = checks.get(o.target)
            if found is None:
                hint = f' (a section? write section = "{o.target}")' if o.target in sections else ""
                warnings.append(
                    f"{label} not applied: the scorecard has no check {o.target!r}{hint}; "
                    "fix the id (check ids are listed in the scorecard and the class report) "
                    "or delete the entry"
                )
                continue
            section, check = found
            applied.append(
                _applied(
                    o,
                    section,
                    title=check.title,
                    visibility=check.visibility,
                    graded=check.score,
                    max_score=check.max_score,
                )
            )
        if o.points > applied[-1].max_score:
            warnings.append(
                f"{label} gives {o.points:g} points, but the {o.kind} is worth "
                f"{applied[-1].max_score:g}: counted as {applied[-1].max_score:g}"
            )
    whole = {a.section for a in applied if a.override.kind == "section"}
    kept = []
    for a in applied:
        if a.override.kind == "check" and a.section in whole:
            warnings.append(
                f"{source}: override {a.override.number} ({a.override.student}, "
                f"{a.override.target}) not applied: an override of its whole section "
                f"{a.section} sets that section's points; keep one of the two"
            )
        else:
            kept.append(a)
    return kept


def _applied(
    o: Override,
    section: SectionScore,
    *,
    title: str,
    visibility: Visibility,
    graded: float,
    max_score: float,
) -> AppliedOverride:
    return AppliedOverride(
        override=o,
        section=section.id,
        title=title,
        visibility=visibility,
        graded=graded,
        points=min(o.points, max_score),
        max_score=max_score,
    )


def _penalty(card: Scorecard, earned: float, late: LatePolicy | None) -> LatePenalty | None:
    if late is None or late.per_day == 0:
        return None
    basis: DaysBasis
    if card.student in late.days:
        days, basis = late.days[card.student], "days"
    elif card.student in late.submitted and late.due is not None:
        seconds = (late.submitted[card.student] - late.due).total_seconds()
        days, basis = max(0, math.ceil(seconds / _DAY)), "submitted"
    elif is_late(card):
        days, basis = 1, "flag"  # Canvas says late, not by how much: at least part of a day
    else:
        return None
    if days == 0:
        return None
    percent = min(late.per_day * days, late.max_penalty)
    return LatePenalty(
        days=days,
        basis=basis,
        percent=percent,
        points=round(min(earned, percent / 100 * card.max_score), 6),
    )

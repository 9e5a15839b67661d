"""Overrides and the late policy applied: scores change, scorecards do not, nothing is dropped."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from grader.adjust import LatePolicy, Override, Policy, adjust
from grader.adjust.policy import Target
from grader.scorecards import Scorecard
from tests.exports.cards import make_card

UTC = dt.UTC


def _override(student: str, target: str, points: float, *, number: int = 1) -> Override:
    kind: Target = "check" if "/" in target else "section"
    return Override(number, student, kind, target, points, "regrade request", "TA Kim")


def test_adjust_without_policy_changes_nothing() -> None:
    card = make_card("bob", failed={"1.1/rank": "x"})
    (result,) = adjust([card]).results
    assert (result.score, result.graded, result.overridden) == (8, 8, 8)
    assert result.section_scores == {"1.1": 3, "1.2": 5}
    assert not result.changed
    assert result.card is card  # the scorecard itself is untouched


def test_adjust_check_override_sets_points_and_section_total() -> None:
    card = make_card("bob", failed={"1.1/rank": "rank is 1"})
    policy = Policy(overrides=(_override("bob", "1.1/rank", 2),))
    (result,) = adjust([card], policy).results
    assert result.score == 10
    assert result.graded == 8
    assert result.check_scores["1.1/rank"] == 2
    assert result.section_scores["1.1"] == 5
    (applied,) = result.overrides
    assert (applied.graded, applied.points, applied.delta, applied.section) == (0, 2, 2, "1.1")
    assert card.score == 8  # as graded


def test_adjust_section_override_may_lower_points() -> None:
    policy = Policy(overrides=(_override("alice", "1.2", 1),))
    (result,) = adjust([make_card("alice")], policy).results
    assert result.section_scores["1.2"] == 1
    assert result.score == 6


def test_adjust_points_above_the_maximum_are_capped_and_reported() -> None:
    policy = Policy(overrides=(_override("bob", "1.1/rank", 5),))
    adjusted = adjust([make_card("bob", failed={"1.1/rank": "x"})], policy)
    assert adjusted.results[0].score == 10
    (warning,) = adjusted.warnings
    assert "gives 5 points, but the check is worth 2: counted as 2" in warning


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (_override("zed", "1.1/rank", 1), "no scorecard for student 'zed'"),
        (_override("bob", "1.9/gone", 1), "the scorecard has no check '1.9/gone'"),
        (_override("bob", "1.7", 1), "the scorecard has no section '1.7'; its sections are 1.1, 1.2"),
        (dataclasses.replace(_override("bob", "1.1", 1), kind="check"),
         "no check '1.1' (a section? write section = \"1.1\")"),
    ],
    ids=["no-student", "no-check", "no-section", "section-given-as-check"],
)  # fmt: skip
def test_adjust_override_that_applies_to_nothing_is_a_warning(
    override: Override, expected: str
) -> None:
    adjusted = adjust([make_card("bob", failed={"1.1/rank": "x"})], Policy(overrides=(override,)))
    assert adjusted.results[0].score == 8  # not applied
    (warning,) = adjusted.warnings
    assert expected in warning
    assert "override 1" in warning
    assert "not applied" in warning


def test_adjust_section_override_wins_over_a_check_override_in_it() -> None:
    policy = Policy(
        overrides=(_override("bob", "1.1/rank", 2), _override("bob", "1.1", 4, number=2))
    )
    adjusted = adjust([make_card("bob", failed={"1.1/rank": "x"})], policy)
    (result,) = adjusted.results
    assert result.section_scores["1.1"] == 4
    assert [a.override.number for a in result.overrides] == [2]
    assert "override 1 (bob, 1.1/rank) not applied" in adjusted.warnings[0]


LATE = "doejane_1"


def _late_card(student: str = LATE) -> Scorecard:
    return make_card(student, file=f"{student.split('_')[0]}_LATE_1_200_lab1.ipynb")


@pytest.mark.parametrize(
    ("late", "expected_days", "expected_score"),
    [
        (LatePolicy(per_day=10), 1, 9),  # Canvas's flag alone: one day
        (LatePolicy(per_day=10, days={LATE: 3}), 3, 7),
        (LatePolicy(per_day=10, max_penalty=25, days={LATE: 3}), 3, 7.5),  # capped
        (
            LatePolicy(
                per_day=20,
                due=dt.datetime(2026, 2, 6, 23, 59, tzinfo=UTC),
                submitted={LATE: dt.datetime(2026, 2, 8, 0, 30, tzinfo=UTC)},
            ),
            2,  # one day and 31 minutes: two days or part of one
            6,
        ),
    ],
    ids=["flag", "days", "cap", "submitted"],
)
def test_adjust_late_penalty(late: LatePolicy, expected_days: int, expected_score: float) -> None:
    (result,) = adjust([_late_card()], Policy(late=late)).results
    assert result.penalty is not None
    assert result.penalty.days == expected_days
    assert result.score == expected_score
    assert result.late


def test_adjust_late_flag_counted_as_one_day_is_reported() -> None:
    adjusted = adjust([_late_card()], Policy(late=LatePolicy(per_day=10)))
    (warning,) = adjusted.warnings
    assert (
        "have no day count or submission time, so each lost one day's penalty: doejane_1" in warning
    )


def test_adjust_late_zero_days_excuses() -> None:
    policy = Policy(late=LatePolicy(per_day=10, days={LATE: 0}))
    (result,) = adjust([_late_card()], policy).results
    assert result.penalty is None
    assert result.score == 10
    assert result.late  # still flagged, just not penalised


def test_adjust_late_penalty_comes_after_overrides_and_never_below_zero() -> None:
    card = make_card(LATE, file="doejane_LATE_1_200_lab1.ipynb", failed={"1.1/rank": "x"})
    policy = Policy(
        overrides=(_override(LATE, "1.2", 0), _override(LATE, "1.1", 0.5, number=2)),
        late=LatePolicy(per_day=50, days={LATE: 2}),
    )
    (result,) = adjust([card], policy).results
    assert result.overridden == 0.5
    assert result.penalty is not None
    assert result.penalty.points == 0.5
    assert result.score == 0


def test_adjust_on_time_submission_has_no_penalty() -> None:
    (result,) = adjust([make_card("alice")], Policy(late=LatePolicy(per_day=10))).results
    assert result.penalty is None
    assert not result.late


def test_adjust_late_entry_for_unknown_student_is_reported() -> None:
    adjusted = adjust([make_card("alice")], Policy(late=LatePolicy(per_day=10, days={"zed": 1})))
    assert any("[late] names 'zed', who has no scorecard" in w for w in adjusted.warnings)

"""The regrade diff: exactly the students whose results changed, by how much, and where."""

from __future__ import annotations

import dataclasses

from grader.adjust import Override, Policy, adjust
from grader.exports.regrade import diff_results, render_diff, summary_line
from grader.scorecards import CheckScore, Scorecard, SectionScore
from tests.exports.cards import make_card


def _reweigh(card: Scorecard, check_id: str, max_score: float) -> Scorecard:
    """`card` as a regrade with `check_id` worth `max_score` points would make it."""

    def check(c: CheckScore) -> CheckScore:
        if c.id != check_id:
            return c
        return dataclasses.replace(
            c, max_score=max_score, score=max_score if c.status == "passed" else 0.0
        )

    def section(s: SectionScore) -> SectionScore:
        checks = tuple(check(c) for c in s.checks)
        return dataclasses.replace(
            s,
            checks=checks,
            score=sum(c.score for c in checks),
            max_score=sum(c.max_score for c in checks),
        )

    sections = tuple(section(s) for s in card.sections)
    return dataclasses.replace(
        card,
        sections=sections,
        score=sum(s.score for s in sections),
        max_score=sum(s.max_score for s in sections),
    )


def _class() -> list[Scorecard]:
    return [
        make_card("alice"),
        make_card("bob", failed={"1.1/rank": "rank is 1"}),
        make_card("carol", failed={"1.2/func-handout": "4.0, expected 6.0"}),
    ]


def test_regrade_diff_same_results_is_no_change() -> None:
    diff = diff_results(adjust(_class()), adjust(_class()))
    assert not diff.changed
    assert diff.students == ()
    assert summary_line(diff).startswith("No change: 0 of 3 students changed")


def test_regrade_diff_names_exactly_the_students_a_reweighed_check_affects() -> None:
    old = _class()
    new = [_reweigh(c, "1.1/rank", 4) for c in old]
    diff = diff_results(adjust(old), adjust(new))
    # alice and carol passed 1.1/rank and gain 2; bob failed it and keeps his points
    assert [(c.student, c.delta) for c in diff.students] == [("alice", 2), ("carol", 2)]
    assert [c.id for c in diff.students[0].checks] == ["1.1/rank"]
    assert [(p.id, p.old, p.new) for p in diff.points] == [("1.1/rank", 2, 4)]
    text = render_diff(diff, old_label="before", new_label="after")
    assert "Checks worth other points now: 1.1/rank 2 -> 4" in text
    assert "alice  score 10 -> 12 (+2); graded 10 -> 12" in text
    assert "1.1/rank: passed 2/2 -> passed 4/4" in text
    assert "bob" not in text
    assert text.splitlines()[-1] == (
        "2 of 3 students changed (2 up, 0 down, 0 same total), 0 added, 0 removed; "
        "mean score 8.5 -> 9.83"
    )


def test_regrade_diff_status_change_without_score_change_is_listed() -> None:
    old = [make_card("bob", failed={"1.1/rank": "x"})]
    new = [make_card("bob", failed={"1.1/rank": "x"}, statuses={"1.1/rank": "timeout"})]
    (change,) = diff_results(adjust(old), adjust(new)).students
    assert change.delta == 0
    assert "1.1/rank: failed 0/2 -> timeout 0/2" in render_diff(
        diff_results(adjust(old), adjust(new)), old_label="a", new_label="b"
    )


def test_regrade_diff_applies_overrides_on_both_sides() -> None:
    policy = Policy(
        overrides=(Override(1, "bob", "check", "1.1/rank", 2, "regrade request", "TA"),),
        source="overrides.toml",
    )
    old = _class()
    new = [_reweigh(c, "1.2/func-handout", 5) for c in old]
    diff = diff_results(adjust(old, policy), adjust(new, policy))
    bob = next(c for c in diff.students if c.student == "bob")
    assert bob.old is not None
    assert bob.new is not None
    assert (bob.old.score, bob.new.score) == (10, 12.5)  # the override kept across the regrade
    assert diff.notes == ()


def test_regrade_diff_warns_when_only_one_side_has_overrides() -> None:
    policy = Policy(
        overrides=(Override(1, "bob", "check", "1.1/rank", 2, "regrade request", "TA"),),
        source="old/overrides.toml",
    )
    diff = diff_results(adjust(_class(), policy), adjust(_class()))
    assert [c.student for c in diff.students] == ["bob"]  # final score 10 -> 8
    (note,) = diff.notes
    assert "copy overrides.toml beside the new scorecards" in note


def test_regrade_diff_lists_added_and_removed_students() -> None:
    old = _class()
    new = [*old[1:], make_card("dave")]
    diff = diff_results(adjust(old), adjust(new))
    assert [(c.student, c.kind) for c in diff.students] == [("dave", "added"), ("alice", "removed")]
    text = render_diff(diff, old_label="a", new_label="b")
    assert "Only in the new grading (1):\n  dave" in text
    assert "Only in the old grading (1):\n  alice" in text
    assert "1 added, 1 removed" in text.splitlines()[-1]

"""overrides.toml as an instructor writes it: what is read, and every mistake named with its fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from grader.adjust import OVERRIDES_FILE, Policy, load_policy, read_policy
from grader.errors import OverridesError

EXAMPLE = """\
[[override]]
student = "doejane_12345"
check = "1.2/func-handout"
points = 2.5
reason = "Regrade request: func is right, the grader compared against the wrong dtype"
by = "TA Kim"

[[override]]
student = "roefred_222"
section = "1.1"
points = 0
reason = "Academic integrity: see email of 3 March"
by = "Prof. Lee"

[late]
per_day = 10
max_penalty = 30
due = 2026-02-06T23:59:00-05:00
days = { roefred_222 = 2, poeed_333 = 0 }
submitted = { smithbob_444 = 2026-02-08T08:00:00-05:00 }
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / OVERRIDES_FILE
    path.write_text(text, encoding="utf-8")
    return path


def test_policy_reads_overrides_and_late_policy(tmp_path: Path) -> None:
    policy = read_policy(_write(tmp_path, EXAMPLE))
    first, second = policy.overrides
    assert (first.number, first.student, first.kind, first.target, first.points, first.by) == (
        1, "doejane_12345", "check", "1.2/func-handout", 2.5, "TA Kim",
    )  # fmt: skip
    assert first.reason.startswith("Regrade request")
    assert (second.kind, second.target, second.points) == ("section", "1.1", 0.0)
    late = policy.late
    assert late is not None
    assert (late.per_day, late.max_penalty) == (10, 30)
    assert late.due == dt.datetime(2026, 2, 6, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert dict(late.days) == {"roefred_222": 2, "poeed_333": 0}
    assert list(late.submitted) == ["smithbob_444"]
    assert policy.source == str(tmp_path / OVERRIDES_FILE)


def test_policy_load_without_file_is_empty(tmp_path: Path) -> None:
    assert load_policy(tmp_path) == Policy()


def test_policy_load_finds_the_file_beside_the_scorecards(tmp_path: Path) -> None:
    _write(tmp_path, EXAMPLE)
    assert len(load_policy(tmp_path).overrides) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[override]\n", "not valid TOML"),
        ("[overide]\n", "unknown table 'overide'; the tables are override, late"),
        ('[override]\nstudent = "a"\n', "write each override as an [[override]] table"),
        ('[[override]]\nstudent = "a"\ncheck = "1.1/x"\npoints = 1\nby = "me"\n',
         'override 1: give reason = "..."'),
        ('[[override]]\nstudent = "a"\ncheck = "1.1/x"\npoints = 1\nreason = "r"\n',
         'override 1: give by = "..."'),
        ('[[override]]\nstudent = "a"\npoints = 1\nreason = "r"\nby = "me"\n',
         "give either check = \"<check id>\" or section = \"<section id>\", not neither"),
        ('[[override]]\nstudent = "a"\ncheck = "1.1/x"\nsection = "1.1"\npoints = 1\n'
         'reason = "r"\nby = "me"\n', "not both"),
        ('[[override]]\nstudent = "a"\ncheck = "1.1/x"\npionts = 1\nreason = "r"\nby = "me"\n',
         "unknown key 'pionts'"),
        ('[[override]]\nstudent = "a"\ncheck = "1.1/x"\npoints = -1\nreason = "r"\nby = "me"\n',
         "points = -1 is not allowed; give 0 or more"),
        ('[[override]]\nstudent = "a"\ncheck = "1.1/x"\npoints = "2"\nreason = "r"\nby = "me"\n',
         "points must be a number"),
        ('[[override]]\nstudent = "a"\ncheck = "x"\npoints = 1\nreason = "r"\nby = "me"\n' * 2,
         "overrides 1 and 2 both set a's x; keep one"),
        ("[late]\nmax_penalty = 20\n", "give per_day = N"),
        ("[late]\nper_day = 150\n", "per_day = 150 is not allowed; give between 0 and 100"),
        ("[late]\nper_day = 10\ndue = 2026-02-06T23:59:00\n", "with its UTC offset"),
        ("[late]\nper_day = 10\nsubmitted = { a = 2026-02-06T23:59:00Z }\n", "need the due date"),
        ("[late]\nper_day = 10\ndays = { a = 1.5 }\n", "days.a must be a whole number"),
    ],
    ids=["toml", "unknown-table", "single-brackets", "no-reason", "no-by", "no-target",
         "both-targets", "typo", "negative", "text-points", "duplicate", "no-per-day",
         "over-100", "no-offset", "submitted-without-due", "fractional-days"],
)  # fmt: skip
def test_policy_mistakes_say_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(OverridesError) as caught:
        read_policy(_write(tmp_path, text))
    assert message in str(caught.value)
    assert str(tmp_path / OVERRIDES_FILE) in str(caught.value)  # which file
    assert "\n" not in str(caught.value)


def test_policy_missing_file_given_explicitly(tmp_path: Path) -> None:
    with pytest.raises(OverridesError, match="no such overrides file"):
        load_policy(tmp_path, tmp_path / "elsewhere.toml")

"""The instructor's adjustments: overrides and the late policy, read from overrides.toml and applied.

A scorecard records what the grader found; it is never edited. An instructor's decisions live in
`overrides.toml` beside the scorecards, which `batch` never writes, so a regrade keeps them:

    [[override]]
    student = "doejane_12345"          # the scorecard's file name without .json
    check = "1.3.1/weight-shapes"      # or: section = "1.3.1"
    points = 4                         # what it earns instead of what the grader gave
    reason = "W is [d, n]; the grader misread a transposed Variable (regrade request)"
    by = "TA Kim"

    [late]
    per_day = 10                       # % of the assignment's points lost per day (or part) late
    max_penalty = 30                   # % of the points: the most lateness can cost
    due = 2026-02-06T23:59:00-05:00    # needed only to count days from [late.submitted]
    days = { roefred_102 = 2, poeed_103 = 0 }   # days late as the instructor counts them; 0 excuses

`adjust` turns (scorecards, policy) into `Adjusted` results; every export, the class report,
`summary.csv`, the feedback pages and the regrade diff read those, never the policy itself.
Whatever applies to nothing (a check that no longer exists, a student without a scorecard) is
returned as a warning, never dropped silently.
"""

from grader.adjust.policy import (
    OVERRIDES_FILE,
    LatePolicy,
    Override,
    Policy,
    load_policy,
    read_policy,
)
from grader.adjust.results import (
    Adjusted,
    AdjustedClass,
    AppliedOverride,
    LatePenalty,
    adjust,
    is_late,
)

__all__ = [
    "OVERRIDES_FILE",
    "Adjusted",
    "AdjustedClass",
    "AppliedOverride",
    "LatePenalty",
    "LatePolicy",
    "Override",
    "Policy",
    "adjust",
    "is_late",
    "load_policy",
    "read_policy",
]

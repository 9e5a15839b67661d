"""The grader's exception tree.

    GraderError                  anything the CLI reports in one line, without a traceback
    ├── AssignmentError          an assignment folder is incomplete or inconsistent
    ├── SubmissionError          a submission file or folder cannot be found or read
    │   └── NoSubmissionError    a Gradescope upload holds nothing to grade (tell the student)
    ├── SandboxError             the sandbox itself failed (not the student's code)
    ├── IsolationError           the isolation asked for cannot be had on this machine
    ├── ScorecardReadError       a scorecards folder is missing, empty or holds a bad file
    ├── RosterError              a Canvas roster is missing, not a gradebook export, or has no
    │                            column for the assignment
    ├── OverridesError           an overrides.toml (overrides and late policy) is malformed
    └── BundleError              the Gradescope bundle cannot be built from this checkout

A student's own exception is never a GraderError: it becomes a section status.
"""

from __future__ import annotations

__all__ = [
    "AssignmentError",
    "BundleError",
    "GraderError",
    "IsolationError",
    "NoSubmissionError",
    "OverridesError",
    "RosterError",
    "SandboxError",
    "SandboxStartError",
    "ScorecardReadError",
    "SubmissionError",
]


class GraderError(Exception):
    """An error the user can act on; the CLI prints its message and exits non-zero."""


class AssignmentError(GraderError):
    """An assignment folder is missing a file or its spec is inconsistent with its checks."""


class SubmissionError(GraderError):
    """A submission file or folder cannot be found or read."""


class NoSubmissionError(SubmissionError):
    """The Gradescope submission folder holds no notebook or script to grade."""


class SandboxError(GraderError):
    """The sandbox could not start or talk to the child process."""


class SandboxStartError(SandboxError):
    """No sandbox of a batch started at all: nothing can be graded (the machine's fault)."""


class IsolationError(GraderError):
    """The configured isolation cannot be had here; the message says what to fix or accept."""


class ScorecardReadError(GraderError):
    """A scorecards folder is missing, empty, or holds a file that is not a valid scorecard."""


class RosterError(GraderError):
    """A roster is missing, is not a Canvas gradebook export, or has no column for the assignment."""


class OverridesError(GraderError):
    """An overrides file (per-student overrides, the late policy) cannot be read or is malformed."""


class BundleError(GraderError):
    """The Gradescope bundle cannot be built from this checkout."""

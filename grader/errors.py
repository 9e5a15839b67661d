"""The grader's exception tree.

    GraderError                  anything the CLI reports in one line, without a traceback
    ├── AssignmentError          an assignment folder is incomplete or inconsistent
    ├── SubmissionError          a submission file cannot be found or read
    │   └── SplitError           a submission has none of the assignment's section headings
    └── SandboxError             the sandbox itself failed (not the student's code)

A student's own exception is never a GraderError: it becomes a section status.
"""

from __future__ import annotations

__all__ = [
    "AssignmentError",
    "GraderError",
    "SandboxError",
    "SplitError",
    "SubmissionError",
]


class GraderError(Exception):
    """An error the user can act on; the CLI prints its message and exits non-zero."""


class AssignmentError(GraderError):
    """An assignment folder is missing a file or its spec is inconsistent with its checks."""


class SubmissionError(GraderError):
    """A submission file cannot be found or read."""


class SplitError(SubmissionError):
    """A submission has none of the assignment's section headings."""


class SandboxError(GraderError):
    """The sandbox could not start or talk to the child process."""

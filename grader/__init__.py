"""An autograder for deep-learning labs: sandboxed execution, per-section checks, scorecards."""

from grader.errors import GraderError

__all__ = ["GraderError"]

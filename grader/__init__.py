"""An autograder for deep-learning labs: sandboxed execution, per-section checks, scorecards.

The package reads in the order data flows: `intake` (find, load and split submissions),
`sandboxed` (everything that runs in the student's process; it imports nothing else of the
grader), `run` (start and supervise that process, decode what it sends), `checks` (pytest runs
the assignment's checks on the decoded data), `scoring` and `scorecards`, `adjust` (the
instructor's overrides and late policy, applied to scorecards without changing them), then
`batch`, `exports` and `cli`. `grading` is the pipeline for one submission.

This module imports nothing, so that the sandboxed side can be imported without the rest.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tf-autograder")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]

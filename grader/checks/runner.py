"""Run an assignment's checks with pytest, in this trusted process, and parse their results."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from grader.assignment import Assignment
from grader.checks.data import SectionData
from grader.checks.results import CheckResult, parse_report
from grader.errors import AssignmentError

# pytest.main is not thread-safe (sys.modules, stdout): batch workers take turns.
_PYTEST_LOCK = threading.Lock()


@contextlib.contextmanager
def _pytest_environment() -> Iterator[None]:
    """No plugin autoloading and no PYTEST_ADDOPTS while the checks run."""
    saved = {
        key: os.environ.get(key) for key in ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_ADDOPTS")
    }
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.pop("PYTEST_ADDOPTS", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_LOADED_CHECKS: list[Path] = []
_UNUSED_PLUGINS = (
    "doctest", "junitxml", "pastebin", "stepwise", "setuponly", "setupplan", "faulthandler",
    "recwarn", "unittest", "threadexception", "logging",
)  # fmt: skip


def _forget_other_checks(checks_dir: Path) -> None:
    """Drop another assignment's check modules from sys.modules (theirs may share our file names)."""
    if _LOADED_CHECKS and _LOADED_CHECKS[0] != checks_dir:
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if file and Path(file).is_relative_to(_LOADED_CHECKS[0]):
                del sys.modules[name]
    _LOADED_CHECKS[:] = [checks_dir]


def run_checks(
    assignment: Assignment, sections: Mapping[str, SectionData]
) -> dict[str, CheckResult]:
    """Run the assignment's checks on harvested sections with pytest, in this trusted process."""
    # Imported here, not at the top: a single-submission run (Gradescope's 768 MB container)
    # reaches its memory peak while the student's code runs, before any check does.
    import pytest
    from pytest_jsonreport.plugin import JSONReport

    from grader.checks.plugin import GraderPlugin, Grading

    grading = Grading(assignment=assignment, sections=sections)
    _forget_other_checks(assignment.checks_dir)
    report = JSONReport()
    console = io.StringIO()
    with (
        _PYTEST_LOCK,
        _pytest_environment(),
        contextlib.redirect_stdout(console),
        contextlib.redirect_stderr(console),
    ):
        exit_code = pytest.main(
            [
                str(assignment.checks_dir),
                "-c",
                str(assignment.checks_dir / "pytest.ini"),
                "--rootdir",
                str(assignment.checks_dir),
                "--import-mode=importlib",
                "--assert=plain",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:randomly",
                # Its end-of-session garbage collection costs ~0.3 s per submission.
                "-p",
                "no:unraisableexception",
                "-qq",
                "--no-header",
                # Only the plugins named here: not whatever else is installed (pytest-benchmark
                # would run git for every submission), nor the instructor's PYTEST_ADDOPTS.
                "-p",
                "pytest_jsonreport.plugin",
                "--json-report-file=none",
                # Only outcomes and our metadata are read: skip collecting the rest.
                "--json-report-omit",
                "log",
                "streams",
                "keywords",
                "collectors",
                "warnings",
                "traceback",
                # Plugins the checks never use: each costs time on every submission.
                *(f"-pno:{name}" for name in _UNUSED_PLUGINS),
            ],
            plugins=[GraderPlugin(grading), report],
        )
    if (
        # INTERRUPTED: a checks file did not import (collection error); its checks would
        # otherwise all read as "did not run", silently costing every student those points.
        exit_code
        in (
            pytest.ExitCode.USAGE_ERROR,
            pytest.ExitCode.INTERNAL_ERROR,
            pytest.ExitCode.INTERRUPTED,
        )
        or report.report is None
    ):
        raise AssignmentError(
            f"the checks in {assignment.checks_dir} could not run (pytest exit {int(exit_code)}); "
            f"pytest said:\n{console.getvalue()[-3000:]}"
        )
    return parse_report(report.report)

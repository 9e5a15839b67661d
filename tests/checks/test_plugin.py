"""The pytest plugin that runs an assignment's checks on harvested sections, and labels results."""

# ruff: noqa: E402 - `pytest_plugins` goes first, where a reader looks for the fixtures' source

from __future__ import annotations

pytest_plugins = ["pytester"]

import itertools
from collections.abc import Mapping
from pathlib import Path

import pytest
from pytest_jsonreport.plugin import JSONReport

from grader.assignment import Assignment, load_assignment_dir
from grader.checks.data import SectionData
from grader.checks.plugin import GraderPlugin, Grading
from grader.checks.results import CheckResult, parse_report
from grader.checks.runner import run_checks
from grader.errors import AssignmentError
from grader.run.decode import SectionHarvest, StudentError, Value

SPEC = """\
[assignment]
name = "fake"
title = "Fake lab"

[[sections]]
id = "1.1"
title = "Squares"

[[sections]]
id = "1.2"
title = "Greeting"
"""

CHECKS = """\
import pytest

from grader.checks.assertions import fail


@pytest.fixture
def squares(grading):
    return grading.section("1.1")


@pytest.mark.check("1.1/passes")
def test_passes(squares):
    assert squares.get("x") == 9


@pytest.mark.check("1.1/fails")
def test_fails(squares):
    fail("square(3) is 6, expected 9: multiply x by itself, not by 2")


@pytest.mark.check("1.1/raises")
def test_raises(squares):
    squares.get("layer")


@pytest.mark.check("1.1/missing")
def test_missing(squares):
    squares.get("undefined_name")


@pytest.mark.check("1.1/buggy")
def test_buggy(squares):
    {}["oops"]


@pytest.mark.check("1.1/needs-greeting")
def test_needs_greeting(squares, grading):
    grading.section("1.2")


@pytest.mark.check("1.2/greeting")
def test_greeting(grading):
    assert grading.section("1.2").get("greeting") == "hello"
"""

CHECK_IDS = [
    "1.1/passes",
    "1.1/fails",
    "1.1/raises",
    "1.1/missing",
    "1.1/buggy",
    "1.1/needs-greeting",
    "1.2/greeting",
]

ERROR = StudentError(
    type="ZeroDivisionError",
    message="division by zero",
    location="section 1.1, cell 4, line 2",
    line_text="x = 1 / 0",
    chunk=1,
    library_function=None,
)


# pytest (importlib mode) reuses a module already imported under the same name, and run_checks
# runs in this process: a fresh file name per assignment keeps each test's checks its own.
_CHECK_FILES = (f"test_fake_{n}.py" for n in itertools.count())


def _make_assignment(root: Path, *, check_ids: list[str], checks: str = CHECKS) -> Assignment:
    root.mkdir()
    spec = SPEC + "".join(f'\n[[checks]]\nid = "{cid}"\npoints = 1\n' for cid in check_ids)
    (root / "spec.toml").write_text(spec, encoding="utf-8")
    (root / "sandboxed").mkdir()
    (root / "sandboxed" / "harvest.py").write_text("HARVESTERS = {}\n", encoding="utf-8")
    (root / "inputs.py").write_text("def make_inputs(rng):\n    return {}\n", encoding="utf-8")
    (root / "checks").mkdir()
    (root / "checks" / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (root / "checks" / next(_CHECK_FILES)).write_text(checks, encoding="utf-8")
    return load_assignment_dir(root)


def _section(section_id: str, data: Mapping[str, Value]) -> SectionData:
    harvest = SectionHarvest(section_id, "harvested", data, (), "")
    return SectionData(id=section_id, harvest=harvest, inputs={}, source="")


SQUARES = {"1.1": _section("1.1", {"x": 9, "layer": ERROR})}


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Assignment:
    return _make_assignment(tmp_path_factory.mktemp("fake") / "fake", check_ids=CHECK_IDS)


@pytest.fixture(scope="module")
def results(fake: Assignment) -> dict[str, CheckResult]:
    """One pytest run for the outcome tests below: each costs a quarter of a second."""
    return run_checks(fake, SQUARES)


# --- through run_checks -----------------------------------------------------------------------


def test_run_checks_passing_check_passes(results: dict[str, CheckResult]) -> None:
    assert results["1.1/passes"] == CheckResult("1.1/passes", "passed", "")


def test_run_checks_failing_check_carries_its_message(results: dict[str, CheckResult]) -> None:
    assert results["1.1/fails"] == CheckResult(
        "1.1/fails", "failed", "square(3) is 6, expected 9: multiply x by itself, not by 2"
    )


def test_run_checks_student_exception_is_error_with_location(
    results: dict[str, CheckResult],
) -> None:
    result = results["1.1/raises"]
    assert result.status == "error"
    assert result.feedback == (
        "your code raised ZeroDivisionError: division by zero at section 1.1, cell 4, line 2 "
        "(`x = 1 / 0`)"
    )
    assert result.internal_error is None


def test_run_checks_missing_value_fails_with_hint(results: dict[str, CheckResult]) -> None:
    result = results["1.1/missing"]
    assert result.status == "failed"
    assert "`undefined_name` is not defined after section 1.1" in result.feedback


def test_run_checks_bug_in_check_is_internal_error(results: dict[str, CheckResult]) -> None:
    result = results["1.1/buggy"]
    assert result.status == "error"
    assert "your instructor has been told" in result.feedback
    assert result.internal_error == "KeyError: 'oops'"


def test_run_checks_check_needing_unharvested_section_is_not_run(
    results: dict[str, CheckResult],
) -> None:
    result = results["1.1/needs-greeting"]
    assert result.status == "not_run"
    assert "section 1.2 was not harvested" in result.feedback


def test_run_checks_skips_checks_of_sections_not_harvested(
    results: dict[str, CheckResult],
) -> None:
    assert sorted(results) == sorted(c for c in CHECK_IDS if c.startswith("1.1/"))


def test_run_checks_check_id_missing_from_spec_is_usage_error(tmp_path: Path) -> None:
    assignment = _make_assignment(tmp_path / "fake", check_ids=CHECK_IDS[1:])
    with pytest.raises(AssignmentError, match=r"check id '1\.1/passes' is not in spec\.toml"):
        run_checks(assignment, SQUARES)


def test_run_checks_checks_file_that_does_not_import_is_the_assignments_error(
    tmp_path: Path,
) -> None:
    broken = CHECKS + "\nthis is not python\n"
    assignment = _make_assignment(tmp_path / "fake", check_ids=CHECK_IDS, checks=broken)
    with pytest.raises(AssignmentError, match=r"(?s)could not run.*ERROR collecting test_fake"):
        run_checks(assignment, SQUARES)


def test_run_checks_spec_check_without_test_is_usage_error(tmp_path: Path) -> None:
    assignment = _make_assignment(tmp_path / "fake", check_ids=[*CHECK_IDS, "1.2/farewell"])
    with pytest.raises(
        AssignmentError, match=r"spec\.toml lists checks with no test.*1\.2/farewell"
    ):
        run_checks(assignment, SQUARES)


# --- through pytester -------------------------------------------------------------------------

INLINE = """\
import pytest
from grader.checks.assertions import StudentCodeError


@pytest.mark.check("1.1/passes")
def test_passes(grading):
    assert grading.section("1.1").get("x") == 9


@pytest.mark.check("1.1/fails")
def test_fails(grading):
    assert grading.section("1.1").get("x") == 4, "x is 9, expected 4: use x - 5"


@pytest.mark.check("1.1/raises")
def test_raises(grading):
    raise StudentCodeError("your code raised ValueError at cell 3, line 1")
"""


def _run_inline(
    pytester: pytest.Pytester,
    assignment: Assignment,
    sections: Mapping[str, SectionData],
    *,
    extra: str = "",
) -> tuple[pytest.RunResult, dict[str, CheckResult]]:
    # Not named test_*.py: this session's assertion rewriter would rewrite it, whatever --assert says.
    pytester.makepyfile(check_inline=INLINE + extra)
    report = JSONReport()
    result = pytester.runpytest_inprocess(
        "-o",
        "python_files=check_*.py",
        "-p",
        "no:cacheprovider",
        "--assert=plain",  # as run_checks does: the check's own message is the feedback
        "--json-report-file=none",
        plugins=[GraderPlugin(Grading(assignment=assignment, sections=sections)), report],
    )
    return result, parse_report(report.report or {})


def test_plugin_labels_each_outcome(pytester: pytest.Pytester, tmp_path: Path) -> None:
    assignment = _make_assignment(
        tmp_path / "fake", check_ids=["1.1/passes", "1.1/fails", "1.1/raises"]
    )
    result, results = _run_inline(pytester, assignment, SQUARES)
    result.assert_outcomes(passed=1, failed=2)
    assert results == {
        "1.1/passes": CheckResult("1.1/passes", "passed", ""),
        "1.1/fails": CheckResult("1.1/fails", "failed", "x is 9, expected 4: use x - 5"),
        "1.1/raises": CheckResult(
            "1.1/raises", "error", "your code raised ValueError at cell 3, line 1"
        ),
    }


def test_plugin_deselects_checks_of_unharvested_sections(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    assignment = _make_assignment(
        tmp_path / "fake", check_ids=["1.1/passes", "1.1/fails", "1.1/raises"]
    )
    result, results = _run_inline(pytester, assignment, {})
    result.assert_outcomes(deselected=3)
    assert results == {}


def test_plugin_check_id_missing_from_spec_is_usage_error(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    assignment = _make_assignment(tmp_path / "fake", check_ids=["1.1/passes", "1.1/fails"])
    result, results = _run_inline(pytester, assignment, SQUARES)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*check_inline.py::test_raises: check id '1.1/raises' is not in spec.toml"]
    )
    assert results == {}


def test_plugin_spec_check_without_test_is_usage_error(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    check_ids = ["1.1/passes", "1.1/fails", "1.1/raises", "1.2/greeting"]
    assignment = _make_assignment(tmp_path / "fake", check_ids=check_ids)
    result, _ = _run_inline(pytester, assignment, SQUARES)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ERROR: spec.toml lists checks with no test: ['1.2/greeting']" in result.stderr.lines


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "\n\ndef test_unmarked(grading):\n    pass\n",
            "*check_inline.py::test_unmarked: mark the test with @pytest.mark.check('<id>')",
        ),
        (
            '\n\n@pytest.mark.check("1.1/passes")\ndef test_again(grading):\n    pass\n',
            "*check_inline.py::test_again: check id '1.1/passes' is also used by *test_passes",
        ),
    ],
    ids=["unmarked-test", "duplicate-check-id"],
)
def test_plugin_badly_marked_test_is_usage_error(
    pytester: pytest.Pytester, tmp_path: Path, extra: str, message: str
) -> None:
    assignment = _make_assignment(
        tmp_path / "fake", check_ids=["1.1/passes", "1.1/fails", "1.1/raises"]
    )
    result, results = _run_inline(pytester, assignment, SQUARES, extra=extra)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert results == {}


def test_plugin_check_marker_is_registered(pytester: pytest.Pytester, tmp_path: Path) -> None:
    assignment = _make_assignment(
        tmp_path / "fake", check_ids=["1.1/passes", "1.1/fails", "1.1/raises"]
    )
    pytester.makepyfile(check_inline=INLINE)
    result = pytester.runpytest_inprocess(
        "--strict-markers",
        "--markers",
        plugins=[GraderPlugin(Grading(assignment=assignment, sections=SQUARES))],
    )
    result.stdout.fnmatch_lines(["@pytest.mark.check(id): the spec.toml id of the check*"])


def test_fake_assignment_loads_as_written(fake: Assignment) -> None:
    assert fake.section_ids == ("1.1", "1.2")
    assert [c.id for c in fake.checks_of("1.2")] == ["1.2/greeting"]
    assert fake.max_score == len(CHECK_IDS)

"""The pytest plugin that hands checks their section's harvested data and labels each result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from grader.assignment import Assignment
from grader.checks.assertions import StudentCodeError, fail
from grader.checks.data import SectionData

__all__ = ["GRADING_KEY", "GraderPlugin", "Grading", "check_id_of"]


@dataclass(frozen=True, slots=True)
class Grading:
    """One submission's sections, ready for checking."""

    assignment: Assignment
    sections: Mapping[str, SectionData]  # only the sections whose code ran and was harvested

    def section(self, section_id: str) -> SectionData:
        try:
            return self.sections[section_id]
        except KeyError:
            pytest.skip(f"section {section_id} was not harvested")
            raise  # unreachable: skip raises


GRADING_KEY = pytest.StashKey[Grading]()


def check_id_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("check")
    if marker is None or not marker.args or not isinstance(marker.args[0], str):
        return None
    return marker.args[0]


class GraderPlugin:
    """Registered per grading run; checks ask for the `grading` fixture."""

    def __init__(self, grading: Grading) -> None:
        self._grading = grading
        self._checks = {c.id: c for c in grading.assignment.checks}

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[GRADING_KEY] = self._grading
        config.addinivalue_line("markers", "check(id): the spec.toml id of the check this test is")

    @pytest.fixture
    def grading(self, request: pytest.FixtureRequest) -> Grading:
        return request.config.stash[GRADING_KEY]

    @pytest.fixture(autouse=True)
    def _required_outputs(self, request: pytest.FixtureRequest) -> None:
        """A check fails, saying which error prevented it, when an output it needs is missing."""
        __tracebackhide__ = True
        check = self._checks.get(check_id_of(request.node) or "")
        section = self._grading.sections.get(check.section) if check else None
        if check is None or section is None or section.harvest.harvest_error is not None:
            return
        missing = [name for name in check.requires if name not in section.harvest.defined]
        if missing:
            fail(section.undefined(missing[0]))

    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        spec = {c.id for c in self._grading.assignment.checks}
        seen: dict[str, str] = {}
        for item in items:
            cid = check_id_of(item)
            where = f"{self._grading.assignment.checks_dir.name}/{item.nodeid}"
            if cid is None:
                raise pytest.UsageError(f"{where}: mark the test with @pytest.mark.check('<id>')")
            if cid not in spec:
                raise pytest.UsageError(f"{where}: check id {cid!r} is not in spec.toml")
            if cid in seen:
                raise pytest.UsageError(f"{where}: check id {cid!r} is also used by {seen[cid]}")
            seen[cid] = item.nodeid
        # A withheld check (a student release's hidden ones) has no test, or must not run.
        withheld = {c.id for c in self._grading.assignment.checks if c.withheld}
        missing = spec - set(seen) - withheld
        if missing:
            raise pytest.UsageError(f"spec.toml lists checks with no test: {sorted(missing)}")
        keep = [
            i
            for i in items
            if (check_id_of(i) or "").split("/")[0] in self._grading.sections
            and check_id_of(i) not in withheld
        ]
        dropped = [i for i in items if i not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = keep

    @pytest.hookimpl(optionalhook=True)
    def pytest_json_runtest_metadata(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> dict[str, str] | None:
        """Label each stage for `grader.checks.results`: which check, and how it ended."""
        meta = {"check_id": check_id_of(item) or ""}
        if call.excinfo is None:
            return meta if call.when == "call" else None
        exc = call.excinfo.value
        if isinstance(exc, StudentCodeError):
            meta.update(kind="student_error", feedback=str(exc))
        elif isinstance(exc, AssertionError):
            meta.update(kind="failed", feedback=str(exc))
        elif call.excinfo.errisinstance(pytest.skip.Exception):
            meta.update(kind="skipped", feedback=str(exc))
        else:
            meta.update(kind="internal", feedback=f"{type(exc).__name__}: {exc}")
        return meta

"""What a check receives: one section's harvested values, its unseen inputs and its source."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from grader.checks.assertions import StudentCodeError, fail
from grader.run.decode import CodeError, SectionHarvest, StudentError, Value


@dataclass(frozen=True, slots=True)
class SectionData:
    """One section as the checks see it. Values were validated when they were decoded."""

    id: str
    harvest: SectionHarvest
    inputs: Mapping[str, object]  # the parent's own copy of the unseen inputs for this section
    source: str  # the section's code as the student wrote it (for static checks)
    chunk_sources: Mapping[int, str] = field(default_factory=dict)  # each chunk's code, by index

    @property
    def code_errors(self) -> tuple[CodeError, ...]:
        return self.harvest.code_errors

    def has(self, key: str) -> bool:
        return key in self.harvest.data

    def get(self, key: str, *, missing: str | None = None) -> Value:
        """The harvested value `key`; fails with `missing` (or a default hint) if absent.

        If the student's code raised while it was being harvested, the check ends as `error`
        with the student's exception and where it happened.
        """
        __tracebackhide__ = True
        broken = self.harvest.harvest_error
        if key not in self.harvest.data and broken is not None:
            raise StudentCodeError(
                f"section {self.id} could not be inspected: {self.explain(broken)}", broken
            )
        if key not in self.harvest.data:
            fail(
                missing
                or f"`{key}` is not defined after section {self.id}: define it in this section"
            )
        value = self.harvest.data[key]
        if isinstance(value, StudentError):
            raise StudentCodeError(self.explain(value), value)
        return value

    def case(self, name: str) -> Mapping[str, Any]:
        """The grader's own inputs for the case called `name` (in `inputs["cases"]`)."""
        cases = self.inputs.get("cases")
        found = [c for c in cases if c.get("name") == name] if isinstance(cases, list) else []
        if not found:
            raise KeyError(f"section {self.id} has no input case {name!r}")
        return found[0]  # type: ignore[no-any-return]  # the grader's own JSON-able inputs

    def require(self, key: str, *, name: str | None = None) -> Value:
        """The harvested value `key` (the student's `name`); fails saying why it is missing."""
        __tracebackhide__ = True
        if not self.has(key):
            fail(self.undefined(name or key))
        return self.get(key)

    def explain(self, error: StudentError) -> str:
        """Say what the student's code raised and where, with the hint if there is one."""
        return f"your code raised {error.describe(with_hint=True)}"

    def undefined(self, name: str) -> str:
        """Explain a missing name, pointing at the error in the code that should define it."""
        defines = re.compile(
            rf"^\s*(?:{re.escape(name)}\s*(?:,[^=]*)?=|(?:def|class)\s+{re.escape(name)}\b)", re.M
        )
        errors = sorted(
            self.code_errors,
            key=lambda ce: not defines.search(self.chunk_sources.get(ce.chunk, "")),
        )
        for ce in errors:
            where = f" at {ce.error.location}" if ce.error.location else ""
            return (
                f"`{name}` is not defined after section {self.id}: your code raised "
                f"{ce.error.type}{where} before defining it"
            )
        return f"`{name}` is not defined after section {self.id}: define it in this section's code"

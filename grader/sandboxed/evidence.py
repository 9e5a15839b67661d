"""What ran in the student process, recorded by the grader's own hooks while each section ran.

A check that asks "did this value come from a tape?" or "is `e_out` what `func` returned?" is
decided from what happened at run time, not from the source (where unreachable code would
fool it). An assignment's harvest module wraps the library functions it cares about with
`record` (at import, before any student code), and may ask for the return values of the
student's own functions in some sections (`trace_returns`); the child says which section runs
(`enter`/`leave`). A student who unhooks these is tampering, which the grader's source scan
flags for a human; the records are still only claims.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator

from grader.sandboxed.wire import chunk_of_filename

__all__ = ["enter", "leave", "record", "records", "returned", "trace_returns"]

MAX_RECORDS = 20_000  # per section and tag; a loop may call far more, the first ones are kept

_setprofile = sys.setprofile
_current: list[str | None] = [None]
_records: dict[tuple[str | None, str], list[object]] = {}
_returns: dict[str | None, list[tuple[types.CodeType, object]]] = {}
_traced: set[str] = set()


def trace_returns(*sections: str) -> None:
    """While these sections' code runs, keep what the student's own functions return."""
    _traced.update(sections)


def enter(section: str | None) -> None:
    """A chunk of `section` is about to run (None: code before the first section)."""
    _current[0] = section
    if section in _traced:
        _setprofile(_profile)


def leave() -> None:
    """The chunk finished (or raised)."""
    _setprofile(None)


def record(tag: str, value: object) -> None:
    """Called by the harvest module's wrappers: `value` happened in the current section."""
    bucket = _records.setdefault((_current[0], tag), [])
    if len(bucket) < MAX_RECORDS:
        bucket.append(value)


def records(section: str, tag: str) -> list[object]:
    """Everything recorded under `tag` while `section`'s code ran."""
    return list(_records.get((section, tag), ()))


def returned(section: str, code: object) -> Iterator[object]:
    """The values the function with code object `code` returned while `section`'s code ran."""
    for returning, value in _returns.get(section, ()):
        if returning is code:
            yield value


def _profile(frame: types.FrameType, event: str, arg: object) -> None:
    if event != "return" or frame.f_code.co_name == "<module>":
        return
    if chunk_of_filename(frame.f_code.co_filename) is None:
        return
    bucket = _returns.setdefault(_current[0], [])
    if len(bucket) < MAX_RECORDS:
        bucket.append((frame.f_code, arg))

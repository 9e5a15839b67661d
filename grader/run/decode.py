"""Decode what the student process sent back into typed, validated records. Never unpickles."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, TypeAlias

import numpy as np

from grader.sandboxed.wire import Event, Marker
from grader.terminal import strip_ansi

# Only plain numeric dtypes are accepted; object arrays (which would need pickle) never are.
_DTYPES = frozenset(
    np.dtype(t).newbyteorder("<").str
    for t in ("?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16")
)
MAX_ELEMENTS = 1_000_000
MAX_DEPTH = 12

# `rejected`: the run broke the protocol before this section's answer was accepted.
SectionState = Literal["harvested", "timeout", "crashed", "rejected", "not_run"]


class HarvestFormatError(ValueError):
    """The child sent data that does not follow the harvest format."""


@dataclass(frozen=True, slots=True)
class Summary:
    """A large array the child summarised instead of sending (e.g. a 10x256x256x3 image batch)."""

    dtype: str
    shape: tuple[int, ...]
    nonzero: int | None
    min: float | None
    max: float | None


@dataclass(frozen=True, slots=True)
class StudentError:
    """An exception raised by the student's code, located in their file."""

    type: str
    message: str
    location: str  # "cell 7, line 11" / "line 40"; "" when no frame was in the student's code
    line_text: str  # the student's line at that location
    chunk: int | None  # the chunk holding the innermost student frame
    library_function: str | None  # the innermost library function on the stack, if any
    hint: str = ""  # what to do about it, when the assignment recognises the error

    def describe(self, *, with_hint: bool = False) -> str:
        """One line for a student: what was raised, and where (and the hint, if asked)."""
        where = f" at {self.location}" if self.location else ""
        code = f" (`{self.line_text.strip()[:120]}`)" if self.line_text.strip() else ""
        message = f": {self.message}" if self.message else ""
        text = f"{self.type}{message}{where}{code}".strip()
        return f"{text}\nHint: {self.hint}" if with_hint and self.hint else text


Value: TypeAlias = (
    bool
    | int
    | float
    | str
    | np.ndarray
    | Summary
    | StudentError
    | list["Value"]
    | dict[str, "Value"]
    | None
)

#: Maps (chunk index, 1-based line) to (location label, line text) using the trusted split.
Locator = Callable[[int, int | None], tuple[str, str]]


@dataclass(frozen=True, slots=True)
class CodeError:
    """A chunk of a section raised while it ran."""

    chunk: int
    error: StudentError


@dataclass(frozen=True, slots=True)
class SectionHarvest:
    """Everything known about one section after the run: state, code errors and harvested data."""

    id: str
    state: SectionState
    data: Mapping[str, Value]
    code_errors: tuple[CodeError, ...]
    detail: str  # why the section has no data (timeout, crash, not run), in plain words
    # A student object broke the harvest itself (e.g. a property that raises): nothing was read.
    harvest_error: StudentError | None = None
    # Which of the section's outputs (spec.toml) existed after its code ran.
    defined: tuple[str, ...] = ()


def decode_value(raw: object, *, locate: Locator, depth: int = 0) -> Value:
    """Turn the child's plain data into values, validating every array."""
    if depth > MAX_DEPTH:
        raise HarvestFormatError("nested too deeply")
    if raw is None or isinstance(raw, bool | str):
        return raw
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return raw
    if isinstance(raw, list):
        return [decode_value(v, locate=locate, depth=depth + 1) for v in raw]
    if not isinstance(raw, dict):
        raise HarvestFormatError(f"unexpected {type(raw).__name__}")
    if Marker.NDARRAY in raw:
        return _decode_array(raw[Marker.NDARRAY])
    if Marker.STRINGS in raw:
        spec = raw[Marker.STRINGS]
        if not isinstance(spec, dict) or not all(
            isinstance(s, str) for s in spec.get("data", [None])
        ):
            raise HarvestFormatError("bad string array")
        shape = _shape(spec.get("shape"))
        if len(spec["data"]) != math.prod(shape):
            raise HarvestFormatError("string array data does not match its shape")
        return np.array(spec["data"], dtype=str).reshape(shape)
    if Marker.SUMMARY in raw:
        spec = raw[Marker.SUMMARY]
        if not isinstance(spec, dict):
            raise HarvestFormatError("bad summary")
        return Summary(
            dtype=str(spec.get("dtype")),
            shape=_shape(spec.get("shape")),
            nonzero=_opt_int(spec.get("nonzero")),
            min=_opt_float(spec.get("min")),
            max=_opt_float(spec.get("max")),
        )
    if Marker.ERROR in raw:
        return decode_error(raw[Marker.ERROR], locate=locate)
    out: dict[str, Value] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            raise HarvestFormatError("non-string key")
        out[key] = decode_value(value, locate=locate, depth=depth + 1)
    return out


def decode_error(raw: object, *, locate: Locator) -> StudentError:
    """Decode an exception report, locating its innermost student frame with the trusted split."""
    if not isinstance(raw, dict):
        raise HarvestFormatError("bad error report")
    frames = raw.get("frames")
    chunk: int | None = None
    line: int | None = None
    if isinstance(frames, list) and frames:
        last = frames[-1]
        if isinstance(last, dict) and isinstance(last.get("chunk"), int):
            chunk = last["chunk"]
            line = last.get("line") if isinstance(last.get("line"), int) else None
    location, text = locate(chunk, line) if chunk is not None else ("", "")
    lib = raw.get("library_function")
    return StudentError(
        type=str(raw.get("type", "Exception"))[:100],
        message=clean_message(str(raw.get("message", ""))),
        location=location,
        line_text=text,
        chunk=chunk if location else None,
        library_function=lib if isinstance(lib, str) else None,
    )


# Bounded quantifiers and a start that cannot slide through a run of spaces keep both patterns
# linear in the length of the message: a forged message of any size costs microseconds per KiB.
_TF_NODE = re.compile(r"\{\{function_node [^{}]{0,400}\}\}[ \t]{0,40}")
_TF_OP = re.compile(r"(?<![ \t])[ \t]{0,40}\[Op:(\w{1,100})\](?: name: )?")
MAX_MESSAGE_CHARS = 2000  # what a student reads of one exception message
_MESSAGE_SCAN_CHARS = 8 * MAX_MESSAGE_CHARS  # what is cleaned: enough to drop TF's noise first


def clean_message(message: str) -> str:
    """An exception message as a student should read it: no terminal colours, no TF internals.

    Only the start of a huge message is read (the student sees at most MAX_MESSAGE_CHARS).
    """
    text = _TF_NODE.sub("", strip_ansi(message[:_MESSAGE_SCAN_CHARS]))
    text = _TF_OP.sub(r" (in TensorFlow's \1)", text)
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    keep = [line for line in lines if not line.lstrip().startswith(("Arguments received by", "•"))]
    return "\n".join(keep)[:MAX_MESSAGE_CHARS]


def _decode_array(spec: object) -> np.ndarray:
    if not isinstance(spec, dict):
        raise HarvestFormatError("bad array")
    dtype = spec.get("dtype")
    if dtype not in _DTYPES:
        raise HarvestFormatError(f"array dtype {dtype!r} is not allowed")
    shape = _shape(spec.get("shape"))
    count = math.prod(shape)
    if count > MAX_ELEMENTS:
        raise HarvestFormatError(f"array of {count} elements is too large")
    data = spec.get("data")
    if not isinstance(data, str):
        raise HarvestFormatError("array data is not base64 text")
    try:
        raw = base64.b64decode(data, validate=True)
        dt = np.dtype(dtype)
        if len(raw) != count * dt.itemsize:
            raise HarvestFormatError("array data does not match its shape")
        return np.frombuffer(raw, dtype=dt).reshape(shape).astype(dt.newbyteorder("="))
    except (ValueError, TypeError) as exc:  # binascii.Error is a ValueError
        raise HarvestFormatError(f"bad array: {exc}") from None


def _shape(raw: object) -> tuple[int, ...]:
    if not isinstance(raw, list) or len(raw) > 32:
        raise HarvestFormatError("bad shape")
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in raw):
        raise HarvestFormatError("bad shape")
    if any(d > MAX_ELEMENTS for d in raw):
        raise HarvestFormatError("bad shape: a dimension is too large")
    return tuple(raw)


def _opt_int(raw: object) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None


def _opt_float(raw: object) -> float | None:
    return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None


@dataclass(frozen=True, slots=True)
class DecodedRun:
    """The sections one sandbox run harvested, and the imports it had to stand in for."""

    harvests: dict[str, SectionHarvest] = field(default_factory=dict)
    stubbed: list[tuple[int, str]] = field(default_factory=list)  # (chunk index, module name)
    preamble_errors: list[CodeError] = field(default_factory=list)  # code before the first section


def decode_run(
    events: Sequence[Mapping[str, object]],
    *,
    section_ids: Sequence[str],
    chunk_sections: Mapping[int, str | None],
    locate: Locator,
    hint_for: Callable[[StudentError], str | None],
) -> DecodedRun:
    """Decode a run's events; raise HarvestFormatError on anything that breaks the format.

    Errors raised by code before the first section are the preamble's, not a section's.
    """

    def hinted(error: StudentError) -> StudentError:
        hint = hint_for(error)
        return replace(error, hint=hint) if hint else error

    def hint_all(value: Value) -> Value:
        if isinstance(value, StudentError):
            return hinted(value)
        if isinstance(value, list):
            return [hint_all(v) for v in value]
        if isinstance(value, dict):
            return {k: hint_all(v) for k, v in value.items()}
        return value

    run = DecodedRun()
    code_errors: dict[str, list[CodeError]] = {}
    for event in events:
        kind = event.get(Event.KEY)
        if kind == Event.CODE:
            chunk = event.get("chunk")
            if not isinstance(chunk, int) or chunk not in chunk_sections:
                raise HarvestFormatError("unknown chunk")
            section = chunk_sections[chunk]
            stubbed = event.get("stubbed")
            if isinstance(stubbed, list):
                run.stubbed.extend((chunk, name) for name in stubbed[:20] if isinstance(name, str))
            if event.get("error") is not None:
                error = hinted(decode_error(event["error"], locate=locate))
                if section is None:
                    run.preamble_errors.append(CodeError(chunk, error))
                else:
                    code_errors.setdefault(section, []).append(CodeError(chunk, error))
        elif kind == Event.HARVEST:
            sid = event.get("section")
            if not isinstance(sid, str) or sid not in section_ids:
                raise HarvestFormatError("unknown section")
            raw = event.get("data")
            if not isinstance(raw, dict):
                raise HarvestFormatError("harvest is not a mapping")
            broken: StudentError | None = None
            if Marker.HARVEST_ERROR in raw:
                broken, raw = hinted(decode_error(raw[Marker.HARVEST_ERROR], locate=locate)), {}
            defined = raw.pop(Marker.DEFINED, [])
            if not isinstance(defined, list) or not all(isinstance(d, str) for d in defined):
                raise HarvestFormatError("bad list of defined names")
            data = decode_value(raw, locate=locate)
            assert isinstance(data, dict)
            data = {k: hint_all(v) for k, v in data.items()}
            run.harvests.setdefault(
                sid,
                SectionHarvest(
                    sid,
                    "harvested",
                    data,
                    tuple(code_errors.get(sid, ())),
                    "",
                    harvest_error=broken,
                    defined=tuple(defined),
                ),
            )
    return run

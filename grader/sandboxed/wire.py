"""The wire format between the grader and the student process, owned in one place for both sides.

Three channels cross the sandbox's boundary:

- the zygote's control socket (one JSON object per datagram): the grader sends an *op*
  (`Op`), the zygote answers with a *control event* (`Control`);
- the request pipe (grader to student process): one JSON object per line, each a *request*
  (`Request`); the first (`START`) carries a fresh key for this run only;
- the answer pipe (student process to grader): one line per answer, `<mac> <json>\n`, where
  `mac` is HMAC-SHA256 of the JSON under that key. Each answer is an *event* (`Event`) whose
  values use the *markers* below for arrays, summaries and errors.

The grader asks for one step at a time and accepts exactly one answer per step, in order; a line
that is not authenticated, an answer to a step not asked, a second answer or an early `done` ends
the run as a protocol violation. Even an authenticated answer is only a claim: the grader decodes
it in `grader.run.decode` and checks it against values it chose itself. This module imports
nothing of the grader.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from typing import Final

__all__ = [
    "CHUNK_FILENAME",
    "KEY_BYTES",
    "Control",
    "Event",
    "Marker",
    "Op",
    "Plain",
    "Request",
    "chunk_of_filename",
    "seal",
    "unseal",
]

Plain = None | bool | int | float | str | Sequence["Plain"] | Mapping[str, "Plain"]

#: The file name student code is compiled under; tracebacks name it, and so find the chunk.
CHUNK_FILENAME: Final = "<student-chunk-{index}>"
_CHUNK_RE: Final = re.compile(r"^<student-chunk-(\d+)>$")


def chunk_of_filename(filename: str) -> int | None:
    """The chunk index a code file name stands for, or None for library code."""
    m = _CHUNK_RE.match(filename)
    return int(m[1]) if m else None


class Op:
    """Requests the grader sends to the zygote (the `op` key)."""

    KEY: Final = "op"
    RUN: Final = "run"  # with fds: job, stdout, stderr, channel; fork a student process
    KILL: Final = "kill"  # SIGKILL every process of the job
    CLEANUP: Final = "cleanup"  # kill, then wipe the job folder and private /tmp


class Control:
    """Events the zygote sends back on its control socket (the `event` key)."""

    KEY: Final = "event"
    ZYGOTE_READY: Final = "zygote-ready"
    ZYGOTE_FAILED: Final = "zygote-failed"
    FORKED: Final = "forked"  # with `pid`: the student process
    EXIT: Final = "exit"  # with `pid` and `code`: a process of the job ended
    KILLED: Final = "killed"
    CLEAN: Final = "clean"


class Request:
    """What the grader asks of the student process (the `kind` key), one at a time."""

    KEY: Final = "kind"
    START: Final = "start"  # with `key` (hex): authenticate every answer with it
    CODE: Final = "code"  # with `n`, `section`, `chunk`, `source`: run one chunk
    HARVEST: Final = "harvest"  # with `n`, `section`, `inputs`, `outputs`: describe a section
    END: Final = "end"  # answer DONE and exit


class Event:
    """Answers the student process sends (the `event` key): one per request."""

    KEY: Final = "event"
    READY: Final = "ready"  # to START; student code runs next
    CODE: Final = "code"  # to CODE, with `n`, `chunk`, `error`, `stubbed`
    HARVEST: Final = "harvest"  # to HARVEST, with `n`, `section`, `data`
    DONE: Final = "done"  # to END


#: Bytes of the per-run key that authenticates answers.
KEY_BYTES: Final = 32

# Taken at import, before any student code runs: patching `hmac` later changes nothing here.
_hmac_new = hmac.new
_compare = hmac.compare_digest
_sha256 = hashlib.sha256


def seal(key: bytes, body: bytes) -> bytes:
    """One answer line: the body's MAC under `key`, a space, the body, a newline."""
    return _hmac_new(key, body, _sha256).hexdigest().encode("ascii") + b" " + body + b"\n"


def unseal(key: bytes, line: bytes) -> bytes | None:
    """The body of an answer line, or None when its MAC is not `key`'s (not from the harvest)."""
    mac, _, body = line.rstrip(b"\n").partition(b" ")
    expected = _hmac_new(key, body, _sha256).hexdigest().encode("ascii")
    return body if _compare(mac, expected) else None


class Marker:
    """Keys that mark special values inside harvested data."""

    NDARRAY: Final = "__ndarray__"  # {"dtype", "shape", "data": base64 little-endian bytes}
    STRINGS: Final = "__strings__"  # {"shape", "data": [str, ...]}
    SUMMARY: Final = "__summary__"  # a large array described, not sent
    ERROR: Final = "__error__"  # the student's code raised (see `probe.error_info`)
    HARVEST_ERROR: Final = "__harvest_error__"  # a student object broke the harvester itself
    DEFINED: Final = "__defined__"  # which of the section's outputs exist after its code ran

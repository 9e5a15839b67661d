"""The wire format between the grader and the student process, owned in one place for both sides.

Three channels cross the sandbox's boundary:

- the zygote's control socket (one JSON object per datagram): the grader sends an *op*
  (`Op`), the zygote answers with a *control event* (`Control`);
- the job pipe (grader to student process): one JSON document describing the job;
- the channel pipe (student process to grader): one JSON object per line, each an *event*
  (`Event`) whose values use the *markers* below for arrays, summaries and errors.

Everything the student process sends is a claim: the grader decodes it in `grader.run.decode`
and checks it against values it chose itself. This module imports nothing of the grader.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["CHUNK_FILENAME", "Control", "Event", "Marker", "Op", "Plain", "chunk_of_filename"]

Plain = None | bool | int | float | str | list["Plain"] | dict[str, "Plain"]

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


class Event:
    """Events the student process sends on its channel (the `event` key)."""

    KEY: Final = "event"
    READY: Final = "ready"  # the job was read; student code runs next
    STEP: Final = "step"  # with `n`: step n starts
    CODE: Final = "code"  # with `n`, `chunk`, `error`, `stubbed`: a chunk ran
    HARVEST: Final = "harvest"  # with `n`, `section`, `data`: a section's description
    DONE: Final = "done"


class Marker:
    """Keys that mark special values inside harvested data."""

    NDARRAY: Final = "__ndarray__"  # {"dtype", "shape", "data": base64 little-endian bytes}
    STRINGS: Final = "__strings__"  # {"shape", "data": [str, ...]}
    SUMMARY: Final = "__summary__"  # a large array described, not sent
    ERROR: Final = "__error__"  # the student's code raised (see `probe.error_info`)
    HARVEST_ERROR: Final = "__harvest_error__"  # a student object broke the harvester itself

"""Grader configuration: one record, every field with a default."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: What student code must run inside (README, "Isolation and limits"): `auto` takes bubblewrap
#: if it starts, else Landlock with seccomp, else file permissions that verifiably hide the
#: grader, and refuses if none holds; `bwrap` and `landlock` insist on that layer; `process`
#: accepts a plain limited process. As root, student code always runs as a job user.
IsolationChoice = Literal["auto", "bwrap", "landlock", "process"]
ISOLATION_CHOICES: tuple[IsolationChoice, ...] = ("auto", "bwrap", "landlock", "process")


@dataclass(frozen=True, slots=True)
class GraderConfig:
    """How to run student code; defaults come from the assignment spec when it sets them."""

    section_timeout_s: float = 60.0  # wall clock for one section's cells and harvest
    submission_timeout_s: float = 300.0  # wall clock for the whole submission, all reruns included
    memory_mb: int = 3072  # address-space limit of the student process (TensorFlow needs ~2 GiB)
    max_processes: int = 256  # process/thread limit of the student process tree
    max_file_mb: int = 64  # largest file the student process may write in its scratch folder
    output_tail_chars: int = 4000  # how much of the student's printed output a scorecard keeps
    max_message_mb: int = 8  # largest single answer the parent accepts from the student process
    max_run_mb: int = 32  # all answers of one run together
    isolation: IsolationChoice = "auto"  # the isolation student code must run inside (see above)
    tmpfs_mb: int = 256  # size of each RAM-backed folder (/tmp, /dev/shm) in the bwrap sandbox
    # CPU seconds the grader's own work on one submission may use (reading, splitting, decoding,
    # checks; the sandbox's time is not counted): past it, the submission is a grader failure.
    parent_cpu_s: float = 60.0

"""Grader configuration: one record, every field with a default."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GraderConfig:
    """How to run student code; defaults come from the assignment spec when it sets them."""

    section_timeout_s: float = 60.0  # wall clock for one section's cells and harvest
    submission_timeout_s: float = 300.0  # wall clock for the whole submission, all reruns included
    memory_mb: int = 3072  # address-space limit of the student process (TensorFlow needs ~2 GiB)
    max_processes: int = 256  # process/thread limit of the student process tree
    max_file_mb: int = 64  # largest file the student process may write in its scratch folder
    output_tail_chars: int = 4000  # how much of the student's printed output a scorecard keeps
    max_harvest_mb: int = 64  # largest harvest message the parent accepts from the child
    # CPU seconds the grader's own work on one submission may use (reading, splitting, decoding,
    # checks; the sandbox's time is not counted): past it, the submission is a grader failure.
    parent_cpu_s: float = 60.0

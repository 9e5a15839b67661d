"""Options every grading command shares, and the one place they become a GraderConfig."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.assignment import ASSIGNMENTS_DIR, Assignment, find_assignment
from grader.config import ISOLATION_CHOICES, GraderConfig

__all__ = [
    "EXIT_CHECKS_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "add_assignment",
    "add_common",
    "assignment_from_args",
    "config_args",
    "config_from_args",
    "positive_int",
]

EXIT_OK, EXIT_CHECKS_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: give 1 or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value:g} is not allowed: give more than 0 seconds")
    return value


def add_assignment(parser: argparse.ArgumentParser) -> None:
    """--assignment PATH|NAME, and the hidden --assignments-dir the tests use."""
    parser.add_argument(
        "--assignment",
        metavar="PATH|NAME",
        help="an assignment folder (PATH), or the NAME of one in the installed student release "
        "or the repository's assignments/, searched in that order (default: the only one)",
    )
    parser.add_argument(
        "--assignments-dir", type=Path, default=ASSIGNMENTS_DIR, help=argparse.SUPPRESS
    )


def add_common(parser: argparse.ArgumentParser) -> None:
    """The options of every command that runs student code."""
    add_assignment(parser)
    defaults = GraderConfig()
    parser.add_argument(
        "--section-timeout",
        type=_positive_float,
        metavar="S",
        help="seconds one section may run (default: from the assignment spec)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive_float,
        metavar="S",
        help="seconds a whole submission may run (default: from the assignment spec)",
    )
    parser.add_argument(
        "--max-processes",
        type=positive_int,
        metavar="N",
        default=defaults.max_processes,
        help="processes and threads the student code may have (default: %(default)s)",
    )
    parser.add_argument(
        "--memory-mb",
        type=positive_int,
        metavar="MB",
        default=defaults.memory_mb,
        help="memory limit of the student process (default: %(default)s)",
    )
    parser.add_argument(
        "--isolation",
        choices=ISOLATION_CHOICES,
        help="what student code runs inside: auto (bubblewrap if it starts, else Landlock and "
        "seccomp, else a job user that file permissions verifiably keep out of the grader; "
        "stop if none holds), bwrap or landlock (that, or stop), process (accept a plain "
        f"limited process); default: the assignment's [release] isolation if it names one "
        f"(a student release: process), else {defaults.isolation}. `grade.py doctor` shows "
        "what this machine has",
    )


def assignment_from_args(args: argparse.Namespace) -> Assignment:
    return find_assignment(args.assignment, assignments_dir=args.assignments_dir)


def config_from_args(args: argparse.Namespace, assignment: Assignment) -> GraderConfig:
    """The one GraderConfig of a command: its options, else the assignment's limits and its
    `[release] isolation` (a student release asks for no more than a plain process)."""
    isolation = args.isolation or assignment.release.isolation or GraderConfig().isolation
    return GraderConfig(
        section_timeout_s=args.section_timeout or assignment.limits.section_timeout_s,
        submission_timeout_s=args.timeout or assignment.limits.submission_timeout_s,
        memory_mb=args.memory_mb,
        max_processes=args.max_processes,
        isolation=isolation,  # type: ignore[arg-type]  # a choice checked by argparse or the spec
    )


def config_args(config: GraderConfig, assignment: Assignment) -> list[str]:
    """The command-line options that give `config` again (for the Gradescope bundle)."""
    defaults = GraderConfig()
    out = []
    if config.section_timeout_s != assignment.limits.section_timeout_s:
        out += ["--section-timeout", f"{config.section_timeout_s:g}"]
    if config.submission_timeout_s != assignment.limits.submission_timeout_s:
        out += ["--timeout", f"{config.submission_timeout_s:g}"]
    if config.memory_mb != defaults.memory_mb:
        out += ["--memory-mb", str(config.memory_mb)]
    if config.max_processes != defaults.max_processes:
        out += ["--max-processes", str(config.max_processes)]
    out += ["--isolation", config.isolation]  # always: the bundle chooses its layers knowingly
    return out

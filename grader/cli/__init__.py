"""The command line: `python grade.py COMMAND ...` (also `python -m grader` and `tf-autograder`).

Exit codes: 0 success; 1 `check` found a visible check that did not pass (`templates --check`:
stale templates; `doctor`: weaker isolation; `diff`: the two gradings differ); 2 usage or input
error (a GraderError, printed as one line); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from grader.cli.authoring import ReleaseCommand, TemplatesCommand
from grader.cli.command import Command
from grader.cli.doctor import DoctorCommand
from grader.cli.exports import ExportCommand, ReportCommand
from grader.cli.grading import BatchCommand, CheckCommand
from grader.cli.lms import GradescopeBundleCommand, GradescopeCommand
from grader.cli.options import EXIT_INTERRUPTED, EXIT_USAGE
from grader.cli.regrade import DiffCommand
from grader.errors import GraderError
from grader.terminal import safe_text

__all__ = ["COMMANDS", "build_parser", "main"]

#: Every subcommand, in the order `--help` lists them.
COMMANDS: tuple[Command, ...] = (
    CheckCommand(),
    BatchCommand(),
    TemplatesCommand(),
    ReleaseCommand(),
    DoctorCommand(),
    GradescopeCommand(),
    GradescopeBundleCommand(),
    ExportCommand(),
    ReportCommand(),
    DiffCommand(),
)


def _prog() -> str:
    """How the user ran the command line: `grade.py`, `tf-autograder` or `python -m grader`."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if name == "__main__.py":
        return "python -m grader"
    return name if name in ("grade.py", "tf-autograder") else "grade.py"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_prog(),
        description="Autograder for the 'Intro to TensorFlow' lab.",
        epilog="Exit codes: 0 ok; 1 (check) a visible check did not pass, (diff) the gradings "
        "differ; 2 bad input or usage; 130 interrupted.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {c.name: c for c in COMMANDS}
    try:
        return commands[args.command].run(args)
    except GraderError as exc:  # its message may quote a file name or a student's output
        print(f"{_prog()} {args.command}: {safe_text(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{_prog()} {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED

"""`grade.py doctor`: how well this machine can isolate student code, and how to get more."""

from __future__ import annotations

import argparse

from grader.cli.command import SubParsers
from grader.cli.options import EXIT_CHECKS_FAILED, EXIT_OK, add_assignment, assignment_from_args
from grader.run.doctor import examine, render

__all__ = ["DoctorCommand"]


class DoctorCommand:
    name = "doctor"

    def add_parser(self, sub: SubParsers) -> None:
        parser = sub.add_parser(
            self.name,
            help="report how well this machine can isolate student code",
            description="List each isolation layer (bubblewrap, Landlock, seccomp, a separate "
            "user, a memory cgroup, limits) with yes/no and how to get it, and what "
            "--isolation auto would run student code inside. Exit 0 when bubblewrap or "
            "Landlock confines student code, 1 otherwise.",
        )
        add_assignment(parser)

    def run(self, args: argparse.Namespace) -> int:
        exam = examine(harvest_dir=assignment_from_args(args).sandboxed_dir)
        print(render(exam), end="")
        return EXIT_OK if exam.strong else EXIT_CHECKS_FAILED

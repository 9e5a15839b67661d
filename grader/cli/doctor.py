"""`grade.py doctor`: how well this machine can isolate student code, and how to get more."""

from __future__ import annotations

import argparse

from grader.cli.command import SubParsers
from grader.cli.options import EXIT_CHECKS_FAILED, EXIT_OK
from grader.run.doctor import examine, render

__all__ = ["DoctorCommand"]


class DoctorCommand:
    name = "doctor"

    def add_parser(self, sub: SubParsers) -> None:
        sub.add_parser(
            self.name,
            help="report how well this machine can isolate student code",
            description="Report what this machine supports for isolating student code "
            "(bubblewrap, a separate user, limits) and how to get more. Exit 0 when full "
            "isolation is available, 1 otherwise.",
        )

    def run(self, args: argparse.Namespace) -> int:
        findings = examine()
        print(render(findings), end="")
        return EXIT_OK if all(f.ok for f in findings) else EXIT_CHECKS_FAILED

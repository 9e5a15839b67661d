"""`grade.py templates`: the student templates, generated from the reference solution."""

from __future__ import annotations

import argparse
import sys

from grader.cli.command import SubParsers
from grader.cli.options import EXIT_CHECKS_FAILED, EXIT_OK, add_assignment, assignment_from_args
from grader.errors import AssignmentError

__all__ = ["TemplatesCommand"]


class TemplatesCommand:
    """Write (or, with --check, compare) `template.ipynb` and `template.py`."""

    name = "templates"

    def add_parser(self, sub: SubParsers) -> None:
        parser = sub.add_parser(
            self.name,
            help="regenerate the student templates from the reference",
            description="Write template.ipynb and template.py from the reference "
            "solution. With --check, only report whether they are stale "
            "(exit 1 if so).",
        )
        parser.add_argument(
            "--check", action="store_true", help="exit 1 if the templates are stale"
        )
        add_assignment(parser)

    def run(self, args: argparse.Namespace) -> int:
        # nbformat and jupytext: only this command needs them.
        from grader.authoring.templates import stale_templates, write_templates

        assignment = assignment_from_args(args)
        if assignment.reference_path is None:
            raise AssignmentError(f"{assignment.root / 'spec.toml'} names no reference notebook")
        if args.check:
            stale = stale_templates(assignment.reference_path, assignment.root)
            for path in stale:
                print(f"{path} is stale: run `python grade.py templates`", file=sys.stderr)
            return EXIT_CHECKS_FAILED if stale else EXIT_OK
        for path in write_templates(assignment.reference_path, assignment.root):
            print(f"wrote {path}")
        return EXIT_OK

"""`grade.py templates` (the student templates, from the reference) and `grade.py release`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.cli.command import SubParsers
from grader.cli.options import EXIT_CHECKS_FAILED, EXIT_OK, add_assignment, assignment_from_args
from grader.errors import AssignmentError

__all__ = ["ReleaseCommand", "TemplatesCommand"]


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
        from grader.authoring.templates import self_check_for, stale_templates, write_templates

        assignment = assignment_from_args(args)
        if assignment.reference_path is None:
            raise AssignmentError(f"{assignment.root / 'spec.toml'} names no reference notebook")
        self_check = self_check_for(assignment)
        if args.check:
            stale = stale_templates(
                assignment.reference_path, assignment.root, self_check=self_check
            )
            for path in stale:
                print(f"{path} is stale: run `python grade.py templates`", file=sys.stderr)
            return EXIT_CHECKS_FAILED if stale else EXIT_OK
        for path in write_templates(
            assignment.reference_path, assignment.root, self_check=self_check
        ):
            print(f"wrote {path}")
        return EXIT_OK


class ReleaseCommand:
    """Build the student release of an assignment: one wheel, and its folder to review."""

    name = "release"

    def add_parser(self, sub: SubParsers) -> None:
        parser = sub.add_parser(
            self.name,
            help="build the student release (a wheel students pip install)",
            description="Write OUT/tf_autograder-VERSION-py3-none-any.whl (the grader runtime "
            "with this assignment's templates, visible checks, harvest and hints), OUT/<lab>/ "
            "(the assignment folder as the wheel holds it) and the templates OUT/<lab>.ipynb and "
            ".py, whose setup cell installs the wheel. Hidden checks, make_hidden_inputs and the "
            "reference are left out; the build is refused if any file would still name them.",
        )
        parser.add_argument("--out", type=Path, required=True, help="folder for the release")
        parser.add_argument(
            "--install-from",
            metavar="PATH|URL",
            help="what the notebook's setup cell installs: the wheel's URL, or its path as the "
            "student will have it (default: spec.toml's [release] install_from, else the wheel's "
            "file name, beside the notebook)",
        )
        add_assignment(parser)

    def run(self, args: argparse.Namespace) -> int:
        from grader.authoring.release import build_release  # nbformat, jupytext: only here

        assignment = assignment_from_args(args)
        release = build_release(assignment, out=args.out, install_from=args.install_from)
        hidden = [c for c in assignment.checks if c.visibility == "hidden"]
        print(f"wrote {release.wheel} ({len(release.files)} files)")
        print(f"wrote {release.folder}/ (the assignment as the wheel holds it)")
        for notebook in release.notebooks:
            print(f"wrote {notebook}")
        print(
            f"left out: the reference, {len(hidden)} hidden checks (counted and scored only), "
            "make_hidden_inputs, tests/, examples/, .git"
        )
        print(f"students install it with: pip install {release.wheel.name}")
        return EXIT_OK

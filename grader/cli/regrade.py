"""`grade.py diff OLD NEW`: what a regrade changed, student by student and check by check."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.adjust import OVERRIDES_FILE
from grader.cli.command import SubParsers
from grader.cli.options import EXIT_OK
from grader.cli.results import load_results
from grader.errors import ScorecardReadError
from grader.exports.regrade import diff_results, render_diff
from grader.scorecards import single_assignment

__all__ = ["EXIT_CHANGED", "DiffCommand"]

#: `diff` exits 1 when the two gradings differ (as `diff(1)` does); 0 and 2 as everywhere.
EXIT_CHANGED = 1


class DiffCommand:
    """`grade.py diff OLD_DIR NEW_DIR`: compare two folders of scorecards."""

    name = "diff"

    def add_parser(self, sub: SubParsers) -> None:
        parser = sub.add_parser(
            self.name,
            help="compare two gradings (before and after a regrade)",
            description="Compare two `batch --out` folders of the same assignment, e.g. a copy "
            "made before a regrade and the regraded folder. Lists every student whose score or "
            "any check's status or points changed (final score with overrides and late policy "
            "applied, and the grader's own total), students in only one folder, checks that are "
            f"worth other points, and a summary line. Each folder's own {OVERRIDES_FILE} is "
            "applied to it (--overrides applies one file to both). Exit codes: 0 no change, "
            "1 something changed, 2 bad input.",
        )
        parser.add_argument("old", type=Path, metavar="OLD_DIR", help="scorecards before")
        parser.add_argument("new", type=Path, metavar="NEW_DIR", help="scorecards after")
        parser.add_argument(
            "--overrides",
            type=Path,
            metavar="FILE",
            help=f"apply this file to both sides (default: each folder's own {OVERRIDES_FILE})",
        )

    def run(self, args: argparse.Namespace) -> int:
        old = load_results(args.old, overrides=args.overrides, command=self.name, warn=False)
        new = load_results(args.new, overrides=args.overrides, command=self.name, warn=False)
        for warning in dict.fromkeys([*old.warnings, *new.warnings]):
            sides = [str(f) for f, a in ((args.old, old), (args.new, new)) if warning in a.warnings]
            where = f" ({sides[0]})" if len(sides) == 1 else ""
            print(f"grade.py diff: warning{where}: {warning}", file=sys.stderr)
        old_name = single_assignment([r.card for r in old.results], args.old)
        new_name = single_assignment([r.card for r in new.results], args.new)
        if old_name != new_name:
            raise ScorecardReadError(
                f"{args.old} holds assignment {old_name} and {args.new} holds {new_name}; "
                "compare two gradings of the same assignment"
            )
        diff = diff_results(old, new)
        print(
            render_diff(
                diff,
                old_label=f"{args.old} ({len(old.results)} scorecards)",
                new_label=f"{args.new} ({len(new.results)} scorecards)",
            ),
            end="",
        )
        return EXIT_CHANGED if diff.changed else EXIT_OK

"""Load a scorecards folder with the instructor's overrides applied; say what did not apply."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.adjust import OVERRIDES_FILE, AdjustedClass, adjust, load_policy
from grader.scorecards import load_scorecard_dir

__all__ = ["add_overrides", "load_results", "print_warnings"]


def add_overrides(parser: argparse.ArgumentParser) -> None:
    """--overrides FILE, for every command that reads scorecards."""
    parser.add_argument(
        "--overrides",
        type=Path,
        metavar="FILE",
        help=f"overrides and late policy to apply (default: {OVERRIDES_FILE} in the scorecards "
        "folder, when there is one)",
    )


def load_results(
    folder: Path, *, overrides: Path | None, command: str, warn: bool = True
) -> AdjustedClass:
    """The scorecards in `folder`, adjusted; with `warn`, what applies to nothing is printed."""
    policy = load_policy(folder, overrides)  # a broken file stops here, before anything is read
    adjusted = adjust(load_scorecard_dir(folder), policy)
    if warn:
        print_warnings(adjusted, command=command)
    return adjusted


def print_warnings(adjusted: AdjustedClass, *, command: str) -> None:
    for warning in adjusted.warnings:
        print(f"grade.py {command}: warning: {warning}", file=sys.stderr)

"""Commands for LMS integration (Gradescope, Canvas, exports, class report), registered in the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.cli import Command

#: Each entry adds one `grade.py` subcommand; see `grader.cli.Command`.
COMMANDS: list[Command] = []

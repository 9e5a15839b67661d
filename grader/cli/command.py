"""What a `grade.py` subcommand is: a name, its parser, and its action."""

from __future__ import annotations

import argparse
from typing import Protocol, TypeAlias

__all__ = ["Command", "SubParsers"]

SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class Command(Protocol):
    """One subcommand; `grader.cli` registers a list of them."""

    name: str

    def add_parser(self, sub: SubParsers) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...

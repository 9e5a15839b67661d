"""Which handout section a notebook cell belongs to, told from the names it defines. Pure.

A live kernel runs cells one at a time, in whatever order the student clicks, and never sees the
headings. A cell belongs to the section whose outputs (spec.toml) it defines: `def func` is
section 1.2 wherever it sits. A cell that defines several sections' outputs belongs to the one
it defines most of (1.4's gradient cell defines `x` and `dy_dx`, and 1.3.1's `y`); on a tie, to
the current section if that is one of them, else to the later. A cell that defines none (a
`print`) belongs to the current section.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from grader.assignment import SectionSpec

__all__ = ["bound_names", "section_of"]

# When a cell does not parse (a template's `sport = # TODO`): its column-0 definitions.
_DEFINES = re.compile(
    r"^(?:(?:async\s+)?def\s+(?P<def>\w+)|class\s+(?P<cls>\w+)|(?P<targets>\w+(?:\s*,\s*\w+)*)\s*=(?!=))",
    re.M,
)


def bound_names(source: str) -> frozenset[str]:
    """The names a cell's top-level code binds: assignments, `def`, `class`, loops, `with`, imports."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        names: set[str] = set()
        for m in _DEFINES.finditer(source):
            found = m["def"] or m["cls"] or m["targets"]
            names.update(n.strip() for n in found.split(","))
        return frozenset(names)
    return frozenset(_binds(tree.body))


def _binds(body: Sequence[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)  # its body binds names of its own scope, not the notebook's
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
            continue
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For | ast.AsyncFor):
            targets = [node.target]
        elif isinstance(node, ast.With | ast.AsyncWith):
            targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
        for target in targets:
            names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                names |= _binds(inner)
        if isinstance(node, ast.Try | ast.TryStar):
            for handler in node.handlers:
                names |= _binds(handler.body)
    return names


def section_of(
    names: frozenset[str], sections: Sequence[SectionSpec], *, current: str | None
) -> str | None:
    """The section a cell binding `names` belongs to, `current` being the one open before it."""
    counts = {s.id: len(names & set(s.outputs)) for s in sections}
    candidates = [s.id for s in sections if counts[s.id]]
    if not candidates:
        return current
    most = max(counts.values())
    tied = [sid for sid in candidates if counts[sid] == most]
    # On a tie, the current section, else the later one (a notebook runs forwards).
    return current if current in tied else tied[-1]

"""Remove top-level definitions from Python source with the AST, and whatever only they used.

A student release keeps the assignment's check files and `inputs.py` but not the hidden checks
or `make_hidden_inputs`. Those are cut out by line range (so the rest keeps its comments and
layout), together with the helpers, constants and imports that nothing else uses any more:
a definition is removed only when the removed code used it and the remaining code does not, so
nothing the author left unused on purpose disappears. A comment block right above a removed
definition goes with it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator

from grader.errors import AssignmentError

__all__ = ["check_marks", "strip_definitions"]

_BLANKS = re.compile(r"\n{4,}")


def check_marks(node: ast.AST) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]]:
    """Every function under `node` marked `@pytest.mark.check("<id>")`, with its check id."""
    for fn in ast.walk(node):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for deco in fn.decorator_list:
            if (
                isinstance(deco, ast.Call)
                and ast.unparse(deco.func).endswith("mark.check")
                and deco.args
                and isinstance(deco.args[0], ast.Constant)
                and isinstance(deco.args[0].value, str)
            ):
                yield fn, deco.args[0].value


def strip_definitions(source: str, drop: Callable[[ast.stmt], bool], *, where: str) -> str:
    """`source` without its top-level statements for which `drop` is true, and what only they used."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise AssignmentError(f"{where}: cannot parse it to strip hidden code ({exc})") from None
    body = tree.body
    removed = {i for i, node in enumerate(body) if drop(node)}
    dropped_aliases: dict[int, set[str]] = {}  # import statements that lose some of their names
    while True:
        dead = set().union(*(_uses(body[i]) for i in removed)) if removed else set()
        live = set().union(*(_uses(node) for i, node in enumerate(body) if i not in removed))
        changed = False
        for i, node in enumerate(body):
            if i in removed:
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = {_alias_name(a) for a in node.names} - dropped_aliases.get(i, set())
                gone = {n for n in names if n in dead and n not in live}
                if gone:
                    changed = True
                    if gone == names:
                        removed.add(i)
                    else:
                        dropped_aliases.setdefault(i, set()).update(gone)
                continue
            names = _binds(node)
            if names and names & dead and not names & live:
                removed.add(i)
                changed = True
        if not changed:
            break
    lines = source.splitlines(keepends=True)
    out = list(lines)
    for i in sorted(removed | set(dropped_aliases), reverse=True):
        node = body[i]
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]) - 1
        end = node.end_lineno or node.lineno
        if i in removed:
            while start > 0 and lines[start - 1].lstrip().startswith("#"):
                start -= 1  # the comment block that introduces it
            out[start:end] = []
        else:
            assert isinstance(node, ast.Import | ast.ImportFrom)
            kept = [a for a in node.names if _alias_name(a) not in dropped_aliases[i]]
            node.names = kept
            out[start:end] = [ast.unparse(node) + "\n"]
    text = _BLANKS.sub("\n\n\n", "".join(out)).rstrip("\n") + "\n"
    try:
        ast.parse(text)
    except SyntaxError as exc:  # pragma: no cover - a cut between statements always parses
        raise AssignmentError(f"{where}: stripping hidden code broke the file ({exc})") from None
    return text


def _alias_name(alias: ast.alias) -> str:
    return (alias.asname or alias.name).split(".")[0]


def _binds(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AnnAssign | ast.AugAssign):
        targets = [node.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _uses(node: ast.stmt) -> set[str]:
    """The names a statement refers to: loaded names, the parameters it asks pytest for (fixtures
    are named by parameter) and the strings of `__all__`; never the names it binds itself."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        return set()
    used: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            used.add(sub.id)
        elif isinstance(sub, ast.arg):
            used.add(sub.arg)
    if isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
    ):
        used.update(
            c.value
            for c in ast.walk(node.value)
            if isinstance(c, ast.Constant) and isinstance(c.value, str)
        )
    return used - _binds(node)

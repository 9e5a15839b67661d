"""Locate sections by the names they define, when their headings are missing or unreadable.

The handout has each section define its outputs (1.1 `sport`, ..., 1.4 `dy_dx`, `x`, `history`)
in its own order. A *definition* is an assignment, `def` or `class` at column 0 of a top-level
statement, and only a name's first definition in the file counts: later sections reassign
`model`, `x_input` and `y`, and that must not pull them back. Between two headings that were
found, the statements are labelled with the section under the first heading and the missing
sections after it, in order, so that as many first definitions as possible fall in the section
that owns them (a dynamic programme, linear in the number of statements). A missing section
starts at its first definition, with the comment lines right above it; a section none of whose
names is defined there stays missing.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "MAX_AST_CHARS",
    "Cut",
    "Piece",
    "Statement",
    "locate_sections",
    "top_level_statements",
]

MAX_AST_CHARS = 256 * 1024  # larger pieces are read line by line (the AST costs ~20x the text)
_DEF = re.compile(r"^(?:async[ \t]++)?(?:def|class)[ \t]++(?P<name>[A-Za-z_]\w{0,99})")
_ASSIGN = re.compile(
    r"^(?P<names>[A-Za-z_]\w{0,99}(?:[ \t]*+,[ \t]*+[A-Za-z_]\w{0,99}){0,20})[ \t]*+"
    r"(?::[^=\n]{0,200})?=(?!=)"
)


@dataclass(frozen=True, slots=True)
class Statement:
    """A top-level statement of a piece of code, and the names it defines at column 0."""

    line: int  # 0-based line of the piece where it starts (its decorators included)
    cut: int  # where a section that starts with it begins: the comment lines right above it too
    names: frozenset[str]
    head: str  # its first line, stripped (`class SubclassModel(tf.keras.Model):`)


@dataclass(frozen=True, slots=True)
class Piece:
    """A piece of code, the section its heading put it in (None: before any), its statements."""

    section: str | None
    statements: tuple[Statement, ...]


@dataclass(frozen=True, slots=True)
class Cut:
    """Where a located section begins."""

    piece: int
    line: int  # 0-based line of the piece
    section: str
    statement: Statement


def top_level_statements(
    code: str, *, inside_strings: frozenset[int] = frozenset()
) -> tuple[Statement, ...]:
    """The top-level statements of `code` (magics already replaced), from its AST if it parses.

    Code that does not parse (a `# TODO` left in a template) is read line by line: a line at
    column 0 that is not a comment, a closing bracket or inside a string starts a statement.
    """
    lines = code.splitlines()
    if len(code) <= MAX_AST_CHARS:
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
        else:
            return _with_cuts(lines, [_from_node(node, lines) for node in tree.body])
    starts: list[_Start] = []
    for i, line in enumerate(lines):
        if i in inside_strings or not line[:1] or line[:1].isspace() or line[:1] in "#)]}":
            continue
        starts.append((i, i, _line_names(line), line.strip()[:200]))
    return _with_cuts(lines, starts)


_Start = tuple[int, int, frozenset[str], str]  # (first line, last line, names, head), 0-based


def _from_node(node: ast.stmt, lines: Sequence[str]) -> _Start:
    first = node.lineno - 1
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    if decorators:
        first = min(first, *(d.lineno - 1 for d in decorators))
    names: set[str] = set()
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        names.add(node.name)
    elif isinstance(node, ast.Assign):
        for target in node.targets:
            names.update(_target_names(target))
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        names.add(node.target.id)
    head = lines[node.lineno - 1].strip()[:200] if node.lineno - 1 < len(lines) else ""
    last = (node.end_lineno or node.lineno) - 1
    return max(first, 0), last, frozenset(names), head


def _target_names(target: ast.expr) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Tuple | ast.List):
        return {n for element in target.elts for n in _target_names(element)}
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return set()


def _line_names(line: str) -> frozenset[str]:
    if m := _DEF.match(line):
        return frozenset({m["name"]})
    if m := _ASSIGN.match(line):
        return frozenset(n.strip() for n in m["names"].split(","))
    return frozenset()


def _with_cuts(lines: Sequence[str], starts: Sequence[_Start]) -> tuple[Statement, ...]:
    out = []
    after_previous = 0  # the first line after the previous statement
    for first, last, names, head in starts:
        cut = first
        while cut > after_previous and lines[cut - 1].lstrip().startswith("#"):
            cut -= 1  # the comment lines right above it introduce it: they go with it
        out.append(Statement(first, cut, names, head))
        after_previous = last + 1
    return tuple(out)


def locate_sections(
    pieces: Sequence[Piece],
    *,
    section_ids: Sequence[str],
    found: frozenset[str],
    outputs: Mapping[str, Sequence[str]],
    starts: Mapping[str, Sequence[str]],
) -> list[Cut]:
    """Where each section not in `found` begins, when its names say so; in file order."""
    owners = {name: sid for sid in section_ids for name in outputs.get(sid, ())}
    # Only first definitions and start lines score; every other statement scores 0 for every
    # label and cannot move a boundary, so only these few take part in the labelling.
    points: dict[tuple[int, int], dict[str, int]] = {}
    defined: set[str] = set()
    for p, piece in enumerate(pieces):
        for s, statement in enumerate(piece.statements):
            for name in sorted(statement.names - defined):
                defined.add(name)
                if name in owners:
                    row = points.setdefault((p, s), {})
                    row[owners[name]] = row.get(owners[name], 0) + 1
            for sid, prefixes in starts.items():
                if any(statement.head.startswith(prefix) for prefix in prefixes):
                    row = points.setdefault((p, s), {})
                    row[sid] = row.get(sid, 0) + 1
    cuts: list[Cut] = []
    located: set[str] = set()
    for owner, run in _runs(pieces):
        labels = [owner, *_missing_after(owner, section_ids, found | located)]
        if len(labels) == 1:
            continue
        in_run = set(run)
        scoring = sorted(key for key in points if key[0] in in_run)
        rows = [[points[key].get(label, 0) if label else 0 for label in labels] for key in scoring]
        seen: set[int] = {0}
        for (p, s), label in zip(scoring, _best_labels(rows), strict=True):
            if label in seen:
                continue
            seen.add(label)
            section = labels[label]
            assert section is not None  # label 0 is the owner, seen from the start
            statement = pieces[p].statements[s]
            cuts.append(Cut(p, statement.cut, section, statement))
            located.add(section)
    return cuts


def _runs(pieces: Sequence[Piece]) -> list[tuple[str | None, list[int]]]:
    """Consecutive pieces under the same heading, each run once (the first of a repeated one)."""
    runs: list[tuple[str | None, list[int]]] = []
    owners: set[str | None] = set()
    for p, piece in enumerate(pieces):
        if runs and runs[-1][0] == piece.section:
            runs[-1][1].append(p)
        elif piece.section not in owners:
            owners.add(piece.section)
            runs.append((piece.section, [p]))
        else:
            runs.append((piece.section, []))  # a heading seen again: its code stays with it
    return runs


def _missing_after(
    owner: str | None, section_ids: Sequence[str], found: set[str] | frozenset[str]
) -> list[str]:
    """The sections that follow `owner` in the handout, up to the next one that was found."""
    start = 0 if owner is None else section_ids.index(owner) + 1
    out = []
    for sid in section_ids[start:]:
        if sid in found:
            break
        out.append(sid)
    return out


def _best_labels(rows: Sequence[Sequence[int]]) -> list[int]:
    """Non-decreasing labels, one per row, that maximise the total of `row[label]`; ties keep
    lower labels.

    Keeping lower labels on ties moves every boundary as late as it can go: a missing section
    starts at one of its own definitions, never at the helper lines before it.
    """
    if not rows:
        return []
    k = len(rows[0])
    best = [0] * k  # best total so far with the last row labelled j
    back: list[list[int]] = []
    for row in rows:
        prefix, arg = best[0], 0
        pointers, new = [], []
        for j in range(k):
            if best[j] > prefix:
                prefix, arg = best[j], j
            pointers.append(arg)
            new.append(prefix + row[j])
        back.append(pointers)
        best = new
    label = max(range(k), key=lambda j: (best[j], -j))
    chosen = [0] * len(rows)
    for t in range(len(rows) - 1, -1, -1):
        chosen[t] = label
        label = back[t][label]
    return chosen

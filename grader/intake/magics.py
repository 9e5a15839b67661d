"""IPython magics and shell escapes, turned into plain Python that does nothing."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# Cell magics whose body is still Python: drop the magic line, run the body.
_PYTHON_CELL_MAGICS = frozenset(
    {"time", "timeit", "capture", "prun", "debug", "tensorflow_version"}
)
# Possessive quantifiers (`*+`): no pattern ever backtracks, so each line costs linear time
# whatever a student puts in it (a line of 200,000 spaces included).
_LINE_MAGIC = re.compile(r"^(?P<indent>[ \t]*+)(?P<magic>[%!].*)$")
_ASSIGNED_MAGIC = re.compile(r"^(?P<head>[ \t]*+[A-Za-z_][\w, ]*+=\s*+)(?P<magic>[%!].*)$")
_HELP = re.compile(r"^(?P<indent>[ \t]*+)(?:\?{1,2}[\w.]++|[\w.]++\?{1,2})\s*+$")
_TRIPLE = re.compile(r"\"\"\"|\'\'\'")


@dataclass(frozen=True, slots=True)
class CellMagic:
    """The `%%magic` line that opened a cell, and whether the cell's body still ran."""

    line: str  # "%%capture out"
    body_ran: bool  # %%capture, %%time: the body is Python and ran; %%bash, %%writefile: skipped


@dataclass(frozen=True, slots=True)
class Cleaned:
    """Source with magics removed, and what was removed (for a note, never a penalty)."""

    source: str
    removed: tuple[str, ...]  # every line removed, the cell magic's first
    cell_magic: CellMagic | None = None
    assigned: tuple[str, ...] = ()  # `files = !ls`: lines whose shell output became []


@functools.lru_cache(maxsize=16)  # the splitter asks about the same cell several times
def strip_magics(source: str) -> Cleaned:
    """Replace magics, shell escapes and `?` help lines with `pass`, keeping line numbers."""
    lines = source.splitlines()
    if not lines:
        return Cleaned(source, ())
    first = lines[0].strip()
    cell_magic: CellMagic | None = None
    if first.startswith("%%"):
        name = first[2:].split(maxsplit=1)[0] if len(first) > 2 else ""
        if name not in _PYTHON_CELL_MAGICS:
            # %%bash, %%writefile, %%html, ...: not Python at all.
            return Cleaned("\n" * (len(lines) - 1), (first,), CellMagic(first, body_ran=False))
        lines[0] = "pass"
        removed = [first]
        cell_magic = CellMagic(first, body_ran=True)
    else:
        removed = []
    if _compiles("\n".join(lines)):
        return Cleaned("\n".join(lines) if removed else source, tuple(removed), cell_magic)
    out = []
    assigned = []
    in_string: str | None = None  # the triple quote that opened a string we are inside
    continued = False  # the previous line was a magic ending in a backslash
    for line in lines:
        if continued:
            out.append("")  # the rest of a shell command: keep the line count, drop the text
            continued = line.rstrip().endswith("\\")
            continue
        if in_string is None and (m := _LINE_MAGIC.match(line)):
            out.append(f"{m['indent']}pass")
            removed.append(m["magic"].strip())
            continued = line.rstrip().endswith("\\")
        elif in_string is None and (m := _ASSIGNED_MAGIC.match(line)):
            out.append(f"{m['head']}[]")
            removed.append(m["magic"].strip())
            assigned.append(line.strip())
            continued = line.rstrip().endswith("\\")
        elif in_string is None and (m := _HELP.match(line)):
            out.append(f"{m['indent']}pass")
            removed.append(line.strip())
        else:
            out.append(line)
        for quote in _TRIPLE.findall(line):
            if in_string is None:
                in_string = quote
            elif quote == in_string:
                in_string = None
    return Cleaned("\n".join(out), tuple(removed), cell_magic, tuple(assigned))


def _compiles(source: str) -> bool:
    try:
        compile(source, "<cell>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False  # RecursionError: `1+1+...+1` nested too deep for the compiler
    return True

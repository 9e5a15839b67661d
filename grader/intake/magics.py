"""IPython magics and shell escapes, turned into plain Python that does nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Cell magics whose body is still Python: drop the magic line, run the body.
_PYTHON_CELL_MAGICS = frozenset(
    {"time", "timeit", "capture", "prun", "debug", "tensorflow_version"}
)
_LINE_MAGIC = re.compile(r"^(?P<indent>[ \t]*)(?P<magic>[%!].*)$")
_ASSIGNED_MAGIC = re.compile(r"^(?P<head>[ \t]*[A-Za-z_][\w, ]*=\s*)(?P<magic>[%!].*)$")
_HELP = re.compile(r"^(?P<indent>[ \t]*)(?:\?{1,2}[\w.]+|[\w.]+\?{1,2})\s*$")
_TRIPLE = re.compile(r"\"\"\"|\'\'\'")


@dataclass(frozen=True, slots=True)
class Cleaned:
    """Source with magics removed, and what was removed (for a note, never a penalty)."""

    source: str
    removed: tuple[str, ...]


def strip_magics(source: str) -> Cleaned:
    """Replace magics, shell escapes and `?` help lines with `pass`, keeping line numbers."""
    lines = source.splitlines()
    if not lines:
        return Cleaned(source, ())
    first = lines[0].strip()
    if first.startswith("%%"):
        name = first[2:].split(maxsplit=1)[0] if len(first) > 2 else ""
        if name not in _PYTHON_CELL_MAGICS:
            # %%bash, %%writefile, %%html, ...: not Python at all.
            return Cleaned("\n" * (len(lines) - 1), (first,))
        lines[0] = "pass"
        removed = [first]
    else:
        removed = []
    if _compiles("\n".join(lines)):
        return Cleaned("\n".join(lines) if removed else source, tuple(removed))
    out = []
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
    return Cleaned("\n".join(out), tuple(removed))


def _compiles(source: str) -> bool:
    try:
        compile(source, "<cell>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True

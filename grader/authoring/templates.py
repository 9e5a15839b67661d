"""Generate the student templates from the reference solution, so the two never drift.

In the reference, a line ending in `# SOLUTION` becomes a `# TODO` placeholder (keeping the
assignment target or `return`), and lines between `# BEGIN SOLUTION: hint` and `# END SOLUTION`
become one `# TODO: hint` line, as the course's own stubs have them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.errors import AssignmentError

_LINE = re.compile(r"^(?P<indent>\s*)(?P<code>.*?)\s*#\s*SOLUTION\s*$")
_TARGET = re.compile(r"^(?P<target>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=(?!=)")
_BEGIN = re.compile(r"^(?P<indent>\s*)#\s*BEGIN SOLUTION\s*:?\s*(?P<hint>.*)$")
_END = re.compile(r"^\s*#\s*END SOLUTION\s*$")


@dataclass(frozen=True, slots=True)
class Templates:
    """The rendered templates, as the exact text to write."""

    ipynb: str
    py: str


def strip_solutions(source: str, *, where: str = "") -> str:
    """Replace the solution regions of one cell with `# TODO` placeholders."""
    out: list[str] = []
    block: str | None = None
    for number, line in enumerate(source.splitlines(), start=1):
        if block is not None:
            if _END.match(line):
                block = None
            continue
        if m := _BEGIN.match(line):
            hint = m["hint"].strip()
            out.append(f"{m['indent']}# TODO" + (f": {hint}" if hint else ""))
            block = where
            continue
        if _END.match(line):
            raise AssignmentError(f"{where}, line {number}: END SOLUTION without BEGIN SOLUTION")
        if m := _LINE.match(line):
            code = m["code"]
            if t := _TARGET.match(code):
                out.append(f"{m['indent']}{t['target']} = # TODO")
            elif re.match(r"return\b", code):
                out.append(f"{m['indent']}return # TODO")
            else:
                out.append(f"{m['indent']}# TODO")
            continue
        out.append(line)
    if block is not None:
        raise AssignmentError(f"{where}: BEGIN SOLUTION is never closed with END SOLUTION")
    return "\n".join(out)


def render_templates(reference: Path) -> Templates:
    """Render `template.ipynb` and `template.py` (percent format) from the reference notebook."""
    try:
        nb = nbformat.read(reference, as_version=4)  # type: ignore[no-untyped-call]
    except (OSError, ValueError) as exc:
        raise AssignmentError(f"cannot read the reference notebook {reference}: {exc}") from None
    for index, cell in enumerate(nb.cells, start=1):
        cell.pop("id", None)
        cell.metadata = {}
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, where=f"{reference.name}, cell {index}")
            cell.outputs = []
            cell.execution_count = None
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nb.nbformat_minor = 4  # no cell ids: the output is the same on every run
    ipynb = nbformat.writes(nb) + "\n"  # type: ignore[no-untyped-call]
    # No jupytext header: it records jupytext's version, which would make the file differ by machine.
    nb.metadata["jupytext"] = {"notebook_metadata_filter": "-all", "cell_metadata_filter": "-all"}
    import jupytext  # only this command needs it: keep it out of every grading process

    py: str = jupytext.writes(nb, fmt="py:percent")
    return Templates(ipynb=ipynb, py=py)


def template_paths(assignment_root: Path) -> tuple[Path, Path]:
    return assignment_root / "template.ipynb", assignment_root / "template.py"


def write_templates(reference: Path, assignment_root: Path) -> list[Path]:
    """Write both templates; return the paths whose content changed."""
    templates = render_templates(reference)
    changed = []
    for path, text in zip(
        template_paths(assignment_root), (templates.ipynb, templates.py), strict=True
    ):
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def stale_templates(reference: Path, assignment_root: Path) -> list[Path]:
    """The committed templates that differ from what the reference renders to."""
    templates = render_templates(reference)
    return [
        path
        for path, text in zip(
            template_paths(assignment_root), (templates.ipynb, templates.py), strict=True
        )
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]

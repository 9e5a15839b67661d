"""Generate the student templates from the reference solution, so the two never drift.

In the reference, a line ending in `# SOLUTION` becomes a `# TODO` placeholder (keeping the
assignment target or `return`), and lines between `# BEGIN SOLUTION: hint` and `# END SOLUTION`
become one `# TODO: hint` line, as the course's own stubs have them.

The templates also get one setup cell before the first code cell (it installs the student
release and starts `tf_autograder`) and, after each section's last code cell, a check cell
(`autograder.check("1.3.1")`). Graded, these cells do nothing (see `grader.notebook`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.assignment import Assignment
from grader.authoring.wheel import project_version, release_version, wheel_filename
from grader.errors import AssignmentError
from grader.intake.sections import split_sections
from grader.intake.submission import load_submission

_LINE = re.compile(r"^(?P<indent>\s*)(?P<code>.*?)\s*#\s*SOLUTION\s*$")
_TARGET = re.compile(r"^(?P<target>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=(?!=)")
_BEGIN = re.compile(r"^(?P<indent>\s*)#\s*BEGIN SOLUTION\s*:?\s*(?P<hint>.*)$")
_END = re.compile(r"^\s*#\s*END SOLUTION\s*$")


@dataclass(frozen=True, slots=True)
class Templates:
    """The rendered templates, as the exact text to write."""

    ipynb: str
    py: str


@dataclass(frozen=True, slots=True)
class SelfCheck:
    """What the setup and check cells need: the lab, its sections, and where to install from."""

    assignment: str
    section_ids: tuple[str, ...]
    install_from: str  # a path (a wheel beside the notebook) or URL the setup cell installs
    starts: Mapping[str, Sequence[str]] | None = None  # as spec.toml has them, to find sections


def self_check_for(assignment: Assignment, *, install_from: str | None = None) -> SelfCheck:
    """The cells' settings for `assignment`: install from `install_from`, else the spec's
    `[release] install_from`, else the release wheel placed beside the notebook."""
    source = install_from or assignment.release.install_from
    if source is None:
        version = release_version(project_version(), assignment.name)
        source = wheel_filename(version)
    if re.search(r"[{}$\n]", source):
        raise AssignmentError(
            f"install source {source!r}: a notebook's %pip line cannot hold '{{', '}}', '$' or a newline"
        )
    return SelfCheck(
        assignment=assignment.name,
        section_ids=assignment.section_ids,
        install_from=source,
        starts={s.id: s.starts for s in assignment.sections},
    )


def setup_cell(self_check: SelfCheck) -> str:
    """The notebook's one setup cell: install the student release, start watching cells."""
    return (
        "# Check your work as you go (Jupyter or Colab): run this cell first. It installs this\n"
        "# lab's autograder; each `autograder.check(...)` cell below then checks its section.\n"
        "# When your notebook is graded, these cells do nothing.\n"
        f"%pip install -q {shlex.quote(self_check.install_from)}\n"
        "import tf_autograder as autograder\n"
        f'autograder.start("{self_check.assignment}")'
    )


def check_cell(section_id: str) -> str:
    """The check cell after a section: its report, from the kernel's state right then."""
    return (
        f"# Check section {section_id} (its visible checks; this cell does nothing when your "
        "notebook is graded)\n"
        f'autograder.check("{section_id}")'
    )


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


def solution_blocks(reference: Path) -> list[list[str]]:
    """The reference's solution code, cell by cell, each line stripped of its marker."""
    nb = nbformat.read(reference, as_version=4)  # type: ignore[no-untyped-call]
    blocks: list[list[str]] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines: list[str] = []
        inside = False
        for line in cell.source.splitlines():
            if _BEGIN.match(line):
                inside = True
            elif _END.match(line):
                inside = False
            elif inside:
                lines.append(line.strip())
            elif m := _LINE.match(line):
                lines.append(m["code"].strip())
        if lines := [line for line in lines if line]:
            blocks.append(lines)
    return blocks


def render_templates(reference: Path, *, self_check: SelfCheck | None = None) -> Templates:
    """Render `template.ipynb` and `template.py` (percent format) from the reference notebook,
    with the setup and check cells when `self_check` says how."""
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
    if self_check is not None:
        nb.cells = _with_check_cells(reference, nb.cells, self_check)
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


def _with_check_cells(
    reference: Path, cells: list[nbformat.NotebookNode], self_check: SelfCheck
) -> list[nbformat.NotebookNode]:
    """The cells with the setup cell before the first code cell (it must run before any
    student code: it hooks cell execution) and a check cell after each section's last code cell."""
    split = split_sections(
        load_submission(reference), self_check.section_ids, starts=self_check.starts
    )
    after: dict[int, list[str]] = {}  # 0-based cell position -> cells to insert after it
    for section in split.sections:
        if section.chunks:
            after.setdefault(section.chunks[-1].cell.index - 1, []).append(check_cell(section.id))
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
    out: list[nbformat.NotebookNode] = []
    for i, cell in enumerate(cells):
        if i == first_code:
            out.append(nbformat.v4.new_code_cell(setup_cell(self_check)))  # type: ignore[no-untyped-call]
        out.append(cell)
        out.extend(nbformat.v4.new_code_cell(c) for c in after.get(i, []))  # type: ignore[no-untyped-call]
    if first_code == len(cells):
        out.append(nbformat.v4.new_code_cell(setup_cell(self_check)))  # type: ignore[no-untyped-call]
    for cell in out:
        cell.pop("id", None)
    return out


def template_paths(assignment_root: Path) -> tuple[Path, Path]:
    return assignment_root / "template.ipynb", assignment_root / "template.py"


def write_templates(
    reference: Path, assignment_root: Path, *, self_check: SelfCheck | None = None
) -> list[Path]:
    """Write both templates; return the paths whose content changed."""
    templates = render_templates(reference, self_check=self_check)
    changed = []
    for path, text in zip(
        template_paths(assignment_root), (templates.ipynb, templates.py), strict=True
    ):
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def stale_templates(
    reference: Path, assignment_root: Path, *, self_check: SelfCheck | None = None
) -> list[Path]:
    """The committed templates that differ from what the reference renders to."""
    templates = render_templates(reference, self_check=self_check)
    return [
        path
        for path, text in zip(
            template_paths(assignment_root), (templates.ipynb, templates.py), strict=True
        )
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]

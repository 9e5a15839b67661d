"""Split a submission into the handout's numbered sections, and plan their execution. Pure."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from grader.intake.magics import strip_magics
from grader.intake.submission import Cell, Submission

_ID = r"(?P<id>\d+(?:\.\d+)+)\.?(?![\d.])"
# Markdown: `## 1.1 Why ...`, `# **1.2 Computations**`, `**1.3.1 A network Layer**`, `Section 1.4`.
_MD_HEADING = re.compile(
    rf"^[ ]{{0,3}}(?:#{{1,6}}[ \t]*)?(?:\*\*|__)?[ \t]*(?:(?:Section|Part)[ \t]+)?{_ID}",
    re.IGNORECASE,
)
# Code: a comment at column 0, `# 1.3.1 A network Layer`, `## 1.4`, `# Section 1.2: ...`, or
# a markdown cell as Colab's "Download .py" writes it: `"""## 1.1 Why is ..."""`.
_QUOTES = re.compile(r"^[rRuU]?(?:\"\"\"|\'\'\'|\"|\')")
_CODE_HEADING = re.compile(
    rf"^(?:#+|[rRuU]?(?:\"\"\"|\'\'\')[ \t]*#{{0,6}})[ \t]*(?:\*\*|__)?[ \t]*(?:(?:Section|Part)[ \t]+)?{_ID}",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of code that runs as one unit, with where it came from."""

    index: int  # position in the submission's execution order, from 0
    section: str | None  # None for the preamble (code before the first section)
    source: str  # what runs: the student's code with magics replaced by `pass`
    removed_magics: tuple[str, ...]
    cell: Cell
    line_base: int  # add to a 1-based line of `source` to get the line in the cell (.ipynb) or file

    def where(self, line: int | None = None) -> str:
        """Say where a line of this chunk is, as the student sees it: "cell 7, line 3", "line 40"."""
        if self.cell.label.startswith("cell"):
            return (
                self.cell.label
                if line is None
                else f"{self.cell.label}, line {line + self.line_base}"
            )
        first = self.cell.first_line + self.line_base
        return f"line {first}" if line is None else f"line {first + line - 1}"


@dataclass(frozen=True, slots=True)
class Section:
    """One handout section of a submission: its code, and where its heading was found."""

    id: str
    chunks: tuple[Chunk, ...]
    heading: str | None  # where the heading is ("cell 4", "line 12"); None if missing
    recognised_by: str | None = None  # the start line that stood in for a missing heading


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the execution plan: run a chunk, or harvest a section right after its code."""

    kind: Literal["code", "harvest"]
    section: str | None
    chunk: int | None  # the chunk index, for code steps


@dataclass(frozen=True, slots=True)
class Split:
    """A submission split into sections, with the order to run and harvest them in."""

    preamble: tuple[Chunk, ...]
    sections: tuple[Section, ...]
    chunks: tuple[Chunk, ...]
    plan: tuple[Step, ...]

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)

    @property
    def found_any(self) -> bool:
        return any(s.heading is not None for s in self.sections)


def split_sections(
    submission: Submission,
    section_ids: Sequence[str],
    *,
    starts: Mapping[str, Sequence[str]] | None = None,
) -> Split:
    """Split cells at headings naming one of `section_ids`; other numbered headings are ignored.

    A section whose heading is missing starts instead at a line from `starts` (its first
    line of code, like `class SubclassModel`), when the submission has one at column 0.
    """
    split = _split(submission, section_ids, {})
    missing = {
        sid: tuple(starts[sid])
        for sid in section_ids
        if starts and starts.get(sid) and split.section(sid).heading is None
    }
    return _split(submission, section_ids, missing) if missing else split


def _split(
    submission: Submission, section_ids: Sequence[str], markers: Mapping[str, Sequence[str]]
) -> Split:
    known = set(section_ids)
    recognised: dict[str, str] = {}
    current: str | None = None
    headings: dict[str, str] = {}
    pieces: list[tuple[str | None, Cell, str, int]] = []  # (section, cell, code, line offset)
    for cell in submission.cells:
        if cell.kind == "markdown":
            for line in cell.source.splitlines():
                m = _MD_HEADING.match(line)
                if m and m["id"] in known:
                    current = m["id"]
                    headings.setdefault(current, cell.label)
                    break
            continue
        for section, code, offset in _split_code_cell(cell.source, known, current, markers):
            if section != current and section is not None:
                if section in markers:
                    recognised.setdefault(
                        section,
                        f"`{code.splitlines()[0].strip()[:60]}` at {_line_label(cell, offset)}",
                    )
                else:
                    headings.setdefault(section, _line_label(cell, offset))
                current = section
            if code.strip():
                pieces.append((current, cell, code, offset))

    chunks = []
    for i, (section, cell, code, offset) in enumerate(pieces):
        cleaned = strip_magics(code)
        chunks.append(Chunk(i, section, cleaned.source, cleaned.removed, cell, offset))
    sections = tuple(
        Section(
            sid,
            tuple(c for c in chunks if c.section == sid),
            headings.get(sid),
            recognised.get(sid),
        )
        for sid in section_ids
    )
    return Split(
        preamble=tuple(c for c in chunks if c.section is None),
        sections=sections,
        chunks=tuple(chunks),
        plan=_plan(chunks, section_ids),
    )


def _split_code_cell(
    source: str, known: set[str], current: str | None, markers: Mapping[str, Sequence[str]]
) -> list[tuple[str | None, str, int]]:
    """Split one code cell at column-0 comment headings, if every piece still compiles."""
    lines = source.splitlines(keepends=True)
    blocks, inside = _strings(source)
    found: dict[int, str] = {}
    for i, line in enumerate(lines):
        block = next((b for b in blocks if b[0] <= i <= b[1]), None)
        if block is not None:
            # A string at column 0 is a markdown cell in Colab's "Download .py": its headings
            # cut before the string; the last one in the string names the code after it.
            m = _MD_HEADING.match(_QUOTES.sub("", line) if i == block[0] else line)
            if m and m["id"] in known:
                found[block[0]] = m["id"]
        elif (
            i not in inside
            and (m := _CODE_HEADING.match(line))
            and m["id"] in known
            and _at_top_level(lines, i)
        ):
            found[i] = m["id"]
        elif i not in inside and current not in markers:
            for sid, prefixes in markers.items():
                if (
                    any(line.startswith(prefix) for prefix in prefixes)
                    and sid not in found.values()
                ):
                    found[i] = sid
    cuts = sorted(found.items())
    if not cuts:
        return [(current, source, 0)]
    bounds = [(0, current), *cuts]
    pieces = []
    for n, (start, section) in enumerate(bounds):
        end = bounds[n + 1][0] if n + 1 < len(bounds) else len(lines)
        pieces.append((section, "".join(lines[start:end]), start))
    if _compiles(source) and not all(_compiles(code) for _, code, _ in pieces):
        return [(current, source, 0)]  # a heading-like comment inside a block: don't cut there
    return pieces


def _strings(source: str) -> tuple[list[tuple[int, int]], set[int]]:
    """(0-based first and last lines of strings that start at column 0, lines inside any string)."""
    blocks: list[tuple[int, int]] = []
    inside: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(strip_magics(source).source).readline):
            if token.type != tokenize.STRING:
                continue
            first, last = token.start[0] - 1, token.end[0] - 1
            if token.start[1] == 0:
                blocks.append((first, last))
            inside.update(range(first + 1, last + 1))
    except (tokenize.TokenError, SyntaxError):
        pass  # unfinished code: the compile check still guards the cuts
    return blocks, inside


def _at_top_level(lines: Sequence[str], i: int) -> bool:
    """Whether a heading comment at line i is between statements, not inside an indented block."""
    for line in lines[i + 1 :]:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return not line[:1].isspace()
    return True


def _plan(chunks: Sequence[Chunk], section_ids: Sequence[str]) -> tuple[Step, ...]:
    """Run chunks in file order; harvest each section right after its last chunk.

    A section with no code of its own is harvested where its predecessor is (its code most
    likely sits under the previous heading), so a missing heading costs nothing by itself.
    """
    last: dict[str, int] = {}
    for c in chunks:
        if c.section is not None:
            last[c.section] = c.index
    # Sections before the first heading found are harvested after the code that precedes it.
    first = min(last.values(), default=len(chunks))
    at: dict[str, int] = {}
    previous = first - 1
    for sid in section_ids:
        previous = last.get(sid, previous)
        at[sid] = previous
    steps: list[Step] = [Step("harvest", sid, None) for sid in section_ids if at[sid] == -1]
    for c in chunks:
        steps.append(Step("code", c.section, c.index))
        steps.extend(Step("harvest", sid, None) for sid in section_ids if at[sid] == c.index)
    return tuple(steps)


def _line_label(cell: Cell, offset: int) -> str:
    if cell.label.startswith("cell"):
        return cell.label if offset == 0 else f"{cell.label}, line {offset + 1}"
    return f"line {cell.first_line + offset}"


def _compiles(source: str) -> bool:
    try:
        compile(strip_magics(source).source, "<cell>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def split_notes(split: Split) -> dict[str, list[str]]:
    """Feedback notes about how the submission was split: missing headings, skipped magics.

    Keyed by section id; notes about the code before the first section are under "".
    """
    notes: dict[str, list[str]] = {}
    previous = "the start of the file"
    for section in split.sections:
        if section.recognised_by is not None:
            notes.setdefault(section.id, []).append(
                f"No heading for section {section.id} was found; its code was recognised by "
                f"{section.recognised_by}. Keep the handout's heading ('{section.id} ...') to be sure."
            )
            previous = f"section {section.id}"
        elif section.heading is None:
            notes.setdefault(section.id, []).append(
                f"No heading for section {section.id} was found; it was graded with the state after "
                f"{previous}. Keep the handout's heading ('{section.id} ...') to be sure."
            )
        else:
            previous = f"section {section.id}"
    for chunk in split.chunks:
        if chunk.removed_magics:
            shown = ", ".join(f"`{m[:40]}`" for m in chunk.removed_magics[:3])
            notes.setdefault(chunk.section or "", []).append(
                f"Notebook commands ({shown}) at {chunk.where()} were skipped; they cost nothing."
            )
    return notes

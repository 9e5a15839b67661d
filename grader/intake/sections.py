"""Split a submission into the handout's numbered sections, and plan their execution. Pure."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from grader.intake.locate import (
    MAX_AST_CHARS,
    Cut,
    Piece,
    locate_sections,
    top_level_statements,
)
from grader.intake.magics import CellMagic, strip_magics
from grader.intake.submission import Cell, Submission

# Every pattern below is linear in the line it reads: possessive quantifiers (`*+`) never give
# back what they matched, and no two adjacent quantifiers can match the same character. Only the
# first _HEADING_SCAN characters of a line are read: a heading is short, a line may not be.
_HEADING_SCAN = 300
_ID = r"(?P<id>\d++(?:\.\d++)++)\.?(?![\d.])"
# What may stand before the number in a comment: banners and emphasis (`=====`, `---`, `**`,
# `__`, `[`, `(`, an emoji), HTML tags (`<h2>`, `<u>`), then "Section", "Part", "Exercise" or
# "Task". In markdown, not the marks of a list, table or quote (`- 1.1`, `| 1.1 |`, `> 1.1`):
# a table of contents is not a heading.
_DECORATION = r"(?:(?:<[^<>\n]{1,60}>|[^\w\s]|_)[ \t]*+)*+"
_MD_DECORATION = r"(?:(?:<[^<>\n]{1,60}>|[#*_=~\[(]|[^\x00-\x7f])[ \t]*+)*+"
_WORD = r"(?:(?:Section|Part|Exercise|Task)[ \t]*+[:#.]?[ \t]*+)?"
# Markdown: `## 1.1 Why ...`, `# **1.2 Computations**`, `**1.3.1 A network Layer**`, `Section 1.4`,
# `<h3>1.3.3 Subclassing</h3>`, `## ===== 1.1 =====`.
_MD_HEADING = re.compile(rf"^[ ]{{0,3}}+{_MD_DECORATION}{_WORD}{_ID}", re.IGNORECASE)
# Code: a comment at column 0, `# 1.3.1 A network Layer`, `## 1.4`, `# Section 1.2: ...`, a banner
# `# ===== 1.1 Why ... =====`, or a markdown cell as Colab's "Download .py" writes it:
# `"""## 1.1 Why is ..."""`.
_QUOTES = re.compile(r"^[rRuU]?(?:\"\"\"|\'\'\'|\"|\')")
_CODE_HEADING = re.compile(
    rf"^(?:#++|[rRuU]?(?:\"\"\"|\'\'\'))[ \t]*+{_DECORATION}{_WORD}{_ID}", re.IGNORECASE
)
_MAX_CUTS_PER_CELL = 50  # headings in one cell: the handout has six sections


def _heading(pattern: re.Pattern[str], line: str, known: set[str]) -> str | None:
    m = pattern.match(line[:_HEADING_SCAN])
    return m["id"] if m and m["id"] in known else None


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of code that runs as one unit, with where it came from."""

    index: int  # position in the submission's execution order, from 0
    section: str | None  # None for the preamble (code before the first section)
    source: str  # what runs: the student's code with magics replaced by `pass`
    removed_magics: tuple[str, ...]
    cell: Cell
    line_base: int  # add to a 1-based line of `source` to get the line in the cell (.ipynb) or file
    cell_magic: CellMagic | None = None  # the `%%magic` that opened the cell, if any
    assigned_magics: tuple[str, ...] = ()  # `files = !ls` lines: the name got []

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
    # Where the section was located by its code when its heading is missing: "`class
    # SubclassModel(tf.keras.Model):` at line 120".
    recognised_by: str | None = None


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
        """Whether any section was found, by its heading or by its code."""
        return any(s.heading is not None or s.recognised_by is not None for s in self.sections)


@dataclass(frozen=True, slots=True)
class _Piece:
    section: str | None
    cell: Cell
    code: str
    offset: int  # the piece's first line in its cell, 0-based


def split_sections(
    submission: Submission,
    section_ids: Sequence[str],
    *,
    starts: Mapping[str, Sequence[str]] | None = None,
    outputs: Mapping[str, Sequence[str]] | None = None,
) -> Split:
    """Split cells at headings naming one of `section_ids`; other numbered headings are ignored.

    A section whose heading is missing is located by its code (see `grader.intake.locate`):
    the first definitions of its `outputs` (`sport`, `func`, `OurDenseLayer`, ...), or a line
    from `starts` (its first line of code, like `class SubclassModel`).
    """
    known = set(section_ids)
    pieces, headings = _split_at_headings(submission, known)
    recognised: dict[str, str] = {}
    if known - set(headings) and (outputs or starts):
        cuts = locate_sections(
            [
                Piece(
                    p.section,
                    top_level_statements(
                        strip_magics(p.code).source, inside_strings=_inside(p.code)
                    ),
                )
                for p in pieces
            ],
            section_ids=section_ids,
            found=frozenset(headings),
            outputs=outputs or {},
            starts=starts or {},
        )
        for cut in cuts:
            piece = pieces[cut.piece]
            where = _line_label(piece.cell, piece.offset + cut.statement.line)
            recognised[cut.section] = f"`{cut.statement.head[:60]}` at {where}"
        pieces = _cut_at(pieces, cuts)
    return _assemble(pieces, section_ids, headings, recognised)


def _split_at_headings(
    submission: Submission, known: set[str]
) -> tuple[list[_Piece], dict[str, str]]:
    """The submission's code in pieces, each under the last heading before it; where each is."""
    current: str | None = None
    headings: dict[str, str] = {}
    pieces: list[_Piece] = []
    for cell in submission.cells:
        if cell.kind == "markdown":
            for line in cell.source.splitlines():
                if sid := _heading(_MD_HEADING, line, known):
                    current = sid
                    headings.setdefault(current, cell.label)
                    break
            continue
        for section, code, offset in _split_code_cell(cell.source, known, current):
            if section != current and section is not None:
                headings.setdefault(section, _line_label(cell, offset))
                current = section
            if code.strip():
                pieces.append(_Piece(current, cell, code, offset))
    return pieces, headings


def _cut_at(pieces: Sequence[_Piece], cuts: Sequence[Cut]) -> list[_Piece]:
    """Cut pieces where located sections begin; the pieces after a cut follow it."""
    by_piece: dict[int, list[Cut]] = {}
    for cut in cuts:
        by_piece.setdefault(cut.piece, []).append(cut)
    out: list[_Piece] = []
    located: str | None = None  # the section located last under the current heading
    heading: object = object()
    for p, piece in enumerate(pieces):
        if piece.section != heading:
            heading, located = piece.section, None
        section = located or piece.section
        lines = piece.code.splitlines(keepends=True)
        start = 0
        for cut in sorted(by_piece.get(p, ()), key=lambda c: c.line):
            if cut.line > start:
                out.append(
                    _Piece(
                        section, piece.cell, "".join(lines[start : cut.line]), piece.offset + start
                    )
                )
            start, section = cut.line, cut.section
        out.append(_Piece(section, piece.cell, "".join(lines[start:]), piece.offset + start))
        located = section if section != piece.section else located
    return [p for p in out if p.code.strip()]


def _assemble(
    pieces: Sequence[_Piece],
    section_ids: Sequence[str],
    headings: Mapping[str, str],
    recognised: Mapping[str, str],
) -> Split:
    chunks = []
    for i, piece in enumerate(pieces):
        cleaned = strip_magics(piece.code)
        chunks.append(
            Chunk(
                i,
                piece.section,
                cleaned.source,
                cleaned.removed,
                piece.cell,
                piece.offset,
                cell_magic=cleaned.cell_magic,
                assigned_magics=cleaned.assigned,
            )
        )
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
    source: str, known: set[str], current: str | None
) -> list[tuple[str | None, str, int]]:
    """Split one code cell at column-0 comment headings, if every piece still compiles."""
    if not any(sid in source for sid in known):  # no heading can be here: skip the tokenizer
        return [(current, source, 0)]
    lines = source.splitlines(keepends=True)
    blocks, inside = _strings(source)
    block_of = {i: first for first, last in blocks for i in range(first, last + 1)}
    top_level = _top_level_after(lines)
    found: dict[int, str] = {}
    for i, line in enumerate(lines):
        if (first := block_of.get(i)) is not None:
            # A string at column 0 is a markdown cell in Colab's "Download .py": its headings
            # cut before the string; the last one in the string names the code after it.
            text = _QUOTES.sub("", line[:_HEADING_SCAN]) if i == first else line
            if sid := _heading(_MD_HEADING, text, known):
                found[first] = sid
        elif i not in inside and top_level[i] and (sid := _heading(_CODE_HEADING, line, known)):
            found[i] = sid
    cuts = _merge(sorted(found.items()), current)
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


def _merge(cuts: Sequence[tuple[int, str]], current: str | None) -> list[tuple[int, str]]:
    """Only the cuts that change the section, at most _MAX_CUTS_PER_CELL of them."""
    out: list[tuple[int, str]] = []
    for line, section in cuts:
        if section != (out[-1][1] if out else current) and len(out) < _MAX_CUTS_PER_CELL:
            out.append((line, section))
    return out


def _inside(code: str) -> frozenset[int]:
    """Lines of `code` inside a string (not its first line), when the locator reads it by line."""
    if len(code) <= MAX_AST_CHARS and _compiles(code):
        return frozenset()  # the locator reads it from its AST
    return frozenset(_strings(code)[1])


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


def _top_level_after(lines: Sequence[str]) -> list[bool]:
    """For each line, whether the next line of code after it is at column 0 (or there is none):
    a heading comment there is between statements, not inside an indented block."""
    out = [True] * len(lines)
    following = True
    for i in range(len(lines) - 1, -1, -1):
        out[i] = following
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            following = not lines[i][:1].isspace()
    return out


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
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def split_notes(split: Split) -> dict[str, list[str]]:
    """Feedback notes about how the submission was split: missing headings, magics removed.

    Keyed by section id; notes about the code before the first section are under "". Sections
    located by their code share one note, in the first of them.
    """
    notes: dict[str, list[str]] = {}
    located = [s for s in split.sections if s.recognised_by is not None and s.heading is None]
    if located:
        ids = ", ".join(s.id for s in located)
        where = "; ".join(f"{s.id} from {s.recognised_by}" for s in located)
        one = len(located) == 1
        notes[located[0].id] = [
            f"No heading was found for section{'' if one else 's'} {ids}, so "
            f"{'it was' if one else 'they were'} located by the names the handout has "
            f"{'it' if one else 'them'} define: {where}. Keep the handout's headings "
            f"('{located[0].id} ...') to be sure."
        ]
    previous = "the start of the file"
    for section in split.sections:
        if section.heading is None and section.recognised_by is None:
            notes.setdefault(section.id, []).append(
                f"No heading for section {section.id} was found, nor the code that defines its "
                f"names; it was graded with the state after {previous}. Keep the handout's "
                f"heading ('{section.id} ...') to be sure."
            )
        else:
            previous = f"section {section.id}"
    for chunk in split.chunks:
        for note in _magic_notes(chunk):
            notes.setdefault(chunk.section or "", []).append(note)
    return notes


def _magic_notes(chunk: Chunk) -> list[str]:
    """What happened to the notebook commands in a chunk, in plain words."""
    notes = []
    cell_magic = chunk.cell_magic
    if cell_magic is not None and cell_magic.body_ran:
        notes.append(
            f"`{cell_magic.line[:40]}` at {chunk.where()}: that line was removed and the code "
            "under it ran as plain Python (nothing was captured, timed or profiled); that costs "
            "nothing."
        )
    elif cell_magic is not None:
        notes.append(
            f"{chunk.where()} is a `{cell_magic.line[:40]}` cell, which is not Python: it was "
            "not run. Code that needs what it does will fail; do it in Python instead."
        )
    skipped = [
        m
        for m in chunk.removed_magics
        if (cell_magic is None or m != cell_magic.line)
        and not any(m in line for line in chunk.assigned_magics)
    ]
    if skipped:
        shown = ", ".join(f"`{m[:40]}`" for m in skipped[:3])
        notes.append(
            f"Notebook commands ({shown}) at {chunk.where()} were skipped; they cost nothing."
        )
    for line in chunk.assigned_magics[:3]:
        notes.append(
            f"`{line[:40]}` at {chunk.where()}: the shell command was not run, and the name "
            "was given an empty list instead."
        )
    return notes

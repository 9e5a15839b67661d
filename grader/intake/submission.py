"""A student's submission file, loaded into cells: `.ipynb`, percent-format `.py` or plain `.py`."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from grader.errors import SubmissionError
from grader.terminal import safe_name

Format = Literal["ipynb", "py"]
CellKind = Literal["code", "markdown"]

SUFFIXES: dict[str, Format] = {".ipynb": "ipynb", ".py": "py"}
# What the trusted parent reads of one submission. Every later step (splitting, tokenizing,
# compiling, locating sections) is linear in these, so they bound its time and memory too.
MAX_BYTES = 20 * 1024 * 1024  # a lab notebook with plots is well under this; more is not a notebook
MAX_JSON_ITEMS = 500_000  # brackets, braces and commas: a notebook has a few thousand
MAX_CELLS = 5_000  # a long lab notebook has a few hundred
# All code cells together: a lab's code is a few KiB. Compiling costs up to ~300 bytes of memory
# per character of code (the student process compiles it again), so this bounds that too.
MAX_CODE_CHARS = 256 * 1024
_MAX_NBFORMAT_CHARS = 2 * 1024 * 1024  # an nbformat 3 notebook larger than this is read leniently
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # JSON's "\ud83d" alone: not text, cannot be UTF-8

_PERCENT = re.compile(r"^# ?%%(?!%)(?P<rest>.*)$")


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell of a submission; `label` says where it is, for messages ("cell 7", "line 40")."""

    kind: CellKind
    source: str
    index: int  # 1-based position among the notebook's cells (for .py: among the chunks)
    first_line: int  # 1-based line in the file where the cell's source starts (1 for .ipynb)
    label: str


@dataclass(frozen=True, slots=True)
class Submission:
    """A submission as read from disk; `cells` is empty when `problem` says why it could not load."""

    path: Path
    name: str  # the file name as given, control characters escaped (`submission.path`)
    format: Format
    sha256: str
    cells: tuple[Cell, ...]
    warnings: tuple[str, ...]
    problem: str | None  # why the file could not be read as a notebook or script, if it could not


def find_format(path: Path) -> Format:
    """Decide the format from the suffix, once."""
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise SubmissionError(
            f"{path}: not a submission (expected a .ipynb notebook or a .py script)"
        )
    return fmt


def load_submission(path: Path) -> Submission:
    """Read `path` into cells; a file that cannot be parsed still loads, with `problem` set.

    Whatever the file holds, this returns (or raises SubmissionError) in time linear in at most
    MAX_BYTES of it.
    """
    fmt = find_format(path)
    name = safe_name(path.name)
    data, size, sha = read_bounded(path)

    def failed(problem: str, warnings: tuple[str, ...] = ()) -> Submission:
        return Submission(path, name, fmt, sha, (), warnings, problem)

    if size > MAX_BYTES:
        return failed(
            f"the file is {size / 2**20:.0f} MiB, over the {MAX_BYTES // 2**20} MiB limit; "
            "clear the notebook's outputs (Edit > Clear All Outputs) and submit again"
        )
    if not data.strip():
        return failed("the file is empty; save your work and submit the file again")
    text, warnings = decode_text(data)
    if text is None:
        return failed(
            "the file is binary, not a notebook or a Python script; submit the .ipynb or .py file"
        )
    if fmt == "ipynb":
        cells, problem = _read_notebook(text)
    else:
        cells, problem = _read_script(text), None
    problem = problem or _too_large(cells)
    if problem:
        return failed(problem, warnings)
    return Submission(path, name, fmt, sha, cells, warnings, None)


def read_bounded(path: Path) -> tuple[bytes, int, str]:
    """(the file's bytes, or b"" when over MAX_BYTES; its size; its sha256), reading it once.

    Never reads more than MAX_BYTES into memory, even from a file that grows while it is read.
    """
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
            if len(data) <= MAX_BYTES:
                return data, len(data), hashlib.sha256(data).hexdigest()
            digest = hashlib.sha256(data)
            size = len(data)
            del data
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
            return b"", size, digest.hexdigest()
    except FileNotFoundError:
        raise SubmissionError(f"{safe_name(str(path))}: no such file; check the path") from None
    except OSError as exc:
        raise SubmissionError(
            f"{safe_name(str(path))}: cannot read the file ({exc.strerror})"
        ) from None


def _too_large(cells: tuple[Cell, ...]) -> str | None:
    """Why the file's cells are more than the grader reads, or None."""
    if len(cells) > MAX_CELLS:
        return (
            f"the file has {len(cells)} cells, more than the {MAX_CELLS} the grader reads; "
            "submit the notebook you worked in"
        )
    code = sum(len(c.source) for c in cells if c.kind == "code")
    if code > MAX_CODE_CHARS:
        return (
            f"the code cells hold {code // 1024} KiB of code, more than the "
            f"{MAX_CODE_CHARS // 1024} KiB the grader reads (a lab's code is a few KiB); remove "
            "pasted data or output from the code and submit again"
        )
    return None


def decode_text(data: bytes) -> tuple[str | None, tuple[str, ...]]:
    """Decode as UTF-8 (or UTF-16 with a BOM), else as Windows-1252 with a warning; None if binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), ()
        except UnicodeDecodeError:
            return None, ()
    if b"\x00" in data[:8192]:
        return None, ()
    try:
        return data.decode("utf-8-sig"), ()
    except UnicodeDecodeError as exc:
        warning = (
            f"the file is not valid UTF-8 (byte {exc.start}); it was read as Windows-1252, "
            "so some characters in strings may differ. Save it as UTF-8 to be sure"
        )
        return data.decode("cp1252", errors="replace"), (warning,)


def _read_notebook(text: str) -> tuple[tuple[Cell, ...], str | None]:
    items = text.count("[") + text.count("{") + text.count(",")
    if items > MAX_JSON_ITEMS:  # checked before parsing: each item costs the parser memory
        return (), (
            f"the notebook holds about {items} JSON items, more than the {MAX_JSON_ITEMS} the "
            "grader reads; clear the notebook's outputs (Edit > Clear All Outputs) and submit again"
        )
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return (), (
            f"the notebook is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "it may be truncated. Open it in Jupyter, save it, and submit again"
        )
    except RecursionError:
        return (), (
            "the notebook's JSON is nested more deeply than any notebook Jupyter writes (its "
            "metadata or outputs were edited); open it in Jupyter, save it, and submit again"
        )
    except (ValueError, MemoryError) as exc:  # e.g. an integer of 5,000 digits
        return (), (
            f"the notebook cannot be read as JSON ({str(exc)[:100]}); open it in Jupyter, save "
            "it, and submit again"
        )
    if not isinstance(raw, dict):
        return (
            (),
            "the notebook's JSON is not a notebook (no 'cells'); submit the .ipynb file Jupyter saved",
        )
    version = raw.get("nbformat")
    if not isinstance(version, int) or version >= 4:
        # nbformat 4 cells are read as they are: the cell type and source are all the grader
        # needs. (Without a version, nbformat would assume v1 and drop every cell's code.)
        return _cells_from([(c.get("cell_type"), c.get("source", "")) for c in _lenient_cells(raw)])
    if len(text) > _MAX_NBFORMAT_CHARS:  # nbformat validates with jsonschema: slow on big files
        return _cells_from([(c.get("cell_type"), c.get("source", "")) for c in _lenient_cells(raw)])
    import nbformat  # only for old notebooks: it converts nbformat 3 (worksheets) to 4

    try:
        nb = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
        raw_cells = [(c.get("cell_type"), c.get("source", "")) for c in nb.cells]
    except Exception:  # nbformat raises many types (RecursionError too) for odd notebooks
        raw_cells = [(c.get("cell_type"), c.get("source", "")) for c in _lenient_cells(raw)]
    return _cells_from(raw_cells)


def _cells_from(raw_cells: list[tuple[object, object]]) -> tuple[tuple[Cell, ...], str | None]:
    if not raw_cells:
        return (), "the notebook has no cells; submit the notebook you worked in"
    cells = []
    for i, (kind, source) in enumerate(raw_cells, start=1):
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            source = ""
        source = _SURROGATE.sub("\ufffd", source)
        cell_kind: CellKind = "code" if kind == "code" else "markdown"
        cells.append(Cell(cell_kind, source, i, 1, f"cell {i}"))
    return tuple(cells), None


def _lenient_cells(raw: dict[str, object]) -> list[dict[str, object]]:
    cells = raw.get("cells")
    if not isinstance(cells, list):
        worksheets = raw.get("worksheets")
        cells = []
        if isinstance(worksheets, list):
            for ws in worksheets:
                if isinstance(ws, dict) and isinstance(ws.get("cells"), list):
                    for c in ws["cells"]:
                        if isinstance(c, dict) and "input" in c and "source" not in c:
                            c = {**c, "source": c["input"]}
                        cells.append(c)
    return [c for c in cells if isinstance(c, dict)]


def _read_script(text: str) -> tuple[Cell, ...]:
    """Split a percent-format script at `# %%` markers; a plain script is one code cell."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _PERCENT.match(line.rstrip("\r\n"))]
    if not starts:
        return (Cell("code", text, 1, 1, "line 1"),)
    cells: list[Cell] = []
    if any(line.strip() for line in lines[: starts[0]]):
        cells.append(Cell("code", "".join(lines[: starts[0]]), 1, 1, "line 1"))
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        header = _PERCENT.match(lines[start].rstrip("\r\n"))
        rest = header["rest"] if header else ""
        body = lines[start + 1 : end]
        index = len(cells) + 1
        if re.search(r"\[(markdown|md)\]", rest):
            text_lines = [
                re.sub(r"^# ?", "", line) if line.startswith("#") else line for line in body
            ]
            cells.append(
                Cell("markdown", "".join(text_lines), index, start + 2, f"line {start + 2}")
            )
        else:
            # A title on the marker line (`# %% 1.2 Computations`) counts as a heading.
            if rest.strip():
                cells.append(Cell("markdown", rest.strip(), index, start + 1, f"line {start + 1}"))
                index += 1
            cells.append(Cell("code", "".join(body), index, start + 2, f"line {start + 2}"))
    return tuple(cells)

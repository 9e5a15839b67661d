"""Find submissions in a folder, a zip or a Gradescope upload, each with a unique student id."""

from __future__ import annotations

import shutil
import stat
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.errors import NoSubmissionError, SubmissionError
from grader.intake.names import parse_canvas_name, safe_id
from grader.intake.submission import SUFFIXES
from grader.terminal import safe_name

_SKIP_DIRS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".git"}
MAX_ZIP_TOTAL = 2 * 2**30  # uncompressed bytes a zip of submissions may expand to
MAX_ZIP_MEMBER = 200 * 2**20
MAX_ZIP_MEMBERS = 100_000  # files in one zip: a MOOC's class, not a zip bomb of empty files
_MAX_NAME_BYTES = 200  # a path component, leaving room for "-<n>" under the usual 255


@dataclass(frozen=True, slots=True)
class Found:
    """A submission file and the student id its scorecard is named after."""

    path: Path
    student: str
    late: bool = False  # Canvas marked the submission late (its bulk-download name says so)


def find_submissions(root: Path) -> list[Found]:
    """Every .ipynb/.py under `root` (not following links), with unique student ids."""
    if root.is_file():
        return [Found(root, safe_id(root.stem))]
    files = sorted(
        p
        for p in root.rglob("*")
        if p.suffix.lower() in SUFFIXES
        and not p.is_symlink()
        and p.is_file()
        and not any(
            part in _SKIP_DIRS or part.startswith(".") for part in p.relative_to(root).parts
        )
    )

    def base_id(path: Path) -> str:
        canvas = parse_canvas_name(path.name)
        if canvas is not None:  # doejane_LATE_12345_67890_lab1.ipynb -> doejane_12345
            return canvas.student_id
        return safe_id("_".join(path.relative_to(root).with_suffix("").parts))

    used: set[str] = set()
    found = []
    suffixes: defaultdict[str, set[str]] = defaultdict(set)
    for path in files:
        suffixes[base_id(path).lower()].add(path.suffix.lower())
    for path in files:
        base = base_id(path)
        canvas = parse_canvas_name(path.name)
        if len(suffixes[base.lower()]) > 1:  # alice.ipynb and alice.py: say which is which
            base = safe_id(f"{base}_{path.suffix.lstrip('.')}")
        student, n = base, 2
        while student.lower() in used:
            student, n = f"{base}-{n}", n + 1
        used.add(student.lower())
        found.append(Found(path, student, late=canvas is not None and canvas.late))
    return found


def extract_zip(archive: Path, dest: Path) -> Path:
    """Extract the submissions in `archive` into `dest`, refusing links and paths that escape it.

    No member replaces another: a name seen before (`alice.ipynb` twice, or `Alice.ipynb`, which
    is the same file on a case-insensitive disk) is extracted as `alice-2.ipynb`, and gets its
    own scorecard. Names too long for the disk are shortened the same way.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(
            f"{safe_name(str(archive))}: not a readable zip file ({exc}); download it again"
        ) from None
    total = 0
    used: set[str] = set()  # extracted paths, case-folded
    with zf:
        members = zf.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise SubmissionError(
                f"{safe_name(str(archive))}: holds {len(members)} files, more than the "
                f"{MAX_ZIP_MEMBERS} a batch reads; split it"
            )
        for info in members:
            if info.is_dir():
                continue
            name = PurePosixPath(info.filename.replace("\\", "/").replace("\0", "_"))
            if name.suffix.lower() not in SUFFIXES:
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode) or name.is_absolute() or ".." in name.parts:
                continue
            if info.file_size > MAX_ZIP_MEMBER:
                continue
            total += info.file_size
            if total > MAX_ZIP_TOTAL:
                raise SubmissionError(
                    f"{safe_name(str(archive))}: expands to more than {MAX_ZIP_TOTAL >> 30} GiB; "
                    "split it"
                )
            parts = [_shortened(part) for part in name.parts if part not in ("", ".")]
            relative = _unused(PurePosixPath(*parts), used)
            target = dest.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, target.open("xb") as out:  # "x": never overwrite
                shutil.copyfileobj(src, out)
    return dest


def _shortened(part: str, limit: int = _MAX_NAME_BYTES) -> str:
    """A path component short enough for any disk, its suffix kept."""
    if len(part.encode("utf-8", "surrogateescape")) <= limit:
        return part
    path = PurePosixPath(part)
    suffix = path.suffix if len(path.suffix) <= 10 else ""
    stem = part[: len(part) - len(suffix)]
    while len((stem + suffix).encode("utf-8", "surrogateescape")) > limit:
        stem = stem[:-1]
    return stem + suffix


def _unused(relative: PurePosixPath, used: set[str]) -> PurePosixPath:
    """`relative`, or `<stem>-<n><suffix>` beside it when that name (any case) was extracted."""
    candidate, n = relative, 2
    while str(candidate).casefold() in used:
        candidate = relative.with_name(f"{relative.stem}-{n}{relative.suffix}")
        n += 1
    used.add(str(candidate).casefold())
    return candidate


@dataclass(frozen=True, slots=True)
class ChosenSubmission:
    """The file graded from a Gradescope upload, and the other candidates that were not."""

    path: Path
    ignored: tuple[Path, ...]


def choose_submission(folder: Path) -> ChosenSubmission:
    """Pick the file to grade from an upload: a notebook before a script, then by name.

    Raises:
        NoSubmissionError: the folder holds nothing to grade (the student's mistake: tell them).
        SubmissionError: the folder does not exist (the caller's mistake).
    """
    if not folder.is_dir():
        raise SubmissionError(
            f"{safe_name(str(folder))}: no such submission folder; pass --submission DIR when "
            "not on Gradescope"
        )
    found = sorted(
        (f.path for f in find_submissions(folder)),
        key=lambda p: (p.suffix.lower() != ".ipynb", len(p.relative_to(folder).parts), str(p)),
    )
    if not found:
        names = sorted(safe_name(p.name) for p in folder.rglob("*") if p.is_file())[:5]
        raise NoSubmissionError(
            "No notebook (.ipynb) or Python script (.py) was found in your submission"
            + (f" (found: {', '.join(names)})" if names else "")
            + ". Upload the .ipynb file you worked in and submit again."
        )
    return ChosenSubmission(found[0], tuple(found[1:]))

"""Find submissions in a folder, a zip or a Gradescope upload, each with a unique student id."""

from __future__ import annotations

import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.errors import NoSubmissionError, SubmissionError
from grader.intake.names import parse_canvas_name, safe_id
from grader.intake.submission import SUFFIXES

_SKIP_DIRS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".git"}
MAX_ZIP_TOTAL = 2 * 2**30  # uncompressed bytes a zip of submissions may expand to
MAX_ZIP_MEMBER = 200 * 2**20


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
    stems = [base_id(p).lower() for p in files]
    for path in files:
        base = base_id(path)
        canvas = parse_canvas_name(path.name)
        if stems.count(base.lower()) > 1:  # alice.ipynb and alice.py: say which is which
            base = safe_id(f"{base}_{path.suffix.lstrip('.')}")
        student, n = base, 2
        while student.lower() in used:
            student, n = f"{base}-{n}", n + 1
        used.add(student.lower())
        found.append(Found(path, student, late=canvas is not None and canvas.late))
    return found


def extract_zip(archive: Path, dest: Path) -> Path:
    """Extract the submissions in `archive` into `dest`, refusing links and paths that escape it."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(
            f"{archive}: not a readable zip file ({exc}); download it again"
        ) from None
    total = 0
    with zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            name = PurePosixPath(info.filename.replace("\\", "/"))
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
                    f"{archive}: expands to more than {MAX_ZIP_TOTAL >> 30} GiB; split it"
                )
            target = dest.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out)
    return dest


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
            f"{folder}: no such submission folder; pass --submission DIR when not on Gradescope"
        )
    found = sorted(
        (f.path for f in find_submissions(folder)),
        key=lambda p: (p.suffix.lower() != ".ipynb", len(p.relative_to(folder).parts), str(p)),
    )
    if not found:
        names = sorted(p.name for p in folder.rglob("*") if p.is_file())[:5]
        raise NoSubmissionError(
            "No notebook (.ipynb) or Python script (.py) was found in your submission"
            + (f" (found: {', '.join(names)})" if names else "")
            + ". Upload the .ipynb file you worked in and submit again."
        )
    return ChosenSubmission(found[0], tuple(found[1:]))

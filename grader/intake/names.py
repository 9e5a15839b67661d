"""Student ids from file names: safe as file names and CSV cells, and Canvas bulk-download names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_id(name: str) -> str:
    """A student id safe as a file name and a CSV cell: ASCII letters, digits, '.', '_', '-'."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    cleaned = _UNSAFE.sub("_", folded).strip("._-")
    return cleaned[:100] or "student"


# Canvas names each file of "Download Submissions" as
#   <sortable name, lower case, no separators>_[LATE_]<user id>_<attachment id>_<file name>
# and renames a re-uploaded file with the same name to `<stem>-<n><suffix>`.
# Canvas's attachment ids are instance-wide and long; a student's own name like `lab_1_2_x.py`
# is not Canvas's, so the attachment id needs at least three digits.
_CANVAS = re.compile(
    r"^(?P<name>[^_/\\]+)_(?:(?P<late>late)_)?(?P<user>\d+)_(?P<submission>\d{3,})_(?P<original>.+)$",
    re.IGNORECASE,
)
_RESUBMISSION = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)(?P<suffix>\.[^.]+)$")


@dataclass(frozen=True, slots=True)
class CanvasName:
    """What Canvas's bulk-download file name says about a submission."""

    student_id: str  # `<name>_<user id>`: unique and stable across downloads; safe as a file name
    name: str  # Canvas's sortable name as it writes it in file names ("doejane")
    user_id: str  # Canvas user id: the `ID` column of Canvas's gradebook CSV
    submission_id: str  # Canvas's attachment/submission id for this file
    late: bool  # Canvas marked the submission late (`_LATE_` in the name)
    original_name: str  # the file name the student uploaded, resubmission suffix removed
    resubmission: int  # n of Canvas's `-n` suffix for a re-uploaded file; 0 when there is none


def parse_canvas_name(filename: str) -> CanvasName | None:
    """Parse a Canvas bulk-download file name; `None` when it is not in Canvas's form.

    Only the last path component is read, so a path from a zip (`subs/doejane_1_2_a.py`) works.
    A student's own file name that ends in `-<digits>` before its suffix (`lab-1.ipynb`) reads as a
    resubmission too: Canvas's names cannot tell the two apart.
    """
    base = re.split(r"[/\\]", filename)[-1]
    m = _CANVAS.match(base)
    if m is None:
        return None
    original, resubmission = m["original"], 0
    if r := _RESUBMISSION.match(original):
        original, resubmission = r["stem"] + r["suffix"], int(r["n"])
    return CanvasName(
        student_id=f"{safe_id(m['name'])[:60]}_{m['user']}",
        name=m["name"],
        user_id=m["user"],
        submission_id=m["submission"],
        late=m["late"] is not None,
        original_name=original,
        resubmission=resubmission,
    )

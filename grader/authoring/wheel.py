"""Write a wheel (PEP 427) from a set of files: the student release's one installable file.

Written directly, not by a build backend: nothing is downloaded, no build isolation is needed,
and the same files give the same bytes (entries sorted, every timestamp 1980-01-01), so a
release can be rebuilt and compared.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tomllib
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import AssignmentError

__all__ = [
    "DIST_NAME",
    "ProjectMetadata",
    "project_metadata",
    "project_version",
    "release_version",
    "wheel_filename",
    "write_wheel",
]

DIST_NAME = "tf-autograder"
#: The project file of the instructor's checkout this grader runs from.
PYPROJECT = Path(__file__).resolve().parent.parent.parent / "pyproject.toml"
_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class ProjectMetadata:
    """What a release's METADATA repeats from pyproject.toml."""

    version: str
    summary: str
    requires_python: str
    dependencies: tuple[str, ...]
    scripts: Mapping[str, str]


def project_metadata(pyproject: Path = PYPROJECT) -> ProjectMetadata:
    """The `[project]` table of the instructor's pyproject.toml."""
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise AssignmentError(
            f"cannot read the project's metadata from {pyproject} ({exc}): a release is made "
            "from the instructor's checkout of the repository"
        ) from None
    return ProjectMetadata(
        version=str(project["version"]),
        summary=str(project.get("description", "")),
        requires_python=str(project.get("requires-python", "")),
        dependencies=tuple(str(d) for d in project.get("dependencies", ())),
        scripts={str(k): str(v) for k, v in project.get("scripts", {}).items()},
    )


def project_version(pyproject: Path = PYPROJECT) -> str:
    """The grader's version as the checkout declares it (the same on every machine)."""
    return project_metadata(pyproject).version


def release_version(version: str, assignment: str) -> str:
    """The grader's version with the lab as its local label: `0.1.0+lab1.part1`."""
    local = re.sub(r"[^a-z0-9]+", ".", assignment.lower()).strip(".")
    return f"{version}.{local}" if "+" in version else f"{version}+{local}"


def wheel_filename(version: str) -> str:
    """The wheel's file name, as pip requires it: `tf_autograder-0.1.0+lab1.part1-py3-none-any.whl`."""
    return f"{DIST_NAME.replace('-', '_')}-{version.replace('-', '_')}-py3-none-any.whl"


def write_wheel(
    out_dir: Path,
    files: Mapping[str, bytes],
    *,
    metadata: ProjectMetadata,
    version: str,
    top_level: Sequence[str],
) -> Path:
    """Write a pure-Python wheel holding `files` (path inside site-packages -> bytes)."""
    dist_info = f"{DIST_NAME.replace('-', '_')}-{version}.dist-info"
    meta = [
        "Metadata-Version: 2.1",
        f"Name: {DIST_NAME}",
        f"Version: {version}",
        f"Summary: {metadata.summary}",
    ]
    if metadata.requires_python:
        meta.append(f"Requires-Python: {metadata.requires_python}")
    meta += [f"Requires-Dist: {d}" for d in metadata.dependencies]
    entries = dict(sorted(files.items()))
    entries[f"{dist_info}/METADATA"] = ("\n".join(meta) + "\n").encode()
    entries[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: tf-autograder release\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    if metadata.scripts:
        scripts = "".join(f"{name} = {target}\n" for name, target in metadata.scripts.items())
        entries[f"{dist_info}/entry_points.txt"] = f"[console_scripts]\n{scripts}".encode()
    entries[f"{dist_info}/top_level.txt"] = "".join(f"{t}\n" for t in top_level).encode()
    record = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in entries.items()]
    record.append(f"{dist_info}/RECORD,,")
    entries[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / wheel_filename(version)
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            wheel.writestr(info, data)
    tmp.replace(path)
    return path


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

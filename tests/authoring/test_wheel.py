"""The release wheel as pip reads it: name, metadata, RECORD hashes, same bytes every time."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

from grader.authoring.wheel import ProjectMetadata, release_version, wheel_filename, write_wheel

META = ProjectMetadata(
    version="0.1.0",
    summary="An autograder",
    requires_python=">=3.11",
    dependencies=("numpy>=1.26", "pytest>=8"),
    scripts={"tf-autograder": "grader.cli:main"},
)


def _write(out: Path) -> Path:
    files = {"pkg/__init__.py": b"x = 1\n", "pkg/data/spec.toml": b"[a]\n"}
    return write_wheel(out, files, metadata=META, version="0.1.0+lab1.part1", top_level=("pkg",))


def test_release_version_puts_the_lab_in_the_local_label() -> None:
    assert release_version("0.1.0", "lab1-part1") == "0.1.0+lab1.part1"
    assert release_version("0.1.0+dev", "Lab 2") == "0.1.0+dev.lab.2"
    assert wheel_filename("0.1.0+lab1.part1") == "tf_autograder-0.1.0+lab1.part1-py3-none-any.whl"


def test_write_wheel_metadata_entry_points_and_record(tmp_path: Path) -> None:
    path = _write(tmp_path)
    assert path.name == "tf_autograder-0.1.0+lab1.part1-py3-none-any.whl"
    with zipfile.ZipFile(path) as wheel:
        dist = "tf_autograder-0.1.0+lab1.part1.dist-info"
        metadata = wheel.read(f"{dist}/METADATA").decode()
        assert "Name: tf-autograder\nVersion: 0.1.0+lab1.part1\n" in metadata
        assert (
            "Requires-Python: >=3.11\nRequires-Dist: numpy>=1.26\nRequires-Dist: pytest>=8\n"
            in metadata
        )
        assert wheel.read(f"{dist}/entry_points.txt") == (
            b"[console_scripts]\ntf-autograder = grader.cli:main\n"
        )
        assert b"Root-Is-Purelib: true\nTag: py3-none-any\n" in wheel.read(f"{dist}/WHEEL")
        record = wheel.read(f"{dist}/RECORD").decode().splitlines()
        assert record[-1] == f"{dist}/RECORD,,"
        for line in record[:-1]:
            name, digest, size = line.split(",")
            data = wheel.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == f"sha256={expected.decode()}"
            assert int(size) == len(data)
        assert set(wheel.namelist()) == {
            "pkg/__init__.py",
            "pkg/data/spec.toml",
            *(
                f"{dist}/{n}"
                for n in ("METADATA", "WHEEL", "entry_points.txt", "top_level.txt", "RECORD")
            ),
        }


def test_write_wheel_same_files_same_bytes(tmp_path: Path) -> None:
    first = _write(tmp_path / "a").read_bytes()
    second = _write(tmp_path / "b").read_bytes()
    assert first == second

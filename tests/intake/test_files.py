"""Finding submissions in folders and zips, and naming students safely."""

from __future__ import annotations

import re
import stat
import warnings
import zipfile
from pathlib import Path

import pytest

from grader.errors import NoSubmissionError, SubmissionError
from grader.intake.files import choose_submission, extract_zip, find_submissions
from grader.intake.names import safe_id

# --- safe_id ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("alice", "alice"),
        ("Alice Smith", "Alice_Smith"),
        ('o\'brien "jr"', "o_brien_jr"),
        ("José Núñez", "Jose_Nunez"),
        ("中文", "student"),
        ("王 wang", "wang"),
        ("alice; rm -rf ~", "alice_rm_-rf"),
        ("$(whoami)", "whoami"),
        ("`id`", "id"),
        ("-rf", "rf"),
        ("--help", "help"),
        ("..", "student"),
        ("../../etc/passwd", "etc_passwd"),
        (".hidden", "hidden"),
        ("", "student"),
        ("   ", "student"),
        ("=cmd()", "cmd"),
        ("a/b\\c", "a_b_c"),
        ("lab1.v2_final-FINAL", "lab1.v2_final-FINAL"),
    ],
    ids=[
        "plain",
        "space",
        "quotes",
        "accents",
        "cjk-only",
        "cjk-and-latin",
        "semicolon",
        "command-substitution",
        "backticks",
        "leading-dash",
        "double-dash",
        "dotdot",
        "traversal",
        "leading-dot",
        "empty",
        "blank",
        "formula",
        "slashes",
        "already-safe",
    ],
)
def test_safe_id_sanitises_name(name: str, expected: str) -> None:
    assert safe_id(name) == expected


@pytest.mark.parametrize(
    "name",
    ["-x", "..x..", "a" * 300, "é" * 50, "a\x00b", "con.", "x\n=1"],
    ids=["dash", "dots", "long", "accents-only", "nul", "trailing-dot", "newline"],
)
def test_safe_id_is_a_safe_file_name(name: str) -> None:
    student = safe_id(name)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", student)


# --- find_submissions -------------------------------------------------------------------------


def _touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n", encoding="utf-8")


def _found(root: Path) -> dict[str, str]:
    return {f.path.relative_to(root).as_posix(): f.student for f in find_submissions(root)}


def test_find_submissions_gives_unique_ids_to_names_that_sanitise_alike(tmp_path: Path) -> None:
    _touch(tmp_path, "alice smith.py", "alice_smith.ipynb", "Alice Smith.ipynb", "alice;smith.py")
    found = _found(tmp_path)
    assert len(found) == 4
    ids = list(found.values())
    assert len({i.lower() for i in ids}) == 4  # unique even on case-insensitive file systems
    # Files that share a stem say which is which by their suffix.
    assert all(re.fullmatch(r"alice_smith_(py|ipynb)(-\d+)?", i, re.IGNORECASE) for i in ids)


def test_find_submissions_does_not_reuse_an_existing_suffixed_id(tmp_path: Path) -> None:
    _touch(tmp_path, "a.py", "a.ipynb", "a_py.py")
    ids = list(_found(tmp_path).values())
    assert sorted(ids) == ["a_ipynb", "a_py", "a_py-2"]


def test_find_submissions_names_nested_files_by_their_folders(tmp_path: Path) -> None:
    _touch(tmp_path, "section 1/bob.ipynb", "section 2/bob.ipynb")
    assert _found(tmp_path) == {
        "section 1/bob.ipynb": "section_1_bob",
        "section 2/bob.ipynb": "section_2_bob",
    }


def test_find_submissions_skips_checkpoints_macos_hidden_and_other_files(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "alice.ipynb",
        ".ipynb_checkpoints/alice-checkpoint.ipynb",
        "__MACOSX/._alice.ipynb",
        "__pycache__/x.py",
        ".git/hooks/post.py",
        ".hidden.py",
        "bob/.secret/c.py",
        "notes.txt",
        "alice.ipynb.bak",
    )
    assert _found(tmp_path) == {"alice.ipynb": "alice"}


def test_find_submissions_skips_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _touch(outside, "secret.py", "more/also.py")
    root = tmp_path / "subs"
    _touch(root, "alice.py")
    (root / "link.py").symlink_to(outside / "secret.py")
    (root / "linked_dir").symlink_to(outside / "more", target_is_directory=True)
    assert _found(root) == {"alice.py": "alice"}


def test_find_submissions_of_one_file_uses_its_stem(tmp_path: Path) -> None:
    _touch(tmp_path, "Bob Jones.ipynb")
    (found,) = find_submissions(tmp_path / "Bob Jones.ipynb")
    assert (found.path.name, found.student) == ("Bob Jones.ipynb", "Bob_Jones")


def test_find_submissions_of_empty_folder_is_empty(tmp_path: Path) -> None:
    assert find_submissions(tmp_path) == []


# --- extract_zip ------------------------------------------------------------------------------


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return path


def _extracted(dest: Path) -> list[str]:
    return sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())


def test_extract_zip_extracts_nested_folders(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path / "subs.zip",
        {"class/sec1/alice.ipynb": "{}", "bob.py": "x = 1\n", "class/readme.txt": "hi"},
    )
    dest = tmp_path / "out"
    dest.mkdir()
    assert extract_zip(archive, dest) == dest
    assert _extracted(dest) == ["bob.py", "class/sec1/alice.ipynb"]
    assert (dest / "bob.py").read_text(encoding="utf-8") == "x = 1\n"


@pytest.mark.parametrize(
    "member",
    ["../evil.py", "a/../../evil.py", "/tmp/evil.py", "..\\evil.py"],
    ids=["parent", "nested-parent", "absolute", "backslash-parent"],
)
def test_extract_zip_refuses_paths_that_escape(tmp_path: Path, member: str) -> None:
    archive = _zip(tmp_path / "subs.zip", {member: "x = 1\n", "ok.py": "y = 2\n"})
    dest = tmp_path / "deep" / "out"
    dest.mkdir(parents=True)
    extract_zip(archive, dest)
    assert _extracted(dest) == ["ok.py"]
    assert sorted(p.name for p in tmp_path.rglob("evil.py")) == []


def test_extract_zip_refuses_symlink_members(tmp_path: Path) -> None:
    archive = tmp_path / "subs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        link = zipfile.ZipInfo("link.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("ok.py", "y = 2\n")
    dest = tmp_path / "out"
    dest.mkdir()
    extract_zip(archive, dest)
    assert _extracted(dest) == ["ok.py"]
    assert not (dest / "link.py").is_symlink()


@pytest.mark.parametrize(
    ("content", "name"),
    [(None, "missing.zip"), (b"this is not a zip", "fake.zip")],
    ids=["missing", "not-a-zip"],
)
def test_extract_zip_unreadable_archive_raises(
    tmp_path: Path, content: bytes | None, name: str
) -> None:
    archive = tmp_path / name
    if content is not None:
        archive.write_bytes(content)
    with pytest.raises(SubmissionError, match=r"not a readable zip file.*download it again"):
        extract_zip(archive, tmp_path)


def _zip_members(path: Path, members: list[tuple[str, str]]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # zipfile warns: "Duplicate name"
                zf.writestr(name, text)
    return path


def test_extract_zip_duplicate_names_each_get_a_file(tmp_path: Path) -> None:
    archive = _zip_members(
        tmp_path / "subs.zip",
        [("alice.ipynb", "first"), ("alice.ipynb", "second"), ("Alice.ipynb", "third")],
    )
    dest = tmp_path / "out"
    dest.mkdir()
    extract_zip(archive, dest)
    texts = {p.name: p.read_text() for p in dest.iterdir()}
    assert texts == {"alice.ipynb": "first", "alice-2.ipynb": "second", "Alice-3.ipynb": "third"}
    assert len({f.student.lower() for f in find_submissions(dest)}) == 3


def test_extract_zip_renamed_duplicate_does_not_replace_a_real_file(tmp_path: Path) -> None:
    archive = _zip_members(
        tmp_path / "subs.zip",
        [("a.py", "1"), ("a.py", "2"), ("a-2.py", "3")],
    )
    dest = tmp_path / "out"
    dest.mkdir()
    extract_zip(archive, dest)
    assert sorted(p.read_text() for p in dest.iterdir()) == ["1", "2", "3"]


def test_extract_zip_shortens_names_too_long_for_the_disk(tmp_path: Path) -> None:
    long = "x" * 300
    archive = _zip_members(
        tmp_path / "subs.zip", [(f"{long}.ipynb", "one"), (f"{long}y.ipynb", "two")]
    )
    dest = tmp_path / "out"
    dest.mkdir()
    extract_zip(archive, dest)
    names = sorted(p.name for p in dest.iterdir())
    assert len(names) == 2
    assert all(len(n.encode()) <= 210 and n.endswith(".ipynb") for n in names)


def test_find_submissions_same_name_in_another_case_keeps_plain_ids(tmp_path: Path) -> None:
    _touch(tmp_path, "alice.ipynb", "Alice.ipynb")
    assert sorted(_found(tmp_path).values(), key=str.lower) == ["Alice", "alice-2"]


def test_choose_submission_escapes_names_it_lists(tmp_path: Path) -> None:
    (tmp_path / "notes\x1b]0;x\x07.txt").write_text("hi")
    with pytest.raises(NoSubmissionError) as info:
        choose_submission(tmp_path)
    assert "\x1b" not in str(info.value)
    assert "notes\\x1b]0;x\\x07.txt" in str(info.value)

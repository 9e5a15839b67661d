"""Finding an assignment (PATH, then an installed release, then the repository) and its spec."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.assignment import find_assignment, load_assignment_dir
from grader.errors import AssignmentError
from tests.support import TINY_DIR


def _lab(folder: Path, name: str = "tiny") -> Path:
    """A copy of the tiny assignment as `folder/name`."""
    shutil.copytree(TINY_DIR / "tiny", folder / name)
    spec = folder / name / "spec.toml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace('name = "tiny"', f'name = "{name}"'),
        encoding="utf-8",
    )
    return folder / name


def test_find_assignment_by_path_to_folder_or_spec(tmp_path: Path) -> None:
    root = _lab(tmp_path / "anywhere")
    assert find_assignment(str(root), assignments_dir=tmp_path / "none").root == root
    assert find_assignment(str(root / "spec.toml"), assignments_dir=tmp_path / "none").root == root


def test_find_assignment_release_before_repository(tmp_path: Path) -> None:
    release = _lab(tmp_path / "release")
    _lab(tmp_path / "repo")
    found = find_assignment(
        "tiny", assignments_dir=tmp_path / "repo", release_dir=tmp_path / "release"
    )
    assert found.root == release
    only = find_assignment(assignments_dir=tmp_path / "repo", release_dir=tmp_path / "release")
    assert only.root == release


def test_find_assignment_falls_back_to_repository(tmp_path: Path) -> None:
    repo = _lab(tmp_path / "repo")
    found = find_assignment(assignments_dir=tmp_path / "repo", release_dir=tmp_path / "nothing")
    assert found.root == repo


def test_find_assignment_error_names_every_place_searched(tmp_path: Path) -> None:
    _lab(tmp_path / "repo", "lab9")
    with pytest.raises(AssignmentError) as raised:
        find_assignment("lab1", assignments_dir=tmp_path / "repo", release_dir=tmp_path / "rel")
    message = str(raised.value)
    assert "a folder lab1 (no spec.toml there)" in message
    assert f"the installed student release ({tmp_path / 'rel'}: none)" in message
    assert f"the repository's assignments ({tmp_path / 'repo'}: lab9)" in message
    assert "--assignment PATH" in message


def test_find_assignment_nothing_anywhere_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(AssignmentError, match=r"no assignment found: searched .*install"):
        find_assignment(assignments_dir=tmp_path / "a", release_dir=tmp_path / "b")


def test_find_assignment_several_asks_to_choose(tmp_path: Path) -> None:
    _lab(tmp_path / "repo", "one")
    _lab(tmp_path / "repo", "two")
    with pytest.raises(AssignmentError, match=r"holds 2 assignments \(one, two\); choose one"):
        find_assignment(assignments_dir=tmp_path / "repo", release_dir=tmp_path / "none")


def test_load_assignment_dir_hidden_points_only_in_a_student_release(tmp_path: Path) -> None:
    root = _lab(tmp_path)
    spec = root / "spec.toml"
    spec.write_text(
        spec.read_text(encoding="utf-8") + '\n[[hidden]]\nsection = "1.2"\npoints = [4, 1.5]\n',
        encoding="utf-8",
    )
    with pytest.raises(AssignmentError, match=r"only a student release has"):
        load_assignment_dir(root)
    spec.write_text(
        "[release]\nstudent = true\n" + spec.read_text(encoding="utf-8"), encoding="utf-8"
    )
    lab = load_assignment_dir(root)
    withheld = [(c.id, c.points, c.visibility) for c in lab.checks if c.withheld]
    assert withheld == [("1.2/hidden-1", 4.0, "hidden"), ("1.2/hidden-2", 1.5, "hidden")]
    assert lab.max_score == 10 + 5.5
    assert lab.release.student is True


def test_load_assignment_dir_rejects_unknown_isolation(tmp_path: Path) -> None:
    root = _lab(tmp_path)
    spec = root / "spec.toml"
    spec.write_text(
        '[release]\nisolation = "docker"\n' + spec.read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(AssignmentError, match=r"isolation must be one of auto, bwrap, landlock"):
        load_assignment_dir(root)


def test_visible_only_withholds_hidden_checks(tmp_path: Path) -> None:
    lab = load_assignment_dir(_lab(tmp_path))
    shown = lab.visible_only()
    assert [(c.id, c.withheld) for c in shown.checks] == [
        ("1.1/square", False),
        ("1.1/square-unseen", True),
        ("1.2/greeting", False),
    ]
    assert shown.max_score == lab.max_score

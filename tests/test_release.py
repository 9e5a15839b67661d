"""The student release as a student has it: a fresh venv holding the wheel and no repository.

Each venv is made from the base interpreter without system site-packages (so neither this
checkout's `grader` nor any editable install of one is importable) and gets the wheel with
`pip install --no-deps --no-index`. TensorFlow and the other dependencies come from this test
run's own site-packages, through a `.pth` file naming folders of symlinks inside the venv: every
entry but the grader's own (`grader`, `tf_autograder`, their metadata, editable finders, `.pth`
files) and pip's. The folders sit inside the venv because a bubblewrap sandbox shows the venv
but not the rest of /tmp. That is fast (no TensorFlow install) and keeps pip from the network.

The verdicts are then compared with the instructor's `grade.py check` on the same files, with
the same grading key (so both make the same visible inputs).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.assignment import load_assignment
from grader.authoring.release import Release, build_release
from grader.authoring.templates import self_check_for
from grader.exports.student_report import student_view_errors
from tests.support import EXAMPLES, ROOT, run_grade

pytestmark = [pytest.mark.slow, pytest.mark.tensorflow]

SECRET = "release-test-key"
_SKIP = re.compile(
    r"^(__editable__.*|__pycache__|grader|tf_autograder.*|.*\.pth|pip|pip-.*|setuptools|"
    r"setuptools-.*|pkg_resources|_distutils_hack)$"
)


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))
    }
    return {**env, "TF_AUTOGRADER_SECRET": SECRET, "PIP_NO_INDEX": "1", **extra}


def _make_venv(path: Path, *, wheel: Path | None) -> Path:
    """A venv with only the release (when `wheel` is given) and the grader's dependencies."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(path)], check=True, capture_output=True)
    python = path / "bin" / "python"
    if wheel is not None:
        subprocess.run(
            [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel],
            check=True,
            capture_output=True,
            env=_env(),
        )
    sources = [Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    folders = []
    for n, source in enumerate(sources):
        folder = path / "deps" / str(n)
        folder.mkdir(parents=True)
        for entry in source.iterdir():
            if not _SKIP.match(entry.name):
                (folder / entry.name).symlink_to(entry)
        folders.append(str(folder))
    python_dir = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (path / "lib" / python_dir / "site-packages" / "_deps.pth").write_text(
        "\n".join(folders) + "\n", encoding="utf-8"
    )
    return python


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build_release(load_assignment("lab1-part1"), out=tmp_path_factory.mktemp("release"))


@pytest.fixture(scope="module")
def student(release: Release, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A student's venv with the release installed; returns its `bin` folder."""
    python = _make_venv(tmp_path_factory.mktemp("student") / "venv", wheel=release.wheel)
    return python.parent


def _run(args: list[str | Path], *, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=600,
        check=False,
    )


@pytest.fixture(autouse=True)
def _same_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The instructor's `grade.py check` uses the student's key: the same visible inputs."""
    monkeypatch.setenv("TF_AUTOGRADER_SECRET", SECRET)


def _instructor_check(path: Path) -> str:
    result = run_grade("check", path)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def test_release_venv_imports_the_release_not_the_repository(student: Path, tmp_path: Path) -> None:
    code = "import grader, tf_autograder; print(grader.__file__); print(grader.__version__)"
    result = _run([student / "python", "-c", code], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    where, version = result.stdout.split()
    assert Path(where).is_relative_to(student.parent)
    assert version == "0.1.0+lab1.part1"


@pytest.mark.parametrize(
    "sample",
    [
        "lab1-part1.ipynb",  # the release's own template
        "copied_handout_keras2.ipynb",  # an error, with its hint
        "buggy_sgd_sign_flipped.py",  # a percent-format script
    ],
)
def test_release_check_from_the_command_line_is_the_instructors_report(
    student: Path, release: Release, tmp_path: Path, sample: str
) -> None:
    path = release.notebooks[0] if sample == "lab1-part1.ipynb" else EXAMPLES / sample
    mine = _run([student / "tf-autograder", "check", path], cwd=tmp_path)
    assert mine.returncode in (0, 1), mine.stderr
    assert mine.stdout == _instructor_check(path)
    assert "Hidden checks: 7 more, worth 34 points" in mine.stdout


def test_release_check_json_counts_hidden_checks_without_naming_them(
    student: Path, release: Release, tmp_path: Path
) -> None:
    result = _run(
        [student / "python", "-m", "grader", "check", EXAMPLES / "correct_work.py", "--json"],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    view = json.loads(result.stdout)
    assert student_view_errors(view) == []
    assert view["visible"] == {"score": 66, "max_score": 66, "checks": 19, "passed": 19}
    assert view["hidden"] == {"checks": 7, "max_score": 34}
    per_section = {s["id"]: s["hidden"]["checks"] for s in view["sections"]}
    assert per_section == {"1.1": 0, "1.2": 2, "1.3.1": 1, "1.3.2": 1, "1.3.3": 2, "1.4": 1}
    shown = [c["id"] for s in view["sections"] for c in s["checks"]]
    assert not [cid for cid in shown if "hidden" in cid]
    assert "Hidden check" not in result.stdout
    assert view["environment"]["grader"] == "0.1.0+lab1.part1"


def test_release_unknown_assignment_says_where_it_looked(student: Path, tmp_path: Path) -> None:
    result = _run(
        [student / "tf-autograder", "check", EXAMPLES / "correct_work.py", "--assignment", "lab9"],
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(
        "tf-autograder check: no assignment 'lab9': searched a folder lab9"
    )
    assert "the installed student release (" in result.stderr
    assert ": lab1-part1)" in result.stderr


# -- the notebook, in a real Jupyter kernel ------------------------------------------------------

_SECTION = re.compile(r"^\[\s*(PASS|FAIL|ERROR|TIMEOUT|NOT RUN)\s*\] (\S+) .*\((\S+)\)$")
_CHECK = re.compile(r"^ {10}(FAIL|ERROR|TIMEOUT|NOT RUN): (.*?)(?: \(the error above\))?$")

Verdicts = dict[str, tuple[str, str, frozenset[tuple[str, str]]]]


def verdicts(report: str) -> Verdicts:
    """What a report says of each section: its mark, visible points and each check not passed."""
    found: dict[str, tuple[str, str, set[tuple[str, str]]]] = {}
    section = ""
    for line in report.splitlines():
        if m := _SECTION.match(line):
            section = m[2]
            found[section] = (m[1], m[3], set())
        elif (m := _CHECK.match(line)) and section:
            found[section][2].add((m[1], m[2]))
    return {k: (mark, points, frozenset(checks)) for k, (mark, points, checks) in found.items()}


def _solved(release: Release, out: Path, *, bugs: dict[str, str]) -> Path:
    """The reference with the release's setup and check cells, and `bugs` (old -> new) applied."""
    from grader.authoring.templates import _with_check_cells  # the cells exactly as placed

    lab = load_assignment("lab1-part1")
    assert lab.reference_path is not None
    nb = nbformat.read(lab.reference_path, as_version=4)
    nb.cells = _with_check_cells(
        lab.reference_path, nb.cells, self_check_for(lab, install_from=release.wheel.name)
    )
    for cell in nb.cells:
        cell.pop("id", None)
        cell.metadata = {}
        for old, new in bugs.items():
            cell.source = cell.source.replace(old, new)
    nb.nbformat_minor = 4
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out


_RUN_NOTEBOOKS = """
import json, sys, nbformat
from nbclient import NotebookClient
reports = {}
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": sys.argv[1].rsplit("/", 1)[0]}}).execute()
    reports[path] = "".join(
        o.get("text", "") for c in nb.cells if "autograder.check(" in c.source
        for o in c.outputs if o.get("name") == "stdout")
print(json.dumps(reports))
"""


def test_release_notebook_check_cells_in_a_kernel_match_the_instructors_check(
    release: Release, tmp_path: Path
) -> None:
    """The notebooks run as a student runs them: the setup cell installs the wheel beside them."""
    python = _make_venv(tmp_path / "venv", wheel=None)
    work = tmp_path / "work"
    work.mkdir()
    (work / release.wheel.name).write_bytes(release.wheel.read_bytes())
    notebooks = [
        work / "template.ipynb",
        _solved(release, work / "solved.ipynb", bugs={}),
        _solved(
            release,
            work / "buggy.ipynb",
            bugs={
                "d = tf.subtract(b, 1)": "d = tf.add(b, 1)",
                "shape=[d, self.n_output_nodes]": "shape=[self.n_output_nodes, d]",
                "new_x = x - learning_rate * grad": "new_x = x + learning_rate * grad",
            },
        ),
    ]
    notebooks[0].write_bytes(release.notebooks[0].read_bytes())
    script = tmp_path / "run_notebooks.py"
    script.write_text(_RUN_NOTEBOOKS, encoding="utf-8")
    result = _run([python, script, *notebooks], cwd=work)
    assert result.returncode == 0, result.stderr[-3000:]
    reports = json.loads(result.stdout.strip().splitlines()[-1])
    for path in notebooks:
        in_kernel = verdicts(reports[str(path)])
        instructor = verdicts(_instructor_check(path))
        assert list(in_kernel) == ["1.1", "1.2", "1.3.1", "1.3.2", "1.3.3", "1.4"], path.name
        assert in_kernel == instructor, path.name
    assert {mark for mark, _, _ in verdicts(reports[str(notebooks[1])]).values()} == {"PASS"}
    buggy = verdicts(reports[str(notebooks[2])])
    # 1.3.1's transposed W makes its own `y = layer.call(x_input)` raise: an error there.
    assert [buggy[s][0] for s in ("1.1", "1.2", "1.3.1", "1.4")] == [
        "PASS",
        "FAIL",
        "ERROR",
        "FAIL",
    ]
    assert "Hidden checks: 2 more in this section, worth 10 points" in reports[str(notebooks[1])]
    assert "func-unseen" not in "".join(reports.values())


def test_release_notebook_cells_cost_nothing_when_graded(release: Release, tmp_path: Path) -> None:
    """Batch-graded, the reference with its setup and check cells still earns full marks, and
    the cells add no lead for review and no stand-in note."""
    solved = _solved(release, tmp_path / "in" / "solved.ipynb", bugs={})
    result = run_grade("batch", solved.parent, "--out", tmp_path / "out", "--quiet")
    assert result.returncode == 0, result.stderr
    card = json.loads((tmp_path / "out" / "solved.json").read_text(encoding="utf-8"))
    assert card["score"] == card["max_score"] == 100
    assert "integrity" not in card  # no lead for review
    assert [e for e in card["errors"] if "%tensorflow_version" not in e and "%pip" not in e] == []
    assert ROOT.name not in json.dumps(card["sections"])  # nothing about the grader's files

"""Nothing of the grader's tree in reach: a marker in every other path, and no student reads one.

The grader runs from a copy of the checkout, or installed like a wheel in a venv's site-packages;
a marker file is planted in every path student code must not read (examples/, tests/, .git/,
reference/, the assignment's checks, inputs.py and hints.py, the trusted grader modules, the
output and submissions folders), and a student who knows every path tries to read them all, in
every isolation mode: bubblewrap, Landlock, file permissions alone, and the container.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from grader.run.isolation import Allowlist, landlock_rules
from grader.sandboxed import landlock
from tests.run import container
from tests.support import ROOT, TINY_DIR, auto_sandbox, load_scorecards

MODES = ("bwrap", "landlock", "perms", "container")
LAYOUTS = ("checkout", "site-packages")
EXPECTED = {
    "bwrap": "bwrap+seccomp+uid",
    "landlock": "landlock+seccomp+uid",
    "perms": "seccomp+uid+perms",
    "container": "landlock+seccomp+uid",
}
HUNTER = """# 1.1 Squares
import os
def square(x):
    return x * x

_token = {token!r}
_read = []
for _path in {paths!r}:
    try:
        with open(_path, "rb") as _f:
            if _token.encode() in _f.read():
                _read.append(_path)
    except OSError:
        pass
for _top in {roots!r}:
    for _dir, _subdirs, _files in os.walk(_top):
        for _name in _files:
            try:
                with open(os.path.join(_dir, _name), "rb") as _f:
                    if _token.encode() in _f.read() and _dir not in _read:
                        _read.append(os.path.join(_dir, _name))
            except OSError:
                pass
print("MARKERS-READ", sorted(set(_read)))

# 1.2 Greeting
greeting = "Hello, world"
"""


def test_allowlist_landlock_rules_go_around_a_hidden_package(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    for rel in (
        "numpy/core.py",
        "grader/__init__.py",
        "grader/sandboxed/zygote.py",
        "grader/run/x.py",
    ):
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text("")
    allow = Allowlist(
        read=(site,),
        hidden=(site / "grader",),
        sandboxed=(site / "grader/__init__.py", site / "grader/sandboxed"),
        job_root=tmp_path / "jobs",
        private=(site / "grader",),
    )
    rules = landlock_rules(allow)
    assert ("list", str(site)) in rules
    assert ("read", str(site / "numpy")) in rules
    assert ("read", str(site / "grader/sandboxed")) in rules
    assert not any(path.startswith(str(site / "grader/run")) for _, path in rules)
    assert ("read", str(site / "grader")) not in rules


def _unavailable(mode: str) -> str:
    if os.geteuid() != 0:
        return "the job user needs root"
    if mode == "bwrap" and not auto_sandbox().startswith("bwrap"):
        return "bubblewrap does not start here"
    if mode in ("landlock", "container") and landlock.abi() < 1:
        return "Landlock is not available in this kernel"
    if mode == "container" and not container.available():
        return "the container needs bubblewrap and root"
    return ""


def _plant(path: Path, token: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.write(f"\n# {token}\n")
    return path


def _checkout(tmp: Path, token: str) -> tuple[list[str], Path, list[Path], list[Path]]:
    """A copy of the checkout with markers; returns the command, cwd, markers, private roots."""
    copy = tmp / "checkout"
    skip = shutil.ignore_patterns(".git", "__pycache__", ".*_cache", "scorecards", "*.egg-info")
    shutil.copytree(ROOT, copy, ignore=skip, symlinks=True)
    tiny = copy / "tests/data/assignments/tiny"
    markers = [
        _plant(copy / rel, token)
        for rel in (
            "MARKER.txt",
            "examples/MARKER.txt",
            "tests/MARKER.txt",
            ".git/MARKER",
            "reference/lab1-part1/MARKER.txt",
            "assignments/lab1-part1/checks/MARKER.py",
            "assignments/lab1-part1/inputs.py",
            "assignments/lab1-part1/hints.py",
            "grader/MARKER.txt",
            "grader/run/MARKER.txt",
            "grader/checks/MARKER.txt",
        )
    ]
    markers += [_plant(tiny / rel, token) for rel in ("checks/MARKER.py", "inputs.py", "hints.py")]
    command = [sys.executable, str(copy / "grade.py")]
    command += ["--assignments-dir", str(tiny.parent), "--assignment", "tiny"]
    return command, copy, markers, [copy]


def _site_packages(tmp: Path, token: str) -> tuple[list[str], Path, list[Path], list[Path]]:
    """The grader installed like a wheel: in a venv's site-packages, the assignment elsewhere."""
    venv = tmp / "venv"
    base = Path(sys.base_prefix) / "bin" / Path(sys.executable).name
    subprocess.run(
        [str(base), "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], check=True
    )
    site = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "grader", site / "grader", ignore=skip)
    pyseccomp = Path(sysconfig.get_paths()["purelib"]) / "pyseccomp.py"
    if pyseccomp.exists():  # the sandbox's own dependency, beside the grader
        shutil.copy(pyseccomp, site / "pyseccomp.py")
    if sys.prefix != sys.base_prefix:  # the tests run in a venv: the parent's other dependencies
        paths = sysconfig.get_paths()
        dependencies = dict.fromkeys([paths["purelib"], paths["platlib"]])
        (site / "grader-dependencies.pth").write_text("".join(f"{d}\n" for d in dependencies))
    assignments = tmp / "course" / "assignments"
    shutil.copytree(TINY_DIR / "tiny", assignments / "tiny", ignore=skip)
    markers = [
        _plant(site / rel, token)
        for rel in ("grader/MARKER.txt", "grader/run/MARKER.txt", "grader/checks/MARKER.txt")
    ]
    markers += [
        _plant(assignments / "tiny" / rel, token)
        for rel in ("checks/MARKER.py", "inputs.py", "hints.py", "spec.toml")
    ]
    command = [str(venv / "bin" / "python"), "-m", "grader"]
    command += ["--assignments-dir", str(assignments), "--assignment", "tiny"]
    return command, tmp / "course", markers, [site / "grader", assignments / "tiny"]


@pytest.mark.slow
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("mode", MODES)
def test_allowlist_student_reads_no_marker(tmp_path: Path, mode: str, layout: str) -> None:
    why_not = _unavailable(mode)
    if why_not:
        pytest.skip(why_not)
    token = f"MARKER-{random.randrange(10**12)}"
    build = _checkout if layout == "checkout" else _site_packages
    command, cwd, markers, private = build(tmp_path, token)
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    out.mkdir()
    markers += [_plant(subs / "MARKER.txt", token), _plant(out / "MARKER.txt", token)]
    paths = [str(m) for m in markers]
    roots = [*(str(p) for p in private), str(subs), str(out)]
    (subs / "hunter.py").write_text(HUNTER.format(token=token, paths=paths, roots=roots))
    if mode == "perms":  # what Gradescope's guidance says: `chmod o=` on what is private
        for path in (*private, subs, out):
            path.chmod(0o750)
    # The command puts its global options after the subcommand.
    grader_cmd, options = command[: command.index("--assignments-dir")], command[-4:]
    args = [*grader_cmd, "batch", str(subs), "--out", str(out), "--quiet", "--workers", "1"]
    # The container is given `auto`, as on Gradescope: it must fall back to Landlock itself.
    isolation = {"perms": "process", "container": "auto"}.get(mode, mode)
    args += [*options, "--isolation", isolation]
    first = 62000 + 10 * random.randrange(300)
    env = {
        **os.environ,
        "GRADER_JOB_UIDS": f"{first}-{first + 9}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    fds: tuple[int, ...] = ()
    if mode == "container":
        fd = os.open(container.filter_file(), os.O_RDONLY)
        fds = (fd,)
        args = container.container_argv(args, seccomp_fd=fd)
    try:
        result = subprocess.run(
            args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, pass_fds=fds
        )
    finally:
        for fd in fds:
            os.close(fd)
    assert result.returncode == 0, result.stderr
    card = load_scorecards(out)["hunter.py"]
    assert card["environment"]["sandbox"] == EXPECTED[mode]
    assert card["score"] == card["max_score"], card["output_tail"]
    assert "MARKERS-READ []" in card["output_tail"], card["output_tail"]

"""Build the autograder.zip Gradescope expects: setup.sh, run_autograder and the grader's source."""

from __future__ import annotations

import importlib.metadata
import shlex
import sys
import tomllib
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from grader.errors import BundleError

#: The source checkout the bundle copies: grade.py, grader/, tf_autograder/, pyproject.toml, README.md.
SOURCE_ROOT = Path(__file__).resolve().parent.parent.parent
_SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints", ".mypy_cache", ".pytest_cache", ".git"}
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same source always gives the same zip

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (Ubuntu 22.04 by
# default, which has no Python @PYTHON@). It installs Python @PYTHON@ from the system's packages
# (universe, else the deadsnakes PPA) -- a system interpreter outside /root, which the job user
# that runs student code can read --, libseccomp2 and bubblewrap for the sandbox, and every
# dependency pinned by requirements.txt (the whole installed tree the bundle was built from).
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="python@PYTHON@"
export DEBIAN_FRONTEND=noninteractive

apt-get update
# libseccomp2: the student process's seccomp filter. bubblewrap: used if namespaces are allowed
# (Docker refuses them by default; Landlock, seccomp and a job user stand in).
apt-get install -y --no-install-recommends ca-certificates libseccomp2 bubblewrap

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  if ! apt-get install -y --no-install-recommends "$PYTHON" "$PYTHON-venv"; then
    apt-get install -y --no-install-recommends software-properties-common
    add-apt-repository -y universe
    apt-get update
    if ! apt-get install -y --no-install-recommends "$PYTHON" "$PYTHON-venv"; then
      add-apt-repository -y ppa:deadsnakes/ppa
      apt-get update
      apt-get install -y --no-install-recommends "$PYTHON" "$PYTHON-venv"
    fi
  fi
fi
apt-get install -y --no-install-recommends "$PYTHON-venv" || true
EXE="$(command -v "$PYTHON")"
case "$EXE" in
  /root/*) echo "setup.sh: $EXE is under /root, which student code cannot read" >&2; exit 1 ;;
esac

# A venv outside the source folder (run_autograder closes that folder to student code).
"$EXE" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --upgrade pip
# Every package pinned, nothing resolved here: the same tree the bundle was built and tested with.
"$ROOT/venv/bin/python" -m pip install --no-cache-dir --no-deps -r "$SOURCE/requirements.txt"
"$ROOT/venv/bin/python" -m pip check
"$ROOT/venv/bin/python" -m pip install --no-deps --no-build-isolation -e "$SOURCE" \
  || echo "setup.sh: the grader was not installed as a package; run_autograder runs it from $SOURCE"
chmod -R go-w "$ROOT/venv"
"$ROOT/venv/bin/python" "$SOURCE/grade.py" doctor || true
echo "setup.sh: done ($("$ROOT/venv/bin/python" --version))"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission: grade /autograder/submission and write
# /autograder/results/results.json. AUTOGRADER_ROOT moves /autograder (for testing elsewhere);
# AUTOGRADER_PYTHON picks the interpreter (default: the venv setup.sh made).
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${AUTOGRADER_PYTHON:-}"
if [ -z "$PYTHON" ]; then
  if [ -x "$ROOT/venv/bin/python" ]; then PYTHON="$ROOT/venv/bin/python"; else PYTHON=python3; fi
fi
mkdir -p "$ROOT/results"
# Before any student code runs: the source (checks, unseen inputs, hints) and the results are
# closed to everyone but root, Gradescope's own guidance. Student code runs as a job user, so
# file permissions hide them even where Landlock is missing.
chmod go= "$ROOT/source" "$ROOT/results" || exit 1
cd "$ROOT/source"
exec "$PYTHON" grade.py gradescope --submission "$ROOT/submission" \
  --results "$ROOT/results/results.json" @ARGS@
"""


@dataclass(frozen=True, slots=True)
class Bundle:
    """What went into an autograder.zip."""

    path: Path
    files: tuple[str, ...]
    requirements: tuple[str, ...]


def pinned_requirements(source_root: Path = SOURCE_ROOT) -> tuple[str, ...]:
    """Every runtime dependency, transitive ones included, pinned to the version installed here.

    Walks the installed distributions from the grader's own requirements (extras left out,
    markers evaluated for this interpreter), so the lock is the tree the grader runs on here.
    """
    pyproject = source_root / "pyproject.toml"
    if pyproject.is_file():
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        declared = [str(d) for d in project.get("dependencies", [])]
    else:
        declared = importlib.metadata.requires("tf-autograder") or []
    pins: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [r for r in map(Requirement, declared) if r.marker is None or r.marker.evaluate()]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if (name, frozenset(requirement.extras)) in seen:
            continue
        seen.add((name, frozenset(requirement.extras)))
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise BundleError(
                f"cannot pin {name}: it is not installed here; install the grader's dependencies "
                "(`python -m pip install -e .`) and build the bundle again"
            ) from None
        pins[name] = dist.version
        extras = ["", *sorted(requirement.extras)]  # its own dependencies, and those of its extras
        for line in dist.requires or []:
            child = Requirement(line)
            if child.marker is None or any(child.marker.evaluate({"extra": e}) for e in extras):
                todo.append(child)
    return tuple(f"{name}=={version}" for name, version in sorted(pins.items()))


def build_bundle(
    out: Path,
    *,
    assignment_root: Path,
    grade_args: Sequence[str],
    source_root: Path = SOURCE_ROOT,
) -> Bundle:
    """Write `out`: setup.sh, run_autograder (passing `grade_args` to `grade.py gradescope`),
    requirements.txt, grade.py, grader/, tf_autograder/ and assignments/<name>/; never the
    reference solution."""
    if out.suffix.lower() != ".zip":
        raise BundleError(f"{out}: the bundle must be a .zip file (Gradescope takes a zip)")
    grade_py = source_root / "grade.py"
    if not grade_py.is_file():
        raise BundleError(
            f"{source_root}: no grade.py here; build the bundle from a source checkout of the grader"
        )
    requirements = pinned_requirements(source_root)
    run = RUN_AUTOGRADER.replace("@ARGS@", " ".join(shlex.quote(a) for a in grade_args))
    version = f"{sys.version_info.major}.{sys.version_info.minor}"  # the pins' Python
    setup = SETUP_SH.replace("@PYTHON@", version)
    entries: list[tuple[str, bytes, int]] = [
        ("setup.sh", setup.encode(), 0o755),
        ("run_autograder", run.encode(), 0o755),
        ("requirements.txt", ("\n".join(requirements) + "\n").encode(), 0o644),
        ("grade.py", grade_py.read_bytes(), 0o644),
    ]
    for extra in ("pyproject.toml", "README.md"):
        if (source_root / extra).is_file():
            entries.append((extra, (source_root / extra).read_bytes(), 0o644))
    # tf_autograder too: a notebook made from the template imports it (its calls do nothing here).
    for package in ("grader", "tf_autograder"):
        if (source_root / package).is_dir():
            entries += [(f"{package}/{rel}", d, 0o644) for rel, d in _tree(source_root / package)]
    name = assignment_root.name
    entries += [(f"assignments/{name}/{rel}", data, 0o644) for rel, data in _tree(assignment_root)]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, data, mode in entries:
            info = zipfile.ZipInfo(arcname, date_time=_ZIP_DATE)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    tmp.replace(out)
    return Bundle(out, tuple(e[0] for e in entries), requirements)


def _tree(root: Path) -> Iterator[tuple[str, bytes]]:
    """Files under `root` (relative POSIX path, bytes), without caches and editor leftovers."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if (
            path.is_file()
            and not path.is_symlink()
            and not any(part in _SKIP_PARTS or part.startswith(".") for part in rel.parts)
            and path.suffix not in (".pyc", ".pyo")
        ):
            yield rel.as_posix(), path.read_bytes()

"""Build the autograder.zip Gradescope expects: setup.sh, run_autograder and the grader's source."""

from __future__ import annotations

import importlib.metadata
import re
import shlex
import tomllib
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import BundleError

#: The source checkout the bundle copies: grade.py, grader/, tf_autograder/, pyproject.toml, README.md.
SOURCE_ROOT = Path(__file__).resolve().parent.parent.parent
_SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints", ".mypy_cache", ".pytest_cache", ".git"}
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same source always gives the same zip
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (Ubuntu). It installs
# Python >= 3.11, bubblewrap (the grader's sandbox) and the grader's pinned dependencies in a venv.
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${AUTOGRADER_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive

python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }
find_python() {
  for exe in python3.13 python3.12 python3.11 python3; do
    if command -v "$exe" >/dev/null 2>&1 && python_ok "$exe"; then echo "$exe"; return 0; fi
  done
  return 1
}

apt-get update
# bubblewrap isolates student code; without it the grader still runs, with weaker isolation.
apt-get install -y --no-install-recommends ca-certificates bubblewrap \
  || echo "setup.sh: bubblewrap could not be installed; student code runs without it"

PYTHON="$(find_python || true)"
if [ -z "$PYTHON" ]; then
  # Ubuntu 22.04 ships Python 3.10; its universe has 3.11. Older images need the deadsnakes PPA.
  if ! apt-get install -y --no-install-recommends python3.11 python3.11-venv; then
    apt-get install -y --no-install-recommends software-properties-common
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
  fi
  PYTHON=python3.11
fi
VERSION="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
# Debian and Ubuntu ship venv's pip bootstrap separately.
apt-get install -y --no-install-recommends "python${VERSION}-venv" python3-pip || true

# A venv: Ubuntu 24.04 refuses system-wide pip installs (PEP 668), and pins stay ours.
"$PYTHON" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --upgrade pip
"$ROOT/venv/bin/python" -m pip install --no-cache-dir -r "$SOURCE/requirements.txt"
# The grader itself; run_autograder runs it from $SOURCE either way.
"$ROOT/venv/bin/python" -m pip install --no-deps -e "$SOURCE" \
  || echo "setup.sh: the grader was not installed as a package; run_autograder runs it from $SOURCE"
"$ROOT/venv/bin/python" "$SOURCE/grade.py" --help >/dev/null
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
    """The grader's runtime dependencies pinned to the versions installed here (`name==x.y.z`)."""
    pyproject = source_root / "pyproject.toml"
    if pyproject.is_file():
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        declared = [str(d) for d in project.get("dependencies", [])]
    else:
        declared = importlib.metadata.requires("tf-autograder") or []
    pins = []
    for requirement in declared:
        if ";" in requirement and "extra ==" in requirement:
            continue
        m = _REQUIREMENT_NAME.match(requirement)
        if m is None:
            continue
        name = m.group(1)
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            raise BundleError(
                f"cannot pin {name}: it is not installed here; install the grader's dependencies "
                "(`python -m pip install -e .`) and build the bundle again"
            ) from None
        pins.append(f"{name}=={version}")
    return tuple(pins)


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
    entries: list[tuple[str, bytes, int]] = [
        ("setup.sh", SETUP_SH.encode(), 0o755),
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

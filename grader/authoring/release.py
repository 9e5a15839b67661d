"""Build an assignment's student release: one wheel a student installs, and its folder to review.

The wheel holds the grader runtime as it is (the `grader` package and the `tf_autograder`
notebook API, no fork) and, under `grader/assignments/<lab>/`, what a student may see of the
assignment: the templates (with their setup and check cells), the harvest, the visible checks
(hidden check functions, and what only they used, cut out with the AST), `inputs.py` without
`make_hidden_inputs`, the hints, and a release spec in which hidden checks are only counted and
scored per section. It never holds the reference, tests, examples or the repository's history.
Before anything is written the files are searched for what must not be there (a hidden check's
id, title or function, a hidden-input generator, the reference's files or its solution code);
a release that holds any is refused, naming the file.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from grader.assignment import Assignment, CheckSpec
from grader.authoring.strip import check_marks, strip_definitions
from grader.authoring.templates import (
    render_templates,
    self_check_for,
    solution_blocks,
)
from grader.authoring.wheel import (
    project_metadata,
    release_version,
    write_wheel,
)
from grader.errors import AssignmentError

__all__ = ["HIDDEN_INPUTS", "Release", "build_release", "render_release_spec"]

GRADER_DIR = Path(__file__).resolve().parent.parent
API_DIR = GRADER_DIR.parent / "tf_autograder"
#: The function of inputs.py that makes the hidden checks' inputs; a release has none.
HIDDEN_INPUTS = "make_hidden_inputs"
_RUNTIME_SUFFIXES = (".py", ".json")
_CHECK_SUFFIXES = (".py", ".ini")


@dataclass(frozen=True, slots=True)
class Release:
    """What `build_release` wrote."""

    wheel: Path  # the one file a student installs: `pip install <wheel>`
    folder: Path  # the assignment folder as the wheel holds it, to review
    notebooks: tuple[Path, ...]  # the templates students start from, beside the wheel
    files: tuple[str, ...]  # every file in the wheel but its metadata, as site-packages paths


def build_release(assignment: Assignment, *, out: Path, install_from: str | None = None) -> Release:
    """Write `assignment`'s student release into `out`; refuse if it would leak a hidden check."""
    if assignment.release.student:
        raise AssignmentError(
            f"{assignment.root} is a student release already: build releases from the "
            "instructor's repository"
        )
    self_check = self_check_for(assignment, install_from=install_from)
    prefix = f"grader/assignments/{assignment.name}/"
    lab = _assignment_files(assignment, install_from=self_check.install_from)
    files = {**_runtime_files(), **{prefix + name: data for name, data in lab.items()}}
    leaks = list(_leaks(files, assignment))
    if leaks:
        raise AssignmentError(
            "refusing to build the student release, it would hold: " + "; ".join(leaks)
        )
    metadata = project_metadata()
    version = release_version(metadata.version, assignment.name)
    wheel = write_wheel(
        out, files, metadata=metadata, version=version, top_level=("grader", "tf_autograder")
    )
    folder = out / assignment.name
    if folder.exists():
        if not (folder / "spec.toml").is_file() or "student = true" not in (
            folder / "spec.toml"
        ).read_text(encoding="utf-8"):
            raise AssignmentError(
                f"{folder} exists and is not a student release: choose another --out"
            )
        shutil.rmtree(folder)
    for name, data in lab.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    notebooks = []
    for suffix in (".ipynb", ".py"):
        if f"template{suffix}" in lab:
            notebook = out / f"{assignment.name}{suffix}"
            notebook.write_bytes(lab[f"template{suffix}"])
            notebooks.append(notebook)
    return Release(
        wheel=wheel, folder=folder, notebooks=tuple(notebooks), files=tuple(sorted(files))
    )


def _runtime_files() -> dict[str, bytes]:
    """The grader runtime as installed here: `grader/` (no assignment of its own) and the API."""
    files: dict[str, bytes] = {}
    for top, name in ((GRADER_DIR, "grader"), (API_DIR, "tf_autograder")):
        for path in sorted(top.rglob("*")):
            rel = path.relative_to(top)
            if (
                path.is_file()
                and path.suffix in _RUNTIME_SUFFIXES
                and "__pycache__" not in rel.parts
                and rel.parts[0] != "assignments"
            ):
                files[f"{name}/{rel.as_posix()}"] = path.read_bytes()
    return files


def _assignment_files(assignment: Assignment, *, install_from: str) -> dict[str, bytes]:
    """What a student may have of the assignment folder, keyed by path inside it."""
    root = assignment.root
    hidden = {c.id for c in assignment.checks if c.visibility == "hidden"}
    files: dict[str, bytes] = {
        "spec.toml": render_release_spec(assignment, install_from=install_from).encode("utf-8"),
        _rel(assignment.harvest_path, root): assignment.harvest_path.read_bytes(),
    }
    inputs = assignment.inputs_path.read_text(encoding="utf-8")
    files[_rel(assignment.inputs_path, root)] = strip_definitions(
        inputs,
        lambda node: isinstance(node, ast.FunctionDef) and node.name == HIDDEN_INPUTS,
        where=str(assignment.inputs_path),
    ).encode("utf-8")
    if (root / "hints.py").is_file():
        files["hints.py"] = (root / "hints.py").read_bytes()
    for path in sorted(assignment.checks_dir.iterdir()):
        if not path.is_file() or path.suffix not in _CHECK_SUFFIXES:
            continue
        name = _rel(path, root)
        if path.suffix != ".py":
            files[name] = path.read_bytes()
            continue
        source = path.read_text(encoding="utf-8")

        def is_hidden(node: ast.stmt) -> bool:
            return any(fn is node and cid in hidden for fn, cid in check_marks(node))

        files[name] = strip_definitions(source, is_hidden, where=str(path)).encode("utf-8")
    if assignment.reference_path is not None and assignment.reference_path.exists():
        templates = render_templates(
            assignment.reference_path,
            self_check=self_check_for(assignment, install_from=install_from),
        )
        files["template.ipynb"] = templates.ipynb.encode("utf-8")
        files["template.py"] = templates.py.encode("utf-8")
    else:  # no reference in this checkout: the committed templates, as they are
        for suffix in (".ipynb", ".py"):
            if assignment.template_path(suffix).is_file():
                files[f"template{suffix}"] = assignment.template_path(suffix).read_bytes()
    return files


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        raise AssignmentError(
            f"{path} is outside the assignment folder {root}: a release ships its folder only"
        ) from None


def render_release_spec(assignment: Assignment, *, install_from: str) -> str:
    """The release's spec.toml: the instructor's, with hidden checks only counted and scored."""
    root = assignment.root
    isolation = assignment.release.isolation or "process"
    lines = [
        f"# The student release of {assignment.name}, made by `grade.py release` from the",
        "# instructor's spec. Hidden checks are not in it: each section lists only their points.",
        "",
        "[assignment]",
        f"name = {_s(assignment.name)}",
        f"title = {_s(assignment.title)}",
        f"harvest = {_s(_rel(assignment.harvest_path, root))}",
        f"inputs = {_s(_rel(assignment.inputs_path, root))}",
        f"checks = {_s(_rel(assignment.checks_dir, root))}",
        "",
        "[release]",
        "student = true",
        "# A student's own machine has nothing to hide from their own code: `check` runs it as a",
        "# plain limited process unless told otherwise (--isolation).",
        f"isolation = {_s(isolation)}",
        f"install_from = {_s(install_from)}",
        "",
        "[limits]",
        f"section_timeout_s = {_n(assignment.limits.section_timeout_s)}",
        f"submission_timeout_s = {_n(assignment.limits.submission_timeout_s)}",
    ]
    for section in assignment.sections:
        lines += ["", "[[sections]]", f"id = {_s(section.id)}", f"title = {_s(section.title)}"]
        if section.outputs:
            lines.append(f"outputs = {_strings(section.outputs)}")
        if section.starts:
            lines.append(f"starts = {_strings(section.starts)}")
    for check in assignment.checks:
        if check.visibility == "visible" and not check.withheld:
            lines += _check_lines(check)
    for section in assignment.sections:
        points = [c.points for c in assignment.checks_of(section.id) if c.visibility == "hidden"]
        if points:
            lines += [
                "",
                "[[hidden]]",
                f"section = {_s(section.id)}",
                f"points = [{', '.join(_n(p) for p in points)}]",
            ]
    return "\n".join(lines) + "\n"


def _check_lines(check: CheckSpec) -> list[str]:
    lines = [
        "",
        "[[checks]]",
        f"id = {_s(check.id)}",
        f"title = {_s(check.title)}",
        f"points = {_n(check.points)}",
    ]
    if check.requires:
        lines.append(f"requires = {_strings(check.requires)}")
    return lines


def _s(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _strings(items: Iterable[str]) -> str:
    return "[" + ", ".join(_s(i) for i in items) + "]"


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _leaks(files: Mapping[str, bytes], assignment: Assignment) -> Iterable[str]:
    """Everything in `files` a student must not have, as 'file: what' lines."""
    hidden = [c for c in assignment.checks if c.visibility == "hidden"]
    words = {f"hidden check id {c.id!r}": c.id for c in hidden}
    words.update({f"the title of hidden check {c.id}": c.title for c in hidden})
    for path in sorted(assignment.checks_dir.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        ids = {c.id for c in hidden}
        words.update(
            {
                f"hidden check function {fn.name}": fn.name
                for fn, cid in check_marks(tree)
                if cid in ids
            }
        )
    reference = assignment.reference_path
    reference_files = (
        {p.read_bytes(): p for p in reference.parent.rglob("*") if p.is_file()}
        if reference is not None and reference.exists()
        else {}
    )
    blocks = solution_blocks(reference) if reference is not None and reference.exists() else []
    pairs = [(block[i], block[i + 1]) for block in blocks for i in range(len(block) - 1)]
    visible = {c.id for c in assignment.checks if c.visibility == "visible"}
    marked: set[str] = set()
    for name, data in files.items():
        if data in reference_files:
            yield f"{name}: a copy of {reference_files[data].name} from the reference"
        if name.startswith(("tests/", "examples/", "reference/", ".git/")) or "/reference/" in name:
            yield f"{name}: not part of a release"
        text = data.decode("utf-8", errors="replace")
        for what, word in words.items():
            if word in text:
                yield f"{name}: {what}"
        if name.endswith(".py"):
            try:
                tree = ast.parse(text)
            except SyntaxError:  # a template (`x = # TODO`): its text is searched instead
                if re.search(rf"^\s*(?:async\s+)?def\s+{HIDDEN_INPUTS}\b", text, re.M):
                    yield f"{name}: the hidden-input generator {HIDDEN_INPUTS}"
            else:
                if any(
                    isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                    and node.name == HIDDEN_INPUTS
                    for node in ast.walk(tree)
                ):
                    yield f"{name}: the hidden-input generator {HIDDEN_INPUTS}"
                marked.update(cid for _, cid in check_marks(tree))
        adjacent = set(itertools.pairwise(line.strip() for line in text.splitlines()))
        for first, second in pairs:
            if (first, second) in adjacent:
                yield f"{name}: the reference's solution code ({first!r}, {second!r})"
    for cid in sorted(visible - marked):
        yield f"checks/: no test for visible check {cid} (it would not run)"

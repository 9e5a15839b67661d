"""An assignment folder: its spec (sections, checks, points, limits) and its files; where to find one."""

from __future__ import annotations

import importlib.util
import re
import tomllib
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from grader.errors import AssignmentError
from grader.status import Visibility

if TYPE_CHECKING:
    from grader.run.decode import StudentError

#: The folder that holds one sub-folder per assignment in a source checkout.
ASSIGNMENTS_DIR = Path(__file__).resolve().parent.parent / "assignments"
#: Where an installed student release keeps its assignment (absent from a source checkout).
RELEASE_DIR = Path(__file__).resolve().parent / "assignments"
#: The isolation a spec may ask for by default (`[release] isolation`); `--isolation` names the same.
ISOLATIONS = ("auto", "bwrap", "landlock", "process")

_SECTION_ID = re.compile(r"^\d+(\.\d+)*$")
_CHECK_ID = re.compile(r"^(?P<section>\d+(\.\d+)*)/[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True, slots=True)
class SectionSpec:
    """One numbered section of the handout."""

    id: str
    title: str
    # Lines that begin this section's code (`class SubclassModel`): used only when a
    # submission lost the section's heading, to find where the section starts anyway.
    starts: tuple[str, ...] = ()
    # The names the handout has this section define (`sport`, `func`, `y`, ...), in order: the
    # section's outputs, which its checks require, and what finds it when headings are missing.
    outputs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """Points and visibility of one check, keyed by its stable id."""

    id: str
    section: str
    points: float
    visibility: Visibility
    title: str
    # Section outputs this check needs: when one is missing (the code raised before defining
    # it), the check fails and says which error prevented it.
    requires: tuple[str, ...] = ()
    # A hidden check that is not here to run: a student release knows only its section and
    # points (its id is a stand-in, `1.2/hidden-1`), and the in-notebook check runs none.
    withheld: bool = False


@dataclass(frozen=True, slots=True)
class ReleaseSettings:
    """The spec's `[release]` table: how a student release is made, and whether this is one."""

    student: bool = False  # this folder is a student release: no reference, no hidden checks
    install_from: str | None = None  # what the notebook's setup cell installs (a path or URL)
    # The isolation `check` asks for when the command line names none. A student release says
    # "process": a student's own machine has nothing to hide from their own code.
    isolation: str | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    """Time limits the assignment asks for (the command line may override them)."""

    section_timeout_s: float
    submission_timeout_s: float


@dataclass(frozen=True, slots=True)
class Assignment:
    """A loaded, validated assignment folder."""

    name: str
    title: str
    root: Path
    sections: tuple[SectionSpec, ...]
    checks: tuple[CheckSpec, ...]
    limits: Limits
    harvest_path: Path  # runs in the sandboxed child: what to collect after each section
    inputs_path: Path  # runs in the trusted parent: unseen inputs chosen at grading time
    checks_dir: Path  # pytest files; run in the trusted parent
    reference_path: Path | None  # reference solution notebook, if this checkout has it
    release: ReleaseSettings = ReleaseSettings()

    @property
    def section_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.sections)

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.checks)

    def checks_of(self, section_id: str) -> tuple[CheckSpec, ...]:
        return tuple(c for c in self.checks if c.section == section_id)

    def template_path(self, suffix: str) -> Path:
        return self.root / f"template{suffix}"

    def visible_only(self) -> Assignment:
        """This assignment with its hidden checks withheld: counted and scored 0, never run."""
        checks = tuple(
            replace(c, withheld=True) if c.visibility == "hidden" else c for c in self.checks
        )
        return replace(self, checks=checks)

    @property
    def sandboxed_dir(self) -> Path:
        """The folder of what runs in the student process (the harvest): all it may read of us."""
        return self.harvest_path.parent

    def trusted_paths(self) -> list[Path]:
        """What of the assignment student code must never read: the whole folder but
        `sandboxed_dir` (checks, unseen inputs, hints, spec), and the reference solution."""
        paths = [self.root]
        if self.reference_path is not None:
            paths.append(self.reference_path.parent)
        return paths


def list_assignments(assignments_dir: Path = ASSIGNMENTS_DIR) -> list[str]:
    """Return the names of the assignment folders (those with a spec.toml)."""
    if not assignments_dir.is_dir():
        return []
    return sorted(p.parent.name for p in assignments_dir.glob("*/spec.toml"))


def load_assignment(
    name: str | None = None, *, assignments_dir: Path = ASSIGNMENTS_DIR
) -> Assignment:
    """Load `assignments_dir/NAME/spec.toml`; with no name, the only assignment there is."""
    names = list_assignments(assignments_dir)
    if name is None:
        if len(names) != 1:
            raise AssignmentError(
                f"{assignments_dir} holds {len(names)} assignments ({', '.join(names) or 'none'}); "
                "choose one with --assignment NAME"
            )
        name = names[0]
    if name not in names:
        raise AssignmentError(
            f"no assignment {name!r} in {assignments_dir} (found: {', '.join(names) or 'none'}); "
            "an assignment is a folder with a spec.toml"
        )
    return load_assignment_dir(assignments_dir / name)


def find_assignment(
    choice: str | None = None,
    *,
    assignments_dir: Path = ASSIGNMENTS_DIR,
    release_dir: Path = RELEASE_DIR,
) -> Assignment:
    """The assignment `choice` names: a folder (PATH), else NAME in the installed student
    release, else in the repository's assignments; with no choice, the only one of the first of
    those two places that has any. The error says which places were searched."""
    places = (
        ("the installed student release", release_dir),
        ("the repository's assignments", assignments_dir),
    )
    if choice is not None:
        path = Path(choice).expanduser()
        if path.name == "spec.toml" and path.is_file():
            return load_assignment_dir(path.parent)
        if (path / "spec.toml").is_file():
            return load_assignment_dir(path)
        for _, folder in places:
            if _NAME.match(choice) and (folder / choice / "spec.toml").is_file():
                return load_assignment_dir(folder / choice)
        searched = [f"a folder {choice} (no spec.toml there)", *_described(places)]
        raise AssignmentError(
            f"no assignment {choice!r}: searched {'; '.join(searched)}. {_ADVICE}"
        )
    for _, folder in places:
        names = list_assignments(folder)
        if len(names) > 1:
            raise AssignmentError(
                f"{folder} holds {len(names)} assignments ({', '.join(names)}); "
                "choose one with --assignment NAME"
            )
        if names:
            return load_assignment_dir(folder / names[0])
    raise AssignmentError(
        f"no assignment found: searched {'; '.join(_described(places))}. {_ADVICE}"
    )


_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*$")  # a NAME, not a path
_ADVICE = (
    "Give --assignment PATH (a folder with a spec.toml), install your course's student release "
    "(pip install tf_autograder-...whl), or run from the instructor's repository"
)


def _described(places: tuple[tuple[str, Path], ...]) -> list[str]:
    out = []
    for what, folder in places:
        names = list_assignments(folder)
        out.append(f"{what} ({folder}: {', '.join(names) if names else 'none'})")
    return out


def load_assignment_dir(root: Path) -> Assignment:
    """Load and validate one assignment folder."""
    root = root.resolve()
    spec_path = root / "spec.toml"
    try:
        raw = tomllib.loads(spec_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssignmentError(f"{spec_path} is missing: every assignment needs a spec") from None
    except tomllib.TOMLDecodeError as exc:
        raise AssignmentError(f"{spec_path}: invalid TOML ({exc}); fix the spec file") from None
    meta = _table(raw, "assignment", spec_path)
    sections = _sections(raw, spec_path)
    files = _files(meta, root, spec_path)
    reference = meta.get("reference")
    limits_raw = raw.get("limits", {})
    release = _release(raw, spec_path)
    section_ids = [s.id for s in sections]
    checks = _checks(raw, spec_path, section_ids) + _withheld(raw, spec_path, section_ids, release)
    return Assignment(
        name=_str(meta, "name", f"{spec_path}: [assignment]"),
        title=_str(meta, "title", f"{spec_path}: [assignment]"),
        root=root,
        sections=sections,
        checks=checks,
        limits=Limits(
            section_timeout_s=float(limits_raw.get("section_timeout_s", 60)),
            submission_timeout_s=float(limits_raw.get("submission_timeout_s", 300)),
        ),
        harvest_path=files["harvest"],
        inputs_path=files["inputs"],
        checks_dir=files["checks"],
        reference_path=(root / str(reference)).resolve()
        if reference and not release.student
        else None,
        release=release,
    )


def _release(raw: dict[str, object], spec_path: Path) -> ReleaseSettings:
    table = raw.get("release", {})
    if not isinstance(table, dict):
        raise AssignmentError(f"{spec_path}: [release] must be a table")
    isolation = table.get("isolation")
    if isolation is not None and isolation not in ISOLATIONS:
        raise AssignmentError(
            f"{spec_path}: [release] isolation must be one of {', '.join(ISOLATIONS)}"
        )
    install_from = table.get("install_from")
    if install_from is not None and (not isinstance(install_from, str) or not install_from):
        raise AssignmentError(f"{spec_path}: [release] install_from must be a path or URL")
    return ReleaseSettings(
        student=table.get("student") is True,
        install_from=install_from,
        isolation=isolation,
    )


def _withheld(
    raw: dict[str, object], spec_path: Path, ids: list[str], release: ReleaseSettings
) -> tuple[CheckSpec, ...]:
    """A student release's hidden checks: per section, only their points (`[[hidden]]`)."""
    entries = raw.get("hidden", [])
    if entries and not release.student:
        raise AssignmentError(
            f"{spec_path}: [[hidden]] lists checks without tests, which only a student release "
            'has; give each hidden check a [[checks]] entry with visibility = "hidden"'
        )
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise AssignmentError(f"{spec_path}: [[hidden]] entries must be tables")
    withheld: list[CheckSpec] = []
    for entry in entries:
        section, points = entry.get("section"), entry.get("points")
        if section not in ids:
            raise AssignmentError(f"{spec_path}: [[hidden]] section {section!r} is not in {ids}")
        if not isinstance(points, list) or not all(
            isinstance(p, int | float) and p >= 0 for p in points
        ):
            raise AssignmentError(f"{spec_path}: [[hidden]] points must be a list of numbers >= 0")
        withheld.extend(
            CheckSpec(
                id=f"{section}/hidden-{n}",
                section=str(section),
                points=float(p),
                visibility="hidden",
                title="Hidden check",
                withheld=True,
            )
            for n, p in enumerate(points, start=1)
        )
    return tuple(withheld)


def _sections(raw: dict[str, object], spec_path: Path) -> tuple[SectionSpec, ...]:
    where = f"{spec_path}: [[sections]]"
    sections = tuple(
        SectionSpec(
            id=_str(s, "id", where),
            title=_str(s, "title", where),
            starts=_strings(s.get("starts", ())),
            outputs=_strings(s.get("outputs", ())),
        )
        for s in _list(raw, "sections", spec_path)
    )
    ids = [s.id for s in sections]
    for sid in ids:
        if not _SECTION_ID.match(sid):
            raise AssignmentError(f"{where}: section id {sid!r} is not like '1.3.1'")
    if len(set(ids)) != len(ids):
        raise AssignmentError(f"{where}: section ids repeat: {ids}")
    return sections


def _checks(raw: dict[str, object], spec_path: Path, ids: list[str]) -> tuple[CheckSpec, ...]:
    checks: list[CheckSpec] = []
    for c in _list(raw, "checks", spec_path):
        cid = _str(c, "id", f"{spec_path}: [[checks]]")
        m = _CHECK_ID.match(cid)
        if not m or m["section"] not in ids:
            raise AssignmentError(
                f"{spec_path}: [[checks]]: check id {cid!r} must be '<section id>/<name>' "
                f"with a section from {ids}"
            )
        visibility = c.get("visibility", "visible")
        if visibility not in ("visible", "hidden"):
            raise AssignmentError(f"{spec_path}: {cid}: visibility must be 'visible' or 'hidden'")
        points = c.get("points")
        if not isinstance(points, int | float) or points < 0:
            raise AssignmentError(f"{spec_path}: {cid}: points must be a number >= 0")
        checks.append(
            CheckSpec(
                id=cid,
                section=m["section"],
                points=float(points),
                visibility=visibility,
                title=str(c.get("title", cid)),
                requires=_strings(c.get("requires", ())),
            )
        )
    if len({c.id for c in checks}) != len(checks):
        raise AssignmentError(f"{spec_path}: check ids repeat")
    return tuple(checks)


def _files(meta: dict[str, object], root: Path, spec_path: Path) -> dict[str, Path]:
    files = {
        key: root / str(meta.get(key, default))
        for key, default in (
            ("harvest", "sandboxed/harvest.py"),
            ("inputs", "inputs.py"),
            ("checks", "checks"),
        )
    }
    for key, path in files.items():
        if not path.exists():
            raise AssignmentError(f"{spec_path}: assignment.{key}: {path} does not exist")
    return files


def _strings(raw: object) -> tuple[str, ...]:
    return tuple(x for x in raw if isinstance(x, str)) if isinstance(raw, list | tuple) else ()


def _table(raw: dict[str, object], key: str, path: Path) -> dict[str, object]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise AssignmentError(f"{path}: missing [{key}] table")
    return value


def _list(raw: dict[str, object], key: str, path: Path) -> list[dict[str, object]]:
    value = raw.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise AssignmentError(f"{path}: missing [[{key}]] entries")
    return value


def _str(raw: dict[str, object], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise AssignmentError(f"{where}: missing string field {key!r}")
    return value


@dataclass(frozen=True, slots=True)
class AssignmentCode:
    """The assignment's trusted modules, imported in the grader's process: inputs and hints."""

    make_inputs: Callable[[np.random.Generator], Mapping[str, object]]
    hint_for: Callable[[StudentError], str | None]
    # The hidden checks' inputs (`make_hidden_inputs` in inputs.py): left out of a student release.
    make_hidden_inputs: Callable[[np.random.Generator], Mapping[str, object]] | None = None


@cache
def load_assignment_code(root: Path) -> AssignmentCode:
    """Import the assignment's `inputs.py` and optional `hints.py`, once per process."""
    inputs = _import(root / "inputs.py", "inputs")
    make_inputs = getattr(inputs, "make_inputs", None)
    if not callable(make_inputs):
        raise AssignmentError(f"{root / 'inputs.py'} must define make_inputs(rng)")
    hints_path = root / "hints.py"
    hint_for: Callable[[StudentError], str | None] = _no_hint
    if hints_path.exists():
        hint_for = getattr(_import(hints_path, "hints"), "hint_for", _no_hint)
    hidden = getattr(inputs, "make_hidden_inputs", None)
    return AssignmentCode(make_inputs, hint_for, hidden if callable(hidden) else None)


def _no_hint(error: StudentError) -> str | None:
    return None


def _import(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"_assignment_{path.parent.name}_{name}", path)
    if spec is None or spec.loader is None:
        raise AssignmentError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

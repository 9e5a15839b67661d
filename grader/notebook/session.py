"""A live notebook session: watch the student's cells run, and check one section on request.

`start` hooks the kernel's cell execution (IPython's `pre_run_cell` and `post_run_cell` events):
each cell is told to the grader's evidence recorder as part of its section, exactly as the
sandboxed child does around each chunk (`evidence.enter`/`leave`), and the kernel compiles
cells under the chunk file names the evidence and error reports recognise. `check` then grades
one section from the kernel's namespace as it is right now, by the same steps as a batch run:
the assignment's harvester on locally made (visible) inputs, the wire format and its decoder,
the same checks with the same runner, the same scoring and the same report.

Outside a live IPython kernel (the grader's sandbox running a submitted notebook, or a plain
`python` run of the script template) both do nothing, quietly: the cells that call them cost a
graded notebook nothing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, cast

from grader.errors import GraderError

if TYPE_CHECKING:
    from grader.assignment import Assignment, AssignmentCode
    from grader.run.decode import SectionHarvest
    from grader.sandboxed.child import HarvestFn
    from grader.sandboxed.wire import Plain

__all__ = ["Session", "check", "start"]


class _Events(Protocol):
    def register(self, event: str, function: Callable[..., None]) -> None: ...

    def unregister(self, event: str, function: Callable[..., None]) -> None: ...


class _Shell(Protocol):
    """What this module uses of IPython's InteractiveShell."""

    events: _Events
    user_ns: dict[str, object]
    execution_count: int
    compile: object

    def transform_cell(self, raw_cell: str) -> str: ...


@dataclass(frozen=True, slots=True)
class _Run:
    """One cell run: its chunk number (the execution count), section, source and error."""

    chunk: int
    section: str | None
    key: object  # the same cell run again: its cell id, else the names it binds, else its source
    source: str
    error: Plain = None


@dataclass(slots=True)
class Session:
    """One kernel's watch over its cells, for one assignment."""

    shell: _Shell
    assignment: Assignment  # with its hidden checks withheld: they never run here
    harvesters: Mapping[str, HarvestFn]
    code: AssignmentCode
    traced: bool  # cells are compiled under chunk file names (else evidence of method is missing)
    # The section the last cell belonged to; before any, the first (a cell before it that
    # defines none of its outputs, an import, costs nothing there).
    current: str | None = None
    runs: list[_Run] = field(default_factory=list)
    _pending: _Run | None = field(default=None, init=False)  # the cell running now

    # -- the kernel's events -------------------------------------------------------------------

    def pre_run_cell(self, info: object = None) -> None:
        from grader.notebook.cells import bound_names, section_of
        from grader.sandboxed import evidence

        raw = str(getattr(info, "raw_cell", "") or "")
        try:
            source = self.shell.transform_cell(raw)  # magics become Python
        except Exception:
            source = raw
        names = bound_names(source)
        section = section_of(names, self.assignment.sections, current=self.current)
        self.current = section
        cell_id = getattr(info, "cell_id", None)
        self._pending = _Run(
            chunk=self.shell.execution_count,
            section=section,
            key=cell_id or names or raw,
            source=raw,
        )
        evidence.enter(section)

    def post_run_cell(self, result: object = None) -> None:
        from grader.sandboxed import evidence
        from grader.sandboxed.probe import error_info

        evidence.leave()
        run, self._pending = self._pending, None
        if run is None:
            return
        exc = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        chunk = getattr(result, "execution_count", None)
        self.runs.append(
            _Run(
                chunk=chunk if isinstance(chunk, int) else run.chunk,
                section=run.section,
                key=run.key,
                source=run.source,
                error=error_info(exc) if isinstance(exc, BaseException) else None,
            )
        )

    # -- checking ------------------------------------------------------------------------------

    def check(self, section_id: str) -> str:
        """Grade one section from the kernel's namespace; the report, as plain text."""
        from grader.checks.data import SectionData
        from grader.checks.runner import run_checks
        from grader.exports.student_report import render_section_report
        from grader.sandboxed import evidence
        from grader.scoring import score_sections

        evidence.leave()  # the check cell itself is not student code: record nothing of it
        ids = self.assignment.section_ids
        if section_id not in ids:
            raise GraderError(
                f"no section {section_id!r} in {self.assignment.name} (its sections: {', '.join(ids)})"
            )
        runs = self._latest(section_id)
        inputs = self._inputs()
        harvest = self._harvest(section_id, runs, inputs)
        sources = {r.chunk: r.source for r in runs}
        section_inputs = inputs.get(section_id, {})
        data = SectionData(
            id=section_id,
            harvest=harvest,
            inputs=section_inputs if isinstance(section_inputs, dict) else {},
            source="\n".join(sources.values()),
            chunk_sources=sources,
        )
        results = (
            run_checks(self.assignment, {section_id: data}) if harvest.state == "harvested" else {}
        )
        sections = score_sections(
            self.assignment,
            harvests={section_id: harvest},
            results=results,
            notes={section_id: self._notes(section_id, runs)},
        )
        if self.current == section_id:  # going forwards: what runs next is the next section's
            self.current = _after(ids, section_id)
        section = next(s for s in sections if s.id == section_id)
        return render_section_report(section, title=self.assignment.title)

    def _latest(self, section_id: str) -> list[_Run]:
        """The section's cells as they stand: the last run of each, in the order they ran."""
        latest: dict[object, _Run] = {}
        for run in self.runs:
            if run.section == section_id:
                latest.pop(run.key, None)
                latest[run.key] = run
        return sorted(latest.values(), key=lambda r: r.chunk)

    def _inputs(self) -> dict[str, object]:
        """The visible inputs, made here as the grader makes them (from this machine's key)."""
        import numpy as np

        from grader.secret import seed_for

        rng = np.random.default_rng(seed_for(self.assignment.name, "notebook", "visible"))
        made = self.code.make_inputs(rng)
        return {k: dict(v) if isinstance(v, Mapping) else v for k, v in made.items()}

    def _harvest(
        self, section_id: str, runs: list[_Run], inputs: Mapping[str, object]
    ) -> SectionHarvest:
        """Describe the section as the student process would, through the wire and the decoder."""
        from grader.run.decode import HarvestFormatError, SectionHarvest, decode_run
        from grader.sandboxed.child import _harvest  # the student process's own harvest step
        from grader.sandboxed.wire import Event

        spec = next(s for s in self.assignment.sections if s.id == section_id)
        # What the student process receives is JSON: the harvester gets the same copy here.
        request = json.loads(
            json.dumps({"inputs": inputs.get(section_id, {}), "outputs": list(spec.outputs)})
        )
        events: list[dict[str, Plain]] = [
            {Event.KEY: Event.CODE, "n": n, "chunk": r.chunk, "error": r.error, "stubbed": []}
            for n, r in enumerate(runs)
        ]
        data = _harvest(self.harvesters.get(section_id), self.shell.user_ns, request)
        events.append(
            {Event.KEY: Event.HARVEST, "n": len(runs), "section": section_id, "data": data}
        )
        wire = json.loads(json.dumps(events, allow_nan=True))
        # Any cell may hold the code that raised (a function defined in another section).
        chunks = {r.chunk: r for r in self.runs}

        def locate(chunk: int, line: int | None) -> tuple[str, str]:
            run = chunks.get(chunk)
            if run is None:
                return "", ""
            lines = run.source.splitlines()
            text = lines[line - 1] if line is not None and 0 < line <= len(lines) else ""
            where = (
                f"section {run.section}, Cell In[{chunk}]" if run.section else f"Cell In[{chunk}]"
            )
            return (f"{where}, line {line}" if line is not None else where), text

        try:
            run = decode_run(
                wire,
                section_ids=self.assignment.section_ids,
                chunk_sections={r.chunk: section_id for r in runs},
                locate=locate,
                hint_for=self.code.hint_for,
            )
        except HarvestFormatError as exc:
            return SectionHarvest(
                section_id, "crashed", {}, (), f"The grader could not read this section ({exc})."
            )
        return run.harvests[section_id]

    def _notes(self, section_id: str, runs: list[_Run]) -> list[str]:
        notes = []
        if not runs:
            notes.append(
                f"The autograder saw none of section {section_id}'s cells run since it started: "
                "run them again, then this check (checks of how a value was computed need it)."
            )
        if not self.traced:
            notes.append(
                "This kernel does not name its cells the way the autograder needs, so checks of "
                "how a value was computed may fail here; check the whole notebook with "
                "`tf-autograder check FILE` instead."
            )
        return notes


def _after(ids: tuple[str, ...], section_id: str) -> str | None:
    """The section after `section_id`: where the next cells most likely belong."""
    i = ids.index(section_id)
    return ids[i + 1] if i + 1 < len(ids) else section_id


_SESSIONS: list[Session] = []


def _live_shell() -> _Shell | None:
    """The running IPython shell, if any. IPython is never imported here: where it is not
    loaded already (the grader's sandbox, a plain script), there is no kernel to watch."""
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    if get is None:
        return None
    try:
        shell = get()
    except Exception:
        return None
    if shell is None or not hasattr(shell, "events") or not hasattr(shell, "user_ns"):
        return None
    return cast("_Shell", shell)


def start(assignment: str | None = None) -> Session | None:
    """Watch this kernel's cells for `check`; nothing outside a live IPython kernel.

    `assignment` is a name or folder, found as `tf-autograder --assignment` finds it (the
    installed student release first). Running it again keeps the session it has.
    """
    shell = _live_shell()
    if shell is None:
        return None
    if _SESSIONS and _SESSIONS[0].shell is shell:
        return _SESSIONS[0]
    from grader.assignment import find_assignment, load_assignment_code
    from grader.sandboxed.child import load_harvesters

    found = find_assignment(assignment)
    session = Session(
        shell=shell,
        current=found.section_ids[0],
        assignment=found.visible_only(),
        # Importing the harvest module installs its evidence hooks (tape.gradient, returns).
        harvesters=_harvesters(str(found.harvest_path), load_harvesters),
        code=load_assignment_code(found.root),
        traced=_name_cells_as_chunks(shell),
    )
    shell.events.register("pre_run_cell", session.pre_run_cell)
    shell.events.register("post_run_cell", session.post_run_cell)
    _colab_magics(shell)
    _SESSIONS[:] = [session]
    return session


def _colab_magics(shell: _Shell) -> None:
    """Give Jupyter Colab's `%tensorflow_version` as a no-op: the lab's first code cell starts
    with it, and outside Colab it stops that cell before its imports."""
    find = getattr(shell, "find_line_magic", None)
    register = getattr(shell, "register_magic_function", None)
    if callable(find) and callable(register) and find("tensorflow_version") is None:

        def tensorflow_version(line: str) -> None:
            """Colab's TensorFlow version switch; does nothing here (TensorFlow 2 is installed)."""

        register(tensorflow_version, magic_kind="line", magic_name="tensorflow_version")


_HARVESTERS: dict[str, Mapping[str, HarvestFn]] = {}


def _harvesters(
    path: str, load: Callable[[str], Mapping[str, HarvestFn]]
) -> Mapping[str, HarvestFn]:
    """Import a harvest module once per kernel: importing it again would hook twice."""
    if path not in _HARVESTERS:
        _HARVESTERS[path] = load(path)
    return _HARVESTERS[path]


def _name_cells_as_chunks(shell: _Shell) -> bool:
    """Compile each cell under `<student-chunk-N>` (N its execution count), as the grader names
    chunks: the evidence of method and the error reports recognise student code by that name.
    IPython still shows `Cell In[N]` in tracebacks (it maps the name to N)."""
    from grader.sandboxed.wire import CHUNK_FILENAME

    compiler = shell.compile
    if not callable(getattr(compiler, "get_code_name", None)):
        return False

    def get_code_name(raw_code: str, transformed_code: str, number: int) -> str:
        return CHUNK_FILENAME.format(index=number)

    try:
        compiler.get_code_name = get_code_name  # type: ignore[attr-defined]
    except AttributeError:
        return False
    return True


def check(section: str) -> None:
    """Grade `section` from this kernel's namespace and print its report; nothing outside a
    live IPython kernel (as when the notebook is graded)."""
    if _live_shell() is None:
        return
    try:
        session = start()
        if session is not None:
            print(session.check(section), end="")
    except GraderError as exc:
        print(f"autograder.check({section!r}): {exc}")

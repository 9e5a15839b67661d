"""The package's shape: stages in order, no import cycle, the sandboxed side on its own."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

GRADER = ROOT / "grader"

#: The stages in the order data flows; a module may import its own stage and earlier ones only.
STAGES = (
    "base",  # status, errors, config, atomic, terminal, schemas, assignment
    "intake",
    "sandboxed",
    "run",
    "checks",
    "scorecards",
    "scoring",
    "adjust",  # the instructor's overrides and late policy, applied to scorecards
    "grading",
    "batch",
    "exports",
    "notebook",  # the in-kernel check: checks, scoring and the student report, run in a notebook
    "authoring",
    "cli",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _stage(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2:
        return "base"
    name = parts[1]
    if name == "__main__":  # `python -m grader` is the command line
        return "cli"
    return name if name in STAGES else "base"


def _imports(path: Path) -> set[str]:
    """The grader modules `path` imports at run time (imports under TYPE_CHECKING excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for n in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "grader")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "grader":
                continue
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                is_module = (ROOT / Path(*candidate.split("."))).with_suffix(".py").exists() or (
                    ROOT / Path(*candidate.split(".")) / "__init__.py"
                ).exists()
                found.add(candidate if is_module else node.module)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in GRADER.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules} for name, path in modules.items()}


def test_layout_has_no_import_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_layout_stages_never_import_a_later_stage() -> None:
    backwards = [
        f"{module} ({_stage(module)}) imports {imported} ({_stage(imported)})"
        for module, imported_set in _graph().items()
        for imported in imported_set
        if STAGES.index(_stage(imported)) > STAGES.index(_stage(module))
    ]
    assert backwards == []


@pytest.mark.parametrize(
    "path",
    [
        *sorted((GRADER / "sandboxed").glob("*.py")),
        *sorted(ROOT.glob("assignments/*/sandboxed/*.py")),
    ],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_layout_sandboxed_side_imports_nothing_of_the_trusted_side(path: Path) -> None:
    imported = _imports(path)
    assert {m for m in imported if not m.startswith("grader.sandboxed")} <= {"grader"}


def test_layout_sandboxed_side_loads_without_the_rest_of_the_grader() -> None:
    code = (
        "import sys, grader.sandboxed.zygote, grader.sandboxed.child, grader.sandboxed.probe; "
        "print(sorted(m for m in sys.modules if m == 'grader' or m.startswith('grader.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = eval(out.stdout)  # a list of module names printed by the line above
    assert [m for m in loaded if m != "grader" and not m.startswith("grader.sandboxed")] == []


def test_layout_grader_init_imports_nothing_of_the_grader() -> None:
    assert _imports(GRADER / "__init__.py") == set()

"""Constructs no honest lab needs, found in a submission's code: leads for a human, never a verdict.

Student code shares its process with the grader's harvest, so a determined student can reach the
harvest's objects and forge what it reports. Doing so takes code an honest notebook never
contains: walking the interpreter's objects or frames, raw file descriptors, `ctypes`, replacing
library functions, naming the grader's own files. The grader scans the source for those (with
the AST, so comments and strings in prints do not count) and marks the scorecard `needs_review`
with each lead's place; the score is what the checks decided.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from grader.intake.sections import Chunk, Split

__all__ = ["Lead", "scan_split"]

MAX_LEADS = 20


@dataclass(frozen=True, slots=True)
class Lead:
    """One construct worth a human's look, and where it is."""

    where: str  # "section 1.2, cell 7, line 3"
    construct: str  # the code, shortened
    why: str  # what it can do, in plain words


_MODULES = {
    "ctypes": "reaches raw memory and C functions",
    "cffi": "reaches raw memory and C functions",
    "grader": "imports the grader's own modules",
    "gc": "can walk the interpreter's objects, the grader's harvest among them",
    "inspect": "can walk the interpreter's frames and objects",
    "socket": "opens network connections",
    "subprocess": "starts other programs",
    "multiprocessing": "starts other processes",
    "signal": "installs signal handlers",
    "pty": "starts other programs",
    "hmac": "computes message authentication codes, which only the grader's channel uses",
    "atexit": "runs code when the process ends",
}
_CALLS = {
    "gc.get_objects": "walks every object of the interpreter",
    "gc.get_referrers": "walks the interpreter's objects",
    "gc.get_referents": "walks the interpreter's objects",
    "sys._getframe": "walks the call stack into the grader's frames",
    "sys.setprofile": "hooks every function call (and can switch off the grader's)",
    "sys.settrace": "hooks every line that runs",
    "threading.setprofile": "hooks every function call",
    "threading.settrace": "hooks every line that runs",
    "inspect.currentframe": "walks the call stack into the grader's frames",
    "inspect.stack": "walks the call stack into the grader's frames",
    "inspect.getouterframes": "walks the call stack into the grader's frames",
    "os.write": "writes to a raw file descriptor, such as the grader's channel",
    "os.writev": "writes to a raw file descriptor, such as the grader's channel",
    "os.fdopen": "opens a raw file descriptor, such as the grader's channel",
    "os.dup": "copies a raw file descriptor",
    "os.dup2": "replaces a raw file descriptor",
    "os.open": "opens files below the usual interface",
    "os.kill": "sends signals to processes",
    "os.killpg": "sends signals to processes",
    "os.fork": "starts a copy of the process",
    "os.forkpty": "starts a copy of the process",
    "os._exit": "ends the process at once, skipping the grader",
    "os.setsid": "leaves the grader's process group",
    "os.system": "runs shell commands",
    "os.popen": "runs shell commands",
    "exec": "runs code built or read at run time",
    "compile": "compiles code built or read at run time",
    "setattr": "changes attributes by name (with builtins or library classes: monkeypatching)",
}
_FRAME_ATTRIBUTES = frozenset({"f_back", "f_locals", "f_globals", "f_code", "tb_frame", "gi_frame"})
_OBJECT_WALKS = frozenset({"__subclasses__", "__globals__", "__closure__"})
_PATCHED_ROOTS = frozenset({"builtins", "__builtins__", "tensorflow", "keras", "numpy"})
_GRADER_WORDS = re.compile(
    r"/proc/|/dev/fd|/autograder|HARVESTERS|__ndarray__|__defined__|__harvest_error__|"
    r"\bgrader\.(?:sandboxed|run|checks|cli|grading)|\bgrader/|assignments/|reference/|"
    r"solution\.ipynb|inputs\.py|hints\.py|\.git/|"
    r"_assignment_harvest|student-chunk"
)


def scan_split(split: Split) -> tuple[Lead, ...]:
    """Every lead in the submission's code, in file order (at most MAX_LEADS)."""
    leads: list[Lead] = []
    trees = {c.index: _parse(c.source) for c in split.chunks}
    aliases = {"tf": "tensorflow", "np": "numpy"}  # the lab's own, wherever they were imported
    for tree in trees.values():
        if tree is not None:
            aliases.update(_aliases(tree))
    for chunk in split.chunks:
        tree = trees[chunk.index]
        if tree is None:
            continue  # code that does not compile cannot run either
        for line, construct, why in _scan(tree, aliases):
            lead = Lead(_where(chunk, line), construct[:80], why)
            if lead not in leads:
                leads.append(lead)
            if len(leads) >= MAX_LEADS:
                return tuple(leads)
    return tuple(leads)


def _where(chunk: Chunk, line: int) -> str:
    place = chunk.where(line)
    return f"section {chunk.section}, {place}" if chunk.section else place


def _parse(source: str) -> ast.AST | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _scan(tree: ast.AST, aliases: dict[str, str]) -> Iterator[tuple[int, str, str]]:
    for node in ast.walk(tree):
        yield from _node_leads(node, aliases)


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local names of imported modules and functions: `import numpy as np` gives np -> numpy."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[(a.asname or a.name).split(".")[0]] = (
                    a.name if a.asname else a.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def _node_leads(node: ast.AST, aliases: dict[str, str]) -> Iterator[tuple[int, str, str]]:
    line = getattr(node, "lineno", 1)
    if isinstance(node, ast.Import | ast.ImportFrom):
        modules = (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
        for module in modules:
            root = module.split(".")[0]
            if root in _MODULES and root not in ("gc", "inspect", "signal"):
                yield line, f"import {module}", _MODULES[root]
    elif isinstance(node, ast.Call):
        name = _dotted(node.func, aliases)
        if name in _CALLS and not (name == "setattr" and not _patches(node)):
            yield line, f"{name}(...)", _CALLS[name]
        elif name == "signal.signal":
            yield line, "signal.signal(...)", _MODULES["signal"]
        elif name in ("open", "io.open", "pathlib.Path", "Path") and _names_grader(node):
            yield line, f"{name}(...)", "opens files of the grader or of the process itself"
    elif isinstance(node, ast.Attribute):
        if node.attr in _FRAME_ATTRIBUTES:
            yield line, f".{node.attr}", "walks the call stack into the grader's frames"
        elif node.attr in _OBJECT_WALKS:
            yield line, f".{node.attr}", "walks the interpreter's objects"
    elif isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
        targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
        for target in targets:
            base = target.value if isinstance(target, ast.Subscript) else target
            dotted = _dotted(base, aliases) if isinstance(base, ast.Attribute | ast.Name) else ""
            root = dotted.split(".")[0]
            patched = root in _PATCHED_ROOTS and (
                isinstance(target, ast.Attribute) or root in ("builtins", "__builtins__")
            )
            if patched:
                yield (
                    line,
                    f"{dotted} = ...",
                    "replaces a library or builtin function the grader relies on",
                )
            elif dotted in ("sys.modules", "sys.meta_path", "sys.path_hooks"):
                yield line, f"{dotted}[...] = ...", "changes how modules are imported"
    elif (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _GRADER_WORDS.search(node.value[:2000])
    ):
        yield line, repr(node.value[:60]), "names the grader's files or internals"


def _patches(node: ast.Call) -> bool:
    target = node.args[0] if node.args else None
    return isinstance(target, ast.Attribute | ast.Name) and bool(
        {_dotted(target, {}).split(".")[0]} & (_PATCHED_ROOTS | {"tf", "np"})
    )


def _names_grader(node: ast.Call) -> bool:
    return any(
        isinstance(a, ast.Constant) and isinstance(a.value, str) and _GRADER_WORDS.search(a.value)
        for a in node.args
    )

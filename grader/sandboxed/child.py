"""The sandboxed student process: run a submission's chunks and harvest each section, on request.

Forked by `grader.sandboxed.zygote` for each submission. The grader sends one request at a time
(run this chunk, describe this section, end) and this process answers each with one authenticated
line of plain data (see `grader.sandboxed.wire`). Nothing here decides points: that happens in
the grader's process, which trusts none of it.
"""

from __future__ import annotations

import builtins
import importlib.abc
import importlib.machinery
import importlib.util
import json
import linecache
import os
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from grader.sandboxed import evidence
from grader.sandboxed.probe import error_info
from grader.sandboxed.wire import CHUNK_FILENAME, Event, Marker, Plain, Request, seal

_print = builtins.print
# Taken at import, before any student code runs: patching `json` later changes nothing here.
_dumps = json.dumps
_loads: Callable[[bytes], Any] = json.loads

HarvestFn = Callable[[dict[str, object], Plain], Plain]


class _Anything:
    """Stands in for a module that is not installed: every attribute and call is a no-op."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> _Anything:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return _Anything(f"{self._name}.{attr}")

    def __call__(self, *args: object, **kwargs: object) -> _Anything:
        return _Anything(f"{self._name}()")

    def __iter__(self) -> Iterator[object]:
        yield from ()

    def __repr__(self) -> str:
        return f"<stand-in for {self._name}>"


class _StandInModule(types.ModuleType):
    def __getattr__(self, attr: str) -> _Anything:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return _Anything(f"{self.__name__}.{attr}")


#: Stood in for without a note: the student release's in-notebook checker, whose setup and check
#: cells must cost nothing when the notebook is graded here (they run in the student's kernel).
QUIET_STAND_INS = frozenset({"tf_autograder"})


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Last on `sys.meta_path`: a module no other finder has becomes a harmless stand-in."""

    def __init__(self, stubbed: list[str]) -> None:
        self.stubbed = stubbed

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not _imported_by_student():
            return None
        root = fullname.split(".")[0]
        if root not in self.stubbed and root not in QUIET_STAND_INS:
            self.stubbed.append(root)
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _StandInModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def _imported_by_student() -> bool:
    """Whether the import being resolved was written in a student chunk.

    Libraries probe for optional packages (`try: import pandas`); standing in for those would
    make them believe they have them, so only the student's own imports get a stand-in.
    """
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith("<frozen importlib") and filename != __file__:
            return filename.startswith("<student-chunk-")
        frame = frame.f_back
    return False


def _get_ipython() -> _Anything:
    return _Anything("get_ipython()")


def _display(*objs: object, **kwargs: object) -> None:
    _print(*objs)


class Channel:
    """The answers to the grader: one authenticated JSON object per line."""

    def __init__(self, stream: IO[bytes], key: bytes) -> None:
        self._stream = stream
        self._key = key

    def send(self, event: dict[str, Plain]) -> None:
        self._stream.write(seal(self._key, _dumps(event, allow_nan=True).encode("utf-8")))
        self._stream.flush()


def serve(requests: IO[bytes], answers: IO[bytes], harvesters: dict[str, HarvestFn]) -> None:
    """Answer the grader's requests, one at a time, until it asks to end."""
    start = _loads(requests.readline())
    channel = Channel(answers, bytes.fromhex(start["key"]))
    stubbed: list[str] = []
    sys.meta_path.append(_StandInFinder(stubbed))
    namespace: dict[str, object] = {
        "__name__": "__main__",
        "__builtins__": builtins,
        "get_ipython": _get_ipython,
        "display": _display,
    }
    channel.send({Event.KEY: Event.READY, "pid": os.getpid()})
    while line := requests.readline():
        request = _loads(line)
        kind, n = request.get(Request.KEY), request.get("n")
        if kind == Request.CODE:
            before = len(stubbed)
            evidence.enter(request["section"])
            try:
                error = _run_code(request["chunk"], request["source"], namespace)
            finally:
                evidence.leave()
            _flush()
            answer: dict[str, Plain] = {
                Event.KEY: Event.CODE,
                "n": n,
                "chunk": request["chunk"],
                "error": error,
                "stubbed": list(stubbed[before:]),
            }
        elif kind == Request.HARVEST:
            section = request["section"]
            data = _harvest(harvesters.get(section), namespace, request)
            _flush()
            answer = {Event.KEY: Event.HARVEST, "n": n, "section": section, "data": data}
        else:
            channel.send({Event.KEY: Event.DONE})
            return
        channel.send(answer)


def _harvest(
    harvester: HarvestFn | None, namespace: dict[str, object], request: dict[str, Any]
) -> Plain:
    outputs = request.get("outputs") or []
    data: dict[str, Plain] = {Marker.DEFINED: [name for name in outputs if name in namespace]}
    if harvester is None:
        return data
    try:
        described = harvester(namespace, request.get("inputs") or {})
    except Exception as exc:  # a student object broke the harvester itself
        return {Marker.HARVEST_ERROR: error_info(exc)}
    if isinstance(described, dict):
        data.update(described)
    return data


def _run_code(chunk: int, source: str, namespace: dict[str, object]) -> Plain:
    filename = CHUNK_FILENAME.format(index=chunk)
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
        exec(code, namespace)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt included: they cost the section
        return error_info(exc)
    return None


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass


def load_harvesters(path: str) -> dict[str, HarvestFn]:
    """Import the assignment's harvest module (this imports TensorFlow, but runs no op)."""
    spec = importlib.util.spec_from_file_location("_assignment_harvest", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the harvest module {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    harvesters = getattr(module, "HARVESTERS", None)
    if not isinstance(harvesters, dict):
        raise ImportError(f"{path} defines no HARVESTERS dict")
    return harvesters


def run_forked(job_fd: int, channel_fd: int, harvesters: dict[str, HarvestFn]) -> None:
    """In a freshly forked child: serve the grader's requests, then leave without teardown."""
    with os.fdopen(job_fd, "rb") as requests, os.fdopen(channel_fd, "wb") as answers:
        serve(requests, answers, harvesters)
        _flush()
    # No teardown: TensorFlow's can take seconds, and student atexit hooks must not run.
    os._exit(0)

"""A budget for the grader's own work on one submission, and the watchdog that enforces it.

The trusted parent parses what a student sent (the file, what their process reported) and runs
the checks on it. Two mechanisms keep that work bounded, whatever the submission holds:

- Caps before every C-level step. A call into `re`, `json` or `compile` holds the interpreter
  lock until it returns: no thread can stop it, so each is bounded beforehand by the size of its
  input (`grader.intake.submission`'s limits, lines cut before any pattern, linear patterns).
- A CPU budget for everything else. The thread grading a submission runs under a `Budget`
  (`GraderConfig.parent_cpu_s`); a watchdog thread reads that thread's CPU clock and, once the
  budget is spent, raises `OverBudget` in it, at its next Python instruction. The submission
  gets its grader-failure scorecard and the batch goes on. CPU time, not wall time: waiting for
  the sandbox (which has its own limits), for another worker's checks or for a loaded machine
  costs nothing, so one runaway submission cannot use up another's budget.

Memory follows from the caps: the parent holds at most one file (MAX_BYTES), its JSON (at most
MAX_JSON_ITEMS items) and its code (MAX_CODE_CHARS) per submission, plus what the sandbox lets
the student process send back (`GraderConfig.max_harvest_mb`).
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
import time
from collections.abc import Iterator

__all__ = ["Budget", "OverBudget"]

_TICK_S = 0.1  # how often the watchdog looks
_REFIRE_S = 1.0  # raise again if the thread swallowed it (pytest reports a test's exception)


class OverBudget(BaseException):
    """Raised in a grading thread whose submission used up its budget.

    A BaseException, like KeyboardInterrupt: `except Exception` in a check or in the grader's
    own code must not swallow it.
    """


def _cpu_clock() -> int | None:
    """This thread's CPU clock, where the platform has one (Linux, the BSDs)."""
    getter = getattr(time, "pthread_getcpuclockid", None)
    if getter is None:
        return None
    try:
        clock: int = getter(threading.get_ident())
    except OSError:
        return None
    return clock


def _raise_in(ident: int, exc: type[BaseException] | None) -> None:
    """Schedule `exc` in thread `ident` (None: cancel what is scheduled there)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident), ctypes.py_object(exc) if exc is not None else None
    )


class Budget:
    """CPU seconds the grader's own work on one submission may use; `watch` enforces it."""

    def __init__(self, cpu_seconds: float) -> None:
        self.cpu_seconds = cpu_seconds
        self.step = "starting"  # what the grader was doing, for the scorecard
        self.exceeded = False
        self._lock = threading.Lock()
        self._ident: int | None = None
        self._clock: int | None = None
        self._start = 0.0
        self._fired = 0.0

    def used(self) -> float:
        """CPU seconds used so far (wall seconds where there is no per-thread CPU clock)."""
        return self._now() - self._start

    def at(self, step: str) -> None:
        """Say what the grader does next; raise OverBudget if the budget is already spent."""
        self.step = step
        self.check()

    def check(self) -> None:
        if self.exceeded or (self._ident is not None and self.used() > self.cpu_seconds):
            self.exceeded = True
            raise OverBudget

    def describe(self) -> str:
        return (
            f"the grader's own work on this file ({self.step}) used more than "
            f"{self.cpu_seconds:g} s of CPU and was stopped"
        )

    @contextlib.contextmanager
    def watch(self) -> Iterator[Budget]:
        """Enforce the budget on the calling thread until the block ends."""
        with self._lock:
            self._ident = threading.get_ident()
            self._clock = _cpu_clock()
            self._start = self._now()
        _Watchdog.add(self)
        try:
            yield self
        finally:
            _Watchdog.remove(self)
            with self._lock:
                ident, self._ident = self._ident, None
                if ident is not None:
                    _raise_in(ident, None)  # one that was scheduled but not yet raised

    def _now(self) -> float:
        return time.clock_gettime(self._clock) if self._clock is not None else time.monotonic()

    def _poll(self) -> None:
        """Called by the watchdog: raise OverBudget in the thread if its budget is spent."""
        with self._lock:
            if self._ident is None or self._ident == threading.get_ident():
                return
            try:
                spent = self.used() > self.cpu_seconds
            except OSError:  # the thread ended between two looks
                return
            now = time.monotonic()
            if spent and now - self._fired >= _REFIRE_S:
                self.exceeded = True
                self._fired = now
                _raise_in(self._ident, OverBudget)


class _Watchdog:
    """One daemon thread for the process, polling every budget being watched."""

    _lock = threading.Lock()
    _budgets: set[Budget] = set()  # noqa: RUF012 (class-level registry, guarded by _lock)
    _thread: threading.Thread | None = None

    @classmethod
    def add(cls, budget: Budget) -> None:
        with cls._lock:
            cls._budgets.add(budget)
            if cls._thread is None or not cls._thread.is_alive():
                cls._thread = threading.Thread(target=cls._run, name="grader-watchdog", daemon=True)
                cls._thread.start()

    @classmethod
    def remove(cls, budget: Budget) -> None:
        with cls._lock:
            cls._budgets.discard(budget)

    @classmethod
    def _run(cls) -> None:
        while True:
            time.sleep(_TICK_S)
            with cls._lock:
                budgets = list(cls._budgets)
            for budget in budgets:
                budget._poll()

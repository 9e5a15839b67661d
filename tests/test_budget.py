"""The grader's own work on one submission stops when its CPU budget is spent, and only then."""

from __future__ import annotations

import threading
import time

import pytest

from grader.budget import Budget, OverBudget


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sum(range(1000))


def test_budget_stops_a_runaway_python_loop() -> None:
    budget = Budget(0.3)
    started = time.monotonic()
    with pytest.raises(OverBudget), budget.watch():
        _spin(30)
    assert time.monotonic() - started < 10
    assert budget.exceeded


def test_budget_raises_again_when_the_first_is_swallowed() -> None:
    budget = Budget(0.2)
    swallowed: list[OverBudget] = []

    def swallow_twice() -> None:
        while len(swallowed) < 2:
            try:
                _spin(30)
            except OverBudget as exc:  # as pytest does with a check's exception
                swallowed.append(exc)
        _spin(30)

    with pytest.raises(OverBudget), budget.watch():
        swallow_twice()
    assert len(swallowed) == 2


def test_budget_does_not_count_time_spent_waiting() -> None:
    budget = Budget(0.5)
    with budget.watch():
        time.sleep(1.5)  # the sandbox's time, or another worker's checks: not this budget's
        budget.check()
    assert not budget.exceeded


def test_budget_nothing_fires_after_the_block() -> None:
    budget = Budget(0.2)
    with budget.watch():
        pass
    _spin(0.6)  # would be over budget if it were still watched


def test_budget_is_per_thread() -> None:
    spinning = Budget(0.3)
    waiting = Budget(0.3)
    outcome: dict[str, str] = {}

    def spin() -> None:
        try:
            with spinning.watch():
                _spin(30)
        except OverBudget:
            outcome["spin"] = "stopped"

    def wait() -> None:
        with waiting.watch():
            time.sleep(1.5)
        outcome["wait"] = "finished"

    threads = [threading.Thread(target=spin), threading.Thread(target=wait)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert outcome == {"spin": "stopped", "wait": "finished"}


def test_budget_at_names_the_step_in_its_description() -> None:
    budget = Budget(0.1)

    def read() -> None:
        budget.at("reading the file")
        _spin(30)

    with pytest.raises(OverBudget), budget.watch():
        read()
    assert "(reading the file) used more than 0.1 s of CPU" in budget.describe()

"""Forgers who read this repository: each trick scores only what the file's honest work earns.

The samples (tests/data/hostile) forge the grader's channel, swap its harvest functions, fake
self-consistent layers and Keras classes, do SGD without a tape, hide the lines a source check
would look for in dead code, or reach for the grader's checkout. They run only inside the
grader's sandbox, with small limits, in one batch on one warm sandbox (`--workers 1`), followed
by an honest submission that must still get full marks.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from tests.support import DATA, SUBMISSIONS, Card, load_scorecards, run_grade

HOSTILE = DATA / "hostile"
LIMITS = (
    "--section-timeout",
    "8",
    "--timeout",
    "120",
    "--memory-mb",
    "1024",
    "--max-processes",
    "64",
)

#: sample -> (sections that must not pass, sections its honest work earns, needs review)
TRICKS: dict[str, tuple[set[str], set[str], bool]] = {
    "forged_events_1_1.py": ({"1.2", "1.3.1", "1.3.2", "1.3.3", "1.4"}, set(), True),
    "replaced_harvesters.py": ({"1.2", "1.3.1", "1.3.2", "1.3.3", "1.4"}, {"1.1"}, True),
    "self_consistent_layer_1_3_1.py": ({"1.3.1"}, {"1.1", "1.2", "1.3.2", "1.3.3", "1.4"}, False),
    "fake_keras_classes.py": ({"1.3.1", "1.3.3"}, {"1.1", "1.2", "1.3.2", "1.4"}, False),
    "float_sgd_1_4.py": ({"1.4"}, {"1.1", "1.2", "1.3.1", "1.3.2", "1.3.3"}, False),
    "dead_code_source_checks.py": ({"1.2", "1.4"}, {"1.1", "1.3.1", "1.3.2", "1.3.3"}, False),
    "steal_from_checkout.py": ({"1.2", "1.3.1", "1.3.2", "1.3.3", "1.4"}, {"1.1"}, True),
}
VICTIM = "zz_honest_after_the_forgers.py"

pytestmark = [pytest.mark.slow, pytest.mark.tensorflow]


@pytest.fixture(scope="module")
def forged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Card]:
    inputs = tmp_path_factory.mktemp("forgers")
    out = tmp_path_factory.mktemp("forgers-out")
    for name in TRICKS:
        shutil.copy(HOSTILE / name, inputs / name)
    shutil.copy(SUBMISSIONS / "passes_all_plain.py", inputs / VICTIM)
    result = run_grade("batch", inputs, "--out", out, "--quiet", "--workers", "1", *LIMITS)
    assert result.returncode == 0, result.stderr
    return load_scorecards(out)


def _sections(card: Card) -> dict[str, Any]:
    return {s["id"]: s for s in card["sections"]}


@pytest.mark.parametrize("name", sorted(TRICKS), ids=lambda n: n.removesuffix(".py"))
def test_forgery_earns_only_the_honest_sections(forged: dict[str, Card], name: str) -> None:
    not_passed, honest, _review = TRICKS[name]
    sections = _sections(forged[name])
    assert {sid for sid in not_passed if sections[sid]["status"] == "passed"} == set()
    assert {sid for sid in honest if sections[sid]["status"] != "passed"} == set()


@pytest.mark.parametrize("name", sorted(TRICKS), ids=lambda n: n.removesuffix(".py"))
def test_forgery_tampering_is_flagged_for_review(forged: dict[str, Card], name: str) -> None:
    review = TRICKS[name][2]
    integrity = forged[name].get("integrity")
    assert bool(integrity and integrity["needs_review"]) == review


def test_forgery_forged_channel_is_a_protocol_violation(forged: dict[str, Card]) -> None:
    card = forged["forged_events_1_1.py"]
    assert "did not come from the grader's harvest" in card["integrity"]["protocol_violation"]
    assert card["score"] == 0
    assert {s["status"] for s in card["sections"]} == {"error"}
    feedback = _sections(card)["1.2"]["feedback"]
    assert "your instructor will review this submission" in feedback
    leads = {lead["construct"] for lead in card["integrity"]["leads"]}
    assert "os.write(...)" in leads


def test_forgery_swapped_harvesters_are_named_with_their_place(forged: dict[str, Card]) -> None:
    leads = forged["replaced_harvesters.py"]["integrity"]["leads"]
    walk = next(lead for lead in leads if lead["construct"] == "gc.get_objects(...)")
    assert walk["where"].startswith("line ")
    assert "walks every object" in walk["why"]


def test_forgery_self_consistent_layer_is_told_it_changed_its_weights(
    forged: dict[str, Card],
) -> None:
    checks = {
        c["id"]: c for c in _sections(forged["self_consistent_layer_1_3_1.py"])["1.3.1"]["checks"]
    }
    assert checks["1.3.1/output"]["status"] == "failed"
    assert "not sigmoid(xW + b)" in checks["1.3.1/output"]["feedback"]


def test_forgery_fake_keras_classes_must_subclass_the_real_ones(forged: dict[str, Card]) -> None:
    sections = _sections(forged["fake_keras_classes.py"])
    layer = {c["id"]: c for c in sections["1.3.1"]["checks"]}
    assert "must subclass tf.keras.layers.Layer" in layer["1.3.1/subclass"]["feedback"]
    model = {c["id"]: c for c in sections["1.3.3"]["checks"]}
    assert "must subclass tf.keras.Model" in model["1.3.3/subclass-model"]["feedback"]


def test_forgery_sgd_without_tape_is_named(forged: dict[str, Card]) -> None:
    checks = {c["id"]: c for c in _sections(forged["float_sgd_1_4.py"])["1.4"]["checks"]}
    for cid in ("1.4/sgd-converges", "1.4/history", "1.4/sgd-trajectory"):
        assert checks[cid]["status"] == "failed"
        assert "gradient(s) of `x` with a tape" in checks[cid]["feedback"]
    assert checks["1.4/gradient-tape"]["status"] == "passed"


def test_forgery_dead_code_earns_nothing_from_source_patterns(forged: dict[str, Card]) -> None:
    checks = {
        c["id"]: c for s in forged["dead_code_source_checks.py"]["sections"] for c in s["checks"]
    }
    assert checks["1.2/e-out"]["status"] == "failed"
    assert "not what your function returned" in checks["1.2/e-out"]["feedback"]
    assert checks["1.4/gradient-tape"]["status"] == "failed"
    assert "not what tape.gradient returned" in checks["1.4/gradient-tape"]["feedback"]


def test_forgery_nothing_of_the_checkout_is_in_reach(forged: dict[str, Card]) -> None:
    tail = forged["steal_from_checkout.py"]["output_tail"]
    assert "FOUND 0" in tail
    assert "STOLEN" not in tail
    assert "GIT 0" not in tail


def test_forgery_honest_work_after_the_forgers_gets_full_marks(forged: dict[str, Card]) -> None:
    card = forged[VICTIM]
    assert card["score"] == card["max_score"] == 100
    assert "integrity" not in card

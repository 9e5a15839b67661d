"""The scorecards of the bundled samples, compared with reviewed goldens (tests/goldens/).

After a change that alters verdicts or feedback on purpose, run
`python -m pytest tests/test_goldens.py --update-goldens` and review `git diff tests/goldens`.
What varies from run to run (times, versions, numbers from random initial weights) is masked.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support import EXAMPLES, ROOT, Card

GOLDENS = ROOT / "tests" / "goldens"
SAMPLES = sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".ipynb", ".py"))
# Decimals and long integers come from random initial weights or unseen inputs; small whole
# numbers (shapes, counts, seconds) and section ids (`section 1.3.1`, `1.3.1/output`) stay.
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)*(?:[eE][-+]?\d+)?(?![\w])|\bnan\b|\binf\b")


def _mask_number(m: re.Match[str]) -> str:
    token, before = m.group(), m.string[max(0, m.start() - 8) : m.start()]
    if (
        token.count(".") >= 2
        or before.endswith("section ")
        or m.string[m.end() : m.end() + 1] == "/"
    ):
        return token  # a section or check id
    if re.fullmatch(r"-?\d{1,3}", token):
        return token
    return "<number>"


pytestmark = [pytest.mark.slow, pytest.mark.tensorflow]


def normalise(card: Card) -> Card:
    """The scorecard without what changes between runs of the same file."""

    def mask(value: Any) -> Any:
        if isinstance(value, str):
            return _NUMBER.sub(_mask_number, value)
        if isinstance(value, list):
            return [mask(v) for v in value]
        if isinstance(value, dict):
            return {k: mask(v) for k, v in value.items()}
        return value

    kept = {k: v for k, v in card.items() if k not in ("graded_at", "duration_s", "output_tail")}
    kept["environment"] = sorted(card["environment"])  # which facts, not their values
    kept["sections"] = mask(card["sections"])
    kept["errors"] = mask(card["errors"])
    return kept


@pytest.mark.parametrize("name", SAMPLES)
def test_goldens_bundled_sample_scorecard_is_unchanged(
    graded_examples: dict[str, Card], name: str, request: pytest.FixtureRequest
) -> None:
    found = normalise(graded_examples[name])
    path = GOLDENS / f"{name}.json"
    if request.config.getoption("--update-goldens"):
        GOLDENS.mkdir(exist_ok=True)
        path.write_text(json.dumps(found, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert path.exists(), f"no golden for {name}: run with --update-goldens and review it"
    assert found == json.loads(path.read_text(encoding="utf-8"))

"""Verdicts on realistic student submissions agree with a careful TA's (tests/data/submissions)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from grader.scorecards import validation_errors
from tests.support import EXAMPLES, SUBMISSIONS, Card

SECTION_IDS = ["1.1", "1.2", "1.3.1", "1.3.2", "1.3.3", "1.4"]


def _verdicts(folder: Path) -> dict[str, dict[str, str]]:
    raw = tomllib.loads((folder / "verdicts.toml").read_text(encoding="utf-8"))
    return {name: {sid: v[sid] for sid in SECTION_IDS} for name, v in raw.items()}


def _disagreements(cards: dict[str, Card], verdicts: dict[str, dict[str, str]]) -> list[str]:
    out = []
    for name, expected in verdicts.items():
        if name not in cards:
            continue
        sections = {s["id"]: s for s in cards[name]["sections"]}
        for sid, status in expected.items():
            if sections[sid]["status"] != status:
                out.append(
                    f"{name} {sid}: grader {sections[sid]['status']}, TA {status}: {sections[sid]['feedback']}"
                )
    return out


pytestmark = [pytest.mark.slow, pytest.mark.tensorflow]


def test_verdicts_every_submission_has_a_valid_scorecard(
    graded_submissions: dict[str, Card],
) -> None:
    expected = {p.name for p in SUBMISSIONS.iterdir() if p.suffix in (".ipynb", ".py")}
    assert set(graded_submissions) == expected
    for name, card in graded_submissions.items():
        assert validation_errors(card) == [], name
        assert [s["id"] for s in card["sections"]] == SECTION_IDS


def test_verdicts_agree_with_ta_on_95_percent_of_sections(
    graded_submissions: dict[str, Card],
) -> None:
    verdicts = _verdicts(SUBMISSIONS)
    disagreements = _disagreements(graded_submissions, verdicts)
    total = len(verdicts) * len(SECTION_IDS)
    agreement = 1 - len(disagreements) / total
    assert agreement >= 0.95, "\n".join(disagreements)


@pytest.mark.parametrize(
    "name",
    [
        "passes_all.ipynb",
        "passes_all_percent.py",
        "passes_all_plain.py",
        "passes_all_colab_habits.ipynb",
        "passes_all_colab_export.py",
        "passes_all_banner_headings.py",
        "passes_all_no_markdown.ipynb",
        "passes_all_html_headings.ipynb",
        "passes_all_typo_headings.py",
        "passes_all_capture_cells.ipynb",
        "passes_all_colored_output.py",
    ],
    ids=[
        "notebook",
        "percent",
        "plain",
        "colab-habits",
        "colab-export",
        "banner-headings",
        "no-markdown",
        "html-headings",
        "typo-headings",
        "capture-cells",
        "colored-output",
    ],
)
def test_verdicts_correct_work_in_every_format_scores_full(
    graded_submissions: dict[str, Card], name: str
) -> None:
    card = graded_submissions[name]
    assert card["score"] == card["max_score"] == 100, _disagreements(
        {name: card}, _verdicts(SUBMISSIONS)
    )


def test_verdicts_copied_handout_loses_only_the_keras2_section(
    graded_submissions: dict[str, Card],
) -> None:
    card = graded_submissions["copied_handout_keras2.ipynb"]
    statuses = {s["id"]: s["status"] for s in card["sections"]}
    assert statuses == {
        "1.1": "passed",
        "1.2": "passed",
        "1.3.1": "error",
        "1.3.2": "passed",
        "1.3.3": "passed",
        "1.4": "passed",
    }
    feedback = next(s["feedback"] for s in card["sections"] if s["id"] == "1.3.1")
    assert 'add_weight(name="weight", shape=[d, self.n_output_nodes])' in feedback


@pytest.mark.parametrize(
    ("name", "check_id", "phrase"),
    [
        ("fails_1_3_1_transposed_w.ipynb", "1.3.1/weight-shapes", "W is transposed"),
        ("fails_1_3_1_bias_unused.ipynb", "1.3.1/output", "bias b is not used"),
        ("fails_1_3_1_relu.ipynb", "1.3.1/output", "the activation is ReLU, not sigmoid"),
        ("fails_1_3_1_width_hardcoded.py", "1.3.1/any-width", "instead of a fixed number"),
        ("fails_1_2_plus_one.py", "1.2/func-handout", "d should be b - 1, not b + 1"),
        ("fails_1_2_python_arithmetic.ipynb", "1.2/func-handout", "expected a tf.Tensor"),
        ("fails_1_3_3_identity_inverted.py", "1.3.3/identity-default", "swapped"),
        (
            "fails_1_3_3_identity_ignored.ipynb",
            "1.3.3/identity-branch",
            "returned the Dense layer's output",
        ),
        ("fails_1_4_gradient_by_hand.ipynb", "1.4/gradient-tape", "not a formula written by hand"),
        ("fails_1_4_gradient_outside_tape.py", "1.4/gradient-value", "is None"),
        ("fails_1_4_lr_too_large.ipynb", "1.4/sgd-converges", "diverged"),
        ("fails_1_4_sign_flipped.py", "1.4/sgd-converges", "diverged"),
        ("fails_1_4_too_few_steps.ipynb", "1.4/sgd-converges", "run more steps"),
        ("fails_1_4_history_not_recorded.py", "1.4/history", "one per step"),
    ],
    ids=lambda v: v if isinstance(v, str) and "/" in v else None,
)
def test_verdicts_common_mistakes_are_named(
    graded_submissions: dict[str, Card], name: str, check_id: str, phrase: str
) -> None:
    checks = {c["id"]: c for s in graded_submissions[name]["sections"] for c in s["checks"]}
    assert checks[check_id]["status"] != "passed"
    assert phrase in checks[check_id]["feedback"]


def test_verdicts_examples_match_their_ta_verdicts(graded_examples: dict[str, Card]) -> None:
    assert _disagreements(graded_examples, _verdicts(EXAMPLES)) == []
    assert graded_examples["correct_work.py"]["score"] == 100


@pytest.mark.parametrize(
    ("name", "located"),
    [
        ("passes_all_no_markdown.ipynb", "1.1, 1.2, 1.3.1, 1.3.2, 1.3.3, 1.4"),
        ("fails_1_3_1_no_markdown_bias_unused.ipynb", "1.1, 1.2, 1.3.1, 1.3.2, 1.3.3, 1.4"),
        ("passes_all_typo_headings.py", "1.1, 1.2, 1.3.1"),
    ],
    ids=["no-markdown", "no-markdown-failing", "typo-headings"],
)
def test_verdicts_sections_located_by_their_names_say_so_once(
    graded_submissions: dict[str, Card], name: str, located: str
) -> None:
    card = graded_submissions[name]
    notes = [s["feedback"] for s in card["sections"] if "located by the names" in s["feedback"]]
    assert len(notes) == 1
    assert f"No heading was found for sections {located}, so they were located" in notes[0]
    assert not any("none of the handout's section headings" in e for e in card["errors"])


def test_verdicts_failing_located_section_points_at_its_bug(
    graded_submissions: dict[str, Card],
) -> None:
    card = graded_submissions["fails_1_3_1_no_markdown_bias_unused.ipynb"]
    checks = {c["id"]: c for s in card["sections"] for c in s["checks"]}
    assert "the bias b is not used" in checks["1.3.1/output"]["feedback"]


def test_verdicts_capture_cells_say_their_body_ran(graded_submissions: dict[str, Card]) -> None:
    card = graded_submissions["passes_all_capture_cells.ipynb"]
    feedback = {s["id"]: s["feedback"] for s in card["sections"]}
    assert (
        "`%%capture training_log` at cell 27: that line was removed and the code under it ran"
        in feedback["1.4"]
    )
    assert "skipped" not in feedback["1.4"]


def test_verdicts_output_tail_keeps_no_terminal_controls(
    graded_submissions: dict[str, Card],
) -> None:
    tail = graded_submissions["passes_all_colored_output.py"]["output_tail"]
    assert "\x1b" not in tail
    assert "\r" not in tail
    assert "[ok] 0-d tensors" in tail  # the colours are gone, the text stays
    assert "\\x0d[#####-----] step 250" in tail  # the redraws are visible, not obeyed

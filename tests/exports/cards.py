"""Hand-written scorecards for the export tests: a two-section assignment, statuses chosen per check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from grader.scorecards import CheckScore, Scorecard, SectionScore, SubmissionInfo, write_scorecard
from grader.status import Status

#: (check id, title, points, visibility) of the fake assignment, by section.
SECTIONS: dict[str, tuple[str, list[tuple[str, str, float, str]]]] = {
    "1.1": (
        "Tensors",
        [
            ("1.1/rank", "tensors have the right rank", 2.0, "visible"),
            ("1.1/images-zeros", "`images` is all zeros", 3.0, "hidden"),
        ],
    ),
    "1.2": (
        "Computations",
        [
            ("1.2/func-handout", "`func` on the handout's inputs", 2.5, "visible"),
            ("1.2/func-unseen", "`func` on unseen inputs", 2.5, "hidden"),
        ],
    ),
}
CHECK_IDS = [c[0] for _, checks in SECTIONS.values() for c in checks]


def make_card(
    student: str = "alice",
    *,
    file: str | None = None,
    failed: Mapping[str, str] | None = None,
    statuses: Mapping[str, Status] | None = None,
    section_feedback: Mapping[str, str] | None = None,
    errors: Sequence[str] = (),
    duration_s: float = 1.0,
    assignment: str = "lab1-part1",
) -> Scorecard:
    """A scorecard where every check passes except those in `failed` (id -> feedback)."""
    failed, statuses, section_feedback = failed or {}, statuses or {}, section_feedback or {}
    sections = []
    for sid, (title, checks) in SECTIONS.items():
        scored = []
        for cid, ctitle, pts, visibility in checks:
            status: Status = statuses.get(cid, "failed" if cid in failed else "passed")
            scored.append(
                CheckScore(
                    id=cid,
                    title=ctitle,
                    score=pts if status == "passed" else 0.0,
                    max_score=pts,
                    status=status,
                    visibility="hidden" if visibility == "hidden" else "visible",
                    feedback=failed.get(cid, ""),
                )
            )
        section_status: Status = (
            "passed"
            if all(c.status == "passed" for c in scored)
            else next(c.status for c in scored if c.status != "passed")
        )
        sections.append(
            SectionScore(
                id=sid,
                title=title,
                score=sum(c.score for c in scored),
                max_score=sum(c.max_score for c in scored),
                status=section_status,
                feedback=section_feedback.get(sid, ""),
                checks=tuple(scored),
            )
        )
    return Scorecard(
        assignment=assignment,
        student=student,
        submission=SubmissionInfo(file or f"{student}.ipynb", "ipynb", "0" * 64),
        score=sum(s.score for s in sections),
        max_score=sum(s.max_score for s in sections),
        sections=tuple(sections),
        errors=tuple(errors),
        environment={"python": "3.11", "tensorflow": "2.21.0", "grader": "0.1.0"},
        graded_at="2026-01-01T00:00:00+00:00",
        duration_s=duration_s,
        output_tail="",
    )


def write_cards(folder: Path, cards: Sequence[Scorecard]) -> Path:
    """Write `cards` as `batch` would (validated against the scorecard schema)."""
    folder.mkdir(parents=True, exist_ok=True)
    for card in cards:
        write_scorecard(folder / f"{card.student}.json", card)
    return folder

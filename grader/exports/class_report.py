"""Render the instructor's class report: one self-contained HTML page (inline CSS and PNG plots)."""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from grader.adjust import Adjusted, AdjustedClass, is_late
from grader.exports import report_plots
from grader.exports.gradebook import section_columns
from grader.exports.page import bar, document, e, pct, table
from grader.exports.report_review import render_review
from grader.exports.report_similar import render_similar
from grader.exports.report_students import render_adjustments, render_students
from grader.exports.similarity import SimilarityResult
from grader.exports.text import shorten
from grader.scorecards import Scorecard
from grader.terminal import strip_ansi

STATUSES = ("passed", "failed", "error", "timeout", "not_run")
#: The page's sections, in order: (anchor, heading). The navigation shows the same headings.
HEADINGS = (
    ("distribution", "Score distribution"),
    ("students", "Students"),
    ("sections", "Pass rate per section"),
    ("checks", "Pass rate per check"),
    ("feedback", "Most frequent feedback"),
    ("adjustments", "Overrides and late policy"),
    ("slowest", "Slowest submissions"),
    ("problems", "Submissions with grader notes"),
    ("review", "Needs review"),
    ("similar", "Similar submissions"),
)
_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232b;
       max-width: 1100px; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #dde3ea; }
nav a { margin-right: .9rem; white-space: nowrap; } .muted { color: #5b6673; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: 14px; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e4e8ee; vertical-align: top; }
th { background: #f3f5f8; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.bar { display: inline-block; width: 120px; height: .7rem; background: #e8ecf1; vertical-align: middle; }
.bar > span { display: block; height: 100%; background: #3b6ea5; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; padding: 0; }
.figures div { background: #f3f5f8; border-radius: 6px; padding: .6rem 1rem; list-style: none; }
.figures b { display: block; font-size: 1.35rem; }
img.plot { max-width: 100%; display: block; margin: .6rem 0; }
.caution { background: #fff6db; border-left: 4px solid #d08c00; padding: .6rem 1rem; }
.pair { border: 1px solid #dde3ea; border-radius: 6px; padding: .4rem 1rem 1rem; margin: 1rem 0; }
.evidence { display: grid; grid-template-columns: 1fr 1fr; gap: .8rem; margin-top: .8rem; }
.evidence h4 { margin: 0 0 .2rem; font-size: .85rem; color: #5b6673; font-weight: 600; }
pre { background: #f6f8fa; border: 1px solid #e4e8ee; padding: .5rem; margin: 0; font-size: 12.5px;
      white-space: pre-wrap; word-break: break-word; }
.message { white-space: pre-wrap; }
.scroll { overflow-x: auto; } table.students td.num { white-space: nowrap; }
.st-passed { color: #1e7a46; } .st-failed { color: #b03a2e; } .st-error { color: #8e2c8e; }
.st-timeout { color: #a35d00; } .st-not_run { color: #5b6673; }
"""


@dataclass(frozen=True, slots=True)
class FeedbackGroup:
    """Feedback that many students got: how many, who, where, and one example as written."""

    students: int
    who: tuple[str, ...]  # student ids, sorted
    where: tuple[str, ...]  # section or check ids
    example: str


def feedback_groups(cards: Sequence[Scorecard], limit: int = 15) -> list[FeedbackGroup]:
    """The most frequent feedback on what did not pass, numbers and quoted code folded together."""
    students: dict[str, set[str]] = {}
    where: dict[str, dict[str, None]] = {}
    example: dict[str, str] = {}

    def add(key_where: str, text: str, *, student: str) -> None:
        text = strip_ansi(text)
        key = _message_key(text)
        if not key:
            return
        students.setdefault(key, set()).add(student)
        where.setdefault(key, {})[key_where] = None
        example.setdefault(key, text.strip())

    for card in cards:
        for section in card.sections:
            if section.status != "passed":
                for line in section.feedback.splitlines():
                    add(section.id, line, student=card.student)
            for check in section.checks:
                if check.status != "passed" and check.feedback.strip() != section.feedback.strip():
                    add(check.id, check.feedback, student=card.student)
    keys = sorted(students, key=lambda k: (-len(students[k]), k))[:limit]
    return [
        FeedbackGroup(
            len(students[k]), tuple(sorted(students[k], key=str.lower)), tuple(where[k]), example[k]
        )
        for k in keys
    ]


def _message_key(text: str) -> str:
    """Fold what varies between students: quoted code, numbers, and where in the file it was."""
    text = re.sub(r"`[^`\n]*`", "`…`", text)
    text = re.sub(r"[-+]?(?:\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\bnan\b|\binf\b)", "#", text)
    text = re.sub(r"\b(?:cell #, )?line #", "line #", text)
    return re.sub(r"\s+", " ", text).strip()


def render_report(
    adjusted: AdjustedClass,
    *,
    title: str,
    generated_at: str,
    similarity: SimilarityResult | None,
    similarity_note: str = "",
    plots: bool = True,
    feedback_links: Mapping[str, str] | None = None,
) -> str:
    """The whole page. Scores have the overrides and late policy applied.

    `similarity_note` says why similarity was not computed, when it was not; `feedback_links`
    maps a student id to the address of their feedback page, relative to the report.
    """
    results = adjusted.results
    cards = [r.card for r in results]
    plots = plots and report_plots.plots_available()
    parts = {
        "distribution": _distribution(results, plots),
        "students": render_students(results, feedback_links or {}),
        "sections": _sections(results, plots),
        "checks": _checks(cards, plots),
        "feedback": _feedback(cards),
        "adjustments": render_adjustments(adjusted),
        "slowest": _slowest(results),
        "problems": _problems(cards),
        "review": render_review(cards),
        "similar": render_similar(similarity, similarity_note),
    }
    body = [
        f"<h1>Class report: {e(title)}</h1>",
        f'<p class="muted">{len(cards)} scorecards of assignment {e(cards[0].assignment)}, '
        f"report generated {e(generated_at)}.</p>"
        if cards
        else "",
        "<nav>" + " ".join(f'<a href="#{a}">{e(h)}</a>' for a, h in HEADINGS) + "</nav>",
    ]
    if not plots:
        body.append(
            f'<p class="muted">Plots are off: matplotlib is not installed here '
            f"(<code>{report_plots.INSTALL_HINT}</code>). The tables show the same numbers.</p>"
        )
    for anchor, heading in HEADINGS:
        body += [f'<h2 id="{anchor}">{e(heading)}</h2>', *parts[anchor]]
    return document(title=f"Class report: {title}", css=_CSS, body=body)


def _img(png: str | None, alt: str) -> str:
    return f'<img class="plot" alt="{e(alt)}" src="data:image/png;base64,{png}">' if png else ""


def _distribution(results: Sequence[Adjusted], plots: bool) -> list[str]:
    scores = [r.score for r in results]
    top = max((r.max_score for r in results), default=0.0)
    figures = [
        ("submissions", str(len(results))),
        ("mean", f"{statistics.fmean(scores):.1f}" if scores else "-"),
        ("median", f"{statistics.median(scores):g}" if scores else "-"),
        ("min to max", f"{min(scores):g} to {max(scores):g}" if scores else "-"),
        ("full marks", str(sum(1 for s in scores if top and s >= top))),
        ("late (Canvas)", str(sum(1 for r in results if is_late(r.card)))),
        ("adjusted", str(sum(1 for r in results if r.changed))),
    ]
    out = [
        '<div class="figures">'
        + "".join(f"<div><b>{e(v)}</b>{e(k)}</div>" for k, v in figures)
        + f'</div><p class="muted">Scores are out of {top:g}, with the overrides and late '
        "policy applied.</p>",
    ]
    if plots:
        out.append(_img(report_plots.score_histogram(scores, top), "histogram of total scores"))
    rows = []
    for b in range(10):
        lo, hi = top * b / 10, top * (b + 1) / 10
        n = sum(1 for s in scores if lo <= s < hi or (b == 9 and s == hi))
        bracket = "]" if b == 9 else ")"
        rows.append([e(f"[{lo:g}, {hi:g}{bracket}"), str(n), bar(n / len(scores) if scores else 0)])
    out.append(table(["score", "submissions", ""], rows, numeric={1}))
    return out


def _rate(statuses: Sequence[str]) -> float:
    return sum(s == "passed" for s in statuses) / len(statuses) if statuses else 0.0


def _status_cells(statuses: Sequence[str]) -> list[str]:
    return [str(statuses.count(s)) for s in STATUSES]


def _sections(results: Sequence[Adjusted], plots: bool) -> list[str]:
    rows, labels, rates = [], [], []
    for column in section_columns([r.card for r in results]):
        found = [(r, s) for r in results for s in r.card.sections if s.id == column.id]
        statuses = [s.status for _, s in found]
        mean = statistics.fmean(r.section_scores[column.id] for r, _ in found) if found else 0.0
        rate = _rate(statuses)
        labels.append(shorten(f"{column.id} {column.title}", 48))
        rates.append(rate)
        rows.append(
            [
                e(column.id),
                e(column.title),
                f"{mean:.1f} / {column.max_score:g}",
                pct(rate) + " " + bar(rate),
                *_status_cells(statuses),
            ]
        )
    out = []
    if plots and rows:
        out.append(
            _img(
                report_plots.rate_bars(labels, rates, xlabel="% of submissions passed"),
                "pass rate per section",
            )
        )
    out.append(
        table(
            ["section", "title", "mean points", "pass rate", *STATUSES],
            rows,
            numeric={2, 4, 5, 6, 7, 8},
        )
    )
    return out


def _checks(cards: Sequence[Scorecard], plots: bool) -> list[str]:
    order: dict[str, tuple[str, str, float]] = {}
    statuses: dict[str, list[str]] = {}
    for card in cards:
        for section in card.sections:
            for check in section.checks:
                order.setdefault(check.id, (check.title, check.visibility, check.max_score))
                statuses.setdefault(check.id, []).append(check.status)
    rows = []
    for cid, (title, visibility, max_score) in order.items():
        rate = _rate(statuses[cid])
        rows.append(
            [
                e(cid),
                e(title),
                e(visibility),
                f"{max_score:g}",
                pct(rate) + " " + bar(rate),
                *_status_cells(statuses[cid]),
            ]
        )
    out = ['<p class="muted">Statuses as graded: an override changes points, not statuses.</p>']
    if plots and order:
        rates = [_rate(statuses[cid]) for cid in order]
        out.append(
            _img(
                report_plots.rate_bars(list(order), rates, xlabel="% of submissions passed"),
                "pass rate per check",
            )
        )
    out.append(
        table(
            ["check", "title", "visibility", "points", "pass rate", *STATUSES],
            rows,
            numeric={3, 5, 6, 7, 8, 9},
        )
    )
    return out


def _who(names: Sequence[str], limit: int = 8) -> str:
    shown = e(", ".join(names[:limit]))
    if len(names) <= limit:
        return shown
    return (
        f"<details><summary>{shown} and {len(names) - limit} more</summary>"
        f"{e(', '.join(names[limit:]))}</details>"
    )


def _feedback(cards: Sequence[Scorecard]) -> list[str]:
    groups = feedback_groups(cards)
    out = [
        '<p class="muted">What the class got wrong: feedback on checks and sections that did not '
        "pass, counted once per student; messages that differ only in numbers or quoted code are "
        "counted together, and one example is shown.</p>",
    ]
    if not groups:
        return [*out, "<p>Every check passed for every student.</p>"]
    rows = [
        [
            str(g.students),
            _who(g.who),
            e(", ".join(g.where[:4]) + (" …" if len(g.where) > 4 else "")),
            f'<span class="message">{e(shorten(g.example, 600))}</span>',
        ]
        for g in groups
    ]
    return [*out, table(["students", "who", "where", "message (example)"], rows, numeric={0})]


def _slowest(results: Sequence[Adjusted], limit: int = 10) -> list[str]:
    rows = [
        [
            e(r.student),
            e(r.card.submission.path),
            f"{r.card.duration_s:.1f} s",
            f"{r.score:g}",
            e(", ".join(s.id for s in r.card.sections if s.status == "timeout") or "-"),
        ]
        for r in sorted(results, key=lambda r: -r.card.duration_s)[:limit]
    ]
    return [
        table(
            ["student", "file", "grading time", "score", "timed-out sections"], rows, numeric={2, 3}
        ),
    ]


def _problems(cards: Sequence[Scorecard]) -> list[str]:
    rows = [
        [e(c.student), f'<span class="message">{e(shorten(" | ".join(c.errors), 500))}</span>']
        for c in cards
        if c.errors
    ]
    if not rows:
        return ["<p>No scorecard carries a note from the grader.</p>"]
    return [table(["student", "notes"], rows, numeric=set())]

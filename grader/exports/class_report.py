"""Render the instructor's class report: one self-contained HTML page (inline CSS and PNG plots)."""

from __future__ import annotations

import html
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from grader.exports import report_plots
from grader.exports.gradebook import section_columns
from grader.exports.similarity import Code, SimilarityResult
from grader.intake.names import parse_canvas_name
from grader.scorecards import Scorecard
from grader.terminal import strip_ansi

STATUSES = ("passed", "failed", "error", "timeout", "not_run")
_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232b;
       max-width: 1100px; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #dde3ea; }
nav a { margin-right: .9rem; } .muted { color: #5b6673; }
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
"""


@dataclass(frozen=True, slots=True)
class FeedbackGroup:
    """Feedback that many students got: how many, where, and one example as written."""

    students: int
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
    return [FeedbackGroup(len(students[k]), tuple(where[k]), example[k]) for k in keys]


def _message_key(text: str) -> str:
    """Fold what varies between students: quoted code, numbers, and where in the file it was."""
    text = re.sub(r"`[^`\n]*`", "`…`", text)
    text = re.sub(r"[-+]?(?:\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\bnan\b|\binf\b)", "#", text)
    text = re.sub(r"\b(?:cell #, )?line #", "line #", text)
    return re.sub(r"\s+", " ", text).strip()


def render_report(
    cards: Sequence[Scorecard],
    *,
    title: str,
    generated_at: str,
    similarity: SimilarityResult | None,
    similarity_note: str = "",
    plots: bool = True,
) -> str:
    """The whole page. `similarity_note` says why similarity was not computed, when it was not."""
    plots = plots and report_plots.plots_available()
    body = [
        f"<h1>Class report: {_e(title)}</h1>",
        f'<p class="muted">{len(cards)} scorecards of assignment {_e(cards[0].assignment)}, '
        f"report generated {_e(generated_at)}.</p>"
        if cards
        else "",
        '<nav><a href="#distribution">Scores</a><a href="#sections">Sections</a>'
        '<a href="#checks">Checks</a><a href="#feedback">Feedback</a>'
        '<a href="#slowest">Slowest</a><a href="#problems">Problems</a>'
        '<a href="#similar">Similar submissions</a></nav>',
    ]
    if not plots:
        body.append(
            f'<p class="muted">Plots are off: matplotlib is not installed here '
            f"(<code>{report_plots.INSTALL_HINT}</code>). The tables show the same numbers.</p>"
        )
    body += _distribution(cards, plots)
    body += _sections(cards, plots)
    body += _checks(cards, plots)
    body += _feedback(cards)
    body += _slowest(cards)
    body += _problems(cards)
    body += _similar(similarity, similarity_note)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Class report: {_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + "\n</body>\n</html>\n"
    )


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _pct(rate: float) -> str:
    return f"{100 * rate:.0f}%"


def _bar(rate: float) -> str:
    return f'<span class="bar" aria-hidden="true"><span style="width: {100 * rate:.1f}%"></span></span>'


def _img(png: str | None, alt: str) -> str:
    return f'<img class="plot" alt="{_e(alt)}" src="data:image/png;base64,{png}">' if png else ""


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: set[int]) -> str:
    head = "".join(
        f'<th class="num">{_e(h)}</th>' if i in numeric else f"<th>{_e(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _distribution(cards: Sequence[Scorecard], plots: bool) -> list[str]:
    scores = [c.score for c in cards]
    top = max((c.max_score for c in cards), default=0.0)
    late = sum(1 for c in cards if (name := parse_canvas_name(c.submission.path)) and name.late)
    figures = [
        ("submissions", str(len(cards))),
        ("mean", f"{statistics.fmean(scores):.1f}" if scores else "-"),
        ("median", f"{statistics.median(scores):g}" if scores else "-"),
        ("min to max", f"{min(scores):g} to {max(scores):g}" if scores else "-"),
        ("full marks", str(sum(1 for c in cards if top and c.score >= top))),
        ("late (Canvas)", str(late)),
    ]
    out = [
        '<h2 id="distribution">Score distribution</h2>',
        '<div class="figures">'
        + "".join(f"<div><b>{_e(v)}</b>{_e(k)}</div>" for k, v in figures)
        + f'</div><p class="muted">Scores are out of {top:g}.</p>',
    ]
    if plots:
        out.append(_img(report_plots.score_histogram(scores, top), "histogram of total scores"))
    rows = []
    for b in range(10):
        lo, hi = top * b / 10, top * (b + 1) / 10
        n = sum(1 for s in scores if lo <= s < hi or (b == 9 and s == hi))
        bracket = "]" if b == 9 else ")"
        rows.append(
            [_e(f"[{lo:g}, {hi:g}{bracket}"), str(n), _bar(n / len(scores) if scores else 0)]
        )
    out.append(_table(["score", "submissions", ""], rows, numeric={1}))
    return out


def _rate(statuses: Sequence[str]) -> float:
    return sum(s == "passed" for s in statuses) / len(statuses) if statuses else 0.0


def _status_cells(statuses: Sequence[str]) -> list[str]:
    return [str(statuses.count(s)) for s in STATUSES]


def _sections(cards: Sequence[Scorecard], plots: bool) -> list[str]:
    rows, labels, rates = [], [], []
    for column in section_columns(cards):
        found = [s for c in cards for s in c.sections if s.id == column.id]
        statuses = [s.status for s in found]
        mean = statistics.fmean(s.score for s in found) if found else 0.0
        rate = _rate(statuses)
        labels.append(f"{column.id} {column.title}"[:48])
        rates.append(rate)
        rows.append(
            [
                _e(column.id),
                _e(column.title),
                f"{mean:.1f} / {column.max_score:g}",
                _pct(rate) + " " + _bar(rate),
                *_status_cells(statuses),
            ]
        )
    out = ['<h2 id="sections">Pass rate per section</h2>']
    if plots and rows:
        out.append(
            _img(
                report_plots.rate_bars(labels, rates, xlabel="% of submissions passed"),
                "pass rate per section",
            )
        )
    out.append(
        _table(
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
                _e(cid),
                _e(title),
                _e(visibility),
                f"{max_score:g}",
                _pct(rate) + " " + _bar(rate),
                *_status_cells(statuses[cid]),
            ]
        )
    out = ['<h2 id="checks">Pass rate per check</h2>']
    if plots and order:
        rates = [_rate(statuses[cid]) for cid in order]
        out.append(
            _img(
                report_plots.rate_bars(list(order), rates, xlabel="% of submissions passed"),
                "pass rate per check",
            )
        )
    out.append(
        _table(
            ["check", "title", "visibility", "points", "pass rate", *STATUSES],
            rows,
            numeric={3, 5, 6, 7, 8, 9},
        )
    )
    return out


def _feedback(cards: Sequence[Scorecard]) -> list[str]:
    groups = feedback_groups(cards)
    out = [
        '<h2 id="feedback">Most frequent feedback</h2>',
        '<p class="muted">What the class got wrong: feedback on checks and sections that did not '
        "pass, counted once per student; messages that differ only in numbers or quoted code are "
        "counted together, and one example is shown.</p>",
    ]
    if not groups:
        return [*out, "<p>Every check passed for every student.</p>"]
    rows = [
        [
            str(g.students),
            _e(", ".join(g.where[:4]) + (" …" if len(g.where) > 4 else "")),
            f'<span class="message">{_e(g.example[:600])}</span>',
        ]
        for g in groups
    ]
    return [*out, _table(["students", "where", "message (example)"], rows, numeric={0})]


def _slowest(cards: Sequence[Scorecard], limit: int = 10) -> list[str]:
    rows = [
        [
            _e(c.student),
            _e(c.submission.path),
            f"{c.duration_s:.1f} s",
            f"{c.score:g}",
            _e(", ".join(s.id for s in c.sections if s.status == "timeout") or "-"),
        ]
        for c in sorted(cards, key=lambda c: -c.duration_s)[:limit]
    ]
    return [
        '<h2 id="slowest">Slowest submissions</h2>',
        _table(
            ["student", "file", "grading time", "score", "timed-out sections"], rows, numeric={2, 3}
        ),
    ]


def _problems(cards: Sequence[Scorecard]) -> list[str]:
    rows = [
        [
            _e(c.student),
            f'<span class="message">{_e(strip_ansi(" | ".join(c.errors))[:500])}</span>',
        ]
        for c in cards
        if c.errors
    ]
    out = ['<h2 id="problems">Submissions with grader notes</h2>']
    if not rows:
        return [*out, "<p>No scorecard carries a note from the grader.</p>"]
    return [*out, _table(["student", "notes"], rows, numeric=set())]


def _similar(result: SimilarityResult | None, note: str) -> list[str]:
    out = [
        '<h2 id="similar">Similar submissions</h2>',
        '<p class="caution"><strong>This is a lead for a human, not a verdict.</strong> '
        "Pairs are listed when much of one submission's own code also appears in the other after "
        "variable names, numbers, strings and comments are normalised. Code from the student "
        "template and the reference, and code that many submissions share, is ignored. A short lab "
        "has few ways to be right and students may legitimately work together: read the evidence "
        "side by side before drawing any conclusion.</p>",
    ]
    if result is None:
        return [*out, f"<p>Not computed: {_e(note or 'no submissions were given')}.</p>"]
    opts = result.options
    out.append(
        f'<p class="muted">{result.compared} submissions compared; a pair is listed when at least '
        f"{_pct(opts.threshold)} of one submission's own code (and {opts.min_tokens} tokens) is "
        f"shared. Code found in more than {_pct(opts.common_fraction)} of submissions is ignored.</p>"
    )
    if not result.pairs:
        return [*out, "<p>No pair of submissions is similar enough to list.</p>"]
    for n, pair in enumerate(result.pairs, start=1):
        out.append(
            f'<div class="pair"><h3>{n}. {_e(pair.a.name)} and {_e(pair.b.name)}: '
            f"{_pct(pair.similarity)} similar</h3>"
            f"<p>{_pct(pair.a_coverage)} of {_e(pair.a.name)}'s own code and "
            f"{_pct(pair.b_coverage)} of {_e(pair.b.name)}'s appear in the other "
            f"({pair.matched_tokens} tokens in {len(pair.matches)} passages; the longest are shown).</p>"
        )
        for match in pair.matches:
            out.append(
                '<div class="evidence">'
                + _passage(pair.a, match.a_lines)
                + _passage(pair.b, match.b_lines)
                + "</div>"
            )
        out.append("</div>")
    return out


def _passage(code: Code, lines: tuple[int, int], *, limit: int = 40) -> str:
    first, last = lines
    shown = code.lines[first : min(last, first + limit - 1) + 1]
    more = "\n…" if last - first + 1 > limit else ""
    return (
        f"<div><h4>{_e(code.name)}: {_e(code.where[first])} to {_e(code.where[last])}</h4>"
        f"<pre>{_e(chr(10).join(shown) + more)}</pre></div>"
    )

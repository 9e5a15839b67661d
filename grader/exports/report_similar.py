"""The class report's "Similar submissions" section: pairs of submissions side by side."""

from __future__ import annotations

from grader.exports.page import e, pct
from grader.exports.similarity import Code, SimilarityResult

__all__ = ["render_similar"]


def render_similar(result: SimilarityResult | None, note: str) -> list[str]:
    """The section's body (after its heading); `note` says why it was not computed."""
    out = [
        '<p class="caution"><strong>This is a lead for a human, not a verdict.</strong> '
        "Pairs are listed when much of one submission's own code also appears in the other after "
        "variable names, numbers, strings and comments are normalised. Code from the student "
        "template and the reference, and code that many submissions share, is ignored. A short lab "
        "has few ways to be right and students may legitimately work together: read the evidence "
        "side by side before drawing any conclusion.</p>",
    ]
    if result is None:
        return [*out, f"<p>Not computed: {e(note or 'no submissions were given')}.</p>"]
    opts = result.options
    out.append(
        f'<p class="muted">{result.compared} submissions compared; a pair is listed when at least '
        f"{pct(opts.threshold)} of one submission's own code (and {opts.min_tokens} tokens) is "
        f"shared. Code found in more than {pct(opts.common_fraction)} of submissions is ignored.</p>"
    )
    if not result.pairs:
        return [*out, "<p>No pair of submissions is similar enough to list.</p>"]
    for n, pair in enumerate(result.pairs, start=1):
        out.append(
            f'<div class="pair"><h3>{n}. {e(pair.a.name)} and {e(pair.b.name)}: '
            f"{pct(pair.similarity)} similar</h3>"
            f"<p>{pct(pair.a_coverage)} of {e(pair.a.name)}'s own code and "
            f"{pct(pair.b_coverage)} of {e(pair.b.name)}'s appear in the other "
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
        f"<div><h4>{e(code.name)}: {e(code.where[first])} to {e(code.where[last])}</h4>"
        f"<pre>{e(chr(10).join(shown) + more)}</pre></div>"
    )

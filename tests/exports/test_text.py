"""Text in exports: shortened at word boundaries, untrusted text escaped for pages."""

from __future__ import annotations

import pytest

from grader.exports.text import escape, shorten


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("add the bias to the output", 100, "add the bias to the output"),
        ("add the bias to the output", 17, "add the bias to…"),  # not "add the bias to t…"
        ("add the bias to the output", 11, "add the…"),  # not "add the bia…"
        ("add the bias, then return", 14, "add the bias…"),  # no dangling comma
        ("supercalifragilistic", 8, "superca…"),  # one word longer than the limit
        ("add the bias to", 13, "add the bias…"),  # the cut falls right after a word
    ],
    ids=["fits", "between-words", "mid-word", "punctuation", "one-long-word", "at-boundary"],
)
def test_text_shorten_cuts_at_a_word_boundary(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit


def test_text_escape_makes_markup_terminal_and_bidi_codes_inert() -> None:
    shown = escape("<img src=x onerror=alert(1)> \x1b[31mred\x1b[0m \x1b]0;t\x07 \u202eabc")
    assert shown == "&lt;img src=x onerror=alert(1)&gt; red \\x1b]0;t\\x07 \\u202eabc"

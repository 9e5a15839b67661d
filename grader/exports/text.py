"""Text as exports show it: shortened at a word boundary, and student text made safe for a page."""

from __future__ import annotations

import html
import re

from grader.terminal import strip_ansi

__all__ = ["escape", "shorten"]

# Bidirectional overrides and isolates reorder what a reader sees ("Trojan Source"): a student's
# message could make `passed` read as something else. Shown as escapes, like control characters.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a word boundary and ended with an ellipsis.

    A single word longer than `limit` is cut where it must be; nothing else is cut mid-word.
    """
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"))
    if space > 0 and not text[limit - 1].isspace():
        cut = cut[:space]
    return cut.rstrip(" \t\n,;:-") + "…"


def escape(text: object) -> str:
    """Untrusted text for HTML: terminal escapes and bidi controls made visible, then escaped."""
    shown = _BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", strip_ansi(str(text)))
    return html.escape(shown, quote=True)

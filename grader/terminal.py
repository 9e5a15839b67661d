"""Make untrusted text (student output, exception messages, file names) safe for a terminal.

Escape sequences in text a student controls can move the cursor, rewrite what the instructor's
terminal shows, set its title or hide lines (OSC, CSI, 8-bit CSI, backspace, carriage return).
Bidirectional-override characters reorder what is displayed ("Trojan source"), and lone
surrogates (a file name that is not UTF-8) make printing or writing UTF-8 raise. Colour codes
TensorFlow itself prints are removed; everything else is made visible as text (`\\x1b`).
Every place that shows such text to a person, or stores it for later display, goes through here.
"""

from __future__ import annotations

import json
import re

__all__ = ["json_for_terminal", "safe_name", "safe_text", "strip_ansi"]

# SGR colour codes (ESC [ ... m) only: TensorFlow colours some of its messages.
_SGR = re.compile(r"\x1b\[[0-9;]{0,32}m")
# Every C0 control but tab and newline, DEL, the C1 controls (8-bit CSI is \x9b), the
# bidirectional embeddings, overrides and isolates, line/paragraph separators, and lone surrogates.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# In a name, tab and newline are escaped too: a name is shown on one line.
_NAME_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def strip_ansi(text: str) -> str:
    """Remove colour codes; escape every other control character."""
    return safe_text(_SGR.sub("", text))


def safe_text(text: str) -> str:
    """Escape every control character but tab and newline, so it shows as text (`\\x1b`).

    Windows line ends (CRLF) become plain newlines; a lone carriage return, which would let
    the text overwrite the line it is on, is escaped like any other control.
    """
    return _CONTROL.sub(_escape, text.replace("\r\n", "\n"))


def safe_name(name: str) -> str:
    """A file name or other one-line value, safe to print: every control character escaped."""
    return _NAME_CONTROL.sub(_escape, name)


_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def json_for_terminal(document: object) -> str:
    """`document` as indented JSON that is safe to print: still valid, still readable UTF-8.

    JSON always escapes C0 controls; DEL, C1 controls (8-bit CSI), bidirectional controls and
    lone surrogates are escaped here as `\\uXXXX`, which every JSON reader decodes back.
    """
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

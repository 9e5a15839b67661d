"""Make untrusted text (student output, exception messages, file names) safe for a terminal.

Escape sequences in text a student controls can move the cursor, rewrite what the instructor's
terminal shows, set its title or hide lines (OSC, CSI, 8-bit CSI, backspace). They are removed
when they are colour codes TensorFlow itself prints, and made visible (`\\x1b`) otherwise.
"""

from __future__ import annotations

import re

__all__ = ["safe_text", "strip_ansi"]

# SGR colour codes (ESC [ ... m) only: TensorFlow colours some of its messages.
_SGR = re.compile(r"\x1b\[[0-9;]{0,32}m")
# Every C0 control but tab and newline, DEL, and the C1 controls (8-bit CSI is \x9b).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_ansi(text: str) -> str:
    """Remove colour codes; escape every other control character."""
    return safe_text(_SGR.sub("", text))


def safe_text(text: str) -> str:
    """Escape every control character but tab and newline, so it shows as text (`\\x1b`)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)

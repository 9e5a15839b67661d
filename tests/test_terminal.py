"""Untrusted text made safe for a terminal: every control shown as text, nothing lost."""

from __future__ import annotations

import json

import pytest

from grader.terminal import json_for_terminal, safe_name, safe_text, strip_ansi

HOSTILE = {
    "osc-title": ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
    "osc-hyperlink": ("\x1b]8;;http://x\x1b\\", "\\x1b]8;;http://x\\x1b\\"),
    "csi-cursor-up": ("ok\x1b[2A", "ok\\x1b[2A"),
    "csi-clear": ("\x1b[2J", "\\x1b[2J"),
    "8-bit-csi": ("\x9b2J", "\\x9b2J"),
    "backspace": ("100\x08\x08\x080", "100\\x08\\x08\\x080"),
    "carriage-return": ("FAIL\rPASS", "FAIL\\x0dPASS"),
    "bell": ("\x07", "\\x07"),
    "nul": ("a\x00b", "a\\x00b"),
    "del": ("a\x7fb", "a\\x7fb"),
    "bidi-override": ("abc\u202eexe.py", "abc\\u202eexe.py"),
    "bidi-isolate": ("\u2066x\u2069", "\\u2066x\\u2069"),
    "line-separator": ("a\u2028b", "a\\u2028b"),
    "lone-surrogate": ("name\udcff.py", "name\\udcff.py"),
}


@pytest.mark.parametrize(("text", "shown"), HOSTILE.values(), ids=HOSTILE.keys())
def test_safe_text_escapes_control_characters(text: str, shown: str) -> None:
    assert safe_text(text) == shown
    assert safe_text(text).encode("utf-8")  # printable and writable as UTF-8


def test_safe_text_keeps_tabs_newlines_and_unicode() -> None:
    text = "Ünïcødé\tcolumns\nnext line — 日本語 🙂"
    assert safe_text(text) == text


def test_safe_text_turns_crlf_into_newlines() -> None:
    assert safe_text("one\r\ntwo\r\n") == "one\ntwo\n"


def test_strip_ansi_removes_colours_and_escapes_the_rest() -> None:
    assert strip_ansi("\x1b[31mred\x1b[0m \x1b]0;t\x07") == "red \\x1b]0;t\\x07"


def test_safe_name_keeps_a_name_on_one_line() -> None:
    assert safe_name("alice\n[1/1] bob: 100/100.ipynb") == "alice\\x0a[1/1] bob: 100/100.ipynb"
    assert safe_name("a\tb") == "a\\x09b"


@pytest.mark.parametrize(("text", "shown"), HOSTILE.values(), ids=HOSTILE.keys())
def test_json_for_terminal_is_valid_json_without_raw_controls(text: str, shown: str) -> None:
    printed = json_for_terminal({"feedback": text, "name": "Zoë"})
    assert json.loads(printed) == {"feedback": text, "name": "Zoë"}
    assert "Zoë" in printed  # still readable UTF-8
    assert safe_text(printed) == printed  # nothing a terminal would act on

"""HTML building blocks of the class report and the feedback pages: one self-contained page each."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from grader.exports.text import escape

__all__ = ["bar", "document", "e", "pct", "table"]

# Nothing on a page may load or run anything: styles are inline, images are data: URLs. The policy
# makes a browser refuse anything else even if student text ever slipped through unescaped.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def e(value: object) -> str:
    """Untrusted text, escaped for HTML (see `grader.exports.text.escape`)."""
    return escape(value)


def pct(rate: float) -> str:
    return f"{100 * rate:.0f}%"


def bar(rate: float) -> str:
    return f'<span class="bar" aria-hidden="true"><span style="width: {100 * rate:.1f}%"></span></span>'


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: set[int],
    css_class: str = "",
) -> str:
    """A table: `headers` are plain text (escaped here), row cells are HTML already escaped."""
    head = "".join(
        f'<th class="num">{e(h)}</th>' if i in numeric else f"<th>{e(h)}</th>"
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
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<table{attribute}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def document(*, title: str, css: str, body: Sequence[str]) -> str:
    """A whole page: `title` is plain text, `body` parts are HTML."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + "\n</body>\n</html>\n"
    )

"""Open a page in headless Chromium, offline, and read back what it shows (text, links, images)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (`apt-get install chromium`; .ci/run installs it)",
)

_PROBE = """<script>
window.addEventListener("load", function () {
  var out = {
    text: document.body.innerText,
    title: document.title,
    headings: Array.from(document.querySelectorAll("h2")).map(function (h) {
      return {id: h.id, text: h.innerText};
    }),
    nav: Array.from(document.querySelectorAll("nav a")).map(function (a) {
      return {href: a.getAttribute("href"), text: a.innerText};
    }),
    links: Array.from(document.querySelectorAll("a[href]")).map(function (a) {
      return {href: a.getAttribute("href"), resolved: a.href, text: a.innerText};
    }),
    scripts: document.scripts.length,
    images: Array.from(document.images).map(function (i) {
      return {alt: i.alt, width: i.naturalWidth, shown: i.getBoundingClientRect().width};
    }),
    resources: performance.getEntriesByType("resource").map(function (e) { return e.name; })
  };
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""
# The pages forbid every script (Content-Security-Policy); the probe's copy drops that one line.
_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n?')


def browse(page: str, tmp_path: Path, *, name: str = "probe.html") -> dict[str, object]:
    """Open `page` (saved as `name` in `tmp_path`) and return what it shows.

    `scripts` counts the page's own scripts (the probe excluded): escaped student text adds none.
    """
    path = tmp_path / name
    assert _CSP.search(page), "every page must carry its Content-Security-Policy"
    path.write_text(_CSP.sub("", page).replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    assert CHROMIUM is not None
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--host-resolver-rules=MAP * ~NOTFOUND",  # no network: the page must not need it
         "--virtual-time-budget=10000", "--dump-dom", path.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.DOTALL)
    assert found, f"Chromium showed no page: {result.stderr[-2000:]}"
    shown: dict[str, object] = json.loads(html.unescape(found.group(1)))
    shown["scripts"] = int(str(shown["scripts"])) - 1  # the probe itself
    return shown

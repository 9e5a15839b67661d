"""What this machine offers for isolating student code, and how to get more."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from dataclasses import dataclass

from grader.run.isolation import closed_ancestors, isolation_available


@dataclass(frozen=True, slots=True)
class Finding:
    """One capability: whether it is there, what it gives, and how to get it if not."""

    name: str
    ok: bool
    detail: str
    advice: str = ""


def examine() -> list[Finding]:
    """Examine the machine; never changes anything."""
    findings = []
    bwrap = shutil.which("bwrap")
    version = ""
    if bwrap:
        out = subprocess.run([bwrap, "--version"], capture_output=True, text=True, check=False)
        version = out.stdout.strip()
    isolation = isolation_available()
    findings.append(
        Finding(
            "bubblewrap",
            isolation == "bwrap",
            f"{version or 'bwrap'} works: no network, own PID namespace, private /tmp, hidden paths"
            if isolation == "bwrap"
            else (
                "bwrap is installed but cannot create namespaces here"
                if bwrap
                else "bwrap is not installed"
            ),
            ""
            if isolation == "bwrap"
            else "install it (Debian/Ubuntu: sudo apt-get install bubblewrap); in a container, allow user "
            "namespaces or run the grader as root",
        )
    )
    root = os.geteuid() == 0
    separate_user = root and (isolation == "bwrap" or not closed_ancestors())
    findings.append(
        Finding(
            "separate user for student code",
            separate_user,
            "student code runs as an unprivileged uid (61000+): it cannot signal the grader, and "
            "the process limit applies"
            if separate_user
            else "student code runs as the grader's own user",
            ""
            if separate_user
            else "run the grader as root with bubblewrap installed (it switches student code to an "
            "unprivileged uid); otherwise use a dedicated account for grading",
        )
    )
    findings.append(
        Finding(
            "resource limits",
            platform.system() == "Linux",
            "memory (address space), file size and core dumps are limited with setrlimit; time "
            "limits are enforced with SIGKILL by the grader",
        )
    )
    return findings


def render(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        lines.append(f"[{'yes' if f.ok else 'no ':>3}] {f.name}: {f.detail}")
        if f.advice:
            lines.append(f"      to get it: {f.advice}")
    best = all(f.ok for f in findings)
    lines.append("")
    lines.append(
        "Full isolation is available."
        if best
        else "Grading works, with the weaker isolation noted above."
    )
    return "\n".join(lines) + "\n"

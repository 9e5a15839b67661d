"""The warm sandbox's memory care: pages only loading touched go back, and nothing is lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support import ROOT

_SCRIPT = textwrap.dedent(
    """
    import json, mmap, os, sys, tempfile
    from grader.sandboxed.zygote import release_loaded_pages, releasing_loaded_pages

    def resident_file_kib():
        with open("/proc/self/smaps_rollup") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["Rss"].split()[0]) - int(fields["Anonymous"].split()[0])

    with releasing_loaded_pages(every_bytes=8 * 2**20):
        import numpy as np
    # A library only this process maps, as TensorFlow's are in the sandbox: 64 MiB of a file
    # of its own, mapped read-only and read through (pages shared with another process stay).
    with tempfile.NamedTemporaryFile(dir=sys.argv[1]) as lib:
        lib.write(os.urandom(64 * 2**20))
        lib.flush()
        os.fsync(lib.fileno())  # clean pages: only those are given back
        os.posix_fadvise(lib.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        pages = mmap.mmap(lib.fileno(), 0, prot=mmap.PROT_READ)
        checksum = sum(pages[i] for i in range(0, len(pages), 4096))
        touched = resident_file_kib()
        asked = release_loaded_pages()
        after = resident_file_kib()
        # Nothing is lost: the pages read back, the same, on first use; numpy still works.
        again = sum(pages[i] for i in range(0, len(pages), 4096))
        value = float(np.linalg.inv(np.array([[2.0, 0.0], [0.0, 4.0]])).sum())
        report = {"asked": asked, "touched": touched, "after": after, "value": value,
                  "same": again == checksum}
    print(json.dumps(report))
    """
)


def _kernel_at_least(major: int, minor: int) -> bool:
    release = os.uname().release.split("-")[0].split(".")
    return (int(release[0]), int(release[1])) >= (major, minor)


@pytest.mark.skipif(sys.platform != "linux", reason="MADV_PAGEOUT is Linux's")
def test_loaded_library_pages_go_back_and_nothing_is_lost(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["asked"] > 10  # every read-only file mapping: the interpreter, numpy, libc...
    assert report["value"] == 0.75
    assert report["same"]
    if _kernel_at_least(5, 4):  # older kernels refuse the advice: then nothing changes
        assert report["touched"] - report["after"] > 48 * 1024, report  # of the 64 MiB read

"""The source scan for constructs no honest lab needs: leads with their place, none on honest work."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.assignment import Assignment
from grader.intake.sections import split_sections
from grader.intake.submission import load_submission
from grader.intake.tamper import scan_split
from tests.support import EXAMPLES, SUBMISSIONS


def _leads(lab: Assignment, path: Path) -> list[tuple[str, str]]:
    split = split_sections(load_submission(path), lab.section_ids)
    return [(lead.where, lead.construct) for lead in scan_split(split)]


def _script(tmp_path: Path, code: str) -> Path:
    path = tmp_path / "s.py"
    path.write_text("import tensorflow as tf\n# 1.1 Why\n" + code + "\n# 1.2 Computations\nx = 1\n")
    return path


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for folder in (SUBMISSIONS, EXAMPLES)
        for p in folder.iterdir()
        if p.suffix in (".py", ".ipynb")
    ),
    ids=lambda p: p.name,
)
def test_tamper_honest_samples_have_no_leads(lab: Assignment, path: Path) -> None:
    assert _leads(lab, path) == []


@pytest.mark.parametrize(
    ("code", "construct"),
    [
        ("import gc\nobjs = gc.get_objects()", "gc.get_objects(...)"),
        ("from gc import get_referrers\nget_referrers(tf)", "gc.get_referrers(...)"),
        ("import ctypes", "import ctypes"),
        ("import os\nos.write(5, b'{}')", "os.write(...)"),
        ("import sys\nf = sys._getframe(1)", "sys._getframe(...)"),
        ("def f():\n    return f.__code__\nframe = None\nx = frame.f_back", ".f_back"),
        ("import sys\nsys.setprofile(None)", "sys.setprofile(...)"),
        ("from grader.sandboxed import child", "import grader.sandboxed"),
        ("import builtins\nbuiltins.isinstance = lambda a, b: True", "builtins.isinstance = ..."),
        ("tf.GradientTape.gradient = lambda *a: 6.0", "tensorflow.GradientTape.gradient = ..."),
        ("import sys\nsys.modules['numpy'] = None", "sys.modules[...] = ..."),
        (
            "path = '/work/main/reference/lab1-part1/solution.ipynb'",
            "'/work/main/reference/lab1-part1/solution.ipynb'",
        ),
        ("open('/proc/self/fd/3', 'w')", "'/proc/self/fd/3'"),
        ("exec(open('other.py').read())", "exec(...)"),
        ("import signal\nsignal.signal(signal.SIGTERM, print)", "signal.signal(...)"),
    ],
)
def test_tamper_each_construct_is_a_lead_with_its_line(
    lab: Assignment, tmp_path: Path, code: str, construct: str
) -> None:
    leads = _leads(lab, _script(tmp_path, code))
    assert construct in [c for _, c in leads]
    where = next(w for w, c in leads if c == construct)
    assert where.startswith("section 1.1, line ")


@pytest.mark.parametrize(
    "code",
    [
        "import gc\ngc.collect()",
        "import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'",
        "import sys\nprint(sys.version)",
        "import inspect\nprint(inspect.signature(print))",
        "print('Thanks to the grader. The reference is the handout.')",
        "import time\ntime.sleep(0.1)",
        "# gc.get_objects() in a comment\nx = 1",
    ],
)
def test_tamper_ordinary_code_is_not_a_lead(lab: Assignment, tmp_path: Path, code: str) -> None:
    assert _leads(lab, _script(tmp_path, code)) == []

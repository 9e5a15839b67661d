"""The in-notebook check, driven through a stand-in IPython shell (the tiny assignment)."""

from __future__ import annotations

import shutil
import sys
import types
from collections.abc import Callable

import pytest

from grader.notebook import session
from tests.support import TINY_DIR


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The tiny assignment with the outputs of its sections named, as a lab's spec has them."""
    root = tmp_path_factory.mktemp("lab") / "tiny"
    shutil.copytree(TINY_DIR / "tiny", root)
    spec = root / "spec.toml"
    text = spec.read_text(encoding="utf-8")
    text = text.replace('title = "Squares"', 'title = "Squares"\noutputs = ["square"]')
    text = text.replace('title = "Greeting"', 'title = "Greeting"\noutputs = ["greeting"]')
    spec.write_text(text, encoding="utf-8")
    return str(root)


class _Events:
    def __init__(self) -> None:
        self.callbacks: dict[str, list[Callable[..., None]]] = {}

    def register(self, event: str, function: Callable[..., None]) -> None:
        self.callbacks.setdefault(event, []).append(function)

    def unregister(self, event: str, function: Callable[..., None]) -> None:
        self.callbacks[event].remove(function)


class _Compiler:
    def get_code_name(self, raw_code: str, transformed_code: str, number: int) -> str:
        return f"<ipython-input-{number}>"


class FakeShell:
    """Runs cells the way IPython does, as far as the session can see: events, names, errors."""

    def __init__(self) -> None:
        self.events = _Events()
        self.user_ns: dict[str, object] = {}
        self.execution_count = 1
        self.compile = _Compiler()
        self.magics: dict[str, object] = {}

    def transform_cell(self, raw_cell: str) -> str:
        return raw_cell

    def find_line_magic(self, name: str) -> object:
        return self.magics.get(name)

    def register_magic_function(self, function: object, magic_kind: str, magic_name: str) -> None:
        self.magics[magic_name] = function

    def run_cell(self, source: str) -> None:
        info = types.SimpleNamespace(raw_cell=source, cell_id=None)
        for callback in self.events.callbacks.get("pre_run_cell", []):
            callback(info)
        name = self.compile.get_code_name(source, source, self.execution_count)
        result = types.SimpleNamespace(
            execution_count=self.execution_count, error_in_exec=None, error_before_exec=None
        )
        try:
            code = compile(source, name, "exec")
        except SyntaxError as exc:
            result.error_before_exec = exc
        else:
            try:
                exec(code, self.user_ns)
            except Exception as exc:
                result.error_in_exec = exc
        self.execution_count += 1
        for callback in self.events.callbacks.get("post_run_cell", []):
            callback(result)


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch) -> FakeShell:
    fake = FakeShell()
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: fake))
    monkeypatch.setattr(session, "_SESSIONS", [])
    return fake


def test_check_outside_a_kernel_does_nothing(
    tiny: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    monkeypatch.setattr(session, "_SESSIONS", [])
    assert session.start(tiny) is None
    session.check("1.1")
    assert capsys.readouterr() == ("", "")


def test_check_prints_the_section_report_from_the_namespace(
    tiny: str, shell: FakeShell, capsys: pytest.CaptureFixture[str]
) -> None:
    session.start(tiny)
    shell.run_cell("def square(x):\n    return x * x")
    session.check("1.1")
    out = capsys.readouterr().out
    assert out.splitlines()[:3] == [
        "Tiny lab (test fixture) - section 1.1",
        "Visible checks: 3/3 points, 1/1 passed",
        "Hidden checks: 1 more in this section, worth 2 points, run when your work is graded "
        "(they try your code on other inputs).",
    ]
    assert "[ PASS  ] 1.1    Squares  (3/3)" in out
    assert "square-unseen" not in out
    assert "other numbers" not in out


def test_check_error_is_located_in_the_cell_it_came_from(
    tiny: str, shell: FakeShell, capsys: pytest.CaptureFixture[str]
) -> None:
    session.start(tiny)
    shell.run_cell("def square(x):\n    return x * y")
    session.check("1.1")
    out = " ".join(capsys.readouterr().out.split())
    assert "[ FAIL ] 1.1" in out
    assert (
        "square raised NameError: name 'y' is not defined at section 1.1, Cell In[1], line 2" in out
    )


def test_check_a_fixed_cell_replaces_its_failed_run(
    tiny: str, shell: FakeShell, capsys: pytest.CaptureFixture[str]
) -> None:
    session.start(tiny)
    shell.run_cell("greeting = 'hello' + 1")
    session.check("1.2")
    before = " ".join(capsys.readouterr().out.split())  # as one line, however it was wrapped
    assert "Your code raised TypeError" in before
    assert "at section 1.2, Cell In[1], line 1 (`greeting = 'hello' + 1`)" in before
    shell.run_cell("greeting = 'hello'")
    session.check("1.2")
    after = capsys.readouterr().out
    assert "[ PASS  ] 1.2" in after
    assert "raised" not in after


def test_check_says_when_the_section_ran_before_the_autograder_started(
    tiny: str, shell: FakeShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.user_ns["greeting"] = "bye"  # run before start(): its cells were not seen
    session.start(tiny)
    session.check("1.2")
    out = capsys.readouterr().out
    assert "greeting is 'bye'" in out
    assert "saw none of section 1.2's cells run since it started" in out


def test_check_unknown_section_names_the_sections(
    tiny: str, shell: FakeShell, capsys: pytest.CaptureFixture[str]
) -> None:
    session.start(tiny)
    session.check("9.9")
    assert capsys.readouterr().out == (
        "autograder.check('9.9'): no section '9.9' in tiny (its sections: 1.1, 1.2)\n"
    )


def test_start_again_keeps_the_session_and_its_hooks(tiny: str, shell: FakeShell) -> None:
    first = session.start(tiny)
    assert session.start(tiny) is first
    assert [len(v) for v in shell.events.callbacks.values()] == [1, 1]
    assert shell.compile.get_code_name("", "", 7) == "<student-chunk-7>"
    assert "tensorflow_version" in shell.magics  # Colab's magic, a no-op in Jupyter


def test_check_cells_belong_to_the_section_they_define_or_the_open_one(
    tiny: str, shell: FakeShell
) -> None:
    started = session.start(tiny)
    assert started is not None
    shell.run_cell("import math")  # before any check: the first section
    shell.run_cell("greeting = 'hello'")  # defines 1.2's output
    shell.run_cell("def square(x):\n    return x * x")  # back to 1.1
    session.check("1.1")
    shell.run_cell("print('hi')")  # after checking 1.1: the next section
    session.check("1.1")  # checking an earlier section again does not go back to it
    shell.run_cell("print('ho')")
    assert [(r.chunk, r.section) for r in started.runs] == [
        (1, "1.1"),
        (2, "1.2"),
        (3, "1.1"),
        (4, "1.2"),
        (5, "1.2"),
    ]

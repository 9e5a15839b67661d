"""Cutting hidden checks out of check files with the AST, with what only they used."""

from __future__ import annotations

import ast

import pytest

from grader.authoring.strip import check_marks, strip_definitions
from grader.errors import AssignmentError

CHECKS = '''\
"""Checks of section 1.2."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import close, fail, shape_of, unseen_only

TOLERANCE = 1e-4  # shared
UNSEEN = ("tensors-0", "tensors-1")
LEFT_UNUSED = 3  # the author's, on purpose


def _cases(section, names):
    for name in names:
        if not close(section[name], 1.0, TOLERANCE):
            fail(name)


# Tries the tensors only the hidden check has.
def _unseen(section):
    unseen_only(shape_of(section))
    _cases(section, UNSEEN)


@pytest.fixture
def hidden_section(section_1_2):
    return section_1_2


@pytest.mark.check("1.2/visible")
def test_visible(section_1_2):
    # the handout's pair
    _cases(section_1_2, ["handout"])


@pytest.mark.check("1.2/hidden")
def test_hidden(hidden_section):
    _unseen(hidden_section)
    assert np.all(True)
'''


def _drop_hidden(node: ast.stmt) -> bool:
    return any(fn is node and cid == "1.2/hidden" for fn, cid in check_marks(node))


def test_strip_definitions_removes_hidden_check_and_what_only_it_used() -> None:
    out = strip_definitions(CHECKS, _drop_hidden, where="test_1_2.py")
    for gone in ("test_hidden", "_unseen", "UNSEEN", "tensors-0", "hidden_section", "1.2/hidden"):
        assert gone not in out
    assert "Tries the tensors" not in out  # the comment that introduced a removed helper
    assert "from helpers import close, fail\n" in out  # names only the hidden code used
    assert "import numpy" not in out
    for kept in (
        "def _cases",
        "TOLERANCE = 1e-4  # shared",
        "LEFT_UNUSED = 3",
        "# the handout's pair",
    ):
        assert kept in out
    assert '"""Checks of section 1.2."""' in out
    assert [cid for _, cid in check_marks(ast.parse(out))] == ["1.2/visible"]


def test_strip_definitions_without_drops_keeps_everything() -> None:
    out = strip_definitions(CHECKS, lambda node: False, where="test_1_2.py")
    assert out == CHECKS


def test_strip_definitions_keeps_a_helper_the_visible_check_shares() -> None:
    source = (
        "def _shared(x):\n    return x\n\n\n"
        "def test_a(s):\n    _shared(s)\n\n\n"
        "def test_b(s):\n    _shared(s)\n"
    )
    out = strip_definitions(
        source, lambda n: isinstance(n, ast.FunctionDef) and n.name == "test_b", where="t.py"
    )
    assert out == "def _shared(x):\n    return x\n\n\ndef test_a(s):\n    _shared(s)\n"


def test_strip_definitions_unparsable_source_names_the_file() -> None:
    with pytest.raises(AssignmentError, match=r"checks/test_x\.py: cannot parse it"):
        strip_definitions("def (:\n", lambda n: True, where="checks/test_x.py")

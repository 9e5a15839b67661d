"""Which section a notebook cell belongs to, from the names it defines."""

from __future__ import annotations

import pytest

from grader.assignment import Assignment
from grader.notebook.cells import bound_names, section_of


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("sport = # TODO\nnumber = # TODO", {"sport", "number"}),  # does not parse
        ("def func(a, b):\n    c = a + b\n    return c", {"func"}),
        ("a, b = 1.5, 2.5\ne_out = func(a, b)", {"a", "b", "e_out"}),
        (
            "x = tf.Variable(3.0)\nwith tf.GradientTape() as tape:\n    y = x * x\ndy_dx = tape.gradient(y, x)",
            {"x", "tape", "y", "dy_dx"},
        ),
        ("for i in range(3):\n    history.append(i)\n    new_x = i", {"i", "new_x"}),
        ("from tensorflow.keras import Sequential\nimport numpy as np", {"Sequential", "np"}),
        ("print(model.call(x_input))", set()),
    ],
    ids=["unparsable", "def", "tuple", "tape", "loop", "imports", "print"],
)
def test_bound_names_top_level_bindings(source: str, names: set[str]) -> None:
    assert bound_names(source) == names


@pytest.mark.parametrize(
    ("names", "current", "expected"),
    [
        ({"sport", "number"}, None, "1.1"),
        ({"func"}, "1.4", "1.2"),  # a 1.2 cell run again later still belongs to 1.2
        ({"x", "y", "dy_dx", "tape"}, "1.3.3", "1.4"),  # y is 1.3.1's too: the most wins
        ({"x", "y"}, "1.3.1", "1.3.1"),  # a tie: the current section, when it is one of them
        ({"x", "y"}, "1.2", "1.4"),  # a tie: else the later
        ({"model", "x_input", "out_activate", "out_identity"}, "1.3.2", "1.3.3"),
        (set(), "1.3.2", "1.3.2"),  # defines nothing: the section open before it
        ({"learning_rate"}, None, None),
    ],
    ids=["first", "rerun", "most", "tie-current", "tie-later", "later", "nothing", "preamble"],
)
def test_section_of_picks_the_section_whose_outputs_it_defines(
    lab: Assignment, names: set[str], current: str | None, expected: str | None
) -> None:
    assert section_of(frozenset(names), lab.sections, current=current) == expected

"""Similar submissions: renamed copies are found, shared template and common code are not."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from grader.exports.similarity import Code, SimilarityOptions, find_similar, load_code, tokenize

TEMPLATE = """\
import tensorflow as tf
import numpy as np

# 1.2 Computations on Tensors
def func(a, b):
    c = # TODO
    d = # TODO
    e = # TODO
    return e

e_out = func(1.5, 2.5)
print(e_out)

# 1.4 Automatic differentiation
x = tf.Variable(3.0)
with tf.GradientTape() as tape:
    y = x * x
dy_dx = tape.gradient(y, x)
assert dy_dx.numpy() == 6.0
"""

# The "own" code of student A: an unusual way to write the SGD loop of section 1.4.
ORIGINAL = '''\
def run_descent(target, steps=500, rate=1e-2):
    """Gradient descent towards the target."""
    trail = []
    guess = tf.Variable([tf.random.normal([1])])
    for step in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(guess - target))
        slope = tape.gradient(loss, guess)
        if step % 50 == 0:
            print("step", step, float(loss))
        guess.assign_sub(rate * slope)
        trail.append(guess.numpy().ravel()[0])
    return guess, trail

x, history = run_descent(4.0)
checkpoints = {i: value for i, value in enumerate(history) if i % 100 == 0}
'''

# Student B: A's code with every name, number, string and comment changed, and lines moved down.
RENAMED = '''\
# my own work!!


def descend(goal, n=800, lr=0.05):
    """Runs SGD."""
    values = []
    current = tf.Variable([tf.random.normal([1])])
    for k in range(n):
        with tf.GradientTape() as t:
            l = tf.reduce_sum(tf.square(current - goal))  # the loss
        g = t.gradient(l, current)
        if k % 10 == 0:
            print("iteration", k, float(l))
        current.assign_sub(lr * g)
        values.append(current.numpy().ravel()[0])
    return current, values

x, history = descend(4.0)
saved = {j: v for j, v in enumerate(values) if j % 7 == 0}
'''

# Student C: the same task, written independently.
INDEPENDENT = """\
optimizer = tf.keras.optimizers.SGD(learning_rate=0.01)
x = tf.Variable(np.random.randn())
x_f = 4
history = []
while len(history) < 500:
    with tf.GradientTape() as g:
        loss = (x - x_f) ** 2
    optimizer.apply_gradients([(g.gradient(loss, x), x)])
    history.append(x.numpy())
"""

SOLUTION_1_2 = ("    c = tf.add(a, b)", "    d = tf.subtract(b, 1)", "    e = tf.multiply(c, d)")


def _code(name: str, text: str) -> Code:
    lines = tuple(text.splitlines())
    return Code(name, lines, tuple(f"line {n}" for n in range(1, len(lines) + 1)))


def _submission(name: str, own: str) -> Code:
    """The template with section 1.2 solved, plus `own` code appended."""
    text = TEMPLATE
    for todo, line in zip(("c = # TODO", "d = # TODO", "e = # TODO"), SOLUTION_1_2, strict=True):
        text = text.replace("    " + todo, line)
    return _code(name, text + "\n" + own)


EXPECTED = [_code("template", TEMPLATE)]


def test_tokenize_normalises_names_literals_and_comments() -> None:
    tokens = tokenize(_code("a", "total = tf.add(a, 3.5)  # sum\nlabel = 'x'"))
    assert [t.text for t in tokens] == [
        *("V", "=", "V", ".", "add", "(", "V", ",", "1", ")", "\n"),
        *("V", "=", "S"),
    ]
    assert [t.line for t in tokens][-1] == 1


@pytest.mark.parametrize(
    "text",
    ["x = # TODO", "s = 'unterminated\ny = 2", '"""never closed\n\n', "\tif x:\n  y\n z", "é = ∑"],
    ids=["todo", "open-string", "open-docstring", "bad-indent", "unicode"],
)
def test_tokenize_never_fails_on_broken_code(text: str) -> None:
    assert isinstance(tokenize(_code("a", text)), list)


def test_similarity_finds_renamed_copy_with_evidence() -> None:
    codes = [
        _submission("alice", ORIGINAL),
        _submission("bob", RENAMED),
        _submission("carol", INDEPENDENT),
    ]
    result = find_similar(codes, expected=EXPECTED)
    assert [(p.a.name, p.b.name) for p in result.pairs] == [("alice", "bob")]
    pair = result.pairs[0]
    assert pair.similarity > 0.9
    assert pair.matched_tokens > 100
    # The evidence is one passage: the copied code, at its own lines in each file.
    assert len(pair.matches) == 1
    first = pair.matches[0]
    a_text = "\n".join(pair.a.lines[first.a_lines[0] : first.a_lines[1] + 1])
    b_text = "\n".join(pair.b.lines[first.b_lines[0] : first.b_lines[1] + 1])
    assert "run_descent" in a_text
    assert "descend" in b_text
    assert first.a_lines[1] == len(pair.a.lines) - 1
    assert first.b_lines[1] == len(pair.b.lines) - 1  # three lines lower: bob's comment and blanks


def test_similarity_ignores_shared_template_code() -> None:
    codes = [_code("a", TEMPLATE), _code("b", TEMPLATE), _submission("c", INDEPENDENT)]
    assert find_similar(codes, expected=EXPECTED).pairs == ()


def test_similarity_flags_template_without_expected_code() -> None:
    # The control for the test above: it is the template subtraction that clears them.
    codes = [_code("a", TEMPLATE * 2), _code("b", TEMPLATE * 2), _code("c", INDEPENDENT)]
    assert [(p.a.name, p.b.name) for p in find_similar(codes).pairs] == [("a", "b")]


def test_similarity_ignores_code_most_of_the_class_shares() -> None:
    # Eight students wrote the same (independent-looking) loop: too common to be evidence.
    codes = [_submission(f"s{n}", INDEPENDENT) for n in range(8)]
    codes += [_submission("alice", ORIGINAL), _submission("dave", INDEPENDENT.replace("500", "5"))]
    result = find_similar(codes, expected=EXPECTED)
    assert result.compared == 10
    assert result.pairs == ()


@pytest.mark.parametrize(
    ("threshold", "listed"), [(0.5, True), (1.01, False)], ids=["default", "above-everything"]
)
def test_similarity_threshold_decides_what_is_listed(threshold: float, listed: bool) -> None:
    codes = [_submission("alice", ORIGINAL), _submission("bob", RENAMED)]
    options = SimilarityOptions(threshold=threshold)
    assert bool(find_similar(codes, expected=EXPECTED, options=options).pairs) is listed


def test_similarity_small_overlap_is_not_listed() -> None:
    # One shared line is not a lead, whatever share of a tiny submission it is.
    shared = "weird = [v for v in reversed(sorted(set(history))) if v not in (None,)][::-1]\n"
    codes = [_code("a", shared + "p = 1"), _code("b", shared + "q = 2")]
    assert find_similar(codes, expected=EXPECTED).pairs == ()


def test_load_code_notebook_blanks_magics_and_says_where(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## 1.1 Tensors"),
        nbformat.v4.new_code_cell("!pip install mitdeeplearning\nimport tensorflow as tf"),
        nbformat.v4.new_code_cell("x = tf.constant(1)"),
    ]
    path = tmp_path / "alice.ipynb"
    nbformat.write(nb, path)
    code = load_code(path, name="alice")
    assert code.lines == ("pass", "import tensorflow as tf", "x = tf.constant(1)")
    assert code.where == ("cell 2, line 1", "cell 2, line 2", "cell 3, line 1")


def test_load_code_unreadable_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [')
    code = load_code(path, name="broken")
    assert code.lines == ()
    assert find_similar([code, code]).compared == 0


def test_similarity_evidence_lines_are_original_text() -> None:
    codes = [_submission("alice", ORIGINAL), _submission("bob", RENAMED)]
    pair = find_similar(codes, expected=EXPECTED).pairs[0]
    for match in pair.matches:
        for code, (first, last) in ((pair.a, match.a_lines), (pair.b, match.b_lines)):
            assert 0 <= first <= last < len(code.lines)
    shown = "\n".join(pair.b.lines[m.b_lines[0]] for m in pair.matches)
    assert not re.search(r"\bV\b", shown)  # the student's own text, not normalised tokens

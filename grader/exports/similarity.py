"""Find pairs of submissions whose code is alike after normalising names, literals and comments.

Each submission's code cells become a token stream in which identifiers the student chose are
`V`, numbers `1`, strings `S`, and comments are gone; keywords, operators and attribute names
(`.add_weight`, `.GradientTape`) stay, so renaming variables or changing constants hides nothing.
Runs of `k` tokens are fingerprinted. Fingerprints of the expected code (the student template, the
reference) and those shared by many submissions (everyone's `tf.add(a, b)`) are ignored, so what
two submissions still share is code that is theirs and rare. A pair is a lead for a human to read,
never a verdict: short labs have few ways to be right.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from grader.intake.magics import strip_magics
from grader.intake.submission import load_submission

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>[rRbBuUfF]{0,2}(?:'''[\s\S]*?(?:'''|\Z)|\"\"\"[\s\S]*?(?:\"\"\"|\Z)
                                |'(?:\\.|[^'\\\n])*'?|"(?:\\.|[^"\\\n])*"?))
  | (?P<number>(?:0[xXoObB][0-9a-fA-F_]+|\d[\d_]*\.?[\d_]*(?:[eE][+-]?\d+)?|\.\d[\d_]*(?:[eE][+-]?\d+)?)[jJ]?)
  | (?P<name>[^\W\d]\w*)
  | (?P<newline>\n)
  | (?P<space>[ \t\r\f]+|\\\n)
  | (?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|[-+*/%@&|^=<>!]=|[-+*/%@&|^~<>=.,:;()\[\]{}])
  | (?P<other>.)
    """,
    re.VERBOSE,
)
_KEEP_NAMES = frozenset(keyword.kwlist) | {"self", "super", "print", "range", "len"}


@dataclass(frozen=True, slots=True)
class Code:
    """A submission's code cells as lines, each with where it is in the file ("cell 7, line 2")."""

    name: str  # the student id
    lines: tuple[str, ...]
    where: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # normalised: `V` for a student's name, `1` for a number, `S` for a string
    line: int  # 0-based index into Code.lines


@dataclass(frozen=True, slots=True)
class Match:
    """A run of shared code: inclusive 0-based line ranges in each submission."""

    a_lines: tuple[int, int]
    b_lines: tuple[int, int]
    tokens: int


@dataclass(frozen=True, slots=True)
class SimilarPair:
    """Two submissions that share rare code, and the evidence."""

    a: Code
    b: Code
    a_coverage: float  # share of a's own (non-template, uncommon) tokens also in b
    b_coverage: float
    matched_tokens: int
    matches: tuple[Match, ...]

    @property
    def similarity(self) -> float:
        return max(self.a_coverage, self.b_coverage)


@dataclass(frozen=True, slots=True)
class SimilarityOptions:
    """How alike two submissions must be to be listed."""

    k: int = 12  # tokens per fingerprint: about one line of code
    threshold: float = 0.5  # list a pair when this share of one submission's own code is shared
    min_tokens: int = 40  # ... and at least this many tokens of it (a few lines)
    common_fraction: float = 0.25  # ignore code found in more than this share of submissions
    max_pairs: int = 25  # pairs listed, most similar first


@dataclass(frozen=True, slots=True)
class SimilarityResult:
    pairs: tuple[SimilarPair, ...]
    compared: int  # submissions with code that were compared
    options: SimilarityOptions


def load_code(path: Path, *, name: str) -> Code:
    """The code cells of a notebook or script, magics blanked; empty when the file cannot be read."""
    submission = load_submission(path)
    lines: list[str] = []
    where: list[str] = []
    for cell in submission.cells:
        if cell.kind != "code":
            continue
        for n, line in enumerate(strip_magics(cell.source).source.splitlines(), start=1):
            lines.append(line)
            if submission.format == "ipynb":
                where.append(f"{cell.label}, line {n}")
            else:
                where.append(f"line {cell.first_line + n - 1}")
    return Code(name, tuple(lines), tuple(where))


def tokenize(code: Code) -> list[Token]:
    """Normalised tokens; never fails, whatever the text (templates hold `x = # TODO`)."""
    tokens: list[Token] = []
    line = 0
    after_dot = False
    for m in _TOKEN.finditer("\n".join(code.lines)):
        kind, text = m.lastgroup, m.group()
        start_line = line
        line += text.count("\n")
        if kind in ("comment", "space"):
            continue
        if kind == "newline":
            if tokens and tokens[-1].text != "\n":
                tokens.append(Token("\n", start_line))
            continue
        if kind == "name":
            norm = text if after_dot or text in _KEEP_NAMES else "V"
        elif kind == "string":
            norm = "S"
        elif kind == "number":
            norm = "1"
        else:
            norm = text
        tokens.append(Token(norm, start_line))
        after_dot = text == "."
    return tokens


@dataclass(slots=True)
class _Doc:
    code: Code
    tokens: list[Token]
    grams: list[int]  # hash of tokens[i : i + k]
    own: set[int]  # fingerprints neither expected nor common
    own_tokens: int = 0


def find_similar(
    codes: Sequence[Code],
    *,
    expected: Sequence[Code] = (),
    options: SimilarityOptions | None = None,
) -> SimilarityResult:
    """Pairs of `codes` sharing rare code beyond `expected` (template, reference), most alike first."""
    options = options or SimilarityOptions()
    k = options.k
    expected_grams: set[int] = set()
    for code in expected:
        expected_grams.update(_grams(tokenize(code), k))
    docs = []
    for code in codes:
        tokens = tokenize(code)
        grams = _grams(tokens, k)
        if grams:
            docs.append(_Doc(code, tokens, grams, set(grams) - expected_grams))
    frequency: dict[int, int] = {}
    for doc in docs:
        for g in doc.own:
            frequency[g] = frequency.get(g, 0) + 1
    common_limit = max(2, int(options.common_fraction * len(docs)))
    for doc in docs:
        doc.own = {g for g in doc.own if frequency[g] <= common_limit}
        doc.own_tokens = _covered(doc.grams, doc.own, k=k)
    pairs = []
    for a, b in combinations(docs, 2):
        shared = a.own & b.own
        if len(shared) < max(1, options.min_tokens - k + 1):
            continue
        matched_a, matched_b = _covered(a.grams, shared, k=k), _covered(b.grams, shared, k=k)
        pair = SimilarPair(
            a=a.code,
            b=b.code,
            a_coverage=matched_a / a.own_tokens if a.own_tokens else 0.0,
            b_coverage=matched_b / b.own_tokens if b.own_tokens else 0.0,
            matched_tokens=min(matched_a, matched_b),
            matches=_matches(a, b, shared=shared, k=k),
        )
        if pair.matched_tokens >= options.min_tokens and pair.similarity >= options.threshold:
            pairs.append(pair)
    pairs.sort(key=lambda p: (-p.similarity, -p.matched_tokens, p.a.name, p.b.name))
    return SimilarityResult(tuple(pairs[: options.max_pairs]), len(docs), options)


def _grams(tokens: Sequence[Token], k: int) -> list[int]:
    texts = [t.text for t in tokens]
    return [hash(tuple(texts[i : i + k])) for i in range(len(texts) - k + 1)]


def _covered(grams: Sequence[int], keep: set[int], *, k: int) -> int:
    """How many tokens lie in at least one fingerprint from `keep`."""
    covered = 0
    end = 0
    for i, g in enumerate(grams):
        if g in keep:
            covered += min(k, i + k - end)
            end = i + k
    return covered


def _matches(a: _Doc, b: _Doc, *, shared: set[int], k: int, limit: int = 8) -> tuple[Match, ...]:
    """The longest runs of shared fingerprints, in a's order: the evidence to show side by side."""
    where_b: dict[int, list[int]] = {}
    for j, g in enumerate(b.grams):
        if g in shared:
            where_b.setdefault(g, []).append(j)
    runs: list[tuple[int, int, int]] = []  # (i, j, fingerprints)
    i = 0
    while i < len(a.grams):
        g = a.grams[i]
        if g not in shared:
            i += 1
            continue
        best_len, best_j = 0, 0
        for j in where_b[g]:
            n = 0
            while (
                i + n < len(a.grams)
                and j + n < len(b.grams)
                and a.grams[i + n] == b.grams[j + n]
                and a.grams[i + n] in shared
            ):
                n += 1
            if n > best_len:
                best_len, best_j = n, j
        if runs and _continues(runs[-1], i=i, j=best_j, k=k):
            # Same alignment, interrupted only by a few template tokens: one passage, not two.
            start_i, start_j, _ = runs[-1]
            runs[-1] = (start_i, start_j, i + best_len - start_i)
        else:
            runs.append((i, best_j, best_len))
        i += best_len
    runs.sort(key=lambda r: -r[2])
    matches = [
        Match(
            a_lines=(a.tokens[i].line, a.tokens[i + n + k - 2].line),
            b_lines=(b.tokens[j].line, b.tokens[j + n + k - 2].line),
            tokens=n + k - 1,
        )
        for i, j, n in runs[:limit]
    ]
    return tuple(sorted(matches, key=lambda m: m.a_lines))


def _continues(run: tuple[int, int, int], *, i: int, j: int, k: int) -> bool:
    """Whether a run starting at (i, j) continues `run` on the same alignment after a short gap."""
    start_i, start_j, n = run
    return i - start_i == j - start_j and i <= start_i + n + k

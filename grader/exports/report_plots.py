"""Draw the class report's plots with matplotlib as base64 PNG; `None` when matplotlib is missing."""

from __future__ import annotations

import base64
import importlib
import io
from collections.abc import Sequence
from typing import Any

INSTALL_HINT = "pip install matplotlib"


def _figure_class() -> Any | None:
    # Imported by name, not by an import statement: matplotlib is optional, and mypy must pass
    # with or without it installed. Figure (not pyplot) keeps no global state and needs no display.
    try:
        return importlib.import_module("matplotlib.figure").Figure
    except ImportError:
        return None


def plots_available() -> bool:
    """Whether matplotlib can be imported here."""
    return _figure_class() is not None


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def score_histogram(scores: Sequence[float], max_score: float) -> str | None:
    """A histogram of total scores, 0 to `max_score`, in ten bins."""
    figure = _figure_class()
    if figure is None:
        return None
    fig = figure(figsize=(7, 3))
    ax = fig.add_subplot()
    top = max_score or max(scores, default=1.0) or 1.0
    ax.hist(scores, bins=10, range=(0, top), color="#3b6ea5", edgecolor="white")
    ax.set_xlabel("score")
    ax.set_ylabel("submissions")
    ax.set_xlim(0, top)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def rate_bars(labels: Sequence[str], rates: Sequence[float], *, xlabel: str) -> str | None:
    """Horizontal bars of rates between 0 and 1, the first label on top."""
    figure = _figure_class()
    if figure is None:
        return None
    fig = figure(figsize=(7, 0.8 + 0.28 * len(labels)))
    ax = fig.add_subplot()
    positions = list(range(len(labels)))[::-1]
    colours = ["#2e8b57" if r >= 0.8 else "#d08c00" if r >= 0.5 else "#c0392b" for r in rates]
    ax.barh(positions, [100 * r for r in rates], color=colours)
    ax.set_yticks(positions, labels=list(labels), fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel(xlabel)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)

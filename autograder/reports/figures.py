"""Figures for the report pages, as self-contained `data:image/png;base64,...` URIs.

matplotlib's object API with the Agg renderer (no pyplot, so no global state and
no display needed); each page embeds its images, so it can be mailed or opened
from anywhere without a folder of PNG files beside it.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100


def _figure(width: float, height: float, layout: str | None = "constrained") -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _floats(values: Sequence[float | None] | None) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values or []], dtype=np.float64)


def fit_figure(data: dict[str, Any], title: str, labels: dict[str, str] | None = None) -> str:
    """Data points (x, y) with the student's curve and the least-squares curve on x_curve."""
    x, y = _floats(data.get("x")), _floats(data.get("y"))
    xc = _floats(data.get("x_curve")) if data.get("x_curve") else x
    order = np.argsort(xc)
    # Fixed margins, not a layout engine: feedback pages draw one of these per fitting
    # problem and student, and constrained layout would cost 40% more time per figure.
    fig = _figure(6.4, 3.8, layout=None)
    fig.subplots_adjust(left=0.12, right=0.97, top=0.9, bottom=0.14)
    ax = fig.add_subplot()
    if len(x) == len(y):
        ax.scatter(x, y, s=14, color="#7a7a7a", alpha=0.8, label="data")
    for key, style, label in (("student", dict(color="#0b57d0", lw=3), "your fit"),
                              ("lstsq", dict(color="#1a7f37", ls="--", lw=2), "least squares")):
        yc = _floats(data.get(key))
        if len(yc) == len(xc) and len(yc):
            ax.plot(xc[order], yc[order], label=label, **style)
    student = _floats(data.get("student"))
    if len(student) and not np.isfinite(student).any():
        ax.text(0.5, 0.5, "your fit has no finite values", transform=ax.transAxes,
                ha="center", color="#b3261e")
    finite = y[np.isfinite(y)]
    if len(finite):  # keep the data in view even when a diverged fit shoots off
        pad = 0.25 * (finite.max() - finite.min() + 1e-9)
        ax.set_ylim(finite.min() - pad, finite.max() + pad)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel((labels or {}).get("x", "x"))
    ax.set_ylabel((labels or {}).get("y", "y"))
    ax.legend(loc="best", fontsize=9)
    ax.grid(alpha=0.3)
    return data_uri(fig)


def histogram(values: Sequence[float], possible: float, title: str) -> str:
    """How many submissions earned how many points (0..possible)."""
    fig = _figure(6.4, 3.4)
    ax = fig.add_subplot()
    top = max(possible, max(values, default=0.0), 1.0)
    bins = np.linspace(0, top, min(int(np.ceil(top)), 20) + 1)
    ax.hist(values, bins=bins, color="#0b57d0", edgecolor="white")
    ax.set_xlim(0, top)
    ax.set_xlabel(f"score (out of {possible:g})")
    ax.set_ylabel("submissions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title, fontsize=11)
    return data_uri(fig)


def pass_rates(rates: dict[str, float], title: str) -> str:
    """Horizontal bars: the share of submissions with full marks, per problem (0..1)."""
    names = list(rates)[::-1]
    fig = _figure(6.4, 0.8 + 0.28 * max(len(names), 1))
    ax = fig.add_subplot()
    shares = [100 * rates[n] for n in names]
    ax.barh(names, shares, color=["#1a7f37" if s >= 50 else "#b3261e" for s in shares])
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of submissions with full marks")
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title, fontsize=11)
    return data_uri(fig)

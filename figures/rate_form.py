"""The rate form: the price of realism in bits against a common distortion target (T = 3).

``rt.minimum_total_rate`` (docs/theory.md §4.9) at targets D_j = D for every frame, for each PLF
at perfect realism (P = 0) and at a small level (P = 0.02), drawn as the extra total rate over
MSE only (whose own total is in the table too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter
from numpy.typing import ArrayLike

import rdp_theory as rt

from . import _compute as cc
from ._common import DEFAULT_SOURCE, FigureData, RunConfig, source_caption
from ._plot import make_panels
from ._style import MSE, plf_style, styled

__all__ = ["LEVELS", "SERIES", "SUMMARY", "compute", "draw", "plot_rate_form"]

SUMMARY = "extra least total rate over MSE only vs a common distortion target, per PLF"
SERIES = (MSE, "fmd", "jd", "sa")
#: The perception level of each panel (W2^2, every frame).
LEVELS = (0.0, 0.02)


def compute(cfg: RunConfig) -> FigureData:
    """Least total rate over a grid of common targets, per series and level."""
    src = DEFAULT_SOURCE
    T = src.T
    targets = cc.grid(cfg.quick, np.geomspace(0.02, 0.6, 15), (0.05, 0.2, 0.5))
    table = cc.new_table(T)
    for level in LEVELS:
        panel = f"P={level:g}"
        for series in SERIES:
            for d in targets:
                sol = rt.minimum_total_rate(src, d, cc.perception_of(series, level),
                                            plf=cc.solve_plf(series))
                method = "closed_form" if sol.solver == "closed_form" else "sdp"
                table.add(panel=panel, series=series, plf=series, method=method,
                          objective="rate", representation="optimal", frame=0,
                          P=cc.perception_of(series, level), x=float(d), quantity="R_total",
                          value=sol.total_rate, **{f"R_{j + 1}": float(r) for j, r in enumerate(sol.rates)})
    title = f"Rate form: least total rate for $D_j \\leq D$  [{source_caption(src)}]"
    caption = ("rt.minimum_total_rate: the rates telescope, so the least total rate meeting "
               "D_j <= D and the perception levels is one convex program (docs/theory.md §4.9); "
               "closed form for MSE only and FMD. The R_j columns hold the optimal allocation.")
    params = cc.base_params(src, cfg, targets=list(targets), levels=list(LEVELS))
    return FigureData(table, params, title, caption)


def draw(data: FigureData) -> Figure:
    """One panel per level, one curve per PLF: its total rate minus MSE only's."""
    t = data.table
    curves: dict[str, dict[str, np.ndarray]] = {}
    xs: np.ndarray = np.empty(0)
    for level in LEVELS:
        panel = f"P={level:g}"
        base = t.array(panel=panel, series=MSE, quantity="R_total")
        curves[panel] = {}
        for series in SERIES[1:]:
            xs = np.asarray(t.select("x", panel=panel, series=series), dtype=float)
            curves[panel][series] = t.array(panel=panel, series=series, quantity="R_total") - base
    return plot_rate_form(xs, curves, title=data.title)


@styled
def plot_rate_form(
    targets: ArrayLike,
    curves: Mapping[str, Mapping[str, ArrayLike]],
    *,
    xlabel: str = "common distortion target $D$ (MSE)",
    ylabel: str = r"extra total rate over MSE only (bits/sample)",
    title: str | None = None,
    axes: Sequence[Axes] | Axes | None = None,
) -> Figure:
    """Total rate (or its excess over a baseline) against a common distortion target, one panel
    per perception level.

    Parameters
    ----------
    targets : array_like, shape (n,)
        The common targets D (log-scaled axis).
    curves : mapping of str to mapping of str to array_like, shape (n,)
        ``panel title -> {series ("mse", "fmd", "jd", "sa") -> total rate or its excess}``.
    xlabel, ylabel, title : str, optional
    axes : Axes or sequence of Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(targets, dtype=float)
    p = make_panels(len(curves), axes, height=2.6, sharey=True)
    for ax, (panel, family) in zip(p.axes, curves.items()):
        for series, y in family.items():
            st = plf_style(series)
            ax.plot(x, np.asarray(y, dtype=float), color=st.color, ls=st.linestyle,
                    marker=st.marker, ms=3, label=st.label)
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))  # 0.02, 0.05, 0.1, 0.2, 0.5
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(panel.replace("P=", "P = "))
        ax.set_xlabel(xlabel)
        ax.set_ylim(bottom=0.0)
        ax.legend(loc="upper left")
    p.axes[0].set_ylabel(ylabel)
    if p.owned and title:
        p.figure.suptitle(title)
    return p.figure

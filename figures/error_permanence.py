"""Figure 3: error permanence, D_2 against R_2 for several R_1 (T = 2), JD and FMD at P = 0.

Under 0-PLF-JD, D_2 cannot fall below the closed-form limit 2σ²(1 - √(1 - ρ²)) when R_1 → 0,
however large R_2 is; under 0-PLF-FMD, D_2 → 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

import rdp_theory as rt

from . import _compute as cc
from ._common import LEXICOGRAPHIC, FigureData, RunConfig, format_cell, source_caption
from ._plot import make_panels, markevery
from ._style import REFERENCE_COLOR, plf_style, shade, styled

__all__ = ["COMPARED", "SUMMARY", "compute", "draw", "plot_error_permanence"]

SUMMARY = "D_2 vs R_2 for several R_1 under JD and FMD, with limit"
#: The two PLFs compared, one panel each.
COMPARED = ("jd", "fmd")


def compute(cfg: RunConfig) -> FigureData:
    """Lexicographic 0-PLF D_2 over an R_2 sweep for each R_1, and the JD limit."""
    src = rt.GaussMarkovSource.stationary(T=2, sigma=1.0, rho=0.9)
    grid = cc.grid(cfg.quick, np.linspace(0.0, 8.0, 65), (0.0, 1.0, 4.0, 8.0))
    first = cc.grid(cfg.quick, (0.0, 0.05, 0.25, 1.0), (0.0, 0.25))
    table = cc.new_table(src.T)
    for plf in COMPARED:
        for r1 in first:
            rate_rows = [(r1, r2) for r2 in grid]
            vals, method = cc.lex_curve(src, rate_rows, 0.0, plf, cfg.jobs)
            cc.add_curve(table, panel=plf, series=f"R_1={format_cell(r1)}", plf=plf,
                         method=method, objective=LEXICOGRAPHIC, representation="optimal",
                         rate_rows=rate_rows, level=0.0, xs=grid, values=vals, frames=[2],
                         quantity="D")
    limit = rt.error_permanence_limit(src, frame=2)
    table.add(panel="jd", series="limit", plf="jd", method="closed_form",
              objective=LEXICOGRAPHIC, representation="optimal", frame=2, R_1=0.0,
              R_2=math.inf, P=0.0, x=math.inf, quantity="D_limit", value=float(limit))
    title = (f"Error permanence: $D_2$ vs $R_2$ for several $R_1$  [{source_caption(src)}, P = 0]")
    caption = ("Under 0-PLF-JD, D_2 cannot fall below the closed-form limit "
               "2σ²(1 - √(1 - ρ²)) when R_1 → 0, however large R_2 is (error permanence); "
               "under 0-PLF-FMD, D_2 → 0.")
    params = cc.base_params(src, cfg, first_rates=first, rate_grid=grid, perception=0.0,
                            objective=LEXICOGRAPHIC, limit=float(limit))
    return FigureData(table, params, title, caption)


def draw(data: FigureData) -> Figure:
    """Draw the table: one panel per PLF, one curve per R_1, the limit as a reference line."""
    t = data.table
    limit = float(t.array(quantity="D_limit")[0])
    curves: dict[str, dict[str, NDArray[np.float64]]] = {}
    xs: NDArray[np.float64] = np.empty(0)
    for plf in COMPARED:
        series = list(dict.fromkeys(t.select("series", plf=plf, quantity="D")))
        curves[plf] = {}
        for s in series:
            xs = np.asarray(t.select("x", plf=plf, series=s, quantity="D"), dtype=float)
            label = "$R_1$ = " + s.split("=", 1)[1]
            curves[plf][label] = t.array(plf=plf, series=s, quantity="D")
    return plot_error_permanence(xs, curves, limit, title=data.title)


@styled
def plot_error_permanence(
    rates: ArrayLike,
    curves: Mapping[str, Mapping[str, ArrayLike]],
    asymptote: float,
    *,
    xlabel: str = "rate $R_2$ (bits/sample)",
    ylabel: str = "distortion $D_2$ (MSE)",
    asymptote_label: str = r"$2\sigma^2(1-\sqrt{1-\rho^2})$",
    title: str | None = None,
    axes: Sequence[Axes] | Axes | None = None,
) -> Figure:
    """Distortion of frame 2 against its rate for several first-frame rates, one panel per PLF.

    Parameters
    ----------
    rates : array_like, shape (n,)
        The swept rate ``R_2`` (bits/sample).
    curves : mapping of str to mapping of str to array_like, shape (n,)
        ``plf -> {curve label (e.g. "R1 = 0.05") -> D_2}``; curves of one PLF are drawn in shades
        of that PLF's colour, darkest first.
    asymptote : float
        The closed-form limit, drawn as a dashed reference line in every panel.
    xlabel, ylabel, asymptote_label, title : str, optional
        Text.
    axes : Axes or sequence of Axes, optional
        Draw into these (one per PLF) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(rates, dtype=float)
    p = make_panels(len(curves), axes, height=2.5, sharey=True)
    ymax = float(asymptote)
    for ax, (plf, family) in zip(p.axes, curves.items()):
        st = plf_style(plf)
        n = len(family)
        for k, (lab, y) in enumerate(family.items()):
            yy = np.asarray(y, dtype=float)
            ymax = max(ymax, float(np.nanmax(yy)))
            ax.plot(x, yy, color=shade(st.color, 0.62 * k / max(n - 1, 1)), ls=st.linestyle,
                    marker=st.marker, markevery=markevery(x.size), label=lab)
        ax.axhline(asymptote, color=REFERENCE_COLOR, ls=(0, (5, 3)), lw=1.0,
                   label="_nolegend_")
        ax.annotate(f"limit {asymptote_label} = {asymptote:.3f}", (0.98, asymptote),
                    xycoords=("axes fraction", "data"), xytext=(0, 3), textcoords="offset points",
                    ha="right", va="bottom", fontsize=7, color="#404040")
        ax.set_title(st.label)
        ax.set_xlabel(xlabel)
        ax.set_xlim(float(x.min()), float(x.max()))
        # the upper right is empty (every curve falls with rate), so the legend covers no data
        ax.legend(loc="upper right", ncols=2)
    p.axes[0].set_ylabel(ylabel)
    p.axes[0].set_ylim(0.0, 1.3 * ymax)
    if p.owned and title:
        p.figure.suptitle(title)
    return p.figure

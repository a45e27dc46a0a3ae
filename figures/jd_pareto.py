"""Figure 7: 0-PLF-JD decoder tradeoffs.

Left: the weighted-sum front min w D_2 + (1 - w) D_3 at R = (0.05, 2, 3) with the lexicographic
optimum marked. Right: with R_1 = 0.05, R_3 = 3, the lexicographic (greedy) decoder's D_3 rises
with R_2, while minimising D_3 alone does not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from . import _compute as cc
from ._common import DEFAULT_SOURCE, LEXICOGRAPHIC, FigureData, RunConfig, Table, source_caption
from ._plot import make_panels, markevery
from ._rate_distortion import EPS_RATE
from ._style import plf_style, shade, styled

__all__ = ["PARETO_RATES", "SUMMARY", "compute", "draw", "plot_pareto"]

SUMMARY = "JD D_2-D_3 front; D_3 vs R_2 lexicographic vs min D_3"
PARETO_RATES = (EPS_RATE, 2.0, 3.0)


def _front(table: Table, cfg: RunConfig) -> list[float]:
    """Panel a: weighted-sum optima over the weights, and the lexicographic optimum."""
    src = DEFAULT_SOURCE
    weights = cc.grid(cfg.quick, np.linspace(0.05, 0.95, 13), (0.2, 0.5, 0.8))
    objectives = [(0.0, w, 1.0 - w) for w in weights]
    specs = [cc.PointSpec(src, PARETO_RATES, 0.0, "jd", o, "optimal") for o in objectives]
    dists = cc.sweep_distortions(specs, cfg.jobs)
    for o, w, d in zip(objectives, weights, dists):
        cc.add_curve(table, panel="a", series="weighted", plf="jd", method="sdp", objective=o,
                     representation="optimal", rate_rows=[PARETO_RATES], level=0.0, xs=[w],
                     values=d[None, :], frames=[2, 3], quantity="D")
    lex, method = cc.lex_curve(src, [PARETO_RATES], 0.0, "jd", cfg.jobs)
    cc.add_curve(table, panel="a", series="lexicographic", plf="jd", method=method,
                 objective=LEXICOGRAPHIC, representation="optimal", rate_rows=[PARETO_RATES],
                 level=0.0, xs=[math.nan], values=lex, frames=[2, 3], quantity="D")
    return weights


def _rate_sweep(table: Table, cfg: RunConfig, last: tuple[float, ...]) -> list[float]:
    """Panel b: D_3 against R_2 with R_1 small and R_3 large, lexicographic and min D_3."""
    src = DEFAULT_SOURCE
    r2 = cc.grid(cfg.quick, np.linspace(0.25, 5.0, 20), (0.5, 2.0, 5.0))
    rate_rows = [(EPS_RATE, x, 3.0) for x in r2]
    lexb, method_b = cc.lex_curve(src, rate_rows, 0.0, "jd", cfg.jobs)
    cc.add_curve(table, panel="b", series="lexicographic", plf="jd", method=method_b,
                 objective=LEXICOGRAPHIC, representation="optimal", rate_rows=rate_rows,
                 level=0.0, xs=r2, values=lexb, frames=[3], quantity="D")
    dists_b = cc.sweep_distortions(
        [cc.PointSpec(src, r, 0.0, "jd", last, "optimal") for r in rate_rows], cfg.jobs)
    cc.add_curve(table, panel="b", series="min_D3", plf="jd", method="sdp", objective=last,
                 representation="optimal", rate_rows=rate_rows, level=0.0, xs=r2,
                 values=dists_b, frames=[3], quantity="D")
    return r2


def compute(cfg: RunConfig) -> FigureData:
    """The JD front (panel a) and the R_2 sweep (panel b)."""
    src = DEFAULT_SOURCE
    table = cc.new_table(src.T)
    weights = _front(table, cfg)
    last = tuple(0.0 if j < src.T else 1.0 for j in range(1, src.T + 1))
    r2 = _rate_sweep(table, cfg, last)
    title = f"0-PLF-JD decoder tradeoffs  [{source_caption(src)}, P = 0]"
    caption = ("Left: the weighted-sum front min w D_2 + (1 - w) D_3 at R = (0.05, 2, 3) with the "
               "lexicographic optimum marked. Right: with R_1 = 0.05, R_3 = 3, the lexicographic "
               "(greedy) decoder's D_3 rises with R_2, while minimising D_3 alone does not.")
    params = cc.base_params(src, cfg, front_rates=list(PARETO_RATES), front_weights=weights,
                            front_objective="(0, w, 1 - w)", r2_grid=r2,
                            r1=EPS_RATE, r3=3.0, perception=0.0, min_last_objective=list(last))
    return FigureData(table, params, title, caption)


def draw(data: FigureData) -> Figure:
    """Draw the table: the front with the lexicographic star, and the R_2 sweep."""
    t = data.table
    d2 = t.array(panel="a", series="weighted", frame=2)
    d3 = t.array(panel="a", series="weighted", frame=3)
    lex = (float(t.array(panel="a", series="lexicographic", frame=2)[0]),
           float(t.array(panel="a", series="lexicographic", frame=3)[0]))
    xs = np.asarray(t.select("x", panel="b", series="lexicographic"), dtype=float)
    rr = ", ".join(f"{r:g}" for r in data.params["front_rates"])
    return plot_pareto(
        (d2, d3), lex, xs,
        t.array(panel="b", series="lexicographic"), t.array(panel="b", series="min_D3"),
        front_title=f"R = ({rr}); $D_1$ free",
        rate_title=f"$R_1$ = {data.params['r1']:g}, $R_3$ = {data.params['r3']:g}",
        title=data.title,
    )


@styled
def plot_pareto(
    front: tuple[ArrayLike, ArrayLike],
    lexicographic_point: tuple[float, float],
    rates: ArrayLike,
    lexicographic: ArrayLike,
    min_last: ArrayLike,
    *,
    front_labels: tuple[str, str] = ("distortion $D_2$ (MSE)", "distortion $D_3$ (MSE)"),
    rate_label: str = "rate $R_2$ (bits/sample)",
    last_label: str = "distortion $D_3$ (MSE)",
    front_title: str = "weighted-sum sweep",
    rate_title: str = "",
    title: str | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """The JD decoder tradeoff: a Pareto front and the lexicographic-versus-single-frame panel.

    Parameters
    ----------
    front : (array_like, array_like), each shape (m,)
        Coordinates (e.g. ``D_2`` and ``D_3``) of the weighted-sum optima.
    lexicographic_point : (float, float)
        The lexicographic optimum in the same coordinates, marked with a star.
    rates : array_like, shape (n,)
        Abscissa of the second panel (bits/sample).
    lexicographic, min_last : array_like, shape (n,)
        Last-frame distortion of the lexicographic decoder and of the decoder minimising the last
        frame alone.
    front_labels, rate_label, last_label, front_title, rate_title, title : optional
        Text.
    axes : (Axes, Axes), optional
        Draw into these (front, rate sweep) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    st = plf_style("jd")
    p = make_panels(2, axes, height=2.6)
    ax_f, ax_r = p.axes
    fx, fy = (np.asarray(v, dtype=float) for v in front)
    ax_f.plot(fx, fy, color=st.color, ls=st.linestyle, marker=st.marker,
              label="weighted-sum optima $\\min\\ w D_2 + (1-w) D_3$")
    ax_f.plot([lexicographic_point[0]], [lexicographic_point[1]], ls="none", marker="*", ms=10,
              color="black", mfc="#F0E442", mew=0.8, label="lexicographic optimum", zorder=5)
    ax_f.set_xlabel(front_labels[0])
    ax_f.set_ylabel(front_labels[1])
    ax_f.set_title(front_title)
    ax_f.margins(0.08)
    x = np.asarray(rates, dtype=float)
    me = markevery(x.size)
    ax_r.plot(x, np.asarray(lexicographic, dtype=float), color=st.color, ls=st.linestyle,
              marker=st.marker, markevery=me, label="lexicographic (min $D_1$, then $D_2$, $D_3$)")
    ax_r.plot(x, np.asarray(min_last, dtype=float), color=shade(st.color, 0.45), ls=(0, (4, 1.5)),
              marker="v", markevery=me, label="min $D_3$ alone")
    ax_r.set_xlabel(rate_label)
    ax_r.set_ylabel(last_label)
    ax_r.set_title(rate_title)
    ax_r.set_xlim(float(x.min()), float(x.max()))
    return p.finish(title, ncols=2)

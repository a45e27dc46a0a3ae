"""Figure 5: universality of the MSE representation.

For each PLF at P = 0.05, the jointly optimal D_1 + D_2 + D_3 against the greedy MSE
representation with a re-optimised decoder, and their gap on a log axis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from rdp_theory.perception import PLF_NAMES

from . import _compute as cc
from ._common import DEFAULT_SOURCE, FigureData, RunConfig, source_caption
from ._plot import markevery, make_panels
from ._style import REFERENCE_COLOR, plf_style, styled

__all__ = ["SUMMARY", "UNIVERSALITY_P", "UNIVERSALITY_WEIGHTS", "compute", "draw",
           "plot_universality"]

SUMMARY = "joint optimum vs MSE representation + best decoder, gap"
UNIVERSALITY_P = 0.05
UNIVERSALITY_WEIGHTS = (1.0, 1.0, 1.0)
REPRESENTATIONS = ("optimal", "mse")


def compute(cfg: RunConfig) -> FigureData:
    """Weighted distortion of the joint optimum and of the MSE representation, and the gap."""
    src = DEFAULT_SOURCE
    grid = cc.grid(cfg.quick, np.linspace(0.25, 3.0, 12), (0.5, 2.0))
    rate_rows = [(R,) * src.T for R in grid]
    w = np.asarray(UNIVERSALITY_WEIGHTS)
    table = cc.new_table(src.T)
    common = dict(plf="", method="sdp", objective=UNIVERSALITY_WEIGHTS, rate_rows=rate_rows,
                  level=UNIVERSALITY_P, xs=grid, frames=[0])
    for plf in PLF_NAMES:
        common["plf"] = plf
        res = {}
        for rep in REPRESENTATIONS:
            specs = [cc.PointSpec(src, r, UNIVERSALITY_P, plf, UNIVERSALITY_WEIGHTS, rep)
                     for r in rate_rows]
            res[rep] = np.asarray([w @ s.distortions for s in cc.solve_points(specs, cfg.jobs)])
            cc.add_curve(table, panel="a", series=f"{plf}:{rep}", representation=rep,
                         values=res[rep][:, None], quantity="weighted_D", **common)
        cc.add_curve(table, panel="b", series=f"{plf}:gap", representation="mse-optimal",
                     values=(res["mse"] - res["optimal"])[:, None], quantity="gap", **common)
    title = (f"Universality of the MSE representation  [{source_caption(src)}, "
             f"P = {UNIVERSALITY_P:g}, $R_j = R$, min $D_1 + D_2 + D_3$]")
    caption = ("For each PLF, the jointly optimal total distortion D_1 + D_2 + D_3 (line) and the "
               "one reached by the greedy MSE representation with a re-optimised decoder "
               "(open markers); right: their gap on a log axis, at solver precision everywhere.")
    params = cc.base_params(src, cfg, rate_grid=grid, perception=UNIVERSALITY_P,
                            objective=list(UNIVERSALITY_WEIGHTS),
                            quantity="weighted_D = sum_k w_k D_k; gap = mse - optimal")
    return FigureData(table, params, title, caption)


def draw(data: FigureData) -> Figure:
    """Draw the table: distortions (left) and gaps (right) per PLF."""
    t = data.table
    xs = np.asarray(t.select("x", series=f"{PLF_NAMES[0]}:optimal"), dtype=float)
    return plot_universality(
        xs,
        {p: t.array(series=f"{p}:optimal") for p in PLF_NAMES},
        {p: t.array(series=f"{p}:mse") for p in PLF_NAMES},
        {p: t.array(series=f"{p}:gap") for p in PLF_NAMES},
        ylabel="total distortion $D_1 + D_2 + D_3$ (MSE)",
        title=data.title,
    )


@styled
def plot_universality(
    rates: ArrayLike,
    optimal: Mapping[str, ArrayLike],
    mse_representation: Mapping[str, ArrayLike],
    gap: Mapping[str, ArrayLike],
    *,
    ylabel: str = "distortion $D_3$ (MSE)",
    xlabel: str = "rate per frame $R$ (bits/sample)",
    gap_floor: float = 1e-12,
    title: str | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Optimal distortion next to the MSE-representation distortion, and their gap (log axis).

    Parameters
    ----------
    rates : array_like, shape (n,)
        Abscissa (bits/sample).
    optimal, mse_representation, gap : mapping of str to array_like, shape (n,)
        PLF key -> jointly optimal distortion, distortion of the MSE (greedy) representation with
        its best decoder, and their difference.
    ylabel, xlabel, title : str, optional
        Text.
    gap_floor : float, optional
        Gaps below this value (solver precision) are drawn at the floor, which is marked.
    axes : (Axes, Axes), optional
        Draw into these (distortions, gaps) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(rates, dtype=float)
    p = make_panels(2, axes, height=2.5)
    ax_d, ax_g = p.axes
    me = markevery(x.size)
    for plf in optimal:
        st = plf_style(plf)
        ax_d.plot(x, np.asarray(optimal[plf], dtype=float), color=st.color, ls=st.linestyle,
                  label=st.label)
        ax_d.plot(x, np.asarray(mse_representation[plf], dtype=float), color=st.color, ls="none",
                  marker=st.marker, mfc="white", mew=1.0, ms=4.5, label="_nolegend_")
        g = np.maximum(np.asarray(gap[plf], dtype=float), gap_floor)
        ax_g.plot(x, g, markevery=me, **st.kwargs())  # type: ignore[arg-type]
    ax_d.set_xlabel(xlabel)
    ax_d.set_ylabel(ylabel)
    ax_d.set_ylim(bottom=0.0)
    ax_d.set_title("line: joint optimum; open marker: MSE repr.")
    ax_g.set_yscale("log")
    ax_g.axhline(gap_floor, color=REFERENCE_COLOR, lw=0.8, ls=(0, (1, 2)))
    ax_g.annotate(f"gaps ≤ {gap_floor:.0e} (round-off) drawn here", (0.02, gap_floor),
                  xycoords=("axes fraction", "data"), xytext=(0, 3), textcoords="offset points",
                  fontsize=6.5, color=REFERENCE_COLOR, va="bottom")
    ax_g.set_xlabel(xlabel)
    ax_g.set_ylabel("gap (MSE)")
    ax_g.set_title("gap: MSE representation $-$ joint optimum")
    return p.finish(title)

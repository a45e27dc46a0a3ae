"""Figure 4: corr(X̂_j, X̂_{j+1}) against a common rate, per PLF and MSE only, at P = 0.

JD reproduces the source correlation ρ at every rate; FMD, SA and MSE-only reconstructions do not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from . import _compute as cc
from ._common import DEFAULT_SOURCE, LEXICOGRAPHIC, FigureData, RunConfig, source_caption
from ._plot import as_2d, make_panels, markevery, plot_plf
from ._style import REFERENCE_COLOR, SERIES, styled

__all__ = ["SUMMARY", "compute", "draw", "plot_temporal_correlation"]

SUMMARY = "corr of consecutive reconstructions vs rate per PLF"
#: Line width (points) of the source-rho band: several times a curve's, so the JD curve on it
#: does not hide it.
REFERENCE_BAND_WIDTH = 7.0


def compute(cfg: RunConfig) -> FigureData:
    """Correlations of consecutive reconstructions of the lexicographic 0-PLF optima."""
    src = DEFAULT_SOURCE
    grid = cc.grid(cfg.quick, np.linspace(0.1, 4.0, 14), (0.5, 2.0))
    rate_rows = [(R,) * src.T for R in grid]
    table = cc.new_table(src.T)
    for plf in SERIES:
        P = cc.perception_of(plf, 0.0)
        specs = [cc.PointSpec(src, r, P, cc.solve_plf(plf), LEXICOGRAPHIC, "optimal")
                 for r in rate_rows]
        sols = cc.solve_points(specs, cfg.jobs)
        corr = [s.reconstruction_correlations for s in sols]
        cc.add_curve(table, panel="a", series=plf, plf=plf, method="sdp",
                     objective=LEXICOGRAPHIC, representation="optimal", rate_rows=rate_rows,
                     level=0.0, xs=grid, values=np.asarray(corr),
                     frames=list(range(1, src.T)), quantity="corr")
    title = (f"Temporal correlation of reconstructions  "
             f"[{source_caption(src)}, P = 0, $R_j = R$, lexicographic]")
    caption = ("corr(X̂_j, X̂_{j+1}) of the optimal 0-PLF schemes at a common rate R: JD "
               "reproduces the source correlation ρ = 0.9 at every rate (its curve lies on the "
               "grey band marking ρ), FMD, SA and MSE-only reconstructions do not.")
    params = cc.base_params(src, cfg, rate_grid=grid, perception=0.0, objective=LEXICOGRAPHIC,
                            quantity="corr(Xhat_frame, Xhat_frame+1) from "
                            "solve_rdp(...).reconstruction_covariance; MSE only = plf 'fmd' at "
                            "P=inf")
    return FigureData(table, params, title, caption)


def draw(data: FigureData) -> Figure:
    """Draw the table: one panel per consecutive frame pair, the source ρ as reference."""
    t = data.table
    pairs_first, xs, corr = cc.frame_curves(t, SERIES)
    rho = data.params["source"]["rhos"]
    return plot_temporal_correlation(xs, corr, [rho[j - 1] for j in pairs_first],
                                     pairs=[(j, j + 1) for j in pairs_first], title=data.title)


@styled
def plot_temporal_correlation(
    rates: ArrayLike,
    correlations: Mapping[str, ArrayLike],
    source_rho: float | Sequence[float],
    *,
    pairs: Sequence[tuple[int, int]],
    xlabel: str = "rate per frame $R$ (bits/sample)",
    title: str | None = None,
    axes: Sequence[Axes] | Axes | None = None,
) -> Figure:
    r"""Correlation of consecutive reconstructions against rate, one panel per frame pair.

    Parameters
    ----------
    rates : array_like, shape (n,)
        Abscissa (bits/sample).
    correlations : mapping of str to array_like, shape (n, len(pairs))
        PLF key -> :math:`\operatorname{corr}(\hat X_j, \hat X_{j+1})` per pair.
    source_rho : float or sequence of float
        The source correlation of each pair, drawn as a reference line.
    pairs : sequence of (int, int)
        1-based frame pairs, one panel each.
    xlabel, title : str, optional
        Text.
    axes : Axes or sequence of Axes, optional
        Draw into these (one per pair) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(rates, dtype=float)
    rhos = np.broadcast_to(np.asarray(source_rho, dtype=float), (len(pairs),))
    p = make_panels(len(pairs), axes, height=2.4, sharey=True)
    me = markevery(x.size)
    lo = 1.0
    for col, (ax, (j, k)) in enumerate(zip(p.axes, pairs)):
        for plf, values in correlations.items():
            y = as_2d(values)[:, col]
            lo = min(lo, float(np.nanmin(y)))
            plot_plf(ax, x, y, plf, label=col == 0, markevery=me)
        # a wide band under the curves: JD lies exactly on it, and both stay visible
        ax.axhline(rhos[col], color=REFERENCE_COLOR, lw=REFERENCE_BAND_WIDTH, alpha=0.35,
                   zorder=1, solid_capstyle="butt",
                   label=r"source $\rho$ (band)" if col == 0 else "_nolegend_")
        ax.set_title(rf"corr($\hat X_{j}$, $\hat X_{k}$)")
        ax.set_xlabel(xlabel)
        ax.set_xlim(float(x.min()), float(x.max()))
    p.axes[0].set_ylabel("correlation of reconstructions")
    p.axes[0].set_ylim(min(lo, float(rhos.min())) - 0.05, 1.0)
    return p.finish(title, ncols=5)

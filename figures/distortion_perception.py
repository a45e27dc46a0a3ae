"""Figure 6: the distortion-perception tradeoff, least D_T against P at two rate tuples.

The objective is ``min D_T`` alone (weights ``(0, ..., 0, 1)``): the lower boundary of the
achievable region, non-increasing in ``P`` by a theorem (the feasible set only grows).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from rdp_theory.perception import PLF_NAMES

from . import _compute as cc
from ._common import DEFAULT_SOURCE, LEXICOGRAPHIC, FigureData, RunConfig, source_caption
from ._plot import make_panels, plot_plf
from ._style import MSE, PERCEPTION_LABEL, plf_style, styled

__all__ = ["SUMMARY", "compute", "draw", "plot_distortion_perception"]

SUMMARY = "D_3 vs P at fixed rates for JD, FMD, SA"


def compute(cfg: RunConfig) -> FigureData:
    """Least D_T over a perception grid per PLF and panel, and the MSE-only value."""
    src = DEFAULT_SOURCE
    levels = cc.grid(cfg.quick, [0.0, *np.geomspace(1e-3, 1.0, 13)], (0.0, 0.01, 1.0))
    panel_rates = {"a": (0.25,) * src.T, "b": (1.0,) * src.T}
    frame = src.T
    last = tuple(0.0 if j < src.T else 1.0 for j in range(1, src.T + 1))
    table = cc.new_table(src.T)
    for panel, rates in panel_rates.items():
        for plf in PLF_NAMES:
            specs = [cc.PointSpec(src, rates, P, plf, last, "optimal") for P in levels]
            dists = cc.sweep_distortions(specs, cfg.jobs)
            for P, d in zip(levels, dists):
                cc.add_curve(table, panel=panel, series=plf, plf=plf, method="sdp",
                             objective=last, representation="optimal", rate_rows=[rates],
                             level=P, xs=[P], values=d[None, :], frames=[frame],
                             quantity="D")
        v, m = cc.lex_curve(src, [rates], math.inf, MSE, cfg.jobs)
        cc.add_curve(table, panel=panel, series=MSE, plf=MSE, method=m, objective=LEXICOGRAPHIC,
                     representation="optimal", rate_rows=[rates], level=math.inf,
                     xs=[math.inf], values=v, frames=[frame], quantity="D")
    title = (f"Distortion-perception tradeoff: least $D_{frame}$  "
             f"[{source_caption(src)}, min $D_{frame}$ alone]")
    caption = (f"The least achievable D_{frame} (objective min D_{frame} alone) against the "
               "perception level P (W2², the same for every frame), from perfect realism P = 0 to "
               "the unconstrained MSE-only value, for JD, FMD and SA at two rate tuples.")
    params = cc.base_params(src, cfg, perception_grid=levels,
                            rates={k: list(v) for k, v in panel_rates.items()}, frame=frame,
                            objective=list(last))
    return FigureData(table, params, title, caption)


def draw(data: FigureData) -> Figure:
    """Draw the table: one panel per rate tuple, the MSE-only value as a dotted line."""
    t = data.table
    curves: dict[str, dict[str, NDArray[np.float64]]] = {}
    limits: dict[str, float] = {}
    xs: NDArray[np.float64] = np.empty(0)
    frame = int(data.params["frame"])
    for panel, rates in data.params["rates"].items():
        name = "R = (" + ", ".join(f"{r:g}" for r in rates) + ")"
        xs = np.asarray(t.select("x", panel=panel, series=PLF_NAMES[0]), dtype=float)
        curves[name] = {p: t.array(panel=panel, series=p) for p in PLF_NAMES}
        limits[name] = float(t.array(panel=panel, series=MSE)[0])
    return plot_distortion_perception(xs, curves, limits, title=data.title,
                                      ylabel=f"distortion $D_{frame}$ (MSE)")


@styled
def plot_distortion_perception(
    perception: ArrayLike,
    panels: Mapping[str, Mapping[str, ArrayLike]],
    mse_limits: Mapping[str, float],
    *,
    ylabel: str = "distortion $D_3$ (MSE)",
    linthresh: float = 1e-3,
    title: str | None = None,
    axes: Sequence[Axes] | Axes | None = None,
) -> Figure:
    """Distortion against the perception level, one panel per rate tuple.

    The abscissa is symmetric-log (linear below ``linthresh``) so that ``P = 0`` is shown next to
    several decades of positive ``P``; the linear stretch is shaded and labelled, so the change of
    scale is visible. The unconstrained value (``P = inf``) is the dotted MSE-only line. The
    ordinate spans the data (not from 0), so the curves fill the panel.

    Parameters
    ----------
    perception : array_like, shape (n,)
        Perception levels (W2^2), finite, ``>= 0``.
    panels : mapping of str to mapping of str to array_like, shape (n,)
        Panel title -> PLF key -> distortion.
    mse_limits : mapping of str to float
        Panel title -> MSE-only distortion (the ``P = inf`` limit).
    ylabel, title : str, optional
        Text.
    linthresh : float, optional
        Linear range of the symmetric-log axis.
    axes : Axes or sequence of Axes, optional
        Draw into these (one per panel) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(perception, dtype=float)
    p = make_panels(len(panels), axes, height=2.5)
    mse = plf_style(MSE)
    for col, (ax, (name, curves)) in enumerate(zip(p.axes, panels.items())):
        for plf, y in curves.items():
            plot_plf(ax, x, y, plf, label=col == 0)
        ax.axhline(mse_limits[name], color=mse.color, ls=mse.linestyle,
                   label="MSE only ($P=\\infty$)" if col == 0 else "_nolegend_")
        ax.set_xscale("symlog", linthresh=linthresh, linscale=0.5)
        ax.set_xlim(0.0, float(x.max()))
        ax.axvspan(0.0, linthresh, color="0.92", zorder=0, lw=0)
        ax.text(0.5 * linthresh, 0.97, "linear", transform=ax.get_xaxis_transform(),
                ha="center", va="top", fontsize="x-small", color="0.35")
        values = [np.asarray(y, dtype=float) for y in curves.values()] + [
            np.asarray([mse_limits[name]])]
        lo = min(float(np.nanmin(v)) for v in values)
        hi = max(float(np.nanmax(v)) for v in values)
        pad = 0.06 * (hi - lo) if hi > lo else 0.05 * max(abs(hi), 1e-12)
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_title(name)
        ax.set_xlabel(PERCEPTION_LABEL + ", same for every frame")
        if col == 0:
            ax.set_ylabel(ylabel)
    return p.finish(title)

"""Figure 8: information curves and one-shot operational curves at a common rate.

Each 0-PLF curve (and MSE only) at the information rate R (solid, a lower bound) and at the
one-shot operational rate R + log2(R + 1) + 5 (faded, achievable by the strong functional
representation lemma), distortion on a log axis so that both curves keep their shape; the band
between them, where the one-shot operational curve lies, is shaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from numpy.typing import ArrayLike

import rdp_theory as rt

from . import _compute as cc
from ._common import DEFAULT_SOURCE, LEXICOGRAPHIC, FigureData, RunConfig, source_caption
from ._plot import as_2d, make_panels, markevery, plot_plf
from ._style import DISTORTION_LABEL, SERIES, plf_style, styled

__all__ = ["SUMMARY", "compute", "draw", "plot_operational_region"]

SUMMARY = "information vs one-shot operational curves"
#: The band between a series' two curves: neutral grey (the curves carry the PLF colours), light
#: enough that the nearly coincident bands of the series add up to a visible but quiet tone.
BAND_COLOR = "#7F7F7F"
BAND_ALPHA = 0.07


def compute(cfg: RunConfig) -> FigureData:
    """Lexicographic 0-PLF distortions at information rates and at the operational rates."""
    src = DEFAULT_SOURCE
    grid = cc.grid(cfg.quick, np.linspace(0.0, 6.0, 25), (0.0, 1.0, 4.0))
    rate_rows = [(R,) * src.T for R in grid]
    op = [float(rt.operational_rates(R)) for R in grid]
    frames = list(range(1, src.T + 1))
    table = cc.new_table(src.T)
    for plf in SERIES:
        vals, method = cc.lex_curve(src, rate_rows, 0.0, plf, cfg.jobs)
        for series, xs in (("information", grid), ("one-shot", op)):
            cc.add_curve(table, panel="a", series=f"{plf}:{series}", plf=plf,
                         method=method if series == "information"
                         else method + "+operational_rates",
                         objective=LEXICOGRAPHIC, representation="optimal", rate_rows=rate_rows,
                         level=0.0, xs=xs, values=vals, frames=frames, quantity="D")
    title = (f"Information vs one-shot operational RDP curves  "
             f"[{source_caption(src)}, P = 0, $R_j = R$, lexicographic]")
    width = np.asarray(op) - np.asarray(grid)
    caption = ("Each 0-PLF curve and MSE only at the information rate R (solid, a lower bound) "
               "and at the one-shot operational rate R + log2(R + 1) + 5 (faded, achievable by "
               "the strong functional representation lemma), distortion on a log axis. The "
               "one-shot operational curve lies in the shaded band between them, "
               f"{width.min():.1f} to {width.max():.1f} bits wide over R = {grid[0]:g} to "
               f"{grid[-1]:g} (the band ends where this rate grid ends). On the log axis the "
               "series differ visibly only at low rates; their markers are staggered so that "
               "each one shows.")
    params = cc.base_params(src, cfg, rate_grid=grid, perception=0.0, objective=LEXICOGRAPHIC,
                            operational_rate="R + log2(R + 1) + 5 (rdp_theory.operational_rates)")
    return FigureData(table, params, title, caption)


def draw(data: FigureData) -> Figure:
    """Draw the table: one panel per frame, information and operational curves, the band
    between them shaded."""
    t = data.table
    frames, xs, curves = cc.frame_curves(t, SERIES, "{}:information")
    xo = np.asarray(t.select("x", series=f"{SERIES[0]}:one-shot", frame=frames[0]), dtype=float)
    return plot_operational_region(xs, xo, curves, frames=frames, title=data.title)


@styled
def plot_operational_region(
    rates: ArrayLike,
    operational: ArrayLike,
    curves: Mapping[str, ArrayLike],
    *,
    frames: Sequence[int],
    title: str | None = None,
    axes: Sequence[Axes] | Axes | None = None,
) -> Figure:
    """Information curves and the one-shot operational curves (the same distortions at the
    operational rates), one panel per frame, distortion on a log axis; the band between the two
    curves of each series (the one-shot operational region's boundary lies in it) is shaded.

    Parameters
    ----------
    rates : array_like, shape (n,)
        Information rate per frame (bits/sample).
    operational : array_like, shape (n,)
        The matching one-shot operational rates (``R + log2(R + 1) + 5``).
    curves : mapping of str to array_like, shape (n, len(frames))
        PLF key -> distortion per plotted frame (positive: the axis is logarithmic).
    frames : sequence of int
        1-based frame numbers, one panel each.
    title : str, optional
        Figure title.
    axes : Axes or sequence of Axes, optional
        Draw into these (one per frame) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(rates, dtype=float)
    xo = np.asarray(operational, dtype=float)
    p = make_panels(len(frames), axes, height=2.7, sharey=True)
    me = markevery(x.size)
    n = len(curves)
    for col, (ax, frame) in enumerate(zip(p.axes, frames)):
        # the first series on top (where the PLFs coincide, e.g. frame 1, JD stays visible); the
        # markers of the series are staggered along the curve so that each one shows
        for k, (plf, values) in reversed(list(enumerate(curves.items()))):
            y = as_2d(values)[:, col]
            st = plf_style(plf)
            every = (k % me, me) if n <= me else me
            # the band: at each distortion, every rate from the information rate (a lower bound)
            # to the one-shot operational rate (achievable)
            ax.fill_betweenx(y, x, xo, color=BAND_COLOR, alpha=BAND_ALPHA, lw=0,
                             label="_nolegend_", zorder=1)
            plot_plf(ax, x, y, plf, label=col == 0, markevery=every, zorder=2 + n - k)
            ax.plot(xo, y, color=st.color, ls=st.linestyle, lw=1.0, alpha=0.6,
                    marker=st.marker, mfc="white", markevery=every, label="_nolegend_",
                    zorder=2 + n - k)
        ax.set_title(f"frame {frame}")
        ax.set_xlabel(f"rate $R_{frame}$ (bits/sample)")
        ax.set_xlim(0.0, float(np.nanmax(xo)))
        ax.set_yscale("log")
        if col == 0:
            ax.set_ylabel(DISTORTION_LABEL + ", log scale")
    handles: list[Artist] = []
    labels: list[str] = []
    for plf in curves:
        st = plf_style(plf)
        handles.append(Line2D([], [], color=st.color, ls=st.linestyle, marker=st.marker))
        labels.append(st.label)
    handles.append(Line2D([], [], color="black", lw=1.3))
    labels.append("information rate $R$ (lower bound)")
    handles.append(Line2D([], [], color="black", lw=1.0, alpha=0.6, marker="o", mfc="white"))
    labels.append("one-shot rate $R + \\log_2(R+1) + 5$ (achievable)")
    handles.append(Patch(color=BAND_COLOR, alpha=3 * BAND_ALPHA, lw=0))
    labels.append("shaded: the one-shot curve lies here")
    return p.finish(title, handles, labels, ncols=4)

"""The rate-distortion scenarios shared by :mod:`figures.rd_low_first_rate` and
:mod:`figures.rd_high_first_rate`: D_j against a common rate R_2 = ... = R_T = R at a fixed
first-frame rate R_1, at perfect realism (P = 0), for every PLF and MSE only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from . import _compute as cc
from ._common import DEFAULT_SOURCE, LEXICOGRAPHIC, FigureData, RunConfig, source_caption
from ._plot import as_2d, make_panels, markevery, plot_plf
from ._style import DISTORTION_LABEL, MSE, RATE_LABEL, SERIES, plf_style, styled

__all__ = ["EPS_RATE", "compute_scenario", "draw", "plot_rate_distortion"]

EPS_RATE = 0.05  # the paper's small first-frame rate epsilon (bits/sample)


def compute_scenario(cfg: RunConfig, first_rate: float, label: str) -> FigureData:
    """Lexicographic 0-PLF distortions at ``(first_rate, R, ..., R)``; ``label`` is ``"low"`` or
    ``"high"`` (the title's words)."""
    src = DEFAULT_SOURCE
    grid = cc.grid(cfg.quick, np.linspace(0.0, 4.0, 17), (0.0, 0.5, 2.0, 4.0))
    rate_rows = [(first_rate,) + (R,) * (src.T - 1) for R in grid]
    frames = list(range(1, src.T + 1))
    table = cc.new_table(src.T)
    for plf in SERIES:
        vals, method = cc.lex_curve(src, rate_rows, 0.0, plf, cfg.jobs)
        cc.add_curve(table, panel="a", series=plf, plf=plf, method=method,
                     objective=LEXICOGRAPHIC, representation="optimal", rate_rows=rate_rows,
                     level=0.0, xs=grid, values=vals, frames=frames, quantity="D")
    r1 = "∞" if math.isinf(first_rate) else f"{first_rate:g}"
    r1m = r"\infty" if math.isinf(first_rate) else f"{first_rate:g}"
    title = (f"0-PLF distortions, {label} first-frame rate: $(R_1, R_2, R_3) = ({r1m}, R, R)$  "
             f"[{source_caption(src)}, P = 0, lexicographic]")
    caption = (f"D_j against the common rate R_2 = R_3 = R with R_1 = {r1} "
               "(the paper's ({}, ., .) scenario) under 0-PLF-JD, 0-PLF-FMD, 0-PLF-SA and MSE "
               "only.".format("epsilon" if label == "low" else "infinity"))
    if math.isinf(first_rate):
        title += "\nframe 1 is reconstructed exactly ($D_1 = 0$ under every PLF): not drawn"
        caption += (" Frame 1 is reconstructed exactly (D_1 = 0 for every PLF; in the CSV) and is "
                    "not drawn.")
    caption += (" Curves that coincide (here 0-PLF-SA with 0-PLF-JD) are drawn with their "
                "markers offset, so both stay visible.")
    params = cc.base_params(src, cfg, first_rate=float(first_rate), rate_grid=grid,
                            perception=0.0, objective=LEXICOGRAPHIC, plfs=list(SERIES))
    return FigureData(table, params, title, caption)


def draw(data: FigureData) -> Figure:
    """Draw a scenario's table (one panel per frame)."""
    t = data.table
    frames, xs, curves = cc.frame_curves(t, SERIES)
    # a frame with D_j = 0 under every series (R_1 = inf) is an empty panel: left out (the title
    # and caption say so; the CSV keeps its rows)
    shown = [i for i in range(len(frames))
             if any(np.nanmax(np.abs(as_2d(v)[:, i])) > 0 for v in curves.values())]
    curves = {k: as_2d(v)[:, shown] for k, v in curves.items()}
    labels = {plf: "0-" + plf_style(plf).label for plf in SERIES if plf != MSE}
    return plot_rate_distortion(xs, curves, frames=[frames[i] for i in shown], title=data.title,
                                labels=labels, xlabel="rate $R_2 = R_3 = R$ (bits/sample)")


@styled
def plot_rate_distortion(
    rates: ArrayLike,
    curves: Mapping[str, ArrayLike],
    *,
    frames: Sequence[int],
    xlabel: str = RATE_LABEL,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    axes: Sequence[Axes] | Axes | None = None,
) -> Figure:
    """Distortion against rate, one panel per frame.

    Parameters
    ----------
    rates : array_like, shape (n,)
        Abscissa (the swept rate, bits/sample).
    curves : mapping of str to array_like, shape (n, len(frames))
        PLF key -> distortion of each plotted frame at each rate.
    frames : sequence of int
        1-based frame numbers, one panel each.
    xlabel : str, optional
        Abscissa label.
    title : str, optional
        Figure title (put the source parameters here).
    labels : mapping of str to str, optional
        Legend text per PLF key, replacing the style's default label.
    axes : Axes or sequence of Axes, optional
        Draw into these (one per frame) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from figures.rd_low_first_rate import plot_rate_distortion
    >>> r = np.linspace(0.0, 2.0, 5)
    >>> fig = plot_rate_distortion(r, {"mse": np.exp2(-2 * r)[:, None]}, frames=[1])
    >>> type(fig).__name__
    'Figure'
    """
    x = np.asarray(rates, dtype=float)
    p = make_panels(len(frames), axes, height=2.4, sharey=True)
    me = markevery(x.size)
    ymax = 0.0
    for col, (ax, frame) in enumerate(zip(p.axes, frames)):
        drawn: list[np.ndarray] = []
        for plf, values in curves.items():
            y = as_2d(values)[:, col]
            ymax = max(ymax, float(np.nanmax(y)))
            text = labels[plf] if labels and plf in labels else plf_style(plf).label
            # a curve on top of an earlier one gets its markers half a step later
            hidden = any(np.allclose(y, d, rtol=1e-6, atol=1e-9) for d in drawn)
            every: int | tuple[int, int] = (max(me // 2, 1), me) if hidden else me
            plot_plf(ax, x, y, plf, markevery=every, label=text if col == 0 else "_nolegend_")
            drawn.append(y)
        ax.set_title(f"frame {frame}")
        ax.set_xlabel(xlabel.replace("_j", f"_{frame}"))
        if col == 0:
            ax.set_ylabel(DISTORTION_LABEL)
        ax.set_xlim(float(x.min()), float(x.max()))
    p.axes[0].set_ylim(0.0, 1.05 * ymax)
    return p.finish(title)

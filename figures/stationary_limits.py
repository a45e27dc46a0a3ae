"""Stationary limits: D_j against the frame index j for every PLF, with the T -> inf limits.

A stationary source (σ = 1, ρ = 0.9) coded at one bit per frame. Left, perfect realism (P = 0):
every PLF has a closed-form limit (docs/theory.md §4.7), drawn dashed; 0-PLF-JD converges to the
0-PLF-FMD limit (they coincide in steady state), slowly (factor ρ² per frame). Right, P = 0.001:
MSE only and FMD have closed-form limits; SA has none and its exact lexicographic values (the
chain of docs/theory.md §4.8) converge geometrically; constant-level JD spends the level on frame
1 and equals 0-PLF-JD from frame 2 on (§4.8).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

import rdp_theory as rt

from . import _compute as cc
from ._common import LEXICOGRAPHIC, FigureData, RunConfig, source_caption
from ._plot import make_panels
from ._style import MSE, plf_style, styled

__all__ = ["LEVELS", "RATE", "SERIES", "SUMMARY", "compute", "draw", "plot_stationary_limits"]

SUMMARY = "D_j vs frame j for every PLF at P = 0 and P = 0.001, with the T -> inf limits"
#: The series of every panel: MSE only, then the PLFs.
SERIES = (MSE, "fmd", "jd", "sa")
#: The perception level of each panel (W2^2, every frame).
LEVELS = (0.0, 0.001)
#: Bits per sample of every frame.
RATE = 1.0


def _limit(sigma: float, rho: float, level: float, series: str) -> float | None:
    """The closed-form limit of a series, or None where there is none (JD/SA at 0 < P)."""
    if series == MSE:
        return float(rt.stationary_distortion(sigma, rho, RATE))
    if series in ("jd", "sa") and 0.0 < level < math.inf:
        return None
    return float(rt.stationary_distortion(sigma, rho, RATE, level, plf=series))


def compute(cfg: RunConfig) -> FigureData:
    """Lexicographic D_j of a T-frame stationary source (T = 8 quick, 16 full) per PLF and level,
    and the closed-form limits."""
    T = 8 if cfg.quick else 16
    sigma, rho = 1.0, 0.9
    src = rt.GaussMarkovSource.stationary(T=T, sigma=sigma, rho=rho)
    rates = [RATE] * T
    table = cc.new_table(T)
    frames = list(range(1, T + 1))
    for level in LEVELS:
        panel = f"P={level:g}"
        for series in SERIES:
            values, method = cc.lex_curve(src, [rates], level, series, cfg.jobs)
            cc.add_curve(table, panel=panel, series=series, plf=series, method=method,
                         objective=LEXICOGRAPHIC, representation="optimal", rate_rows=[rates],
                         level=level, xs=[0.0], values=values, frames=frames, quantity="D")
            limit = _limit(sigma, rho, level, series)
            if limit is not None:
                table.add(panel=panel, series=series, plf=series, method="closed_form",
                          objective=LEXICOGRAPHIC, representation="optimal", frame=0,
                          P=cc.perception_of(series, level), x=math.inf, quantity="D_limit",
                          value=limit, **{f"R_{j}": RATE for j in frames})
    title = f"Stationary limits: $D_j$ against $j$  [{source_caption(src)}, R = {RATE:g} bit/frame]"
    caption = ("Lexicographic D_j of every PLF; dashed: the closed-form T → ∞ limits "
               "(docs/theory.md §4.7; at P = 0 the JD and FMD limits coincide). SA at P > 0 has no "
               "closed-form limit: its exact lexicographic values converge geometrically. "
               "Constant-level JD equals 0-PLF-JD from frame 2 on (§4.8).")
    params = cc.base_params(src, cfg, rate=RATE, levels=list(LEVELS), objective=LEXICOGRAPHIC)
    return FigureData(table, params, title, caption)


def draw(data: FigureData) -> Figure:
    """One panel per level: D_j against j per series, each limit dashed in its series' colour."""
    t = data.table
    curves: dict[str, dict[str, np.ndarray]] = {}
    limits: dict[str, dict[str, float]] = {}
    frames: np.ndarray = np.empty(0)
    for level in LEVELS:
        panel = f"P={level:g}"
        curves[panel] = {}
        limits[panel] = {}
        for series in SERIES:
            frames = np.asarray(t.select("frame", panel=panel, series=series, quantity="D"), dtype=float)
            curves[panel][series] = t.array(panel=panel, series=series, quantity="D")
            lim = t.array(panel=panel, series=series, quantity="D_limit")
            if lim.size:
                limits[panel][series] = float(lim[0])
    reference = limits[f"P={LEVELS[0]:g}"][MSE]
    return plot_stationary_limits(frames, curves, limits, reference, title=data.title)


@styled
def plot_stationary_limits(
    frames: ArrayLike,
    curves: Mapping[str, Mapping[str, ArrayLike]],
    limits: Mapping[str, Mapping[str, float]],
    reference: float,
    *,
    xlabel: str = "frame $j$",
    ylabel: str = r"excess over the MSE limit, $D_j / e_\infty - 1$",
    title: str | None = None,
    axes: Sequence[Axes] | Axes | None = None,
) -> Figure:
    r"""Per-frame distortions against the frame index, one panel per perception level, drawn as
    the relative excess over ``reference`` (the MSE-only limit :math:`e_\infty`) on a log scale:
    geometric convergence is a straight line, a limit above :math:`e_\infty` a plateau.

    Parameters
    ----------
    frames : array_like, shape (T,)
        Frame indices (1-based).
    curves : mapping of str to mapping of str to array_like, shape (T,)
        ``panel title -> {series ("mse", "fmd", "jd", "sa") -> D_j}``.
    limits : mapping of str to mapping of str to float
        ``panel title -> {series -> its T -> inf limit}`` (series without one are left out);
        drawn dashed in the series' colour.
    reference : float
        :math:`e_\infty` (> 0), the MSE-only limit the excess is measured against.
    xlabel, ylabel, title : str, optional
    axes : Axes or sequence of Axes, optional
        Draw into these (one per panel) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(frames, dtype=float)
    p = make_panels(len(curves), axes, height=2.6, sharey=True)
    floor = 1e-7  # the excess of an exact limit is 0: clipped for the log scale
    for ax, (panel, family) in zip(p.axes, curves.items()):
        for series, y in family.items():
            st = plf_style(series)
            excess = np.maximum(np.asarray(y, dtype=float) / reference - 1.0, floor)
            ax.plot(x, excess, color=st.color, ls=st.linestyle, marker=st.marker, ms=3,
                    label=st.label)
            lim = limits.get(panel, {}).get(series)
            if lim is not None and lim / reference - 1.0 > floor:
                ax.axhline(lim / reference - 1.0, color=st.color, ls=(0, (4, 3)), lw=0.9,
                           alpha=0.8, label="_nolegend_")
        ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(panel.replace("P=", "P = "))
        ax.set_xlabel(xlabel)
        ax.set_xlim(float(x.min()), float(x.max()))
        ax.set_ylim(floor, None)
        ax.legend(loc="upper right", ncols=2)
    p.axes[0].set_ylabel(ylabel)
    if p.owned and title:
        p.figure.suptitle(title)
    return p.figure

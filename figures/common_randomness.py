"""The price of missing randomness against rate: one Gaussian frame with R_c bits of common
randomness (docs/theory.md §4.10).

Left: D against R at perfect realism for several common-randomness rates R_c, from none
(D = 2σ²2^{-2R}, twice the MSE) to unlimited (2σ²(1 - √(1 - 2^{-2R}))), with the MSE for
reference. Right: the price of having none, D(R, R_c = 0, P) / D(R, R_c = ∞, P), for several
perception levels P (W2²): it tends to 2 (3 dB) at high rate when P = 0, and to 1 for any P > 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

import rdp_theory as rt

from . import _compute as cc
from ._common import LEXICOGRAPHIC, FigureData, RunConfig, format_cell
from ._plot import make_panels, markevery
from ._style import DISTORTION_LABEL, MSE_STYLE, REFERENCE_COLOR, plf_style, shade, styled

__all__ = ["COMMON_RATES", "LEVELS", "METHOD", "PRICE_COLOR", "SUMMARY", "compute", "draw", "plot_common_randomness"]

SUMMARY = "one frame: D vs R for several common-randomness rates, and the price of none"
#: Common-randomness rates of the left panel (bits/sample).
COMMON_RATES = (0.0, 0.25, 1.0, math.inf)
#: Perception levels (W2^2) of the right panel.
LEVELS = (0.0, 0.001, 0.01, 0.1)
#: The CSV's ``method``: a closed form, :func:`rdp_theory.common_randomness_distortion` (the
#: common-randomness rate of a ``D`` row is in its ``series``, ``R_c=...``; a ``price`` row is
#: ``D(R_c = 0) / D(R_c = inf)`` at its ``P``).
METHOD = "closed_form:common_randomness"
#: Colour of the price curves (Okabe-Ito reddish purple: not a PLF colour, as they are ratios).
PRICE_COLOR = "#CC79A7"


def _label(name: str, value: float) -> str:
    return f"{name}={format_cell(value)}"


def compute(cfg: RunConfig) -> FigureData:
    """Closed forms only (:func:`rdp_theory.common_randomness_distortion`)."""
    src = rt.GaussMarkovSource.stationary(T=1, sigma=1.0)
    sigma = src.sigmas[0]
    grid = cc.grid(cfg.quick, np.linspace(0.0, 6.0, 61), (0.0, 0.5, 1.0, 2.0, 4.0, 6.0))
    table = cc.new_table(1)
    # one library call per point, so that the CSV equals a direct call bit for bit
    common = {"plf": "fmd", "method": METHOD, "objective": LEXICOGRAPHIC,
              "representation": "optimal", "frame": 1}
    for rc in COMMON_RATES:
        for r in grid:
            d = rt.common_randomness_distortion(sigma, r, rc, 0.0)
            table.add(panel="a", series=_label("R_c", rc), R_1=r, P=0.0, x=r, quantity="D",
                      value=float(d), **common)
    for r in grid:
        table.add(panel="a", series="mse", plf="mse", method="closed_form", objective=LEXICOGRAPHIC,
                  representation="optimal", frame=1, R_1=r, P=math.inf, x=r, quantity="D",
                  value=float(rt.mmse_distortions(src, (r,))[0]))
    for level in LEVELS:
        for r in grid:
            price = (rt.common_randomness_distortion(sigma, r, 0.0, level)
                     / rt.common_randomness_distortion(sigma, r, math.inf, level))
            table.add(panel="b", series=_label("P", level), R_1=r, P=level, x=r, quantity="price",
                      value=float(price), **common)
    title = f"Common randomness: the price of having none  [σ = {sigma:g}, one frame]"
    caption = ("Left: D against R at perfect realism for common-randomness rates R_c from none "
               "(twice the MSE) to unlimited. Right: D(R, R_c = 0, P) / D(R, R_c = inf, P): "
               "it tends to 2 (3 dB) at high rate when P = 0 and to 1 for every P > 0.")
    params = cc.base_params(src, cfg, rate_grid=grid, common_rates=list(COMMON_RATES),
                            perception_levels=list(LEVELS), perception_measure="W2^2 per sample",
                            formula="rdp_theory.common_randomness_distortion")
    return FigureData(table, params, title, caption)


def draw(data: FigureData) -> Figure:
    """Draw the table: the R_c family and the MSE (left), the price per level (right)."""
    t = data.table
    xs = np.asarray(t.select("x", panel="a", series="mse"), dtype=float)
    family = {s: t.array(panel="a", series=s)
              for s in dict.fromkeys(t.select("series", panel="a")) if s != "mse"}
    prices = {s: t.array(panel="b", series=s) for s in dict.fromkeys(t.select("series", panel="b"))}
    return plot_common_randomness(xs, family, prices, mse=t.array(panel="a", series="mse"),
                                  title=data.title)


@styled
def plot_common_randomness(
    rates: ArrayLike,
    distortions: Mapping[str, ArrayLike],
    prices: Mapping[str, ArrayLike],
    *,
    mse: ArrayLike | None = None,
    title: str | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Distortion against rate for several common-randomness rates, and the price of none.

    Parameters
    ----------
    rates : array_like, shape (n,)
        Rate R (bits/sample).
    distortions : mapping of str to array_like, shape (n,)
        Curve label (e.g. ``"R_c=0.25"``) -> D at perfect realism; drawn in shades, darkest first.
    prices : mapping of str to array_like, shape (n,)
        Curve label (e.g. ``"P=0.01"``) -> D(R_c = 0) / D(R_c = inf).
    mse : array_like, shape (n,), optional
        The MSE-only distortion, drawn dotted for reference.
    title : str, optional
        Figure title.
    axes : sequence of two Axes, optional
        Draw into these instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(rates, dtype=float)
    p = make_panels(2, axes, height=2.6)
    base = plf_style("fmd")
    me = markevery(x.size)
    left, right = p.axes
    for k, (lab, y) in enumerate(distortions.items()):
        left.plot(x, np.asarray(y, dtype=float), color=shade(base.color, 0.65 * k / max(len(distortions) - 1, 1)),
                  ls=base.linestyle, marker=base.marker, markevery=me, label=lab.replace("R_c", "$R_c$"))
    if mse is not None:
        left.plot(x, np.asarray(mse, dtype=float), color=MSE_STYLE.color, ls=MSE_STYLE.linestyle,
                  label="MSE only")
    left.set_title("perfect realism (P = 0)")
    left.set_xlabel("rate $R$ (bits/sample)")
    left.set_ylabel(DISTORTION_LABEL.replace("_j", ""))
    left.set_yscale("log")  # the curves differ by a factor up to 2: equal gaps on a log axis
    left.legend(loc="lower left")
    for k, (lab, y) in enumerate(prices.items()):
        right.plot(x, np.asarray(y, dtype=float), color=shade(PRICE_COLOR, 0.65 * k / max(len(prices) - 1, 1)),
                   marker="o", markevery=me, label=lab)
    right.axhline(2.0, color=REFERENCE_COLOR, ls=(0, (5, 3)), lw=1.0, label="_nolegend_")
    right.axhline(1.0, color=REFERENCE_COLOR, ls=":", lw=0.8, label="_nolegend_")
    right.set_title("price of no common randomness")
    right.set_xlabel("rate $R$ (bits/sample)")
    right.set_ylabel("$D(R, 0, P)\\,/\\,D(R, \\infty, P)$")
    right.set_ylim(0.9, 2.1)
    right.legend(loc="center right")  # between the P = 0 curve (near 2) and the others (near 1)
    if p.owned and title:
        p.figure.suptitle(title)
    return p.figure

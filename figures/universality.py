"""Figure 5: universality of the MSE representation.

For each PLF at P = 0.05, the jointly optimal D_1 + D_2 + D_3 against the greedy MSE
representation with a re-optimised decoder (left), and their measured gap relative to the accuracy
to which the two solves are certified (right). The theorem of docs/theory.md section 6(e) says the
gap is exactly 0 for every PLF and objective, so every measured gap must lie below that accuracy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike, NDArray

import rdp_theory as rt
from rdp_theory.convex import ACCURACY
from rdp_theory.perception import PLF_NAMES

from . import _compute as cc
from ._common import DEFAULT_SOURCE, FigureData, RunConfig, source_caption
from ._plot import make_panels
from ._style import REFERENCE_COLOR, plf_style, styled

__all__ = ["SUMMARY", "UNIVERSALITY_P", "UNIVERSALITY_WEIGHTS", "compute", "draw",
           "gap_ratio", "objective_accuracy", "plot_universality"]

SUMMARY = "joint optimum vs MSE representation + best decoder, gap vs certified accuracy"
UNIVERSALITY_P = 0.05
UNIVERSALITY_WEIGHTS = (1.0, 1.0, 1.0)
REPRESENTATIONS = ("optimal", "mse")


def objective_accuracy(certificate: rt.Certificate, weights: ArrayLike,
                       max_variance: float) -> float:
    """The accuracy to which one solve certifies its objective ``w @ D`` (variance units).

    Every distortion of a solve returned without a :class:`rdp_theory.SolverWarning` is
    certified to ``ACCURACY * max_variance`` (``rdp_theory.convex.ACCURACY`` = 1e-7, relative to
    the largest frame variance), so the objective to ``sum |w_k|`` times that; a solve whose own
    certificate is looser (its duality gap, or ``sum |w_k|`` times its primal residual) is
    certified only to that.

    Parameters
    ----------
    certificate : rdp_theory.Certificate
        ``sol.certificate`` of the solve.
    weights : array_like, shape (T,)
        The objective's weights.
    max_variance : float
        The source's largest frame variance.

    Returns
    -------
    float
    """
    wsum = float(np.sum(np.abs(np.asarray(weights, dtype=float))))
    return max(ACCURACY * float(max_variance) * wsum, float(certificate.duality_gap),
               wsum * float(certificate.primal_residual))


def gap_ratio(gap: ArrayLike, tolerance: ArrayLike) -> NDArray[np.float64]:
    """``|gap| / tolerance``: below 1, a measured gap is within the certified accuracy (zero)."""
    return np.abs(np.asarray(gap, dtype=float)) / np.asarray(tolerance, dtype=float)


def compute(cfg: RunConfig) -> FigureData:
    """Weighted distortion of the joint optimum and of the MSE representation, their gap, the
    certified accuracy of that gap (sum of both solves' :func:`objective_accuracy`) and the
    ratio of the two."""
    src = DEFAULT_SOURCE
    grid = cc.grid(cfg.quick, np.linspace(0.25, 3.0, 12), (0.5, 2.0))
    rate_rows = [(R,) * src.T for R in grid]
    w = np.asarray(UNIVERSALITY_WEIGHTS)
    max_var = float(np.max(src.variances))
    table = cc.new_table(src.T)
    common: dict[str, Any] = dict(plf="", method="sdp", objective=UNIVERSALITY_WEIGHTS,
                                  rate_rows=rate_rows, level=UNIVERSALITY_P, xs=grid, frames=[0])
    for plf in PLF_NAMES:
        common["plf"] = plf
        res, tol = {}, np.zeros(len(grid))
        for rep in REPRESENTATIONS:
            specs = [cc.PointSpec(src, r, UNIVERSALITY_P, plf, UNIVERSALITY_WEIGHTS, rep)
                     for r in rate_rows]
            sols = cc.solve_points(specs, cfg.jobs)
            res[rep] = np.asarray([w @ s.distortions for s in sols])
            tol += [np.nan if s.certificate is None
                    else objective_accuracy(s.certificate, w, max_var) for s in sols]
            cc.add_curve(table, panel="a", series=f"{plf}:{rep}", representation=rep,
                         values=res[rep][:, None], quantity="weighted_D", **common)
        gap = res["mse"] - res["optimal"]
        for series, quantity, values in (("gap", "gap", gap), ("tolerance", "gap_tolerance", tol),
                                         ("gap_ratio", "gap_ratio", gap_ratio(gap, tol))):
            cc.add_curve(table, panel="b", series=f"{plf}:{series}",
                         representation="mse-optimal", values=values[:, None],
                         quantity=quantity, **common)
    title = (f"Universality of the MSE representation  [{source_caption(src)}, "
             f"P = {UNIVERSALITY_P:g}, $R_j = R$, min $D_1 + D_2 + D_3$]")
    ratios = np.asarray(table.select("value", quantity="gap_ratio"), dtype=float)
    taus = np.asarray(table.select("value", quantity="gap_tolerance"), dtype=float)
    tau = 2 * ACCURACY * max_var * float(np.sum(np.abs(w)))  # both solves certified
    tau_text = (f"τ = {tau:.0e} at every point" if np.all(taus == tau)
                else f"τ from {np.nanmin(taus):.1e} to {np.nanmax(taus):.1e}, widened by looser "
                     "certificates")
    within = (f"Every point lies below 1 (largest {np.nanmax(ratios):.1e}): within the certified "
              "accuracy, i.e. solver round-off, of both signs (open markers: negative, "
              "impossible in exact arithmetic)." if np.nanmax(ratios) < 1 else
              f"{int(np.sum(ratios >= 1))} point(s) lie above 1: a gap beyond the certified "
              "accuracy, which contradicts the theorem (a solver defect).")
    exact = [plf.upper() for plf in PLF_NAMES
             if np.all(np.asarray(table.select("value", series=f"{plf}:gap")) == 0.0)]
    zeros = (f" The {', '.join(exact)} gaps are exactly 0 (both solves take the library's exact "
             "route) and sit on the axis." if exact else "")
    caption = ("Left: for each PLF, the jointly optimal total distortion D_1 + D_2 + D_3 (line) "
               "and the one reached by the greedy MSE representation with a re-optimised decoder "
               "(open markers). Right: the theorem (docs/theory.md §6e) says their gap is exactly "
               "0 for every PLF and objective; drawn is the measured |gap| divided by the "
               "accuracy τ to which the two solves certify their objectives "
               f"({ACCURACY:g} σ²_max per unit weight each, the certified accuracy of every "
               f"solve returned without a warning; {tau_text}). " + within + zeros +
               " Markers are offset slightly in R so that coincident points stay visible.")
    params = cc.base_params(src, cfg, rate_grid=grid, perception=UNIVERSALITY_P,
                            objective=list(UNIVERSALITY_WEIGHTS),
                            quantity="weighted_D = sum_k w_k D_k; gap = mse - optimal; "
                                     "gap_tolerance = sum over both solves of max(ACCURACY * "
                                     "max sigma^2 * sum|w|, duality_gap, sum|w| * "
                                     "primal_residual); gap_ratio = |gap| / gap_tolerance",
                            accuracy=ACCURACY)
    return FigureData(table, params, title, caption)


def draw(data: FigureData) -> Figure:
    """Draw the table: distortions (left) and gaps relative to their tolerance (right) per PLF."""
    t = data.table
    xs = np.asarray(t.select("x", series=f"{PLF_NAMES[0]}:optimal"), dtype=float)
    return plot_universality(
        xs,
        {p: t.array(series=f"{p}:optimal") for p in PLF_NAMES},
        {p: t.array(series=f"{p}:mse") for p in PLF_NAMES},
        {p: t.array(series=f"{p}:gap") for p in PLF_NAMES},
        {p: t.array(series=f"{p}:tolerance") for p in PLF_NAMES},
        ylabel="total distortion $D_1 + D_2 + D_3$ (MSE)",
        title=data.title,
    )


@styled
def plot_universality(
    rates: ArrayLike,
    optimal: Mapping[str, ArrayLike],
    mse_representation: Mapping[str, ArrayLike],
    gap: Mapping[str, ArrayLike],
    tolerance: Mapping[str, ArrayLike] | ArrayLike,
    *,
    ylabel: str = "distortion $D_3$ (MSE)",
    xlabel: str = "rate per frame $R$ (bits/sample)",
    dodge: float | None = None,
    title: str | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Optimal distortion next to the MSE-representation distortion (left), and their gap
    relative to its certified accuracy, ``|gap| / tolerance`` on a log axis (right), with the
    line 1 (the certified accuracy) drawn: a point below it is a gap of zero within accuracy.

    Parameters
    ----------
    rates : array_like, shape (n,)
        Abscissa (bits/sample).
    optimal, mse_representation, gap : mapping of str to array_like, shape (n,)
        PLF key -> jointly optimal distortion, distortion of the MSE (greedy) representation with
        its best decoder, and their difference (signed: a negative gap, impossible in exact
        arithmetic, is drawn with an open marker).
    tolerance : mapping of str to array_like, or array_like
        The certified accuracy of each gap (e.g. the sum of both solves'
        :func:`objective_accuracy`): per PLF, or one value or array for all.
    ylabel, xlabel, title : str, optional
        Text.
    dodge : float, optional
        Horizontal offset between the PLFs' markers in the right panel (default: 1.5% of the
        rate range), so that coincident points stay visible.
    axes : (Axes, Axes), optional
        Draw into these (distortions, gap ratios) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(rates, dtype=float)
    p = make_panels(2, axes, height=2.6)
    ax_d, ax_g = p.axes
    for plf in optimal:
        st = plf_style(plf)
        ax_d.plot(x, np.asarray(optimal[plf], dtype=float), color=st.color, ls=st.linestyle,
                  label=st.label)
        ax_d.plot(x, np.asarray(mse_representation[plf], dtype=float), color=st.color, ls="none",
                  marker=st.marker, mfc="white", mew=1.0, ms=4.5, label="_nolegend_")
    ax_d.set_xlabel(xlabel)
    ax_d.set_ylabel(ylabel)
    ax_d.set_ylim(bottom=0.0)
    ax_d.set_title("line: joint optimum; open marker: MSE repr.")

    def tol_of(plf: str) -> NDArray[np.float64]:
        tol = tolerance[plf] if isinstance(tolerance, Mapping) else tolerance
        return np.broadcast_to(np.asarray(tol, dtype=float), x.shape)

    signed = {plf: np.asarray(gap[plf], dtype=float) for plf in gap}
    ratio = {plf: gap_ratio(signed[plf], tol_of(plf)) for plf in gap}
    nonzero = np.concatenate([r[np.isfinite(r) & (r > 0)] for r in ratio.values()])
    top_ratio = float(nonzero.max()) if nonzero.size else 1.0
    bottom = 10.0 ** (np.floor(np.log10(nonzero.min())) - 1) if nonzero.size else 1e-12
    top = 10.0 ** max(3.0, np.ceil(np.log10(top_ratio)) + 2)
    ax_g.set_yscale("log")
    ax_g.set_ylim(bottom, top)
    span = float(np.ptp(x)) if x.size > 1 else 1.0
    step = 0.015 * span if dodge is None else dodge
    n = len(ratio)
    for k, plf in enumerate(ratio):
        st = plf_style(plf)
        xk = x + (k - (n - 1) / 2) * step
        r, g = ratio[plf], signed[plf]
        # positive gaps filled, negative ones open, exact zeros on the axis (an empty line
        # would still claim a bounding box at the origin, so only non-empty sets are drawn)
        for mask, y, face in ((g > 0, r, st.color), (g < 0, r, "white"),
                              (g == 0, np.full(x.shape, bottom), st.color)):
            if np.any(mask):
                ax_g.plot(xk[mask], y[mask], ls="none", marker=st.marker, color=st.color,
                          mfc=face, mew=1.0, ms=4.5, clip_on=False, zorder=4,
                          label="_nolegend_")
    ax_g.axhspan(1.0, top, color="#C44E52", alpha=0.07, lw=0)
    ax_g.axhline(1.0, color=REFERENCE_COLOR, lw=1.0, ls=(0, (5, 3)))
    taus = np.unique(np.concatenate([tol_of(plf) for plf in ratio]))
    tau_label = ("certified accuracy τ" if taus.size != 1
                 else f"certified accuracy τ = {_format_tau(float(taus[0]))}")
    notes = [
        ax_g.annotate(tau_label, (0.02, 1.0), xycoords=("axes fraction", "data"),
                      xytext=(0, -3), textcoords="offset points", fontsize=6.5, color="#404040",
                      va="top"),
        ax_g.annotate("above τ: a real gap" + (" (none)" if top_ratio < 1 else ""),
                      (0.02, np.sqrt(top)), xycoords=("axes fraction", "data"), fontsize=6.5,
                      color="#8B2E31", va="center"),
    ]
    if any(np.any(g == 0) for g in signed.values()):
        notes.append(ax_g.annotate("gap exactly 0 (on the axis)", (0.02, bottom),
                                   xycoords=("axes fraction", "data"), xytext=(0, 5),
                                   textcoords="offset points", fontsize=6.5, color="#404040",
                                   va="bottom"))
    for note in notes:  # inside the axes; kept out of the layout computation
        note.set_in_layout(False)
    sign_handles = [Line2D([], [], ls="none", marker="o", color="#404040", ms=4.5),
                    Line2D([], [], ls="none", marker="o", color="#404040", mfc="white", ms=4.5)]
    ax_g.legend(sign_handles, ["gap > 0", "gap < 0 (round-off)"], loc="center right",
                fontsize=6.5, handletextpad=0.2, borderaxespad=0.3)
    ax_g.set_xlabel(xlabel)
    ax_g.set_ylabel("|gap| / certified accuracy τ")
    ax_g.set_title("theorem (§6e): gap = 0; measured |gap| / τ")
    handles: list[Artist] = [
        Line2D([], [], color=plf_style(plf).color, ls=plf_style(plf).linestyle,
               marker=plf_style(plf).marker, mfc="white", mew=1.0, ms=4.5)
        for plf in optimal
    ]
    return p.finish(title, handles, [plf_style(plf).label for plf in optimal])


def _format_tau(value: float) -> str:
    """``6e-07`` as mathtext ``6 x 10^-7`` (for the label of the tolerance line)."""
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"${mantissa} \\times 10^{{{int(exponent)}}}$"

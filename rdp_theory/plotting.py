r"""Publication-style plots of rate-distortion-perception data (needs matplotlib, the ``plot`` extra).

This module is *not* imported by :mod:`rdp_theory` itself, so importing the library never imports
matplotlib. Every function here only draws: it takes arrays or dicts of numbers that were computed
elsewhere (by the library, see ``figures/`` and ``paper_repro.py``) and returns a
:class:`matplotlib.figure.Figure`. Nothing in this module evaluates a bound.

Style
-----
Each perception loss function (PLF) has one fixed colour, line style and marker in every figure
(:data:`PLF_STYLES`; Okabe-Ito colour-blind-safe palette). Axes carry units, legends sit outside
the data area (below the panels), layouts use ``constrained_layout`` and sizes are in real inches
(:data:`COLUMN_WIDTH`, :data:`PAGE_WIDTH`) with 8 pt text, so figures stay legible when placed at
column width without rescaling.

Examples
--------
>>> import numpy as np
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from rdp_theory.plotting import plot_rate_distortion
>>> r = np.linspace(0.0, 2.0, 5)
>>> fig = plot_rate_distortion(r, {"mse": np.exp2(-2 * r)[:, None]}, frames=[1])
>>> type(fig).__name__
'Figure'
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, cast

import matplotlib as mpl
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "COLUMN_WIDTH",
    "DISTORTION_LABEL",
    "PAGE_WIDTH",
    "PERCEPTION_LABEL",
    "PLF_STYLES",
    "RATE_LABEL",
    "PLFStyle",
    "plf_style",
    "plot_distortion_perception",
    "plot_error_permanence",
    "plot_learned_overlay",
    "plot_operational_region",
    "plot_pareto",
    "plot_rate_distortion",
    "plot_temporal_correlation",
    "plot_universality",
    "shade",
    "style_context",
]

FloatArray = NDArray[np.float64]

#: Width of one column of a two-column paper, inches.
COLUMN_WIDTH: float = 3.4
#: Width of a full page (both columns), inches.
PAGE_WIDTH: float = 7.0

RATE_LABEL = "rate $R_j$ (bits/sample)"
DISTORTION_LABEL = "distortion $D_j$ (MSE)"
PERCEPTION_LABEL = "perception $P$ (W$_2^2$)"


@dataclass(frozen=True)
class PLFStyle:
    """How one perception loss function is drawn, identical in every figure.

    Attributes
    ----------
    label : str
        Legend text.
    color : str
        Matplotlib colour (hex).
    linestyle : str
        Matplotlib line style.
    marker : str
        Matplotlib marker.
    """

    label: str
    color: str
    linestyle: str
    marker: str

    def kwargs(self) -> dict[str, object]:
        """Keyword arguments for :meth:`matplotlib.axes.Axes.plot`."""
        return {
            "color": self.color,
            "linestyle": self.linestyle,
            "marker": self.marker,
            "label": self.label,
        }


#: Fixed style per PLF key (``"jd"``, ``"fmd"``, ``"sa"``, ``"mse"``).
PLF_STYLES: Mapping[str, PLFStyle] = {
    "jd": PLFStyle("PLF-JD", "#0072B2", "-", "o"),
    "fmd": PLFStyle("PLF-FMD", "#D55E00", "--", "s"),
    "sa": PLFStyle("PLF-SA", "#009E73", "-.", "^"),
    "mse": PLFStyle("MSE only", "#404040", ":", "D"),
}

#: Colour of reference lines (asymptotes, source correlation), never used for a PLF.
REFERENCE_COLOR = "#7F7F7F"

_RC: dict[str, object] = {
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "figure.titlesize": 8.5,
    "lines.linewidth": 1.3,
    "lines.markersize": 3.5,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "savefig.dpi": 200,
    "figure.dpi": 100,
    "pdf.fonttype": 42,
    "mathtext.default": "regular",
}


def plf_style(plf: str) -> PLFStyle:
    """The fixed :class:`PLFStyle` of ``plf``.

    Parameters
    ----------
    plf : {"jd", "fmd", "sa", "mse"}
        PLF key (case-insensitive).

    Returns
    -------
    PLFStyle

    Raises
    ------
    ValueError
        For an unknown key; the message lists the valid ones.
    """
    key = str(plf).lower()
    if key not in PLF_STYLES:
        raise ValueError(f"plf must be one of {sorted(PLF_STYLES)}, got {plf!r}")
    return PLF_STYLES[key]


@contextlib.contextmanager
def style_context() -> Iterator[None]:
    """Context manager applying the package's rc parameters (font sizes, grid, spines)."""
    with mpl.rc_context(cast(Any, _RC)):
        yield


def shade(color: str, amount: float) -> tuple[float, float, float]:
    """Mix ``color`` with white: ``amount = 0`` keeps it, ``amount = 1`` gives white.

    Parameters
    ----------
    color : str
        Any matplotlib colour.
    amount : float
        Fraction of white in ``[0, 1]``.

    Returns
    -------
    tuple of float
        RGB triple.
    """
    rgb = np.asarray(to_rgb(color))
    mixed = rgb + (1.0 - rgb) * float(np.clip(amount, 0.0, 1.0))
    return (float(mixed[0]), float(mixed[1]), float(mixed[2]))


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _styled(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a plot function inside :func:`style_context` (rc values are read when artists are made)."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with style_context():
            return func(*args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------------- helpers
def _new_figure(ncols: int, *, width: float | None = None, height: float = 2.3,
                nrows: int = 1, sharey: bool = False) -> tuple[Figure, list[Axes]]:
    if width is None:
        width = COLUMN_WIDTH if ncols == 1 else PAGE_WIDTH
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharey=sharey, squeeze=False)
    return fig, [ax for row in axes for ax in row]


def _legend_below(fig: Figure, handles: Sequence[Artist] | None = None,
                  labels: Sequence[str] | None = None, ncols: int | None = None) -> None:
    """One legend for the whole figure, outside and below the panels (never over data)."""
    if handles is None or labels is None:
        seen: dict[str, Artist] = {}
        for ax in fig.axes:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if not lab.startswith("_") and lab not in seen:
                    seen[lab] = h
        labels = list(seen)
        handles = list(seen.values())
    if not labels:
        return
    n = ncols if ncols is not None else min(len(labels), 4)
    fig.legend(handles, labels, loc="outside lower center", ncols=n)


def _as_2d(values: ArrayLike) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    return arr[:, None] if arr.ndim == 1 else arr


def _suptitle(fig: Figure, title: str | None) -> None:
    if title:
        fig.suptitle(title)


def _plot_plf(ax: Axes, x: ArrayLike, y: ArrayLike, plf: str, *, label: bool | str = True,
              markevery: int | None = None, **overrides: object) -> None:
    kw = plf_style(plf).kwargs()
    if isinstance(label, str):
        kw["label"] = label
    elif not label:
        kw["label"] = "_nolegend_"
    if markevery is not None:
        kw["markevery"] = markevery
    kw.update(overrides)
    ax.plot(np.asarray(x, dtype=float), np.asarray(y, dtype=float), **kw)  # type: ignore[arg-type]


def _markevery(n: int) -> int:
    return max(1, math.ceil(n / 8))


# ---------------------------------------------------------------------------------- figures
@_styled
def plot_rate_distortion(
    rates: ArrayLike,
    curves: Mapping[str, ArrayLike],
    *,
    frames: Sequence[int],
    xlabel: str = RATE_LABEL,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
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

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(rates, dtype=float)
    fig, axes = _new_figure(len(frames), height=2.4, sharey=True)
    me = _markevery(x.size)
    ymax = 0.0
    for col, (ax, frame) in enumerate(zip(axes, frames)):
        for plf, values in curves.items():
            y = _as_2d(values)[:, col]
            ymax = max(ymax, float(np.nanmax(y)))
            text = labels[plf] if labels and plf in labels else plf_style(plf).label
            _plot_plf(ax, x, y, plf, markevery=me, label=text if col == 0 else "_nolegend_")
        ax.set_title(f"frame {frame}")
        ax.set_xlabel(xlabel.replace("_j", f"_{frame}"))
        if col == 0:
            ax.set_ylabel(DISTORTION_LABEL)
        ax.set_xlim(float(x.min()), float(x.max()))
    axes[0].set_ylim(0.0, 1.05 * ymax)
    _suptitle(fig, title)
    _legend_below(fig)
    return fig


@_styled
def plot_error_permanence(
    rates: ArrayLike,
    curves: Mapping[str, Mapping[str, ArrayLike]],
    asymptote: float,
    *,
    xlabel: str = "rate $R_2$ (bits/sample)",
    ylabel: str = "distortion $D_2$ (MSE)",
    asymptote_label: str = r"$2\sigma^2(1-\sqrt{1-\rho^2})$",
    title: str | None = None,
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

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(rates, dtype=float)
    fig, axes = _new_figure(len(curves), height=2.5, sharey=True)
    ymax = float(asymptote)
    for ax, (plf, family) in zip(axes, curves.items()):
        st = plf_style(plf)
        n = len(family)
        for k, (lab, y) in enumerate(family.items()):
            yy = np.asarray(y, dtype=float)
            ymax = max(ymax, float(np.nanmax(yy)))
            ax.plot(x, yy, color=shade(st.color, 0.62 * k / max(n - 1, 1)), ls=st.linestyle,
                    marker=st.marker, markevery=_markevery(x.size), label=lab)
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
    axes[0].set_ylabel(ylabel)
    axes[0].set_ylim(0.0, 1.3 * ymax)
    _suptitle(fig, title)
    return fig


@_styled
def plot_temporal_correlation(
    rates: ArrayLike,
    correlations: Mapping[str, ArrayLike],
    source_rho: float | Sequence[float],
    *,
    pairs: Sequence[tuple[int, int]],
    xlabel: str = "rate per frame $R$ (bits/sample)",
    title: str | None = None,
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

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(rates, dtype=float)
    rhos = np.broadcast_to(np.asarray(source_rho, dtype=float), (len(pairs),))
    fig, axes = _new_figure(len(pairs), height=2.4, sharey=True)
    me = _markevery(x.size)
    lo = 1.0
    for col, (ax, (j, k)) in enumerate(zip(axes, pairs)):
        for plf, values in correlations.items():
            y = _as_2d(values)[:, col]
            lo = min(lo, float(np.nanmin(y)))
            _plot_plf(ax, x, y, plf, label=col == 0, markevery=me)
        ax.axhline(rhos[col], color=REFERENCE_COLOR, ls=(0, (4, 3)), lw=1.0, zorder=5,
                   label=r"source $\rho$" if col == 0 else "_nolegend_")
        ax.set_title(rf"corr($\hat X_{j}$, $\hat X_{k}$)")
        ax.set_xlabel(xlabel)
        ax.set_xlim(float(x.min()), float(x.max()))
    axes[0].set_ylabel("correlation of reconstructions")
    axes[0].set_ylim(min(lo, float(rhos.min())) - 0.05, 1.0)
    _suptitle(fig, title)
    _legend_below(fig, ncols=5)
    return fig


@_styled
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

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(rates, dtype=float)
    fig, (ax_d, ax_g) = _new_figure(2, height=2.5)
    me = _markevery(x.size)
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
    _suptitle(fig, title)
    _legend_below(fig)
    return fig


@_styled
def plot_distortion_perception(
    perception: ArrayLike,
    panels: Mapping[str, Mapping[str, ArrayLike]],
    mse_limits: Mapping[str, float],
    *,
    ylabel: str = "distortion $D_3$ (MSE)",
    linthresh: float = 1e-3,
    title: str | None = None,
) -> Figure:
    """Distortion against the perception level, one panel per rate tuple.

    The abscissa is symmetric-log (linear below ``linthresh``) so that ``P = 0`` is shown next to
    several decades of positive ``P``; the unconstrained value (``P = inf``) is the dotted MSE-only
    line.

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

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(perception, dtype=float)
    fig, axes = _new_figure(len(panels), height=2.5)
    for col, (ax, (name, curves)) in enumerate(zip(axes, panels.items())):
        for plf, y in curves.items():
            _plot_plf(ax, x, y, plf, label=col == 0)
        mse = plf_style("mse")
        ax.axhline(mse_limits[name], color=mse.color, ls=mse.linestyle,
                   label="MSE only ($P=\\infty$)" if col == 0 else "_nolegend_")
        ax.set_xscale("symlog", linthresh=linthresh, linscale=0.5)
        ax.set_xlim(0.0, float(x.max()))
        ax.set_ylim(bottom=0.0)
        ax.set_title(name)
        ax.set_xlabel(PERCEPTION_LABEL + ", same for every frame")
        if col == 0:
            ax.set_ylabel(ylabel)
    _suptitle(fig, title)
    _legend_below(fig)
    return fig


@_styled
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

    Returns
    -------
    matplotlib.figure.Figure
    """
    st = plf_style("jd")
    fig, (ax_f, ax_r) = _new_figure(2, height=2.6)
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
    me = _markevery(x.size)
    ax_r.plot(x, np.asarray(lexicographic, dtype=float), color=st.color, ls=st.linestyle,
              marker=st.marker, markevery=me, label="lexicographic (min $D_1$, then $D_2$, $D_3$)")
    ax_r.plot(x, np.asarray(min_last, dtype=float), color=shade(st.color, 0.45), ls=(0, (4, 1.5)),
              marker="v", markevery=me, label="min $D_3$ alone")
    ax_r.set_xlabel(rate_label)
    ax_r.set_ylabel(last_label)
    ax_r.set_title(rate_title)
    ax_r.set_xlim(float(x.min()), float(x.max()))
    _suptitle(fig, title)
    _legend_below(fig, ncols=2)
    return fig


@_styled
def plot_operational_region(
    rates: ArrayLike,
    operational: ArrayLike,
    curves: Mapping[str, ArrayLike],
    *,
    frames: Sequence[int],
    title: str | None = None,
) -> Figure:
    """Information curves and the one-shot operational curves (the same distortions at the
    operational rates), one panel per frame; the operational region lies between them.

    Parameters
    ----------
    rates : array_like, shape (n,)
        Information rate per frame (bits/sample).
    operational : array_like, shape (n,)
        The matching one-shot operational rates (``R + log2(R + 1) + 5``).
    curves : mapping of str to array_like, shape (n, len(frames))
        PLF key -> distortion per plotted frame.
    frames : sequence of int
        1-based frame numbers, one panel each.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(rates, dtype=float)
    xo = np.asarray(operational, dtype=float)
    fig, axes = _new_figure(len(frames), height=2.5, sharey=True)
    me = _markevery(x.size)
    for col, (ax, frame) in enumerate(zip(axes, frames)):
        for plf, values in curves.items():
            y = _as_2d(values)[:, col]
            st = plf_style(plf)
            _plot_plf(ax, x, y, plf, label=col == 0, markevery=me)
            ax.plot(xo, y, color=st.color, ls=st.linestyle, lw=1.0, alpha=0.45,
                    marker=st.marker, mfc="white", markevery=me, label="_nolegend_")
        ax.set_title(f"frame {frame}")
        ax.set_xlabel(f"rate $R_{frame}$ (bits/sample)")
        ax.set_xlim(0.0, float(xo.max()))
        ax.set_ylim(bottom=0.0)
        if col == 0:
            ax.set_ylabel(DISTORTION_LABEL)
    handles: list[Artist] = []
    labels: list[str] = []
    for plf in curves:
        st = plf_style(plf)
        handles.append(Line2D([], [], color=st.color, ls=st.linestyle, marker=st.marker))
        labels.append(st.label)
    handles.append(Line2D([], [], color="black", lw=1.3))
    labels.append("information (solid)")
    handles.append(Line2D([], [], color="black", lw=1.0, alpha=0.45, marker="o", mfc="white"))
    labels.append("one-shot: $R + \\log_2(R+1) + 5$ (faded)")
    _suptitle(fig, title)
    _legend_below(fig, handles, labels, ncols=3)
    return fig


@_styled
def plot_learned_overlay(
    rates: ArrayLike,
    bounds: Mapping[str, ArrayLike],
    points: Sequence[Mapping[str, object]],
    *,
    frames: Sequence[int],
    title: str | None = None,
) -> Figure:
    """Empirical (learned-codec) points over the theoretical bounds, one panel per frame.

    Parameters
    ----------
    rates : array_like, shape (n,)
        Rate grid of the bounds (bits/sample).
    bounds : mapping of str to array_like, shape (n, len(frames))
        PLF key -> bound per plotted frame.
    points : sequence of mapping
        Each with keys ``"frame"`` (int), ``"rate"``, ``"distortion"`` (float), ``"plf"`` (a PLF
        key or anything else, drawn in black) and ``"variant"`` (str; ``"end_to_end"``-like
        variants are drawn with open markers).
    frames : sequence of int
        1-based frame numbers, one panel each.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(rates, dtype=float)
    fig, axes = _new_figure(len(frames), height=2.5, sharey=True)
    xmax = float(x.max())
    variants_seen: dict[bool, str] = {}
    for col, (ax, frame) in enumerate(zip(axes, frames)):
        for plf, values in bounds.items():
            # bounds as plain lines: markers are reserved for the empirical points
            _plot_plf(ax, x, _as_2d(values)[:, col], plf, label=col == 0, alpha=0.8, lw=1.1,
                      marker="")
        for pt in points:
            if int(pt["frame"]) != int(frame):  # type: ignore[call-overload]
                continue
            key = str(pt.get("plf", "")).lower()
            st = PLF_STYLES.get(key)
            color = st.color if st else "black"
            marker = st.marker if st else "x"
            variant = str(pt.get("variant", ""))
            hollow = "end" in variant.lower() or "e2e" in variant.lower()
            variants_seen.setdefault(hollow, variant or "learned")
            r = float(pt["rate"])  # type: ignore[arg-type]
            xmax = max(xmax, r)
            ax.plot([r], [float(pt["distortion"])],  # type: ignore[arg-type]
                    ls="none", marker=marker, ms=5.5, color=color,
                    mfc="white" if hollow else color, mec=color, mew=1.1, zorder=4,
                    label="_nolegend_")
        ax.set_title(f"frame {frame}")
        ax.set_xlabel(f"rate $R_{frame}$ (bits/sample)")
        ax.set_ylim(bottom=0.0)
        ax.set_xlim(0.0, 1.05 * xmax)
        if col == 0:
            ax.set_ylabel(DISTORTION_LABEL)
    handles: list[Artist] = []
    labels: list[str] = []
    for plf in bounds:
        st = plf_style(plf)
        handles.append(Line2D([], [], color=st.color, ls=st.linestyle))
        labels.append(f"bound {st.label}")
    for hollow, name in sorted(variants_seen.items()):
        handles.append(Line2D([], [], ls="none", marker="o", ms=5.5, color="black",
                              mfc="white" if hollow else "black"))
        labels.append(f"learned: {name}")
    _suptitle(fig, title)
    _legend_below(fig, handles, labels, ncols=4)
    return fig

"""Figure 9: learned-codec points over the bounds (drawn only when learned results exist).

Empirical (rate, distortion) points of the learned codec (filled: frozen MSE encoder; open: end
to end) over the information bounds at equal per-frame rates; a point below its bound would be a
bug. ``compute`` returns ``None`` without results, and ``paper_repro.py`` skips the figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike

from . import _compute as cc
from ._common import DEFAULT_SOURCE, LEXICOGRAPHIC, FigureData, RunConfig, source_caption
from ._plot import as_2d, make_panels, plot_plf
from ._style import DISTORTION_LABEL, MSE, PLF_STYLES, plf_style, styled
from .learned_results import find_results, read_points

__all__ = ["BOUNDS", "SUMMARY", "compute", "draw", "plot_learned_overlay"]

SUMMARY = "learned-codec points over the bounds (if results exist)"
#: The bounds drawn under the points.
BOUNDS = ("jd", "fmd", MSE)


def compute(cfg: RunConfig) -> FigureData | None:
    """The bounds on a rate grid covering the points, and the points; ``None`` without results."""
    files = find_results(cfg.learned_dir)
    if not files:
        return None
    points, src = read_points(files, default_source=DEFAULT_SOURCE)
    if not points:
        return None
    frames = sorted({p.frame for p in points if 1 <= p.frame <= src.T})
    rmax = max(max(p.rate for p in points), 1.0)
    grid = [float(x) for x in np.linspace(0.0, 1.1 * rmax, 9 if cfg.quick else 45)]
    rate_rows = [(R,) * src.T for R in grid]
    table = cc.new_table(src.T)
    for plf in BOUNDS:
        vals, method = cc.lex_curve(src, rate_rows, 0.0, plf, cfg.jobs)
        cc.add_curve(table, panel="a", series=f"bound:{plf}", plf=plf, method=method,
                     objective=LEXICOGRAPHIC, representation="optimal", rate_rows=rate_rows,
                     level=0.0, xs=grid, values=vals, frames=frames, quantity="D")
    nan_rates = {f"R_{j}": math.nan for j in range(1, src.T + 1)}
    for p in points:
        if p.frame not in frames:
            continue
        cells = dict(nan_rates)
        cells[f"R_{p.frame}"] = p.rate
        table.add(panel="a", series=f"learned:{p.variant}", plf=p.plf, method="learned",
                  objective="", representation="", frame=p.frame,
                  P=p.perception, x=p.rate, quantity="D_learned", value=p.distortion, **cells)
    title = (f"Learned codec over the bounds  "
             f"[{source_caption(src)}, bounds at P = 0 and $R_j = R$]")
    caption = ("Empirical (rate, distortion) points of the learned codec (filled: frozen MSE "
               "encoder; open: end to end) over the information bounds at equal per-frame rates; "
               "a point below its bound would be a bug.")
    params = cc.base_params(src, cfg, rate_grid=grid, files=[f.name for f in files],
                            points=len(points), perception_bounds=0.0)
    return FigureData(table, params, title, caption)


def draw(data: FigureData) -> Figure:
    """Draw the table: one panel per frame, bounds as lines, learned points as markers."""
    t = data.table
    frames, xs, bounds = cc.frame_curves(t, BOUNDS, "bound:{}", quantity="D")
    idx = {col: i for i, col in enumerate(t.columns)}
    points = [
        {"frame": row[idx["frame"]], "rate": row[idx["x"]], "distortion": row[idx["value"]],
         "plf": row[idx["plf"]], "variant": str(row[idx["series"]]).split(":", 1)[1]}
        for row in t.rows if row[idx["quantity"]] == "D_learned"
    ]
    return plot_learned_overlay(xs, bounds, points, frames=frames, title=data.title)


def _draw_points(ax: Axes, points: Sequence[Mapping[str, object]], frame: int,
                 variants_seen: dict[bool, str]) -> float:
    """The learned points of ``frame`` on ``ax``; returns their largest rate (0 if none)."""
    rmax = 0.0
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
        rmax = max(rmax, r)
        ax.plot([r], [float(pt["distortion"])],  # type: ignore[arg-type]
                ls="none", marker=marker, ms=5.5, color=color,
                mfc="white" if hollow else color, mec=color, mew=1.1, zorder=4,
                label="_nolegend_")
    return rmax


@styled
def plot_learned_overlay(
    rates: ArrayLike,
    bounds: Mapping[str, ArrayLike],
    points: Sequence[Mapping[str, object]],
    *,
    frames: Sequence[int],
    title: str | None = None,
    axes: Sequence[Axes] | Axes | None = None,
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
    axes : Axes or sequence of Axes, optional
        Draw into these (one per frame) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(rates, dtype=float)
    p = make_panels(len(frames), axes, height=2.5, sharey=True)
    xmax = float(x.max())
    variants_seen: dict[bool, str] = {}
    for col, (ax, frame) in enumerate(zip(p.axes, frames)):
        for plf, values in bounds.items():
            # bounds as plain lines: markers are reserved for the empirical points
            plot_plf(ax, x, as_2d(values)[:, col], plf, label=col == 0, alpha=0.8, lw=1.1,
                     marker="")
        xmax = max(xmax, _draw_points(ax, points, frame, variants_seen))
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
    return p.finish(title, handles, labels, ncols=4)

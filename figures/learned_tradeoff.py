"""Figure 10: the learned decoders' distortion-perception trade-off against the theory's D(P).

E1's lam sweep (one rate point, every PLF, frozen MSE encoder and end to end): each decoder's
per-frame (perception, distortion) across the perception weights, against the theoretical
:math:`D_j(P)` at the frozen encoder's measured rates with the same level :math:`P` on every
frame (FMD: the closed form; JD and SA: the convex program minimising :math:`D_j` alone, as the
matched bounds do). A learned point's own matched bound (its own levels on every frame) is in
``e1_points.csv``; this figure shows the shape of the trade-off. ``compute`` returns ``None``
without a lam sweep.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

import rdp_theory as rt

from . import _compute as cc
from ._common import DEFAULT_SOURCE, FigureData, RunConfig, source_caption
from ._style import DISTORTION_LABEL, PAGE_WIDTH, PERCEPTION_LABEL, PLF_STYLES, styled
from .learned_results import LearnedPoint, find_results, read_points

__all__ = ["SUMMARY", "compute", "draw", "plot_learned_tradeoff", "sweep_point"]

SUMMARY = "learned distortion-perception curves (lam sweep) against the theory's D(P)"
PLFS = tuple(p for p in PLF_STYLES if p != "mse")


def sweep_point(points: Sequence[LearnedPoint]) -> int | None:
    """The rate point with the most perception weights (at least 3), or ``None``."""
    lams: dict[int, set[float]] = defaultdict(set)
    for p in points:
        if p.variant != "mse" and math.isfinite(p.lam):
            lams[p.rate_point].add(p.lam)
    best = max(lams, key=lambda rp: (len(lams[rp]), -rp), default=None)
    return best if best is not None and len(lams[best]) >= 3 else None


def compute(cfg: RunConfig) -> FigureData | None:
    """The learned (P, D) points of the lam sweep and the theory's D(P); ``None`` without one."""
    files = find_results(cfg.learned_dir)
    if not files:
        return None
    points, src = read_points(files, default_source=DEFAULT_SOURCE)
    rp = sweep_point(points)
    if rp is None:
        return None
    sel = [p for p in points if p.rate_point == rp]
    rates = [next(p.rate for p in sel if p.variant == "mse" and p.frame == j)
             for j in range(1, src.T + 1)]  # fmt: skip
    cells = {f"R_{j}": r for j, r in enumerate(rates, start=1)}
    table = cc.new_table(src.T)
    for p in sel:
        if p.variant == "mse":
            continue
        table.add(panel="a", series=f"learned:{p.variant}:{p.plf}", plf=p.plf, method="learned",
                  objective="", representation=p.variant, frame=p.frame, P=p.perception,
                  x=p.perception, quantity="D_learned", value=p.distortion,
                  **{f"R_{j}": math.nan for j in range(1, src.T + 1)})  # fmt: skip
    levels = sorted({0.0, *np.geomspace(1e-4, 1.0, 5 if cfg.quick else 13).tolist()})
    frames = list(range(1, src.T + 1))
    for plf in PLFS:
        for P in levels:
            if plf == "fmd":
                d = np.asarray(rt.fmd_distortions(src, rates, P), float)
                for j in frames:
                    table.add(panel="a", series=f"bound:{plf}", plf=plf, method="closed_form",
                              objective="lexicographic", representation="optimal", frame=j, P=P,
                              x=P, quantity="D", value=float(d[j - 1]), **cells)  # fmt: skip
                continue
            for j in frames:
                w = np.zeros(src.T)
                w[j - 1] = 1.0
                sol = rt.solve_rdp(src, rates, P, plf=plf, objective=w)
                table.add(panel="a", series=f"bound:{plf}", plf=plf, method="sdp",
                          objective="weights:" + ";".join(f"{v:g}" for v in w),
                          representation="optimal", frame=j, P=P, x=P, quantity="D",
                          value=float(sol.distortions[j - 1]), **cells)  # fmt: skip
    at = ", ".join(f"{r:.2f}" for r in rates)
    title = f"Learned distortion-perception trade-off  [{source_caption(src)}, R = ({at})]"
    caption = ("Learned decoders across the perception weights (filled: frozen MSE encoder; "
               "open: end to end) against the theory's D_j(P) at the frozen encoder's measured "
               "rates with the level P on every frame (lines).")
    params = cc.base_params(src, cfg, files=[f.name for f in files], rate_point=rp,
                            rates=rates, levels=levels)  # fmt: skip
    return FigureData(table, params, title, caption)


def draw(data: FigureData) -> Figure:
    """Draw the table: one panel per frame."""
    idx = {col: i for i, col in enumerate(data.table.columns)}
    rows = [{c: row[i] for c, i in idx.items()} for row in data.table.rows]
    return plot_learned_tradeoff(rows, title=data.title)


@styled
def plot_learned_tradeoff(rows: Sequence[Mapping[str, object]], *,
                          title: str | None = None) -> Figure:  # fmt: skip
    """Learned (P, D) points and theoretical D(P) lines, one panel per frame.

    Parameters
    ----------
    rows : sequence of mapping
        Figure-table rows: ``series`` ``learned:<variant>:<plf>`` or ``bound:<plf>``, ``frame``,
        ``x`` (perception, W2^2) and ``value`` (distortion).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    frames = sorted({int(r["frame"]) for r in rows})  # type: ignore[call-overload]
    fig = Figure(figsize=(PAGE_WIDTH, 2.8), layout="constrained")
    axes = fig.subplots(1, len(frames), squeeze=False)[0]
    for ax, frame in zip(axes, frames):
        series: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for r in rows:
            if int(r["frame"]) == frame:  # type: ignore[call-overload]
                series[str(r["series"])].append((float(r["x"]), float(r["value"])))  # type: ignore[arg-type]
        for name, pts in sorted(series.items()):
            kind, *rest = name.split(":")
            st = PLF_STYLES[rest[-1]]
            xs, ys = zip(*sorted(pts))
            xs_plot = np.maximum(np.asarray(xs), 1e-5)  # P = 0 drawn at the axis' left end
            if kind == "bound":
                ax.plot(xs_plot, ys, color=st.color, ls=st.linestyle, lw=1.1)
            else:
                filled = rest[0] != "e2e"
                ax.plot(xs_plot, ys, color=st.color, ls="-", lw=0.6, marker=st.marker, ms=4,
                        mfc=st.color if filled else "white", mec=st.color, zorder=4)  # fmt: skip
        ax.set_xscale("log")
        ax.set_title(f"frame {frame}")
        ax.set_xlabel(PERCEPTION_LABEL)
        if frame == frames[0]:
            ax.set_ylabel(DISTORTION_LABEL)
    fig.suptitle(title or "")
    handles: list[Artist] = []
    labels: list[str] = []
    for plf in PLFS:
        st = PLF_STYLES[plf]
        handles.append(Line2D([], [], color=st.color, ls=st.linestyle))
        labels.append(f"theory {st.label}")
        handles.append(Line2D([], [], color=st.color, marker=st.marker, ms=4))
        labels.append(f"learned {st.label}")
    handles.append(Line2D([], [], color="black", ls="none", marker="o", mfc="white", ms=4))
    labels.append("open: end to end")
    fig.legend(handles, labels, loc="outside lower center", ncols=4, frameon=False)
    return fig

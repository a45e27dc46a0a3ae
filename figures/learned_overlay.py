"""Figure 9: learned-codec curves over matched bounds and classical baselines (if results exist).

One row per rate scenario of E1 (equal rates ``(R, R, R)``; a low first rate ``(eps, R, R)``),
one panel per frame. In each panel, against the frame's measured rate (the entropy-coded
bitstream's, bits per sample):

* the learned curves: the MSE codec (black) and one decoder per PLF (colour) in two variants
  (filled markers: frozen MSE encoder, "universal"; open markers: trained end to end);
* the **matched bounds** (lines without markers, same colours): at every rate point the bound
  at the decoder's own measured rates and perception (per frame; the PLF's Gaussian-fit W2^2,
  and the FMD bound at its marginal perception, which every scheme obeys: the larger of the
  two), for the universal decoders and the MSE codec, as computed by the library when the
  results were written (column ``bound_best``);
* the classical baselines (grey): closed-loop DPCM with an entropy-coded dead-zone quantiser
  (bitstream rate) and, at integer equal rates, with a fixed-rate Lloyd-Max quantiser.

A learned point below its matched bound would be a bug (the experiment warns and records it).
``compute`` returns ``None`` without results, and ``paper_repro.py`` skips the figure.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

import rdp_theory as rt
from learned.report import main_lam as report_main_lam

from . import _compute as cc
from ._common import DEFAULT_SOURCE, FigureData, RunConfig, source_caption
from ._plot import plain_log_labels
from ._style import DISTORTION_LABEL, MSE, MSE_STYLE, PAGE_WIDTH, PLF_STYLES, styled
from .learned_results import LearnedPoint, find_results, read_baselines, read_points

__all__ = ["SCENARIOS", "SUMMARY", "compute", "draw", "main_lam", "plot_learned_overlay"]

SUMMARY = "learned-codec curves over matched bounds and DPCM baselines (if results exist)"
#: The rows of the figure: E1's scenarios, in order, with their titles.
SCENARIOS = {"equal": "$(R, R, R)$", "eps_first": r"$(\varepsilon, R, R)$"}
#: Grey shades and markers of the baselines.
_BASELINES = {"dpcm-ecsq": ("0.45", "D", "DPCM + entropy-coded dead-zone SQ"),
              "dpcm-lloyd-max": ("0.7", "s", "DPCM + Lloyd-Max SQ (fixed rate)")}
_VARIANTS = {"mse": "MSE codec", "universal": "frozen MSE encoder", "e2e": "end to end"}


def main_lam(points: Sequence[LearnedPoint]) -> float:
    """The largest perception weight every rate point has (E1's: the others are its lam sweep's,
    drawn by :mod:`figures.learned_tradeoff`); NaN when the decoders carry none
    (:func:`learned.report.main_lam`)."""
    return report_main_lam((p.variant, p.rate_point, p.lam) for p in points)


def _same_lam(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def compute(cfg: RunConfig) -> FigureData | None:
    """The learned curves, their matched bounds and the baselines; ``None`` without results."""
    files = find_results(cfg.learned_dir)
    if not files:
        return None
    points, src = read_points(files, default_source=DEFAULT_SOURCE)
    points = [p for p in points if p.scenario in SCENARIOS]
    if not points:
        return None
    lam = main_lam(points)
    table = cc.new_table(src.T)
    rates: dict[tuple[int, str, str], dict[int, float]] = defaultdict(dict)
    for p in points:
        rates[(p.rate_point, p.variant, p.plf)][p.frame] = p.rate
    nan_rates = {f"R_{j}": math.nan for j in range(1, src.T + 1)}

    def cells(key: tuple[int, str, str]) -> dict[str, float]:
        out = dict(nan_rates)
        out.update({f"R_{j}": r for j, r in rates[key].items()})
        return out

    for p in points:
        if p.variant != "mse" and not _same_lam(p.lam, lam):
            continue
        key = (p.rate_point, p.variant, p.plf)
        common = {"panel": p.scenario, "plf": p.plf, "objective": "", "frame": p.frame,
                  "P": p.perception, "x": p.rate, **cells(key)}  # fmt: skip
        table.add(series=f"learned:{p.variant}:{p.plf}", method="learned",
                  representation=p.variant, quantity="D_learned", value=p.distortion, **common)
        if p.variant in ("mse", "universal"):
            bound = p.bound_best  # the larger of the valid bounds (FMD's can exceed SA's own)
            table.add(series=f"bound:{p.plf}", method="matched_bound", representation="optimal",
                      quantity="D_bound", value=bound, **common)  # fmt: skip
    baselines = [b for b in read_baselines(cfg.learned_dir) if b.scenario in SCENARIOS]
    for b in baselines:
        table.add(panel=b.scenario, series=f"baseline:{b.baseline}", plf=MSE, method="dpcm",
                  objective="", representation="", frame=b.frame, P=math.inf, x=b.rate,
                  quantity="D_baseline", value=b.distortion, **nan_rates)  # fmt: skip
    title = f"Learned codec over matched bounds and DPCM baselines  [{source_caption(src)}]"
    below = sum(1 for p in points if p.distortion + 3 * p.distortion_se < p.bound_best)
    caption = (
        "Learned curves (black: MSE codec; colour: PLF decoders, filled = frozen MSE encoder, "
        f"open = end to end, lambda = {lam:g}) against each frame's measured bitstream rate. "
        "Lines without markers: the library's bound at each decoder's own measured rates and "
        "perception (universal decoders; black: P = inf). Grey: closed-loop DPCM baselines. "
        f"Points significantly below their bound: {below}." + _permanence_note(points, lam, src)
    )
    params = cc.base_params(src, cfg, files=[f.name for f in files], lam=lam,
                            points=len(table.rows), baselines=len(baselines))  # fmt: skip
    return FigureData(table, params, title, caption)


def _permanence_note(points: Sequence[LearnedPoint], lam: float,
                     src: rt.GaussMarkovSource) -> str:  # fmt: skip
    """The (eps, R, R) row's frame-2 JD and FMD distortions at the largest R (theory: JD's stays
    near the error-permanence limit, FMD's falls), for the caption."""
    sel = {(p.plf, p.rate_point): p for p in points
           if p.scenario == "eps_first" and p.frame == 2 and p.variant == "universal"
           and _same_lam(p.lam, lam)}  # fmt: skip
    rps = sorted({rp for plf, rp in sel if plf == "jd" and ("fmd", rp) in sel},
                 key=lambda rp: sel[("jd", rp)].rate)  # fmt: skip
    if not rps or src.T < 2:
        return ""
    jd, fmd = sel[("jd", rps[-1])], sel[("fmd", rps[-1])]
    limit = rt.error_permanence_limit(src, 2)
    return (f" Error permanence, (eps, R, R) at R_2 = {jd.rate:.2f}: frozen-encoder JD "
            f"D_2 = {jd.distortion:.3f} (bound {jd.bound_best:.3f}; the R_1 -> 0, R_2 -> inf "
            f"limit {limit:.3f}) against FMD D_2 = {fmd.distortion:.3f}.")


def draw(data: FigureData) -> Figure:
    """Draw the table: one row per scenario, one panel per frame."""
    t = data.table
    idx = {col: i for i, col in enumerate(t.columns)}
    rows = [{c: row[i] for c, i in idx.items()} for row in t.rows]
    return plot_learned_overlay(rows, title=data.title)


def _series(rows: Sequence[Mapping[str, object]], scenario: str, frame: int,
            ) -> dict[str, list[tuple[float, float]]]:  # fmt: skip
    out: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in rows:
        if r["panel"] == scenario and int(r["frame"]) == frame:  # type: ignore[call-overload]
            out[str(r["series"])].append((float(r["x"]), float(r["value"])))  # type: ignore[arg-type]
    return {k: sorted(v) for k, v in out.items()}


def _style(series: str) -> tuple[str, str, str, bool, float]:
    """colour, marker, line style, filled, line width of a series."""
    kind, *rest = series.split(":")
    if kind == "baseline":
        grey, marker, _ = _BASELINES.get(rest[0], ("0.5", "x", rest[0]))
        return grey, marker, "-", True, 1.0
    plf = rest[-1]
    st = PLF_STYLES.get(plf, MSE_STYLE)
    # the MSE codec is drawn with circles: the diamond is the entropy-coded baseline's
    marker = "o" if plf == MSE else st.marker
    if kind == "bound":
        return st.color, "_", st.linestyle, False, 1.0
    return st.color, marker, "-", rest[0] != "e2e", 0.9


@styled
def plot_learned_overlay(
    rows: Sequence[Mapping[str, object]],
    *,
    title: str | None = None,
) -> Figure:
    """Learned curves, matched bounds and baselines: one row per scenario, a panel per frame.

    Parameters
    ----------
    rows : sequence of mapping
        The figure table's rows (columns of :func:`figures._common.table_columns`): ``panel`` is
        the scenario, ``series`` ``learned:<variant>:<plf>``, ``bound:<plf>`` or
        ``baseline:<name>``, ``x`` the frame's measured rate and ``value`` the distortion.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    scenarios = [s for s in SCENARIOS if any(r["panel"] == s for r in rows)]
    frames = sorted({int(r["frame"]) for r in rows})  # type: ignore[call-overload]
    fig = Figure(figsize=(PAGE_WIDTH, 2.3 * len(scenarios) + 0.9), layout="constrained")
    grid = fig.subplots(len(scenarios), len(frames), squeeze=False)
    for i, scen in enumerate(scenarios):
        for k, frame in enumerate(frames):
            ax: Axes = grid[i][k]
            for name, pts in sorted(_series(rows, scen, frame).items()):
                color, marker, ls, filled, lw = _style(name)
                xs, ys = zip(*pts)
                ax.plot(xs, ys, ls=ls, lw=lw, marker=marker or None, ms=4, color=color,
                        mfc=color if filled else "white", mec=color, mew=0.9,
                        zorder=4 if name.startswith("learned") else 3)  # fmt: skip
            ax.set_yscale("log")
            plain_log_labels(ax)  # frame 1 at R_1 = epsilon spans 1 to 2: "1.2", not 1.2 x 10^0
            ax.set_title(f"{SCENARIOS[scen]}: frame {frame}")
            if i == len(scenarios) - 1:
                ax.set_xlabel(f"measured rate $R_{frame}$ (bits/sample)")
            if k == 0:
                ax.set_ylabel(DISTORTION_LABEL)
    fig.suptitle(title or "")
    handles: list[Artist] = []
    labels: list[str] = []
    for plf in (MSE, *(k for k in PLF_STYLES if k != MSE)):
        st = PLF_STYLES.get(plf, MSE_STYLE)
        handles.append(Line2D([], [], color=st.color, marker="o" if plf == MSE else st.marker,
                              ms=4))  # fmt: skip
        labels.append("MSE codec" if plf == MSE else f"learned {st.label}")
    handles.append(Line2D([], [], color="black", ls="none", marker="o", mfc="white", ms=4))
    labels.append("open: end to end (filled: frozen MSE encoder)")
    handles.append(Line2D([], [], color="black", ls="--"))
    labels.append("matched bound (line style and colour of the PLF)")
    for grey, marker, text in _BASELINES.values():
        handles.append(Line2D([], [], color=grey, marker=marker, ms=4))
        labels.append(text)
    fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)
    return fig

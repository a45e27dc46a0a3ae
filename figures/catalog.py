r"""The figure catalogue: one compute function and one plot adapter per figure.

A compute function takes a :class:`RunConfig` and returns :class:`~figures._common.FigureData`
(a tidy table of every plotted number, the parameters, a title and a caption), or ``None`` when
the figure has nothing to show (the learned overlay without results). A plot adapter turns that
table into arrays and calls a drawing function of :mod:`rdp_theory.plotting`; it never evaluates a
bound. So the CSV written beside each figure is exactly what the figure shows.

Rows use the columns of :func:`figures._common.table_columns`. Conventions: ``P`` is the W2^2 level
of every frame (``inf`` = MSE only), ``frame = 0`` marks a quantity summed over frames.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

import rdp_theory as rt

from . import _common as c
from ._common import LEXICOGRAPHIC, FigureData, PointSpec, Table
from .learned_results import find_results, read_points

__all__ = ["FIGURES", "REPO_ROOT", "FigureSpec", "RunConfig"]

FloatArray = NDArray[np.float64]
REPO_ROOT = Path(__file__).resolve().parent.parent
PLFS = ("jd", "fmd", "sa", "mse")
EPS_RATE = 0.05  # the paper's small first-frame rate epsilon (bits/sample)


@dataclass(frozen=True)
class RunConfig:
    """Options shared by every compute function.

    Attributes
    ----------
    quick : bool
        Small grids (tests, smoke runs).
    jobs : int
        joblib workers for SDP sweeps.
    learned_dir : Path
        Where the learned-codec results are read from.
    """

    quick: bool = False
    jobs: int = 1
    learned_dir: Path = field(default_factory=lambda: REPO_ROOT / "learned" / "results")


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the catalogue.

    Attributes
    ----------
    name : str
        File stem and ``--only`` name.
    summary : str
        One line for ``--list``.
    compute : callable
        ``RunConfig -> FigureData | None`` (``None``: nothing to draw, skipped with a notice).
    plot : callable
        ``FigureData -> matplotlib.figure.Figure``.
    """

    name: str
    summary: str
    compute: Callable[[RunConfig], FigureData | None]
    plot: Callable[[FigureData], Any]


# ------------------------------------------------------------------------------ helpers
def _grid(quick: bool, full: Sequence[float] | FloatArray, small: Sequence[float]) -> list[float]:
    """The sweep grid, rounded to 12 decimals so that CSVs read 1.0 rather than 0.9999999999999999."""
    return [round(float(x), 12) for x in (small if quick else full)]


def _new_table(T: int) -> Table:
    return Table(c.table_columns(T))


def _rate_cells(rates: Sequence[float]) -> dict[str, float]:
    return {f"R_{j}": float(r) for j, r in enumerate(rates, start=1)}


def _solve_plf(plf: str) -> str:
    """The ``plf`` passed to :func:`rdp_theory.solve_rdp` for a table PLF (MSE only = any PLF at
    ``P = inf``; FMD is used)."""
    return "fmd" if plf == "mse" else plf


def _perception_of(plf: str, level: float) -> float:
    return math.inf if plf == "mse" else float(level)


def _lex_curve(
    src: rt.GaussMarkovSource, rate_rows: Sequence[Sequence[float]], level: float, plf: str,
    jobs: int,
) -> tuple[FloatArray, str]:
    """Lexicographic per-frame distortions along a sweep: closed form where the theory has one
    (MSE only, FMD, 0-PLF-JD), otherwise :func:`rdp_theory.solve_rdp`."""
    P = _perception_of(plf, level)
    try:
        vals = [c.sequence_distortions(src, r, P, plf)[0] for r in rate_rows]
        return np.asarray(vals), "closed_form"
    except ValueError:
        pass
    specs = [PointSpec(src, tuple(map(float, r)), P, _solve_plf(plf), LEXICOGRAPHIC, "optimal")
             for r in rate_rows]
    sols = c.solve_points(specs, jobs)
    return np.asarray([s.distortions for s in sols]), "sdp"


def _add_curve(table: Table, *, panel: str, series: str, plf: str, method: str,
               objective: c.Objective, representation: str, rate_rows: Sequence[Sequence[float]],
               level: float, xs: Sequence[float], values: FloatArray, frames: Sequence[int],
               quantity: str) -> None:
    """Rows for a sweep: ``values[i, f]`` at ``rate_rows[i]``, ``x = xs[i]``, frame ``frames[f]``."""
    for r, x, v in zip(rate_rows, xs, values):
        table.add_frames(
            frames=frames, values=np.asarray(v)[[f - 1 for f in frames]]
            if quantity == "D" else v,
            panel=panel, series=series, plf=plf, method=method,
            objective=c.objective_label(objective), representation=representation,
            P=_perception_of(plf, level), x=float(x), quantity=quantity, **_rate_cells(r),
        )


def _base_params(src: rt.GaussMarkovSource, cfg: RunConfig, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"source": c.source_params(src), "quick": cfg.quick}
    out.update(extra)
    return out


def _frames_array(table: Table, frames: Sequence[int], **where: Any) -> FloatArray:
    """Stack ``value`` of the matching rows into shape (n, len(frames))."""
    return np.stack([table.array(frame=f, **where) for f in frames], axis=1)


# ------------------------------------------------------------------ 1, 2: rate-distortion
def _rd_scenario(cfg: RunConfig, first_rate: float, name: str) -> FigureData:
    src = c.DEFAULT_SOURCE
    grid = _grid(cfg.quick, np.linspace(0.0, 4.0, 17), (0.0, 0.5, 2.0, 4.0))
    rate_rows = [(first_rate,) + (R,) * (src.T - 1) for R in grid]
    frames = list(range(1, src.T + 1))
    table = _new_table(src.T)
    for plf in PLFS:
        vals, method = _lex_curve(src, rate_rows, 0.0, plf, cfg.jobs)
        _add_curve(table, panel="a", series=plf, plf=plf, method=method, objective=LEXICOGRAPHIC,
                   representation="optimal", rate_rows=rate_rows, level=0.0, xs=grid,
                   values=vals, frames=frames, quantity="D")
    r1 = "∞" if math.isinf(first_rate) else f"{first_rate:g}"
    label = "low" if name == "rd_low_first_rate" else "high"
    r1m = r"\infty" if math.isinf(first_rate) else f"{first_rate:g}"
    title = (f"0-PLF distortions, {label} first-frame rate: $(R_1, R_2, R_3) = ({r1m}, R, R)$  "
             f"[{c.source_caption(src)}, P = 0, lexicographic]")
    caption = (f"D_j against the common rate R_2 = R_3 = R with R_1 = {r1} "
               "(the paper's ({}, ., .) scenario) under 0-PLF-JD, 0-PLF-FMD, 0-PLF-SA and MSE "
               "only.".format("epsilon" if label == "low" else "infinity"))
    params = _base_params(src, cfg, first_rate=c.json_float(first_rate), rate_grid=grid,
                          perception=0.0, objective=LEXICOGRAPHIC, plfs=list(PLFS))
    return FigureData(table, params, title, caption)


def rd_low_first_rate(cfg: RunConfig) -> FigureData:
    """Figure 1: the paper's (epsilon, ., .) scenario, R_1 = 0.05 bits/sample."""
    return _rd_scenario(cfg, EPS_RATE, "rd_low_first_rate")


def rd_high_first_rate(cfg: RunConfig) -> FigureData:
    """Figure 2: the paper's (inf, ., .) scenario, frame 1 known exactly."""
    return _rd_scenario(cfg, math.inf, "rd_high_first_rate")


def _plot_rd(data: FigureData) -> Any:
    from rdp_theory.plotting import plot_rate_distortion

    t = data.table
    frames = sorted({int(f) for f in t.select("frame")})
    xs = np.asarray(t.select("x", series="jd", frame=frames[0]), dtype=float)
    curves = {plf: _frames_array(t, frames, series=plf) for plf in PLFS}
    labels = {plf: ("0-PLF-" + plf.upper()) for plf in ("jd", "fmd", "sa")}
    return plot_rate_distortion(xs, curves, frames=frames, title=data.title, labels=labels,
                                xlabel="rate $R_2 = R_3 = R$ (bits/sample)")


# ------------------------------------------------------------------ 3: error permanence
def error_permanence(cfg: RunConfig) -> FigureData:
    """Figure 3: D_2 against R_2 in [0, 8] for several R_1 (T = 2), JD and FMD at P = 0."""
    src = rt.GaussMarkovSource.stationary(T=2, sigma=1.0, rho=0.9)
    grid = _grid(cfg.quick, np.linspace(0.0, 8.0, 65), (0.0, 1.0, 4.0, 8.0))
    first = _grid(cfg.quick, (0.0, 0.05, 0.25, 1.0), (0.0, 0.25))
    table = _new_table(src.T)
    for plf in ("jd", "fmd"):
        for r1 in first:
            rate_rows = [(r1, r2) for r2 in grid]
            vals, method = _lex_curve(src, rate_rows, 0.0, plf, cfg.jobs)
            _add_curve(table, panel=plf, series=f"R_1={c.format_cell(r1)}", plf=plf,
                       method=method, objective=LEXICOGRAPHIC, representation="optimal",
                       rate_rows=rate_rows, level=0.0, xs=grid, values=vals, frames=[2],
                       quantity="D")
    limit = rt.error_permanence_limit(src, frame=2)
    table.add(panel="jd", series="limit", plf="jd", method="closed_form",
              objective=LEXICOGRAPHIC, representation="optimal", frame=2, R_1=0.0,
              R_2=math.inf, P=0.0, x=math.inf, quantity="D_limit", value=float(limit))
    title = (f"Error permanence: $D_2$ vs $R_2$ for several $R_1$  [{c.source_caption(src)}, P = 0]")
    caption = ("Under 0-PLF-JD, D_2 cannot fall below the closed-form limit "
               "2σ²(1 - √(1 - ρ²)) when R_1 → 0, however large R_2 is (error permanence); "
               "under 0-PLF-FMD, D_2 → 0.")
    params = _base_params(src, cfg, first_rates=first, rate_grid=grid, perception=0.0,
                          objective=LEXICOGRAPHIC, limit=float(limit))
    return FigureData(table, params, title, caption)


def _plot_error_permanence(data: FigureData) -> Any:
    from rdp_theory.plotting import plot_error_permanence

    t = data.table
    limit = float(t.array(quantity="D_limit")[0])
    curves: dict[str, dict[str, FloatArray]] = {}
    xs: FloatArray = np.empty(0)
    for plf in ("jd", "fmd"):
        series = list(dict.fromkeys(t.select("series", plf=plf, quantity="D")))
        curves[plf] = {}
        for s in series:
            xs = np.asarray(t.select("x", plf=plf, series=s, quantity="D"), dtype=float)
            label = "$R_1$ = " + s.split("=", 1)[1]
            curves[plf][label] = t.array(plf=plf, series=s, quantity="D")
    return plot_error_permanence(xs, curves, limit, title=data.title)


# ------------------------------------------------------------------ 4: temporal correlation
def temporal_correlation(cfg: RunConfig) -> FigureData:
    """Figure 4: corr(Xhat_j, Xhat_{j+1}) against the common rate, per PLF at P = 0."""
    src = c.DEFAULT_SOURCE
    grid = _grid(cfg.quick, np.linspace(0.1, 4.0, 14), (0.5, 2.0))
    rate_rows = [(R,) * src.T for R in grid]
    table = _new_table(src.T)
    for plf in PLFS:
        P = _perception_of(plf, 0.0)
        specs = [PointSpec(src, r, P, _solve_plf(plf), LEXICOGRAPHIC, "optimal")
                 for r in rate_rows]
        sols = c.solve_points(specs, cfg.jobs)
        corr = [s.reconstruction_correlations for s in sols]
        _add_curve(table, panel="a", series=plf, plf=plf, method="sdp", objective=LEXICOGRAPHIC,
                   representation="optimal", rate_rows=rate_rows, level=0.0, xs=grid,
                   values=np.asarray(corr), frames=list(range(1, src.T)), quantity="corr")
    title = (f"Temporal correlation of reconstructions  "
             f"[{c.source_caption(src)}, P = 0, $R_j = R$, lexicographic]")
    caption = ("corr(X̂_j, X̂_{j+1}) of the optimal 0-PLF schemes at a common rate R: JD "
               "reproduces the source correlation ρ = 0.9 at every rate, FMD, SA and MSE-only "
               "reconstructions do not.")
    params = _base_params(src, cfg, rate_grid=grid, perception=0.0, objective=LEXICOGRAPHIC,
                          quantity="corr(Xhat_frame, Xhat_frame+1) from "
                          "solve_rdp(...).reconstruction_covariance; MSE only = plf 'fmd' at P=inf")
    return FigureData(table, params, title, caption)


def _plot_temporal_correlation(data: FigureData) -> Any:
    from rdp_theory.plotting import plot_temporal_correlation

    t = data.table
    pairs_first = sorted({int(f) for f in t.select("frame")})
    xs = np.asarray(t.select("x", series="jd", frame=pairs_first[0]), dtype=float)
    corr = {plf: _frames_array(t, pairs_first, series=plf) for plf in PLFS}
    rho = data.params["source"]["rhos"]
    return plot_temporal_correlation(xs, corr, [rho[j - 1] for j in pairs_first],
                                     pairs=[(j, j + 1) for j in pairs_first], title=data.title)


# ------------------------------------------------------------------ 5: universality
UNIVERSALITY_P = 0.05
UNIVERSALITY_WEIGHTS = (1.0, 1.0, 1.0)


def universality(cfg: RunConfig) -> FigureData:
    """Figure 5: joint optimum against the MSE representation with its best decoder."""
    src = c.DEFAULT_SOURCE
    grid = _grid(cfg.quick, np.linspace(0.25, 3.0, 12), (0.5, 2.0))
    rate_rows = [(R,) * src.T for R in grid]
    w = np.asarray(UNIVERSALITY_WEIGHTS)
    table = _new_table(src.T)
    for plf in ("jd", "fmd", "sa"):
        res = {}
        for rep in ("optimal", "mse"):
            specs = [PointSpec(src, r, UNIVERSALITY_P, plf, UNIVERSALITY_WEIGHTS, rep)
                     for r in rate_rows]
            res[rep] = np.asarray([w @ s.distortions for s in c.solve_points(specs, cfg.jobs)])
            _add_curve(table, panel="a", series=f"{plf}:{rep}", plf=plf, method="sdp",
                       objective=UNIVERSALITY_WEIGHTS, representation=rep, rate_rows=rate_rows,
                       level=UNIVERSALITY_P, xs=grid, values=res[rep][:, None], frames=[0],
                       quantity="weighted_D")
        _add_curve(table, panel="b", series=f"{plf}:gap", plf=plf, method="sdp",
                   objective=UNIVERSALITY_WEIGHTS, representation="mse-optimal",
                   rate_rows=rate_rows, level=UNIVERSALITY_P, xs=grid,
                   values=(res["mse"] - res["optimal"])[:, None], frames=[0], quantity="gap")
    title = (f"Universality of the MSE representation  [{c.source_caption(src)}, "
             f"P = {UNIVERSALITY_P:g}, $R_j = R$, min $D_1 + D_2 + D_3$]")
    caption = ("For each PLF, the jointly optimal total distortion D_1 + D_2 + D_3 (line) and the "
               "one reached by the greedy MSE representation with a re-optimised decoder "
               "(open markers); right: their gap on a log axis, at solver precision everywhere.")
    params = _base_params(src, cfg, rate_grid=grid, perception=UNIVERSALITY_P,
                          objective=list(UNIVERSALITY_WEIGHTS),
                          quantity="weighted_D = sum_k w_k D_k; gap = mse - optimal")
    return FigureData(table, params, title, caption)


def _plot_universality(data: FigureData) -> Any:
    from rdp_theory.plotting import plot_universality

    t = data.table
    xs = np.asarray(t.select("x", series="jd:optimal"), dtype=float)
    plfs = ("jd", "fmd", "sa")
    return plot_universality(
        xs,
        {p: t.array(series=f"{p}:optimal") for p in plfs},
        {p: t.array(series=f"{p}:mse") for p in plfs},
        {p: t.array(series=f"{p}:gap") for p in plfs},
        ylabel="total distortion $D_1 + D_2 + D_3$ (MSE)",
        title=data.title,
    )


# ------------------------------------------------------------------ 6: distortion-perception
def distortion_perception(cfg: RunConfig) -> FigureData:
    """Figure 6: the least achievable D_T against P (same P for every frame) at two rate tuples.

    The objective is ``min D_T`` alone (weights ``(0, ..., 0, 1)``): the lower boundary of the
    achievable region, non-increasing in ``P`` by a theorem (the feasible set only grows).
    """
    src = c.DEFAULT_SOURCE
    levels = _grid(cfg.quick, [0.0, *np.geomspace(1e-3, 1.0, 13)], (0.0, 0.01, 1.0))
    panels = {"a": (0.25,) * src.T, "b": (1.0,) * src.T}
    frame = src.T
    last = tuple(0.0 if j < src.T else 1.0 for j in range(1, src.T + 1))
    table = _new_table(src.T)
    for panel, rates in panels.items():
        for plf in ("jd", "fmd", "sa"):
            specs = [PointSpec(src, rates, P, plf, last, "optimal") for P in levels]
            sols = c.solve_points(specs, cfg.jobs)
            for P, sol in zip(levels, sols):
                _add_curve(table, panel=panel, series=plf, plf=plf, method="sdp",
                           objective=last, representation="optimal", rate_rows=[rates],
                           level=P, xs=[P], values=sol.distortions[None, :], frames=[frame],
                           quantity="D")
        v, m = _lex_curve(src, [rates], math.inf, "mse", cfg.jobs)
        _add_curve(table, panel=panel, series="mse", plf="mse", method=m, objective=LEXICOGRAPHIC,
                   representation="optimal", rate_rows=[rates], level=math.inf, xs=[math.inf],
                   values=v, frames=[frame], quantity="D")
    title = (f"Distortion-perception tradeoff: least $D_{frame}$  "
             f"[{c.source_caption(src)}, min $D_{frame}$ alone]")
    caption = (f"The least achievable D_{frame} (objective min D_{frame} alone) against the "
               "perception level P (W2², the same for every frame), from perfect realism P = 0 to "
               "the unconstrained MSE-only value, for JD, FMD and SA at two rate tuples.")
    params = _base_params(src, cfg, perception_grid=levels,
                          rates={k: list(v) for k, v in panels.items()}, frame=frame,
                          objective=list(last))
    return FigureData(table, params, title, caption)


def _plot_distortion_perception(data: FigureData) -> Any:
    from rdp_theory.plotting import plot_distortion_perception

    t = data.table
    panels: dict[str, dict[str, FloatArray]] = {}
    limits: dict[str, float] = {}
    xs: FloatArray = np.empty(0)
    frame = int(data.params["frame"])
    for panel, rates in data.params["rates"].items():
        name = "R = (" + ", ".join(f"{r:g}" for r in rates) + ")"
        xs = np.asarray(t.select("x", panel=panel, series="jd"), dtype=float)
        panels[name] = {p: t.array(panel=panel, series=p) for p in ("jd", "fmd", "sa")}
        limits[name] = float(t.array(panel=panel, series="mse")[0])
    return plot_distortion_perception(xs, panels, limits, title=data.title,
                                      ylabel=f"distortion $D_{frame}$ (MSE)")


# ------------------------------------------------------------------ 7: JD Pareto
PARETO_RATES = (EPS_RATE, 2.0, 3.0)


def jd_pareto(cfg: RunConfig) -> FigureData:
    """Figure 7: JD decoder tradeoff D_2 vs D_3, and D_3 against R_2 (lexicographic vs min D_3)."""
    src = c.DEFAULT_SOURCE
    weights = _grid(cfg.quick, np.linspace(0.05, 0.95, 13), (0.2, 0.5, 0.8))
    table = _new_table(src.T)
    objectives = [(0.0, w, 1.0 - w) for w in weights]
    specs = [PointSpec(src, PARETO_RATES, 0.0, "jd", o, "optimal") for o in objectives]
    sols = c.solve_points(specs, cfg.jobs)
    for o, w, s in zip(objectives, weights, sols):
        _add_curve(table, panel="a", series="weighted", plf="jd", method="sdp", objective=o,
                   representation="optimal", rate_rows=[PARETO_RATES], level=0.0, xs=[w],
                   values=s.distortions[None, :], frames=[2, 3], quantity="D")
    lex, method = _lex_curve(src, [PARETO_RATES], 0.0, "jd", cfg.jobs)
    _add_curve(table, panel="a", series="lexicographic", plf="jd", method=method,
               objective=LEXICOGRAPHIC, representation="optimal", rate_rows=[PARETO_RATES],
               level=0.0, xs=[math.nan], values=lex, frames=[2, 3], quantity="D")
    # panel b: D_3 against R_2 with R_1 small and R_3 large
    r2 = _grid(cfg.quick, np.linspace(0.25, 5.0, 20), (0.5, 2.0, 5.0))
    rate_rows = [(EPS_RATE, x, 3.0) for x in r2]
    lexb, method_b = _lex_curve(src, rate_rows, 0.0, "jd", cfg.jobs)
    _add_curve(table, panel="b", series="lexicographic", plf="jd", method=method_b,
               objective=LEXICOGRAPHIC, representation="optimal", rate_rows=rate_rows,
               level=0.0, xs=r2, values=lexb, frames=[3], quantity="D")
    last = tuple(0.0 if j < src.T else 1.0 for j in range(1, src.T + 1))
    sols_b = c.solve_points([PointSpec(src, r, 0.0, "jd", last, "optimal") for r in rate_rows],
                            cfg.jobs)
    _add_curve(table, panel="b", series="min_D3", plf="jd", method="sdp", objective=last,
               representation="optimal", rate_rows=rate_rows, level=0.0, xs=r2,
               values=np.asarray([s.distortions for s in sols_b]), frames=[3], quantity="D")
    title = f"0-PLF-JD decoder tradeoffs  [{c.source_caption(src)}, P = 0]"
    caption = ("Left: the weighted-sum front min w D_2 + (1 - w) D_3 at R = (0.05, 2, 3) with the "
               "lexicographic optimum marked. Right: with R_1 = 0.05, R_3 = 3, the lexicographic "
               "(greedy) decoder's D_3 rises with R_2, while minimising D_3 alone does not.")
    params = _base_params(src, cfg, front_rates=list(PARETO_RATES), front_weights=weights,
                          front_objective="(0, w, 1 - w)", r2_grid=r2,
                          r1=EPS_RATE, r3=3.0, perception=0.0, min_last_objective=list(last))
    return FigureData(table, params, title, caption)


def _plot_jd_pareto(data: FigureData) -> Any:
    from rdp_theory.plotting import plot_pareto

    t = data.table
    d2 = t.array(panel="a", series="weighted", frame=2)
    d3 = t.array(panel="a", series="weighted", frame=3)
    lex = (float(t.array(panel="a", series="lexicographic", frame=2)[0]),
           float(t.array(panel="a", series="lexicographic", frame=3)[0]))
    xs = np.asarray(t.select("x", panel="b", series="lexicographic"), dtype=float)
    rr = ", ".join(f"{r:g}" for r in data.params["front_rates"])
    return plot_pareto(
        (d2, d3), lex, xs,
        t.array(panel="b", series="lexicographic"), t.array(panel="b", series="min_D3"),
        front_title=f"R = ({rr}); $D_1$ free",
        rate_title=f"$R_1$ = {data.params['r1']:g}, $R_3$ = {data.params['r3']:g}",
        title=data.title,
    )


# ------------------------------------------------------------------ 8: operational region
def operational_region(cfg: RunConfig) -> FigureData:
    """Figure 8: information curves and one-shot operational curves at a common rate."""
    src = c.DEFAULT_SOURCE
    grid = _grid(cfg.quick, np.linspace(0.0, 6.0, 13), (0.0, 1.0, 4.0))
    rate_rows = [(R,) * src.T for R in grid]
    op = [float(rt.operational_rates(R)) for R in grid]
    frames = list(range(1, src.T + 1))
    table = _new_table(src.T)
    for plf in PLFS:
        vals, method = _lex_curve(src, rate_rows, 0.0, plf, cfg.jobs)
        for series, xs in (("information", grid), ("one-shot", op)):
            _add_curve(table, panel="a", series=f"{plf}:{series}", plf=plf,
                       method=method if series == "information" else method + "+operational_rates",
                       objective=LEXICOGRAPHIC, representation="optimal", rate_rows=rate_rows,
                       level=0.0, xs=xs, values=vals, frames=frames, quantity="D")
    title = (f"Information vs one-shot operational RDP curves  "
             f"[{c.source_caption(src)}, P = 0, $R_j = R$, lexicographic]")
    caption = ("Each 0-PLF curve at the information rate R (solid, a lower bound) and at the "
               "one-shot operational rate R + log2(R + 1) + 5 (faded, achievable by the strong "
               "functional representation lemma); the operational region lies between them.")
    params = _base_params(src, cfg, rate_grid=grid, perception=0.0, objective=LEXICOGRAPHIC,
                          operational_rate="R + log2(R + 1) + 5 (rdp_theory.operational_rates)")
    return FigureData(table, params, title, caption)


def _plot_operational_region(data: FigureData) -> Any:
    from rdp_theory.plotting import plot_operational_region

    t = data.table
    frames = sorted({int(f) for f in t.select("frame")})
    xs = np.asarray(t.select("x", series="jd:information", frame=frames[0]), dtype=float)
    xo = np.asarray(t.select("x", series="jd:one-shot", frame=frames[0]), dtype=float)
    curves = {p: _frames_array(t, frames, series=f"{p}:information") for p in PLFS}
    return plot_operational_region(xs, xo, curves, frames=frames, title=data.title)


# ------------------------------------------------------------------ 9: learned overlay
def learned_overlay(cfg: RunConfig) -> FigureData | None:
    """Figure 9: learned-codec points over the bounds; ``None`` when no results exist."""
    files = find_results(cfg.learned_dir)
    if not files:
        return None
    points, src = read_points(files, default_source=c.DEFAULT_SOURCE)
    if not points:
        return None
    frames = sorted({p.frame for p in points if 1 <= p.frame <= src.T})
    rmax = max(max(p.rate for p in points), 1.0)
    grid = [float(x) for x in np.linspace(0.0, 1.1 * rmax, 9 if cfg.quick else 45)]
    rate_rows = [(R,) * src.T for R in grid]
    table = _new_table(src.T)
    for plf in ("jd", "fmd", "mse"):
        vals, method = _lex_curve(src, rate_rows, 0.0, plf, cfg.jobs)
        _add_curve(table, panel="a", series=f"bound:{plf}", plf=plf, method=method,
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
             f"[{c.source_caption(src)}, bounds at P = 0 and $R_j = R$]")
    caption = ("Empirical (rate, distortion) points of the learned codec (filled: frozen MSE "
               "encoder; open: end to end) over the information bounds at equal per-frame rates; "
               "a point below its bound would be a bug.")
    params = _base_params(src, cfg, rate_grid=grid, files=[f.name for f in files],
                          points=len(points), perception_bounds=0.0)
    return FigureData(table, params, title, caption)


def _plot_learned_overlay(data: FigureData) -> Any:
    from rdp_theory.plotting import plot_learned_overlay

    t = data.table
    frames = sorted({int(f) for f in t.select("frame", quantity="D")})
    xs = np.asarray(t.select("x", series="bound:jd", frame=frames[0]), dtype=float)
    bounds = {p: _frames_array(t, frames, series=f"bound:{p}") for p in ("jd", "fmd", "mse")}
    idx = {col: i for i, col in enumerate(t.columns)}
    points = [
        {"frame": row[idx["frame"]], "rate": row[idx["x"]], "distortion": row[idx["value"]],
         "plf": row[idx["plf"]], "variant": str(row[idx["series"]]).split(":", 1)[1]}
        for row in t.rows if row[idx["quantity"]] == "D_learned"
    ]
    return plot_learned_overlay(xs, bounds, points, frames=frames, title=data.title)


# ------------------------------------------------------------------ registry
FIGURES: dict[str, FigureSpec] = {
    spec.name: spec
    for spec in (
        FigureSpec("rd_low_first_rate", "D_j vs R_j with R_1 = epsilon (paper's (eps, ., .))",
                   rd_low_first_rate, _plot_rd),
        FigureSpec("rd_high_first_rate", "D_j vs R_j with R_1 = inf (paper's (inf, ., .))",
                   rd_high_first_rate, _plot_rd),
        FigureSpec("error_permanence", "D_2 vs R_2 for several R_1 under JD and FMD, with limit",
                   error_permanence, _plot_error_permanence),
        FigureSpec("temporal_correlation", "corr of consecutive reconstructions vs rate per PLF",
                   temporal_correlation, _plot_temporal_correlation),
        FigureSpec("universality", "joint optimum vs MSE representation + best decoder, gap",
                   universality, _plot_universality),
        FigureSpec("distortion_perception", "D_3 vs P at fixed rates for JD, FMD, SA",
                   distortion_perception, _plot_distortion_perception),
        FigureSpec("jd_pareto", "JD D_2-D_3 front; D_3 vs R_2 lexicographic vs min D_3",
                   jd_pareto, _plot_jd_pareto),
        FigureSpec("operational_region", "information vs one-shot operational curves",
                   operational_region, _plot_operational_region),
        FigureSpec("learned_overlay", "learned-codec points over the bounds (if results exist)",
                   learned_overlay, _plot_learned_overlay),
    )
}

"""Library evaluation for the figures: closed forms, memoised parallel SDP sweeps, table rows.

Every number that ends up in a figure is produced by :func:`sequence_distortions`,
:func:`sweep_distortions` (what :func:`lex_curve` uses) or :func:`solve_points`, which only call
the public :mod:`rdp_theory` API (closed forms where the theory gives one,
:func:`rdp_theory.solve_rdp` otherwise; sweeps of distortions go through the sweep engine
:func:`rdp_theory.sweep`, which computes the same numbers) and record which one was used in the
``method`` column. Rows use the columns of :func:`figures._common.table_columns`; ``P`` is the
W2^2 level of every frame (``inf`` = MSE only), ``frame = 0`` marks a quantity summed over frames.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

import numpy as np
from numpy.typing import NDArray

import rdp_theory as rt

from ._common import LEXICOGRAPHIC, Objective, RunConfig, Table, objective_label, source_params
from ._common import table_columns as _table_columns
from ._style import MSE

__all__ = [
    "PointSpec",
    "SolvedPoint",
    "add_curve",
    "base_params",
    "clear_cache",
    "frame_curves",
    "frames_array",
    "grid",
    "lex_curve",
    "new_table",
    "perception_of",
    "pmap",
    "sequence_distortions",
    "solve_plf",
    "solve_points",
    "sweep_distortions",
    "take_stats",
]

FloatArray = NDArray[np.float64]
T_ = TypeVar("T_")
U_ = TypeVar("U_")


def sequence_distortions(
    src: rt.GaussMarkovSource, rates: Sequence[float], perception: float, plf: str
) -> tuple[FloatArray, str]:
    """Per-frame distortions at the lexicographic optimum from a closed form, if one exists.

    Parameters
    ----------
    src : GaussMarkovSource
    rates : sequence of float, length T
    perception : float
        The same W2^2 level for every frame (``inf`` for ``plf="mse"``).
    plf : {"mse", "fmd", "jd"}
        ``"jd"`` only at ``perception == 0`` (the closed form of THEORY.md section 4).

    Returns
    -------
    (ndarray of shape (T,), str)
        Distortions and the method name (``"closed_form"``).

    Raises
    ------
    ValueError
        Where the theory has no closed form (use :func:`solve_points`).
    """
    r = np.asarray(rates, dtype=float)
    if plf == "mse":
        return np.asarray(rt.mmse_distortions(src, r), dtype=float), "closed_form"
    if plf == "fmd":
        return np.asarray(rt.fmd_distortions(src, r, perception), dtype=float), "closed_form"
    if plf == "jd" and perception == 0.0:
        return np.asarray(rt.jd_zero_perception_distortions(src, r), dtype=float), "closed_form"
    raise ValueError(f"no closed form for plf={plf!r} at perception={perception!r}")


class SolvedPoint(NamedTuple):
    """The parts of an :func:`rdp_theory.solve_rdp` solution that figures use (picklable).

    A failed solve (:class:`rdp_theory.SolverError`) gives NaN arrays and ``failed=True``: the
    figure shows a gap there, and no number from a failed solve is ever plotted.
    """

    distortions: FloatArray
    perception_values: FloatArray
    reconstruction_covariance: FloatArray
    reconstruction_correlations: FloatArray  # corr(Xhat_j, Xhat_{j+1}), from the library
    warnings: int
    failed: bool
    #: The solve's :class:`rdp_theory.Certificate` (``None`` for a failed solve).
    certificate: rt.Certificate | None = None


class PointSpec(NamedTuple):
    """Hashable arguments of one :func:`rdp_theory.solve_rdp` call."""

    source: rt.GaussMarkovSource
    rates: tuple[float, ...]
    perception: float
    plf: str
    objective: Objective
    representation: str


_CACHE: dict[PointSpec, SolvedPoint] = {}
_STATS: dict[str, int] = {"solves": 0, "solver_warnings": 0, "failed": 0}


def take_stats() -> dict[str, int]:
    """SDP solves, solver warnings and failed solves since the last call (then reset)."""
    out = dict(_STATS)
    for k in _STATS:
        _STATS[k] = 0
    return out


def _solve_one(spec: PointSpec) -> SolvedPoint:
    T = spec.source.T
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            sol = rt.solve_rdp(
                spec.source,
                np.asarray(spec.rates, dtype=float),
                spec.perception,
                plf=spec.plf,
                objective=spec.objective if isinstance(spec.objective, str)
                else np.asarray(spec.objective, dtype=float),
                representation=spec.representation,
            )
        except rt.SolverError:
            nan = np.full(T, np.nan)
            return SolvedPoint(
                nan, nan.copy(), np.full((T, T), np.nan), np.full(T - 1, np.nan), len(caught), True
            )
    n_warn = sum(issubclass(w.category, rt.SolverWarning) for w in caught)
    return SolvedPoint(
        np.array(sol.distortions, dtype=float),
        np.array(sol.perception_values, dtype=float),
        np.array(sol.reconstruction_covariance, dtype=float),
        np.array(sol.reconstruction_correlations(), dtype=float),
        int(n_warn),
        False,
        sol.certificate,
    )


def pmap(func: Callable[[T_], U_], items: Sequence[T_], jobs: int) -> list[U_]:
    """``[func(x) for x in items]``, in parallel with joblib when ``jobs > 1`` (order kept)."""
    if jobs <= 1 or len(items) <= 1:
        return [func(x) for x in items]
    from joblib import Parallel, delayed

    return list(Parallel(n_jobs=jobs)(delayed(func)(x) for x in items))


def solve_points(specs: Sequence[PointSpec], jobs: int = 1) -> list[SolvedPoint]:
    """Solve many SDP points (memoised for the process; missing ones in parallel).

    Parameters
    ----------
    specs : sequence of PointSpec
    jobs : int
        joblib workers for the points not yet cached.

    Returns
    -------
    list of SolvedPoint, in the order of ``specs``
    """
    todo = list(dict.fromkeys(s for s in specs if s not in _CACHE))
    for spec, sol in zip(todo, pmap(_solve_one, todo, jobs)):
        _CACHE[spec] = sol
        _STATS["solves"] += 1
        _STATS["solver_warnings"] += sol.warnings
        _STATS["failed"] += int(sol.failed)
    return [_CACHE[s] for s in specs]


_SWEPT: dict[PointSpec, FloatArray] = {}


def _engine_closed_form(spec: PointSpec) -> bool:
    """Whether :func:`rdp_theory.sweep` computes ``spec`` by a closed form (MSE only, PLF-FMD,
    lexicographic 0-PLF-JD and 0-PLF-SA: its ``route == "closed_form"`` points)."""
    if spec.perception == math.inf or spec.plf == "fmd":
        return True
    return (spec.objective == LEXICOGRAPHIC and spec.perception == 0.0
            and spec.plf in ("jd", "sa"))


def sweep_distortions(specs: Sequence[PointSpec], jobs: int = 1, *,
                      sdp: bool = True) -> FloatArray:
    """Optimal distortions of many points through the sweep engine (memoised for the process).

    The points not yet known go to :func:`rdp_theory.sweep`, one call per (source, PLF,
    objective) with the points' rates and levels zipped (``product=False``, ``n_jobs=jobs``),
    which computes closed-form points with the vectorised closed forms (bit-identical to the closed-form functions and to
    :func:`rdp_theory.solve_rdp`'s exact route) and the others with
    :func:`rdp_theory.solve_rdp`; the distortions are read back from its ``distortion``
    variable. A solver-route point that :func:`solve_points` already solved is taken from its
    cache (the same ``solve_rdp`` call); a closed-form point never is, unless ``sdp``. Only the distortions come back: points that need the reconstruction
    covariance or correlations, a certificate or ``representation="mse"`` use
    :func:`solve_points` (``temporal_correlation``, ``universality``).

    Parameters
    ----------
    specs : sequence of PointSpec
        ``representation`` must be ``"optimal"``.
    jobs : int
        joblib workers for the sweep's solver points.
    sdp : bool
        Whether the figure reports these points as ``"sdp"`` (:func:`rdp_theory.solve_rdp`).
        Then the points that the engine would compute by a closed form although the figure
        does not (0-PLF-SA lexicographic, PLF-FMD under a weighted objective) are solved by
        :func:`solve_points` instead: ``solve_rdp``'s exact route builds and certifies the
        optimal scheme and its distortions can differ from the vectorised closed forms in the
        last bit, and the figures' numbers must not change. ``False``: every point goes through
        the engine (the caller reports them as ``"closed_form"``).

    Returns
    -------
    ndarray of shape (len(specs), T)
        Row ``i`` holds the distortions of ``specs[i]``; NaN where the solver failed (the figure
        shows a gap). Solver points count as SDP solves in :func:`take_stats`, those the sweep
        flags (``status == "optimal_inaccurate"``) as solver warnings.
    """
    # where each point's numbers come from: solve_rdp (the cache of solve_points) for the
    # closed-form points of an "sdp" figure and, since the engine's solver route is the same
    # solve_rdp call, for solver points already solved; the engine (_SWEPT) otherwise
    closed = [_engine_closed_form(s) for s in specs]
    if sdp:
        solve_points([s for s, c in zip(specs, closed) if c], jobs)
    use_cache = [s in _CACHE and (sdp or not c) for s, c in zip(specs, closed)]
    todo = list(dict.fromkeys(s for s, u in zip(specs, use_cache) if not u and s not in _SWEPT))
    bad = [s for s in todo if s.representation != "optimal"]
    if bad:
        raise ValueError(f"the sweep engine solves representation='optimal' only, got {bad[0]}")
    groups: dict[tuple[Any, ...], list[PointSpec]] = {}
    for s in todo:  # the sweep zips rates and levels; source, PLF and objective are fixed
        groups.setdefault((s.source, s.plf, s.objective), []).append(s)
    for (source, plf, objective), group in groups.items():
        ds = rt.sweep(
            source,
            np.asarray([s.rates for s in group], dtype=float).reshape(len(group), source.T),
            np.asarray([[s.perception] for s in group], dtype=float),
            plf=plf,
            objective=objective if isinstance(objective, str)
            else np.asarray(objective, dtype=float),
            product=False, n_jobs=jobs, progress=False,
        )
        values = np.asarray(ds["distortion"].transpose("point", "frame").values, dtype=float)
        routes = ds["route"].values
        status = ds["status"].values
        for spec, d, route, st in zip(group, values, routes, status):
            _SWEPT[spec] = d.copy()
            if route == "solver":
                _STATS["solves"] += 1
                _STATS["solver_warnings"] += int(st == "optimal_inaccurate")
                _STATS["failed"] += int(st == "failed")
    if not specs:
        return np.empty((0, 0))
    return np.stack([_CACHE[s].distortions if u else _SWEPT[s] for s, u in zip(specs, use_cache)])


def clear_cache() -> None:
    """Forget memoised SDP solutions and swept distortions."""
    _CACHE.clear()
    _SWEPT.clear()


# ------------------------------------------------------------------------- sweeps and rows
def grid(quick: bool, full: Sequence[float] | FloatArray, small: Sequence[float]) -> list[float]:
    """The sweep grid, rounded to 12 decimals so that CSVs read 1.0 rather than 0.9999999999999999."""
    return [round(float(x), 12) for x in (small if quick else full)]


def new_table(T: int) -> Table:
    """An empty table with the columns of a ``T``-frame source."""
    return Table(_table_columns(T))


def _rate_cells(rates: Sequence[float]) -> dict[str, float]:
    return {f"R_{j}": float(r) for j, r in enumerate(rates, start=1)}


def solve_plf(plf: str) -> str:
    """The ``plf`` passed to :func:`rdp_theory.solve_rdp` for a table series (MSE only = any PLF
    at ``P = inf``; FMD is used)."""
    return "fmd" if plf == MSE else plf


def perception_of(plf: str, level: float) -> float:
    """The perception level of a series: ``inf`` for MSE only, ``level`` otherwise."""
    return math.inf if plf == MSE else float(level)


def lex_curve(
    src: rt.GaussMarkovSource, rate_rows: Sequence[Sequence[float]], level: float, plf: str,
    jobs: int,
) -> tuple[FloatArray, str]:
    """Lexicographic per-frame distortions along a sweep, through :func:`sweep_distortions`
    (:func:`rdp_theory.sweep`).

    The engine computes the points with a closed form (MSE only, FMD, 0-PLF-JD) by the
    vectorised closed forms, bit-identical to :func:`sequence_distortions`, and the others
    with :func:`rdp_theory.solve_rdp`. The method returned is ``"closed_form"`` for MSE only,
    FMD and 0-PLF-JD, ``"sdp"`` otherwise; the 0-PLF-SA points (``"sdp"``, although
    ``solve_rdp`` takes its exact route) keep ``solve_rdp``'s numbers (:func:`sweep_distortions`,
    ``sdp=True``), every other point goes through the engine.
    """
    P = perception_of(plf, level)
    closed = plf in (MSE, "fmd") or (plf == "jd" and P == 0.0)
    specs = [PointSpec(src, tuple(map(float, r)), P, solve_plf(plf), LEXICOGRAPHIC, "optimal")
             for r in rate_rows]
    return sweep_distortions(specs, jobs, sdp=not closed), "closed_form" if closed else "sdp"


def add_curve(table: Table, *, panel: str, series: str, plf: str, method: str,
              objective: Objective, representation: str, rate_rows: Sequence[Sequence[float]],
              level: float, xs: Sequence[float], values: FloatArray, frames: Sequence[int],
              quantity: str) -> None:
    """Rows for a sweep: ``values[i, f]`` at ``rate_rows[i]``, ``x = xs[i]``, frame ``frames[f]``."""
    for r, x, v in zip(rate_rows, xs, values):
        table.add_frames(
            frames=frames, values=np.asarray(v)[[f - 1 for f in frames]]
            if quantity == "D" else v,
            panel=panel, series=series, plf=plf, method=method,
            objective=objective_label(objective), representation=representation,
            P=perception_of(plf, level), x=float(x), quantity=quantity, **_rate_cells(r),
        )


def base_params(src: rt.GaussMarkovSource, cfg: RunConfig, **extra: Any) -> dict[str, Any]:
    """The JSON parameters every figure records (source, quick) plus ``extra``."""
    out: dict[str, Any] = {"source": source_params(src), "quick": cfg.quick}
    out.update(extra)
    return out


def frames_array(table: Table, frames: Sequence[int], **where: Any) -> FloatArray:
    """Stack ``value`` of the matching rows into shape (n, len(frames))."""
    return np.stack([table.array(frame=f, **where) for f in frames], axis=1)


def frame_curves(
    table: Table, keys: Sequence[str], series: str = "{}", **where: Any
) -> tuple[list[int], FloatArray, dict[str, FloatArray]]:
    """What a one-panel-per-frame figure reads from ``table``: the sorted frames, the abscissa
    (``x`` of the first key's series in the first frame) and, per key, :func:`frames_array` of
    the series ``series.format(key)``; ``where`` narrows every selection."""
    frames = sorted({int(f) for f in table.select("frame", **where)})
    names = {k: series.format(k) for k in keys}
    first = names[keys[0]]
    xs = np.asarray(table.select("x", series=first, frame=frames[0], **where), dtype=float)
    return frames, xs, {k: frames_array(table, frames, series=n, **where) for k, n in names.items()}

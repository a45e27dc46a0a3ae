"""Library evaluation for the figures: closed forms, memoised parallel SDP sweeps, table rows.

Every number that ends up in a figure is produced by :func:`sequence_distortions` or
:func:`solve_points`, which only call the public :mod:`rdp_theory` API (closed forms where the
theory gives one, :func:`rdp_theory.solve_rdp` otherwise) and record which one was used in the
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


def clear_cache() -> None:
    """Forget memoised SDP solutions."""
    _CACHE.clear()


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
    """Lexicographic per-frame distortions along a sweep: closed form where the theory has one
    (MSE only, FMD, 0-PLF-JD), otherwise :func:`rdp_theory.solve_rdp`."""
    P = perception_of(plf, level)
    try:
        vals = [sequence_distortions(src, r, P, plf)[0] for r in rate_rows]
        return np.asarray(vals), "closed_form"
    except ValueError:
        pass
    specs = [PointSpec(src, tuple(map(float, r)), P, solve_plf(plf), LEXICOGRAPHIC, "optimal")
             for r in rate_rows]
    sols = solve_points(specs, jobs)
    return np.asarray([s.distortions for s in sols]), "sdp"


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

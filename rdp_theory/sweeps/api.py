"""The public sweep: :func:`sweep`."""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import _describe
from ..convex.api import KL_LEVEL_MAX, KL_LEVEL_MAX_REVERSE, LEVEL_MAX, check_levels
from ..exceptions import InvalidParameterError, MissingDependencyError
from ..io import package_version, provenance
from ..source import GaussMarkovSource
from ._closed import fill_closed_forms
from ._execute import run_jobs
from ._grid import KIND_NAMES, Grid, build_grid, describe_point
from ._results import ROUTE_LABELS, SOLVER_LABELS, STATUS_LABELS, Results
from ._solve import chunk_size, jobs, plan
from ._store import ProgressStore

if TYPE_CHECKING:
    import xarray

__all__ = ["sweep"]

log = logging.getLogger("rdp_theory.sweep")


def sweep(
    source: GaussMarkovSource | list[GaussMarkovSource] | tuple[GaussMarkovSource, ...],
    rates: Any,
    perception: Any,
    plf: str | list[str] | tuple[str, ...] = "jd",
    objective: Any = "lexicographic",
    *,
    perception_measure: str = "w2",
    kl_direction: str | None = None,
    product: bool = True,
    n_jobs: int = 1,
    client: Any | None = None,
    progress: bool = True,
    store: str | os.PathLike[str] | None = None,
) -> xarray.Dataset:
    r"""Optimal distortions over a grid of operating points, as an :class:`xarray.Dataset`.

    Every point for which a closed form gives the optimum (MSE only, PLF-FMD at any levels,
    lexicographic 0-PLF-JD and 0-PLF-SA: the cases of ``solve_rdp``'s exact route, the same
    under KL perception) is computed by the vectorised closed forms, all at once; every other point by
    :func:`rdp_theory.solve_rdp`, in chunks of points that share a compiled program, optionally
    in parallel (joblib) or on a dask cluster, optionally saved to a resumable store. The
    dataset's ``route`` says which way each point went.

    Parameters
    ----------
    source : GaussMarkovSource or list of them
        A list is swept (dimension ``source``); all sources need the same ``T``.
    rates : scalar, array or list of T entries
        Rate budgets in bits per sample, each in ``[0, inf]``. A scalar or a 1-D array of length
        ``T`` is fixed. A list or tuple of ``T`` entries gives each frame's rate, and an entry
        that is a 1-D array is swept along dimension ``R<k>`` (frame ``k``, 1-based), e.g.
        ``(0.05, np.linspace(0, 3, 50), 1.0)`` sweeps ``R2``. A 2-D array of shape ``(n, 1)``
        sweeps one rate shared by every frame (dimension ``R``); of shape ``(n, T)``, ``n``
        rate vectors (dimension ``rates``). The type decides: a list is always per frame.
    perception : same forms as ``rates``
        Perception levels in ``[0, inf]`` in ``perception_measure``'s units (W2^2: source units
        squared; KL: nats), ``inf``: unconstrained; dimensions ``P<k>``, ``P`` and
        ``perception``. Finite levels of solver points are bounded as in ``solve_rdp``
        (``LEVEL_MAX`` times the total variance of frames 1..k for W2^2, ``KL_LEVEL_MAX`` =
        9.86 nats for KL, ``KL_LEVEL_MAX_REVERSE`` for ``"x||xhat"``).
    plf : {"jd", "fmd", "sa"} or list of them
        Perception loss function(s); a list is swept (dimension ``plf``).
    objective : "lexicographic", weights of shape (T,), or a list of them
        As in :func:`rdp_theory.solve_rdp`; a list (or a 2-D array of weight rows) is swept
        (dimension ``objective``, labelled ``"lexicographic"`` / ``"weights(1, 0, 2)"``).
    perception_measure : {"w2", "kl"}
        The divergence the levels bound, as in :func:`rdp_theory.solve_rdp`: squared
        Wasserstein-2 (the default) or the KL divergence in nats (docs/theory.md 4.11-4.12).
        Under ``"kl"`` every PLF of the sweep must allow it: PLF-JD and PLF-FMD; PLF-SA is
        refused (:class:`~rdp_theory.InvalidParameterError`: KL is not jointly convex in the
        laws SA compares; at levels 0 and ``inf`` the W2 sweep gives the same numbers).
    kl_direction : {"xhat||x", "x||xhat"}, optional
        The order of the KL divergence (``"xhat||x"``, the default for ``"kl"``:
        KL(law of the reconstruction || law of the source)); ``"x||xhat"`` for PLF-FMD only.
        Must be None for ``"w2"``.
    product : bool
        ``True``: every combination of the swept values (their outer product). ``False``: the
        swept arguments are zipped: they must have the same length ``n``, and the result has
        one dimension ``point`` (an explicit list of ``n`` points).
    n_jobs : int
        Worker processes for the solver points (joblib, ``-1``: all cores; the backend
        configured with ``joblib.parallel_config``, e.g. ``"dask"``, is used when set).
        Closed-form points never need workers.
    client : distributed.Client, optional
        Run the solver chunks on this dask cluster instead (``n_jobs`` must then be 1).
    progress : bool
        Show a tqdm progress bar (points done, points per second, flagged count).
    store : path, optional
        A zarr store (created if absent) where every chunk of solver points is written as it
        completes. Calling again with the same arguments and store recomputes only the chunks
        that are missing, e.g. after the sweep was killed; the result equals an uninterrupted
        run's. A store holding anything else (another sweep, also the same grid under another
        perception measure or KL order) raises :class:`~rdp_theory.SweepStoreError`.

    Returns
    -------
    xarray.Dataset
        Dimensions: the swept ones (in the order source, plf, objective, rate axes, perception
        axes; or ``point``), then ``frame`` (1..T). Variables, per point (and per frame where
        marked):

        * ``distortion`` (frame): :math:`D_k`, MSE in source units squared;
        * ``perception_value`` (frame): :math:`\phi_k` of the optimal scheme under the point's
          PLF, in the measure's units: W2^2 (source units squared) or KL in nats (``inf``
          where the reconstruction's law is singular, which only an infinite level allows);
        * ``rate_used`` (frame): bits per sample actually spent (at most the budget);
        * ``objective_value``: :math:`D_T` (lexicographic) or :math:`\sum_k w_k D_k`;
        * ``status``: ``"optimal"``, ``"optimal_inaccurate"`` (flagged by the certificate or
          the closed-form checks) or ``"failed"`` (the solver raised; numbers are NaN);
        * ``route``: ``"closed_form"`` or ``"solver"``; ``solver``: the solver of the final
          (sub)problem (``"closed_form"``, ``"CLARABEL"``, ``"SCS"``; ``""`` if failed);
        * ``primal_residual``, ``duality_gap``, ``relative_gap``, ``attempts``: the
          certificate's figures (:class:`~rdp_theory.Certificate`). Closed-form points are
          exact: gaps 0, no attempts, and a NaN primal residual (no program was solved).

        Coordinates ``rate`` and ``perception_level`` (frame) hold every point's budgets and
        levels (W2^2 or nats); ``source_sigma`` and ``source_rho`` (frame; ``rho_k = corr(X_k, X_{k+1})``,
        NaN for the last frame) the sources. Attributes: ``perception_measure`` (``"w2"`` or
        ``"kl"``) and ``kl_direction`` (``""`` for W2), package version, git revision,
        solver versions, date, counts per route, ``seconds`` (this call) and ``solve_seconds``
        (time inside ``solve_rdp`` this call, summed over the workers). ``.to_dataframe()`` gives the tidy table
        (one row per point and frame).

    Raises
    ------
    InvalidParameterError
        A bad argument (named, with the allowed forms and range).
    SweepStoreError
        ``store`` is not a sweep store, holds another sweep, or is corrupt.
    MissingDependencyError
        xarray (or zarr for ``store``, distributed for ``client``, joblib for ``n_jobs``) is
        not installed: ``pip install 'rdp-theory[sweep]'``.

    Notes
    -----
    Points the solver flags are logged (logger ``rdp_theory.sweep``, WARNING) with their
    coordinates and the solver's message; their warnings are not re-emitted. Results do not
    depend on ``n_jobs``, the executor or interruptions: each point is one deterministic
    ``solve_rdp`` call.

    Examples
    --------
    >>> import numpy as np, rdp_theory as rt
    >>> src = rt.GaussMarkovSource.stationary(3, sigma=1.0, rho=0.9)
    >>> ds = rt.sweep(src, rates=(0.05, np.linspace(0.5, 3, 6), 1.0),
    ...               perception=np.array([[0.0], [np.inf]]), plf=["jd", "fmd"], progress=False)
    >>> dict(ds.sizes)
    {'plf': 2, 'R2': 6, 'P': 2, 'frame': 3}
    >>> sorted(set(ds.route.values.ravel()))
    ['closed_form']
    >>> kl = rt.sweep(src, rates=1.0, perception=np.array([[0.0], [0.05]]), plf=["jd", "fmd"],
    ...               perception_measure="kl", progress=False)
    >>> kl.attrs["perception_measure"], kl.attrs["kl_direction"], list(kl.route.values.ravel())
    ('kl', 'xhat||x', ['closed_form', 'solver', 'closed_form', 'closed_form'])
    """
    xr = _require("xarray")
    if not isinstance(product, (bool, np.bool_)):
        raise InvalidParameterError(f"product must be True or False, got {_describe(product)}")
    grid = build_grid(source, rates, perception, plf, objective, bool(product), perception_measure, kl_direction)
    n_jobs = _check_n_jobs(n_jobs)
    if not isinstance(progress, (bool, np.bool_)):
        raise InvalidParameterError(f"progress must be True or False, got {_describe(progress)}")
    client = _check_client(client, n_jobs)
    path = _check_store(store)

    start = time.perf_counter()
    kinds = grid.kinds()
    order = plan(grid, kinds)
    _check_levels(grid, order)
    C = chunk_size(order.size)
    res = Results(grid.size, grid.T)
    summary = {"dims": dict(zip(grid.dims, grid.shape)), "frames": grid.T, "solver_points": int(order.size),
               "perception_measure": _measure_label(grid)}
    box = ProgressStore(path, grid.fingerprint(order.tobytes() + str(C).encode()), int(order.size), grid.T, C, summary) if path else None
    if n_jobs != 1 and order.size and client is None:
        _require("joblib")
    n_closed = fill_closed_forms(grid, kinds, res)
    skip: frozenset[int] = frozenset()
    if box is not None:
        done, values, codes = box.completed()
        skip = frozenset(int(k) for k in done)
        for k in done:
            rows = slice(k * C, (k + 1) * C)
            res.put(order[rows], values[rows], codes[rows])
    loaded = int(sum(min(C, order.size - k * C) for k in skip))
    todo = jobs(grid, order, C, skip)
    bar = _bar(progress, grid.size, n_closed + loaded)
    flagged = int(res.flagged().sum())
    solve_seconds = 0.0
    try:
        for result in run_jobs(todo, n_jobs, client):
            idx = order[result.index * C:result.index * C + result.values.shape[0]]
            solve_seconds += result.seconds
            res.put(idx, result.values, result.codes)
            if box is not None:
                box.write(result.index, result.values, result.codes)
            flagged += _log_flagged(grid, idx, result.codes[:, 0], result.notes)
            if bar is not None:
                bar.set_postfix_str(f"flagged={flagged}", refresh=False)
                bar.update(len(idx))
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - start
    log.info(
        "sweep: %d points (%d closed form, %d solver, %d of them from the store), %d flagged, %.3g s",
        grid.size, n_closed, order.size, loaded, flagged, seconds,
    )
    counts = {"closed_form_points": n_closed, "solver_points": int(order.size),
              "points_from_store": loaded, "flagged_points": flagged}
    ds = _dataset(xr, grid, res, counts)
    ds.attrs["solve_seconds"] = solve_seconds  # inside solve_rdp, summed over the workers
    ds.attrs["seconds"] = time.perf_counter() - start  # the whole call
    return ds


def _require(module: str) -> Any:
    """Import an optional dependency of the sweep, or raise MissingDependencyError."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"rdp_theory.sweep needs {module.split('.')[0]}: pip install 'rdp-theory[sweep]'"
        ) from exc


def _check_n_jobs(n_jobs: object) -> int:
    ok = isinstance(n_jobs, (int, np.integer)) and not isinstance(n_jobs, (bool, np.bool_))
    if not ok or not (int(n_jobs) >= 1 or int(n_jobs) == -1):  # type: ignore[call-overload]
        raise InvalidParameterError(
            f"n_jobs must be a positive integer or -1 (all cores), got {_describe(n_jobs)}"
        )
    return int(n_jobs)  # type: ignore[call-overload]


def _check_client(client: object, n_jobs: int) -> Any | None:
    if client is None:
        return None
    distributed = _require("distributed")
    if not isinstance(client, distributed.Client):
        raise InvalidParameterError(
            f"client must be a distributed.Client or None, got {_describe(client)}"
        )
    if n_jobs != 1:
        raise InvalidParameterError(
            f"n_jobs must be 1 when a client is given (the cluster decides), got {n_jobs}"
        )
    return client


def _check_store(store: object) -> Path | None:
    if store is None:
        return None
    if not isinstance(store, (str, os.PathLike)) or not os.fspath(store):
        raise InvalidParameterError(
            f"store must be None or a non-empty path (str or os.PathLike), got {_describe(store)}"
        )
    path = Path(os.fspath(store)).expanduser()
    if path.exists() and not path.is_dir():
        from ..exceptions import SweepStoreError

        raise SweepStoreError(f"store {str(path)!r} is a file, not a sweep store; nothing was changed")
    return path


def _check_levels(grid: Grid, order: np.ndarray) -> None:
    """Finite levels of solver points must be at most ``LEVEL_MAX`` times the total variance of
    frames 1..k (W2^2) or ``KL_LEVEL_MAX`` nats (KL; ``KL_LEVEL_MAX_REVERSE`` for ``"x||xhat"``),
    as :func:`rdp_theory.solve_rdp` demands, checked before anything is solved."""
    if order.size == 0:
        return
    P = grid.point_perception()[order]
    src = grid.flat(grid.source_index, False)[order]
    if grid.measure == "kl":
        top = KL_LEVEL_MAX_REVERSE if grid.kl_direction == "x||xhat" else KL_LEVEL_MAX
        bad_rows = np.flatnonzero((np.isfinite(P) & (P > top)).any(axis=1))
        if bad_rows.size:
            row = int(bad_rows[0])
            try:  # solve_rdp's own check and message, with the point's coordinates added
                check_levels(P[row], grid.sources[src[row]], "kl", "perception", grid.kl_direction)
            except InvalidParameterError as exc:
                raise InvalidParameterError(
                    f"{exc} (at {describe_point(grid, int(order[row]))})"
                ) from None
        return
    for s, source in enumerate(grid.sources):
        scale = LEVEL_MAX * np.cumsum(source.variances)
        bad = (src == s)[:, None] & np.isfinite(P) & (P > scale)
        if bad.any():
            row, k = np.argwhere(bad)[0]
            raise InvalidParameterError(
                f"perception[{k}] = {P[row, k]:.6g} (at {describe_point(grid, int(order[row]))}) "
                f"is finite but above {LEVEL_MAX:g} times the total variance of frames 1..{k + 1} "
                f"({scale[k]:.6g}); use inf for an unconstrained frame (allowed range "
                f"[0, {scale[k]:.6g}] or inf)"
            )


def _bar(progress: bool, total: int, initial: int) -> Any | None:
    if not progress:
        return None
    tqdm = _require("tqdm.auto").tqdm  # a widget in notebooks, text on a terminal
    return tqdm(total=total, initial=initial, unit="pt", desc="sweep", smoothing=0.1)


def _log_flagged(grid: Grid, idx: np.ndarray, status: np.ndarray, notes: tuple[tuple[int, str], ...]) -> int:
    """Log every flagged point of a chunk (with its messages); return how many there were."""
    messages: dict[int, list[str]] = {}
    for row, text in notes:
        messages.setdefault(row, []).append(text)
    rows = np.flatnonzero(status > STATUS_LABELS.index("optimal"))
    for k in rows:
        log.warning(
            "sweep: point %s is %s: %s", describe_point(grid, int(idx[k])),
            STATUS_LABELS[status[k]], " | ".join(messages.get(int(k), ["(no message)"])),
        )
    return int(rows.size)


def _measure_label(grid: Grid) -> str:
    """``"w2"`` or ``"kl(xhat||x)"`` / ``"kl(x||xhat)"``."""
    return grid.measure if grid.kl_direction is None else f"{grid.measure}({grid.kl_direction})"


_UNITS = {
    "distortion": ("distortion D_k (MSE)", "source units squared"),
    "perception_value": ("perception value phi_k (W2^2) under the point's PLF", "source units squared"),
    "rate_used": ("rate used I(X_k; U_k | U_<k)", "bits per sample"),
    "objective_value": ("objective: D_T (lexicographic) or sum_k w_k D_k", "source units squared"),
    "primal_residual": ("certificate: largest primal residual (NaN on the closed-form route)", "source units squared"),
    "duality_gap": ("certificate: duality gap of the final (sub)problem (weighted: the objective "
                    "scaled so that its largest weight w_k sigma_k^2 is the largest variance; "
                    "lexicographic: 0, see relative_gap)", "source units squared"),
    "relative_gap": ("certificate: duality gap relative to the objective", "1"),
    "attempts": ("solver attempts", "1"),
    "status": ("optimal, optimal_inaccurate or failed", ""),
    "route": ("closed_form (vectorised closed forms) or solver (solve_rdp)", ""),
    "solver": ("solver of the final (sub)problem", ""),
    "rate": ("rate budget R_k", "bits per sample"),
    "perception_level": ("perception level P_k (W2^2; inf = unconstrained)", "source units squared"),
}


def _units(grid: Grid) -> dict[str, tuple[str, str]]:
    """:data:`_UNITS`, with the perception entries in nats under KL."""
    if grid.measure != "kl":
        return _UNITS
    what = f"KL({grid.kl_direction})"
    return _UNITS | {
        "perception_value": (f"perception value phi_k ({what}) under the point's PLF", "nats"),
        "perception_level": (f"perception level P_k ({what}; inf = unconstrained)", "nats"),
    }


def _dataset(xr: Any, grid: Grid, res: Results, counts: dict[str, int]) -> xarray.Dataset:
    dims, shape, T = grid.dims, grid.shape, grid.T
    framed = dims + ("frame",)
    units_of = _units(grid)

    def var(name: str, values: np.ndarray, per_frame: bool) -> tuple[tuple[str, ...], np.ndarray, dict[str, str]]:
        long_name, units = units_of[name]
        attrs = {"long_name": long_name, "units": units} if units else {"long_name": long_name}
        return (framed if per_frame else dims), values.reshape(shape + ((T,) if per_frame else ())), attrs

    def labels(table: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
        return np.array(table, dtype=object)[codes]

    data = {
        "distortion": var("distortion", res.distortion, True),
        "perception_value": var("perception_value", res.perception_value, True),
        "rate_used": var("rate_used", res.rate_used, True),
        "objective_value": var("objective_value", res.objective_value, False),
        "status": var("status", labels(STATUS_LABELS, res.status), False),
        "route": var("route", labels(ROUTE_LABELS, res.route), False),
        "solver": var("solver", labels(SOLVER_LABELS, res.solver), False),
        "primal_residual": var("primal_residual", res.primal_residual, False),
        "duality_gap": var("duality_gap", res.duality_gap, False),
        "relative_gap": var("relative_gap", res.relative_gap, False),
        "attempts": var("attempts", res.attempts, False),
    }
    coords: dict[str, Any] = {}
    for name, (cdims, values) in grid.coords.items():
        if name in units_of:
            long_name, units = units_of[name]
            coords[name] = (cdims, values, {"long_name": long_name, "units": units})
        else:
            coords[name] = (cdims, values)
    prov = provenance()
    attrs = {
        "title": "rate-distortion-perception sweep (rdp_theory.sweep)",
        "rdp_theory_version": package_version(),
        "git_revision": prov["git_revision"],
        "python": prov["python"],
        "numpy": prov["numpy"],
        "platform": prov["platform"],
        "solver": _solver_versions(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "perception_measure": grid.measure,
        "kl_direction": grid.kl_direction or "",
        "closed_forms": ", ".join(KIND_NAMES[1:]),
        **counts,
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _solver_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("cvxpy", "clarabel", "scs"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:  # pragma: no cover - core dependencies
            parts.append(f"{name} (not installed)")
    return ", ".join(parts)

"""The solver route of a sweep: points grouped by structure into chunks, one worker call each.

Points that need the convex program are ordered so that points sharing a *structure* (source,
PLF, objective, and which levels are 0 / finite / infinite and which rates are 0 / finite /
lossless: what decides the compiled program) are neighbours, then cut into chunks of at most
``MAX_CHUNK`` points. A worker process therefore meets few structures and reuses the programs
it compiled for them (:func:`rdp_theory.solve_rdp` caches them per process and is re-entrant).
The chunk size depends only on the number of solver points, never on ``n_jobs`` or the
executor, so a store written by one run can be resumed by another, and every executor computes
the same chunks.

:func:`solve_job` is what a worker runs: plain :func:`rdp_theory.solve_rdp` calls (with the
sweep's perception measure), with each point's warnings recorded (not emitted) and its solver
errors turned into a ``failed`` status.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..convex import solve_rdp
from ..convex.api import RATE_LOSSLESS
from ..exceptions import RDPError
from ..source import GaussMarkovSource
from ._grid import SOLVER_KIND, Grid, Objective
from ._results import FRAME_FIELDS, STATUS_LABELS, columns, solver_code

__all__ = ["Job", "JobResult", "MAX_CHUNK", "chunk_size", "plan", "jobs", "solve_job"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Largest chunk (points per worker call). About 0.2 s of T = 3 solves: enough to make the
#: per-call cost of an executor (pickling, scheduling: about 1 ms) negligible, small enough
#: to balance two workers and to lose little work when a sweep is killed.
MAX_CHUNK = 32
#: A sweep with few solver points is cut into about this many chunks (at least one point each).
TARGET_CHUNKS = 64


def chunk_size(M: int) -> int:
    """Points per chunk for ``M`` solver points (a function of ``M`` only)."""
    return max(1, min(MAX_CHUNK, math.ceil(M / TARGET_CHUNKS)))


def plan(grid: Grid, kinds: NDArray[np.int8]) -> IntArray:
    """Flat indices of the solver points, grouped by structure (module docstring)."""
    idx = np.flatnonzero(kinds == SOLVER_KIND)
    if idx.size == 0:
        return idx
    R = grid.point_rates()[idx]
    P = grid.point_perception()[idx]
    pattern = np.concatenate(
        [np.where(P == 0, 0, np.where(np.isinf(P), 2, 1)),
         np.where(R == 0, 0, np.where(R > RATE_LOSSLESS, 2, 1))], axis=1
    ).astype(np.int8)
    group = np.unique(pattern, axis=0, return_inverse=True)[1].reshape(-1)
    keys = (
        idx,
        group,
        grid.flat(grid.objective_index, False)[idx],
        grid.flat(grid.plf_index, False)[idx],
        grid.flat(grid.source_index, False)[idx],
    )
    return idx[np.lexsort(keys)]


@dataclass(frozen=True, eq=False)
class Job:
    """One chunk of solver points, self-contained (it is pickled to a worker).

    ``rates`` and ``perception`` have shape (n, T); the index arrays (n,) refer to the tables
    ``sources``, ``plfs``, ``objectives``; ``measure`` and ``kl_direction`` are the sweep's
    perception measure, passed to every ``solve_rdp`` call.
    """

    index: int
    sources: tuple[GaussMarkovSource, ...]
    plfs: tuple[str, ...]
    objectives: tuple[Objective, ...]
    source_index: IntArray
    plf_index: IntArray
    objective_index: IntArray
    rates: FloatArray
    perception: FloatArray
    measure: str = "w2"
    kl_direction: str | None = None

    def __len__(self) -> int:
        return int(self.rates.shape[0])


@dataclass(frozen=True, eq=False)
class JobResult:
    """What a worker returns: packed results (:mod:`._results`), the warnings and errors of its
    points as ``(row, message)``, and the seconds spent inside ``solve_rdp``."""

    index: int
    values: FloatArray
    codes: NDArray[np.int16]
    notes: tuple[tuple[int, str], ...]
    seconds: float


def jobs(grid: Grid, order: IntArray, chunk: int, skip: frozenset[int] = frozenset()) -> list[Job]:
    """The chunks of ``order`` (``chunk`` points each, the last one shorter), except ``skip``."""
    if order.size == 0:
        return []
    R = grid.point_rates()
    P = grid.point_perception()
    s = grid.flat(grid.source_index, False)
    p = grid.flat(grid.plf_index, False)
    o = grid.flat(grid.objective_index, False)
    out = []
    for k in range(math.ceil(order.size / chunk)):
        if k in skip:
            continue
        idx = order[k * chunk:(k + 1) * chunk]
        out.append(Job(k, grid.sources, grid.plfs, grid.objectives, s[idx], p[idx], o[idx], R[idx], P[idx],
                       grid.measure, grid.kl_direction))
    return out


def solve_job(job: Job) -> JobResult:
    """Solve every point of ``job`` with :func:`rdp_theory.solve_rdp` (runs in a worker)."""
    n = len(job)
    T = job.rates.shape[1]
    values = np.full((n, columns(T)), np.nan)
    codes = np.zeros((n, 3), dtype=np.int16)
    notes: list[tuple[int, str]] = []
    seconds = 0.0
    for row in range(n):
        obj = job.objectives[job.objective_index[row]]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            try:
                sol = solve_rdp(
                    job.sources[job.source_index[row]], job.rates[row], job.perception[row],
                    plf=job.plfs[job.plf_index[row]],
                    objective=obj if isinstance(obj, str) else np.asarray(obj),
                    perception_measure=job.measure, kl_direction=job.kl_direction,
                )
            except RDPError as exc:
                seconds += time.perf_counter() - start
                codes[row] = (STATUS_LABELS.index("failed"), 0, 0)
                notes.append((row, f"{type(exc).__name__}: {exc}"))
                continue
            seconds += time.perf_counter() - start
        notes.extend((row, str(w.message)) for w in caught)
        cert = sol.certificate
        values[row, : len(FRAME_FIELDS) * T] = np.concatenate(
            [sol.distortions, sol.perception_values, sol.rates_used]
        )
        values[row, len(FRAME_FIELDS) * T:] = (
            sol.objective_value, cert.primal_residual, cert.duality_gap, cert.relative_gap,
        )
        status = STATUS_LABELS.index(sol.status) if sol.status in STATUS_LABELS else STATUS_LABELS.index("optimal_inaccurate")
        codes[row] = (status, solver_code(sol.solver), min(cert.attempts, 32767))
    return JobResult(job.index, values, codes, tuple(notes), seconds)

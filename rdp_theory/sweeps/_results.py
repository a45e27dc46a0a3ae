"""The per-point results of a sweep, as flat arrays, and their packed form.

A chunk of solver points travels (from a worker, to and from the store) as two arrays: ``values``
of shape (n, 3T + 4) float64 (distortions, perception values and rates used per frame, then the
objective value, primal residual, duality gap and relative gap) and ``codes`` of shape (n, 3)
int16 (status, solver, attempts). Labels are fixed tables, so a code means the same in every
process and every store.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Results",
    "STATUS_LABELS",
    "SOLVER_LABELS",
    "ROUTE_LABELS",
    "FRAME_FIELDS",
    "SCALAR_FIELDS",
    "columns",
    "solver_code",
]

FloatArray = NDArray[np.float64]

#: Status of a point: ``missing`` (not computed yet; never in a returned dataset), ``optimal``,
#: ``optimal_inaccurate`` (flagged by the solver's certificate or checks) or ``failed`` (the
#: solver raised; the point's numbers are NaN).
STATUS_LABELS = ("missing", "optimal", "optimal_inaccurate", "failed")
#: Solver of a point's final (sub)problem; ``""`` for a failed point.
SOLVER_LABELS = ("", "closed_form", "CLARABEL", "SCS", "other")
#: How a point was computed: by :func:`rdp_theory.solve_rdp`, or by the vectorised closed forms.
ROUTE_LABELS = ("solver", "closed_form")

FRAME_FIELDS = ("distortion", "perception_value", "rate_used")
SCALAR_FIELDS = ("objective_value", "primal_residual", "duality_gap", "relative_gap")


def columns(T: int) -> int:
    """Width of a packed ``values`` row for ``T`` frames."""
    return len(FRAME_FIELDS) * T + len(SCALAR_FIELDS)


def solver_code(name: str) -> int:
    """The code of a solver name (``"other"`` for a name outside :data:`SOLVER_LABELS`)."""
    return SOLVER_LABELS.index(name) if name in SOLVER_LABELS else SOLVER_LABELS.index("other")


class Results:
    """Flat per-point arrays for ``N`` points of ``T`` frames (filled in place, then assembled).

    Floats start as NaN and the status as ``missing``.
    """

    def __init__(self, N: int, T: int) -> None:
        self.T = T
        self.distortion = np.full((N, T), np.nan)
        self.perception_value = np.full((N, T), np.nan)
        self.rate_used = np.full((N, T), np.nan)
        self.objective_value = np.full(N, np.nan)
        self.primal_residual = np.full(N, np.nan)
        self.duality_gap = np.full(N, np.nan)
        self.relative_gap = np.full(N, np.nan)
        self.status = np.zeros(N, dtype=np.int8)
        self.solver = np.zeros(N, dtype=np.int8)
        self.attempts = np.zeros(N, dtype=np.int16)
        self.route = np.zeros(N, dtype=np.int8)

    def mark_closed(self, sel: slice | NDArray[np.bool_]) -> None:
        """Closed-form points: optimal, exact (duality gap 0, like ``solve_rdp``'s closed-form
        route), no program solved (primal residual NaN: no primal to check)."""
        self.status[sel] = STATUS_LABELS.index("optimal")
        self.solver[sel] = SOLVER_LABELS.index("closed_form")
        self.route[sel] = ROUTE_LABELS.index("closed_form")
        self.attempts[sel] = 0
        self.primal_residual[sel] = np.nan
        self.duality_gap[sel] = 0.0
        self.relative_gap[sel] = 0.0

    def put(self, idx: NDArray[np.intp], values: FloatArray, codes: NDArray[np.int16]) -> None:
        """Store packed solver results (module docstring) for the points ``idx``."""
        T = self.T
        for f, name in enumerate(FRAME_FIELDS):
            getattr(self, name)[idx] = values[:, f * T:(f + 1) * T]
        for s, name in enumerate(SCALAR_FIELDS):
            getattr(self, name)[idx] = values[:, len(FRAME_FIELDS) * T + s]
        self.status[idx] = codes[:, 0]
        self.solver[idx] = codes[:, 1]
        self.attempts[idx] = codes[:, 2]
        self.route[idx] = ROUTE_LABELS.index("solver")

    def flagged(self) -> NDArray[np.bool_]:
        """Points whose status is neither ``optimal`` nor ``missing``."""
        return self.status > STATUS_LABELS.index("optimal")

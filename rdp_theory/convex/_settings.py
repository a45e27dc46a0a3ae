"""Solver settings: one solver with its options (:class:`SolverSettings`), and the named
settings the fallback lists are made of, each with the measurements that chose it.

:mod:`._backend` runs an attempt with them; ``_weighted``, ``_stage`` and ``rate`` order them
into fallback lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cvxpy as cp

__all__ = [
    "SolverSettings", "TIGHT", "UNREFINED", "MODERATE", "LOOSE", "DEFAULT", "NO_EQUILIBRATION",
    "REGULARISED", "SCS",
]


@dataclass(frozen=True)
class SolverSettings:
    """One solver with its options.

    ``almost_solved_is_optimal``: Clarabel's "AlmostSolved" counts as ``optimal`` (set where the
    reduced tolerances are Clarabel's own full-accuracy defaults, see :data:`TIGHT`).
    """

    solver: str
    options: tuple[tuple[str, Any], ...]
    almost_solved_is_optimal: bool = False

    @property
    def opts(self) -> dict[str, Any]:
        return dict(self.options)

    @classmethod
    def of(cls, solver: str, almost_solved_is_optimal: bool = False, **options: Any) -> SolverSettings:
        return cls(solver, tuple(options.items()), almost_solved_is_optimal)


# First attempt: tolerances 1e-12. Clarabel then reports "AlmostSolved" (cvxpy:
# optimal_inaccurate) when it stops between 1e-12 and its *reduced* tolerances, which we set to
# 1e-8 -- Clarabel's own default full-accuracy tolerances. Such a result is as good as a default
# "Solved", so after this attempt the verdict is the certificate's, not the flag's.
_TIGHT_OPTIONS: dict[str, Any] = dict(
    tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12, tol_ktratio=1e-10, max_iter=300,
    reduced_tol_gap_abs=1e-8, reduced_tol_gap_rel=1e-8, reduced_tol_feas=1e-8,
    reduced_tol_ktratio=1e-6,
)
TIGHT = SolverSettings.of(cp.CLARABEL, True, **_TIGHT_OPTIONS)
# The same without iterative refinement of the KKT solves: 30-40% faster when the PSD cones are
# large (T = 10 with a coupling: 44 ms against 68 ms), and no less accurate on most instances;
# it is the first attempt, so the certificate (relative gap included) decides whether it is
# kept or the refined attempts run (they rescue high-rate instances, where refinement matters).
UNREFINED = SolverSettings.of(
    cp.CLARABEL, True, **_TIGHT_OPTIONS, iterative_refinement_enable=False
)
# UNREFINED stopping at 1e-10 instead of 1e-12: the rate form's first attempt. Its objective is
# the total rate in bits (order 1 to 10), so 1e-10 bits of duality gap is far inside the
# certificate's bounds (REL_GAP 1e-6 of the total, ACCURACY 1e-7), while Clarabel spends about
# 40% of its iterations between 1e-10 and 1e-12 (T = 10 with couplings: 24-28 iterations against
# 43-47, where the last 15-20 take short steps). The certificate still decides; the 1e-12 attempts
# follow when it fails. (The weighted objective w @ D can be 1e-6 at high rates, where an absolute
# 1e-10 is not accurate enough: it keeps UNREFINED.)
MODERATE = SolverSettings.of(
    cp.CLARABEL, True, **{
        **_TIGHT_OPTIONS, "tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10,
        "tol_ktratio": 1e-8, "iterative_refinement_enable": False,
    },
)
# MODERATE stopping at 1e-9: the rate form's first attempts where every target is at least 1e-2 of
# its frame's variance and every W2 level at least 1e-4 of the largest (``rate.rate_attempts``,
# which says why the levels count too). The certificate checks each target relative to
# itself (``_certify.RATE_TARGET_RTOL``, 1e-6) and Clarabel's feasibility tolerance is absolute in
# the frame-normalised program, so 1e-9 suits targets of 1e-2 and above (1e-7 of them) and not
# smaller ones: on 300 random instances of T = 2..5 it needed a second attempt on 99 of 177 with
# a target below 1e-3 (19 at 1e-10), on none of 32 with every target above 1e-2. At T = 10 with
# up to ten couplings it saves 2-5 of 19-29 iterations (the median instance: 5-7% of the time
# for JD, 8-18% for SA), totals within 2e-8 relative of a 1e-12 solve (at 1e-10: 2e-9).
# Measured 2026-11-30 (docs/benchmarks.md).
LOOSE = SolverSettings.of(
    cp.CLARABEL, True, **{
        **_TIGHT_OPTIONS, "tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9,
        "tol_ktratio": 1e-7, "iterative_refinement_enable": False,
    },
)
DEFAULT = SolverSettings.of(cp.CLARABEL, max_iter=500)
# Degenerate instances (e.g. a perception level at exactly the tangency value, where several W2
# couplings are tight and singular together) can stall Clarabel under Ruiz equilibration;
# without it, or with more static regularisation, they solve to ~1e-8.
NO_EQUILIBRATION = SolverSettings.of(cp.CLARABEL, equilibrate_enable=False, max_iter=500)
REGULARISED = SolverSettings.of(cp.CLARABEL, static_regularization_constant=1e-6, max_iter=500)
# SCS (first order, ~1e-6) is the last resort.
SCS = SolverSettings.of(cp.SCS, eps_abs=1e-9, eps_rel=1e-9, max_iters=20_000)

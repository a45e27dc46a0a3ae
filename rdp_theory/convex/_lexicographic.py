r"""The lexicographic chain: min :math:`D_1`, then :math:`D_2` given :math:`D_1`, ...

Stage ``k`` minimises :math:`D_k` subject to :math:`D_j \le D_j^\star + \text{slack}_j` for
``j < k``, where :math:`D_j^\star` is the value *achieved* at stage ``j`` (a feasible point, so
a cap never makes the program infeasible), with
:math:`\text{slack}_j = r\,(D_j^\star + 10^{-3}\sigma_j^2)`. Clarabel is tried with :math:`r`
growing tenfold through ``_LEX_SLACKS``; the full fallback list runs last.

Accuracy: a cap's multiplier can be unbounded (a frame reaching its optimum exactly pins noise
directions of the decoder), so later frames can gain :math:`O(\sqrt{\text{slack}})` below the
exact lexicographic value. The slack used is reported in the certificate, with two diagnostics
(undershoot, sensitivity) that flag such results.

Moved here unchanged from the former single module (to be rewritten): :func:`_stage` keeps the
original plan/retry loop in one piece (about 90 lines) because its ``i``/``tested``/``kept``
state machine reads best as a whole.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from ..exceptions import SolverError
from ._backend import NO_EQUILIBRATION, TIGHT, UNREFINED
from ._certify import Report, Scheme, assemble
from ._instance import Instance
from ._weighted import ATTEMPTS, Attempt, Form, Infeasible, solve_weighted
from .result import LEX_SENSITIVITY_WARN, LEX_UNDERSHOOT_WARN, RDPSolution

__all__ = ["solve_lexicographic"]

FloatArray = NDArray[np.float64]

# Lexicographic chain: cap D_j <= D_j* + slack, slack = rel * (D_j* + 1e-3 max sigma^2).
# A cap that is too tight leaves an interior-point method a sliver of a feasible set; one that is
# too loose lets later frames gain about sqrt(slack) (the caps' multipliers can be unbounded).
# So each stage tries Clarabel with growing slack first, and the full fallback list last.
_LEX_SLACKS = (1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6)
#: further slack levels tried when a stage is acceptable but not accurate (see _stage)
_LEX_RETRIES = 2
# Lexicographic stages meet degenerate faces (caps at a frame's exact optimum) far more often,
# so they skip the substituted formulation.
_LEX_ATTEMPTS: tuple[Attempt, ...] = (
    Attempt(TIGHT, Form.ROBUST),
    Attempt(NO_EQUILIBRATION, Form.ROBUST),
    Attempt(TIGHT, Form.RESCALED),
)
# A lexicographic chain is only as accurate as its stages' caps, so its stages (the first, and
# the last resort of the others) skip the unrefined attempt.
_LEX_FALLBACKS: tuple[Attempt, ...] = tuple(a for a in ATTEMPTS if a.settings != UNREFINED)
#: weights of earlier frames (relative, scale-normalised) in the penalised lexicographic fallback
_LEX_PENALTIES = (1e3, 1e2)
#: largest relative drift of an earlier frame accepted from the penalised fallback; beyond it the
#: chain raises SolverError rather than call the result lexicographic
_LEX_MAX_DRIFT = 1e-2


def _unit(T: int, k: int) -> FloatArray:
    w = np.zeros(T)
    w[k] = 1.0
    return w


def solve_lexicographic(inst: Instance) -> tuple[RDPSolution, tuple[str, ...]]:
    """The lexicographic chain with certified caps; the solution and its warnings."""
    T = inst.T
    best = np.zeros(T)
    slack_used: list[float] = []
    total_attempts = 0
    pinned: set[int] = set()
    penalised = False
    stage_gap = stage_worst = 0.0
    scheme: Scheme | None = None
    for k in range(T):
        scheme, rel, used, stage_penalised = _stage(inst, best, k, pinned)
        total_attempts += used
        penalised = penalised or stage_penalised
        best[k] = scheme.primal.D[k]
        # frame k's optimality is certified by its own stage: keep the worst over the stages
        stage_gap = max(stage_gap, scheme.rel_gap)
        stage_worst = max(stage_worst, scheme.worst)
        if k > 0:
            slack_used.append(rel)
    if scheme is None:  # pragma: no cover - T >= 1 is validated
        raise SolverError("internal error: empty lexicographic chain")
    if penalised:
        # report the measured drift of every earlier frame from its own stage optimum
        drift = (scheme.primal.D - best) / (np.abs(best) + 1e-3 * inst.source.variances)
        slack_used = [float(max(0.0, d)) for d in drift[:-1]]
        scheme = scheme.flag(
            "lexicographic chain used its penalised fallback on a degenerate stage; earlier "
            f"frames drift from their optima by up to {max(slack_used, default=0.0):.1e} "
            "(relative); see certificate.lexicographic_slack",
        )
    sensitivity = 0.0
    if not penalised and T > 1 and math.isfinite(slack_used[-1]):
        sensitivity, used = _sensitivity(inst, scheme, best, slack_used[-1], pinned)
        total_attempts += used
    if sensitivity > LEX_SENSITIVITY_WARN:
        scheme = scheme.flag(
            f"lexicographic chain: the last frame's value moves with the cap slack (estimated "
            f"error {sensitivity:.1e} relative, see certificate.lexicographic_sensitivity)",
        )
    scheme = replace(scheme, rel_gap=stage_gap, worst=max(scheme.worst, stage_worst))
    under = (best - scheme.primal.D) / (np.abs(best) + 1e-3 * inst.source.variances)
    undershoot = float(max(0.0, under[:-1].max(initial=0.0)))
    if undershoot > LEX_UNDERSHOOT_WARN and not penalised:
        scheme = scheme.flag(
            f"lexicographic chain: an earlier frame ended {undershoot:.1e} (relative) below its own "
            "stage optimum, so later stages used the solver's feasibility tolerance at a "
            f"degenerate optimum; later frames may be off by up to about {math.sqrt(undershoot):.0e} "
            "(see certificate.lexicographic_undershoot)",
        )
    report = Report(
        attempts=total_attempts, objective_value=float(scheme.primal.D[-1]),
        lexicographic_slack=tuple(slack_used), lexicographic_undershoot=undershoot,
        lexicographic_sensitivity=sensitivity,
    )
    return assemble(inst, "lexicographic", scheme, report)


def _stage(
    inst: Instance, best: FloatArray, k: int, pinned: set[int]
) -> tuple[Scheme, float, int, bool]:
    """Stage ``k`` of the chain: (scheme, slack used, attempts, whether penalised).

    Adds to ``pinned`` the earlier frames found pinned (see :func:`_is_pinned`).
    """
    T = inst.T
    variances = inst.source.variances
    w = _unit(T, k)
    attempts_used = 0
    failures: list[str] = []
    plan: list[tuple[float, Sequence[Attempt]]]
    plan = [(rel, _LEX_ATTEMPTS) for rel in _LEX_SLACKS] if k else []
    plan.append((_LEX_SLACKS[-1], _LEX_FALLBACKS))
    tested = False
    kept: tuple[Scheme, float] | None = None
    retries = 0
    i = 0
    while i < len(plan):
        rel, attempts = plan[i]
        stage_caps = _stage_caps(best, k, rel, pinned, variances)
        try:
            scheme = solve_weighted(inst.objective(w, stage_caps), attempts)
        except (Infeasible, SolverError) as exc:
            attempts_used += len(attempts)
            failures.append(f"slack {rel:g}: {exc}")
            if not tested and k:
                # A cap on a distortion that is constant over the feasible set has a tiny
                # constant slack, which stalls interior-point methods; find such frames,
                # drop their caps (they cannot move) and start this stage again.
                tested = True
                for j in range(k):
                    if j in pinned:
                        continue
                    others = _stage_caps(best, k, rel, pinned | {j}, variances)
                    if _is_pinned(inst.objective(_unit(T, j), others, maximize=True), best[j]):
                        pinned.add(j)
                i = 0
                continue
            i += 1
            continue
        attempts_used += scheme.certificate.attempts
        if not scheme.accurate and k and retries < _LEX_RETRIES and i + 2 < len(plan):
            # acceptable but not accurate (often a stalled gap at a tiny objective): a
            # slightly larger slack usually certifies; keep the best either way
            if kept is None or scheme.score < kept[0].score:
                kept = (scheme, rel)
            retries += 1
            i += 1
            continue
        if kept is not None and kept[0].score < scheme.score:
            scheme, rel = kept
        return scheme, rel, attempts_used, False
    if kept is not None:
        return kept[0], kept[1], attempts_used, False
    penalised = _penalised_stage(inst, best, k, pinned)
    if penalised is None:
        raise SolverError(f"lexicographic stage {k + 1} failed: " + " | ".join(failures[-2:]))
    attempts_used += penalised.certificate.attempts
    # rel = inf marks the penalised fallback; the real drift is reported by the chain
    return penalised, math.inf, attempts_used, True


def _sensitivity(
    inst: Instance, scheme: Scheme, best: FloatArray, slack: float, pinned: set[int]
) -> tuple[float, int]:
    """Sensitivity check of the last stage: (estimated relative error, attempts used).

    At degenerate optima a frame's lexicographic value moves like c sqrt(slack), so re-solve
    with a 10x larger slack (an easier program): the change is c sqrt(slack) (sqrt(10) - 1),
    which estimates the returned value's error.
    """
    T = inst.T
    caps = _stage_caps(best, T - 1, 10 * slack, pinned, inst.source.variances)
    try:
        loose = solve_weighted(inst.objective(_unit(T, T - 1), caps), _LEX_ATTEMPTS)
    except (Infeasible, SolverError):
        return 0.0, 0
    if not loose.accurate:
        return 0.0, 0
    diff = abs(scheme.primal.D[-1] - loose.primal.D[-1])
    scale = abs(scheme.primal.D[-1]) + 1e-3 * inst.source.variances[-1]
    return diff / (math.sqrt(10.0) - 1.0) / scale, loose.certificate.attempts


def _penalised_stage(inst: Instance, best: FloatArray, k: int, pinned: set[int]) -> Scheme | None:
    """Last resort for a degenerate stage: min D_k + M sum_{j<k} D_j (each frame in its own
    scale) with only loose caps (1e-3 relative), then with none: well-posed programs. Earlier
    frames may drift from their optima: a result is accepted only if every drift is at most
    ``_LEX_MAX_DRIFT``, and the caller reports the drift and flags the result."""
    T = inst.T
    variances = inst.source.variances
    loose = _stage_caps(best, k, 1e-3, pinned, variances)
    uncapped = np.full(T, np.inf)
    for caps, M in itertools.product((loose, uncapped), _LEX_PENALTIES):
        # geometric weights keep the order among earlier frames too: frame j weighs M^(k-j)
        w = np.zeros(T)
        w[:k] = M ** (k - np.arange(k)) * variances[k] / variances[:k]
        w[k] = 1.0
        try:
            scheme = solve_weighted(inst.objective(w, caps))
        except (Infeasible, SolverError):
            continue
        drift = (scheme.primal.D[:k] - best[:k]) / (np.abs(best[:k]) + 1e-3 * variances[:k])
        if np.all(drift <= _LEX_MAX_DRIFT):
            return scheme
    return None


def _stage_caps(
    best: FloatArray, k: int, rel: float, pinned: set[int], variances: FloatArray
) -> FloatArray:
    """Caps ``D_j <= D_j* + rel (D_j* + 1e-3 sigma_j^2)`` on frames ``j < k`` not pinned."""
    caps = np.full(best.size, np.inf)
    caps[:k] = best[:k] + rel * (np.abs(best[:k]) + 1e-3 * variances[:k])
    caps[sorted(pinned)] = np.inf
    return caps


def _is_pinned(inst: Instance, minimum: float) -> bool:
    """Whether ``inst.weights @ D`` takes the same value (``minimum``) on the whole feasible set
    (``inst`` is the maximisation of that objective).

    Such a frame needs no cap in later lexicographic stages, and must not get one: the cap's
    slack would be a tiny constant, which drives interior-point duals to mu/slack and stalls the
    solver. Tested by maximising the same objective (an unbounded or failed maximisation means
    "not pinned", which only keeps the cap).
    """
    try:
        top = solve_weighted(inst, _LEX_ATTEMPTS)
    except (Infeasible, SolverError):
        return False
    k = int(np.argmax(inst.weights))
    scale = abs(minimum) + 1e-3 * inst.source.variances[k]
    return bool(top.primal.D[k] - minimum <= 1e-9 * scale)

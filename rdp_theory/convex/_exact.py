r"""Checks of a solver result against what is known exactly: the MMSE converse and closed forms.

Two facts hold for every result, whatever the solver did:

* **Converse.** No scheme beats the MMSE: :math:`D_k \\ge e_k`, with :math:`e_k` from the greedy
  recursion (:func:`rdp_theory.mmse_distortions`). A distortion below :math:`e_k` by no more than
  the certified absolute accuracy (``ACCURACY`` times the largest variance) is round-off: it is
  raised to :math:`e_k` (never negative). A larger deficit is a solver failure, and the result is
  flagged ``optimal_inaccurate`` with a warning.
* **Closed forms.** Where the exact optimum is known, the solver's value is compared with it:
  lexicographic MSE-only (every :math:`P_k = \\infty`), PLF-FMD at any levels, 0-PLF-JD and
  0-PLF-SA (:func:`~rdp_theory.sa_zero_perception_distortions`); for a weighted objective (with
  or without targets) MSE-only and PLF-FMD, whose closed form is the frame-by-frame minimum and
  so the optimum of every weighted sum. A frame more than ``EXACT_RTOL`` relative (or
  ``EXACT_ATOL`` times its variance) away, or a weighted sum that far away, flags the result.

Both checks read the result only; they never change which scheme is returned.

**The exact route.** In the same cases, :func:`exact_solution` builds the optimal scheme itself:
the greedy representation (optimal for every objective, docs/theory.md section 6) and the
closed-form decoder :math:`\hat X = G U` on the unit innovations (no noise beyond the
innovations of zero-rate frames):

* MSE only: :math:`G = A\,\mathrm{diag}(\sqrt q)`, i.e. :math:`\hat X_k = Y_k`, the MMSE estimate;
* PLF-FMD: :math:`\hat X_k = (\hat s_k / \sqrt{v_k})\,Y_k` with
  :math:`\hat s_k = \max(\sqrt{v_k}, \sigma_k - \sqrt{P_k})` (a frame that knows nothing,
  :math:`v_k = 0`, outputs :math:`\hat s_k U_k`, its independent innovation); under KL
  perception :math:`\sigma_k\sqrt{t_{\mathrm{low}}(P_k)}` replaces :math:`\sigma_k - \sqrt{P_k}`
  (:func:`rdp_theory.fmd_distortions_kl`, docs/theory.md 4.11.2);
* 0-PLF-JD: :math:`\hat X_1 = \sigma_1 U_1`, :math:`\hat X_j = a_{j-1}\hat X_{j-1} + \sqrt{s_{j-1}}\,U_j`;
* 0-PLF-SA: :math:`\hat X_j = a_{j-1} Y_{j-1} + \sqrt{p_j}\,U_j`.

The scheme goes through the same certificate as a solver's (distortions, Schur LMI, rates,
Bures-Wasserstein perception values recomputed in THEORY's variables), and its distortions are
then checked against the closed-form recursions by :func:`check_exact`: two independent routes
to the same numbers. ``solve_rdp(..., method="sdp")`` skips the route and solves the program.
"""

from __future__ import annotations

import math
from dataclasses import replace

import cvxpy as cp
import numpy as np
from numpy.typing import NDArray

from ..closed_form import (
    fmd_distortions,
    greedy_representation,
    jd_zero_perception_distortions,
    mmse_distortions,
    sa_zero_perception_distortions,
)
from ..exceptions import SolverError
from ..kl import fmd_distortions_kl, kl_variance_bounds
from ._backend import Raw
from ._certify import Primal, Report, assemble, certify
from ._instance import Instance
from .result import ACCURACY, RDPSolution

__all__ = ["EXACT_RTOL", "EXACT_ATOL", "exact_distortions", "exact_solution", "check_exact"]

FloatArray = NDArray[np.float64]

#: Relative agreement with a closed form required of an unflagged result (issue-level promise).
EXACT_RTOL = 1e-5
#: ... or absolute, in units of the frame's variance.
EXACT_ATOL = 1e-12


def exact_distortions(inst: Instance, lexicographic: bool) -> FloatArray | None:
    """The exact optimal distortions of ``inst`` where a closed form gives them, else None."""
    src, r, p = inst.source, inst.rates, inst.perception
    if np.all(np.isinf(p)):
        return np.asarray(mmse_distortions(src, r), dtype=np.float64)
    if inst.plf.name == "fmd":
        if inst.measure == "kl":
            return np.asarray(fmd_distortions_kl(src, r, p, inst.kl_direction or "xhat||x"))
        return np.asarray(fmd_distortions(src, r, p), dtype=np.float64)
    if lexicographic and np.all(p == 0.0):
        if inst.plf.name == "jd":
            return np.asarray(jd_zero_perception_distortions(src, r), dtype=np.float64)
        if inst.plf.name == "sa":
            return np.asarray(sa_zero_perception_distortions(src, r), dtype=np.float64)
    return None


def _decoder(
    inst: Instance, lexicographic: bool, prior: FloatArray, gy: FloatArray
) -> FloatArray | None:
    r"""Gains ``G`` (T, T) of the closed-form optimal decoder on the unit innovations, or None.

    ``prior``: the greedy :math:`p`; ``gy``: the MMSE estimates' gains,
    :math:`Y_k = \sum_i` ``gy[k, i]`` :math:`U_i`.
    """
    src, p_levels = inst.source, inst.perception
    T = src.T
    eye = np.eye(T)
    if np.all(np.isinf(p_levels)):
        return gy
    if inst.plf.name == "fmd":
        v = np.einsum("ki,ki->k", gy, gy)
        root = np.sqrt(v)
        if inst.measure == "kl":  # the lower end of the KL interval (docs/theory.md 4.11.2)
            low = kl_variance_bounds(p_levels, inst.kl_direction or "xhat||x").low
            shat = np.maximum(root, src.sigma * np.sqrt(low))
        else:
            shat = np.maximum(root, src.sigma - np.sqrt(p_levels))  # sqrt(inf) = inf: shat = root
        G = np.empty((T, T))
        for k in range(T):
            G[k] = gy[k] * (shat[k] / root[k]) if root[k] > 0 else shat[k] * eye[k]
        return G
    if not (lexicographic and np.all(p_levels == 0.0)):
        return None
    a, s = src.a, src.innovation_variances
    G = np.zeros((T, T))
    G[0, 0] = src.sigma[0]
    for j in range(1, T):
        past = G[j - 1] if inst.plf.name == "jd" else gy[j - 1]
        G[j] = a[j - 1] * past
        G[j, j] += math.sqrt(s[j - 1]) if inst.plf.name == "jd" else math.sqrt(prior[j])
    return G if inst.plf.name in ("jd", "sa") else None


def exact_solution(
    inst: Instance, objective: str | tuple[float, ...]
) -> tuple[RDPSolution, tuple[str, ...]] | None:
    """The certified closed-form optimum of ``inst`` (module docstring), or None where no closed
    form applies or the distortion caps exclude it (the solver then decides)."""
    lexicographic = objective == "lexicographic"
    src = inst.source
    rep = greedy_representation(src, inst.rates)
    sq = np.sqrt(rep.q)
    gy = src.transfer * sq[None, :]
    G = _decoder(inst, lexicographic, np.asarray(rep.p, dtype=np.float64), gy)
    if G is None:
        return None
    diff = G - gy  # Xhat - Y on the innovations: Psi = Cov(Xhat - Y), H' = H - A diag(q)
    psi = diff @ diff.T
    e = np.asarray(rep.e, dtype=np.float64)
    D = e + np.diag(psi)
    if np.any(D > inst.caps):
        return None
    primal = Primal(e=e, psi=psi, hp=diff * sq[None, :], D=D)
    weights = np.zeros(src.T)
    weights[-1] = 1.0
    if not lexicographic:
        weights = np.asarray(objective, dtype=np.float64)
    raw = Raw(status=cp.OPTIMAL, solver="closed_form", primal=0.0, dual=0.0, iterations=0)
    scheme = certify(inst.objective(weights, inst.caps), primal, raw, 0.0, 0)
    if not scheme.accurate:  # pragma: no cover - a closed-form scheme certifies to round-off
        raise SolverError(
            f"internal error: the closed-form scheme did not certify (worst residual {scheme.worst:.2e})"
        )
    stages = tuple(float(x) for x in D) if lexicographic else ()
    report = Report(attempts=0, objective_value=float(weights @ D), lexicographic_stage_values=stages)
    return assemble(inst, objective, scheme, report)


def _flagged(sol: RDPSolution, notes: tuple[str, ...], message: str) -> tuple[RDPSolution, tuple[str, ...]]:
    return replace(sol, status=cp.OPTIMAL_INACCURATE), (*notes, message)


def check_exact(
    inst: Instance, sol: RDPSolution, notes: tuple[str, ...]
) -> tuple[RDPSolution, tuple[str, ...]]:
    """``sol`` after the converse and closed-form checks (module docstring), with its warnings."""
    var = inst.source.variances
    lexicographic = sol.objective == "lexicographic"
    D = np.asarray(sol.distortions, dtype=np.float64)
    e = np.asarray(mmse_distortions(inst.source, inst.rates), dtype=np.float64)
    deficit = e - D
    roundoff = ACCURACY * float(var.max())
    if np.any(deficit > roundoff):
        k = int(np.argmax(deficit - roundoff))
        sol, notes = _flagged(
            sol, notes,
            f"solver failure: D_{k + 1} = {D[k]:.6g} lies {deficit[k]:.2e} below the MMSE "
            f"converse e_{k + 1} = {e[k]:.6g}, beyond the certified accuracy {roundoff:.1e}",
        )
    elif np.any(deficit > 0):
        D = np.maximum(D, e)
        value = D[-1] if lexicographic else np.asarray(sol.objective) @ D
        sol = replace(sol, distortions=D, objective_value=float(value))
    exact = exact_distortions(inst, lexicographic)
    if exact is None:
        return sol, notes
    D = np.asarray(sol.distortions, dtype=np.float64)
    tol = EXACT_RTOL * np.abs(exact) + EXACT_ATOL * var
    if lexicographic:
        off = np.abs(D - exact) - tol
        if np.any(off > 0):
            k = int(np.argmax(off))
            sol, notes = _flagged(
                sol, notes,
                f"lexicographic D_{k + 1} = {D[k]:.9g} is {abs(D[k] - exact[k]) / max(abs(exact[k]), 1e-300):.1e} "
                f"(relative) from its closed form {exact[k]:.9g}; method='auto' (the default) "
                "returns the closed-form optimum for this case",
            )
        return sol, notes
    w = np.asarray(sol.objective, dtype=np.float64)
    if abs(float(w @ D) - float(w @ exact)) > float(w @ tol):
        sol, notes = _flagged(
            sol, notes,
            f"weighted objective {float(w @ D):.9g} differs from its closed form "
            f"{float(w @ exact):.9g} by more than {EXACT_RTOL:g} relative",
        )
    return sol, notes

"""Checks of a solver result against what is known exactly: the MMSE converse and closed forms.

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
"""

from __future__ import annotations

from dataclasses import replace

import cvxpy as cp
import numpy as np
from numpy.typing import NDArray

from ..closed_form import (
    fmd_distortions,
    jd_zero_perception_distortions,
    mmse_distortions,
    sa_zero_perception_distortions,
)
from ._instance import Instance
from .result import ACCURACY, RDPSolution

__all__ = ["EXACT_RTOL", "EXACT_ATOL", "exact_distortions", "check_exact"]

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
        return np.asarray(fmd_distortions(src, r, p), dtype=np.float64)
    if lexicographic and np.all(p == 0.0):
        if inst.plf.name == "jd":
            return np.asarray(jd_zero_perception_distortions(src, r), dtype=np.float64)
        if inst.plf.name == "sa":
            return np.asarray(sa_zero_perception_distortions(src, r), dtype=np.float64)
    return None


def _flagged(sol: RDPSolution, notes: tuple[str, ...], message: str) -> tuple[RDPSolution, tuple[str, ...]]:
    return replace(sol, status=cp.OPTIMAL_INACCURATE), (*notes, message)


def check_exact(
    inst: Instance, sol: RDPSolution, notes: tuple[str, ...]
) -> tuple[RDPSolution, tuple[str, ...]]:
    """``sol`` after the converse and closed-form checks (module docstring), with its warnings."""
    var = inst.source.variances
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
        value = D[-1] if sol.objective == "lexicographic" else np.asarray(sol.objective) @ D
        sol = replace(sol, distortions=D, objective_value=float(value))
    lexicographic = sol.objective == "lexicographic"
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
                f"(relative) from its closed form {exact[k]:.9g}; use "
                "rdp_theory's closed forms for this case",
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

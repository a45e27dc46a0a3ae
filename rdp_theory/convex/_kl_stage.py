"""The KL pieces of the exact lexicographic chain (docs/theory.md 4.12), in normalised units.

:func:`kernel_completion` is the pinned stage's completion (the source's own kernel, which adds
no KL by the chain rule), :func:`kl_stage_values` the parameters of an unpinned stage's
conditional-KL constraint, :func:`kl_repair` the fresh variance that makes a row meet its level
exactly where the solver's absolute tolerance cannot resolve it. numpy and scipy only; imported
by :mod:`._lexicographic`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..exceptions import SolverError

__all__ = ["KL_REPAIR_SLACK", "kernel_completion", "kl_repair", "kl_stage_values"]

FloatArray = NDArray[np.float64]

#: ... and a row whose conditional KL exceeds its margin by at most this (nats, 1% of the
#: certificate's 1e-7) is left as it is: that is round-off.
KL_REPAIR_SLACK = 1e-9


def kernel_completion(S: FloatArray, rho: float) -> tuple[FloatArray, float]:
    r"""The pinned KL completion (normalised units): frame k drawn from the source's own kernel
    given the reconstructions, :math:`\hat X_k = \rho\hat X_{k-1} + Z_k`,
    :math:`\operatorname{Var}Z_k = 1 - \rho^2`, which adds no KL (chain rule; the only completion
    that keeps :math:`\mathrm{KL}_{\le k} = \mathrm{KL}_{<k}`, docs/theory.md 4.12). Returns
    ``(Cov(Xhat_k, Xhat_<k), Var(Xhat_k))`` from ``S`` = Cov(Xhat_<k)."""
    return rho * S[-1], rho * rho * float(S[-1, -1]) + (1.0 - rho) * (1.0 + rho)


def kl_stage_values(
    values: dict[str, Any], S: FloatArray, rho: float, margin: float, k: int
) -> dict[str, Any]:
    """Parameters of :meth:`._stage.Stage.kl_constraints` (normalised units): ``S`` = Cov(Xhat_<k),
    ``margin`` = the level less the fixed frames' KL (> 0: the stage is not pinned)."""
    try:
        low = np.linalg.cholesky(0.5 * (S + S.T))
    except np.linalg.LinAlgError as exc:
        # a finite KL of the fixed frames needs Cov(Xhat_<k) > 0; here it is singular in double
        raise SolverError(
            f"lexicographic stage {k + 1}: the earlier reconstructions' covariance is numerically "
            "singular although their KL level is finite (|rho| too close to 1?)"
        ) from exc
    gs = values["Gs"]
    gc = values["Gc"]
    w = (1.0 - rho) * (1.0 + rho)
    return {
        "Wc": np.linalg.solve(low, gc),
        "Wg": np.linalg.solve(low, gs),
        "gr": 2.0 * rho * gs[k - 1],
        "cr": rho * rho * float(S[k - 1, k - 1]) - 2.0 * rho * float(gc[k - 1]),
        "w": w,
        "wk": w * (2.0 * margin + 1.0 - math.log(w)),
    }


def kl_repair(G: FloatArray, row: FloatArray, w: float, rho: float, margin: float) -> float:
    r"""Fresh variance to add to a KL stage's row so that its conditional KL meets ``margin``
    exactly (normalised units; 0 if it already does, ``inf`` if no fresh variance can).

    The conditional term (:meth:`._stage.Stage.kl_constraints`) is
    :math:`\tfrac12[V/w_s - 1 - \ln(\tau/w_s)]` with :math:`\tau = \|P_\perp f\|^2 + w`
    (:math:`P_\perp` onto the complement of the fixed rows' span, no cancellation) and
    :math:`V = \|f - \rho g_{k-1}\|^2 + w`. At a large level the optimum has a tiny
    :math:`\tau` (e.g. :math:`10^{-9}` at 10 nats for a zero-rate frame): the solver resolves
    it only to its absolute tolerance while the KL moves with :math:`\ln\tau`, so the row is
    made exactly feasible here (excesses up to ``KL_REPAIR_SLACK`` are round-off and left).
    Fresh variance :math:`\Delta` raises both :math:`V` and
    :math:`\tau`; the term falls in :math:`\Delta` while :math:`\tau + \Delta < w_s`, and the
    root is bracketed there. It costs :math:`D_k` exactly :math:`\Delta`. Where
    :math:`\tau \ge w_s` already, fresh variance only adds KL (``inf`` is returned and the row
    kept): :math:`\tau` is then of order 1 and the solver's own accuracy is the certificate's."""
    from scipy.optimize import brentq

    ws = (1.0 - rho) * (1.0 + rho)
    _, sv, vt = np.linalg.svd(G, full_matrices=False)
    span = vt[sv > 1e-12 * max(float(sv.max(initial=0.0)), 1e-300)]
    tau0 = float(np.sum((row - span.T @ (span @ row)) ** 2)) + w
    diff = row - rho * G[-1]
    v0 = float(diff @ diff) + w

    def excess(delta: float) -> float:
        t = tau0 + delta
        return 0.5 * ((v0 + delta) / ws - 1.0 - math.log(t / ws)) - margin if t > 0 else math.inf

    if excess(0.0) <= KL_REPAIR_SLACK:
        return 0.0
    top = ws - tau0
    if top <= 0.0 or excess(top) > 0.0:
        return math.inf
    delta = float(brentq(excess, 0.0, top, xtol=1e-300, rtol=1e-15, maxiter=200))
    while excess(delta) > 0.0:  # the feasible side of the root
        delta = math.nextafter(delta, math.inf) * (1.0 + 1e-15)
    return delta

r"""The lexicographic chain: least :math:`D_1`, then least :math:`D_2` given :math:`D_1`, ...
computed exactly, one small program (or a closed form) per frame, every earlier frame fixed.

Why one row at a time suffices (docs/theory.md, section 4.8)
-----------------------------------------------------------
With the greedy representation (optimal for every objective, docs/theory.md 6e) and its unit
innovations :math:`U_i` (:math:`q_i > 0`), a decoder is written on a basis :math:`b` of the
:math:`U`'s and of the noises :math:`N` of earlier zero-rate frames,
:math:`\hat X_k = f_k^\top b + W_k`, :math:`W_k` independent of :math:`b` and of
:math:`\hat X_{<k}`, of variance :math:`w_k = s_k - \|f_k\|^2` (normalised units,
:math:`D_k = 1 + s_k - 2c_k^\top f_k`).

1. *The future never constrains the past, except through frame k's own level.* Given
   :math:`\hat X_{\le k}`, the later frames can be completed at no cost for PLF-FMD and PLF-SA
   (:math:`\hat X_m = \mathbb E[X_m \mid \hat X_{<m}] + Z_m`, fresh :math:`Z_m`, gives
   :math:`\phi_m = 0`), and for PLF-JD at cost exactly :math:`\phi_k` (couple
   :math:`\hat X_{\le k}` optimally with :math:`X_{\le k}` and give the later reconstructions the
   law of the later source frames under that coupling: :math:`\phi_m = \phi_k` for every
   :math:`m > k`, while :math:`\phi_m \ge \phi_k` always). So stage :math:`k` needs only frame
   :math:`k`'s constraint, at the level :math:`\tilde P_k = \min_{m \ge k} P_m` for JD
   (:func:`effective_levels`) and :math:`P_k` otherwise.
2. *The exact face.* If :math:`q_k > 0`, every stage-:math:`k` optimum has :math:`W_k = 0`:
   replacing :math:`W_k` by :math:`\sqrt{w_k}\,U_k` keeps the law of :math:`\hat X_{\le k}` (and
   of :math:`(\hat X_{<k}, X_k)`) and lowers :math:`D_k`. :math:`D_k` is then strictly convex in
   :math:`f_k` on the optimal set, so the optimal row is unique and the face
   :math:`\{D_k = D_k^\star\}` is exactly ":math:`\hat X_k = f_k^{\star\top} b`". A zero-rate
   frame keeps its fresh noise as a new basis element.
3. *Pinned JD stages.* When the fixed past already uses :math:`\tilde P_k`
   (:math:`\phi^{JD}_{k-1} = \tilde P_k`), the only admissible law of :math:`\hat X_{\le k}` is the
   cheapest completion (W2^2 is strictly convex in the second covariance), computed in closed
   form from the optimal map; the row is then the best one with that law (:func:`_pinned_row`).

Under KL perception (docs/theory.md 4.12) the same three points hold by the chain rule
:math:`\mathrm{KL}_{\le m} = \mathrm{KL}_{<m} + \mathbb E\,\mathrm{KL}(\text{conditional laws})`:
the later frames are completed with the source's own kernel
(:math:`\hat X_m = \rho_{m-1}\hat X_{m-1} + Z_m`), which adds no KL, so :math:`\tilde P_k` is the
same; a pinned stage takes that kernel (:func:`._kl_stage.kernel_completion`, the only completion adding
nothing); and an unpinned JD stage constrains the conditional term only, one exponential cone
(:meth:`Stage.kl_constraints`).

Every other stage is a small program *with an interior* (one row: an SOC and frame :math:`k`'s
coupling LMI of size :math:`2(k+1)`), and the next stage starts from the row fixed exactly: no
caps, no slack, no :math:`\sqrt{\text{slack}}` error, a bounded number of solver runs
(``_stage.STAGE_ATTEMPTS`` per stage, no retries beyond). The assembled scheme goes through the same
certificate as every solver result. Checked against the 0-PLF-JD, 0-PLF-SA and PLF-FMD closed
forms (tests) and against 256-bit SDPA chains extrapolated to zero cap slack
(``benchmarks/lexicographic_high_precision.py``, ``tests/convex/test_high_precision.py``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from typing import Any

import cvxpy as cp
import numpy as np
from numpy.typing import NDArray

from ..closed_form import _normalised_greedy, greedy_representation
from ..exceptions import SolverError
from ..kl import _kl_unchecked, kl_variance_bounds
from ..wasserstein import _w2_unchecked
from . import _model
from ._backend import Raw
from ._certify import Primal, Report, assemble, certify
from ._instance import Instance
from ._kl_stage import kernel_completion, kl_repair, kl_stage_values
from ._stage import SCALE_FLOOR, StageKey, compiled_stage, solve_stage, stage_gap
from .result import RDPSolution

__all__ = ["PIN_RTOL", "effective_levels", "solve_lexicographic", "clear_cache"]

FloatArray = NDArray[np.float64]
logger = logging.getLogger(__name__)

#: A zero-rate frame's fresh noise below this (in units of its variance) is dropped; the
#: certificate then sees its perception value move by at most this much.
NOISE_FLOOR = 1e-12


#: A KL stage whose row needs more fresh variance than this, relative to the largest frame
#: variance (the certificate's unit), to meet its level exactly (:func:`._kl_stage.kl_repair`) is flagged:
#: the repair then moved D_k by more than the certified accuracy.
KL_REPAIR_FLAG = 1e-7
#: A JD stage whose fixed past already uses its level to within this (relative) is *pinned*:
#: its row's law is the unique completion (docs/theory.md 4.8), computed in closed form.
PIN_RTOL = 1e-6


def effective_levels(inst: Instance) -> FloatArray:
    r"""The level each stage enforces on its own frame, shape (T,):
    :math:`\tilde P_k = \min_{m \ge k} P_m` for PLF-JD (module docstring, point 1),
    :math:`P_k` otherwise."""
    p = np.asarray(inst.perception, dtype=np.float64)
    if inst.plf.name == "jd":
        return np.minimum.accumulate(p[::-1])[::-1].copy()
    return p.copy()


def _kind(level: float) -> str:
    return "i" if math.isinf(level) else ("z" if level == 0.0 else "p")


def _psd_sqrt(m: FloatArray) -> FloatArray:
    w, v = np.linalg.eigh(0.5 * (m + m.T))
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def _completion(sigma: FloatArray, B: FloatArray) -> FloatArray:
    r"""Cov(Y_k, Y_{<k}) of the cheapest completion (source units): with the optimal map
    :math:`M = \Sigma^{-1/2}(\Sigma^{1/2} B \Sigma^{1/2})^{1/2}\Sigma^{-1/2}` of
    :math:`\mathcal N(0, \Sigma_{<k})` onto :math:`\mathcal N(0, B)`, :math:`Y_{<k} = M X_{<k}`
    and :math:`Y_k = X_k`, so the row is :math:`\Sigma_{k,<k} M`. ``sigma`` is
    :math:`\Sigma_{\le k}`; both are scaled by their largest entry first (M is scale-free)."""
    k = B.shape[0]
    scale = float(max(np.abs(sigma).max(), np.abs(B).max()))
    S = sigma[:k, :k] / scale
    w, v = np.linalg.eigh(0.5 * (S + S.T))
    if not w.min() > 1e-12 * w.max():
        # condition number past 1e12 (|rho| near 1, or variances 1e12 apart): the map is
        # numerically undefined; the caller solves the stage instead
        raise SolverError("internal: ill-conditioned source covariance in a pinned JD stage")
    root = (v * np.sqrt(w)) @ v.T
    inv_root = (v / np.sqrt(w)) @ v.T
    M = inv_root @ _psd_sqrt(root @ (B / scale) @ root) @ inv_root
    return sigma[k, :k] @ M


def clear_cache() -> None:
    """Forget every compiled problem, the weighted programs' and the lexicographic stages'
    (they are rebuilt on demand)."""
    _model.clear_cache()
    compiled_stage.cache_clear()


def solve_lexicographic(inst: Instance) -> tuple[RDPSolution, tuple[str, ...]]:
    """The exact lexicographic chain of ``inst`` (module docstring); the solution and its
    warnings. Raises SolverError when a stage fails every attempt."""
    src = inst.source
    T = src.T
    unit = src.standardized
    e_n, q, v_n, _ = _normalised_greedy(unit, inst.rates, need_p=True)
    frames_u = [i for i in range(T) if q[i] > 0]  # basis order: U's by frame, then noises
    A = unit.transfer
    unit_cov = unit.covariance()
    var = src.variances
    kappa = float(var.max())
    levels = effective_levels(inst)
    kl = inst.measure == "kl"
    cov = src.covariance()
    sig = src.sigma
    # rows on the basis [U_(frames_u) | N_1 .. N_noise]; U columns of later frames are zero
    nu_all = len(frames_u)
    G = np.zeros((0, nu_all))
    noise_cols = 0
    stage_values = np.empty(T)
    worst_gap = 0.0
    worst_status = cp.OPTIMAL
    attempts = 0
    iterations = 0
    pinned_flags: list[int] = []
    repaired: list[int] = []  # KL stages whose row needed more fresh variance than round-off
    unpinned: list[int] = []  # pinned stages whose completion map was numerically undefined
    for k in range(T):
        n_u = sum(1 for i in frames_u if i <= k)
        kind = _kind(float(levels[k]))
        # basis available to frame k: the first n_u U's and every noise
        cols = list(range(n_u)) + list(range(nu_all, nu_all + noise_cols))
        # Cov(U_u, X_i) for the U's of frames <= k and i <= k (zero for i before the U's frame)
        C = np.array([[A[i, u] * math.sqrt(q[u]) if i >= u else 0.0 for i in range(k + 1)]
                      for u in frames_u[:n_u]]).reshape(n_u, k + 1)
        c = C[:, k]
        cf = np.zeros(len(cols))
        cf[:n_u] = c  # Cov(Y_k, b) on frame k's basis
        past = 0.0  # the JD perception of the fixed frames (KL: nats; W2: source units)
        if inst.plf.name == "jd" and k and kind != "i":
            if kl:
                past = _kl_unchecked(unit_cov[:k, :k], G @ G.T)
            else:
                B = (G @ G.T) * np.outer(sig[:k], sig[:k])
                past = float(_w2_unchecked(cov[:k, :k], B))
            target: FloatArray | None = None
            variance = 1.0  # Var(Xhat_k) of the completion (normalised)
            if past >= levels[k] * (1.0 - PIN_RTOL):
                if levels[k] > levels[k - 1] and past < levels[k]:
                    pinned_flags.append(k)  # distinct levels closer than PIN_RTOL: flagged
                if levels[k] == 0.0:  # perfect realism: the completion is the source's law
                    target = unit_cov[k, :k]
                elif kl:  # the source's own kernel adds no KL (chain rule, docs/theory.md 4.12)
                    target, variance = kernel_completion(G @ G.T, float(unit.rhos[k - 1]))
                else:
                    try:
                        target = _completion(cov[: k + 1, : k + 1], B) / (sig[k] * sig[:k])
                    except SolverError:  # map undefined in double: solve the stage, flagged
                        unpinned.append(k)
            if target is not None:
                row, w = _pinned_row(G[:, cols], target, cf, variance)
                G, noise_cols = _append_row(G, cols, row, w, k, q[k] > 0, frames_u, noise_cols)
                stage_values[k] = var[k] * _row_distortion(G[k], cols, cf, float(e_n[k]))
                logger.info("lexicographic stage %d/%d: pinned (the fixed frames use the JD "
                            "level), closed form, D_%d = %.8g", k + 1, T, k + 1, stage_values[k])
                continue
        key = StageKey(inst.plf.name, k, n_u, noise_cols, kind, inst.measure)
        stage = compiled_stage(key)
        t = min(max(float(e_n[k]), SCALE_FLOOR), 1.0)
        rt_ = math.sqrt(t)
        values: dict[str, Any] = {
            "t": t, "Cs": rt_ * C if n_u else np.zeros((1, k + 1)), "Sx": unit_cov[: k + 1, : k + 1],
            "cfs": rt_ * cf if cf.size else np.zeros(1), "v": float(v_n[k]), "e": float(e_n[k]),
            "xc": c @ C if n_u else np.zeros(k + 1),
        }
        if k and key.kind != "i":
            Gk = G[:, cols]
            Gp = np.zeros((k, max(Gk.shape[1], 1)))
            Gp[:, : Gk.shape[1]] = Gk
            values.update(
                Gs=rt_ * Gp, S=G @ G.T, Xf=G[:, :n_u] @ C if n_u else np.zeros((k, k + 1)),
                Gc=Gk @ cf,
            )
        if key.kind == "p":
            P = float(levels[k])
            if inst.plf.is_scalar(k) and kl:
                lo, hi = _model.kl_bounds(np.array([P]), inst.kl_direction or "xhat||x")
                values.update(lo=float(lo[0]), hi=float(hi[0]))
            elif inst.plf.is_scalar(k):
                rp = math.sqrt(P / var[k])
                values.update(lo=-rp * (2.0 - rp) if rp <= 1.0 else -1.0, hi=rp * (2.0 + rp))
            elif kl:
                values.update(kl_stage_values(values, G @ G.T, float(unit.rhos[k - 1]), P - past, k))
            else:
                ref, _ = inst.plf.compared_laws(k)
                # W2^2 in the source's units, relative to kappa (each compared element in its
                # frame's units); level_row divides the row by the level for most attempts
                values.update(lam=np.array([var[j] for _, j in ref]) / kappa, P=P / kappa)
        raw, used, value, d, psi, gap = solve_stage(stage, values)
        attempts += used
        iterations += raw.iterations
        rel_gap = stage_gap(value, gap)
        worst_gap = max(worst_gap, rel_gap)
        if raw.status != cp.OPTIMAL:
            worst_status = raw.status
        w = max(psi - float(d @ d), 0.0)  # Var(Delta_k) = |d|^2 + w
        if kl and kind == "p":
            row = np.zeros(G.shape[1])
            row[cols] = cf + d
            if inst.plf.is_scalar(k):  # the variance's floor sigma^2 t_low, met exactly
                low = float(kl_variance_bounds(float(levels[k]), inst.kl_direction or "xhat||x").low)
                added = max(low * (1.0 + 1e-14) - float(row @ row) - w, 0.0)
            else:
                added = kl_repair(G, row, w, float(unit.rhos[k - 1]), float(levels[k]) - past)
            if math.isfinite(added):  # else no fresh variance repairs it: the certificate judges
                w += added
                if added * var[k] > KL_REPAIR_FLAG * inst.scale:  # D_k moved beyond accuracy
                    repaired.append(k)
        G, noise_cols = _append_row(G, cols, cf + d, w, k, q[k] > 0, frames_u, noise_cols)
        # the stage's optimum is the fixed row's D_k: on the exact face (W_k = 0) it is at or
        # below the solver's value (by the fresh variance the solver left, moved into U_k)
        stage_values[k] = var[k] * _row_distortion(G[k], cols, cf, float(e_n[k]))
        logger.info(
            "lexicographic stage %d/%d: solved (%s), %d attempt(s), %s, D_%d = %.8g, relative "
            "gap %.1e", k + 1, T, {"z": "P = 0", "p": "coupling", "i": "no perception"}[kind],
            used, raw.status, k + 1, stage_values[k], rel_gap,
        )
    sol, notes = _assemble(inst, G, frames_u, stage_values, worst_gap, worst_status, attempts, iterations)
    if unpinned:
        k = unpinned[0]
        notes += (
            f"lexicographic stage {k + 1}: the earlier frames already use the JD level, but the "
            "optimal transport map that fixes this frame is numerically undefined (the source "
            "correlation of frames 1..{k} is within 1e-12 of singular, |rho| near 1, or their "
            "variances span more than 1e12), so the stage was solved as a program on a face "
            "without interior; its value may be off by about the square root of the solver's "
            "accuracy".replace("{k}", str(k)),
        )
        sol = replace(sol, status=cp.OPTIMAL_INACCURATE)
    if repaired:
        k = repaired[0]
        notes += (
            f"lexicographic stage {k + 1}: the solver's row exceeded the KL level by more than "
            "its accuracy and was made feasible by adding fresh variance (more than "
            f"{KL_REPAIR_FLAG:g} of the largest frame variance); its value may be off by as much",
        )
        sol = replace(sol, status=cp.OPTIMAL_INACCURATE)
    if pinned_flags:
        k = pinned_flags[0]
        notes += (
            f"lexicographic stage {k + 1}: the JD levels of frames {k} and {k + 1} differ by less "
            f"than {PIN_RTOL:g} (relative) of what the fixed frames use, so the stage was taken "
            "as pinned; its value may be off by about the square root of that difference",
        )
        sol = replace(sol, status=cp.OPTIMAL_INACCURATE)
    return sol, notes


def _row_distortion(row: FloatArray, cols: list[int], cf: FloatArray, e_k: float) -> float:
    """D_k (normalised) of a fixed row: e_k + |row - c|^2, ``c`` = Cov(Y_k, b) on ``cols``
    (a noise column of the row counts fully: it is not correlated with X_k)."""
    diff = row.copy()
    diff[cols] -= cf
    return e_k + float(diff @ diff)


def _append_row(
    G: FloatArray, cols: list[int], f: FloatArray, w: float, k: int, active: bool,
    frames_u: list[int], noise_cols: int,
) -> tuple[FloatArray, int]:
    """``G`` with frame k's row on the exact face: its fresh variance ``w`` goes to ``U_k``
    when frame k has one (module docstring), else to a new noise column (dropped below
    ``NOISE_FLOOR``)."""
    row = np.zeros(G.shape[1])
    row[cols] = f
    if active:
        j = frames_u.index(k)
        row[j] = math.sqrt(max(row[j], 0.0) ** 2 + max(w, 0.0))
    elif w > NOISE_FLOOR:
        G = np.hstack([G, np.zeros((k, 1))])
        row = np.append(row, math.sqrt(w))
        noise_cols += 1
    return np.vstack([G, row]), noise_cols


def _pinned_row(
    Gk: FloatArray, target: FloatArray, cf: FloatArray, variance: float = 1.0
) -> tuple[FloatArray, float]:
    r"""The best row whose law is pinned: ``Gk @ f = target`` (covariances with the fixed rows)
    and variance ``variance`` (1 for W2, the kernel completion's for KL), maximising
    :math:`c^\top f` (``cf`` = Cov(Y_k, b)). The solutions are
    :math:`f_0 + v` with :math:`f_0` the least-norm one and :math:`v \perp` the rows of ``Gk``,
    :math:`\|v\|^2 \le` ``variance`` :math:`- \|f_0\|^2`; the best :math:`v` points along the part of ``cf``
    orthogonal to the rows. Returns ``(f, fresh variance)`` (normalised)."""
    f0, *_ = np.linalg.lstsq(Gk, target, rcond=None)
    _, sv, vt = np.linalg.svd(Gk, full_matrices=False)
    span = vt[sv > 1e-12 * max(float(sv.max(initial=0.0)), 1e-300)]  # the rows' span
    perp = cf - span.T @ (span @ cf)
    room = max(variance - float(f0 @ f0), 0.0)
    norm = float(np.linalg.norm(perp))
    f: FloatArray
    if norm > 1e-14 * max(float(np.linalg.norm(cf)), 1e-300):
        f = np.asarray(f0 + math.sqrt(room) * perp / norm, dtype=np.float64)
        w = 0.0
    else:
        f, w = np.asarray(f0, dtype=np.float64), room
    return f, w


def _assemble(
    inst: Instance, G: FloatArray, frames_u: list[int], stage_values: FloatArray,
    worst_gap: float, status: str, attempts: int, iterations: int,
) -> tuple[RDPSolution, tuple[str, ...]]:
    """The fixed rows as a scheme in THEORY's variables, certified like any solver result."""
    src = inst.source
    T = src.T
    rep = greedy_representation(src, inst.rates)
    sq = np.sqrt(rep.q)
    gy = src.transfer * sq[None, :]
    sig = src.sigma
    nu = len(frames_u)
    gain = np.zeros((T, T))
    gain[:, frames_u] = G[:, :nu] * sig[:, None]
    noise = G[:, nu:] * sig[:, None]
    diff = gain - gy
    psi = diff @ diff.T + noise @ noise.T
    e = np.asarray(rep.e, dtype=np.float64)
    primal = Primal(e=e, psi=psi, hp=diff * sq[None, :], D=e + np.diag(psi))
    weights = np.zeros(T)
    weights[-1] = 1.0
    raw = Raw(status=status, solver=cp.CLARABEL, primal=0.0, dual=0.0, iterations=iterations)
    scheme = certify(inst.objective(weights, inst.caps), primal, raw, 0.0, attempts)
    scheme = replace(scheme, rel_gap=worst_gap)
    report = Report(
        attempts=attempts, objective_value=float(primal.D[-1]),
        lexicographic_stage_values=tuple(float(v) for v in stage_values),
    )
    return assemble(inst, "lexicographic", scheme, report)

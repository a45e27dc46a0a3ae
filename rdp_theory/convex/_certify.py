r"""From the solver's primal values to THEORY.md's variables, and the certificate.

Everything a user sees is recomputed here from the primal matrices in THEORY.md's own variables
:math:`(\hat\Sigma, H, q)` (not the normalised ones the program is solved in): the
distortions' residual, the Schur LMI's eigenvalues, the rates used and the perception values
(Bures-Wasserstein for W2^2; the closed-form Gaussian KL, from the generalised eigenvalues of the
two compared covariances, for KL). A :class:`Scheme` carries the result and its accuracy; :func:`assemble`
turns it into the public :class:`~.result.RDPSolution` and the warnings it deserves (returned,
not emitted: :mod:`.api` emits them once, at the caller).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cvxpy as cp
import numpy as np
from numpy.typing import NDArray

from ..exceptions import SolverError
from ..scheme import joint_model
from ._backend import Raw, Values
from ._instance import Instance
from ._model import Model, rate_reference
from .result import (
    ACCEPTABLE,
    ACCURACY,
    REL_GAP,
    REL_GAP_WARN,
    Certificate,
    DecoderMatrices,
    RDPSolution,
)

__all__ = [
    "Primal", "Scheme", "extract", "certify", "certify_rate", "perception_residual",
    "perception_effect", "with_levels", "assemble",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Primal:
    """Primal variables in the source's units: ``e``, :math:`\\Psi`, :math:`H'` and ``D``."""

    e: FloatArray
    psi: FloatArray
    hp: FloatArray
    D: FloatArray


def extract(model: Model, values: Values | None, inst: Instance) -> Primal:
    """Primal variables mapped back from the normalised problem to the source's units."""
    if values is None:  # pragma: no cover - solve_model only certifies runs with a solution
        raise SolverError("internal error: no primal values to extract")
    source = inst.source
    T = source.T
    sig = source.sigma
    outer = np.outer(sig, sig)
    e = values.e * sig**2
    psi_n = values.psi.reshape(T, T)
    psi = 0.5 * (psi_n + psi_n.T) * outer
    if values.hvec is None:
        hp = np.zeros((T, T))
    else:
        hp = np.tril((model.place @ values.hvec).reshape(T, T, order="F")) * outer
    return Primal(e=e, psi=psi, hp=hp, D=e + np.diag(psi))


@dataclass(frozen=True)
class Scheme:
    """A primal solution translated back to THEORY.md's variables, with its certificate.

    ``worst``: worst certified residual, relative (variance units / max sigma^2, or bits);
    ``rel_gap``: duality gap relative to the objective.
    """

    primal: Primal
    raw: Raw
    p: FloatArray
    q: FloatArray
    shat: FloatArray
    cross: FloatArray
    gain: FloatArray
    noise: FloatArray
    used: FloatArray
    phi: FloatArray
    certificate: Certificate
    worst: float
    rel_gap: float

    @property
    def score(self) -> float:
        """One number to rank attempts: at most ACCURACY iff both criteria are met."""
        return max(self.worst, self.rel_gap * (ACCURACY / REL_GAP))

    @property
    def accurate(self) -> bool:
        """Certified to ``ACCURACY`` with the relative gap met: returned at once."""
        return self.score <= ACCURACY

    @property
    def acceptable(self) -> bool:
        """Certified to ``ACCEPTABLE``: may be returned, as ``optimal_inaccurate``."""
        return self.worst <= ACCEPTABLE


def certify(inst: Instance, primal: Primal, raw: Raw, gap_scale: float, attempts: int) -> Scheme:
    """Recompute everything from the primal matrices in THEORY.md's variables and certify it.

    ``gap_scale`` converts the solver's (normalised, rescaled) objective to variance units. The
    relative gap is taken against the objective ``inst.weights @ D`` at ``primal``, floored by
    its value with every distortion equal to its frame variance.
    """
    source, rates, perception = inst.source, inst.rates, inst.perception
    T = source.T
    # Everything is recomputed in each frame's own units (frame k divided by sigma_k, an exact
    # congruence) and scaled back: with sigma across 1e-150..1e150 the products of the raw
    # matrices (A_{k,i} e_i, H' A^T) overflow, while the normalised ones are O(1).
    sig = source.sigma
    var = source.variances
    outer = np.outer(sig, sig)
    scale = float(var.max())
    unit = source.standardized
    A = unit.transfer
    sigma_n = unit.covariance()
    sigma_x = source.covariance()
    e = np.maximum(primal.e / var, 0.0)
    p = np.empty(T)
    p[0] = 1.0
    rho2 = np.asarray(source.rhos, dtype=np.float64) ** 2
    for k in range(1, T):
        p[k] = rho2[k - 1] * e[k - 1] + (1.0 - rho2[k - 1])
    q = np.clip(p - e, 0.0, None)
    hp = primal.hp / outer
    H = hp + A * q[None, :]
    L = A * e[None, :]
    HA = hp @ A.T
    shat_n = sigma_n + (-(L + L.T) + np.diag(e) + HA + HA.T + primal.psi / outer)
    shat_n = 0.5 * (shat_n + shat_n.T)
    # decoder gains G = H diag(1/sqrt q) (columns with q_i = 0 carry nothing)
    c = np.sqrt(q)
    G_n = np.tril(np.divide(H, c[None, :], out=np.zeros_like(H), where=c[None, :] > 0))
    w, v = np.linalg.eigh(0.5 * (shat_n - G_n @ G_n.T + (shat_n - G_n @ G_n.T).T))
    noise_violation = max(0.0, -float(w.min())) * scale  # relative, times the largest variance
    noise = ((v * np.clip(w, 0.0, None)) @ v.T) * outer
    shat = shat_n * outer
    G = G_n * sig[:, None]  # Xhat_k = sigma_k Xhat'_k on the same unit innovations
    cross_n = G_n @ joint_model(unit, p, q).cov_ux
    cross = cross_n * outer  # [m, k] = Cov(Xhat_m, X_k)
    d_n = 1.0 + np.diag(shat_n) - 2.0 * np.einsum("ki,ki->k", A, H)
    dist_res = float(np.max(np.abs(d_n * var - primal.D)))
    lmin = float(np.linalg.eigvalsh(np.block([[shat_n, H], [H.T, np.diag(q)]])).min()) * scale
    psd_res = max(0.0, -lmin, noise_violation)
    used = 0.5 * np.log2(np.divide(p, e, out=np.full(T, np.inf), where=e > 0))
    p, q = p * var, q * var
    fin_r = np.isfinite(rates)
    excess = np.zeros(T)
    excess[fin_r] = used[fin_r] - rates[fin_r]  # an infinite budget is never exceeded
    rate_res = float(max(0.0, excess.max()))
    if inst.measure == "kl":  # in each frame's own units (KL is invariant under the congruence)
        phi = inst.plf.values(sigma_n, shat_n, cross_n, "kl", inst.kl_direction)
    else:
        phi = inst.plf.values(sigma_x, shat, cross)
    perc_res = perception_residual(phi, perception)
    # a KL residual (nats) counts in variance units times the largest variance, so that
    # primal_residual / scale is relative for both measures
    primal_res = max(dist_res, psd_res, _in_variance_units(perc_res, inst))
    perc_effect = float(perception_effect(phi, perception, inst).max(initial=0.0))
    gap = raw.gap * gap_scale  # in units of the objective inst.weights @ D (Raw.gap: with the
    # solver's dual residual along its solution)
    # relative to the objective's certified value (the solver's own values omit cvxpy's offset)
    # floored at 1e-5 of the objective's scale (D = sigma^2 2^(-16), i.e. 8 bits): below that,
    # e.g. D = 0 exactly for R = inf, an absolute gap is all that can be asked for
    objective = float(inst.weights @ primal.D)
    objective_scale = float(inst.weights @ source.variances)
    weight_scale = float(np.max(inst.weights * var, initial=0.0))
    rel_gap = gap / max(abs(objective), 1e-5 * objective_scale)
    if not math.isfinite(rel_gap):
        rel_gap = math.inf
    cert = Certificate(
        distortion_residual=dist_res,
        psd_residual=psd_res,
        rate_residual=rate_res,
        perception_residual=perc_res,
        primal_residual=primal_res,
        # in variance units: the gap of the objective whose largest weight w_k sigma_k^2 is
        # kappa. Divided by kappa it counts in ``worst`` like the residuals, whatever the
        # weights' scale (the objective's own units made the gap term 1e6 times too large at
        # sigma = 1e-3 and 1e10 times too small at sigma = 1e5; review, 2026-11-30)
        duality_gap=gap * scale / weight_scale if weight_scale > 0 else gap,
        iterations=raw.iterations,
        attempts=attempts,
        relative_gap=rel_gap,
    )
    worst = max(primal_res / scale, cert.duality_gap / scale, rate_res, perc_effect)
    if not np.isfinite(worst) or not np.all(np.isfinite(primal.D)):
        worst = math.inf
    return Scheme(primal, raw, p, q, shat, cross, G, noise, used, phi, cert, worst, rel_gap)


#: Relative excess over its own target that a rate-form result may have and still count as
#: certified (it is scaled onto ``worst``'s ACCURACY).
RATE_TARGET_RTOL = 1e-6


def certify_rate(inst: Instance, primal: Primal, raw: Raw, attempts: int) -> Scheme:
    """:func:`certify` for the rate form (``inst.rate_form``): the objective is the total rate in
    bits, so the gap is in bits, relative to the total (floored at 1e-3 bits); the targets
    (``inst.caps``) are checked, and so is the solver's total against the one recomputed from
    ``e`` (its bound ``r <= log e`` must be tight)."""
    scheme = certify(inst, primal, raw, 0.0, attempts)
    total = float(np.sum(np.maximum(scheme.used, 0.0)))
    gap = raw.gap
    # the solver's objective omits the constant -log(theta_T) / (2 ln 2) (see rate_reference)
    offset = -math.log(float(rate_reference(inst)[-1])) / (2.0 * math.log(2.0))
    mismatch = abs(raw.primal + offset - total)
    # each target met relative to itself (a tiny target missed by 7% is 1e-8 of the variance)
    caps = np.where(np.isfinite(inst.caps), inst.caps, np.inf)
    over = float(np.max(np.maximum(primal.D - caps, 0.0) / caps, initial=0.0))
    worst = max(scheme.worst, over * (ACCURACY / RATE_TARGET_RTOL), mismatch)
    cert = replace(scheme.certificate, duality_gap=gap, relative_gap=gap / max(total, 1e-3))
    return replace(scheme, certificate=cert, worst=worst, rel_gap=cert.relative_gap)


def _in_variance_units(perc: float, inst: Instance) -> float:
    """A perception residual in variance units: W2^2 already is; a KL one (nats) counts times
    the largest frame variance (so that over it, it is relative like the others)."""
    return perc if inst.measure == "w2" else perc * inst.scale


def perception_residual(phi: FloatArray, perception: FloatArray) -> float:
    """Largest excess of a perception value over its level (0 when every level is met)."""
    fin = np.isfinite(perception)
    return float(max(0.0, float((phi[fin] - perception[fin]).max(initial=0.0))))


def perception_effect(phi: FloatArray, perception: FloatArray, inst: Instance) -> FloatArray:
    r"""Per frame, how far a perception value over its level can move the distortions, relative
    to the largest frame variance :math:`\kappa` (0 where the level is met or infinite), shape (T,).

    An absolute excess :math:`\phi_j - P_j` is not the measure: the optimal distortions move with
    the *square root* of the level (one frame: :math:`D = e + (\sqrt{\sigma^2 - e} - \sigma +
    \sqrt P)^2` below the perception-free optimum, so :math:`|\partial D/\partial\sqrt P| \le
    2\sigma`), and a level of 1e-7 of :math:`\kappa` exceeded by half of itself moves them by
    about 1e-5 of :math:`\kappa` (measured, docs/theory.md 3). So the excess counts as
    :math:`2(\sqrt{\phi_j} - \sqrt{P_j})_+ / \sqrt\kappa` for W2^2 (a distance in the source's
    units) and :math:`2(\sqrt{\phi_j} - \sqrt{P_j})_+` for KL (nats: near the level, the
    square root of KL is half the relative change of the variances), or as the absolute excess
    over :math:`\kappa` (nats for KL) where that is larger (levels above :math:`\kappa`). Both
    vanish with the excess; the first is what makes tiny levels count. Frames far smaller than
    the largest (variances 1e12 apart) are judged in its units too, so their levels are not
    held to their own scale (docs/theory.md 3, a known limit: the perception value of a law
    that also holds a frame 1e12 larger is only computed to round-off in that frame's units).
    """
    fin = np.isfinite(perception)
    out = np.zeros(perception.shape)
    if not fin.any():
        return out
    ph, lv = np.maximum(phi[fin], 0.0), perception[fin]
    root = 2.0 * np.maximum(np.sqrt(ph) - np.sqrt(lv), 0.0)
    absolute = np.maximum(ph - lv, 0.0)
    with np.errstate(invalid="ignore"):  # inf - inf: a singular law (KL) over an infinite level
        if inst.measure == "w2":
            out[fin] = np.maximum(root / math.sqrt(inst.scale), absolute / inst.scale)
        else:
            out[fin] = np.maximum(root, absolute)
    return np.where(np.isnan(out), np.inf, out)


def with_levels(scheme: Scheme, inst: Instance) -> Scheme:
    """``scheme`` with its perception residual recomputed against every level of ``inst``
    (a relaxation is certified against the levels it enforced only)."""
    perc = perception_residual(scheme.phi, inst.perception)
    cert = replace(
        scheme.certificate,
        perception_residual=perc,
        primal_residual=max(scheme.certificate.primal_residual, _in_variance_units(perc, inst)),
    )
    effect = float(perception_effect(scheme.phi, inst.perception, inst).max(initial=0.0))
    return replace(scheme, certificate=cert, worst=max(scheme.worst, effect))


@dataclass(frozen=True)
class Report:
    """How a result was reached, for its certificate (the lexicographic field: empty for
    weighted objectives)."""

    attempts: int
    objective_value: float
    lexicographic_stage_values: tuple[float, ...] = ()


def assemble(
    inst: Instance, objective: str | tuple[float, ...], scheme: Scheme, report: Report
) -> tuple[RDPSolution, tuple[str, ...]]:
    """The public result, and the warnings it carries ("inaccurate", when it is)."""
    status = scheme.raw.status
    notes: tuple[str, ...] = ()
    why = [
        text for flagged, text in (
            (scheme.worst > ACCURACY, f"a certified residual above {ACCURACY:g}"),
            (scheme.rel_gap > REL_GAP_WARN, f"a duality gap above {REL_GAP_WARN:g}"),
            # the certificate alone would pass it: say so, or the numbers below read as a pass
            (status == cp.OPTIMAL_INACCURATE, "the solver stopped short of its own tolerances"),
        ) if flagged
    ]
    if why:
        status = cp.OPTIMAL_INACCURATE
        notes += (
            f"inaccurate solution: {', '.join(why)} (worst certified residual "
            f"{scheme.worst:.2e} relative to the largest frame variance, duality gap "
            f"{scheme.rel_gap:.1e} of the objective; for a lexicographic objective the worst over "
            f"its stages; solver {scheme.raw.solver}); see RDPSolution.certificate",
        )
    cert = replace(
        scheme.certificate, attempts=report.attempts, relative_gap=scheme.rel_gap,
        lexicographic_stage_values=report.lexicographic_stage_values,
    )
    solution = RDPSolution(
        source=inst.source,
        rates=inst.rates,
        perception=inst.perception,
        plf=inst.plf.name,
        objective=objective,
        representation=inst.representation,
        distortions=scheme.primal.D.copy(),
        perception_values=scheme.phi,
        reconstruction_covariance=scheme.shat,
        cross_covariance=scheme.cross,
        decoder=DecoderMatrices(gain=scheme.gain, noise_covariance=scheme.noise),
        q=scheme.q,
        p=scheme.p,
        rates_used=scheme.used,
        objective_value=float(report.objective_value),
        status=status,
        solver=scheme.raw.solver,
        certificate=cert,
        perception_measure=inst.measure,
        kl_direction=inst.kl_direction,
    )
    return solution, notes

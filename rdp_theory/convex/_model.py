r"""The DPP program of THEORY.md section 3 in normalised variables, compiled once per structure.

A :class:`Model` is built for a :class:`Key` (the constraint *structure*: horizon, PLF,
representation, which frames have which kind of perception level, caps, zero rates) and cached
by :func:`compiled`. Every number of an instance enters as a ``cp.Parameter`` value computed by
:func:`parameter_values` (the normalisation). A cached model holds no per-call state: values go
in as arguments and come out as return values of :func:`rdp_theory.convex._backend.run`, so
concurrent solves can share it.

``Model.__init__`` (about 110 lines, moved unchanged) writes the whole program in one place, in
the order of the maths above it in ``convex/__init__``: splitting the constraint list would
scatter one program over several functions.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cvxpy as cp
import numpy as np
from numpy.typing import NDArray

from ..exceptions import SolverError
from ..kl import _level_roots, _markov_precision
from ..perception import PerceptionLoss, get_plf
from ._instance import Instance

__all__ = [
    "Key", "Model", "compiled", "pattern_of", "parameter_values", "clear_cache", "total_rate",
    "rate_reference", "kl_bounds", "KL_HI_CAP", "coupling_rows", "ROW_SCALE_FLOOR",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Key:
    T: int
    plf: str
    representation: str
    pattern: tuple[str, ...]  # per frame: "z" (P=0), "p" (0<P<inf), "i" (P=inf)
    capped: tuple[bool, ...]
    active: tuple[bool, ...]  # R_i > 0; a zero-rate frame has q_i = 0 and no H' column
    eliminate: bool = True  # couplings with E substituted (fast) or as a variable (robust)
    rate_form: bool = False  # minimise the total rate (``rate.py``) instead of ``w @ D``
    measure: str = "w2"  # what the levels measure: "w2" (couplings) or "kl" (log-det cones)


class Model:
    """A compiled parametrised problem and handles to its parameters and expressions.

    The model is written for a *normalised* source (unit frame variances, see
    :func:`parameter_values`): JD/SA couplings then carry the trace weights sigma_k^2 / kappa
    (``lam``, each row divided by its level, :func:`coupling_rows`), so that the program
    is an exact congruence of the original one while every frame's variables are O(1).
    """

    def __init__(self, key: Key) -> None:
        T = key.T
        plf = get_plf(key.plf)
        self.key = key
        self.Sigma = cp.Parameter((T, T), name="Sigma")
        self.A = cp.Parameter((T, T), name="A")
        self.p1 = cp.Parameter(name="p1")
        self.a2 = cp.Parameter(max(T - 1, 1), name="a2")
        self.s = cp.Parameter(max(T - 1, 1), name="s")
        self.beta = cp.Parameter(T, name="beta")
        self.gamma = cp.Parameter(T, name="gamma")
        self.w = cp.Parameter(T, name="w")
        self.tau = cp.Parameter(T, name="tau")
        self.lo = cp.Parameter(T, name="lo")
        self.hi = cp.Parameter(T, name="hi")
        #: row j: frame j's coupling weights sigma_k^2 / kappa and level P_j / kappa, both divided
        #: by the level (``coupling_rows``)
        self.lam = cp.Parameter((T, T), name="lam")
        self.P = cp.Parameter(T, name="P")
        self.klrhs = cp.Parameter(T, name="klrhs")

        self.e = cp.Variable(T, name="e")
        self.Psi = cp.Variable((T, T), symmetric=True, name="Psi")
        # H' is lower triangular and has no column for a zero-rate frame (q_i = 0 forces it to 0;
        # keeping it would leave the LMI without interior). Build it from its free entries only.
        act = [i for i in range(T) if key.active[i]]
        slots = [(k, i) for i in act for k in range(i, T)]
        Hp: Any
        e_prev: Any
        p: Any
        if slots:
            self.hvec = cp.Variable(len(slots), name="h")
            place = np.zeros((T * T, len(slots)))
            for n, (k, i) in enumerate(slots):
                place[i * T + k, n] = 1.0  # column-major position of entry (k, i)
            Hp = cp.reshape(place @ self.hvec, (T, T), order="F")
        else:
            self.hvec = None  # type: ignore[assignment]
            place = np.zeros((T * T, 0))
            Hp = cp.Constant(np.zeros((T, T)))
        self.place = place
        #: the compiled fast path (None: not tried yet, False: unavailable), see
        #: ``_backend.FastPath``; set once, under ``lock``
        self.fast: Any = None
        #: held while cvxpy's own objects (parameter values, compiled data, variable values) are
        #: in use: the model is shared by every caller through the cache (see ``_backend.run``)
        self.lock = threading.RLock()
        #: variables that only frame j's coupling uses (for _backend.FastPath.view)
        self.coupling_vars: dict[int, list[cp.Variable]] = {}
        self.Hp = Hp
        e = self.e
        if T > 1:
            e_prev = cp.hstack([np.zeros(1), e[:-1]])
            p = cp.hstack([cp.reshape(self.p1, (1,), order="F"), cp.multiply(self.a2, e[:-1]) + self.s])
        else:
            e_prev = np.zeros(1)
            p = cp.reshape(self.p1, (1,), order="F")
        q = p - e
        cons: list[Any] = []
        rate_floor = cp.multiply(self.beta, e_prev) + self.gamma
        if act:
            ea, fa = e[act], rate_floor[act]
            cons.append(ea == fa if key.representation == "mse" else ea >= fa)
            sel = np.eye(T)[:, act]
            Ha = Hp @ sel
            cons.append(cp.bmat([[self.Psi, Ha], [Ha.T, cp.diag(q @ sel)]]) >> 0)
        else:
            cons.append(self.Psi >> 0)
        idle = [i for i in range(T) if not key.active[i]]
        if idle:
            # R_i = 0: nothing is learnt, q_i = 0 exactly (the LMI only implies q >= 0 for
            # frames that keep a column, so this equality is needed, not just tidy)
            cons.append(e[idle] == p[idle])
        L = self.A @ cp.diag(e)
        HA = Hp @ self.A.T
        self.dS = -(L + L.T) + cp.diag(e) + HA + HA.T + self.Psi
        self.Xi = -L.T + HA
        self.D = e + cp.diag(self.Psi)
        for j, kind in enumerate(key.pattern):
            if kind == "i":
                continue
            if kind == "z":
                cons += [expr == 0 for expr in plf.zero_expressions(self, j)]
            elif plf.is_scalar(j):
                _, dk = plf.pair_expressions(self, j)
                cons += [dk >= self.lo[j], dk <= self.hi[j]]
            elif key.measure == "kl":
                # PLF-JD (the only non-scalar PLF with KL, perception.check_measure):
                # KL(N(0, K1 + dk) || N(0, K1)) <= P: tr(K1^-1 dk) - log det(K1 + dk) <= 2P -
                # log det K1 (the constant d cancels), K1 = R_{j+1} the source's correlation
                # matrix; docs/theory.md 4.12. DPP: K1^-1 and the right side are parameters.
                k1, dk = plf.pair_expressions(self, j)
                cons.append(self.kl_trace(j, e, Hp) - cp.log_det(k1 + dk) <= self.klrhs[j])
            else:
                k1, dk = plf.pair_expressions(self, j)
                d = j + 1
                # Coupling of the two laws in the variables (X, Y - X): Gamma = Cov(X, Y - X),
                # E = Cov(Y - X) = (K2 - K1) - Gamma - Gamma^T. Substituting E (key.eliminate)
                # removes d^2 equality rows per coupling (2.5x faster with nine couplings at
                # T = 10) and is tried first; keeping E as a
                # variable with d^2 equalities is slower but more robust on degenerate
                # instances, so the fallbacks use it (see _weighted.ATTEMPTS).
                gam = cp.Variable((d, d), name=f"Gamma{j}")
                if key.eliminate:
                    E = dk - gam - gam.T
                else:
                    E = cp.Variable((d, d), symmetric=True, name=f"E{j}")
                    cons.append(gam + gam.T + E == dk)
                cons.append(cp.bmat([[k1, gam], [gam.T, E]]) >> 0)
                # W2^2 in original units: E is the coupling's Cov(Y - X) in normalised units.
                # diag(E) gets its own variable: lam @ diag(E) would multiply parameters by
                # parameter-dependent expressions, which is not DPP.
                ed = cp.Variable(d, name=f"Ediag{j}")
                cons.append(ed == cp.diag(E))
                # cost / level <= 1: the row is O(1) at any level down to ROW_SCALE_FLOOR
                # (written cost <= P, a level of 1e-5 of the variance was exceeded by 1e-8
                # absolute, which moves D by 1e-6)
                cons.append(self.lam[j, :d] @ ed <= self.P[j])
                self.coupling_vars[j] = [gam, ed] + ([] if key.eliminate else [E])
        for j, capped in enumerate(key.capped):
            if capped:
                cons.append(self.D[j] <= self.tau[j])
        objective: Any = self.w @ self.D
        if key.rate_form:
            objective = total_rate(self, e, cons)
        self.problem = cp.Problem(cp.Minimize(objective), cons)
        if not self.problem.is_dpp():  # pragma: no cover - a construction bug, not user input
            raise SolverError("internal error: the RDP program is not DPP")


    def kl_trace(self, j: int, e: Any, Hp: Any) -> Any:
        r""":math:`\operatorname{tr}(R^{-1}\,\Delta\hat\Sigma)` over frames ``0..j``, written
        term by term of :math:`\Delta\hat\Sigma = -(L + L^\top) + \operatorname{diag}(e) +
        H'A^\top + AH'^\top + \Psi` (docs/theory.md 3.5) with the parameters
        :math:`R^{-1}` (``Rinv{j}``) and :math:`R^{-1}A` (``RA{j}``): the product of
        :math:`R^{-1}` with ``dS``, itself a product of the parameter :math:`A` and the
        variables, would not be DPP. (:math:`H'` is lower triangular, so its block of rows
        ``0..j`` lives in columns ``0..j``.)"""
        d = j + 1
        rinv = cp.Parameter((d, d), name=f"Rinv{j}")
        ra = cp.Parameter((d, d), name=f"RA{j}")
        ed = e[:d]
        return (
            (cp.diag(rinv) - 2.0 * cp.diag(ra)) @ ed
            + 2.0 * cp.sum(cp.multiply(ra, Hp[:d, :d]))
            + cp.sum(cp.multiply(rinv, self.Psi[:d, :d]))
        )


def total_rate(model: Model, e: Any, cons: list[Any]) -> Any:
    r"""The total rate in bits (normalised units), convex in ``e``; appends its constraints.

    :math:`\sum_j R_j = \tfrac12\log_2 p_1 - \tfrac12\log_2 e_T
    + \sum_{j<T}\tfrac12\log_2(a_j^2 + s_j/e_j)` (the rates telescope, docs/theory.md 4.9);
    here :math:`p_1 = 1`. With :math:`r_j \le \log e_j` (the objective falls in every
    :math:`r_j`, so the bound is tight at the optimum) and
    :math:`t_j \ge \log(a_j^2 + s_j e^{-r_j})`, i.e.
    :math:`a_j^2 e^{-t_j} + s_j e^{-r_j - t_j} \le 1` (exponential cones), the total is
    :math:`(\sum_{j<T} t_j - r_T) / (2\ln 2)`.
    """
    T = model.key.T
    # r_j is measured from log(theta_j), theta_j ~ the frame's target (parameter values): the
    # exponential cones then see e_j / theta_j = O(1) even when e_j is 1e-6 of the variance
    a2n = cp.Parameter(max(T - 1, 1), nonneg=True, name="a2n")
    sn = cp.Parameter(max(T - 1, 1), nonneg=True, name="sn")  # s_j / theta_j
    inv_theta = cp.Parameter(T, nonneg=True, name="inv_theta")
    log_theta = cp.Parameter(T, name="log_theta")
    r = cp.Variable(T, name="r")  # r_j + log(theta_j) <= log(e_j)
    cons.append(r <= cp.log(cp.multiply(inv_theta, e)))
    total: Any = -r[T - 1] - log_theta[T - 1]
    if T > 1:
        t = cp.Variable(T - 1, name="t")
        cons.append(
            cp.multiply(a2n[: T - 1], cp.exp(-t))
            + cp.multiply(sn[: T - 1], cp.exp(-r[: T - 1] - t)) <= 1
        )
        total = total + cp.sum(t)
    return total / (2.0 * math.log(2.0))


@lru_cache(maxsize=256)
def compiled(key: Key) -> Model:
    """The model of ``key``, built once (thread-safe: a race builds two equal models)."""
    return Model(key)


def clear_cache() -> None:
    """Forget every compiled problem (they are rebuilt on demand)."""
    compiled.cache_clear()


def pattern_of(perception: FloatArray, plf: PerceptionLoss) -> tuple[str, ...]:
    """Per frame: "z" (P = 0), "p" (0 < P < inf), "i" (no constraint: P = inf, or implied by
    another frame's constraint, see :meth:`PerceptionLoss.implied`, and so left out)."""
    implied = plf.implied(perception)
    return tuple(
        "i" if math.isinf(v) or j in implied else ("z" if v == 0 else "p")
        for j, v in enumerate(perception)
    )


def rate_reference(inst: Instance) -> FloatArray:
    """The rate form's reference MMSE per frame (normalised): the frame's target, within
    [1e-300, 1] (1 without a target). The total-rate objective carries the constant
    ``-log(theta_T) / (2 ln 2)``, which the solver's own objective value leaves out."""
    caps, var = inst.caps, inst.source.variances
    return np.clip(np.where(np.isfinite(caps), caps / var, 1.0), 1e-300, 1.0)


#: Upper end of a KL level's interval of normalised reconstruction variances passed to the
#: program (``hi`` = t_high - 1 is clipped here). Only ``"x||xhat"`` FMD levels above about 7
#: nats reach it (t_high = 1/t_- grows like exp(1 + 2P)); it is a restriction of the program
#: that keeps its optimum, whose reconstruction variances are at most the frame's (the upper end
#: never binds for PLF-FMD, docs/theory.md 4.11.2), while huge coefficients would not.
KL_HI_CAP = 1e6


def kl_bounds(levels: FloatArray, direction: str) -> tuple[FloatArray, FloatArray]:
    """``(lo, hi)`` = the KL interval of normalised variances minus 1 (:func:`rdp_theory.kl_variance_bounds`,
    ends computed as deviations from 1, without cancellation); ``hi`` clipped at ``KL_HI_CAP``."""
    y_lo, t_lo, y_hi, t_hi = _level_roots(levels)
    if direction == "xhat||x":
        lo, hi = y_lo, y_hi
    else:  # [1 / t_hi, 1 / t_lo] - 1
        with np.errstate(divide="ignore", over="ignore"):
            lo = -y_hi / t_hi
            hi = np.where(t_lo > 0.0, -y_lo / np.where(t_lo > 0.0, t_lo, 1.0), np.inf)
    return np.asarray(lo, dtype=np.float64), np.minimum(hi, KL_HI_CAP)


#: A perception row is divided by its level only down to this level (relative to the largest
#: variance, the program's unit): below it, by this. Rows scaled by more (levels of 1e-16 to
#: 1e-300 of the variance, coefficients up to 1e300) left every Clarabel setting failing and SCS
#: running for minutes (review, 2026-11-30), where the absolute row is solved at once.
ROW_SCALE_FLOOR = 1e-6


def coupling_rows(lam: FloatArray, level: FloatArray) -> tuple[FloatArray, FloatArray]:
    """A W2^2 perception row ``lam @ diag(E') <= level`` (normalised units, one row per entry of
    ``level``) divided by ``max(level, ROW_SCALE_FLOOR)``: ``(weights, right side)``, shapes
    ``(n, len(lam))`` and ``(n,)``. Levels that are not finite and positive keep the absolute row
    (0 stays 0: a level that underflowed still binds as perfect realism, never vanishes)."""
    lam, level = np.asarray(lam, dtype=np.float64), np.asarray(level, dtype=np.float64)
    scale = np.where(np.isfinite(level) & (level > 0), np.maximum(level, ROW_SCALE_FLOOR), 1.0)
    return lam[None, :] / scale[:, None], np.where(np.isfinite(level), level, 0.0) / scale


def parameter_values(inst: Instance, weights: FloatArray) -> dict[str, FloatArray]:
    r"""Parameter values (by parameter name) of the *normalised* problem for ``inst``.

    Frame ``k`` is divided by :math:`\sigma_k` (an exact congruence of the program): the source
    becomes unit-variance with the same correlations (:math:`a'_k = \rho_k`,
    :math:`s'_k = 1 - \rho_k^2`, :math:`A'_{k,i} = A_{k,i}\sigma_i/\sigma_k`), distortions and
    FMD-type levels scale by :math:`1/\sigma_k^2`, and a joint W2^2 becomes
    :math:`\sum_k \sigma_k^2 E'_{kk}` (row j of ``lam``: sigma_k^2 / kappa, and ``P``: P_j / kappa,
    both divided by the level, :func:`coupling_rows`). ``weights``
    must already be the normalised objective weights (:math:`w_k\sigma_k^2`, rescaled).
    """
    source, rates, perception, caps = inst.source, inst.rates, inst.perception, inst.caps
    T = source.T
    var = source.variances
    rho = np.asarray(source.rhos)
    b = np.exp2(-2.0 * rates)
    a2 = rho**2
    s = 1.0 - a2
    beta = np.zeros(T)
    gamma = np.empty(T)
    gamma[0] = b[0]
    if T > 1:
        beta[1:] = b[1:] * a2
        gamma[1:] = b[1:] * s
    fin = np.isfinite(perception)
    if inst.measure == "kl":
        lo, hi = kl_bounds(np.where(fin, perception, 0.0), inst.kl_direction or "xhat||x")
    else:
        rp = np.sqrt(np.where(fin, perception / var, 0.0))  # sqrt of the frame-normalised level
        # (1 - sqrt P')_+^2 - 1 and (1 + sqrt P')^2 - 1, written without cancellation
        lo, hi = np.where(rp <= 1.0, -rp * (2.0 - rp), -1.0), rp * (2.0 + rp)
    theta = rate_reference(inst)
    kappa = float(var.max())
    lam_rows, level_rhs = coupling_rows(var / kappa, np.where(fin, perception / kappa, np.inf))
    values = {
        "Sigma": source.standardized.covariance(),
        "A": source.standardized.transfer,  # no overflow: the raw transfer can reach 1e300
        "p1": 1.0,
        "a2": a2 if T > 1 else np.zeros(1),
        "s": s if T > 1 else np.zeros(1),
        "a2n": a2 if T > 1 else np.zeros(1),  # the same, as sign-declared parameters (rate form)
        "sn": s / theta[:-1] if T > 1 else np.zeros(1),
        "inv_theta": 1.0 / theta,
        "log_theta": np.log(theta),
        "beta": beta,
        "gamma": gamma,
        "w": weights,
        "tau": np.where(np.isfinite(caps), caps / var, 0.0),
        "lo": lo,
        "hi": hi,
        "lam": lam_rows,
        "P": level_rhs,
        "klrhs": np.zeros(T),
    }
    if inst.measure == "kl":
        A = source.standardized.transfer
        klrhs = np.zeros(T)
        for j in range(1, T):
            rinv, logdet = _markov_precision(source.rhos, j + 1)
            values[f"Rinv{j}"], values[f"RA{j}"] = rinv, rinv @ A[: j + 1, : j + 1]
            klrhs[j] = 2.0 * perception[j] - logdet if fin[j] else 0.0
        values["klrhs"] = klrhs
    return {name: np.asarray(v, dtype=np.float64) for name, v in values.items()}

r"""One lexicographic stage: min :math:`D_k` over frame :math:`k`'s row, the earlier rows fixed.

The program (:class:`Stage`, compiled once per :class:`StageKey` and cached) and its attempts
(:func:`solve_stage`): :mod:`._lexicographic` runs the chain and decides what each stage is
(solved, pinned, repaired); this module only solves one. The row is written in
:math:`\Delta_k = \hat X_k - Y_k` with :math:`Y_k = E[X_k \mid U_{\le k}]`, variables scaled by
:math:`t \approx e_k` (docs/theory.md 3.5, 4.8): an SOC, frame :math:`k`'s coupling LMI of size
:math:`2(k+1)` (W2^2) or one exponential cone (KL, chain rule), and the objective
:math:`\psi = \operatorname{Var}(\Delta_k)/t`.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cvxpy as cp
import numpy as np
from numpy.typing import NDArray

from ..exceptions import SolverError
from . import _model
from ._backend import Raw, run_problem
from ._settings import DEFAULT, NO_EQUILIBRATION, REGULARISED, SCS, TIGHT, SolverSettings
from ._weighted import settings_name
from .result import REL_GAP

__all__ = [
    "STAGE_ATTEMPTS", "SCALED_PSI_MAX", "SCALE_FLOOR", "StageKey", "Stage", "compiled_stage",
    "rescaled", "level_row", "solve_stage", "stage_gap",
]

FloatArray = NDArray[np.float64]
logger = logging.getLogger("rdp_theory.convex._lexicographic")  # one log for the whole chain

#: Attempts per stage, in order: a bounded list, no retries beyond it.
#: Each is (settings, scaled): ``scaled`` solves in variables scaled by the MMSE e_k (accurate
#: when the decoder stays near the MMSE one, e.g. at high rates), else in unscaled ones (better
#: when an earlier frame forces a large deviation, e.g. JD error permanence).
#: The last two are for stages every interior-point setting above leaves stalled (measured: a
#: JD stage at 16 bits whose earlier frames force a deviation 1e9 times its MMSE; more static
#: regularisation reaches a flagged result, SCS a certified one).
#: The third element: a coupling's perception row written relative to its level (cost / P <= 1,
#: so that the solver's absolute tolerances act relative to P) or as cost <= P in units of the
#: largest variance. Relative rows come first: with absolute ones, levels of 1e-5 to 1e-3 of
#: the variance were exceeded by ~1e-7 of it, which can move D by ~1e-6 (the certificate's
#: ``perception_effect`` flags that); absolute rows (every setting the stages had before
#: relative rows, and the last two) serve the stages whose relative rows stall (measured at
#: 15-16 bits, where D_k ~ 1e-10 of the variance, and at levels below 1e-16 of it).
STAGE_ATTEMPTS: tuple[tuple[SolverSettings, bool, bool], ...] = (
    (TIGHT, True, True), (NO_EQUILIBRATION, True, True), (TIGHT, False, True),
    (NO_EQUILIBRATION, False, True), (DEFAULT, False, True), (TIGHT, True, False),
    (NO_EQUILIBRATION, True, False), (TIGHT, False, False), (NO_EQUILIBRATION, False, False),
    (REGULARISED, False, True), (SCS, False, True),
)
#: A scaled attempt's optimum is trusted only while psi = Var(Delta_k) / t stays below this: far
#: from the MMSE decoder the unscaled attempts decide (measured: scaled optima at psi ~ 1e4-1e5
#: reported small gaps while breaking their own constraints, by 1.7 in scaled units).
SCALED_PSI_MAX = 1e3
#: The stage variables are scaled by the MMSE e_k (normalised), clipped to [SCALE_FLOOR, 1].
SCALE_FLOOR = 1e-14


@dataclass(frozen=True)
class StageKey:
    plf: str
    k: int
    n_u: int  # innovations available to frame k (frames <= k with q > 0)
    n_noise: int
    kind: str  # "z", "p" or "i": the stage's level is 0, finite, none
    measure: str = "w2"  # "w2" (coupling LMI) or "kl" (chain rule: one exponential cone)


class Stage:
    """min D_k over row k, earlier rows fixed: parameters and handles (normalised units)."""

    def __init__(self, key: StageKey) -> None:
        from ..perception import get_plf

        plf = get_plf(key.plf)
        k = key.k
        nb = key.n_u + key.n_noise
        self.lock = threading.RLock()
        # Written in Delta_k = Xhat_k - Y_k, Y_k = E[X_k | U_<=k] (docs/theory.md 3.5): then
        # D_k = e_k + Var(Delta_k) with no cancellation at high rates. The variables are scaled by
        # t ~ e_k (the parameter "t"): d = sqrt(t) dt = Cov(Delta_k, b), psi = t pt = Var(Delta_k)
        # >= |d|^2, so that they are O(1) at every rate; Xhat_k's row on the basis is f = cf + d.
        self.d = cp.Variable(nb, name="d") if nb else None
        self.psi = cp.Variable(name="psi", nonneg=True)
        n = k + 1
        self.t = cp.Parameter(name="t")
        # Cs[u, i] = sqrt(t) Cov(U_u, X_i), i <= k, on the U's available to frame k
        self.Cs = cp.Parameter((max(key.n_u, 1), n), name="Cs")
        self.cfs = cp.Parameter(max(nb, 1), name="cfs")  # sqrt(t) Cov(Y_k, b)
        self.v = cp.Parameter(name="v")  # Var(Y_k)
        self.xc = cp.Parameter(n, name="xc")  # Cov(Y_k, X_i), i <= k
        cons: list[Any] = []
        x_row: Any = self.xc  # Cov(Xhat_k, X_i), i <= k
        s_var: Any = self.v + self.t * self.psi  # Var(Xhat_k)
        if self.d is not None:
            cons.append(cp.sum_squares(self.d) <= self.psi)  # the one-row Schur LMI
            s_var = s_var + 2.0 * (self.cfs[:nb] @ self.d)
            if key.n_u:
                x_row = x_row + self.d[: key.n_u] @ self.Cs[: key.n_u, :]
        if key.kind != "i":
            # Cov of (X_1..X_k, Xhat_1..Xhat_k): every element frame k's laws can compare
            self.Sx = cp.Parameter((n, n), name="Sx")
            x_col = cp.reshape(x_row, (n, 1), order="F")
            s_11 = cp.reshape(s_var, (1, 1), order="F")
            if k:
                self.S = cp.Parameter((k, k), name="S")
                self.Xf = cp.Parameter((k, n), name="Xf")  # Cov(Xhat_j, X_i), j < k
                self.Gc = cp.Parameter(k, name="Gc")  # Cov(Xhat_j, Y_k), j < k
                self.Gs = cp.Parameter((k, max(nb, 1)), name="Gs")  # sqrt(t) G
                mixed = self.Gc + self.Gs[:, :nb] @ self.d if nb else self.Gc
                col_m = cp.reshape(mixed, (k, 1), order="F")
                rows: list[list[Any]] = [
                    [self.Sx, self.Xf.T, x_col],
                    [self.Xf, self.S, col_m],
                    [x_col.T, col_m.T, s_11],
                ]
            else:
                rows = [[self.Sx, x_col], [x_col.T, s_11]]
            joint = cp.bmat(rows)
            ref, rec = plf.compared_laws(k)
            pos = {**{("x", i): i for i in range(n)}, **{("xhat", j): n + j for j in range(n)}}
            sel = [np.eye(2 * n)[[pos[e] for e in law]] for law in (ref, rec)]
            K1 = sel[0] @ joint @ sel[0].T
            dk = sel[1] @ joint @ sel[1].T - K1
            d = len(ref)
            # entries of K2 - K1 that involve Xhat_k (the rest are fixed numbers)
            live = [(a, b) for a in range(d) for b in range(a, d)
                    if ("xhat", k) in (ref[a], ref[b], rec[a], rec[b])]
            if key.kind == "z":
                cons += [dk[a, b] == 0 for a, b in live]
            elif d == 1:
                self.lo = cp.Parameter(name="lo")
                self.hi = cp.Parameter(name="hi")
                cons += [dk[0, 0] >= self.lo, dk[0, 0] <= self.hi]
            elif key.measure == "kl":
                cons += self.kl_constraints(key, s_var, nb)
            else:
                # the row lam @ diag(E) <= P, written relative to the level or not (the
                # parameter values decide, see STAGE_ATTEMPTS and level_row)
                self.lam = cp.Parameter(d, name="lam")
                self.P = cp.Parameter(name="P")
                gam = cp.Variable((d, d), name="Gamma")
                E = dk - gam - gam.T
                cons.append(cp.bmat([[K1, gam], [gam.T, E]]) >> 0)
                ed = cp.Variable(d, name="Ediag")
                cons += [ed == cp.diag(E), self.lam @ ed <= self.P]
        # min D_k = e_k + t psi (e_k = Var(X_k - Y_k), the MMSE, in the stage's values) is min
        # psi, since e_k and t > 0 are constants. Written so, the solver's objective is O(1) at
        # every rate, like the scaled variables, and its tolerances act relative to Var(Delta_k)
        # (with D as the objective, t ~ 2^(-2R) scaled its gradient down to 1e-10 at 16 bits,
        # and a 1e-12 absolute gap was 1e-2 of D)
        self.problem = cp.Problem(cp.Minimize(self.psi), cons)
        if not self.problem.is_dpp():  # pragma: no cover - a construction bug
            raise SolverError("internal error: a lexicographic stage is not DPP")


    def kl_constraints(self, key: StageKey, s_var: Any, nb: int) -> list[Any]:
        r"""Frame k's JD level under KL, by the chain rule (docs/theory.md 4.12): with the past
        fixed, :math:`\mathrm{KL}_{\le k} = \mathrm{KL}_{<k} + \tfrac12[V/w - 1 - \ln(\tau/w)]`,
        :math:`V = \operatorname{Var}(\hat X_k - \rho\hat X_{k-1})` (affine in the row),
        :math:`\tau = \operatorname{Var}(\hat X_k \mid \hat X_{<k})` (concave),
        :math:`w = 1 - \rho^2`. Written as :math:`V \le` ``wk`` :math:`+ w\ln\tau` and
        :math:`\|L^{-1}\operatorname{Cov}(\hat X_{<k}, \hat X_k)\|^2 \le \operatorname{Var}\hat X_k - \tau`
        (:math:`LL^\top = \operatorname{Cov}\hat X_{<k}`), ``wk`` :math:`= w(2(\tilde P_k -
        \mathrm{KL}_{<k}) + 1 - \ln w)`: one exponential cone and one SOC."""
        k = key.k
        self.Wc = cp.Parameter(k, name="Wc")  # L^-1 Cov(Xhat_<k, Y_k)
        self.Wg = cp.Parameter((k, max(nb, 1)), name="Wg")  # L^-1 Gs
        self.gr = cp.Parameter(max(nb, 1), name="gr")  # 2 rho Gs[k-1]
        self.cr = cp.Parameter(name="cr")  # rho^2 S[k-1, k-1] - 2 rho Gc[k-1]
        self.w = cp.Parameter(name="w", nonneg=True)
        self.wk = cp.Parameter(name="wk")
        tau = cp.Variable(name="tau")
        white: Any = self.Wc
        innov: Any = s_var + self.cr
        if nb:
            white = white + self.Wg[:, :nb] @ self.d
            innov = innov - self.gr[:nb] @ self.d
        return [cp.sum_squares(white) <= s_var - tau, innov <= self.wk + self.w * cp.log(tau)]


@lru_cache(maxsize=512)
def compiled_stage(key: StageKey) -> Stage:
    """The stage program of ``key``, built once."""
    return Stage(key)


def rescaled(values: dict[str, Any], t: float) -> dict[str, Any]:
    """The stage's parameter values with the variables scaled by ``t`` instead (module doc)."""
    f = math.sqrt(t / values["t"])
    out = dict(values, t=t)
    for name in ("Cs", "cfs", "Gs", "Wg", "gr"):
        if name in out:
            out[name] = out[name] * f
    return out


def level_row(values: dict[str, Any], relative: bool) -> dict[str, Any]:
    """The stage's values with its perception row ``lam @ diag(E) <= P`` divided by the level
    (``relative``: cost / P <= 1, see ``_model.coupling_rows``), or as they are."""
    if not relative or "lam" not in values:
        return values
    lam, level = _model.coupling_rows(values["lam"], np.array([values["P"]]))
    return dict(values, lam=lam[0], P=float(level[0]))


def solve_stage(
    stage: Stage, values: dict[str, Any]
) -> tuple[Raw, int, float, FloatArray, float, float]:
    """One stage: the attempts of ``STAGE_ATTEMPTS`` in turn, the first optimal one kept (else
    the first acceptable one, which the certificate then judges).

    Returns the solver's report, the attempts run, :math:`D_k`, ``d`` = Cov(Delta_k, b),
    ``psi`` = Var(Delta_k) and the absolute duality gap, all normalised.
    """
    failures: list[str] = []
    kept: tuple[Raw, int, float, FloatArray, float, float] | None = None
    kept_rank: tuple[bool, float] = (True, math.inf)
    with stage.lock:
        for n, (settings, scaled, relative) in enumerate(STAGE_ATTEMPTS, start=1):
            vals = level_row(values if scaled else rescaled(values, 1.0), relative)
            for p in stage.problem.parameters():
                p.value = np.asarray(vals[p.name()], dtype=np.float64).reshape(p.shape)
            try:
                raw = run_problem(stage.problem, settings)
            except (KeyboardInterrupt, SystemExit, GeneratorExit):
                raise
            except BaseException as exc:  # noqa: BLE001 - Clarabel's Rust panics are BaseExceptions
                failures.append(f"{type(exc).__name__}: {str(exc)[:80]}")
                logger.info("  stage attempt %d (%s, %s, %s row): %s", n, settings_name(settings),
                            "scaled" if scaled else "unscaled",
                            "relative" if relative else "absolute", failures[-1])
                continue
            if raw.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
                failures.append(raw.status)
                logger.info("  stage attempt %d (%s, %s, %s row): %s", n, settings_name(settings),
                            "scaled" if scaled else "unscaled",
                            "relative" if relative else "absolute", raw.status)
                continue
            t = float(vals["t"])
            d = np.zeros(0) if stage.d is None else np.asarray(stage.d.value, dtype=np.float64)
            psi = float(np.asarray(stage.psi.value, dtype=np.float64))
            # the solver's objective is psi, so its duality gap times t is the gap in D_k
            out = (
                raw, n, float(vals["e"]) + t * psi, math.sqrt(t) * d, t * psi,
                t * raw.gap,
            )
            # a scaled attempt is for decoders near the MMSE one: far from it (psi = Var(Delta_k)
            # / t above SCALED_PSI_MAX) its tolerances act on a large objective, and such optima
            # were measured to break the stage's own constraints while reporting a small gap
            trusted = not (scaled and psi > SCALED_PSI_MAX)
            rank = (raw.status != cp.OPTIMAL or not trusted, stage_gap(out[2], out[5]))
            if not rank[0] and rank[1] <= REL_GAP:
                return out
            # an inaccurate status, a gap beyond REL_GAP or an untrusted scaling: the next
            # attempts may do better; the best is kept (optimal and trusted first, then the gap)
            if kept is None or rank < kept_rank:
                kept, kept_rank = out, rank
    if kept is not None:  # every attempt ran: that is the count reported, not the kept one's
        raw, _, value, d, psi, gap = kept
        return raw, len(STAGE_ATTEMPTS), value, d, psi, gap
    raise SolverError("lexicographic stage failed: " + " | ".join(failures[-3:]))


def stage_gap(value: float, gap: float) -> float:
    """A stage's duality gap relative to its D_k (normalised), floored at 1e-7 of the variance:
    below that, REL_GAP_WARN of the floor is the promise's absolute 1e-12 sigma_k^2."""
    return gap / max(abs(value), 1e-7)

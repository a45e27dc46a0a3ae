r"""Certified convex (SDP) solver for the Gaussian sequential RDP problem (THEORY.md section 3).

The program
-----------
For jointly Gaussian schemes let :math:`U_i` be the normalised innovation of the representation,
:math:`c_i = \operatorname{Cov}(X_i, U_i) \ge 0`, :math:`q_i = c_i^2`, :math:`p_i =
\operatorname{Var}(X_i \mid U_{<i})`, and :math:`e_i = p_i - q_i` the MMSE after frame ``i``. A
decoder is :math:`\hat X_k = \sum_{i\le k} g_{k,i} U_i + W_k` with independent noise ``W``.

THEORY.md writes the program in :math:`(\hat\Sigma, H, q)`. That form subtracts numbers of size
:math:`\sigma^2` to obtain distortions of size :math:`\sigma^2 2^{-2R}` and so loses about five
digits at 8 bits. We solve the *same* program after an invertible affine change of variables to
small quantities. With :math:`\tilde X_k = E[X_k \mid U_{\le k}]` and
:math:`\Delta = \hat X - \tilde X`:

.. math::

    \Psi = \operatorname{Cov}(\Delta), \qquad H' = H - A\,\operatorname{diag}(q)
    \ (\text{so } h'_{k,i} = \sqrt{q_i}\,(g_{k,i} - A_{k,i}\sqrt{q_i})),

    p_1 = \sigma_1^2,\quad p_{k+1} = a_k^2 e_k + s_k,\quad q = p - e,\quad
    e_k \ge 2^{-2R_k} p_k \ (\text{rate}),\quad e \ge 0,

    \begin{bmatrix}\Psi & H' \\ H'^\top & \operatorname{diag}(q)\end{bmatrix} \succeq 0,
    \qquad D_k = e_k + \Psi_{kk},

    \hat\Sigma - \Sigma = -(L + L^\top) + \operatorname{diag}(e) + A H'^\top + H' A^\top + \Psi,
    \quad L = A \operatorname{diag}(e),

    \operatorname{Cov}(\hat X_m, X_k) - \Sigma_{mk} = -A_{k,m} e_m + (H' A^\top)_{mk}\quad (m < k).

(:math:`D_k = e_k + \Psi_{kk}` because the estimation error :math:`X_k - \tilde X_k` is
orthogonal to everything the decoder sees; the identity for :math:`\hat\Sigma - \Sigma` uses
:math:`\sum_{i\le m} A_{m,i}^2 q_i = \sigma_m^2 - e_m`.) Perception constraints come from
:mod:`rdp_theory.perception`. Frame ``k`` is normalised by :math:`\sigma_k` (an exact
congruence; see ``_bind``) so that mixed-scale sources keep every frame's variables O(1).

Each problem structure is compiled once with ``cp.Parameter`` (DPP); sweeps only re-bind values.
Clarabel is tried first with tight tolerances, then with its defaults, then SCS. A result comes
with a :class:`Certificate` recomputed from the primal matrices in THEORY.md's own variables.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Literal, Union

import cvxpy as cp
import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ._validation import check_choice, check_perception, check_rates, check_weights
from .closed_form import mmse_distortions
from .exceptions import InfeasibleError, InvalidParameterError, SolverError, SolverWarning
from .perception import PerceptionLoss, get_plf
from .scheme import joint_model
from .source import GaussMarkovSource, RNGLike

if TYPE_CHECKING:
    from .simulate import SimulationResult

__all__ = [
    "Certificate",
    "DecoderMatrices",
    "RDPSolution",
    "solve_rdp",
    "pareto_sweep",
    "Objective",
    "ACCURACY",
]

FloatArray = NDArray[np.float64]
Objective = Union[Literal["lexicographic"], ArrayLike]

#: Relative accuracy that a certified solution must reach (residuals relative to max sigma^2);
#: worse is returned with a :class:`SolverWarning`, and 1e3 times worse raises SolverError.
ACCURACY = 1e-7
#: Duality gap relative to the objective itself that a solve aims for (further attempts run while
#: it is not met); a result whose relative gap stays above ``REL_GAP_WARN`` carries a warning.
REL_GAP = 1e-6
REL_GAP_WARN = 1e-5

# First attempt: tolerances 1e-12. Clarabel then reports "AlmostSolved" (cvxpy:
# optimal_inaccurate) when it stops between 1e-12 and its *reduced* tolerances, which we set to
# 1e-8 -- Clarabel's own default full-accuracy tolerances. Such a result is as good as a default
# "Solved", so after this attempt the verdict is the certificate's, not the flag's.
_TIGHT = dict(
    tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12, tol_ktratio=1e-10, max_iter=300,
    reduced_tol_gap_abs=1e-8, reduced_tol_gap_rel=1e-8, reduced_tol_feas=1e-8,
    reduced_tol_ktratio=1e-6,
)
# The same without iterative refinement of the KKT solves: 30-40% faster when the PSD cones are
# large (T = 10 with a coupling: 44 ms against 68 ms), and no less accurate on most instances;
# it is the first attempt, so the certificate (relative gap included) decides whether it is
# kept or the refined attempts run (they rescue high-rate instances, where refinement matters).
_UNREFINED = dict(_TIGHT, iterative_refinement_enable=False)
_DEFAULT: dict[str, float] = dict(max_iter=500)
_SCS = dict(eps_abs=1e-9, eps_rel=1e-9, max_iters=20_000)

# Lexicographic chain: cap D_j <= D_j* + slack, slack = rel * (D_j* + 1e-3 max sigma^2).
# A cap that is too tight leaves an interior-point method a sliver of a feasible set; one that is
# too loose lets later frames gain about sqrt(slack) (the caps' multipliers can be unbounded).
# So each stage tries Clarabel with growing slack first, and the full fallback list last.
_LEX_SLACKS = (1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6)
#: further slack levels tried when a stage is acceptable but not accurate (see _solve_lexicographic)
_LEX_RETRIES = 2
#: relative undershoot of an earlier frame below its stage optimum (see
#: Certificate.lexicographic_undershoot) above which a lexicographic result is flagged
LEX_UNDERSHOOT_WARN = 1e-6
#: estimated relative error of the last frame from the cap slack (see
#: Certificate.lexicographic_sensitivity) above which a lexicographic result is flagged
LEX_SENSITIVITY_WARN = 1e-6


# ---------------------------------------------------------------------------- result types
@dataclass(frozen=True)
class Certificate:
    r"""Evidence that a solution is what it claims, recomputed from THEORY.md's variables.

    Attributes
    ----------
    distortion_residual : float
        :math:`\max_k |D_k - (\sigma_k^2 + \hat\Sigma_{kk} - 2\sum_i A_{k,i} h_{k,i})|`.
    psd_residual : float
        :math:`\max(0, -\lambda_{\min})` of the Schur LMI
        :math:`\begin{bmatrix}\hat\Sigma & H\\ H^\top & \operatorname{diag}(q)\end{bmatrix}`.
    rate_residual : float
        :math:`\max_k \max(0, I_k - R_k)` in bits, with :math:`I_k = \tfrac12\log_2(p_k/e_k)`.
    perception_residual : float
        :math:`\max_k \max(0, \phi_k - P_k)` with :math:`\phi` from the Bures-Wasserstein formula.
    primal_residual : float
        The largest of the distortion, PSD and perception residuals (variance units).
    duality_gap : float
        :math:`|p^\star - d^\star|` reported by the solver for the final (sub)problem (variance units).
    relative_gap : float
        The same gap relative to the (sub)problem's objective, :math:`|p^\star - d^\star| /
        |p^\star|`: how many digits of the objective itself are certified (it matters when the
        objective is a tiny distortion, e.g. at high rates). Lexicographic: the largest over the
        stages, since stage ``k`` certifies :math:`D_k`. Above ``REL_GAP_WARN`` the result is
        ``optimal_inaccurate`` with a SolverWarning.
    iterations : int
        Interior-point (or SCS) iterations of the final (sub)problem.
    lexicographic_slack : tuple of float
        Relative slack ``r`` allowed on the earlier frames' optima at each lexicographic stage
        ``2..T`` (empty for weighted objectives). If the penalised fallback was needed, instead
        the measured relative drift of frames ``1..T-1`` from their stage optima.
    attempts : int
        Solver attempts used (fallbacks and lexicographic retries included).
    lexicographic_undershoot : float
        Largest relative amount, :math:`\max_{j<T} (D_j^\star - D_j)/(D_j^\star + 10^{-3}\sigma_j^2)`,
        by which an earlier frame of the returned scheme lies *below* its own stage optimum
        :math:`D_j^\star` (0 for weighted objectives). An exact lexicographic point has none, so
        a positive value measures how far the later stages used the solver's feasibility
        tolerance; above ``LEX_UNDERSHOOT_WARN`` the result carries a SolverWarning, because at
        such degenerate optima later frames can be off by about its square root.
    lexicographic_sensitivity : float
        Estimated relative error of the last frame due to the cap slack: its stage is re-solved
        with a 10x larger slack and, the value moving like :math:`c\sqrt{\text{slack}}` at
        degenerate optima, the change divided by :math:`\sqrt{10}-1`. Above
        ``LEX_SENSITIVITY_WARN`` the result carries a SolverWarning.
    """

    distortion_residual: float
    psd_residual: float
    rate_residual: float
    perception_residual: float
    primal_residual: float
    duality_gap: float
    iterations: int
    lexicographic_slack: tuple[float, ...] = ()
    attempts: int = 1
    lexicographic_undershoot: float = 0.0
    relative_gap: float = 0.0
    lexicographic_sensitivity: float = 0.0


@dataclass(frozen=True)
class DecoderMatrices:
    r"""The optimal decoder :math:`\hat X = G U + W`, :math:`W \sim \mathcal N(0, \Sigma_W)`.

    Attributes
    ----------
    gain : ndarray, shape (T, T)
        Lower-triangular :math:`G` (``gain[k, i]`` multiplies :math:`U_i`).
    noise_covariance : ndarray, shape (T, T)
        :math:`\Sigma_W = \hat\Sigma - G G^\top` (PSD), shared randomness across frames.
    """

    gain: FloatArray
    noise_covariance: FloatArray


@dataclass(frozen=True)
class RDPSolution:
    r"""Optimal jointly Gaussian scheme for given rates and perception levels.

    Attributes
    ----------
    source : GaussMarkovSource
    rates : ndarray, shape (T,)
        Rate budget per frame (bits per sample).
    perception : ndarray, shape (T,)
        Perception levels per frame (W2^2; ``inf`` = unconstrained).
    plf : str
        ``"jd"``, ``"fmd"`` or ``"sa"``.
    objective : str or tuple of float
        ``"lexicographic"`` or the weights.
    representation : str
        ``"optimal"`` (jointly optimised) or ``"mse"`` (greedy MSE representation, fixed).
    distortions : ndarray, shape (T,)
        MSE per frame.
    perception_values : ndarray, shape (T,)
        :math:`\phi_j` (W2^2) of the scheme under ``plf``, from the Bures-Wasserstein formula.
    reconstruction_covariance : ndarray, shape (T, T)
        :math:`\hat\Sigma = \operatorname{Cov}(\hat X)`.
    cross_covariance : ndarray, shape (T, T)
        ``cross_covariance[m, k]`` = :math:`\operatorname{Cov}(\hat X_m, X_k)`.
    decoder : DecoderMatrices
    q : ndarray, shape (T,)
        Squared innovation covariances :math:`q_i`.
    p : ndarray, shape (T,)
        Prior variances :math:`p_i = \operatorname{Var}(X_i \mid U_{<i})`.
    rates_used : ndarray, shape (T,)
        :math:`I(X_i; U_i \mid U_{<i}) = \tfrac12 \log_2(p_i/(p_i - q_i))` bits (``<= rates``).
    objective_value : float
        Weighted distortion at the optimum (for lexicographic: :math:`D_T`).
    status : str
        cvxpy status (``"optimal"`` or ``"optimal_inaccurate"``).
    solver : str
        Solver that produced the final (sub)problem's solution.
    certificate : Certificate
    """

    source: GaussMarkovSource
    rates: FloatArray
    perception: FloatArray
    plf: str
    objective: str | tuple[float, ...]
    representation: str
    distortions: FloatArray
    perception_values: FloatArray
    reconstruction_covariance: FloatArray
    cross_covariance: FloatArray
    decoder: DecoderMatrices
    q: FloatArray
    p: FloatArray
    rates_used: FloatArray
    objective_value: float
    status: str
    solver: str
    certificate: Certificate = field(repr=False)

    @property
    def T(self) -> int:
        """Number of frames."""
        return self.source.T

    def reconstruction_correlations(self) -> FloatArray:
        r""":math:`\operatorname{corr}(\hat X_j, \hat X_{j+1})`, shape (T-1,) (0 where a variance is 0)."""
        s = self.reconstruction_covariance
        d = np.sqrt(np.clip(np.diag(s), 0.0, None))
        num = np.diag(s, 1)
        den = d[:-1] * d[1:]
        return np.divide(num, den, out=np.zeros_like(num), where=den > 0)

    def perception_under(self, plf: str | PerceptionLoss) -> FloatArray:
        """Perception values (W2^2) of this scheme measured under another PLF, shape (T,)."""
        return get_plf(plf).values(
            self.source.covariance(), self.reconstruction_covariance, self.cross_covariance
        )

    def simulate(self, n: int, rng: RNGLike, *, batches: int = 20) -> SimulationResult:
        """Monte Carlo run of this scheme; see :func:`rdp_theory.simulate.simulate_solution`."""
        from .simulate import simulate_solution

        return simulate_solution(self, n, rng, batches=batches)


# ---------------------------------------------------------------------------- model building
@dataclass(frozen=True)
class _Key:
    T: int
    plf: str
    representation: str
    pattern: tuple[str, ...]  # per frame: "z" (P=0), "p" (0<P<inf), "i" (P=inf)
    capped: tuple[bool, ...]
    active: tuple[bool, ...]  # R_i > 0; a zero-rate frame has q_i = 0 and no H' column
    maximize: bool = False  # used to test whether a frame's distortion is pinned
    eliminate: bool = True  # couplings with E substituted (fast) or as a variable (robust)


class _Model:
    """A compiled parametrised problem and handles to its parameters and expressions.

    The model is written for a *normalised* source (unit frame variances, see :func:`_normalise`):
    JD/SA couplings then carry the trace weights ``lam`` = sigma_k^2 / kappa, so that the program
    is an exact congruence of the original one while every frame's variables are O(1).
    """

    def __init__(self, key: _Key) -> None:
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
        self.P = cp.Parameter(T, name="P")
        self.lam = cp.Parameter(T, name="lam")

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
        #: primal values of the last successful run (normalised units), see ``_run``
        self.values: _Values | None = None
        #: the compiled fast path (None: not tried yet, False: unavailable), see ``_FastPath``
        self.fast: _FastPath | Literal[False] | None = None
        #: variables that only frame j's coupling uses (for _FastPath.view)
        self.coupling_vars: dict[int, list[cp.Variable]] = {}
        #: couplings to keep on the next fast-path run (None: all), see _FastPath.view
        self.keep: frozenset[int] | None = None
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
            else:
                k1, dk = plf.pair_expressions(self, j)
                d = j + 1
                # Coupling of the two laws in the variables (X, Y - X): Gamma = Cov(X, Y - X),
                # E = Cov(Y - X) = (K2 - K1) - Gamma - Gamma^T. Substituting E (key.eliminate)
                # removes d^2 equality rows per coupling (2.5x faster with nine couplings at
                # T = 10) and is tried first; keeping E as a
                # variable with d^2 equalities is slower but more robust on degenerate
                # instances, so the fallbacks use it (see _ATTEMPTS).
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
                cons.append(self.lam[:d] @ ed <= self.P[j])
                self.coupling_vars[j] = [gam, ed] + ([] if key.eliminate else [E])
        for j, capped in enumerate(key.capped):
            if capped:
                cons.append(self.D[j] <= self.tau[j])
        sense = cp.Maximize if key.maximize else cp.Minimize
        self.problem = cp.Problem(sense(self.w @ self.D), cons)
        if not self.problem.is_dpp():  # pragma: no cover - a construction bug, not user input
            raise SolverError("internal error: the RDP program is not DPP")


@lru_cache(maxsize=256)
def _model(key: _Key) -> _Model:
    return _Model(key)


def _pattern(perception: FloatArray, plf: PerceptionLoss) -> tuple[str, ...]:
    """Per frame: "z" (P = 0), "p" (0 < P < inf), "i" (no constraint: P = inf, or implied by
    another frame's constraint, see :meth:`PerceptionLoss.implied`, and so left out)."""
    implied = plf.implied(perception)
    return tuple(
        "i" if math.isinf(v) or j in implied else ("z" if v == 0 else "p")
        for j, v in enumerate(perception)
    )


def _assign(param: cp.Parameter, value: Any) -> None:
    """Set a parameter's value with our own checks (shape, finite) instead of cvxpy's.

    cvxpy validates every assignment against the parameter's attributes (convert, project,
    compare: ~0.1 ms each, a quarter of a T = 3 re-solve). Ours carry no attributes and their
    values are computed here, so the shape and finiteness checks below are the whole contract.
    Falls back to the public setter if cvxpy's internals change.
    """
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != param.shape or not np.all(np.isfinite(arr)):  # pragma: no cover - internal
        raise SolverError(f"internal error: bad value for parameter {param.name()}")
    if hasattr(param, "_value"):
        param._value = arr
    else:  # pragma: no cover - future cvxpy
        param.value = arr


def _bind(
    model: _Model,
    source: GaussMarkovSource,
    rates: FloatArray,
    perception: FloatArray,
    weights: FloatArray,
    caps: FloatArray,
) -> None:
    r"""Bind parameter values for the *normalised* problem.

    Frame ``k`` is divided by :math:`\sigma_k` (an exact congruence of the program): the source
    becomes unit-variance with the same correlations (:math:`a'_k = \rho_k`,
    :math:`s'_k = 1 - \rho_k^2`, :math:`A'_{k,i} = A_{k,i}\sigma_i/\sigma_k`), distortions and
    FMD-type levels scale by :math:`1/\sigma_k^2`, and a joint W2^2 becomes
    :math:`\sum_k \sigma_k^2 E'_{kk}` (weights ``lam``, levels over :math:`\kappa`). ``weights``
    must already be the normalised objective weights (:math:`w_k\sigma_k^2`, rescaled).
    """
    T = source.T
    sig = source.sigma
    var = source.variances
    kappa = float(var.max())
    rho = np.asarray(source.rhos)
    b = np.exp2(-2.0 * rates)
    a2 = rho**2
    s = 1.0 - a2
    _assign(model.Sigma, source.covariance() / np.outer(sig, sig))
    _assign(model.A, source.transfer * sig[None, :] / sig[:, None])
    _assign(model.p1, 1.0)
    _assign(model.a2, a2 if T > 1 else np.zeros(1))
    _assign(model.s, s if T > 1 else np.zeros(1))
    beta = np.zeros(T)
    gamma = np.empty(T)
    gamma[0] = b[0]
    if T > 1:
        beta[1:] = b[1:] * a2
        gamma[1:] = b[1:] * s
    _assign(model.beta, beta)
    _assign(model.gamma, gamma)
    _assign(model.w, weights)
    _assign(model.tau, np.where(np.isfinite(caps), caps / var, 0.0))
    fin = np.isfinite(perception)
    rp = np.sqrt(np.where(fin, perception / var, 0.0))  # sqrt of the frame-normalised level
    # (1 - sqrt P')_+^2 - 1 and (1 + sqrt P')^2 - 1, written without cancellation
    _assign(model.lo, np.where(rp <= 1.0, -rp * (2.0 - rp), -1.0))
    _assign(model.hi, rp * (2.0 + rp))
    _assign(model.P, np.where(fin, perception / kappa, 0.0))
    _assign(model.lam, var / kappa)


# ---------------------------------------------------------------------------- solving
@dataclass(frozen=True)
class _Raw:
    status: str
    solver: str
    primal: float
    dual: float
    iterations: int


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Silence file descriptor 2 while native code runs.

    A Rust panic inside Clarabel prints its message (and, with RUST_BACKTRACE set, a backtrace)
    straight to fd 2 before Python sees the PanicException, which we catch and answer with the
    next fallback; the message is kept in the exception, so nothing is lost.
    """
    try:
        saved = os.dup(2)
    except OSError:  # pragma: no cover - no usable fd 2
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@dataclass(frozen=True)
class _Values:
    """Primal values of the variables the certificate needs (normalised units)."""

    e: FloatArray
    psi: FloatArray
    hvec: FloatArray | None


def _clarabel(
    P: Any, c: FloatArray, A: Any, b: FloatArray, cones: list[Any], opts: dict[str, Any]
) -> Any:
    """Run Clarabel on conic data (min c'x s.t. Ax + s = b, s in cones), primal only.

    The certificate is recomputed from the primal, so cvxpy's dual recovery (a dense
    triangle-to-full conversion per PSD cone) would be wasted work on every re-solve.
    """
    import clarabel

    settings = clarabel.DefaultSettings()
    settings.verbose = False
    # one thread: these KKT systems are small, and faer's threading costs more than it saves
    # (measured T = 10 with a coupling: 61 ms on one thread against 79 ms on two); sweeps
    # parallelise across processes instead (joblib)
    settings.max_threads = 1
    for name, value in opts.items():
        setattr(settings, name, value)
    return clarabel.DefaultSolver(P, c, A, b, cones, settings).solve()


class _FastPath:
    """Parameters -> Clarabel data -> primal values, without cvxpy on the hot path.

    A DPP program's conic data is a *linear* function of the vector ``theta`` of parameter
    values (with a trailing 1): cvxpy keeps it as a sparse matrix whose product with ``theta``
    gives the nonzeros of ``[A | b]`` in a fixed sparsity pattern, and ``q`` for ``[c | d]``.
    Re-solves then cost one sparse product, not cvxpy's per-call reassembly (about half of a
    T = 3 re-solve). Likewise the map from Clarabel's ``x`` to our variables is a fixed
    selection, found once by probing cvxpy's own inversion with ``x = 1, 2, ..., n``.

    Built from cvxpy internals, so :meth:`build` *checks itself* against cvxpy's public path
    (the data exactly, the unpacked values on a random ``x``) and returns None on any mismatch
    or exception; the model then keeps using cvxpy's path.
    """

    def __init__(self, model: _Model, data: dict[str, Any], chain: Any, inv: Any) -> None:
        from cvxpy.reductions.solvers.conic_solvers.clarabel_conif import dims_to_solver_cones

        prog = data[cp.settings.PARAM_PROB]
        prog.reduced_A.cache(False)
        self.tensor = sp.csr_matrix(prog.reduced_A.reduced_mat)
        indices, indptr, shape = prog.reduced_A.problem_data_index
        self.m, self.n = int(shape[0]), int(shape[1]) - 1
        self.nA = int(indptr[self.n])
        self.indices = np.asarray(indices[: self.nA], dtype=np.int64)
        self.indptr = np.asarray(indptr[: self.n + 1], dtype=np.int64)
        self.b_rows = np.asarray(indices[self.nA : indptr[self.n + 1]], dtype=np.int64)
        self.q = sp.csr_matrix(prog.q)
        self.size = int(prog.total_param_size) + 1
        by_id = {p.id: p for p in model.problem.parameters()}
        self.slots = [
            (by_id[pid], int(col), int(prog.param_id_to_size[pid]))
            for pid, col in prog.param_id_to_col.items()
            if pid in by_id
        ]
        const = [col for pid, col in prog.param_id_to_col.items() if pid not in by_id]
        if len(const) != 1 or len(self.slots) != len(by_id):
            raise ValueError("unexpected parameter layout")
        self.const_col = int(const[0])
        self.cones = dims_to_solver_cones(data["dims"])
        self.P = sp.csc_matrix((self.n, self.n))
        # x -> variables: probe cvxpy's inversion with distinct integers
        probe = np.arange(1.0, self.n + 1.0)
        self.e_idx, self.psi_idx, self.h_idx = self._probe(model, probe, chain, inv)
        # each coupling's own columns, for views (None: not a selection, so no views)
        self.coupling_cols: dict[int, Any] | None
        try:
            self.coupling_cols = {
                j: np.unique(np.concatenate([_selection(v.value).ravel() for v in variables]))
                for j, variables in model.coupling_vars.items()
            }
        except ValueError:
            self.coupling_cols = None
        self.views: dict[frozenset[int], _View | None] = {}
        # self-check: data against cvxpy's public path, values on a random x
        c, A, b = self.data()
        ref_A = sp.csc_matrix(data["A"])
        if (
            A.shape != ref_A.shape
            or abs(A - ref_A).max() != 0
            or not np.array_equal(b, np.asarray(data["b"], dtype=np.float64))
            or not np.array_equal(c, np.asarray(data["c"], dtype=np.float64))
        ):
            raise ValueError("fast-path data differ from cvxpy's")
        x = np.random.default_rng(0).standard_normal(self.n)
        _unpack_with_cvxpy(model, x, chain, inv)
        ours = self.values(x)
        ref = _values_from_variables(model)
        if ref is None:
            raise ValueError("cvxpy did not unpack the check point")
        if ours.hvec is None or ref.hvec is None:
            same_h = ours.hvec is None and ref.hvec is None
        else:
            same_h = np.array_equal(ours.hvec, ref.hvec)
        if not (np.array_equal(ours.e, ref.e) and np.array_equal(ours.psi, ref.psi) and same_h):
            raise ValueError("fast-path unpacking differs from cvxpy's")

    @staticmethod
    def _probe(model: _Model, probe: FloatArray, chain: Any, inv: Any) -> tuple[Any, Any, Any]:
        _unpack_with_cvxpy(model, probe, chain, inv)
        vals = _values_from_variables(model)
        if vals is None:
            raise ValueError("probe not unpacked")

        return (
            _selection(vals.e), _selection(vals.psi),
            None if vals.hvec is None else _selection(vals.hvec),
        )

    def theta(self) -> FloatArray:
        th = np.zeros(self.size)
        for param, col, size in self.slots:
            th[col : col + size] = np.asarray(param._value, dtype=np.float64).reshape(-1, order="F")
        th[self.const_col] = 1.0
        return th

    def data(self) -> tuple[FloatArray, Any, FloatArray]:
        th = self.theta()
        flat = self.tensor @ th
        A = sp.csc_matrix((-flat[: self.nA], self.indices, self.indptr), shape=(self.m, self.n))
        b = np.zeros(self.m)
        np.add.at(b, self.b_rows, flat[self.nA :])
        c = np.asarray(self.q @ th, dtype=np.float64).ravel()[: self.n]
        return c, A, b

    def values(self, x: FloatArray) -> _Values:
        return _Values(
            e=x[self.e_idx], psi=x[self.psi_idx], hvec=None if self.h_idx is None else x[self.h_idx]
        )

    def view(self, keep: frozenset[int]) -> _View | None:
        """The program with only the couplings in ``keep`` (cached; None if it cannot be cut)."""
        if keep not in self.views:
            try:
                self.views[keep] = _View(self, keep)
            except ValueError:
                self.views[keep] = None
        return self.views[keep]

    @staticmethod
    def build(model: _Model, data: dict[str, Any], chain: Any, inv: Any) -> _FastPath | None:
        try:
            return _FastPath(model, data, chain, inv)
        except Exception:  # noqa: BLE001 - any surprise in cvxpy's internals: use the public path
            return None


def _selection(value: Any) -> Any:
    """Indices into ``x`` from a variable's value after unpacking ``x = 1, 2, ..., n``."""
    v = np.asarray(value, dtype=np.float64)
    idx = np.rint(v).astype(np.int64) - 1
    if not np.array_equal(idx + 1.0, v) or (idx.size and idx.min() < 0):
        raise ValueError("variables are not a selection of x")
    return idx


class _View:
    """A compiled program with some of its coupling LMIs cut out: a submatrix of its data.

    Frame j's coupling owns its variables (Gamma_j, diag E_j, and E_j in the robust form) and
    every constraint that touches them: equality and inequality rows one by one, its PSD cone
    as a whole. Deleting those columns and rows leaves exactly the program without that
    coupling, so the rounds of coupling generation (see _solve_weighted) need no new compile.
    Checked on construction: the deleted columns are touched by deleted rows only and carry no
    objective, and the deleted PSD cones are exactly one per cut coupling, of size 2(j + 1).
    """

    def __init__(self, fast: _FastPath, keep: frozenset[int]) -> None:
        import clarabel

        owned = fast.coupling_cols
        if owned is None:
            raise ValueError("the couplings' columns are unknown")
        cut = [j for j in owned if j not in keep]
        if not cut or not keep <= set(owned):
            raise ValueError("nothing to cut, or an unknown coupling")
        drop_cols = np.concatenate([owned[j] for j in cut])
        counts = np.diff(fast.indptr)
        col_of = np.repeat(np.arange(fast.n), counts)
        touched = np.zeros(fast.m, dtype=bool)
        touched[fast.indices[np.isin(col_of, drop_cols)]] = True
        keep_rows = np.ones(fast.m, dtype=bool)
        cones: list[Any] = []
        dropped_psd: list[int] = []
        offset = 0
        for cone in fast.cones:
            name = type(cone).__name__
            if name in ("ZeroConeT", "NonnegativeConeT"):
                rows = slice(offset, offset + cone.dim)
                keep_rows[rows] = ~touched[rows]
                kept = int(keep_rows[rows].sum())
                if kept:
                    cones.append(getattr(clarabel, name)(kept))
                offset += cone.dim
            elif name == "PSDTriangleConeT":
                size = cone.dim * (cone.dim + 1) // 2
                if touched[offset : offset + size].any():
                    keep_rows[offset : offset + size] = False
                    dropped_psd.append(int(cone.dim))
                else:
                    cones.append(cone)
                offset += size
            else:
                raise ValueError(f"unexpected cone {name}")
        if offset != fast.m or sorted(dropped_psd) != sorted(2 * (j + 1) for j in cut):
            raise ValueError("cone layout does not match the couplings")
        keep_cols = np.ones(fast.n, dtype=bool)
        keep_cols[drop_cols] = False
        if fast.q[drop_cols].nnz:
            raise ValueError("a cut variable is in the objective")
        self.rows = np.flatnonzero(keep_rows)
        self.cols = np.flatnonzero(keep_cols)
        self.cones = cones
        self.n = fast.n
        self.P = sp.csc_matrix((self.cols.size, self.cols.size))

    def data(self, c: FloatArray, A: Any, b: FloatArray) -> tuple[FloatArray, Any, FloatArray]:
        return c[self.cols], A[self.rows][:, self.cols], b[self.rows]

    def lift(self, x_sub: FloatArray) -> FloatArray:
        x = np.zeros(self.n)
        x[self.cols] = x_sub
        return x


def _unpack_with_cvxpy(model: _Model, x: FloatArray, chain: Any, inv: Any) -> None:
    raw = SimpleNamespace(
        x=x, z=None, s=None, status="Solved", obj_val=0.0, obj_val_dual=0.0,
        solve_time=0.0, iterations=0,
    )
    model.problem.unpack_results(raw, chain, inv)


def _values_from_variables(model: _Model) -> _Values | None:
    if model.e.value is None or model.Psi.value is None:
        return None
    h = None if model.hvec is None else np.asarray(model.hvec.value, dtype=np.float64)
    return _Values(
        e=np.asarray(model.e.value, dtype=np.float64),
        psi=np.asarray(model.Psi.value, dtype=np.float64),
        hvec=h,
    )


_CLARABEL_STATUS = {"Solved": cp.OPTIMAL, "AlmostSolved": cp.OPTIMAL_INACCURATE,
                    "PrimalInfeasible": cp.INFEASIBLE, "AlmostPrimalInfeasible": cp.INFEASIBLE_INACCURATE,
                    "DualInfeasible": cp.UNBOUNDED, "AlmostDualInfeasible": cp.UNBOUNDED_INACCURATE}


def _run(model: _Model, solver: str, opts: dict[str, Any]) -> _Raw:
    """One solver attempt on the bound model; sets ``model.values`` (None when no solution)."""
    model.values = None
    fast = model.fast
    view = None
    if model.keep is not None:
        view = fast.view(model.keep) if fast and solver == cp.CLARABEL else None
        if view is None:  # pragma: no cover - _solve_pattern's prepare checks
            raise SolverError("internal error: no view of the program for the requested couplings")
    if solver == cp.CLARABEL and fast:
        c, A, b = fast.data()
        cones, P = fast.cones, fast.P
        if view is not None:
            c, A, b = view.data(c, A, b)
            cones, P = view.cones, view.P
        with _native_stderr_silenced():
            sol = _clarabel(P, c, A, b, cones, opts)
        status = _CLARABEL_STATUS.get(str(sol.status), cp.SOLVER_ERROR)
        if status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            x = np.asarray(sol.x, dtype=np.float64)
            model.values = fast.values(x if view is None else view.lift(x))
    else:
        prob = model.problem
        data, chain, inv = prob.get_problem_data(solver, solver_opts=opts)
        if solver == cp.CLARABEL and fast is None:
            model.fast = _FastPath.build(model, data, chain, inv) or False
        raw: Any
        with _native_stderr_silenced():
            if solver == cp.CLARABEL:
                A = data["A"].tocsc() if hasattr(data["A"], "tocsc") else data["A"]
                n = A.shape[1]
                from cvxpy.reductions.solvers.conic_solvers.clarabel_conif import (
                    dims_to_solver_cones,
                )

                sol = _clarabel(
                    sp.csc_matrix((n, n)), np.asarray(data["c"], dtype=np.float64), A,
                    np.asarray(data["b"], dtype=np.float64), dims_to_solver_cones(data["dims"]),
                    opts,
                )
                raw = SimpleNamespace(
                    x=sol.x, z=None, s=None, status=sol.status, obj_val=sol.obj_val,
                    obj_val_dual=sol.obj_val_dual, solve_time=sol.solve_time,
                    iterations=sol.iterations,
                )
            else:
                raw = chain.solve_via_data(prob, data, warm_start=False, verbose=False, solver_opts=opts)
        with warnings.catch_warnings():
            # cvxpy's generic "may be inaccurate" note; the certificate decides
            warnings.filterwarnings("ignore", message="Solution may be inaccurate", category=UserWarning)
            prob.unpack_results(raw, chain, inv)
        status = str(prob.status)
        if status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            model.values = _values_from_variables(model)
        if solver != cp.CLARABEL:
            info = raw["info"]
            return _Raw(status, solver, float(info["pobj"]), float(info["dobj"]), int(info["iter"]))
    if (opts is _TIGHT or opts is _UNREFINED) and str(sol.status) == "AlmostSolved":
        status = cp.OPTIMAL  # met Clarabel's default full-accuracy tolerances (see _TIGHT)
    return _Raw(status, solver, float(sol.obj_val), float(sol.obj_val_dual), int(sol.iterations))


# Fallbacks, cheapest and most accurate first. Degenerate instances (e.g. a perception level at
# exactly the tangency value, where several W2 couplings are tight and singular together) can
# stall Clarabel under Ruiz equilibration; without it, or with more static regularisation, they
# solve to ~1e-8. SCS (first order, ~1e-6) is the last resort.
_NO_EQUILIBRATION: dict[str, Any] = dict(equilibrate_enable=False, max_iter=500)
_REGULARISED: dict[str, Any] = dict(static_regularization_constant=1e-6, max_iter=500)
# The third entry selects the formulation (see _Model and _solve_pattern):
#   "fast":     couplings with E substituted -- fewer KKT rows, tried first;
#   "robust":   E kept as a variable with its equalities -- more robust at degenerate optima;
#   "rescaled": "robust" with the objective divided by a lower bound of its value (the MSE-only
#               distortions), so that the gap tolerances act relative to a tiny objective (high
#               rates). Only run when no earlier attempt met REL_GAP: at degenerate lexicographic
#               stages the large objective coefficients can hurt.
_Attempt = tuple[str, dict[str, Any], str]
_ATTEMPTS: tuple[_Attempt, ...] = (
    (cp.CLARABEL, _UNREFINED, "fast"),
    (cp.CLARABEL, _TIGHT, "fast"),
    (cp.CLARABEL, _TIGHT, "robust"),
    (cp.CLARABEL, _DEFAULT, "robust"),
    (cp.CLARABEL, _NO_EQUILIBRATION, "robust"),
    (cp.CLARABEL, _REGULARISED, "robust"),
    (cp.CLARABEL, _TIGHT, "rescaled"),
    (cp.SCS, _SCS, "robust"),
)
# Lexicographic stages meet degenerate faces (caps at a frame's exact optimum) far more often,
# so they skip the substituted formulation.
_LEX_ATTEMPTS: tuple[_Attempt, ...] = (
    (cp.CLARABEL, _TIGHT, "robust"),
    (cp.CLARABEL, _NO_EQUILIBRATION, "robust"),
    (cp.CLARABEL, _TIGHT, "rescaled"),
)


# A lexicographic chain is only as accurate as its stages' caps, so its stages (the first, and
# the last resort of the others) skip the unrefined attempt.
_LEX_FALLBACKS: tuple[_Attempt, ...] = tuple(a for a in _ATTEMPTS if a[1] is not _UNREFINED)

# Rounds of coupling generation (see _solve_weighted): one attempt each; any trouble ends the
# rounds and the full program gets every fallback.
_ROUND_ATTEMPTS: tuple[_Attempt, ...] = ((cp.CLARABEL, _UNREFINED, "fast"),)


class _Infeasible(Exception):
    pass


class _NoView(Exception):
    """No view of a compiled program with fewer couplings (see _View): compile one instead."""


@dataclass(frozen=True)
class _Primal:
    e: FloatArray
    psi: FloatArray
    hp: FloatArray
    D: FloatArray


def _extract(model: _Model, source: GaussMarkovSource) -> _Primal:
    """Primal variables mapped back from the normalised problem to the source's units."""
    vals = model.values
    if vals is None:  # pragma: no cover - _solve_model only certifies runs with a solution
        raise SolverError("internal error: no primal values to extract")
    T = source.T
    sig = source.sigma
    outer = np.outer(sig, sig)
    e = vals.e * sig**2
    psi_n = vals.psi.reshape(T, T)
    psi = 0.5 * (psi_n + psi_n.T) * outer
    if vals.hvec is None:
        hp = np.zeros((T, T))
    else:
        hp = np.tril((model.place @ vals.hvec).reshape(T, T, order="F")) * outer
    return _Primal(e=e, psi=psi, hp=hp, D=e + np.diag(psi))


@dataclass(frozen=True)
class _Scheme:
    """A primal solution translated back to THEORY.md's variables, with its certificate."""

    primal: _Primal
    raw: _Raw
    p: FloatArray
    q: FloatArray
    shat: FloatArray
    cross: FloatArray
    gain: FloatArray
    noise: FloatArray
    used: FloatArray
    phi: FloatArray
    certificate: Certificate
    worst: float  # worst certified residual, relative (variance units / max sigma^2, or bits)
    rel_gap: float  # duality gap relative to the objective

    @property
    def score(self) -> float:
        """One number to rank attempts: at most ACCURACY iff both criteria are met."""
        return max(self.worst, self.rel_gap * (ACCURACY / REL_GAP))


def _certify(
    source: GaussMarkovSource,
    rates: FloatArray,
    perception: FloatArray,
    plf: PerceptionLoss,
    primal: _Primal,
    raw: _Raw,
    gap_scale: float,
    attempts: int,
    objective: float,
    objective_scale: float,
) -> _Scheme:
    """Recompute everything from the primal matrices in THEORY.md's variables and certify it.

    ``objective`` is the objective's value at ``primal`` in variance units (for the relative gap),
    ``objective_scale`` its value with every distortion equal to its frame variance.
    """
    T = source.T
    A = source.transfer
    sigma_x = source.covariance()
    e = np.maximum(primal.e, 0.0)
    p = np.empty(T)
    p[0] = source.variances[0]
    for k in range(1, T):
        p[k] = source.a[k - 1] ** 2 * e[k - 1] + source.innovation_variances[k - 1]
    q = np.clip(p - e, 0.0, None)
    H = primal.hp + A * q[None, :]
    L = A * e[None, :]
    HA = primal.hp @ A.T
    shat = sigma_x + (-(L + L.T) + np.diag(e) + HA + HA.T + primal.psi)
    shat = 0.5 * (shat + shat.T)
    # decoder gains G = H diag(1/sqrt q) (columns with q_i = 0 carry nothing)
    c = np.sqrt(q)
    G = np.tril(np.divide(H, c[None, :], out=np.zeros_like(H), where=c[None, :] > 0))
    noise = shat - G @ G.T
    w, v = np.linalg.eigh(0.5 * (noise + noise.T))
    noise_violation = max(0.0, -float(w.min()))
    noise = (v * np.clip(w, 0.0, None)) @ v.T
    cross = G @ joint_model(source, p, q).cov_ux  # [m, k] = sum_i G[m, i] Cov(U_i, X_k)
    d_theory = source.variances + np.diag(shat) - 2.0 * np.einsum("ki,ki->k", A, H)
    dist_res = float(np.max(np.abs(d_theory - primal.D)))
    lmin = float(np.linalg.eigvalsh(np.block([[shat, H], [H.T, np.diag(q)]])).min())
    psd_res = max(0.0, -lmin, noise_violation)
    used = 0.5 * np.log2(np.divide(p, e, out=np.full(T, np.inf), where=e > 0))
    fin_r = np.isfinite(rates)
    excess = np.zeros(T)
    excess[fin_r] = used[fin_r] - rates[fin_r]  # an infinite budget is never exceeded
    rate_res = float(max(0.0, excess.max()))
    phi = plf.values(sigma_x, shat, cross)
    perc_res = _perception_residual(phi, perception)
    primal_res = max(dist_res, psd_res, perc_res)
    gap = abs(raw.primal - raw.dual) * gap_scale
    # relative to the objective's certified value (the solver's own values omit cvxpy's offset)
    # floored at 1e-5 of the objective's scale (D = sigma^2 2^(-16), i.e. 8 bits): below that,
    # e.g. D = 0 exactly for R = inf, an absolute gap is all that can be asked for
    rel_gap = gap / max(abs(objective), 1e-5 * objective_scale)
    if not math.isfinite(rel_gap):
        rel_gap = math.inf
    cert = Certificate(
        distortion_residual=dist_res,
        psd_residual=psd_res,
        rate_residual=rate_res,
        perception_residual=perc_res,
        primal_residual=primal_res,
        duality_gap=gap,
        iterations=raw.iterations,
        attempts=attempts,
        relative_gap=rel_gap,
    )
    scale = float(np.max(source.variances))
    worst = max(primal_res / scale, cert.duality_gap / scale, rate_res)
    if not np.isfinite(worst) or not np.all(np.isfinite(primal.D)):
        worst = math.inf
    return _Scheme(primal, raw, p, q, shat, cross, G, noise, used, phi, cert, worst, rel_gap)


def _perception_residual(phi: FloatArray, perception: FloatArray) -> float:
    """Largest excess of a perception value over its level (0 when every level is met)."""
    fin = np.isfinite(perception)
    return float(max(0.0, float((phi[fin] - perception[fin]).max(initial=0.0))))


def _solve_model(
    prepare: Callable[[str], _Model],
    certify: Callable[[_Model, _Raw, int, str], _Scheme],
    attempts: Sequence[_Attempt] = _ATTEMPTS,
) -> _Scheme:
    """Solve with fallbacks and return a result whose certificate passes.

    ``prepare(form)`` returns the bound model of the requested formulation (see _ATTEMPTS). A
    result certified to ``ACCURACY`` is returned at once. One certified only to
    ``1e3 * ACCURACY`` is kept while the remaining Clarabel attempts (other formulation, other
    settings) try to do better; the best is returned. Raises ``_Infeasible`` when the first
    attempt reports infeasibility and no attempt finds a solution, else SolverError.
    """
    statuses: list[str] = []
    best: _Scheme | None = None
    for n, (solver, opts, form) in enumerate(attempts, start=1):
        if best is not None and solver != cp.CLARABEL:
            continue  # a first-order fallback will not beat an acceptable interior-point result
        if form == "rescaled" and (best is None or best.rel_gap <= REL_GAP):
            continue  # only to recover relative accuracy of an otherwise acceptable result
        model = prepare(form)
        try:
            raw = _run(model, solver, opts)
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - Clarabel's Rust panics are BaseExceptions
            statuses.append(f"{solver}: {type(exc).__name__}: {str(exc)[:80]}")
            continue
        if raw.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or model.values is None:
            statuses.append(f"{solver}: {raw.status}")
            continue
        scheme = certify(model, raw, n, form)
        if scheme.score <= ACCURACY:
            return scheme
        if scheme.worst <= ACCURACY * 1e3:
            if best is None or scheme.score < best.score:
                best = scheme
            continue
        statuses.append(f"{solver}: {raw.status} but certificate fails ({scheme.worst:.1e})")
    if best is not None:
        return best
    if statuses and "infeasible" in statuses[0] and "inaccurate" not in statuses[0]:
        raise _Infeasible("; ".join(statuses))
    raise SolverError("no certified solution found (" + "; ".join(statuses) + ")")


# ---------------------------------------------------------------------------- assembling results
def _assemble(
    source: GaussMarkovSource,
    rates: FloatArray,
    perception: FloatArray,
    plf: PerceptionLoss,
    objective: str | tuple[float, ...],
    representation: str,
    scheme: _Scheme,
    attempts: int,
    lex_slack: tuple[float, ...],
    objective_value: float,
    lex_undershoot: float = 0.0,
    lex_sensitivity: float = 0.0,
    stacklevel: int = 3,
) -> RDPSolution:
    """The public result; ``stacklevel`` makes a warning point at the caller of solve_rdp."""
    status = scheme.raw.status
    if scheme.worst > ACCURACY or status == cp.OPTIMAL_INACCURATE or scheme.rel_gap > REL_GAP_WARN:
        status = cp.OPTIMAL_INACCURATE
        warnings.warn(
            f"inaccurate solution (worst certified residual {scheme.worst:.2e} relative to the "
            f"largest frame variance, duality gap {scheme.rel_gap:.1e} of the objective; for a "
            f"lexicographic objective the worst over its stages; solver {scheme.raw.solver}); "
            "see RDPSolution.certificate",
            SolverWarning,
            stacklevel=stacklevel,
        )
    cert = replace(
        scheme.certificate, lexicographic_slack=lex_slack, attempts=attempts,
        lexicographic_undershoot=lex_undershoot, relative_gap=scheme.rel_gap,
        lexicographic_sensitivity=lex_sensitivity,
    )
    return RDPSolution(
        source=source,
        rates=rates,
        perception=perception,
        plf=plf.name,
        objective=objective,
        representation=representation,
        distortions=scheme.primal.D.copy(),
        perception_values=scheme.phi,
        reconstruction_covariance=scheme.shat,
        cross_covariance=scheme.cross,
        decoder=DecoderMatrices(gain=scheme.gain, noise_covariance=scheme.noise),
        q=scheme.q,
        p=scheme.p,
        rates_used=scheme.used,
        objective_value=float(objective_value),
        status=status,
        solver=scheme.raw.solver,
        certificate=cert,
    )


# ---------------------------------------------------------------------------- public API
def _validate(
    source: object, rates: ArrayLike, perception: ArrayLike
) -> tuple[GaussMarkovSource, FloatArray, FloatArray]:
    if not isinstance(source, GaussMarkovSource):
        raise InvalidParameterError(
            f"source must be a GaussMarkovSource, got {type(source).__name__}"
        )
    T = source.T
    r = check_rates(rates, "rates", length=T)
    p = check_perception(perception, "perception", length=T)
    return source, r.astype(np.float64, copy=True), p.astype(np.float64, copy=True)


def _diagnose_targets(
    source: GaussMarkovSource,
    rates: FloatArray,
    perception: FloatArray,
    plf: str,
    representation: str,
    caps: FloatArray,
) -> str:
    """Explain which distortion target cannot be met."""
    for j in np.flatnonzero(np.isfinite(caps)):
        w = np.zeros(source.T)
        w[j] = 1.0
        best = solve_rdp(source, rates, perception, plf=plf, objective=w, representation=representation)
        if best.distortions[j] > caps[j]:
            return (
                f"distortion target D_{j + 1} <= {caps[j]:.6g} cannot be met: the minimum "
                f"achievable D_{j + 1} at these rates and perception levels is "
                f"{best.distortions[j]:.6g}"
            )
    return (
        "the distortion targets are individually achievable but not jointly: "
        + ", ".join(f"D_{j + 1} <= {caps[j]:.6g}" for j in np.flatnonzero(np.isfinite(caps)))
    )


def _solve_weighted(
    source: GaussMarkovSource,
    rates: FloatArray,
    perception: FloatArray,
    plf: PerceptionLoss,
    representation: str,
    weights: FloatArray,
    caps: FloatArray,
    attempts: Sequence[_Attempt] = _ATTEMPTS,
    maximize: bool = False,
    generate: bool = False,
) -> _Scheme:
    """min sum_k weights_k D_k (s.t. D_k <= caps_k) on the normalised program, certified.

    ``generate``: generate the coupling LMIs (JD/SA frames with 0 < P < inf) on demand. Round 1
    solves the relaxation without any; each later round adds the couplings of every frame whose
    level the last solution violates. Each round is a relaxation of the full program, so its
    optimum bounds the real one from below: once its certified solution meets every level (the
    certificate evaluates them all with the Bures formula) it is optimal for the full program and
    is returned. Rounds stop at the full program, which then gets every fallback. Inactive
    constraints are common in sweeps, and SA optima typically bind one or two of T - 1 couplings.
    """
    pattern = _pattern(perception, plf)
    candidates = [
        j for j, v in enumerate(perception) if 0.0 < v < math.inf and not plf.is_scalar(j)
    ]
    # every candidate's coupling, none implied: rounds cut views out of this program
    universe = tuple(
        "p" if 0.0 < v < math.inf else c for c, v in zip(pattern, perception, strict=True)
    )
    enforced: set[int] = set()
    tol = ACCURACY * float(source.variances.max())  # the certificate's perception tolerance
    while generate and candidates:
        levels = perception.copy()
        levels[[j for j in candidates if j not in enforced]] = math.inf
        relaxed = _pattern(levels, plf)
        if relaxed == pattern:
            break  # nothing left to relax: the full program, with every fallback
        keep = frozenset(j for j in enforced if relaxed[j] == "p")
        args = (source, rates, levels, plf, representation, weights, caps)
        try:
            scheme: _Scheme | None = None
            if keep:
                with contextlib.suppress(_NoView):  # no view: compile the relaxed program
                    scheme = _solve_pattern(*args, universe, _ROUND_ATTEMPTS, maximize, keep)
            if scheme is None:
                scheme = _solve_pattern(*args, relaxed, _ROUND_ATTEMPTS, maximize)
        except (_Infeasible, SolverError):
            break
        violated = {j for j in candidates if scheme.phi[j] - perception[j] > tol}
        if not violated:
            scheme = _with_levels(scheme, perception, source)
            if scheme.score <= ACCURACY:  # every level met: optimal for the full program
                return scheme
            break
        if violated <= enforced:  # only an inaccurate round can leave an enforced level unmet
            break
        enforced |= violated
    return _solve_pattern(
        source, rates, perception, plf, representation, weights, caps, pattern, attempts, maximize
    )


def _with_levels(scheme: _Scheme, perception: FloatArray, source: GaussMarkovSource) -> _Scheme:
    """``scheme`` with its perception residual recomputed against every level in ``perception``
    (a relaxation is certified against the levels it enforced only)."""
    perc = _perception_residual(scheme.phi, perception)
    cert = replace(
        scheme.certificate,
        perception_residual=perc,
        primal_residual=max(scheme.certificate.primal_residual, perc),
    )
    return replace(scheme, certificate=cert, worst=max(scheme.worst, perc / float(source.variances.max())))


def _solve_pattern(
    source: GaussMarkovSource,
    rates: FloatArray,
    perception: FloatArray,
    plf: PerceptionLoss,
    representation: str,
    weights: FloatArray,
    caps: FloatArray,
    pattern: tuple[str, ...],
    attempts: Sequence[_Attempt],
    maximize: bool,
    keep: frozenset[int] | None = None,
) -> _Scheme:
    """:func:`_solve_weighted` for a given constraint pattern; certified against ``perception``.

    ``keep``: solve the view of the program with only these couplings (see :class:`_View`);
    raises ``_NoView`` when there is none (no fast path, or the cut fails its checks).
    """
    key = _Key(
        T=source.T,
        plf=plf.name,
        representation=representation,
        pattern=pattern,
        capped=tuple(bool(np.isfinite(c)) for c in caps),
        active=tuple(bool(r > 0) for r in rates),
        maximize=maximize,
        eliminate=False,
    )
    if not any(c == "p" and not plf.is_scalar(j) for j, c in enumerate(pattern)):
        # no coupling, so "fast" and "robust" are the same program: run each setting once
        unique: list[_Attempt] = []
        for solver, opts, form in attempts:
            form = "robust" if form == "fast" else form
            if not any(s == solver and o is opts and f == form for s, o, f in unique):
                unique.append((solver, opts, form))
        attempts = unique
    wn = weights * source.variances  # D_k = sigma_k^2 D'_k
    scales = {"fast": float(wn.max()), "robust": float(wn.max())}
    # a lower bound of the objective: the MSE-only distortions e_k <= D_k
    lower = float(weights @ mmse_distortions(source, rates))
    scales["rescaled"] = lower if math.isfinite(lower) and lower > 0 else scales["robust"]

    def prepare(form: str) -> _Model:
        model = _model(replace(key, eliminate=form == "fast"))
        _bind(model, source, rates, perception, wn / scales[form], caps)
        model.keep = None
        if keep is not None:
            if model.fast is None:
                data, chain, inv = model.problem.get_problem_data(cp.CLARABEL, solver_opts=_TIGHT)
                model.fast = _FastPath.build(model, data, chain, inv) or False
            if not model.fast or model.fast.view(keep) is None:
                raise _NoView
            model.keep = keep
        return model

    def certify(model: _Model, raw: _Raw, attempts: int, form: str) -> _Scheme:
        primal = _extract(model, source)
        return _certify(
            source, rates, perception, plf, primal, raw, scales[form], attempts,
            float(weights @ primal.D), float(weights @ source.variances),
        )

    return _solve_model(prepare, certify, attempts)


def solve_rdp(
    source: GaussMarkovSource,
    rates: ArrayLike,
    perception: ArrayLike,
    plf: str = "jd",
    objective: Objective = "lexicographic",
    representation: str = "optimal",
    *,
    targets: ArrayLike | None = None,
) -> RDPSolution:
    r"""Optimal distortions of a jointly Gaussian causal scheme (the SDP of THEORY.md section 3).

    Parameters
    ----------
    source : GaussMarkovSource
    rates : array_like, shape (T,) or scalar
        Rate budget per frame in bits per sample, each in ``[0, inf]``.
    perception : array_like, shape (T,) or scalar
        Perception level (W2^2) per frame, each in ``[0, inf]``; 0 is perfect realism,
        ``inf`` removes the constraint.
    plf : {"jd", "fmd", "sa"}
        Perception loss function (see :mod:`rdp_theory.perception`).
    objective : "lexicographic" or array_like of shape (T,)
        ``"lexicographic"``: minimise :math:`D_1`, then :math:`D_2` given :math:`D_1`, ...
        Weights :math:`w \ge 0` (not all 0): minimise :math:`\sum_k w_k D_k`.
    representation : {"optimal", "mse"}
        ``"mse"`` fixes the representation at the greedy MSE-optimal one (universality).
    targets : array_like of shape (T,), optional
        Distortion caps :math:`D_k \le t_k` (``inf`` = none), e.g. "min D_T s.t. D_k <= targets".
        Not combinable with ``objective="lexicographic"``.

    Returns
    -------
    RDPSolution

    Raises
    ------
    InvalidParameterError
        Bad argument (names it and the allowed range).
    InfeasibleError
        ``targets`` cannot be met; the message names the failing constraint.
    SolverError
        No certified solution was found. A number is never returned from a failed solve.

    Examples
    --------
    >>> import rdp_theory as rt
    >>> src = rt.GaussMarkovSource.stationary(3, sigma=1.0, rho=0.9)
    >>> sol = rt.solve_rdp(src, rates=(1.0, 1.0, 1.0), perception=0.0, plf="jd")
    >>> bool(abs(sol.distortions - rt.jd_zero_perception_distortions(src, (1, 1, 1))).max() < 1e-6)
    True
    """
    source, r, p = _validate(source, rates, perception)
    plf_obj = get_plf(plf)
    representation = check_choice(representation, "representation", ("optimal", "mse"))
    T = source.T
    caps = np.full(T, np.inf)
    if targets is not None:
        caps = check_perception(targets, "targets", length=T).astype(np.float64)
    if isinstance(objective, str):
        check_choice(objective, "objective", ("lexicographic",))
        if targets is not None and np.isfinite(caps).any():
            raise InvalidParameterError(
                "targets cannot be combined with objective='lexicographic'; pass weights"
            )
        try:
            return _solve_lexicographic(source, r, p, plf_obj, representation)
        except SolverError:
            if representation != "optimal":
                raise
            # The greedy representation is optimal for every objective (docs/theory.md, 6e:
            # every feasible representation is a causal garbling of it), and fixing it removes
            # the representation variables, which can rescue a degenerate chain.
            sol = _solve_lexicographic(source, r, p, plf_obj, "mse")
            warnings.warn(
                "lexicographic chain solved with the greedy (MSE) representation, which is "
                "optimal for every objective (docs/theory.md, section 6e)",
                SolverWarning,
                stacklevel=2,
            )
            return replace(sol, representation="optimal")
    weights = check_weights(objective, "objective", length=T)
    wn = weights / weights.max()
    try:
        scheme = _solve_weighted(source, r, p, plf_obj, representation, wn, caps, generate=True)
    except _Infeasible as exc:
        if np.isfinite(caps).any():
            raise InfeasibleError(
                _diagnose_targets(source, r, p, plf_obj.name, representation, caps)
            ) from exc
        raise SolverError(f"solver reported infeasibility of an always-feasible problem ({exc})") from exc
    value = float(weights @ scheme.primal.D)
    return _assemble(
        source, r, p, plf_obj, tuple(float(x) for x in weights), representation, scheme,
        scheme.certificate.attempts, (), value,
    )


def _solve_lexicographic(
    source: GaussMarkovSource,
    rates: FloatArray,
    perception: FloatArray,
    plf: PerceptionLoss,
    representation: str,
) -> RDPSolution:
    """Lexicographic chain with certified caps.

    Stage ``k`` minimises :math:`D_k` subject to :math:`D_j \\le D_j^\\star + \\text{slack}_j`
    for ``j < k``, where :math:`D_j^\\star` is the value *achieved* at stage ``j`` (a feasible
    point, so a cap never makes the program infeasible), with
    :math:`\\text{slack}_j = r\\,(D_j^\\star + 10^{-3}\\sigma_j^2)`. Clarabel is tried with
    :math:`r` growing tenfold through ``_LEX_SLACKS``; the full fallback list runs last.

    Accuracy: a cap's multiplier can be unbounded (a frame reaching its optimum exactly pins
    noise directions of the decoder), so later frames can gain :math:`O(\\sqrt{\\text{slack}})`
    below the exact lexicographic value. The slack used is reported in the certificate.
    """
    T = source.T
    best = np.zeros(T)
    slack_used: list[float] = []
    total_attempts = 0
    pinned: set[int] = set()
    penalised = False
    stage_gap = stage_worst = 0.0
    scheme: _Scheme | None = None
    for k in range(T):
        w = np.zeros(T)
        w[k] = 1.0
        failures: list[str] = []
        plan: list[tuple[float, Sequence[_Attempt]]]
        plan = [(rel, _LEX_ATTEMPTS) for rel in _LEX_SLACKS] if k else []
        plan.append((_LEX_SLACKS[-1], _LEX_FALLBACKS))
        tested = False
        kept: tuple[_Scheme, float] | None = None
        retries = 0
        i = 0
        while i < len(plan):
            rel, attempts = plan[i]
            stage_caps = _stage_caps(best, k, rel, pinned, source.variances)
            try:
                scheme = _solve_weighted(
                    source, rates, perception, plf, representation, w, stage_caps, attempts
                )
            except (_Infeasible, SolverError) as exc:
                total_attempts += len(attempts)
                failures.append(f"slack {rel:g}: {exc}")
                if not tested and k:
                    # A cap on a distortion that is constant over the feasible set has a tiny
                    # constant slack, which stalls interior-point methods; find such frames,
                    # drop their caps (they cannot move) and start this stage again.
                    tested = True
                    for j in range(k):
                        if j in pinned:
                            continue
                        others = _stage_caps(best, k, rel, pinned | {j}, source.variances)
                        wj = np.zeros(T)
                        wj[j] = 1.0
                        if _is_pinned(source, rates, perception, plf, representation, wj, others, best[j]):
                            pinned.add(j)
                    i = 0
                    continue
                i += 1
                continue
            total_attempts += scheme.certificate.attempts
            if scheme.score > ACCURACY and k and retries < _LEX_RETRIES and i + 2 < len(plan):
                # acceptable but not accurate (often a stalled gap at a tiny objective): a
                # slightly larger slack usually certifies; keep the best either way
                if kept is None or scheme.score < kept[0].score:
                    kept = (scheme, rel)
                retries += 1
                i += 1
                continue
            if kept is not None and kept[0].score < scheme.score:
                scheme, rel = kept
            break
        else:
            if kept is not None:
                scheme, rel = kept
            else:
                scheme = _penalised_stage(
                    source, rates, perception, plf, representation, best, k, pinned
                )
                if scheme is None:
                    raise SolverError(
                        f"lexicographic stage {k + 1} failed: " + " | ".join(failures[-2:])
                    )
                total_attempts += scheme.certificate.attempts
                rel = math.inf  # marks the penalised fallback; the real drift is reported below
                penalised = True
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
        drift = (scheme.primal.D - best) / (np.abs(best) + 1e-3 * source.variances)
        slack_used = [float(max(0.0, d)) for d in drift[:-1]]
        scheme = _flag_lexicographic(
            scheme,
            "lexicographic chain used its penalised fallback on a degenerate stage; earlier "
            f"frames drift from their optima by up to {max(slack_used, default=0.0):.1e} "
            "(relative); see certificate.lexicographic_slack",
        )
    sensitivity = 0.0
    if not penalised and T > 1 and math.isfinite(slack_used[-1]):
        # Sensitivity check of the last stage: at degenerate optima a frame's lexicographic value
        # moves like c sqrt(slack), so re-solve with a 10x larger slack (an easier program): the
        # change is c sqrt(slack) (sqrt(10) - 1), which estimates the returned value's error.
        w = np.zeros(T)
        w[-1] = 1.0
        caps = _stage_caps(best, T - 1, 10 * slack_used[-1], pinned, source.variances)
        try:
            loose = _solve_weighted(source, rates, perception, plf, representation, w, caps, _LEX_ATTEMPTS)
        except (_Infeasible, SolverError):
            loose = None
        if loose is not None and loose.score <= ACCURACY:
            total_attempts += loose.certificate.attempts
            diff = abs(scheme.primal.D[-1] - loose.primal.D[-1])
            sensitivity = diff / (math.sqrt(10.0) - 1.0) / (abs(scheme.primal.D[-1]) + 1e-3 * source.variances[-1])
    if sensitivity > LEX_SENSITIVITY_WARN:
        scheme = _flag_lexicographic(
            scheme,
            f"lexicographic chain: the last frame's value moves with the cap slack (estimated "
            f"error {sensitivity:.1e} relative, see certificate.lexicographic_sensitivity)",
        )
    scheme = replace(scheme, rel_gap=stage_gap, worst=max(scheme.worst, stage_worst))
    under = (best - scheme.primal.D) / (np.abs(best) + 1e-3 * source.variances)
    undershoot = float(max(0.0, under[:-1].max(initial=0.0)))
    if undershoot > LEX_UNDERSHOOT_WARN and not penalised:
        scheme = _flag_lexicographic(
            scheme,
            f"lexicographic chain: an earlier frame ended {undershoot:.1e} (relative) below its own "
            "stage optimum, so later stages used the solver's feasibility tolerance at a "
            f"degenerate optimum; later frames may be off by up to about {math.sqrt(undershoot):.0e} "
            "(see certificate.lexicographic_undershoot)",
        )
    return _assemble(
        source, rates, perception, plf, "lexicographic", representation, scheme,
        total_attempts, tuple(slack_used), float(scheme.primal.D[-1]), undershoot, sensitivity,
        stacklevel=4,  # solve_rdp -> _solve_lexicographic -> _assemble
    )


def _flag_lexicographic(scheme: _Scheme, message: str) -> _Scheme:
    """Warn about a lexicographic result (for solve_rdp's caller) and mark it inaccurate."""
    warnings.warn(message, SolverWarning, stacklevel=4)
    return replace(scheme, worst=max(scheme.worst, 10 * ACCURACY))  # status optimal_inaccurate


#: weights of earlier frames (relative, scale-normalised) in the penalised lexicographic fallback
_LEX_PENALTIES = (1e3, 1e2)
#: largest relative drift of an earlier frame accepted from the penalised fallback; beyond it the
#: chain raises SolverError rather than call the result lexicographic
_LEX_MAX_DRIFT = 1e-2


def _penalised_stage(
    source: GaussMarkovSource,
    rates: FloatArray,
    perception: FloatArray,
    plf: PerceptionLoss,
    representation: str,
    best: FloatArray,
    k: int,
    pinned: set[int],
) -> _Scheme | None:
    """Last resort for a degenerate stage: min D_k + M sum_{j<k} D_j (each frame in its own
    scale) with only loose caps (1e-3 relative), then with none: well-posed programs. Earlier
    frames may drift from their optima: a result is accepted only if every drift is at most
    ``_LEX_MAX_DRIFT``, and the caller reports the drift and flags the result."""
    T = source.T
    loose = _stage_caps(best, k, 1e-3, pinned, source.variances)
    uncapped = np.full(T, np.inf)
    for caps, M in itertools.product((loose, uncapped), _LEX_PENALTIES):
        # geometric weights keep the order among earlier frames too: frame j weighs M^(k-j)
        w = np.zeros(T)
        w[:k] = M ** (k - np.arange(k)) * source.variances[k] / source.variances[:k]
        w[k] = 1.0
        try:
            scheme = _solve_weighted(source, rates, perception, plf, representation, w, caps)
        except (_Infeasible, SolverError):
            continue
        drift = (scheme.primal.D[:k] - best[:k]) / (np.abs(best[:k]) + 1e-3 * source.variances[:k])
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


def _is_pinned(
    source: GaussMarkovSource,
    rates: FloatArray,
    perception: FloatArray,
    plf: PerceptionLoss,
    representation: str,
    w: FloatArray,
    caps: FloatArray,
    minimum: float,
) -> bool:
    """Whether ``w @ D`` takes the same value (``minimum``) on the whole feasible set.

    Such a frame needs no cap in later lexicographic stages, and must not get one: the cap's
    slack would be a tiny constant, which drives interior-point duals to mu/slack and stalls the
    solver. Tested by maximising the same objective (an unbounded or failed maximisation means
    "not pinned", which only keeps the cap).
    """
    try:
        top = _solve_weighted(
            source, rates, perception, plf, representation, w, caps, _LEX_ATTEMPTS, maximize=True
        )
    except (_Infeasible, SolverError):
        return False
    k = int(np.argmax(w))
    return bool(top.primal.D[k] - minimum <= 1e-9 * (abs(minimum) + 1e-3 * source.variances[k]))


def pareto_sweep(
    source: GaussMarkovSource,
    rates: ArrayLike,
    perception: ArrayLike,
    weights: ArrayLike,
    plf: str = "jd",
    representation: str = "optimal",
) -> list[RDPSolution]:
    """Weighted-sum sweep: one :func:`solve_rdp` per row of ``weights`` (shape (K, T)).

    Every solve re-uses the same compiled problem (only parameter values change), so a sweep
    costs one compilation plus K interior-point solves. Returns the K solutions in order; each
    is a Pareto-optimal point of the (convex) achievable distortion region.
    """
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    if w.ndim != 2 or w.shape[1] != source.T:
        raise InvalidParameterError(
            f"weights must have shape (K, T={source.T}), got {np.shape(weights)}"
        )
    return [
        solve_rdp(source, rates, perception, plf=plf, objective=row, representation=representation)
        for row in w
    ]


def clear_cache() -> None:
    """Forget every compiled problem (they are rebuilt on demand)."""
    _model.cache_clear()


"""The solver's public results and the accuracy it certifies them to.

:class:`RDPSolution` (frozen) carries the values *and* the status, the solver and the
:class:`Certificate` recomputed in THEORY.md's own variables (see :mod:`._certify`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..perception import PerceptionLoss, get_plf
from ..source import GaussMarkovSource, RNGLike

if TYPE_CHECKING:
    import pandas

    from ..simulate import SimulationResult

__all__ = [
    "ACCURACY",
    "ACCEPTABLE",
    "REL_GAP",
    "REL_GAP_WARN",
    "Certificate",
    "DecoderMatrices",
    "Objective",
    "RDPSolution",
]

FloatArray = NDArray[np.float64]
Objective = Union[Literal["lexicographic"], ArrayLike]

#: Relative accuracy that a certified solution must reach (residuals relative to max sigma^2);
#: worse is returned with a :class:`SolverWarning`, and 1e3 times worse raises SolverError.
ACCURACY = 1e-7
#: The acceptance bound: a result certified only to this (relative) is returned as
#: ``optimal_inaccurate`` with a warning; anything worse is never returned.
ACCEPTABLE = 1e3 * ACCURACY
#: Duality gap relative to the objective itself that a solve aims for (further attempts run while
#: it is not met); a result whose relative gap stays above ``REL_GAP_WARN`` carries a warning.
REL_GAP = 1e-6
REL_GAP_WARN = 1e-5


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
        :math:`\max_k \max(0, \phi_k - P_k)` with :math:`\phi` from the Bures-Wasserstein
        formula (W2^2, variance units) or the closed-form Gaussian KL (nats), as the solution's
        ``perception_measure``.
    primal_residual : float
        The largest of the distortion, PSD and perception residuals (variance units; a KL
        residual counts times the largest frame variance, so that ``primal_residual`` over it is
        the relative residual for both measures).
    duality_gap : float
        Weighted objectives: :math:`|p^\star - d^\star|` reported by the solver plus its dual
        residual along the solution, :math:`|(A^\top z + c)^\top x^\star|` (an estimate of what
        :math:`d^\star` misses as a bound; docs/theory.md 4.12), in variance units (the
        objective scaled so that its largest weight :math:`w_k\sigma_k^2` is the largest
        variance). The rate form (:class:`~rdp_theory.RateSolution`): the same in bits.
        Lexicographic objectives: 0; each stage's gap is in ``relative_gap``.
    relative_gap : float
        That gap (dual residual included) relative to the objective at the solution, floored at
        1e-5 of its value with every distortion at its frame's variance (the rate form: of the
        total rate, floored at 1e-3 bits): how many digits of the objective itself are certified
        (it matters when the objective is a tiny distortion, e.g. at high rates). Lexicographic:
        the largest over the stages, each relative to its own :math:`D_k`. Above
        ``REL_GAP_WARN`` the result is ``optimal_inaccurate`` with a SolverWarning.
    iterations : int
        Interior-point (or SCS) iterations of the final (sub)problem.
    attempts : int
        Solver attempts used (fallbacks and every lexicographic stage's attempts included).
    lexicographic_stage_values : tuple of float
        The optimum :math:`D_k^\star` of each lexicographic stage as its own program reported it
        (source units; empty for weighted objectives). The returned distortions equal them to
        the certified accuracy; on the closed-form route they are the closed form itself.
    """

    distortion_residual: float
    psd_residual: float
    rate_residual: float
    perception_residual: float
    primal_residual: float
    duality_gap: float
    iterations: int
    attempts: int = 1
    relative_gap: float = 0.0
    lexicographic_stage_values: tuple[float, ...] = ()


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
        Perception levels per frame (``inf`` = unconstrained): W2^2 in the source's squared units,
        or KL divergences in nats (``perception_measure``).
    plf : str
        ``"jd"``, ``"fmd"`` or ``"sa"``.
    objective : str or tuple of float
        ``"lexicographic"`` or the weights.
    representation : str
        ``"optimal"`` (jointly optimised) or ``"mse"`` (greedy MSE representation, fixed).
    distortions : ndarray, shape (T,)
        MSE per frame.
    perception_values : ndarray, shape (T,)
        :math:`\phi_j` of the scheme under ``plf`` in ``perception_measure``: W2^2 from the
        Bures-Wasserstein formula, or the Gaussian KL divergence in nats in the order
        ``kl_direction`` (``inf`` where a compared covariance is singular, possible only at an
        infinite level).
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
    solve_time : float or None
        Wall-clock seconds of the :func:`~rdp_theory.solve_rdp` call that returned it (``None``
        for a result built otherwise). Not part of equality.
    perception_measure : {"w2", "kl"}
        What ``perception`` and ``perception_values`` measure.
    kl_direction : {"xhat||x", "x||xhat"} or None
        The order of the KL divergence (``"xhat||x"``: KL(law of the reconstruction || law of the
        source)); ``None`` for ``"w2"``.
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
    solve_time: float | None = field(default=None, compare=False, repr=False)
    perception_measure: str = "w2"
    kl_direction: str | None = None

    @property
    def measure_label(self) -> str:
        """``"W2^2"`` or ``"KL(xhat||x) nats"`` (the measure, for display)."""
        if self.perception_measure == "kl":
            return f"KL({self.kl_direction}) nats"
        return "W2^2"

    @property
    def T(self) -> int:
        """Number of frames."""
        return self.source.T

    def __repr__(self) -> str:
        """One screen: what was solved, how well, and the per-frame numbers (the matrices and the
        certificate are attributes)."""

        def row(values: FloatArray) -> str:
            return "[" + ", ".join(f"{float(v):.6g}" for v in values) + "]"

        objective = (
            self.objective if isinstance(self.objective, str) else "weights " + row(np.asarray(self.objective))
        )
        timed = "" if self.solve_time is None else f", time={self.solve_time:.3g} s"
        return (
            f"RDPSolution(T={self.T}, plf={self.plf!r}, {objective}, representation="
            f"{self.representation!r}, status={self.status!r}, solver={self.solver!r}{timed},\n"
            f"  rates={row(self.rates)},\n  perception ({self.measure_label})={row(self.perception)},\n"
            f"  distortions={row(self.distortions)},\n"
            f"  perception_values={row(self.perception_values)})"
        )

    def to_dict(self) -> dict[str, object]:
        """Plain Python values (lists, floats, str) of the result and its certificate, for JSON
        (e.g. :func:`rdp_theory.io.write_json`)."""
        from dataclasses import asdict

        out: dict[str, object] = {
            "sigmas": list(self.source.sigmas), "rhos": list(self.source.rhos),
            "plf": self.plf, "representation": self.representation, "status": self.status,
            "solver": self.solver, "objective_value": float(self.objective_value),
            "solve_time": self.solve_time,
            "perception_measure": self.perception_measure, "kl_direction": self.kl_direction,
            "objective": self.objective if isinstance(self.objective, str)
            else [float(w) for w in self.objective],
        }
        for name in ("rates", "perception", "distortions", "perception_values", "q", "p",
                     "rates_used", "reconstruction_covariance", "cross_covariance"):
            out[name] = np.asarray(getattr(self, name), dtype=np.float64).tolist()
        out["decoder"] = {k: np.asarray(v).tolist() for k, v in asdict(self.decoder).items()}
        out["certificate"] = asdict(self.certificate)
        return out

    def _repr_html_(self) -> str:
        r"""A compact HTML table for notebooks: what was solved, status, solver and time in the
        caption; per frame the rate budget, the perception level, :math:`D_k` and
        :math:`\phi_k`."""
        from .._tables import html_table, number

        objective = (
            self.objective if isinstance(self.objective, str)
            else "weights (" + ", ".join(number(w) for w in self.objective) + ")"
        )
        timed = "" if self.solve_time is None else f", {self.solve_time:.3g} s"
        caption = (
            f"RDPSolution: T = {self.T}, PLF {self.plf.upper()}, {objective}, "
            f"{self.representation} representation; status {self.status} "
            f"(solver {self.solver}{timed})"
        )
        rows = [
            ("rate R_k (bits)", [number(v) for v in self.rates]),
            (f"perception level P_k ({self.measure_label})", [number(v) for v in self.perception]),
            ("distortion D_k", [number(v) for v in self.distortions]),
            ("perception φ_k", [number(v) for v in self.perception_values]),
        ]
        return html_table(caption, [f"k = {k}" for k in range(1, self.T + 1)], rows)

    def to_dataframe(self) -> pandas.DataFrame:
        r"""One row per frame (a tidy ``pandas.DataFrame``; needs pandas).

        Columns: ``frame`` (1-based), ``plf``, ``representation``, ``rate`` (the budget),
        ``rate_used`` (:math:`I(X_k; U_k \mid U_{<k})`), ``perception`` (the level, ``inf`` =
        unconstrained), ``perception_value`` (:math:`\phi_k`), ``mmse`` (the MMSE
        :math:`e_k = p_k - q_k` of the representation), ``distortion``, ``status``, ``solver``.
        Results of a sweep concatenate into one table (``pandas.concat``).

        Raises
        ------
        MissingDependencyError
            pandas is not installed.
        """
        from .._tables import data_frame

        T = self.T
        return data_frame({
            "frame": np.arange(1, T + 1),
            "plf": [self.plf] * T,
            "representation": [self.representation] * T,
            "rate": np.asarray(self.rates, dtype=np.float64),
            "rate_used": np.asarray(self.rates_used, dtype=np.float64),
            "perception": np.asarray(self.perception, dtype=np.float64),
            "perception_value": np.asarray(self.perception_values, dtype=np.float64),
            "mmse": np.asarray(self.p, dtype=np.float64) - np.asarray(self.q, dtype=np.float64),
            "distortion": np.asarray(self.distortions, dtype=np.float64),
            "status": [self.status] * T,
            "solver": [self.solver] * T,
        })

    def reconstruction_correlations(self) -> FloatArray:
        r""":math:`\operatorname{corr}(\hat X_j, \hat X_{j+1})`, shape (T-1,) (0 where a variance is 0)."""
        s = self.reconstruction_covariance
        d = np.sqrt(np.clip(np.diag(s), 0.0, None))
        num = np.diag(s, 1)
        den = d[:-1] * d[1:]
        return np.divide(num, den, out=np.zeros_like(num), where=den > 0)

    def perception_under(self, plf: str | PerceptionLoss) -> FloatArray:
        """Perception values of this scheme measured under another PLF, shape (T,), in this
        solution's ``perception_measure`` (and ``kl_direction``)."""
        return get_plf(plf).values(
            self.source.covariance(), self.reconstruction_covariance, self.cross_covariance,
            self.perception_measure, self.kl_direction,
        )

    def simulate(self, n: int, rng: RNGLike, *, batches: int = 20) -> SimulationResult:
        """Monte Carlo run of this scheme; see :func:`rdp_theory.simulate.simulate_solution`."""
        from ..simulate import simulate_solution

        return simulate_solution(self, n, rng, batches=batches)

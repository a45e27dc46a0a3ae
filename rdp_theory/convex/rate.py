r"""The rate form: the least total rate that meets distortion targets and perception levels.

With THEORY.md's variables (:math:`e_j = p_j - q_j`, :math:`p_{j+1} = a_j^2 e_j + s_j`) the rates
:math:`R_j = \tfrac12\log_2(p_j / e_j)` telescope (docs/theory.md 4.9):

.. math::

    \sum_{j=1}^T R_j = \tfrac12\log_2\sigma_1^2 - \tfrac12\log_2 e_T
    + \sum_{j<T}\tfrac12\log_2\Bigl(a_j^2 + \frac{s_j}{e_j}\Bigr),

each term convex in :math:`e`, while the decoder, distortion and perception constraints are those
of :func:`~rdp_theory.solve_rdp` (THEORY.md section 3) with every rate budget infinite. So
``min sum_j R_j s.t. D_j <= D_j*, phi_j <= P_j`` is one convex program (exponential cones and the
SDP), for every PLF. A *weighted* sum of rates does not telescope and is not convex in these
variables in general; it is refused.

Where the optimum is known in closed form (every :math:`P_j = \infty`, or PLF-FMD at any levels:
each frame's distortion is then an increasing function of its own :math:`e_j` alone, so the
greedy :math:`e_j = \min(e_j^\star, p_j)` is optimal, docs/theory.md 4.9), ``method="auto"``
returns it, certified through the closed-form scheme at that allocation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import cvxpy as cp
import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_choice, check_perception, check_targets, check_weights
from ..closed_form import _least_rates
from ..exceptions import InvalidParameterError
from ..kl import kl_variance_bounds
from ..perception import check_measure, get_plf
from ..source import GaussMarkovSource, check_source
from ._instance import Instance
from ._settings import DEFAULT, LOOSE, MODERATE, NO_EQUILIBRATION, SCS, TIGHT, UNREFINED
from ._weighted import Attempt, Form, solve_weighted
from .api import LEVEL_MAX, _check_level_max, _warn, check_levels, solve_rdp
from .result import ACCURACY, REL_GAP_WARN, Certificate, DecoderMatrices

if TYPE_CHECKING:
    import pandas

__all__ = ["RateSolution", "minimum_total_rate"]

FloatArray = NDArray[np.float64]

#: Smallest target (times the frame's variance) the program is asked for: below it its
#: interior-point solutions stop being certifiable (measured: 1e-4 certified to 1e-8 bits,
#: 1e-5 fails every attempt), so such targets are a typed error, not a solver failure.
PROGRAM_MIN_TARGET = 1e-4

#: Attempts of the rate-form program, cheapest first (exponential cones: SCS is the last resort).
#: The objective is in bits, so the first attempts stop at Clarabel's 1e-10 (``MODERATE``; 1e-9
#: where every target is large, :func:`rate_attempts`).
#: Where the fast form fails (every coupling tight at small levels: T = 10 PLF-SA at P = 5e-4,
#: where Clarabel stops without progress at a relative gap of 7e-8 under every setting, 160-260 ms
#: a run), the robust form is tried next, before tighter fast runs.
RATE_ATTEMPTS: tuple[Attempt, ...] = (
    Attempt(MODERATE, Form.FAST),
    Attempt(MODERATE, Form.ROBUST),
    Attempt(UNREFINED, Form.FAST),
    Attempt(TIGHT, Form.ROBUST),
    Attempt(TIGHT, Form.FAST),
    Attempt(NO_EQUILIBRATION, Form.ROBUST),
    Attempt(DEFAULT, Form.ROBUST),
    Attempt(SCS, Form.ROBUST),
)

#: Where every target is at least this fraction of its frame's variance (and the levels are
#: large, :func:`rate_attempts`), the first attempts stop at 1e-9 (``LOOSE``, whose comment has
#: the measurements): Clarabel's feasibility tolerance is absolute in the normalised program,
#: while the certificate holds each target to 1e-6 of itself, so the looser stop suits large
#: targets only.
LOOSE_TARGET = 1e-2
#: ... and every finite positive W2^2 level at least this fraction of the largest variance: a
#: smaller level is held to a fraction of itself by the certificate (``perception_effect``) and
#: its row is absolute below ``_model.ROW_SCALE_FLOOR`` (an independent review found levels of
#: 6e-8 to 3e-9 of it flagged after four attempts where 1e-10 certified them at once).
LOOSE_LEVEL = 1e-4


def rate_attempts(
    source: GaussMarkovSource, targets: FloatArray, levels: FloatArray, measure: str
) -> tuple[tuple[Attempt, ...], tuple[Attempt, ...]]:
    """``(attempts, round_attempts)`` for an instance: ``RATE_ATTEMPTS`` and its first attempt,
    or, where every target is at least ``LOOSE_TARGET`` times its frame's variance, every
    finite positive level at least ``LOOSE_LEVEL`` times the largest variance and the levels
    are W2^2 (KL levels are absolute nats), the same with ``LOOSE`` for ``MODERATE``; a coupling
    round then gets the MODERATE attempt after the LOOSE one, so that a round LOOSE leaves only
    acceptable is certified as before instead of ending the rounds."""
    finite = levels[np.isfinite(levels) & (levels > 0.0)]
    loose = (
        measure == "w2"
        and bool(np.all(targets >= LOOSE_TARGET * source.variances))
        and bool(np.all(finite >= LOOSE_LEVEL * float(np.max(source.variances))))
    )
    if not loose:
        return RATE_ATTEMPTS, RATE_ATTEMPTS[:1]
    attempts = tuple(replace(a, settings=LOOSE) if a.settings == MODERATE else a for a in RATE_ATTEMPTS)
    return attempts, (attempts[0], RATE_ATTEMPTS[0])


@dataclass(frozen=True)
class RateSolution:
    r"""The least total rate meeting distortion targets and perception levels, and its scheme.

    Attributes
    ----------
    source : GaussMarkovSource
    targets : ndarray, shape (T,)
        Distortion targets :math:`D_j^\star` (MSE, ``inf`` = none).
    perception : ndarray, shape (T,)
        Perception levels (``inf`` = none), W2^2 or KL nats as ``perception_measure``.
    plf : str
    total_rate : float
        :math:`\sum_j R_j` in bits per sample (summed over frames).
    rates : ndarray, shape (T,)
        The optimal allocation :math:`R_j = \tfrac12\log_2(p_j/e_j)`, bits per sample.
    distortions, perception_values : ndarray, shape (T,)
        Achieved :math:`D_j \le D_j^\star` and :math:`\phi_j \le P_j`.
    reconstruction_covariance : ndarray, shape (T, T)
    decoder : DecoderMatrices
    status : str
        ``"optimal"`` or ``"optimal_inaccurate"`` (with a SolverWarning).
    solver : str
        ``"closed_form"``, ``"CLARABEL"`` or ``"SCS"``.
    certificate : Certificate
        Residuals in variance units; ``duality_gap`` and ``relative_gap`` are in bits and
        relative to the total rate.
    perception_measure : {"w2", "kl"}
    kl_direction : {"xhat||x", "x||xhat"} or None
        As in :class:`~rdp_theory.RDPSolution`.
    """

    source: GaussMarkovSource
    targets: FloatArray
    perception: FloatArray
    plf: str
    total_rate: float
    rates: FloatArray
    distortions: FloatArray
    perception_values: FloatArray
    reconstruction_covariance: FloatArray = field(repr=False)
    decoder: DecoderMatrices = field(repr=False)
    status: str
    solver: str
    certificate: Certificate = field(repr=False)
    perception_measure: str = "w2"
    kl_direction: str | None = None

    @property
    def T(self) -> int:
        return self.source.T

    def __repr__(self) -> str:
        fmt = lambda a: "[" + ", ".join(f"{x:.6g}" for x in a) + "]"  # noqa: E731
        return (
            f"RateSolution(status={self.status!r}, solver={self.solver!r}, plf={self.plf!r}, "
            f"total_rate={self.total_rate:.6g}, rates={fmt(self.rates)}, "
            f"D={fmt(self.distortions)}, targets={fmt(self.targets)})"
        )

    def to_dict(self) -> dict[str, object]:
        """Plain Python values of the result and its certificate, for JSON
        (e.g. :func:`rdp_theory.io.write_json`)."""
        from dataclasses import asdict

        out: dict[str, object] = {
            "sigmas": list(self.source.sigmas), "rhos": list(self.source.rhos),
            "plf": self.plf, "status": self.status, "solver": self.solver,
            "total_rate": float(self.total_rate),
            "perception_measure": self.perception_measure, "kl_direction": self.kl_direction,
        }
        for name in ("targets", "perception", "rates", "distortions", "perception_values",
                     "reconstruction_covariance"):
            out[name] = np.asarray(getattr(self, name), dtype=np.float64).tolist()
        out["decoder"] = {k: np.asarray(v).tolist() for k, v in asdict(self.decoder).items()}
        out["certificate"] = asdict(self.certificate)
        return out

    def _repr_html_(self) -> str:
        """A compact HTML table for notebooks: the total in the caption, per frame the
        allocation, target, achieved distortion, level and perception value."""
        from .._tables import html_table, number

        caption = (
            f"RateSolution: T = {self.T}, PLF {self.plf.upper()}, least total rate "
            f"{number(self.total_rate)} bits/sample; status {self.status} (solver {self.solver})"
        )
        rows = [
            ("rate R_k (bits)", [number(v) for v in self.rates]),
            ("target D_k*", [number(v) for v in self.targets]),
            ("distortion D_k", [number(v) for v in self.distortions]),
            ("perception level P_k", [number(v) for v in self.perception]),
            ("perception φ_k", [number(v) for v in self.perception_values]),
        ]
        return html_table(caption, [f"k = {k}" for k in range(1, self.T + 1)], rows)

    def to_dataframe(self) -> pandas.DataFrame:
        """One row per frame (a tidy ``pandas.DataFrame``; needs pandas): ``frame`` (1-based),
        ``plf``, ``rate`` (the optimal allocation, bits/sample), ``target``, ``distortion``,
        ``perception`` (the level), ``perception_value``, ``status``, ``solver``.

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
            "rate": np.asarray(self.rates, dtype=np.float64),
            "target": np.asarray(self.targets, dtype=np.float64),
            "distortion": np.asarray(self.distortions, dtype=np.float64),
            "perception": np.asarray(self.perception, dtype=np.float64),
            "perception_value": np.asarray(self.perception_values, dtype=np.float64),
            "status": [self.status] * T,
            "solver": [self.solver] * T,
        })


def minimum_total_rate(
    source: GaussMarkovSource,
    distortions: ArrayLike,
    perception: ArrayLike = np.inf,
    plf: str = "jd",
    *,
    weights: ArrayLike | None = None,
    method: str = "auto",
    perception_measure: str = "w2",
    kl_direction: str | None = None,
) -> RateSolution:
    r"""Least total rate :math:`\sum_j R_j` with :math:`D_j \le D_j^\star` and :math:`\phi_j \le P_j`.

    Parameters
    ----------
    source : GaussMarkovSource
    distortions : array_like, scalar or shape (T,)
        Targets :math:`D_j^\star > 0` (MSE, the source's units; ``inf`` = no target), each at
        most ``LEVEL_MAX`` (1e6) times :math:`\sigma_j^2`. A target of 0 needs an infinite rate.
    perception : array_like, scalar or shape (T,)
        Perception levels (``inf`` = none) in ``perception_measure``, as in
        :func:`~rdp_theory.solve_rdp`.
    plf : {"jd", "fmd", "sa"}
    weights : None
        Only the plain total (or equal weights, a multiple of it) is convex in this program;
        unequal weights raise :class:`InvalidParameterError`.
    method : {"auto", "sdp"}
        ``"auto"`` returns the closed form where it applies (every level infinite, or PLF-FMD);
        ``"sdp"`` always solves the program (the second route, used by the tests).
    perception_measure : {"w2", "kl"}
        ``"w2"`` (W2^2) or ``"kl"`` (KL divergence, nats), as in :func:`~rdp_theory.solve_rdp`
        and with the same restrictions (PLF-SA refused under KL). The PLF-FMD closed form holds
        under KL with :math:`\sigma_j\sqrt{t_{\mathrm{low}}(P_j)}` as the floor of the
        reconstruction's standard deviation (:func:`~rdp_theory.kl_variance_bounds`).
    kl_direction : {"xhat||x", "x||xhat"}, optional
        The order of the KL divergence (``"x||xhat"``: PLF-FMD only); None for ``"w2"``.

    Returns
    -------
    RateSolution

    Raises
    ------
    InvalidParameterError
        Bad argument (names it and the allowed range), or unequal ``weights``.
    SolverError
        No certified solution was found.

    Examples
    --------
    >>> import rdp_theory as rt
    >>> src = rt.GaussMarkovSource.stationary(3, sigma=1.0, rho=0.9)
    >>> sol = rt.minimum_total_rate(src, 0.1)  # MSE only
    >>> round(sol.total_rate, 6)  # 1/2 log2(1/D) + 2 * 1/2 log2(a^2 + s/D), a = 0.9, s = 0.19
    3.099257
    """
    source = check_source(source)
    T = source.T
    targets = check_targets(distortions, "distortions", length=T).astype(np.float64, copy=True)
    _check_level_max(targets, source.variances, "distortions", "the frame's variance", "(0")
    plf_obj = get_plf(plf)
    measure, direction = check_measure(perception_measure, kl_direction, plf_obj)
    levels = check_perception(perception, "perception", length=T).astype(np.float64, copy=True)
    check_levels(levels, source, measure, "perception", direction)
    method = check_choice(method, "method", ("auto", "sdp"))
    if weights is not None:
        w = check_weights(weights, "weights", length=T)
        if not np.all(w == w[0]):
            raise InvalidParameterError(
                "weights: only the plain total rate is convex in this program (the rates "
                "telescope, docs/theory.md 4.9); a weighted sum of rates is not convex in general. "
                "Pass weights=None (or equal weights)"
            )
    if method == "auto" and (plf_obj.name == "fmd" or np.all(np.isinf(levels))):
        return _closed_form(source, targets, levels, plf_obj.name, measure, direction)
    small = targets < PROGRAM_MIN_TARGET * source.variances
    if small.any():
        k = int(np.flatnonzero(small)[0])
        raise InvalidParameterError(
            f"distortions[{k}] = {targets[k]:.6g} is below {PROGRAM_MIN_TARGET:g} times the "
            "frame's variance, beyond what the rate-form program certifies (6.6 bits for a first "
            "frame, fewer for a frame predicted from the one before); allowed range for the program (PLF-JD, PLF-SA, method='sdp'): "
            f"[{PROGRAM_MIN_TARGET * source.variances[k]:.6g}, "
            f"{LEVEL_MAX * source.variances[k]:.6g}] or inf. MSE-only and PLF-FMD targets of any "
            "size take the closed form (method='auto')"
        )
    return _solve_program(source, targets, levels, plf_obj.name, measure, direction)


# ------------------------------------------------------------------------------ closed form
def _closed_form_rates(
    source: GaussMarkovSource, targets: FloatArray, levels: FloatArray,
    measure: str = "w2", direction: str | None = None,
) -> FloatArray:
    r"""The optimal allocation for PLF-FMD at any levels (MSE only: every level infinite).

    Frame j's least distortion at MMSE :math:`e_j` (THEORY.md 4, per frame) is increasing in
    :math:`e_j`; :math:`e_j^\star` is its inverse at the target (normalised units), and the total
    rate, decreasing in every :math:`e_j`, is least at :math:`e_j = \min(e_j^\star, p_j)`
    (:math:`p_{j+1} = \rho_j^2 e_j + 1 - \rho_j^2` grows with :math:`e_j`). Under KL the
    normalised floor of the reconstruction's standard deviation is :math:`\sqrt{t_{\mathrm{low}}}`
    instead of :math:`1 - \sqrt{P_j}/\sigma_j` (docs/theory.md 4.11.2); the rest is the same.
    """
    var = source.variances
    with np.errstate(divide="ignore", under="ignore"):
        d = targets / var  # normalised targets (inf stays inf)
        # log(d) from the logs: d itself underflows at targets below ~1e-308 of the variance,
        # which gave an infinite rate for 1029.6 bits (sigma = 1e150, D = 1e-10; review)
        log_d = np.log(targets) - np.log(var)
    if measure == "kl":  # the floor of the reconstruction's std, sigma sqrt(t_low)
        m = np.sqrt(np.asarray(kl_variance_bounds(levels, direction or "xhat||x").low))
    else:
        root_p = np.sqrt(np.where(np.isfinite(levels), levels / var, np.inf))
        m = np.maximum(1.0 - root_p, 0.0)  # the floor of the reconstruction's std, sigma - sqrt(P)
    threshold = 1.0 - m**2  # at e <= threshold the MMSE estimate already meets the level
    with np.errstate(divide="ignore", invalid="ignore"):
        # beyond the threshold, D = 1 + m^2 - 2 m sqrt(1 - e) = d gives sqrt(1 - e) = root_v and
        # e = (1 - root_v)(1 + root_v) with 1 - root_v = (d - (1 - m)^2) / (2 m): no cancellation
        root_v = np.clip((1.0 + m**2 - d) / (2.0 * m), 0.0, 1.0)
        one_minus = np.clip((d - (1.0 - m) ** 2) / (2.0 * m), 0.0, 1.0)
        e_star = np.where(d <= threshold, d, np.where(root_v > 0.0, one_minus * (1.0 + root_v), 1.0))
    e_star = np.where(np.isfinite(d), e_star, np.inf)
    # Below 1e-200 (where d_j, then 1/e, underflow or overflow) the rate comes from log_d: e_j* =
    # d_j, exactly on the MSE side and to 1e-100 relative beyond the threshold (e* = d - P' there,
    # with P' < d^2 / 4). Only there: the difference of two logs costs eps |ln sigma^2| of
    # accuracy (a review measured 1.9e-12 against 1.5e-14 at sigma = 1e100 in the ordinary range)
    tiny = np.isfinite(d) & (log_d < -460.0)
    return _least_rates(source, e_star, np.where(tiny, log_d, np.nan))


def _closed_form(
    source: GaussMarkovSource, targets: FloatArray, levels: FloatArray, plf: str,
    measure: str = "w2", direction: str | None = None,
) -> RateSolution:
    rates = _closed_form_rates(source, targets, levels, measure, direction)
    # the scheme at that allocation: the closed-form (exact-route) optimum, certified
    sol = solve_rdp(
        source, rates, levels, plf=plf, objective=1.0 / source.variances,
        perception_measure=measure, kl_direction=direction,
    )
    return RateSolution(
        source=source, targets=targets, perception=levels, plf=plf,
        total_rate=float(np.sum(rates)), rates=rates, distortions=sol.distortions,
        perception_values=sol.perception_values,
        reconstruction_covariance=sol.reconstruction_covariance, decoder=sol.decoder,
        status=sol.status, solver=sol.solver, certificate=sol.certificate,
        perception_measure=measure, kl_direction=direction,
    )


# ------------------------------------------------------------------------------ the program
def _solve_program(
    source: GaussMarkovSource, targets: FloatArray, levels: FloatArray, plf: str,
    measure: str = "w2", direction: str | None = None,
) -> RateSolution:
    T = source.T
    inst = Instance(
        source, np.full(T, np.inf), levels, get_plf(plf), "optimal", weights=np.ones(T),
        caps=targets, rate_form=True, measure=measure, kl_direction=direction,
    )
    # couplings generated on demand, as for weighted objectives (a relaxation's certified
    # optimum that meets every level is optimal for the full program)
    attempts, round_attempts = rate_attempts(source, targets, levels, measure)
    scheme = solve_weighted(inst, attempts, generate=True, round_attempts=round_attempts)
    status = scheme.raw.status
    if scheme.worst > ACCURACY or status == cp.OPTIMAL_INACCURATE or scheme.rel_gap > REL_GAP_WARN:
        status = cp.OPTIMAL_INACCURATE
        _warn(
            f"inaccurate rate-form solution (worst certified residual {scheme.worst:.2e}, "
            f"duality gap {scheme.rel_gap:.1e} of the total rate; solver {scheme.raw.solver}); "
            "see RateSolution.certificate"
        )
    rates = np.maximum(scheme.used, 0.0)  # e_j a hair above p_j (round-off) is rate 0
    return RateSolution(
        source=source, targets=targets, perception=levels, plf=plf,
        total_rate=float(np.sum(rates)), rates=rates, distortions=scheme.primal.D.copy(),
        perception_values=scheme.phi, reconstruction_covariance=scheme.shat,
        decoder=DecoderMatrices(gain=scheme.gain, noise_covariance=scheme.noise),
        status=str(status), solver=scheme.raw.solver, certificate=scheme.certificate,
        perception_measure=measure, kl_direction=direction,
    )

"""The public solver: :func:`solve_rdp` and :func:`pareto_sweep`.

Checks the arguments, dispatches on the objective (weighted, or the lexicographic chain) and
emits every warning of a solve here, once, pointing at the first caller outside
:mod:`rdp_theory` (lower floors return their warnings instead of emitting them).
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import math
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import (
    as_float_array,
    check_bool,
    check_choice,
    check_perception,
    check_rates,
    check_weights,
)
from ..exceptions import InfeasibleError, InvalidParameterError, SolverError, SolverWarning
from ..perception import check_measure, get_plf
from ..source import GaussMarkovSource, check_source
from ._certify import Report, assemble
from ._exact import check_exact, exact_solution
from ._instance import Instance
from ._lexicographic import solve_lexicographic
from ._weighted import Infeasible, solve_weighted
from .result import Objective, RDPSolution

__all__ = ["solve_rdp", "pareto_sweep"]

FloatArray = NDArray[np.float64]

_PACKAGE = __name__.split(".", 1)[0]
logger = logging.getLogger(__name__)


def _outside_package(frame: Any) -> bool:
    name = frame.f_globals.get("__name__", "")
    return not (name == _PACKAGE or name.startswith(_PACKAGE + "."))


def _warn(message: str) -> None:
    """Emit a SolverWarning attributed to the first frame outside the package: the user's call
    (of solve_rdp, pareto_sweep, universality_gap, ...), however deep the library's own calls."""
    here = inspect.currentframe()
    frame = here.f_back if here is not None else None
    level = 2  # stacklevel 2: the caller of _warn
    while frame is not None and frame.f_back is not None and not _outside_package(frame):
        frame = frame.f_back
        level += 1
    warnings.warn(message, SolverWarning, stacklevel=level)


def solve_rdp(
    source: GaussMarkovSource,
    rates: ArrayLike,
    perception: ArrayLike,
    plf: str = "jd",
    objective: Objective = "lexicographic",
    representation: str = "optimal",
    *,
    targets: ArrayLike | None = None,
    method: str = "auto",
    perception_measure: str = "w2",
    kl_direction: str | None = None,
    verbose: bool = False,
) -> RDPSolution:
    r"""Optimal distortions of a jointly Gaussian causal scheme (the SDP of THEORY.md section 3).

    Parameters
    ----------
    source : GaussMarkovSource
    rates : array_like, shape (T,) or scalar
        Rate budget per frame in bits per sample, each in ``[0, inf]``; rates above
        ``RATE_LOSSLESS`` (64 bits) are solved as ``inf``.
    perception : array_like, shape (T,) or scalar
        Perception level per frame, each in ``[0, inf]``, in ``perception_measure``'s units
        (W2^2: the source's squared units; KL: nats); 0 is perfect realism, ``inf`` removes the
        constraint. A finite W2^2 level must be at most ``LEVEL_MAX`` (1e6) times the total
        variance of frames 1..k, a finite KL level at most ``KL_LEVEL_MAX`` (9.86) nats
        (``"x||xhat"``: ``KL_LEVEL_MAX_REVERSE``, 1e4, a cap on the program's coefficients).
        Beyond 9.86 nats the smallest reconstruction variance a level allows is below 1e-9 of
        the frame's, more than the certificate resolves. For one frame (PLF-FMD, frame 1 of
        PLF-JD) the optimum there is the unconstrained one to that accuracy, so pass ``inf``;
        a PLF-JD level on k >= 2 frames can be spread over them, and such levels are refused
        (a known limit, docs/theory.md 4.12: ``inf`` is not equivalent).
    plf : {"jd", "fmd", "sa"}
        Perception loss function (see :mod:`rdp_theory.perception`).
    objective : "lexicographic" or array_like of shape (T,)
        ``"lexicographic"``: minimise :math:`D_1`, then :math:`D_2` given :math:`D_1`, ...
        The exact lexicographic optimum: solved one frame at a time with every earlier frame
        fixed exactly (no caps or tolerances; docs/theory.md 4.8), each stage's duality gap checked
        and the assembled scheme certified, the
        stage optima in ``certificate.lexicographic_stage_values``.
        Weights :math:`w \ge 0` (not all 0): minimise :math:`\sum_k w_k D_k`.
    representation : {"optimal", "mse"}
        ``"mse"`` fixes the representation at the greedy MSE-optimal one (universality).
    targets : array_like of shape (T,), optional
        Distortion caps :math:`D_k \le t_k` (``inf`` = none), e.g. "min D_T s.t. D_k <= targets";
        a finite cap must be at most ``LEVEL_MAX`` times :math:`\sigma_k^2`.
        Not combinable with ``objective="lexicographic"``.
    method : {"auto", "sdp"}
        ``"auto"``: where the optimum is known in closed form (MSE only; PLF-FMD at any levels;
        0-PLF-JD and 0-PLF-SA for the lexicographic objective) the closed-form scheme is built,
        certified like a solver's and returned with ``solver="closed_form"``; everything else is
        solved. ``"sdp"``: always solve the program(s) (a second route, used by the tests).
        Under KL the closed forms are PLF-FMD (:func:`~rdp_theory.fmd_distortions_kl`), MSE only
        and, lexicographic, 0-PLF-JD (KL = 0 iff the laws are equal).
    perception_measure : {"w2", "kl"}
        How far apart the laws ``plf`` compares may be: ``"w2"`` (default) the squared
        Wasserstein-2 distance, ``"kl"`` the Kullback-Leibler divergence in nats (docs/theory.md
        4.11-4.12). Under KL, frame k's constraint for PLF-JD is, with :math:`S_k, R_k` the
        covariances of :math:`\hat X_{1..k}` and :math:`X_{1..k}`,

        .. math::

            \mathrm{KL}(\mathcal N(0, S_k)\,\|\,\mathcal N(0, R_k))
            = \tfrac12\bigl[\operatorname{tr}(R_k^{-1}S_k) - k - \ln\det S_k + \ln\det R_k\bigr]
            \le P_k,

        convex in :math:`S_k` (a log-det cone); for PLF-FMD the reconstruction variance lies in
        the interval of :func:`~rdp_theory.kl_variance_bounds`. PLF-SA is refused
        (:class:`InvalidParameterError`): KL is not jointly convex in the pair of laws it
        compares; at levels 0 and ``inf`` use ``"w2"``, whose constraints are then the same.
        Optimal over jointly Gaussian schemes, as for W2 (Serra, Stavrou and Kountouris, IEEE
        JSAIT 2024; Qian et al., arXiv:2406.18008, for one frame).
    kl_direction : {"xhat||x", "x||xhat"}, optional
        The order of the KL divergence, as ``direction`` in :mod:`rdp_theory.kl`: ``"xhat||x"``
        (the default for ``"kl"``) is KL(law of the reconstruction || law of the source),
        ``"x||xhat"`` the reverse, available for PLF-FMD only (for two or more frames it is not
        convex in the reconstruction covariance). Must be None for ``"w2"``.
    verbose : bool
        Report progress (the route taken, each lexicographic stage, solver attempts and
        fallbacks, coupling rounds) on standard error while the call runs. The records always go
        to the ``logging`` logger ``"rdp_theory"`` (level INFO); ``verbose`` only attaches a
        stream handler to it and lowers its level to INFO for the duration of the call (not
        thread-safe: concurrent verbose calls share the handler list). Configure that logger
        yourself for anything else.

    Returns
    -------
    RDPSolution
        With ``solve_time`` set to the call's wall-clock time in seconds; its
        ``perception_measure`` and ``kl_direction`` record the measure, and its
        ``perception_values`` are in it (KL: nats, ``inf`` where a compared covariance is singular,
        which only an infinite level allows).

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
    >>> kl = rt.solve_rdp(src, rates=1.0, perception=0.05, plf="jd", perception_measure="kl")
    >>> kl.perception_measure, kl.kl_direction, bool(kl.perception_values.max() <= 0.05 + 1e-7)
    ('kl', 'xhat||x', True)
    """
    t0 = time.perf_counter()
    with _verbose_logging(check_bool(verbose, "verbose")):
        solution, notes = _solve(
            source, rates, perception, plf, objective, representation, targets, method,
            perception_measure, kl_direction,
        )
        elapsed = time.perf_counter() - t0
        logger.info(
            "solve_rdp: %s (solver %s, %d attempt(s), %.3g s), D = %s",
            solution.status, solution.solver, solution.certificate.attempts, elapsed,
            np.array2string(solution.distortions, precision=6),
        )
    for note in notes:
        _warn(note)
    return replace(solution, solve_time=elapsed)


@contextlib.contextmanager
def _verbose_logging(verbose: bool) -> Iterator[None]:
    """While the block runs (``verbose`` only): the package logger at level INFO or lower, with a
    stream handler on standard error. The library configures logging nowhere else."""
    if not verbose:
        yield
        return
    root = logging.getLogger(_PACKAGE)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("rdp_theory %(asctime)s.%(msecs)03d %(message)s", datefmt="%H:%M:%S")
    )
    old_level = root.level
    if old_level == logging.NOTSET or old_level > logging.INFO:
        root.setLevel(logging.INFO)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def _solve(
    source: GaussMarkovSource,
    rates: ArrayLike,
    perception: ArrayLike,
    plf: str,
    objective: Objective,
    representation: str,
    targets: ArrayLike | None,
    method: str = "auto",
    perception_measure: str = "w2",
    kl_direction: str | None = None,
) -> tuple[RDPSolution, tuple[str, ...]]:
    """:func:`solve_rdp`, returning its warnings instead of emitting them."""
    inst, solution, notes = _solve_unchecked(
        source, rates, perception, plf, objective, representation, targets,
        check_choice(method, "method", ("auto", "sdp")), perception_measure, kl_direction,
    )
    return check_exact(inst, solution, notes)


def _solve_unchecked(
    source: GaussMarkovSource,
    rates: ArrayLike,
    perception: ArrayLike,
    plf: str,
    objective: Objective,
    representation: str,
    targets: ArrayLike | None,
    method: str,
    perception_measure: str = "w2",
    kl_direction: str | None = None,
) -> tuple[Instance, RDPSolution, tuple[str, ...]]:
    """The solve itself, before the checks of :mod:`._exact`."""
    plf_obj = get_plf(plf)
    measure, direction = check_measure(perception_measure, kl_direction, plf_obj)
    source, r, p = _validate(source, rates, perception, measure, direction)
    representation = check_choice(representation, "representation", ("optimal", "mse"))
    T = source.T
    caps = np.full(T, np.inf)
    if targets is not None:
        caps = check_perception(targets, "targets", length=T).astype(np.float64)
        _check_level_max(caps, source.variances, "targets", "the frame's variance")
    inst = Instance(
        source, r, p, plf_obj, representation, weights=np.zeros(T), caps=caps, measure=measure,
        kl_direction=direction,
    )
    logger.info(
        "solve_rdp: T = %d, plf = %s, objective = %s, representation = %s, method = %s, "
        "perception measure = %s", T, plf_obj.name,
        objective if isinstance(objective, str) else "weights", representation, method,
        measure if direction is None else f"KL({direction})",
    )
    if isinstance(objective, str):
        check_choice(objective, "objective", ("lexicographic",))
        if targets is not None and np.isfinite(caps).any():
            raise InvalidParameterError(
                "targets cannot be combined with objective='lexicographic'; pass weights"
            )
        exact = exact_solution(inst, "lexicographic") if method == "auto" else None
        if exact is not None:
            logger.info("solve_rdp: known in closed form; building and certifying that scheme")
            return (inst, *exact)
        logger.info("solve_rdp: the lexicographic chain, %d stage(s)", T)
        return (inst, *solve_lexicographic(inst))
    weights = check_weights(objective, "objective", length=T)
    exact = exact_solution(inst, tuple(float(x) for x in weights)) if method == "auto" else None
    if exact is not None:
        logger.info("solve_rdp: known in closed form; building and certifying that scheme")
        return (inst, *exact)
    logger.info("solve_rdp: weighted program")
    try:
        # scaled so that the largest weight *in the frames' own units* (w_k sigma_k^2) is 1:
        # dividing by max(w) instead underflows to 0 the weight of a frame 1e200 times larger
        pos = weights > 0
        logs = np.full(T, -np.inf)
        logs[pos] = np.log(weights[pos]) + np.log(source.variances[pos])  # no overflow
        unit_weights = np.where(pos, np.exp(logs - logs.max()) / source.variances, 0.0)
        scheme = solve_weighted(inst.objective(unit_weights, caps), generate=True)
    except Infeasible as exc:
        if np.isfinite(caps).any():
            raise InfeasibleError(_diagnose_targets(inst)) from exc
        raise SolverError(f"solver reported infeasibility of an always-feasible problem ({exc})") from exc
    report = Report(scheme.certificate.attempts, float(weights @ scheme.primal.D))
    return (inst, *assemble(inst, tuple(float(x) for x in weights), scheme, report))


#: Rates above this many bits per sample are solved as ``inf`` (lossless): the MMSE error there
#: is below :math:`2^{-128}\sigma_k^2`, so every distortion moves by less than 1e-38 of the
#: variances, far inside the certified accuracy, while the solver cannot represent such
#: :math:`2^{-2R}` factors next to O(1) ones.
RATE_LOSSLESS = 64.0
#: Finite perception levels and distortion targets are accepted up to this multiple of the
#: variance they are compared with (frames 1..k for a perception level, frame k for a target);
#: ``inf`` is the way to say "unconstrained". Measured: levels of 1e6 relative give the
#: unconstrained optimum exactly, while 1e9 and beyond leave the solver inaccurate and 1e300
#: crashes it.
LEVEL_MAX = 1e6
#: Finite KL levels (nats) are accepted while the smallest reconstruction variance they allow,
#: :math:`t_{\mathrm{low}}(P)\,\sigma_k^2` (:func:`~rdp_theory.kl_variance_bounds`), is at least
#: this many times the frame's variance. The certificate recomputes the reconstruction
#: covariance from the solver's variables with an absolute error of about 1e-16 of the variance,
#: and the KL moves with :math:`\ln` of its smallest eigenvalue: below 1e-9 it could not certify
#: the level to 1e-7 nats (measured: zero-rate frames at 12 nats were off by 2e-6, at 15 nats
#: the variance fell below the solver's resolution). It is no loss: at such a level the optimum
#: is the unconstrained one to within :math:`t_{\mathrm{low}}\sigma_k^2 < 10^{-9}\sigma_k^2`.
#: For ``kl_direction="xhat||x"`` the bound is ``KL_LEVEL_MAX`` = 9.86 nats
#: (:math:`\tfrac12(t - 1 - \ln t)` at :math:`t = 10^{-9}`); ``"x||xhat"``, whose floor
#: :math:`1/t_+` falls only like :math:`1/(2P)`, is capped at ``KL_LEVEL_MAX_REVERSE``.
KL_FLOOR_MIN = 1e-9
KL_LEVEL_MAX = 0.5 * (KL_FLOOR_MIN - 1.0 - math.log(KL_FLOOR_MIN))
#: The cap for ``"x||xhat"`` (PLF-FMD only): the program's coefficients stay O(2P) (4.11.2).
KL_LEVEL_MAX_REVERSE = 1e4


def _validate(
    source: object, rates: ArrayLike, perception: ArrayLike, measure: str = "w2",
    direction: str | None = None,
) -> tuple[GaussMarkovSource, FloatArray, FloatArray]:
    source = check_source(source)
    T = source.T
    r = check_rates(rates, "rates", length=T).astype(np.float64, copy=True)
    r[r > RATE_LOSSLESS] = np.inf
    p = check_perception(perception, "perception", length=T).astype(np.float64, copy=True)
    check_levels(p, source, measure, "perception", direction)
    return source, r, p


def check_levels(
    p: FloatArray, source: GaussMarkovSource, measure: str, name: str,
    direction: str | None = None,
) -> None:
    """Finite perception levels must be at most ``LEVEL_MAX`` times the total variance of
    frames 1..k (W2^2), or ``KL_LEVEL_MAX`` nats (KL, ``"xhat||x"``; ``KL_LEVEL_MAX_REVERSE``
    for ``"x||xhat"``)."""
    if measure == "kl":
        top = KL_LEVEL_MAX if direction != "x||xhat" else KL_LEVEL_MAX_REVERSE
        bad = np.isfinite(p) & (p > top)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            why = (
                f"the smallest reconstruction variance it allows is below {KL_FLOOR_MIN:g} of "
                "the frame's, beyond what the certificate resolves. For one frame the optimum "
                f"there is the unconstrained one to within {KL_FLOOR_MIN:g} of the variance (use "
                "inf); a PLF-JD level on several frames' joint law is not, and cannot be solved "
                "here (docs/theory.md 4.12)"
                if direction != "x||xhat" else "the program's coefficients would grow like 2P"
            )
            raise InvalidParameterError(
                f"{name}[{k}] = {p[k]:.6g} nats is a finite KL level above {top:.6g} ({why}); "
                f"allowed range [0, {top:.6g}] nats or inf"
            )
        return
    _check_level_max(p, np.cumsum(source.variances), name, "the total variance of frames 1..k")


def _check_level_max(
    values: FloatArray, scale: FloatArray, name: str, what: str, low: str = "[0",
) -> None:
    """Finite ``values`` must be at most ``LEVEL_MAX * scale`` (frame by frame); ``low`` is the
    lower end of the allowed range as the message writes it (``"(0"`` for the rate form's
    targets)."""
    bad = np.isfinite(values) & (values > LEVEL_MAX * scale)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InvalidParameterError(
            f"{name}[{k}] = {values[k]:.6g} is finite but above {LEVEL_MAX:g} times {what} "
            f"({LEVEL_MAX * scale[k]:.6g}); use inf for an unconstrained frame (allowed range "
            f"{low}, {LEVEL_MAX * scale[k]:.6g}] or inf)"
        )


def _diagnose_targets(inst: Instance) -> str:
    """Explain which distortion target cannot be met (the probing solves' warnings are not
    the caller's: only the error is reported)."""
    caps = inst.caps
    for j in np.flatnonzero(np.isfinite(caps)):
        w = np.zeros(inst.T)
        w[j] = 1.0
        best, _ = _solve(
            inst.source, inst.rates, inst.perception, inst.plf.name, w, inst.representation, None,
            "auto", inst.measure, inst.kl_direction,
        )
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


def pareto_sweep(
    source: GaussMarkovSource,
    rates: ArrayLike,
    perception: ArrayLike,
    weights: ArrayLike,
    plf: str = "jd",
    representation: str = "optimal",
    *,
    perception_measure: str = "w2",
    kl_direction: str | None = None,
) -> list[RDPSolution]:
    """Weighted-sum sweep: one :func:`solve_rdp` per row of ``weights`` (shape (K, T)), with
    its ``perception_measure`` and ``kl_direction``.

    Every solve re-uses the same compiled problem (only parameter values change), so a sweep
    costs one compilation plus K interior-point solves. Returns the K solutions in order; each
    is a Pareto-optimal point of the (convex) achievable distortion region.
    """
    source = check_source(source)
    w = np.atleast_2d(as_float_array(weights, "weights"))
    if w.ndim != 2 or w.shape[1] != source.T or w.shape[0] == 0:
        raise InvalidParameterError(
            f"weights must have shape (K, T={source.T}), got {np.shape(weights)}"
        )
    return [
        solve_rdp(
            source, rates, perception, plf=plf, objective=row, representation=representation,
            perception_measure=perception_measure, kl_direction=kl_direction,
        )
        for row in w
    ]

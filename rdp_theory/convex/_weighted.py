"""``min w @ D`` (or the total rate) for one instance: formulations, fallbacks and coupling generation.

:func:`solve_weighted` generates the coupling LMIs on demand (rounds of relaxations) and ends
with the full program; :func:`solve_pattern` solves one constraint pattern through the fallback
list (:func:`solve_model`): formulations and solver settings, cheapest and most accurate first,
until a certificate passes.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import cvxpy as cp
import numpy as np
from numpy.typing import NDArray

from ..closed_form import _least_rates, greedy_representation, mmse_distortions
from ..exceptions import SolverError
from ..scheme import joint_model
from . import _backend
from ._backend import Raw, Values
from ._certify import Scheme, certify, certify_rate, extract, perception_effect, with_levels
from ._instance import Instance
from ._model import Key, Model, compiled, parameter_values, pattern_of
from ._settings import (
    DEFAULT,
    LOOSE,
    MODERATE,
    NO_EQUILIBRATION,
    REGULARISED,
    SCS,
    TIGHT,
    UNREFINED,
    SolverSettings,
)
from .result import ACCURACY, REL_GAP

__all__ = [
    "Form", "Attempt", "ATTEMPTS", "ROUND_ATTEMPTS", "Infeasible", "NoView",
    "solve_model", "solve_weighted", "solve_pattern", "settings_name", "mmse_violations",
]

FloatArray = NDArray[np.float64]
logger = logging.getLogger(__name__)


class Form(enum.Enum):
    """The formulation an attempt solves (see ``_model.Model``)."""

    #: couplings with E substituted -- fewer KKT rows, tried first
    FAST = "fast"
    #: E kept as a variable with its equalities -- more robust at degenerate optima
    ROBUST = "robust"
    #: ROBUST with the objective divided by a lower bound of its value (the MSE-only
    #: distortions), so that the gap tolerances act relative to a tiny objective (high rates).
    #: Only run when no earlier attempt met REL_GAP (the large objective coefficients can hurt
    #: at degenerate optima).
    RESCALED = "rescaled"


@dataclass(frozen=True)
class Attempt:
    settings: SolverSettings
    form: Form


# Fallbacks, cheapest and most accurate first (see the settings in _backend).
ATTEMPTS: tuple[Attempt, ...] = (
    Attempt(UNREFINED, Form.FAST),
    Attempt(TIGHT, Form.FAST),
    Attempt(TIGHT, Form.ROBUST),
    Attempt(DEFAULT, Form.ROBUST),
    Attempt(NO_EQUILIBRATION, Form.ROBUST),
    Attempt(REGULARISED, Form.ROBUST),
    Attempt(TIGHT, Form.RESCALED),
    Attempt(SCS, Form.ROBUST),
)
# Rounds of coupling generation (see solve_weighted): one attempt each; any trouble ends the
# rounds and the full program gets every fallback.
ROUND_ATTEMPTS: tuple[Attempt, ...] = (Attempt(UNREFINED, Form.FAST),)


_SETTINGS_NAMES: tuple[tuple[str, SolverSettings], ...] = (
    ("unrefined", UNREFINED), ("moderate", MODERATE), ("loose", LOOSE), ("tight", TIGHT),
    ("default", DEFAULT),
    ("no equilibration", NO_EQUILIBRATION), ("regularised", REGULARISED), ("SCS", SCS),
)


def settings_name(settings: SolverSettings) -> str:
    """A short name of one of the solver settings, for progress messages."""
    return next((name for name, s in _SETTINGS_NAMES if s == settings), settings.solver)


class Infeasible(Exception):
    """The solver reported infeasibility and no attempt found a solution."""


class NoView(Exception):
    """No view of a compiled program with fewer couplings (see _backend.View): compile one."""


def solve_model(
    prepare: Callable[[Form], tuple[Model, dict[str, FloatArray]]],
    certify_run: Callable[[Model, Values | None, Raw, int, Form], Scheme],
    attempts: Sequence[Attempt] = ATTEMPTS,
    keep: frozenset[int] | None = None,
) -> Scheme:
    """Solve with fallbacks and return a result whose certificate passes.

    ``prepare(form)`` returns the model of the requested formulation and its parameter values.
    A result certified to ``ACCURACY`` is returned at once. One certified only to ``ACCEPTABLE``
    is kept while the remaining Clarabel attempts (other formulation, other settings) try to do
    better; the best is returned. Raises ``Infeasible`` when the first attempt reports
    infeasibility and no attempt finds a solution, else SolverError.
    """
    statuses: list[str] = []
    best: Scheme | None = None
    for n, attempt in enumerate(attempts, start=1):
        solver, form = attempt.settings.solver, attempt.form
        if best is not None and solver != cp.CLARABEL:
            continue  # a first-order fallback will not beat an acceptable interior-point result
        if form is Form.RESCALED and (best is None or best.rel_gap <= REL_GAP):
            continue  # only to recover relative accuracy of an otherwise acceptable result
        model, values = prepare(form)
        what = f"attempt {n}/{len(attempts)} ({settings_name(attempt.settings)}, {form.value} form)"
        try:
            raw, primal = _backend.run(model, values, attempt.settings, keep)
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - Clarabel's Rust panics are BaseExceptions
            statuses.append(f"{solver}: {type(exc).__name__}: {str(exc)[:80]}")
            logger.info("%s: %s; falling back", what, statuses[-1])
            continue
        if raw.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or primal is None:
            statuses.append(f"{solver}: {raw.status}")
            logger.info("%s: %s; falling back", what, raw.status)
            continue
        scheme = certify_run(model, primal, raw, n, form)
        if scheme.accurate:
            logger.info("%s: certified (%d iterations)", what, raw.iterations)
            return scheme
        if scheme.acceptable:
            logger.info("%s: acceptable only (residual %.1e, relative gap %.1e); trying on",
                        what, scheme.worst, scheme.rel_gap)
            if best is None or scheme.score < best.score:
                best = scheme
            continue
        statuses.append(f"{solver}: {raw.status} but certificate fails ({scheme.worst:.1e})")
        logger.info("%s: %s; falling back", what, statuses[-1])
    if best is not None:
        return best
    if statuses and "infeasible" in statuses[0] and "inaccurate" not in statuses[0]:
        raise Infeasible("; ".join(statuses))
    raise SolverError("no certified solution found (" + "; ".join(statuses) + ")")


def solve_weighted(
    inst: Instance,
    attempts: Sequence[Attempt] = ATTEMPTS,
    generate: bool = False,
    round_attempts: Sequence[Attempt] = ROUND_ATTEMPTS,
) -> Scheme:
    """min ``inst.weights @ D`` (or the total rate, ``inst.rate_form``) s.t. ``D <= inst.caps`` on
    the normalised program, certified.

    ``generate``: generate the coupling LMIs (JD/SA frames with 0 < P < inf) on demand. Round 1
    solves the relaxation without any; each later round adds the couplings of every frame whose
    level the last solution violates. Each round is a relaxation of the full program, so its
    optimum bounds the real one from below: once its certified solution meets every level (the
    certificate evaluates them all with the Bures formula) it is optimal for the full program and
    is returned. Rounds stop at the full program, which then gets every fallback. Each round gets
    ``round_attempts`` (one attempt: any trouble ends the rounds). Inactive
    constraints are common in sweeps, and SA optima typically bind one or two of T - 1 couplings.
    """
    perception, plf = inst.perception, inst.plf
    pattern = pattern_of(perception, plf)
    candidates = [
        j for j, v in enumerate(perception) if 0.0 < v < math.inf and not plf.is_scalar(j)
    ]
    # every candidate's coupling, none implied: rounds cut views out of this program
    universe = tuple(
        "p" if 0.0 < v < math.inf else c for c, v in zip(pattern, perception, strict=True)
    )
    enforced: set[int] = set()
    if generate and candidates and "z" not in pattern:
        guessed, phi = mmse_violations(inst, candidates)
        if guessed:  # round 1 starts from the PLF's first cuts, as if the relaxation were solved
            enforced = set(plf.first_cuts(guessed, phi, perception))
            logger.info("the MMSE scheme exceeds the levels of frame(s) %s: round 1 enforces "
                        "the coupling(s) of %s", sorted(j + 1 for j in guessed),
                        sorted(j + 1 for j in enforced))
    rounds = 0
    while generate and candidates:
        levels = perception.copy()
        levels[[j for j in candidates if j not in enforced]] = math.inf
        relaxed = pattern_of(levels, plf)
        if relaxed == pattern:
            break  # nothing left to relax: the full program, with every fallback
        keep = frozenset(j for j in enforced if relaxed[j] == "p")
        rounds += 1
        logger.info(
            "coupling round %d: %d of %d coupling(s) enforced (frames %s)", rounds,
            len(enforced), len(candidates), sorted(j + 1 for j in enforced) or "none",
        )
        round_inst = inst.with_perception(levels)
        try:
            scheme: Scheme | None = None
            if keep:
                with contextlib.suppress(NoView):  # no view: compile the relaxed program
                    scheme = solve_pattern(round_inst, universe, round_attempts, keep=keep)
            if scheme is None:
                scheme = solve_pattern(round_inst, relaxed, round_attempts)
        except (Infeasible, SolverError):
            logger.info("coupling round %d failed; solving the full program", rounds)
            break
        # exceeded as the certificate counts it (relative to the level's square root)
        effect = perception_effect(scheme.phi, perception, inst)
        violated = {j for j in candidates if effect[j] > ACCURACY}
        if not violated:
            scheme = with_levels(scheme, inst)
            if scheme.accurate:  # every level met: optimal for the full program
                logger.info("coupling round %d: every level met, optimal for the full program",
                            rounds)
                return scheme
            break
        if violated <= enforced:  # only an inaccurate round can leave an enforced level unmet
            break
        # the first couplings are the PLF's choice (PLF-JD: the latest violated frame and the
        # earlier ones whose excess ratio is a record); after that every violated frame's, so
        # there is at most one round more than with every violated frame's from the start
        added = (
            plf.first_cuts(frozenset(violated), scheme.phi, perception) if not enforced else violated
        ) - enforced
        logger.info("coupling round %d: levels exceeded at frame(s) %s; adding the coupling(s) "
                    "of %s", rounds, sorted(j + 1 for j in violated - enforced),
                    sorted(j + 1 for j in added))
        enforced |= added
    logger.info("full program (%d attempt(s) at most)", len(attempts))
    return solve_pattern(inst, pattern, attempts)


def mmse_violations(inst: Instance, candidates: Sequence[int]) -> tuple[frozenset[int], FloatArray]:
    r"""The frames among ``candidates`` whose levels the MMSE scheme exceeds, and that scheme's
    perception values at the frames evaluated (shape (T,), NaN elsewhere: at the other frames, and
    at implied ones when no frame is exceeded; ``perception_effect`` decides "exceeds").

    Without couplings, and while no scalar level binds, the relaxation that coupling generation
    solves first has the MMSE scheme as its optimum: the greedy representation (every
    :math:`q_j` at its maximum, :func:`~rdp_theory.greedy_representation`) at the rates, or in
    the rate form at the least rates meeting the targets (:math:`e_j = \min(D_j^\star, p_j)`),
    decoded by :math:`\hat X_j = E[X_j \mid U_{\le j}] = \sum_{l \le j}
    \operatorname{Cov}(X_j, U_l)\,U_l` (the :math:`U_l` are independent with unit variance,
    :func:`~rdp_theory.scheme.joint_model`). So its perception values, in closed form, tell
    which levels round 1 would find exceeded without solving it. A guess only: a scalar level
    that binds, or distortion caps, move the relaxation's optimum, and the rounds that follow
    add whatever is still exceeded. Non-finite values (covariances that overflow) guess nothing.
    """
    source = inst.source
    try:
        with np.errstate(all="ignore"):
            # the rate form: the least rates meeting the targets (frame-normalised units)
            rates = _least_rates(source, inst.caps / source.variances) if inst.rate_form else inst.rates
            greedy = greedy_representation(source, rates)
            jm = joint_model(source, greedy.p, greedy.q)
            mxhat = np.tril(jm.cov_ux.T) @ jm.mu  # row j: Cov(X_j, U_l) for l <= j, times U_l
            laws = (jm.mx @ jm.mx.T, mxhat @ mxhat.T, mxhat @ jm.mx.T)
            # frames whose level another frame's implies (PLF-JD) cannot be exceeded unless that
            # one is: phi_j <= phi_J and P_j >= P_J. So they are evaluated only then (a constant
            # JD level needs one W2 to find the MMSE scheme within it, not T - 1)
            implied = inst.plf.implied(inst.perception)
            phi = np.full(source.T, math.nan)
            for frames in ([j for j in candidates if j not in implied],
                           [j for j in candidates if j in implied]):
                got = inst.plf.values(*laws, inst.measure, inst.kl_direction, frames=frames)
                phi[frames] = got[frames]
                effect = perception_effect(phi, inst.perception, inst)
                if not np.any(effect[frames] > ACCURACY):
                    break
    except (ArithmeticError, ValueError, np.linalg.LinAlgError):  # a guess never fails a solve
        return frozenset(), np.full(source.T, math.nan)
    done = [j for j in candidates if not math.isnan(phi[j])]
    if not np.all(np.isfinite(phi[done])):
        return frozenset(), phi
    return frozenset(j for j in done if effect[j] > ACCURACY), phi


@lru_cache(maxsize=32)
def _distinct_programs(attempts: tuple[Attempt, ...]) -> tuple[Attempt, ...]:
    """Without a coupling "fast" and "robust" are the same program: run each setting once
    (cached: the attempt lists are a few constant tuples)."""
    unique: list[Attempt] = []
    for attempt in attempts:
        if attempt.form is Form.FAST:
            attempt = replace(attempt, form=Form.ROBUST)
        if attempt not in unique:
            unique.append(attempt)
    return tuple(unique)


def solve_pattern(
    inst: Instance,
    pattern: tuple[str, ...],
    attempts: Sequence[Attempt],
    keep: frozenset[int] | None = None,
) -> Scheme:
    """:func:`solve_weighted` for a given constraint pattern; certified against
    ``inst.perception``.

    ``keep``: solve the view of the program with only these couplings (see ``_backend.View``);
    raises ``NoView`` when there is none (no fast path, or the cut fails its checks).
    """
    source, plf = inst.source, inst.plf
    key = Key(
        T=source.T,
        plf=plf.name,
        representation=inst.representation,
        pattern=pattern,
        capped=tuple(bool(np.isfinite(c)) for c in inst.caps),
        active=tuple(bool(r > 0) for r in inst.rates),
        eliminate=False,
        rate_form=inst.rate_form,
        measure=inst.measure,
    )
    # the two forms differ only in the W2 couplings: without one they are the same program
    if inst.measure == "kl" or not any(c == "p" and not plf.is_scalar(j) for j, c in enumerate(pattern)):
        attempts = _distinct_programs(tuple(attempts))
    wn = inst.weights * source.variances  # D_k = sigma_k^2 D'_k
    scales = {Form.FAST: float(wn.max()), Form.ROBUST: float(wn.max())}
    # a lower bound of the objective: the MSE-only distortions e_k <= D_k
    lower = float(inst.weights @ mmse_distortions(source, inst.rates))
    scales[Form.RESCALED] = lower if math.isfinite(lower) and lower > 0 else scales[Form.ROBUST]

    def prepare(form: Form) -> tuple[Model, dict[str, FloatArray]]:
        model = compiled(replace(key, eliminate=form is Form.FAST))
        values = parameter_values(inst, wn / scales[form])
        if keep is not None and not _backend.has_view(model, values, keep):
            raise NoView
        return model, values

    def certify_run(model: Model, values: Values | None, raw: Raw, attempts: int, form: Form) -> Scheme:
        if inst.rate_form:
            return certify_rate(inst, extract(model, values, inst), raw, attempts)
        return certify(inst, extract(model, values, inst), raw, scales[form], attempts)

    return solve_model(prepare, certify_run, attempts, keep)

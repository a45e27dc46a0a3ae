"""Weighted solves: the two coupling formulations, coupling generation and its views."""

from __future__ import annotations

import functools
import math
import warnings

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import rdp_theory as rt

#: these tests are about the program: every call solves it (method="sdp"), never the exact route
solve_sdp = functools.partial(rt.solve_rdp, method="sdp")
from rdp_theory import convex
from rdp_theory.convex import _backend, _model, _settings, _weighted
from rdp_theory.convex._instance import Instance
from rdp_theory.perception import get_plf
from rdp_theory.testing import CLOSED_FORM_RTOL as REL_TOL
from rdp_theory.testing import gauss_markov_sources, perception_vectors, rate_vectors


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


@pytest.mark.parametrize("plf", ["jd", "sa"])
def test_coupling_formulations_agree(plf: str) -> None:
    """E substituted (first attempt) and E as a variable (fallbacks) are the same program."""
    src = rt.GaussMarkovSource((1.0, 1.5, 0.7, 1.2), (0.9, 0.5, -0.7))
    r, p = np.array([1.0, 0.4, 2.0, 0.8]), np.array([0.2, 0.5, 0.1, 0.3])
    w = np.array([1.0, 0.5, 2.0, 1.0])
    out = {}
    for eliminate in (True, False):
        form = _weighted.Form.FAST if eliminate else _weighted.Form.ROBUST
        attempts = (_weighted.Attempt(_settings.TIGHT, form),)
        inst = Instance(src, r, p, get_plf(plf), "optimal", w, np.full(4, np.inf))
        scheme = _weighted.solve_weighted(inst, attempts)
        assert scheme.worst <= convex.ACCURACY
        out[eliminate] = scheme.primal.D
    np.testing.assert_allclose(out[True], out[False], rtol=REL_TOL)


@settings(max_examples=12)
@given(data=st.data(), plf=st.sampled_from(["jd", "sa"]))
def test_coupling_generation_returns_the_full_programs_optimum(data: st.DataObject, plf: str) -> None:
    """Generating couplings on demand (relaxation first, then the violated frames' couplings)
    gives the full program's optimum, whether the constraints are active or not."""
    src = data.draw(gauss_markov_sources(min_T=2, max_T=5, sigma_range=(0.3, 3.0)))
    rates = np.asarray(data.draw(rate_vectors(src.T, max_rate=4.0, allow_zero=False)))
    perc = np.asarray(data.draw(perception_vectors(src, allow_zero=False, allow_inf=False)))
    w = np.asarray(data.draw(st.lists(st.floats(0.1, 10), min_size=src.T, max_size=src.T)))
    inst = Instance(src, rates, perc, get_plf(plf), "optimal", w, np.full(src.T, np.inf))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rt.SolverWarning)
        a = _weighted.solve_weighted(inst, generate=True)
        b = _weighted.solve_weighted(inst, generate=False)
    scale = float((w * src.variances).max())
    tol = 1e3 * convex.ACCURACY * scale
    assert abs(w @ a.primal.D - w @ b.primal.D) <= tol
    assert np.all(a.phi <= perc + tol)
    assert a.certificate.perception_residual == pytest.approx(max(0.0, float((a.phi - perc).max())))


def test_coupling_generation_skips_the_coupling_only_when_it_is_inactive() -> None:
    """Inactive level: only the relaxed program is compiled. Active level: the full one too,
    and the level binds."""
    src = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    rates = (1.0, 1.0, 1.0)
    mse = solve_sdp(src, rates, math.inf, plf="jd", objective=(1, 1, 1))
    loose = 2.0 * mse.perception_values.max()
    convex.clear_cache()
    sol = solve_sdp(src, rates, loose, plf="jd", objective=(1, 1, 1))
    assert _model.compiled.cache_info().currsize == 1
    np.testing.assert_allclose(sol.distortions, mse.distortions, rtol=REL_TOL)
    tight = 0.25 * mse.perception_values.max()
    sol = solve_sdp(src, rates, tight, plf="jd", objective=(1, 1, 1))
    assert _model.compiled.cache_info().currsize >= 2  # the relaxed and the full program
    assert sol.perception_values[-1] == pytest.approx(tight, rel=1e-5)
    assert sol.objective_value > mse.objective_value * (1 + 1e-3)
    convex.clear_cache()


# Tiny levels (found by benchmarks/stress_tiny_levels.py; SDPA-GMP 256-bit values): the
# relaxation's excess over a level of 1e-8 to 1e-7 of the largest variance was below the old
# absolute tolerance (1e-7 of it), so the coupling was never added and the relaxed optimum came
# back as "optimal", 2.5e-4 (SA) and 3e-5 (JD) below the real one.
_TINY = [
    ("sa", (0.5232171428157636, 1.6030116643098973, 1.7379412727491836, 0.4846470906358945),
     (0.40181745692818915, 0.9199410022022472, 0.32046543209166806),
     (3.2328510693074364, 3.0382776046987314, 2.8724939902124973, 0.3284490810998577),
     (math.inf, 8.811899563114484e-05, 1.1769716498264152e-06, 6.778692306595101e-08),
     0.16138405613864348),
    ("jd", (0.5539674781977386, 1.218323163272037, 1.165480980130356),
     (0.8523738328050308, 0.3539663992654899),
     (1.610379473776543, 1.7342733297276005, 2.149502302758333),
     (2.6646962112804962e-06, 3.1307483873246475e-08, 7.173319543132926e-08),
     0.06145278981258917),
]


@pytest.mark.parametrize(("plf", "sig", "rho", "rates", "perc", "reference"), _TINY)
def test_a_tiny_level_exceeded_by_the_relaxation_gets_its_coupling(
    plf: str, sig: tuple[float, ...], rho: tuple[float, ...], rates: tuple[float, ...],
    perc: tuple[float, ...], reference: float,
) -> None:
    """Generation judges an excess as the certificate does, by its effect on the distortions
    (``_certify.perception_effect``): the result meets every level to 1e-6 of itself and agrees
    with the full program and with the 256-bit value."""
    src = rt.GaussMarkovSource(sig, rho)
    T = src.T
    w = np.zeros(T)
    w[-1] = 1.0
    perc_a = np.asarray(perc)
    sol = solve_sdp(src, rates, perc_a, plf=plf, objective=tuple(w))
    assert sol.status == "optimal"
    fin = np.isfinite(perc_a)
    assert np.all(sol.perception_values[fin] <= perc_a[fin] * (1 + 1e-6))
    inst = Instance(src, np.asarray(rates), perc_a, get_plf(plf), "optimal", w, np.full(T, np.inf))
    full = _weighted.solve_weighted(inst, generate=False)
    assert sol.distortions[-1] == pytest.approx(full.primal.D[-1], rel=1e-8)
    assert sol.distortions[-1] == pytest.approx(reference, rel=1e-7)
    # the relaxation without the couplings misses the reference by far more than that
    relaxed = solve_sdp(src, rates, np.where(np.arange(T) == 0, perc_a, np.inf), plf=plf,
                        objective=tuple(w))
    assert reference - relaxed.distortions[-1] > 1e-6 * reference


@settings(max_examples=10, deadline=None)
@given(data=st.data(), plf=st.sampled_from(["jd", "sa"]), rate_form=st.booleans())
def test_the_mmse_guess_is_the_relaxations_optimum(
    data: st.DataObject, plf: str, rate_form: bool,
) -> None:
    """``mmse_violations`` predicts round 1 without solving it: its perception values, of the
    MMSE scheme in closed form, are those of the program solved without any perception level
    (the weighted objective at random rates, or the rate form at random targets), whose
    certificate evaluates the solver's reconstruction covariance."""
    src = data.draw(gauss_markov_sources(min_T=2, max_T=5, sigma_range=(0.3, 3.0)))
    T = src.T
    inf = np.full(T, np.inf)
    if rate_form:
        frac = np.asarray(data.draw(st.lists(st.floats(0.01, 1.5), min_size=T, max_size=T)))
        # a frame at rate 0 (target above its prior variance) is where the program's optimum is
        # only 1e-6 bits from the boundary, and W2 moves with the square root of the
        # reconstruction's variance there: not a test of the guess
        assume(np.all(rt.minimum_total_rate(src, frac * src.variances).rates > 0.01))
        sol = rt.minimum_total_rate(src, frac * src.variances, np.inf, plf=plf, method="sdp")
        inst = Instance(src, inf, inf, get_plf(plf), "optimal", np.ones(T), frac * src.variances,
                        rate_form=True)
    else:
        rates = np.asarray(data.draw(rate_vectors(T, max_rate=4.0, allow_zero=True)))
        sol = solve_sdp(src, rates, np.inf, plf=plf, objective=np.ones(T))
        inst = Instance(src, rates, inf, get_plf(plf), "optimal", np.ones(T), inf)
    _, phi = _weighted.mmse_violations(inst, range(1, T))
    assert sol.status == "optimal"
    assert np.isnan(phi[0])  # computed only at the candidates asked for
    np.testing.assert_allclose(phi[1:], sol.perception_values[1:], rtol=1e-6,
                               atol=10 * convex.ACCURACY * src.variances.max())
    # levels just under / over those values: exactly the frames below are guessed exceeded
    below = np.where(np.arange(T) % 2 == 1, 0.5 * phi, 2.0 * phi + 1e-3)
    guessed, _ = _weighted.mmse_violations(inst.with_perception(below), range(1, T))
    # a level of half the value is exceeded by 2 (sqrt(phi) - sqrt(phi / 2)) / sqrt(kappa) in the
    # certificate's measure (docs/theory.md 3): past ACCURACY unless phi is ~1e-13 kappa or less
    kappa = float(src.variances.max())
    exceeds = 2.0 * (1.0 - math.sqrt(0.5)) * np.sqrt(phi / kappa) > convex.ACCURACY
    assert guessed == {j for j in range(1, T) if j % 2 == 1 and exceeds[j]}


# SA at T = 5 whose relaxation violates the levels of frames 2 and 5 (found by search): round 2
# is a view with those two couplings, and its solution meets every level.

_SA_ROUNDS = dict(rates=(0.4, 0.9, 2.4, 1.8, 0.5), perception=0.01, plf="sa", objective=np.ones(5))


def _rounds(monkeypatch: pytest.MonkeyPatch) -> list[frozenset[int] | None]:
    """Record the ``keep`` argument of every solve_pattern call (None: a compiled pattern)."""
    log: list[frozenset[int] | None] = []
    real = _weighted.solve_pattern

    def spy(*args: object, **kwargs: object) -> object:
        log.append(kwargs.get("keep", args[3] if len(args) > 3 else None))  # type: ignore[arg-type]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_weighted, "solve_pattern", spy)
    return log


def test_generation_rounds_cut_views_instead_of_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    """A round with some couplings solves a view of the all-couplings program (no new compile)
    and returns the full program's optimum; the view has the shape and cones of the program
    compiled without the cut couplings."""
    from cvxpy.reductions.solvers.conic_solvers.clarabel_conif import dims_to_solver_cones

    src = rt.GaussMarkovSource.stationary(5, 1.0, 0.9)
    convex.clear_cache()
    # compiles the all-couplings program; the relaxation is not solved: the MMSE scheme's
    # perception values (mmse_violations) already name frames 2 and 5
    full = solve_sdp(src, **_SA_ROUNDS)
    log = _rounds(monkeypatch)
    misses = _model.compiled.cache_info().misses
    sol = solve_sdp(src, **_SA_ROUNDS)
    assert log == [frozenset({1, 4})]
    assert _model.compiled.cache_info().misses == misses  # nothing compiled
    np.testing.assert_array_equal(sol.distortions, full.distortions)
    # the other route: without the guess, round 1 solves the relaxation (a compiled pattern),
    # finds the same two frames exceeded and ends on the same view
    monkeypatch.setattr(_weighted, "mmse_violations", lambda *_a: (frozenset(), np.zeros(5)))
    log.clear()
    unguessed = solve_sdp(src, **_SA_ROUNDS)
    assert log == [None, frozenset({1, 4})]
    np.testing.assert_array_equal(unguessed.distortions, full.distortions)
    binding = np.flatnonzero(sol.perception_values >= 0.01 * (1 - 1e-6))
    assert set(binding) <= {0, 1, 4}  # frame 1's scalar constraint is in every round
    ref = _weighted.solve_weighted(Instance(
        src, np.array(_SA_ROUNDS["rates"]), np.full(5, 0.01), get_plf("sa"), "optimal",
        np.ones(5), np.full(5, np.inf),
    ))
    np.testing.assert_allclose(sol.distortions, ref.primal.D, rtol=REL_TOL)
    # the view: the same rows/columns as a program compiled without the cut couplings
    universe = _model.compiled(_model.Key(5, "sa", "optimal", ("p",) * 5, (False,) * 5, (True,) * 5))
    assert universe.fast
    view = universe.fast.view(frozenset({1, 4}))
    assert view is not None
    relaxed = _model.compiled(
        _model.Key(5, "sa", "optimal", ("p", "p", "i", "i", "p"), (False,) * 5, (True,) * 5)
    )
    data, _, _ = relaxed.problem.get_problem_data(cp.CLARABEL)
    assert (view.rows.size, view.cols.size) == data["A"].shape
    compiled = dims_to_solver_cones(data["dims"])
    assert [str(c) for c in view.cones] == [str(c) for c in compiled]
    convex.clear_cache()


def test_a_view_that_fails_its_checks_falls_back_to_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    src = rt.GaussMarkovSource.stationary(5, 1.0, 0.9)
    convex.clear_cache()
    ref = solve_sdp(src, **_SA_ROUNDS)

    def refuse(*_a: object) -> None:
        raise ValueError("simulated layout change")

    convex.clear_cache()
    monkeypatch.setattr(_backend.View, "__init__", refuse)
    log = _rounds(monkeypatch)
    sol = solve_sdp(src, **_SA_ROUNDS)
    # the view round (round 1: the MMSE scheme's guess) is refused, so the same couplings are
    # compiled as their own program
    assert log == [frozenset({1, 4}), None]
    np.testing.assert_allclose(sol.distortions, ref.distortions, rtol=REL_TOL)
    convex.clear_cache()


@pytest.mark.parametrize(("sigmas", "plf", "levels"), [
    ((1.0, 1.0, 1.0), "sa", (math.inf, 1e-300, 1e-300)),
    ((1.0, 2.0, 0.5), "jd", (math.inf, 1e-300, 1e-290)),
])
def test_levels_far_below_the_variance_bind_as_perfect_realism(
    sigmas: tuple[float, ...], plf: str, levels: tuple[float, ...],
) -> None:
    """Levels of 1e-300 of the variance: rows divided by such levels (coefficients up to 1e300)
    failed every Clarabel setting and SCS then ran for minutes (review); divided only down to
    ``_model.ROW_SCALE_FLOOR``, the level binds as P = 0 does, and the solve is immediate."""
    src = rt.GaussMarkovSource(sigmas, (0.9, 0.5) if plf == "sa" else (0.5, 0.5))
    rates = (1.0, 2.0, 1.5)
    zero = tuple(0.0 if math.isfinite(p) else p for p in levels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rt.SolverWarning)
        for objective in ("lexicographic", (0.0, 0.0, 1.0)):
            sol = solve_sdp(src, rates, levels, plf=plf, objective=objective)
            ref = solve_sdp(src, rates, zero, plf=plf, objective=objective)
            frames = slice(None) if objective == "lexicographic" else slice(2, 3)  # weighted ones
            np.testing.assert_allclose((sol.distortions / src.variances)[frames],
                                       (ref.distortions / src.variances)[frames], rtol=1e-6, atol=1e-9)

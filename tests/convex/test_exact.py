"""Checks against exact knowledge (:mod:`rdp_theory.convex._exact`) and the limits of the accepted
range (:mod:`rdp_theory.convex.api`): no wrong number carries status ``optimal``."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import rdp_theory as rt
from rdp_theory.convex._exact import EXACT_ATOL, EXACT_RTOL, exact_distortions
from rdp_theory.convex._instance import Instance
from rdp_theory.convex.api import LEVEL_MAX, RATE_LOSSLESS
from rdp_theory.perception import get_plf


def _solve(*args, **kw):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sol = rt.solve_rdp(*args, **kw)
    return sol, [w for w in caught if issubclass(w.category, rt.SolverWarning)]


def _close(d: np.ndarray, exact: np.ndarray, var: np.ndarray) -> bool:
    return bool(np.all(np.abs(d - exact) <= EXACT_RTOL * np.abs(exact) + EXACT_ATOL * var))


def test_audit_reproducer_is_flagged_not_optimal() -> None:
    """The audit's case: D_1 = 2.45e-10 where the exact 0-PLF-JD value is 2^-32 = 2.328e-10."""
    src = rt.GaussMarkovSource((1.0, 1.0, 1.0), (-0.1585, -0.9999))
    sol, warned = _solve(src, [16, 0, 1], 0.0, method="sdp")
    exact = rt.jd_zero_perception_distortions(src, [16, 0, 1])
    assert _close(sol.distortions, exact, src.variances) or (
        sol.status == "optimal_inaccurate" and warned
    )
    auto, warned = _solve(src, [16, 0, 1], 0.0)  # the exact route: right, certified, unflagged
    assert auto.status == "optimal" and not warned and _close(auto.distortions, exact, src.variances)


@pytest.mark.parametrize("plf", ["jd", "sa", "fmd"])
def test_lossless_rates_never_go_below_the_converse(plf: str) -> None:
    src = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    sol, _ = _solve(src, math.inf, 0.0, plf=plf, method="sdp")
    assert np.all(sol.distortions >= 0.0)
    assert np.all(sol.distortions >= rt.mmse_distortions(src, math.inf))


def test_every_unflagged_closed_form_case_is_exact() -> None:
    """Random cases with a closed form, past the box too (rates to 16 bits, zero-rate frames):
    an ``optimal`` result is within 1e-5 relative (or 1e-12 sigma^2) of the closed form in every
    frame, and never below the MMSE converse."""
    rng = np.random.default_rng(12)
    for _ in range(12):
        T = int(rng.integers(2, 5))
        src = rt.GaussMarkovSource(tuple(rng.uniform(0.3, 3.0, T)), tuple(rng.uniform(-0.99, 0.99, T - 1)))
        rates = rng.choice([0.0, 0.5, 2.0, 8.0, 16.0], size=T)
        plf, P = [("jd", 0.0), ("sa", 0.0), ("fmd", float(rng.uniform(0, 0.5))), ("jd", math.inf)][_ % 4]
        sol, warned = _solve(src, rates, P, plf=plf, method="sdp")
        exact = exact_distortions(Instance(src, rates, np.full(T, P), get_plf(plf), "optimal",
                                           np.zeros(T), np.full(T, np.inf)), lexicographic=True)
        assert exact is not None
        assert np.all(sol.distortions >= rt.mmse_distortions(src, rates))
        if sol.status == "optimal":
            assert _close(sol.distortions, exact, src.variances), (src, rates, plf, P)
        else:
            assert warned


def test_rates_past_the_lossless_threshold_are_solved_as_inf() -> None:
    src = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    huge, _ = _solve(src, (1.0, 1e300, 1.0), 0.1, plf="sa")
    lossless, _ = _solve(src, (1.0, math.inf, 1.0), 0.1, plf="sa")
    assert RATE_LOSSLESS < 1e300
    np.testing.assert_array_equal(huge.distortions, lossless.distortions)


@pytest.mark.parametrize("kw, name", [
    (dict(perception=1e300), "perception"),
    (dict(perception=(0.1, 0.1, 2e6 * 3)), "perception"),
    (dict(perception=0.1, objective=(1, 1, 1), targets=(1.7e308, 1.0, 1.0)), "targets"),
])
def test_huge_finite_levels_are_typed_errors(kw: dict, name: str) -> None:
    src = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    with pytest.raises(rt.InvalidParameterError, match=name):
        rt.solve_rdp(src, 1.0, **kw)


def test_the_largest_accepted_level_gives_the_unconstrained_optimum() -> None:
    src = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    top, _ = _solve(src, 1.0, (0.1, LEVEL_MAX * 2, LEVEL_MAX * 3), plf="fmd")
    assert top.status == "optimal"
    np.testing.assert_allclose(top.distortions, rt.fmd_distortions(src, 1.0, (0.1, math.inf, math.inf)),
                               rtol=1e-7)


def test_solver_messages_never_reach_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    """Native solver output (SCS writes to fd 1, Clarabel panics to fd 2) is silenced, while the
    caller's own prints around a solve still appear."""
    from rdp_theory.convex._backend import _native_stderr_silenced

    print("mine-before", flush=True)
    with _native_stderr_silenced():
        import os

        os.write(1, b"native-out\n")
        os.write(2, b"native-err\n")
    print("mine-after", flush=True)
    out, err = capfd.readouterr()
    assert "native" not in out + err and "mine-before" in out and "mine-after" in out


# ----------------------------------------------------------------------------- the exact route
@pytest.mark.parametrize("plf, P, objective", [
    ("jd", 0.0, "lexicographic"), ("sa", 0.0, "lexicographic"), ("fmd", 0.3, "lexicographic"),
    ("jd", math.inf, "lexicographic"), ("fmd", 0.1, (1.0, 2.0, 0.5)), ("sa", math.inf, (1.0, 1.0, 1.0)),
])
def test_exact_route_agrees_with_the_program(plf: str, P: float, objective) -> None:  # type: ignore[no-untyped-def]
    """The closed-form scheme (certified like a solver's) against the SDP: same distortions to
    1e-5, and the scheme meets its constraints (its certificate, recomputed in THEORY's
    variables, is at round-off)."""
    src = rt.GaussMarkovSource((1.0, 0.6, 1.7), (0.8, -0.5))
    rates = (0.4, 1.5, 0.0)
    exact, warned = _solve(src, rates, P, plf=plf, objective=objective)
    sdp, _ = _solve(src, rates, P, plf=plf, objective=objective, method="sdp")
    assert exact.solver == "closed_form" and exact.status == "optimal" and not warned
    assert sdp.solver != "closed_form"
    assert exact.certificate.primal_residual < 1e-12 and exact.certificate.rate_residual < 1e-12
    np.testing.assert_allclose(exact.distortions, sdp.distortions, rtol=1e-5, atol=1e-9)
    assert np.all(exact.perception_values <= P + 1e-12)


def test_exact_route_is_not_taken_where_no_closed_form_applies() -> None:
    src = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    assert _solve(src, 1.0, 0.1, plf="jd")[0].solver != "closed_form"
    assert _solve(src, 1.0, 0.0, plf="jd", objective=(1, 1, 1))[0].solver != "closed_form"
    # targets that exclude the frame-by-frame optimum: the program decides (and finds them infeasible)
    with pytest.raises(rt.InfeasibleError):
        rt.solve_rdp(src, 1.0, 0.1, plf="fmd", objective=(0, 0, 1), targets=(0.01, math.inf, math.inf))


def test_exact_scheme_simulates_to_its_numbers() -> None:
    """Monte Carlo of the closed-form scheme reproduces its distortions (third route)."""
    src = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    sol = rt.solve_rdp(src, (0.3, 1.0, 2.0), 0.0, plf="sa")
    sim = sol.simulate(40_000, np.random.default_rng(3))
    assert np.all(np.abs(sim.distortions - sol.distortions) <= 4 * sim.distortions_se)


def test_method_is_validated() -> None:
    with pytest.raises(rt.InvalidParameterError, match="method"):
        rt.solve_rdp(rt.GaussMarkovSource.stationary(2), 1.0, 0.0, method="exact")

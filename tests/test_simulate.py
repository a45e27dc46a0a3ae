"""Monte Carlo: a simulated scheme reproduces its solution's D, W2^2 and rates (4 standard errors)."""

from __future__ import annotations

import numpy as np
import pytest

import rdp_theory as rt
from rdp_theory.simulate import joint_model
from rdp_theory.testing import MC_SIGMAS

CASES = [
    ("jd", (1.0, 0.5, 2.0), 0.0, "lexicographic"),
    ("sa", (0.5, 1.0, 1.0), (0.05, 0.1, 0.1), (1.0, 1.0, 1.0)),
    ("fmd", (2.0, 0.3, 1.0), (0.2, 0.0, 0.4), "lexicographic"),
    ("jd", (0.2, 1.5, 0.7), (0.1, 0.05, 0.2), (0.0, 1.0, 2.0)),
]


@pytest.mark.parametrize("plf, rates, perception, objective", CASES)
def test_simulation_reproduces_solution(plf: str, rates, perception, objective) -> None:  # type: ignore[no-untyped-def]
    src = rt.GaussMarkovSource((1.0, 1.3, 0.8), (0.9, -0.6))
    sol = rt.solve_rdp(src, rates, perception, plf=plf, objective=objective)
    sim = sol.simulate(200_000, np.random.default_rng(12345))
    assert np.all(np.abs(sim.distortions - sol.distortions) <= MC_SIGMAS * sim.distortions_se)
    assert np.all(np.abs(sim.perception - sol.perception_values) <= MC_SIGMAS * sim.perception_se + 1e-12)
    assert np.all(np.abs(sim.rates - sol.rates_used) <= MC_SIGMAS * sim.rates_se)
    # the scheme meets its rate budget: I(X_j; U_j | U_<j) <= R_j
    assert np.all(sol.rates_used <= np.asarray(rates) + 1e-6)


def test_representation_model_has_the_stated_law() -> None:
    """U_i independent, unit variance, Cov(X_k, U_i) = A_{k,i} sqrt(q_i) for i <= k (exactly)."""
    src = rt.GaussMarkovSource((1.0, 2.0, 0.5), (0.7, 0.3))
    rep = rt.greedy_representation(src, (1.0, 0.5, 2.0))
    jm = joint_model(src, rep.p, rep.q)
    np.testing.assert_allclose(jm.mu @ jm.mu.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(jm.mx @ jm.mx.T, src.covariance(), atol=1e-12)
    expected = src.transfer * np.sqrt(rep.q)[None, :]
    np.testing.assert_allclose(np.tril(jm.cov_ux.T), expected, atol=1e-12)


def test_simulation_standard_errors_shrink_with_n() -> None:
    src = rt.GaussMarkovSource.stationary(2)
    sol = rt.solve_rdp(src, (1.0, 1.0), 0.0, plf="jd")
    small = sol.simulate(4_000, np.random.default_rng(1))
    large = sol.simulate(64_000, np.random.default_rng(1))
    ratio = small.distortions_se / large.distortions_se
    assert np.all((ratio > 2.5) & (ratio < 6.0))  # sqrt(16) = 4

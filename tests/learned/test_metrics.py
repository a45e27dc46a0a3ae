"""Metrics: Bures W2^2 against POT, perception wiring, bounds, PSNR, temporal consistency."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # the CI box is small and shared

import rdp_theory as rt
from learned.metrics import (
    below_bound,
    db_above,
    distortion_bounds,
    gaussian_fit_w2_squared,
    gaussian_w2_squared,
    perception_gaussian_fit,
    psnr,
    temporal_consistency,
)

pytestmark = pytest.mark.learned

# eigen-decomposition based matrix square roots in float64: agreement to ~1e-9 relative
BURES_RTOL = 1e-7


def _spd(rng: np.random.Generator, d: int) -> np.ndarray:
    A = rng.standard_normal((d, d))
    return A @ A.T + 0.1 * np.eye(d)


@pytest.mark.parametrize("d", [1, 2, 5])
def test_bures_matches_pot(d: int) -> None:
    ot = pytest.importorskip("ot")
    rng = np.random.default_rng(d)
    m1, m2 = rng.standard_normal(d), rng.standard_normal(d)
    S1, S2 = _spd(rng, d), _spd(rng, d)
    ref = float(ot.gaussian.bures_wasserstein_distance(m1, m2, S1, S2)) ** 2
    assert math.isclose(gaussian_w2_squared(m1, S1, m2, S2), ref, rel_tol=BURES_RTOL)


def test_scalar_case_is_mean_and_std_gap() -> None:
    """1-D: W2^2 = (m1 - m2)^2 + (s1 - s2)^2."""
    val = gaussian_w2_squared([0.3], [[4.0]], [-0.2], [[0.25]])
    assert math.isclose(val, 0.5**2 + (2.0 - 0.5) ** 2, rel_tol=BURES_RTOL)


def test_gaussian_fit_of_identical_samples_is_zero() -> None:
    a = np.random.default_rng(0).standard_normal((500, 3))
    assert gaussian_fit_w2_squared(a, a) == pytest.approx(0.0, abs=1e-10)


def test_perception_wiring_on_a_scaled_copy() -> None:
    """x_hat = c * x: every PLF's Gaussian-fit W2^2 has a closed form.
    FMD_j = (1 - c)^2 (Var X_j + (E X_j)^2); JD_j = the sum of those over frames 1..j;
    SA_j: the past is shared exactly, only frame j's conditional scale differs, so SA_j <= JD_j.
    Sample covariances are used on both sides, so the identity is exact up to rounding."""
    src = rt.GaussMarkovSource.stationary(T=3, sigma=1.0, rho=0.8)
    x = src.sample(4000 * 2, np.random.default_rng(1)).reshape(4000, 2, 3).transpose(0, 2, 1)
    c = 0.6
    P = {p: perception_gaussian_fit(x, c * x, p) for p in ("fmd", "jd", "sa")}
    var = np.array(
        [[np.var(x[:, j, i], ddof=1) + x[:, j, i].mean() ** 2 for i in range(2)] for j in range(3)]
    ).mean(1)
    np.testing.assert_allclose(P["fmd"], (1 - c) ** 2 * var, rtol=1e-8)
    np.testing.assert_allclose(P["jd"], (1 - c) ** 2 * np.cumsum(var), rtol=1e-8)
    assert P["sa"][0] == pytest.approx(P["fmd"][0], rel=1e-10)
    assert np.all(P["sa"] <= P["jd"] + 1e-12) and np.all(P["sa"][1:] > 0)


def test_bounds_are_ordered_and_consistent_with_closed_forms() -> None:
    """FMD bound at P=inf is the MMSE bound; JD/SA bounds (solve_rdp) are >= the FMD bound at the
    marginal level implied by the same scheme; 'best' is their maximum."""
    src = rt.GaussMarkovSource.stationary(T=3, sigma=1.0, rho=0.9)
    rates = np.array([1.0, 0.5, 0.5])
    b = distortion_bounds(src, rates, np.full(3, math.inf), "mse")
    np.testing.assert_allclose(b["fmd"], rt.mmse_distortions(src, rates), rtol=1e-12)
    if not hasattr(rt, "solve_rdp"):
        pytest.skip("rdp_theory.solve_rdp not available yet")
    p = np.array([0.05, 0.1, 0.15])
    for plf in ("jd", "sa"):
        bj = distortion_bounds(src, rates, p, plf, p)
        # a JD/SA level P_j implies the FMD level P_j, so the own-PLF bound is at least the FMD one
        assert np.all(bj["plf"] >= bj["fmd"] * (1 - 1e-5))
        np.testing.assert_allclose(bj["best"], np.maximum(bj["fmd"], bj["plf"]))


def test_bound_holds_for_a_simulated_gaussian_test_channel() -> None:
    """A frame coded by the MSE-optimal Gaussian test channel at rate R (backward channel
    X = Xhat + N) and then measured like a learned point must sit on or above its bound
    (within 4 standard errors)."""
    src = rt.GaussMarkovSource.stationary(T=1, sigma=1.0, rho=0.9)
    R = 1.0
    rng = np.random.default_rng(0)
    N = 200000
    e = 2 ** (-2 * R)
    xh = rng.standard_normal((N, 1, 1)) * math.sqrt(1 - e)
    x = xh + rng.standard_normal((N, 1, 1)) * math.sqrt(e)
    err = ((x - xh) ** 2).reshape(N)
    D, se = err.mean(), err.std() / math.sqrt(N)
    P = perception_gaussian_fit(x, xh, "fmd")
    b = distortion_bounds(src, [R], P, "fmd")["best"][0]
    assert D + 4 * se >= b
    assert abs(db_above(D, b)) < 0.05  # and it is on the bound, not far above


def test_psnr_and_temporal_consistency() -> None:
    assert psnr(0.01) == pytest.approx(20.0)
    x = np.random.default_rng(0).random((10, 4, 5, 5))
    assert np.all(temporal_consistency(x, x) == 0)
    frozen = np.repeat(x[:, :1], 4, axis=1)  # a decoder that freezes frame 1
    tc = temporal_consistency(x, frozen)
    np.testing.assert_allclose(tc, (np.diff(x, axis=1) ** 2).mean(axis=(0, 2, 3)))
    assert np.all(tc > 0)


def test_below_bound_flags_only_significant_violations() -> None:
    """The bug detector: flagged iff D + 3 se < bound; NaN bounds are never flagged."""
    bound = np.array([1.0, 1.0, 1.0, np.nan])
    D = np.array([0.5, 0.95, 1.2, 0.1])
    se = np.array([0.1, 0.1, 0.1, 0.1])
    assert below_bound(D, se, bound).tolist() == [True, False, False, False]


def test_a_flagged_plf_bound_is_marked_in_its_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bound from a solve flagged optimal_inaccurate is kept (a flagged number) and says so."""
    import types

    import rdp_theory as rt
    from learned.metrics import distortion_bounds

    real = rt.solve_rdp

    def flagged(*args: object, **kwargs: object) -> object:
        sol = real(*args, **kwargs)  # type: ignore[arg-type]
        return types.SimpleNamespace(distortions=sol.distortions, status="optimal_inaccurate")

    monkeypatch.setattr(rt, "solve_rdp", flagged)
    src = rt.GaussMarkovSource.stationary(T=3, sigma=1.0, rho=0.9)
    b = distortion_bounds(src, [1.0, 1.0, 1.0], [0.01] * 3, "jd", [0.01] * 3)
    assert b["plf_source"].count("optimal_inaccurate") == 3
    assert np.all(np.isfinite(b["plf"]))

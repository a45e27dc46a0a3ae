"""Stationary limits (:mod:`rdp_theory.stationary`): two routes for each.

Route 1: the finite-T closed forms at a long horizon converge to the limit (the recursion is a
contraction with factor rho^2 2^{-2R}, so T = 400 is far past round-off for the rates drawn).
Route 2: the limit is a fixed point of the recursion it claims to solve, checked from its own
value; and the rate form inverts the MSE limit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rdp_theory as rt

RTOL = 1e-10  # both routes are O(1)-operation closed forms in float64

sigmas = st.floats(0.1, 10.0)
rhos = st.floats(-0.95, 0.95)
rates = st.floats(0.05, 6.0)


def _tail(values: np.ndarray) -> float:
    return float(np.asarray(values)[-1])


@settings(max_examples=40, deadline=None)
@given(sigma=sigmas, rho=rhos, rate=rates, level=st.floats(0.0, 2.0))
def test_limits_are_the_long_horizon_closed_forms(sigma: float, rho: float, rate: float, level: float) -> None:
    src = rt.GaussMarkovSource.stationary(400, sigma, rho)
    P = level * sigma**2
    cases = [
        ("fmd", math.inf, rt.mmse_distortions(src, rate)),
        ("fmd", P, rt.fmd_distortions(src, rate, P)),
        ("jd", 0.0, rt.jd_zero_perception_distortions(src, rate)),
        ("sa", 0.0, rt.sa_zero_perception_distortions(src, rate)),
    ]
    for plf, level_, finite in cases:
        limit = rt.stationary_distortion(sigma, rho, rate, level_, plf)
        assert limit == pytest.approx(_tail(finite), rel=RTOL, abs=1e-300), (plf, level_)


@settings(max_examples=40, deadline=None)
@given(sigma=sigmas, rho=rhos, rate=rates)
def test_limits_are_fixed_points(sigma: float, rho: float, rate: float) -> None:
    """From the returned values: e = r (a^2 e + s); JD: delta = a^2 delta + (sqrt s - sqrt q)^2."""
    s, a2, r = sigma**2 * (1 - rho**2), rho**2, 2.0 ** (-2 * rate)
    e = rt.stationary_distortion(sigma, rho, rate)
    assert e == pytest.approx(r * (a2 * e + s), rel=RTOL)
    q = (a2 * e + s) - e
    delta = rt.stationary_distortion(sigma, rho, rate, 0.0, "jd") - e
    assert delta == pytest.approx(a2 * delta + (math.sqrt(s) - math.sqrt(q)) ** 2, rel=1e-8, abs=1e-14 * sigma**2)
    p = a2 * e + s
    assert rt.stationary_distortion(sigma, rho, rate, 0.0, "sa") == pytest.approx(
        2 * p - 2 * math.sqrt(p * q), rel=1e-8)


@settings(max_examples=40, deadline=None)
@given(sigma=sigmas, rho=rhos, rate=st.floats(0.0, 12.0))
def test_rate_form_inverts_the_mse_limit(sigma: float, rho: float, rate: float) -> None:
    d = rt.stationary_distortion(sigma, rho, rate)
    assert rt.stationary_rate(sigma, rho, d) == pytest.approx(rate, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("sigma", "rho", "d"), [
    (1e150, 0.5, 1e-300), (1.0, 0.5, 1e-310), (1e-150, -0.9, 5e-324), (1.0, 0.999999, 1e-200),
])
def test_rate_form_below_the_smallest_normal_double(sigma: float, rho: float, d: float) -> None:
    """D / sigma^2 underflowed: inf instead of 996.37 bits at sigma = 1e150, D = 1e-300 (review,
    2026-11-30). Against 60-digit mpmath."""
    import mpmath

    mpmath.mp.dps = 60
    r2 = mpmath.mpf(rho) ** 2
    ref = mpmath.log(r2 + (1 - r2) * mpmath.mpf(sigma) ** 2 / mpmath.mpf(d), 2) / 2
    assert rt.stationary_rate(sigma, rho, d) == pytest.approx(float(ref), rel=1e-13, abs=0)


def test_rate_form_keeps_full_accuracy_in_the_ordinary_range() -> None:
    """The logs serve only below 2^-500 of the variance: their difference would cost
    eps |log2 sigma^2| (review: 2.3e-11 relative at sigma = 3e-101 against 1e-15), and D = sigma^2
    must give exactly 0 bits at any sigma."""
    import mpmath

    mpmath.mp.dps = 60
    s, rho, d = 2.980750490384638e-101, 0.2922086124094304, 8.857174306373893e-202
    r2 = mpmath.mpf(rho) ** 2
    ref = mpmath.log(r2 + (1 - r2) * mpmath.mpf(s) ** 2 / mpmath.mpf(d), 2) / 2
    assert rt.stationary_rate(s, rho, d) == pytest.approx(float(ref), rel=1e-14, abs=0)
    sig = np.logspace(-100, 100, 2001)
    assert np.all(rt.stationary_rate(sig, 0.5, sig * sig) == 0.0)


@pytest.mark.parametrize(("sigma", "rho", "d"), [
    (1.0, 1 - 1e-15, 0.999), (1.0, 0.5, 1 - 1e-12), (1.0, 0.9999, 0.5), (3.0, 0.3, 9 * (1 - 1e-6)),
    (7.3e-19, -0.9997809243026842, 7.3e-19**2 * (1 - 1e-9)), (1e100, 0.9, 1e200 * (1 - 1e-9)),
])
def test_rate_form_near_the_variance(sigma: float, rho: float, d: float) -> None:
    """Near D = sigma^2 the rate is tiny and 1 + x rounded to 1: 0 bits for 1.4e-18 at
    |rho| = 1 - 1e-15 (a rate that misses its target), 1e-4 relative at D = 1 - 1e-12, 1e-11 at
    sigma = 3 (review, 2026-11-30). Against 80-digit mpmath on the float inputs, with the
    variance the float sigma * sigma (as everywhere in the package)."""
    import mpmath

    mpmath.mp.dps = 80
    r2 = mpmath.mpf(rho) ** 2
    ref = mpmath.log(r2 + (1 - r2) * mpmath.mpf(sigma * sigma) / mpmath.mpf(d), 2) / 2
    got = rt.stationary_rate(sigma, rho, d)
    assert got == pytest.approx(float(ref), rel=1e-14, abs=0)
    assert rt.stationary_distortion(sigma, rho, got) <= d * (1 + 1e-15)  # the target is met


def test_edges_and_the_issue_formula() -> None:
    assert rt.stationary_distortion(1.0, 0.9, 0.0) == pytest.approx(1.0)
    for plf in ("jd", "sa", "fmd"):
        assert rt.stationary_distortion(2.0, 0.9, 0.0, 0.0, plf) == pytest.approx(8.0)
        assert rt.stationary_distortion(2.0, 0.9, math.inf, 0.0, plf) == 0.0
    # the issue's lead: e = s 2^{-2R} / (1 - a^2 2^{-2R}) and R(D) = 1/2 log2(a^2 + s/D)
    s, a2 = 0.19, 0.81
    assert rt.stationary_distortion(1.0, 0.9, 1.0) == pytest.approx(s * 0.25 / (1 - a2 * 0.25), rel=1e-14)
    assert rt.stationary_rate(1.0, 0.9, 0.05) == pytest.approx(0.5 * math.log2(a2 + s / 0.05), rel=1e-14)
    assert rt.stationary_rate(1.0, 0.9, [0.0, 1.0, 5.0]).tolist() == [math.inf, 0.0, 0.0]


def test_broadcasting_and_errors() -> None:
    grid = rt.stationary_distortion(1.0, np.array([[0.5], [0.9]]), np.linspace(0.1, 3, 5), 0.1)
    assert grid.shape == (2, 5) and np.all(np.diff(grid, axis=1) < 0)
    with pytest.raises(rt.InvalidParameterError, match="rho"):
        rt.stationary_distortion(1.0, 1.0, 1.0)
    with pytest.raises(rt.InvalidParameterError, match="perception"):
        rt.stationary_distortion(1.0, 0.5, 1.0, 0.1, "jd")
    with pytest.raises(rt.InvalidParameterError, match="plf"):
        rt.stationary_distortion(1.0, 0.5, 1.0, 0.0, "kl")
    with pytest.raises(rt.InvalidParameterError, match="rate"):
        rt.stationary_distortion(1.0, 0.5, [1.0, -1.0])
    with pytest.raises(rt.InvalidParameterError):
        rt.stationary_distortion(1.0, [0.5, 0.6], [1.0, 2.0, 3.0])


@given(sigma=st.floats(1e-3, 1e3), rho=st.floats(-0.999, 0.999), rate=st.floats(0.0, 16.0))
def test_zero_level_jd_and_fmd_limits_coincide(sigma: float, rho: float, rate: float) -> None:
    """docs/theory.md 4.7: in steady state q = s v (unit variance), so the 0-PLF-JD excess
    delta = (sqrt s - sqrt q)^2 / (1 - a^2) equals 0-PLF-FMD's (1 - sqrt v)^2: error permanence
    fades at a constant rate. Two different formulas, one value."""
    jd = rt.stationary_distortion(sigma, rho, rate, 0.0, plf="jd")
    fmd = rt.stationary_distortion(sigma, rho, rate, 0.0, plf="fmd")
    assert jd == pytest.approx(fmd, rel=1e-12, abs=1e-300)

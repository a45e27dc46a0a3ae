"""Limited or no common randomness (issue 16, part 3; docs/theory.md section 4.10).

Two routes per claim: exact sympy algebra (identities proved symbolically, values at exact
rationals) and a brute-force scipy optimisation over the Gaussian single-letter parameters,
plus the limits R_c = 0 and R_c = inf and the monotonicity that is a theorem.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import brentq, minimize, minimize_scalar

import rdp_theory as rt
from rdp_theory.testing import gauss_markov_sources, perception_vectors, rate_vectors

# Closed forms against each other or against 30-digit sympy values: a handful of float64
# operations without cancellation, so a few tens of ulps (as tests/test_symbolic.py).
CF_TOL = 1e-12
# scipy SLSQP on the single-letter problem: its constraint tolerance (~1e-10 on P) moves the
# optimum by ~sqrt(1e-10 * D) at P = 0, far less at P > 0; 1e-6 relative still separates the
# closed form from any plausible wrong formula (the differences below are > 1e-2).
OPT_RTOL = 1e-6

rates = st.floats(0.0, 12.0)
common = st.one_of(st.just(0.0), st.just(math.inf), st.floats(0.0, 12.0))
levels = st.one_of(st.just(0.0), st.just(math.inf), st.floats(1e-6, 4.0))


# ------------------------------------------------------------------ one frame: algebra (sympy)
def test_perfect_realism_is_wagners_formula_symbolically() -> None:
    """At P = 0, e + Delta = 2 sigma^2 [1 - sqrt((1 - 2^{-2R})(1 - 2^{-2(R + R_c)}))].

    With u = sqrt(1 - b), w = sqrt(1 - b c) (b = 2^{-2R}, c = 2^{-2R_c}) the implemented
    cancellation-free Delta / sigma^2 = b c + b^2 (1 - c)^2 / (u + w)^2 becomes
    (1 - w^2) + (w^2 - u^2)^2 / (u + w)^2, and the identity is a polynomial one."""
    u, w = sp.symbols("u w", positive=True)
    b = 1 - u**2
    bc = 1 - w**2
    delta = bc + (b - bc) ** 2 / (u + w) ** 2
    residual = b + delta - 2 * (1 - u * w)
    assert sp.simplify(residual) == 0


@pytest.mark.parametrize(
    ("rate", "crate", "level"),
    [(Fraction(1, 3), Fraction(1, 2), Fraction(0)), (Fraction(5, 2), Fraction(1, 7), Fraction(0)),
     (Fraction(1), Fraction(0), Fraction(1, 20)), (Fraction(3, 4), Fraction(2), Fraction(1, 100)),
     (Fraction(7), Fraction(3), Fraction(1, 10**5)), (Fraction(1, 50), Fraction(9), Fraction(1, 3))],
)
def test_float_code_matches_30_digit_textbook_form(rate: Fraction, crate: Fraction, level: Fraction) -> None:
    """The float64 code against the textbook (subtracting) form evaluated with 30 digits at the
    same exact rational point, sigma = 3/2."""
    sigma = sp.Rational(3, 2)
    R, Rc, P = (sp.Rational(x.numerator, x.denominator) for x in (rate, crate, level))
    k1 = 1 - 2 ** (-2 * R)
    k2 = 1 - 2 ** (-2 * (R + Rc))
    delta = sigma**2 * ((sp.sqrt(k1) - sp.sqrt(k2)) ** 2 + 2 ** (-2 * (R + Rc)))
    gap = sp.Max(0, sp.sqrt(delta) - sp.sqrt(P))
    exact = sigma**2 * 2 ** (-2 * R) + gap**2
    got = rt.common_randomness_distortion(1.5, float(rate), float(crate), float(level))
    assert got == pytest.approx(float(sp.N(exact, 30)), rel=CF_TOL)


def test_limits_in_sympy() -> None:
    """R_c = 0 at P = 0 gives 2 sigma^2 2^{-2R} (twice the MSE); R_c -> inf gives Delta ->
    (sigma - sqrt(v))^2, i.e. the unlimited-randomness formula of section 4.1."""
    b, c = sp.symbols("b c", positive=True)
    delta = b * (c + b * (1 - c) ** 2 / (sp.sqrt(1 - b) + sp.sqrt(1 - b * c)) ** 2)
    assert sp.simplify(b + delta.subs(c, 1) - 2 * b) == 0
    assert sp.simplify(sp.limit(delta, c, 0) - (1 - sp.sqrt(1 - b)) ** 2) == 0


# ------------------------------------------------------------------ one frame: limits (float)
@given(sigma=st.floats(0.01, 100.0), rate=rates, level=levels)
def test_unlimited_randomness_is_gaussian_rdp(sigma: float, rate: float, level: float) -> None:
    """R_c = inf reproduces rt.gaussian_rdp (a separate implementation) for every P."""
    got = rt.common_randomness_distortion(sigma, rate, math.inf, level)
    assert got == pytest.approx(rt.gaussian_rdp(sigma, rate, level), rel=CF_TOL)


@given(sigma=st.floats(0.01, 100.0), rate=rates, level=levels)
def test_no_randomness_is_the_lead_formula(sigma: float, rate: float, level: float) -> None:
    """R_c = 0: D = e + (sqrt(e) - sqrt(P))_+^2 (issue 16's lead; 2 e at P = 0)."""
    e = sigma**2 * 2.0 ** (-2 * rate)
    want = e + max(0.0, math.sqrt(e) - math.sqrt(level)) ** 2
    assert rt.common_randomness_distortion(sigma, rate, 0.0, level) == pytest.approx(want, rel=CF_TOL)


def test_exact_end_points() -> None:
    """R = 0: nothing is known, 2 sigma^2 at P = 0 whatever R_c; R = inf: 0; P = inf: the MSE."""
    assert rt.common_randomness_distortion(2.0, 0.0, 3.0, 0.0) == pytest.approx(8.0, rel=CF_TOL)
    assert rt.common_randomness_distortion(2.0, math.inf, 0.0, 0.0) == 0.0
    assert rt.common_randomness_distortion(2.0, 1.0, 0.0, math.inf) == pytest.approx(1.0, rel=CF_TOL)


@given(sigma=st.floats(0.01, 100.0), rate=rates, crate=common, level=levels,
       dr=st.floats(0.0, 3.0), dc=st.floats(0.0, 3.0), dp=st.floats(0.0, 1.0))
def test_monotone_and_between_the_extremes(sigma: float, rate: float, crate: float, level: float,
                                           dr: float, dc: float, dp: float) -> None:
    """Theorem (the feasible sets grow): D falls in R, R_c and P; and
    gaussian_rdp = D(R_c = inf) <= D <= D(R_c = 0) <= 2 sigma^2, D >= e."""
    d = rt.common_randomness_distortion(sigma, rate, crate, level)
    tol = 1 + CF_TOL
    assert rt.common_randomness_distortion(sigma, rate + dr, crate, level) <= d * tol
    assert rt.common_randomness_distortion(sigma, rate, crate + dc, level) <= d * tol
    assert rt.common_randomness_distortion(sigma, rate, crate, level + dp) <= d * tol
    assert rt.gaussian_rdp(sigma, rate, level) <= d * tol
    assert d <= rt.common_randomness_distortion(sigma, rate, 0.0, level) * tol <= 2 * sigma**2 * tol**2
    assert d >= sigma**2 * 2.0 ** (-2 * rate) / tol


def test_broadcasting_and_scale() -> None:
    """Scalars in, scalar out; grids broadcast; D scales with sigma^2 (P with it)."""
    assert isinstance(rt.common_randomness_distortion(1.0, 1.0, 0.5), float)
    grid = rt.common_randomness_distortion(1.0, np.linspace(0, 4, 5)[:, None], [0.0, 1.0, math.inf])
    assert grid.shape == (5, 3)
    a = rt.common_randomness_distortion(1.0, 1.3, 0.4, 0.02)
    assert rt.common_randomness_distortion(1e-100, 1.3, 0.4, 0.02e-200) == pytest.approx(a * 1e-200, rel=CF_TOL)


# ------------------------------------------------------------------ one frame: brute force (scipy)
def _single_letter_optimum(rate: float, crate: float, level: float, seed: int = 0) -> float:
    """min E(X - Xhat)^2 over jointly Gaussian X - U - (Y, Xhat), sigma = 1: U of correlation r1
    with X, Y ~ N(0, 1) of correlation r2 with U, Xhat = b U + c Z1 + d Z2 (Z1 the part of Y
    independent of U), s.t. I(X;U) <= R, I(Y;U) <= R + R_c, E(Xhat - Y)^2 <= P (Y is the realism
    sample that Xhat is coupled with). Many SLSQP starts; no closed form is used."""
    k1, k2 = -math.expm1(-2 * rate * math.log(2)), -math.expm1(-2 * (rate + crate) * math.log(2))

    def dist(th: np.ndarray) -> float:
        r1, _, b, c, d = th
        return float(1 + b * b + c * c + d * d - 2 * b * r1)

    def coupling(th: np.ndarray) -> float:
        _, r2, b, c, d = th
        return float(b * b + c * c + d * d + 1 - 2 * (b * r2 + c * math.sqrt(max(1 - r2 * r2, 0.0))))

    cons = [{"type": "ineq", "fun": lambda th: level - coupling(th)},
            {"type": "ineq", "fun": lambda th: k1 - th[0] ** 2},
            {"type": "ineq", "fun": lambda th: k2 - th[1] ** 2}]
    rng = np.random.default_rng(seed)
    best = math.inf
    for _ in range(12):
        x0 = np.concatenate([rng.uniform(0.1, 0.9, 2) * np.sqrt([k1, k2]), rng.normal(size=3)])
        res = minimize(dist, x0, method="SLSQP", constraints=cons, options={"ftol": 1e-15, "maxiter": 500})
        ok = coupling(res.x) <= level + 1e-10 and res.x[0] ** 2 <= k1 + 1e-12 and res.x[1] ** 2 <= k2 + 1e-12
        if res.success and ok:
            best = min(best, float(res.fun))
    return best


@pytest.mark.parametrize(("rate", "crate", "level"),
                         [(1.0, 0.0, 0.0), (1.0, 0.5, 0.0), (0.5, 2.0, 0.0), (1.0, 0.0, 0.05),
                          (1.0, 0.3, 0.02), (2.0, 1.0, 0.001), (0.3, 0.2, 0.3), (3.0, 0.0, 0.01)])
def test_closed_form_is_the_single_letter_gaussian_optimum(rate: float, crate: float, level: float) -> None:
    """The brute-force optimum over Gaussian parameters equals the closed form (so the
    minimisation over the MMSE m, and the choice m = e, are right)."""
    assert _single_letter_optimum(rate, crate, level) == pytest.approx(
        rt.common_randomness_distortion(1.0, rate, crate, level), rel=OPT_RTOL)


def test_channel_synthesis_characterisation_is_a_different_problem() -> None:
    """The brief's single-letter form with I(X, Y; U) <= R + R_c (Cuff's channel synthesis: the
    *joint* law of (X^n, Y^n) must be i.i.d.) gives a strictly larger distortion than Wagner's
    I(Y; U) <= R + R_c, which is what perfect realism needs; at R_c = inf they agree."""
    rate, crate = 1.0, 0.5
    k1, cap = -math.expm1(-2 * rate * math.log(2)), 2.0 ** (2 * (rate + crate))

    def corr_product(a: float) -> float:  # a = r1^2; the largest r2^2 with I(X, Y; U) <= cap
        x = brentq(lambda x: (1 - a * x) - cap * (1 - a) * (1 - x), 0.0, 1.0)
        return math.sqrt(a * x)

    best = minimize_scalar(lambda a: -corr_product(a), bounds=(1e-9, k1), method="bounded",
                           options={"xatol": 1e-12})
    synthesis = 2 * (1 + best.fun)
    wagner = rt.common_randomness_distortion(1.0, rate, crate, 0.0)
    assert synthesis > wagner + 0.05  # 0.4508 against 0.3798


# ------------------------------------------------------------------ T frames, FMD, no randomness
@given(data=st.data())
def test_fmd_no_randomness_bounds_are_ordered(data: st.DataObject) -> None:
    """fmd_distortions (unlimited randomness) <= lower <= upper <= 2 sigma_j^2, and frame 1 is
    exact: lower = upper = the one-frame formula with R_c = 0."""
    src = data.draw(gauss_markov_sources(max_T=5))
    r = data.draw(rate_vectors(src.T, max_rate=10))
    p = data.draw(perception_vectors(src))
    b = rt.fmd_no_common_randomness(src, r, p)
    tol = 1 + CF_TOL
    assert (rt.fmd_distortions(src, r, p) <= b.lower * tol).all()
    assert (b.lower <= b.upper * tol).all()
    assert (b.upper <= 2 * src.variances * tol).all()
    one = rt.common_randomness_distortion(src.sigmas[0], r[0], 0.0, p[0])
    assert b.lower[0] == pytest.approx(one, rel=CF_TOL) and b.upper[0] == pytest.approx(one, rel=CF_TOL)


@given(data=st.data())
def test_fmd_no_randomness_bounds_from_the_greedy_representation(data: st.DataObject) -> None:
    """Both bounds recomputed from rt.greedy_representation with the textbook (subtracting)
    forms: upper = e + (sqrt e - sqrt P)_+^2, lower with
    Delta = (sqrt v - sigma sqrt(1 - 2^{-2S}))^2 + sigma^2 2^{-2S}, S the cumulative rate
    (moderate rates, so the subtraction keeps 1e-9)."""
    src = data.draw(gauss_markov_sources(max_T=5))
    r = data.draw(rate_vectors(src.T, max_rate=4))
    p = data.draw(perception_vectors(src, allow_inf=False))
    rep = rt.greedy_representation(src, r)
    s_cum = np.cumsum(r)
    delta = (np.sqrt(rep.v) - src.sigma * np.sqrt(1 - 2.0 ** (-2 * s_cum))) ** 2 + src.variances * 2.0 ** (-2 * s_cum)
    lower = rep.e + np.maximum(np.sqrt(delta) - np.sqrt(p), 0.0) ** 2
    upper = rep.e + np.maximum(np.sqrt(rep.e) - np.sqrt(p), 0.0) ** 2
    b = rt.fmd_no_common_randomness(src, r, p)
    scale = src.variances
    np.testing.assert_allclose(b.upper / scale, upper / scale, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b.lower / scale, lower / scale, rtol=1e-9, atol=1e-9)


@given(sigma=st.floats(0.1, 10.0), r1=st.floats(0.0, 6.0), r2=st.floats(0.0, 6.0), level=levels)
def test_independent_frames_use_the_past_messages_as_randomness(
    sigma: float, r1: float, r2: float, level: float
) -> None:
    """rho_1 = 0: frame 1's message is independent of X_2 and known to encoder 2, i.e. R_1 bits
    of common randomness for frame 2; the lower bound is then attained (the one-frame formula
    with R_c = R_1), and it is below the lead (upper) whenever R_1, R_2 > 0 and P is small."""
    src = rt.GaussMarkovSource((1.0, sigma), (0.0,))
    b = rt.fmd_no_common_randomness(src, (r1, r2), level)
    attained = rt.common_randomness_distortion(sigma, r2, r1, level)
    assert b.lower[1] == pytest.approx(attained, rel=CF_TOL)


def test_the_lead_is_not_optimal_from_frame_two() -> None:
    """A concrete instance of the previous test: at P = 0 the lead 2 e_2 exceeds an achievable
    value by more than 20%."""
    src = rt.GaussMarkovSource((1.0, 1.0), (0.0,))
    b = rt.fmd_no_common_randomness(src, (2.0, 1.0), 0.0)
    assert b.upper[1] == pytest.approx(0.5, rel=CF_TOL)  # 2 e_2 = 2 * 2^{-2}
    assert b.lower[1] == pytest.approx(rt.common_randomness_distortion(1.0, 1.0, 2.0), rel=CF_TOL)
    assert b.lower[1] < 0.8 * b.upper[1]


def test_fmd_bounds_shapes_and_scale() -> None:
    src = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    grid = np.random.default_rng(1).uniform(0, 4, size=(6, 3))
    b = rt.fmd_no_common_randomness(src, grid, np.array([0.0, 0.1])[:, None, None])
    assert b.lower.shape == b.upper.shape == (2, 6, 3)
    big = rt.fmd_no_common_randomness(src.scaled(1e80), grid[0], 0.1e160)
    small = rt.fmd_no_common_randomness(src, grid[0], 0.1)
    np.testing.assert_allclose(big.lower, small.lower * 1e160, rtol=CF_TOL)
    np.testing.assert_allclose(big.upper, small.upper * 1e160, rtol=CF_TOL)


def test_bad_arguments_name_themselves() -> None:
    with pytest.raises(rt.InvalidParameterError, match="common_rate"):
        rt.common_randomness_distortion(1.0, 1.0, -0.5)
    with pytest.raises(rt.InvalidParameterError, match="perception"):
        rt.common_randomness_distortion(1.0, 1.0, 0.0, math.nan)
    with pytest.raises(rt.InvalidParameterError, match="rates"):
        rt.fmd_no_common_randomness(rt.GaussMarkovSource.stationary(2), (1.0, 1.0, 1.0), 0.0)


@pytest.mark.parametrize("r2", [1e-300, 1e-40, 1e-30, 1e-12, 1e-3])
def test_no_randomness_bounds_stay_ordered_at_tiny_rates(r2: float) -> None:
    """Review find: at R_2 -> 0 the lower bound divided a rounding error (e - 2^{-2S}, both
    near 1) by (sqrt(keep) + sqrt(v))^2 ~ 1e-300 and came out 1e267 above the upper bound."""
    src = rt.GaussMarkovSource((1.0, 1.0), (0.30000000000000016,))
    b = rt.fmd_no_common_randomness(src, (0.0, r2), 0.0)
    fmd = rt.fmd_distortions(src, (0.0, r2), 0.0)
    assert np.all(fmd <= b.lower * (1 + 1e-12)) and np.all(b.lower <= b.upper * (1 + 1e-12))
    assert np.all(b.upper <= 2.0 * src.variances * (1 + 1e-12))

"""KL divergence as the perception measure: closed forms (issue 16, part 4; docs/theory.md 4.11).

Routes: the Lambert W interval against mpmath at 50 digits; the one-frame and FMD closed forms
against a brute-force scipy optimisation over jointly Gaussian schemes, against a cvxpy
exponential-cone program (the convex form the solver would use), and against the W2 closed forms
at the equivalent W2 level; convexity statements in sympy and on random matrices.
"""

from __future__ import annotations

import math

import cvxpy as cp
import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

import rdp_theory as rt
from rdp_theory.testing import gauss_markov_sources, rate_vectors

# Closed forms against each other or against 50-digit mpmath values: a few tens of ulps.
CF_TOL = 1e-12
# scipy SLSQP / Clarabel on a smooth one-frame problem: both stop at ~1e-9 relative.
OPT_RTOL = 1e-7

DIRECTIONS = ("xhat||x", "x||xhat")
levels = st.one_of(st.just(0.0), st.just(math.inf), st.floats(1e-30, 1e3))


def _kl(t: float, direction: str) -> float:
    """KL between N(0, t) and N(0, 1) in the given order, nats."""
    return 0.5 * (t - 1 - math.log(t)) if direction == "xhat||x" else 0.5 * (1 / t - 1 + math.log(t))


# ------------------------------------------------------------------ the Lambert W interval
@pytest.mark.parametrize("level", [1e-300, 1e-40, 1e-12, 1e-6, 0.004, 0.005, 0.1, 0.25, 0.3, 1.0,
                                   5.0, 30.0, 299.0, 301.0, 1e4, 1e12])
def test_interval_matches_mpmath_lambert_w(level: float) -> None:
    """t_-, t_+ = -W_{0,-1}(-exp(-1 - 2P)) computed by mpmath with enough digits for the
    branch point; the deviations from 1 are compared too (where t itself rounds to 1)."""
    with mpmath.workdps(50 + int(-math.log10(level)) if level < 1 else 50):
        z = -mpmath.exp(-1 - 2 * mpmath.mpf(level))
        lo, hi = -mpmath.lambertw(z, 0), -mpmath.lambertw(z, -1)
        b = rt.kl_variance_bounds(level)
        assert b.low == pytest.approx(float(lo), rel=CF_TOL, abs=1e-300)
        assert b.high == pytest.approx(float(hi), rel=CF_TOL)
        r = rt.kl_variance_bounds(level, "x||xhat")
        assert r.low == pytest.approx(float(1 / hi), rel=CF_TOL)
        assert r.high == pytest.approx(float(1 / lo), rel=CF_TOL) if lo > 1e-300 else r.high == math.inf


@given(level=st.floats(1e-8, 300.0))
def test_the_ends_have_kl_equal_to_the_level(level: float) -> None:
    """Residual check in each direction: KL at both ends equals P, and inside it is below."""
    for direction in DIRECTIONS:
        b = rt.kl_variance_bounds(level, direction)
        for t in (b.low, b.high):
            if 1e-300 < t < math.inf:
                assert _kl(t, direction) == pytest.approx(level, rel=1e-9, abs=1e-15)
        assert _kl(math.sqrt(b.low * b.high) if b.low > 0 else 1.0, direction) <= level * (1 + 1e-12)


def test_interval_end_points() -> None:
    """P = 0: the interval is {1}; P = inf: [0, inf]; small P: 1 -+ 2 sqrt(P) + O(P)."""
    for direction in DIRECTIONS:
        assert tuple(rt.kl_variance_bounds(0.0, direction)) == (1.0, 1.0)
        assert tuple(rt.kl_variance_bounds(math.inf, direction)) == (0.0, math.inf)
        b = rt.kl_variance_bounds(1e-12, direction)
        assert b.low == pytest.approx(1 - 2e-6, abs=1e-11) and b.high == pytest.approx(1 + 2e-6, abs=1e-11)


# ------------------------------------------------------------------ convexity (which order is convex)
def test_one_dimensional_curvature_in_sympy() -> None:
    """d^2/dt^2 of KL(N(0,t) || N(0,1)) = 1/(2 t^2) > 0 (convex); of KL(N(0,1) || N(0,t)) it is
    (2 - t)/(2 t^3), negative beyond t = 2 (not convex, only quasi-convex: sublevel sets are
    intervals, which is why FMD is convex in both orders)."""
    t = sp.symbols("t", positive=True)
    f = (t - 1 - sp.log(t)) / 2
    g = (1 / t - 1 + sp.log(t)) / 2
    assert sp.simplify(sp.diff(f, t, 2) - 1 / (2 * t**2)) == 0
    assert sp.simplify(sp.diff(g, t, 2) - (2 - t) / (2 * t**3)) == 0
    assert sp.solve(sp.Eq(sp.diff(g, t, 2), 0), t) == [2]


def _kl_matrix(k_first: np.ndarray, k_second: np.ndarray) -> float:
    d = k_first.shape[0]
    m = np.linalg.solve(k_second, k_first)
    return 0.5 * (np.trace(m) - d - np.linalg.slogdet(m)[1])


def test_reconstruction_first_order_is_convex_in_the_covariance(rng: np.random.Generator) -> None:
    """KL(N(0, S) || N(0, Sigma)) = (tr Sigma^{-1} S - d - log det Sigma^{-1} S)/2: midpoint
    convexity in S on random positive definite matrices (trace linear, -log det convex)."""
    for _ in range(200):
        d = int(rng.integers(1, 5))
        a, b, c = (m @ m.T + 1e-3 * np.eye(d) for m in rng.normal(size=(3, d, d)))
        lhs = _kl_matrix((a + b) / 2, c)
        assert lhs <= (_kl_matrix(a, c) + _kl_matrix(b, c)) / 2 + 1e-12 * (1 + abs(lhs))


def test_source_first_order_has_non_convex_sublevel_sets() -> None:
    """KL(N(0, I) || N(0, S)) <= P is not a convex set for d = 2: diag(3, 10) and diag(10, 3)
    meet the level, their midpoint diag(6.5, 6.5) does not. So JD under this order is not a
    convex constraint, while KL(N(0, S) || N(0, Sigma)) <= P is."""
    eye = np.eye(2)
    a, b = np.diag([3.0, 10.0]), np.diag([10.0, 3.0])
    level = _kl_matrix(eye, a)
    assert _kl_matrix(eye, b) == pytest.approx(level, rel=1e-14)
    assert _kl_matrix(eye, (a + b) / 2) > level + 0.1


def test_kl_is_not_jointly_convex_in_both_covariances() -> None:
    """(a, b) -> KL(N(0, a) || N(0, b)) has an indefinite Hessian at (1, 3): with both laws
    varying (SA compares two laws that both depend on the decoder) neither order is convex."""
    a, b = sp.symbols("a b", positive=True)
    kl = (a / b - 1 - sp.log(a / b)) / 2
    hess = sp.hessian(kl, (a, b)).subs({a: 1, b: 3})
    assert hess.det() < 0


def test_jd_constraint_in_the_convex_order_is_dpp() -> None:
    """The form the solver integration would use: tr(Sigma^{-1} S) - log det S <= c(P), with
    P a Parameter, is DCP and DPP (exponential and PSD cones)."""
    sigma = np.array([[1.0, 0.9], [0.9, 1.0]])
    s = cp.Variable((2, 2), PSD=True)
    level = cp.Parameter(nonneg=True)
    bound = 2 * level + 2 + np.linalg.slogdet(sigma)[1]
    prob = cp.Problem(cp.Minimize(cp.trace(s)),
                      [cp.trace(np.linalg.inv(sigma) @ s) - cp.log_det(s) <= bound])
    assert prob.is_dcp(dpp=True)


# ------------------------------------------------------------------ one frame: three routes
def _jointly_gaussian_optimum(rate: float, level: float, direction: str, seed: int = 0) -> float:
    """Brute force, sigma = 1: U with corr r1 to X (r1^2 <= 1 - 2^{-2R}), Xhat = b U + d Z,
    minimise E(X - Xhat)^2 s.t. KL(variance b^2 + d^2) <= P (SLSQP, many starts)."""
    k1 = -math.expm1(-2 * rate * math.log(2))
    cons = [{"type": "ineq", "fun": lambda th: level - _kl(max(th[1] ** 2 + th[2] ** 2, 1e-300), direction)},
            {"type": "ineq", "fun": lambda th: k1 - th[0] ** 2}]
    rng = np.random.default_rng(seed)
    best = math.inf
    for _ in range(10):
        x0 = np.array([rng.uniform(0, 1) * math.sqrt(k1), rng.uniform(0.3, 1), rng.uniform(0.1, 0.5)])
        res = minimize(lambda th: 1 + th[1] ** 2 + th[2] ** 2 - 2 * th[1] * th[0], x0, method="SLSQP",
                       constraints=cons, options={"ftol": 1e-15, "maxiter": 500})
        if res.success and res.x[0] ** 2 <= k1 + 1e-12:
            best = min(best, float(res.fun))
    return best


@pytest.mark.parametrize(("rate", "level"), [(1.0, 0.01), (0.5, 0.1), (2.0, 0.001), (0.1, 1.0), (3.0, 1e-4)])
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_one_frame_against_brute_force(rate: float, level: float, direction: str) -> None:
    assert _jointly_gaussian_optimum(rate, level, direction) == pytest.approx(
        rt.gaussian_rdp_kl(1.0, rate, level, direction), rel=OPT_RTOL)


@pytest.mark.parametrize(("rate", "level"), [(1.0, 0.01), (0.3, 0.2), (2.5, 1e-3)])
def test_one_frame_against_the_exponential_cone_program(rate: float, level: float) -> None:
    """THEORY's one-frame program with the KL constraint in the convex order:
    min sigma^2 + S - 2h s.t. [[S, h], [h, q]] PSD (q greedy), S - 1 - log S <= 2P (sigma = 1)."""
    q = -math.expm1(-2 * rate * math.log(2))
    s, h = cp.Variable(), cp.Variable()
    cons = [cp.bmat([[cp.reshape(s, (1, 1), order="F"), cp.reshape(h, (1, 1), order="F")],
                     [cp.reshape(h, (1, 1), order="F"), np.array([[q]])]]) >> 0,
            s - 1 - cp.log(s) <= 2 * level]
    prob = cp.Problem(cp.Minimize(1 + s - 2 * h), cons)
    prob.solve(solver=cp.CLARABEL)
    assert prob.value == pytest.approx(rt.gaussian_rdp_kl(1.0, rate, level), rel=OPT_RTOL)


@given(sigma=st.floats(0.01, 100.0), rate=st.floats(0.0, 15.0), level=levels,
       direction=st.sampled_from(DIRECTIONS))
def test_one_frame_is_the_w2_formula_at_the_equivalent_level(
    sigma: float, rate: float, level: float, direction: str
) -> None:
    """Both closed forms clip the reconstruction's standard deviation from below, so KL level P
    and W2^2 level sigma^2 (1 - sqrt(t_low))^2 give the same D (rt.gaussian_rdp is a separate
    implementation)."""
    low = rt.kl_variance_bounds(level, direction).low
    w2_level = sigma**2 * (1 - math.sqrt(low)) ** 2
    assert rt.gaussian_rdp_kl(sigma, rate, level, direction) == pytest.approx(
        rt.gaussian_rdp(sigma, rate, w2_level), rel=1e-10)


def test_one_frame_limits() -> None:
    """P = 0 is perfect realism (2 sigma^2 (1 - sqrt(1 - 2^{-2R}))), P = inf the MSE, R = 0 with
    P = 0 gives 2 sigma^2, R = inf gives 0."""
    for direction in DIRECTIONS:
        assert rt.gaussian_rdp_kl(2.0, 1.0, 0.0, direction) == pytest.approx(8 * (1 - math.sqrt(0.75)), rel=CF_TOL)
        assert rt.gaussian_rdp_kl(2.0, 1.0, math.inf, direction) == pytest.approx(1.0, rel=CF_TOL)
        assert rt.gaussian_rdp_kl(2.0, 0.0, 0.0, direction) == pytest.approx(8.0, rel=CF_TOL)
        assert rt.gaussian_rdp_kl(2.0, math.inf, 0.3, direction) == 0.0


@given(sigma=st.floats(0.01, 100.0), rate=st.floats(0.0, 15.0), level=levels,
       dr=st.floats(0.0, 3.0), dp=st.floats(0.0, 2.0), direction=st.sampled_from(DIRECTIONS))
def test_one_frame_monotone_and_bounded(sigma: float, rate: float, level: float, dr: float,
                                        dp: float, direction: str) -> None:
    """Theorem (feasible sets grow): D falls in R and P; e <= D <= D(P = 0) <= 2 e."""
    d = rt.gaussian_rdp_kl(sigma, rate, level, direction)
    e = sigma**2 * 2.0 ** (-2 * rate)
    tol = 1 + CF_TOL
    assert rt.gaussian_rdp_kl(sigma, rate + dr, level, direction) <= d * tol
    assert rt.gaussian_rdp_kl(sigma, rate, level + dp, direction) <= d * tol
    assert e <= d * tol and d <= rt.gaussian_rdp_kl(sigma, rate, 0.0, direction) * tol <= 2 * e * tol**2


def test_gaussian_reconstructions_are_not_optimal_in_the_source_first_order() -> None:
    """R = 0, P = 5 nats, KL(P_X || P_Xhat): Xhat = 0 w.p. 1 - eps and ~ N(0, sigma^2) w.p. eps
    has KL = log(1/eps) (dP_X/dP_Xhat = 1/eps off the atom) and E Xhat^2 = eps sigma^2, so
    D = sigma^2 (1 + e^{-P}); the best Gaussian reconstruction costs sigma^2 (1 + 1/t_+) > that."""
    level = 5.0
    mixture = 1.0 + math.exp(-level)
    assert rt.gaussian_rdp_kl(1.0, 0.0, level, "x||xhat") > mixture + 0.05


# ------------------------------------------------------------------ T frames, FMD
@given(data=st.data(), direction=st.sampled_from(DIRECTIONS))
def test_fmd_is_the_w2_fmd_formula_at_the_equivalent_levels(data: st.DataObject, direction: str) -> None:
    """Per frame, KL level P_j = W2^2 level sigma_j^2 (1 - sqrt(t_low(P_j)))^2 for
    rt.fmd_distortions (the per-frame rescaling argument of section 4.3 is the same)."""
    src = data.draw(gauss_markov_sources(max_T=5))
    r = data.draw(rate_vectors(src.T, max_rate=10))
    p = np.asarray(data.draw(st.lists(st.one_of(st.just(0.0), st.floats(1e-9, 50.0)), min_size=src.T,
                                      max_size=src.T)))
    low = np.asarray(rt.kl_variance_bounds(p, direction).low)
    w2 = src.variances * (1 - np.sqrt(low)) ** 2
    np.testing.assert_allclose(rt.fmd_distortions_kl(src, r, p, direction),
                               rt.fmd_distortions(src, r, w2), rtol=1e-10)


@given(data=st.data(), direction=st.sampled_from(DIRECTIONS))
def test_fmd_frame_one_and_order(data: st.DataObject, direction: str) -> None:
    """Frame 1 is the one-frame formula; MSE <= FMD-KL <= 2 sigma_j^2; more nats never cost."""
    src = data.draw(gauss_markov_sources(max_T=5))
    r = data.draw(rate_vectors(src.T, max_rate=10))
    p = data.draw(st.floats(0.0, 10.0))
    d = rt.fmd_distortions_kl(src, r, p, direction)
    tol = 1 + CF_TOL
    assert d[0] == pytest.approx(rt.gaussian_rdp_kl(src.sigmas[0], r[0], p, direction), rel=CF_TOL)
    assert (rt.mmse_distortions(src, r) <= d * tol).all() and (d <= 2 * src.variances * tol).all()
    assert (rt.fmd_distortions_kl(src, r, p + 0.5, direction) <= d * tol).all()


def test_fmd_shapes_and_errors() -> None:
    src = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    d = rt.fmd_distortions_kl(src, np.ones((4, 3)), np.array([0.0, 0.1])[:, None, None])
    assert d.shape == (2, 4, 3)
    assert isinstance(rt.gaussian_rdp_kl(1.0, 1.0, 0.1), float)
    with pytest.raises(rt.InvalidParameterError, match="direction"):
        rt.gaussian_rdp_kl(1.0, 1.0, 0.1, "forward")
    with pytest.raises(rt.InvalidParameterError, match="perception"):
        rt.kl_variance_bounds(-1.0)


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_a_law_singular_after_a_zero_rate_frame_has_infinite_kl(data: st.DataObject) -> None:
    """MSE only, a zero-rate frame z > 0: the estimate of frame z is a linear function of the
    earlier ones, so the joint law of frames 1..k, k >= z, is singular and its KL is infinite.
    Computed from a covariance with round-off, the smallest eigenvalue is ~1e-16 instead of 0:
    it must read as singular (it read as a finite 17-19 nats before kl.SINGULAR_RTOL)."""
    src = data.draw(gauss_markov_sources(min_T=2, max_T=5))
    rates = np.asarray(data.draw(rate_vectors(src.T, allow_zero=False)))
    z = data.draw(st.integers(1, src.T - 1))
    rates[z] = 0.0
    sol = rt.solve_rdp(src, rates, np.inf, plf="jd", perception_measure="kl")
    assert np.all(np.isinf(sol.perception_values[z:]))
    assert np.all(np.isfinite(sol.perception_values[:z]))


def test_a_near_singular_law_keeps_its_finite_kl() -> None:
    """Near the largest level the solver accepts (9.86 nats) the KL is resolved: a law whose
    smallest eigenvalue against the reference is 5e-9 gives the high-precision value."""
    from rdp_theory.kl import _kl_unchecked

    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    ref = np.array([[1.0, 0.9, 0.81, 0.729], [0.9, 1.0, 0.9, 0.81], [0.81, 0.9, 1.0, 0.9],
                    [0.729, 0.81, 0.9, 1.0]])
    low = np.linalg.cholesky(ref)
    lam = np.array([5e-9, 0.5, 1.2, 2.0])
    rec = low @ q @ np.diag(lam) @ q.T @ low.T
    mpmath.mp.dps = 40
    exact = 0.5 * sum(mpmath.mpf(x) - 1 - mpmath.log(mpmath.mpf(x)) for x in lam)
    assert _kl_unchecked(ref, rec) == pytest.approx(float(exact), rel=1e-7)
    assert 9.0 < float(exact) < 9.86


@pytest.mark.parametrize("rho, T, P", [(0.99999, 3, 9.8), (0.99999, 5, 8.5), (0.9999, 10, 9.5)])
def test_feasible_laws_at_strong_correlation_keep_their_kl(rho: float, T: int, P: float) -> None:
    """|rho| near 1 makes the reference ill-conditioned, so the round-off bound on lambda_min
    grows (7e-8 at rho = 0.99999, T = 10); it must not call a law singular that meets an accepted
    level (lambda_min >= exp(-1 - 2P) >= 1e-9): kl.SINGULAR_CAP. Zero rates: the optimum binds
    every frame at P, certified, and the certificate's KL values are the level."""
    src = rt.GaussMarkovSource.stationary(T, 1.0, rho)
    sol = rt.solve_rdp(src, np.zeros(T), P, plf="jd", perception_measure="kl")
    assert sol.status == "optimal"
    assert np.all(np.isfinite(sol.perception_values))
    np.testing.assert_allclose(sol.perception_values, P, rtol=1e-6)

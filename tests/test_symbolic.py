"""Symbolic derivations (rdp_theory.symbolic) versus the float64 closed forms (rdp_theory.closed_form).

Two kinds of test:

* proofs: a sympy residual that must simplify to exactly 0 (or a derivative with a known sign);
* cross-validation: the symbolic expression evaluated at an exact rational point with 30 digits,
  against the float64 function at the same point.

Inputs are generated as floats and handed to sympy through ``symbolic.exact``, which converts a
float to the exact binary rational it stores, so both sides see *identical* inputs and the only
difference is float64 round-off in the closed forms.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.linalg import sqrtm

from rdp_theory import closed_form as cf
from rdp_theory import symbolic as S
from rdp_theory.source import GaussMarkovSource

# One named tolerance for every float-vs-exact comparison. The closed forms are short chains of
# float64 operations (a few per frame, T <= 4) written without catastrophic cancellation, so
# each result is within a few tens of ulps (2**-52 ~ 2.2e-16) of the exact value: ~1e-14.
# 1e-12 keeps a 100x margin for that, yet is tight enough to catch a formula error or a
# cancellation of more than ~4 digits (the textbook single-frame formula at 20 bits fails it,
# see test_tolerance_detects_cancellation).
REL_TOL = 1e-12
DIGITS = 30

# Hypothesis: sympy is slow, so few examples; no deadline (first sympy calls are slow).
FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_close(numeric: float, exact_value: sp.Expr) -> None:
    """|numeric - exact| <= REL_TOL |exact| (exact zero must be reproduced exactly)."""
    x = S.evaluate(exact_value, digits=DIGITS)
    if x == 0:
        assert numeric == 0.0, f"expected exact 0, got {numeric!r}"
        return
    rel = abs((sp.Float(numeric, DIGITS) - x) / x)
    assert rel <= REL_TOL, f"numeric {numeric!r} vs exact {x} (relative error {float(rel):.3e})"


def is_zero(expr: sp.Expr) -> bool:
    """Exact proof that ``expr`` vanishes identically (expansion or sympy's simplifier)."""
    return sp.expand(expr) == 0 or sp.simplify(expr) == 0


# --------------------------------------------------------------------------- strategies
def fractions_as_floats(
    lo: int | Fraction, hi: int | Fraction, den: int = 16
) -> st.SearchStrategy[float]:
    return st.fractions(min_value=lo, max_value=hi, max_denominator=den).map(float)


sigmas_st = fractions_as_floats(Fraction(1, 4), 4)
rhos_st = fractions_as_floats(Fraction(-19, 20), Fraction(19, 20), den=20)
perception_st = st.one_of(st.just(0.0), fractions_as_floats(0, 4), st.just(math.inf))


@st.composite
def sources(draw: st.DrawFn, max_T: int = 3) -> tuple[list[float], list[float]]:
    """(sigmas, rhos) of a Gauss-Markov source with 1 <= T <= max_T and rational parameters."""
    T = draw(st.integers(1, max_T))
    return draw(st.lists(sigmas_st, min_size=T, max_size=T)), draw(
        st.lists(rhos_st, min_size=T - 1, max_size=T - 1)
    )


def rates_st(max_rate: int) -> st.SearchStrategy[float]:
    return st.one_of(st.just(0.0), fractions_as_floats(0, max_rate))


# =========================================================================== symbolic proofs
def test_single_frame_derivation_case_analysis() -> None:
    """f(s) = sigma^2 + s^2 - 2 s sqrt(v) is strictly convex with the single stationary point
    sqrt(v) <= sigma, so its minimum over [sigma - sqrt P, sigma + sqrt P] is at
    max(sqrt v, sigma - sqrt P)."""
    sigma, R, P = sp.symbols("sigma R P", positive=True)
    der = S.derive_single_frame(sigma, R, P)
    e = sigma**2 * sp.Integer(2) ** (-2 * R)
    assert der.curvature == 2
    assert len(der.stationary_points) == 1
    assert is_zero(der.stationary_points[0] - sp.sqrt(sigma**2 - e))
    # sqrt(v) <= sigma: sigma^2 - v = e >= 0 (so the upper end of the interval never binds)
    assert is_zero(sigma**2 - der.stationary_points[0] ** 2 - e)
    assert der.lower == sigma - sp.sqrt(P) and der.upper == sigma + sp.sqrt(P)
    assert der.s_opt == sp.Max(der.stationary_points[0], der.lower)
    assert is_zero(der.distortion - der.objective.subs(der.s, der.s_opt))


def test_cancellation_free_identity() -> None:
    """sigma^2 + s^2 - 2 s sqrt(v) at s = sigma - sqrt(P) equals e + (e/(sigma + sqrt v) - sqrt P)^2."""
    assert is_zero(S.single_frame_identity_residual())


def test_zero_perception_closed_form() -> None:
    """D(R, 0) = 2 sigma^2 (1 - sqrt(1 - 2^{-2R}))."""
    assert is_zero(S.zero_perception_residual())


def test_w2_one_dimensional() -> None:
    """W2^2(N(0, s1^2), N(0, s2^2)) = (s1 - s2)^2, both from the trace formula and from the
    coupling LMI (largest admissible cross-covariance c = s1 s2)."""
    s1, s2 = sp.symbols("s1 s2", positive=True)
    assert is_zero(S.w2_squared_1d(s1, s2) - (s1 - s2) ** 2)
    assert is_zero(S.w2_squared_coupling_1d(s1, s2) - (s1 - s2) ** 2)


@pytest.mark.parametrize(
    "K1, K2",
    [
        ([[2, 1], [1, 3]], [[1, 0], [0, 1]]),
        ([[1, Fraction(9, 10)], [Fraction(9, 10), 1]], [[4, -1], [-1, 1]]),
        ([[2, 1, 0], [1, 2, 1], [0, 1, 2]], [[1, 0, 0], [0, 2, 0], [0, 0, 3]]),
    ],
)
def test_gaussian_w2_against_matrix_square_root(K1: list, K2: list) -> None:
    """tr K1 + tr K2 - 2 tr (K1^{1/2} K2 K1^{1/2})^{1/2} computed by scipy.linalg.sqrtm."""
    k1 = np.array(K1, dtype=float)
    k2 = np.array(K2, dtype=float)
    r1 = sqrtm(k1)
    numeric = float(np.trace(k1) + np.trace(k2) - 2 * np.trace(sqrtm(r1 @ k2 @ r1)).real)
    exact_value = S.gaussian_w2_squared(
        sp.Matrix(K1).applyfunc(S.exact), sp.Matrix(K2).applyfunc(S.exact)
    )
    # sqrtm is accurate to ~1e-13 relative here, so a looser check than REL_TOL is honest.
    assert abs(numeric - float(S.evaluate(exact_value))) <= 1e-10 * max(1.0, abs(numeric))


T3 = 3
SIG = sp.symbols("sigma1:4", positive=True)
RHO = sp.symbols("rho1:3", real=True)
Q = sp.symbols("q1:4", nonnegative=True)


def _recursive_p(q: tuple[sp.Expr, ...]) -> list[sp.Expr]:
    a = [RHO[j] * SIG[j + 1] / SIG[j] for j in range(T3 - 1)]
    s = [SIG[j + 1] ** 2 * (1 - RHO[j] ** 2) for j in range(T3 - 1)]
    p = [SIG[0] ** 2]
    for j in range(1, T3):
        p.append(a[j - 1] ** 2 * (p[j - 1] - q[j - 1]) + s[j - 1])
    return p


def test_source_covariance_from_recursion() -> None:
    """X_{j+1} = a_j X_j + N_j gives Var X_j = sigma_j^2 and corr(X_j, X_{j+1}) = rho_j."""
    cov = S.source_covariance(SIG, RHO)
    for j in range(T3):
        assert is_zero(cov[j, j] - SIG[j] ** 2)
    for j in range(T3 - 1):
        assert is_zero(cov[j, j + 1] - RHO[j] * SIG[j] * SIG[j + 1])


def test_mse_recursion_from_innovation_model() -> None:
    """Var(X_k | U_<k) by Schur complement of the innovation model equals the recursion
    p_{k+1} = a_k^2 (p_k - q_k) + s_k, for arbitrary (not only greedy) q."""
    from_model = S.prior_variances_from_model(SIG, RHO, Q)
    for x, y in zip(from_model, _recursive_p(Q)):
        assert is_zero(x - y)


def test_greedy_q_minimises_every_prior_variance() -> None:
    """dp_k/dq_i = -A_{k,i}^2 <= 0 (i < k): a larger q anywhere lowers every later p, hence every
    later e_k >= 2^{-2R_k} p_k; so q at its maximum minimises all e_k at once."""
    A = S.transfer_matrix(SIG, RHO)
    p = S.prior_variances_from_model(SIG, RHO, Q)
    for k in range(T3):
        for i in range(k):
            assert is_zero(sp.diff(p[k], Q[i]) + A[k, i] ** 2)


def test_jd_decoder_matches_source_law() -> None:
    """Cov(Xhat) = G G^T equals the source covariance: the 0-PLF-JD decoder is law-matching."""
    G = S.jd_zero_perception_decoder(SIG, RHO)
    assert (G * G.T - S.source_covariance(SIG, RHO)).applyfunc(sp.simplify) == sp.zeros(T3, T3)


def test_jd_distortion_equals_theory_recursion_and_excess() -> None:
    """From the innovation model, D_j = 2 sigma_j^2 - 2 c_j with c_j = a^2 c_{j-1} + sqrt(s q_j)
    (THEORY.md section 4), and D_j = e_j + sum_i A_{j,i}^2 (sqrt s_{i-1} - sqrt q_i)^2, for any q."""
    D = S.jd_zero_perception_distortions_given_q(SIG, RHO, Q)
    delta = S.jd_zero_perception_excess(SIG, RHO, Q)
    p = _recursive_p(Q)
    a = [RHO[j] * SIG[j + 1] / SIG[j] for j in range(T3 - 1)]
    s = [SIG[j + 1] ** 2 * (1 - RHO[j] ** 2) for j in range(T3 - 1)]
    c = [SIG[0] * sp.sqrt(Q[0])]
    for j in range(1, T3):
        c.append(a[j - 1] ** 2 * c[j - 1] + sp.sqrt(s[j - 1] * Q[j]))
    for j in range(T3):
        assert is_zero(D[j] - (2 * SIG[j] ** 2 - 2 * c[j]))
        assert is_zero(D[j] - (p[j] - Q[j]) - delta[j])


def test_jd_excess_factor_two_ingredients() -> None:
    """(i) s_{j-1} - q_j = e_j - a_{j-1}^2 e_{j-1} for the greedy q (e_0 := 0, s_0 := sigma_1^2);
    (ii) (sqrt x - sqrt y)^2 = |x - y| - 2 sqrt(min) |sqrt x - sqrt y| <= |x - y|;
    (iii) sum_i A_{j,i}^2 (e_i - a_{i-1}^2 e_{i-1}) telescopes to e_j."""
    R = sp.symbols("R1:4", nonnegative=True)
    rep = S.mse_recursion(SIG, RHO, R)
    a = [RHO[j] * SIG[j + 1] / SIG[j] for j in range(T3 - 1)]
    s_prev = [SIG[0] ** 2] + [SIG[j + 1] ** 2 * (1 - RHO[j] ** 2) for j in range(T3 - 1)]
    diff = [rep.e[0]] + [rep.e[j] - a[j - 1] ** 2 * rep.e[j - 1] for j in range(1, T3)]
    A = S.transfer_matrix(SIG, RHO)
    for j in range(T3):
        assert is_zero(s_prev[j] - rep.q[j] - diff[j])
        assert is_zero(sum(A[j, i] ** 2 * diff[i] for i in range(j + 1)) - rep.e[j])
    x, y = sp.symbols("x y", positive=True)
    # case x >= y: (x - y) - (sqrt x - sqrt y)^2 = 2 sqrt(y) (sqrt x - sqrt y) >= 0
    assert is_zero(
        (x - y) - (sp.sqrt(x) - sp.sqrt(y)) ** 2 - 2 * sp.sqrt(y) * (sp.sqrt(x) - sp.sqrt(y))
    )


def test_error_permanence_limits() -> None:
    """T = 2, R_1 -> 0, R_2 -> oo: 0-PLF-JD D_2 -> 2 sigma_2^2 (1 - sqrt(1 - rho^2)) > 0
    (whatever sigma_1), while 0-PLF-FMD D_2 -> 0."""
    sigma2, rho = sp.Symbol("sigma_2", positive=True), sp.Symbol("rho", positive=True)
    jd = S.error_permanence_limit(sigma2, rho)
    assert is_zero(jd - 2 * sigma2**2 * (1 - sp.sqrt(1 - rho**2)))
    assert S.fmd_error_permanence_limit(sigma2, rho) == 0


# =========================================================================== cross-validation
@pytest.mark.parametrize("sigma", [1.0, 0.25, 3.0])
@pytest.mark.parametrize("rate", [0.0, 0.0625, 1.0 / 3.0, 1.0, 8.0, 40.0, math.inf])
@pytest.mark.parametrize("perception", [0.0, 0.01, 0.25, 2.0, math.inf])
def test_gaussian_rdp_matches_symbolic(sigma: float, rate: float, perception: float) -> None:
    """closed_form.gaussian_rdp == derived D(R, P) at exact points (rates 0 .. 40 bits and oo)."""
    assert_close(
        cf.gaussian_rdp(sigma, rate, perception), S.single_frame_distortion(sigma, rate, perception)
    )


def test_tolerance_detects_cancellation() -> None:
    """The textbook form sigma^2 + s^2 - 2 s sqrt(v) in float64 at ~20 bits misses REL_TOL: the
    tolerance is tight enough to see the cancellation that closed_form avoids."""
    sigma, rate = 0.7, 20.3  # (powers of two would make the naive form exact by luck)
    e = sigma**2 * 2.0 ** (-2 * rate)
    naive = 2 * sigma**2 - 2 * sigma * math.sqrt(sigma**2 - e)
    with pytest.raises(AssertionError):
        assert_close(naive, S.single_frame_distortion(sigma, rate, 0.0))


SOURCES = [
    ((1.0,), ()),
    ((1.0, 1.0), (0.9,)),
    ((1.0, 2.0, 0.5), (0.5, -0.75)),
    ((1.5, 1.0, 1.0, 0.75), (0.95, 0.3, -0.6)),
]
RATE_VECTORS = [0.0, 0.5, 3.0, 10.0, math.inf]


def _rates(T: int, r: float) -> list[float]:
    return [r] * T


@pytest.mark.parametrize("sigmas, rhos", SOURCES)
@pytest.mark.parametrize("rate", RATE_VECTORS)
def test_greedy_representation_matches_symbolic(sigmas: tuple, rhos: tuple, rate: float) -> None:
    """p, q, e of closed_form.greedy_representation == symbolic recursion."""
    src = GaussMarkovSource(sigmas, rhos)
    rep = cf.greedy_representation(src, _rates(src.T, rate))
    sym = S.mse_recursion(sigmas, rhos, _rates(src.T, rate))
    for j in range(src.T):
        assert_close(float(rep.p[j]), sym.p[j])
        assert_close(float(rep.e[j]), sym.e[j])
        assert_close(float(rep.q[j]), sym.q[j])


@pytest.mark.parametrize("sigmas, rhos", SOURCES)
@pytest.mark.parametrize("rate", RATE_VECTORS)
@pytest.mark.parametrize("perception", [0.0, 0.04, math.inf])
def test_fmd_matches_symbolic(sigmas: tuple, rhos: tuple, rate: float, perception: float) -> None:
    """closed_form.fmd_distortions == symbolic per-frame formula on the greedy e_j."""
    src = GaussMarkovSource(sigmas, rhos)
    num = cf.fmd_distortions(src, _rates(src.T, rate), perception)
    sym = S.fmd_distortions(sigmas, rhos, _rates(src.T, rate), perception)
    for j in range(src.T):
        assert_close(float(num[j]), sym[j])


@pytest.mark.parametrize("sigmas, rhos", SOURCES)
@pytest.mark.parametrize(
    "rate_pattern",
    [(0.0,), (0.5,), (3.0,), (10.0,), (math.inf,), (0.0, 4.0), (4.0, 0.0), (1.0, math.inf)],
)
def test_jd_matches_symbolic(sigmas: tuple, rhos: tuple, rate_pattern: tuple) -> None:
    """closed_form.jd_zero_perception_distortions == decoder distortions derived from the model."""
    src = GaussMarkovSource(sigmas, rhos)
    rates = [rate_pattern[j % len(rate_pattern)] for j in range(src.T)]
    num = cf.jd_zero_perception_distortions(src, rates)
    sym = S.jd_zero_perception_distortions(sigmas, rhos, rates)
    for j in range(src.T):
        assert_close(float(num[j]), sym[j])


def test_fmd_zero_rate_prefix() -> None:
    """0-PLF-FMD with all rates 0: D_2 must equal 2 sigma_2^2 within REL_TOL."""
    sigmas, rhos = (0.25, 1.25), (8 / 17,)
    num = cf.fmd_distortions(GaussMarkovSource(sigmas, rhos), [0.0, 0.0], 0.0)
    sym = S.fmd_distortions(sigmas, rhos, [0.0, 0.0], 0.0)
    assert_close(float(num[1]), sym[1])


def test_jd_ill_conditioned_rates() -> None:
    """0-PLF-JD at R = (20, 40): numeric must match the exact value within REL_TOL."""
    src = GaussMarkovSource((1.0, 1.0), (0.9,))
    num = cf.jd_zero_perception_distortions(src, [20.0, 40.0])
    sym = S.jd_zero_perception_distortions((1.0, 1.0), (0.9,), [20.0, 40.0])
    assert_close(float(num[1]), sym[1])


@pytest.mark.parametrize("sigmas, rhos", [((1.0, 2.0), (0.6,)), ((1.0, 0.5, 3.0), (0.9, -0.4))])
def test_error_permanence_numeric(sigmas: tuple, rhos: tuple) -> None:
    """closed_form.error_permanence_limit(frame=j) == 2 sigma_j^2 (1 - sqrt(1 - rho_{j-1}^2)), the
    symbolic limit (T = 2) / the exact JD value at R = (0, .., 0, oo) (T = 3; only the last
    correlation rho_{j-1} enters, not a product of correlations)."""
    src = GaussMarkovSource(sigmas, rhos)
    T = src.T
    if T == 2:
        expected = S.error_permanence_limit(sigmas[1], rhos[0], sigma1=sigmas[0])
    else:
        expected = S.jd_zero_perception_distortions(sigmas, rhos, [0] * (T - 1) + [sp.oo])[T - 1]
    assert is_zero(
        expected - 2 * S.exact(sigmas[-1]) ** 2 * (1 - sp.sqrt(1 - S.exact(rhos[-1]) ** 2))
    )
    assert_close(cf.error_permanence_limit(src, frame=T), expected)


def test_lexicographic_jd_not_monotone_in_rate() -> None:
    """THEORY section 5 counterexample, exactly: sigma = 1, rho = 0.9, R = (0.05, R_2, 3); the
    lexicographic 0-PLF-JD D_3 is larger at R_2 = 5 than at R_2 = 1/2."""
    d3 = [
        S.evaluate(
            S.jd_zero_perception_distortions(
                (1, 1, 1), (sp.Rational(9, 10),) * 2, (sp.Rational(1, 20), r2, 3)
            )[2]
        )
        for r2 in (sp.Rational(1, 2), 5)
    ]
    assert d3[1] > d3[0]


# =========================================================================== random exact points
@FAST
@given(sigma=sigmas_st, rate=rates_st(16), perception=perception_st)
def test_gaussian_rdp_random(sigma: float, rate: float, perception: float) -> None:
    """Theorem: D(R,P) of one Gaussian frame = the derived minimum, at random rational points."""
    assert_close(
        cf.gaussian_rdp(sigma, rate, perception), S.single_frame_distortion(sigma, rate, perception)
    )


@FAST
@given(src=sources(), data=st.data())
def test_fmd_random(src: tuple[list[float], list[float]], data: st.DataObject) -> None:
    """Theorem: PLF-FMD distortions = per-frame single-frame formula on the greedy MMSE e_j
    (all frames, zero-rate prefixes included, since v_j is computed as a sum of squares)."""
    sigmas, rhos = src
    T = len(sigmas)
    rates = data.draw(st.lists(rates_st(16), min_size=T, max_size=T))
    perc = data.draw(st.lists(perception_st, min_size=T, max_size=T))
    num = cf.fmd_distortions(GaussMarkovSource(tuple(sigmas), tuple(rhos)), rates, perc)
    sym = S.fmd_distortions(sigmas, rhos, rates, perc)
    for j in range(T):
        assert_close(float(num[j]), sym[j])


@FAST
@given(src=sources(), data=st.data())
def test_jd_random(src: tuple[list[float], list[float]], data: st.DataObject) -> None:
    """Theorem: 0-PLF-JD lexicographic distortions = law-matching decoder on the greedy q, over
    the full 0-16 bit range (the sum-of-squares recursion D_j = e_j + delta_j has no
    cancellation; see test_jd_ill_conditioned_rates)."""
    sigmas, rhos = src
    T = len(sigmas)
    rates = data.draw(st.lists(rates_st(16), min_size=T, max_size=T))
    num = cf.jd_zero_perception_distortions(GaussMarkovSource(tuple(sigmas), tuple(rhos)), rates)
    sym = S.jd_zero_perception_distortions(sigmas, rhos, rates)
    for j in range(T):
        assert_close(float(num[j]), sym[j])


@FAST
@given(src=sources(), data=st.data())
def test_jd_factor_two_bound_random(
    src: tuple[list[float], list[float]], data: st.DataObject
) -> None:
    """Theorem (docs/theory.md, Universality (d)): for the greedy representation and the 0-PLF-JD
    decoder, e_j <= D_j <= 2 e_j + 2 sum_i A_{j,i}^2 max(0, a_{i-1}^2 e_{i-1} - e_i), evaluated
    exactly (no float round-off involved)."""
    sigmas, rhos = src
    T = len(sigmas)
    rates = data.draw(st.lists(rates_st(8), min_size=T, max_size=T))
    rep = S.mse_recursion(sigmas, rhos, rates)
    D = S.jd_zero_perception_distortions(sigmas, rhos, rates)
    A = S.transfer_matrix(sigmas, rhos)
    a = [A[j + 1, j] for j in range(T - 1)]
    for j in range(T):
        slack = sum(
            (
                A[j, i] ** 2 * sp.Max(0, a[i - 1] ** 2 * rep.e[i - 1] - rep.e[i])
                for i in range(1, j + 1)
            ),
            sp.Integer(0),
        )
        d, e, bound = (S.evaluate(x) for x in (D[j], rep.e[j], 2 * rep.e[j] + 2 * slack))
        margin = sp.Float(10) ** (5 - DIGITS) * max(abs(d), sp.Float(1e-300))  # evalf precision
        assert e <= d + margin
        assert d <= bound + margin

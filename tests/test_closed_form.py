"""Closed forms: THEORY.md section 4 formulas, limits, broadcasting and monotonicity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rdp_theory as rt
from rdp_theory.testing import gauss_markov_sources, rate_vectors

# Closed forms against each other / textbook forms: float64 round-off of a handful of operations.
CF_TOL = 1e-12


@given(sigma=st.floats(0.1, 10), rate=st.floats(0, 12))
def test_zero_perception_single_frame_formula(sigma: float, rate: float) -> None:
    """P = 0: D = 2 sigma^2 (1 - sqrt(1 - 2^{-2R})) (evaluated stably as 2 sigma^2 x/(1+sqrt(1-x)),
    with 1 - x = -expm1(-2R ln 2): the subtraction 1 - x loses ~|log10(R)| digits at tiny R)."""
    x = 2.0 ** (-2 * rate)
    ref = 2 * sigma**2 * x / (1 + math.sqrt(-math.expm1(-2 * rate * math.log(2))))
    assert rt.gaussian_rdp(sigma, rate, 0.0) == pytest.approx(ref, rel=CF_TOL)


@given(sigma=st.floats(0.1, 10), rate=st.floats(0, 12), p=st.floats(0, 100))
def test_single_frame_between_mse_and_zero_perception(sigma: float, rate: float, p: float) -> None:
    """e <= D(R, P) <= D(R, 0) <= 2 e (the last: 2(1 - sqrt(1-x)) <= 2x)."""
    e = sigma**2 * 2.0 ** (-2 * rate)
    d = rt.gaussian_rdp(sigma, rate, p)
    d0 = rt.gaussian_rdp(sigma, rate, 0.0)
    assert e * (1 - CF_TOL) <= d <= d0 * (1 + CF_TOL) <= 2 * e * (1 + CF_TOL)


@given(sigma=st.floats(0.1, 10), rate=st.floats(0, 8), p=st.floats(1e-6, 100))
def test_single_frame_matches_textbook_form_where_it_is_accurate(sigma: float, rate: float, p: float) -> None:
    """The cancellation-free evaluation equals sigma^2 + s^2 - 2 s sqrt(v); the textbook form
    loses ~|log10 D/sigma^2| digits, so compare with an absolute tolerance on sigma^2."""
    e = sigma**2 * 2.0 ** (-2 * rate)
    v = sigma**2 - e
    s = max(math.sqrt(v), sigma - math.sqrt(p))
    textbook = sigma**2 + s * s - 2 * s * math.sqrt(v)
    assert rt.gaussian_rdp(sigma, rate, p) == pytest.approx(textbook, abs=1e-12 * sigma**2)


def test_limits_of_single_frame() -> None:
    assert rt.gaussian_rdp(2.0, 0.0, 0.0) == pytest.approx(8.0)  # independent copy: 2 sigma^2
    assert rt.gaussian_rdp(2.0, 0.0, math.inf) == pytest.approx(4.0)  # output 0
    assert rt.gaussian_rdp(2.0, math.inf, 0.0) == 0.0
    assert rt.gaussian_rdp(2.0, 1.0, math.inf) == pytest.approx(1.0)


def test_broadcasting_scalars_in_scalars_out() -> None:
    assert isinstance(rt.gaussian_rdp(1.0, 1.0, 0.0), float)
    out = rt.gaussian_rdp(np.array([1.0, 2.0])[:, None], np.linspace(0, 4, 5), 0.0)
    assert out.shape == (2, 5)
    src = rt.GaussMarkovSource.stationary(3)
    grid = np.random.default_rng(0).uniform(0, 4, size=(7, 3))
    d = rt.fmd_distortions(src, grid, 0.1)
    assert d.shape == (7, 3)
    np.testing.assert_allclose(d[2], rt.fmd_distortions(src, grid[2], 0.1), rtol=0)
    assert rt.mmse_distortions(src, 1.0).shape == (3,)
    assert isinstance(rt.operational_rates(1.0), float)


@given(data=st.data())
def test_mse_recursion_from_its_definition(data: st.DataObject) -> None:
    """e_j = p_j 2^{-2R_j}, p_{j+1} = a_j^2 e_j + s_j, and v_j = sigma_j^2 - e_j."""
    src = data.draw(gauss_markov_sources(max_T=5))
    r = data.draw(rate_vectors(src.T, max_rate=6))
    rep = rt.greedy_representation(src, r)
    p = src.variances[0]
    for j in range(src.T):
        e = p * 2.0 ** (-2 * r[j])
        assert rep.e[j] == pytest.approx(e, rel=1e-12)
        assert rep.v[j] == pytest.approx(src.variances[j] - e, rel=1e-9, abs=1e-12 * src.variances[j])
        if j + 1 < src.T:
            p = src.a[j] ** 2 * e + src.innovation_variances[j]


@given(data=st.data())
def test_jd_closed_form_equals_theory_recursion(data: st.DataObject) -> None:
    """The stable D_j = e_j + delta_j equals THEORY's D_j = 2 sigma_j^2 - 2 c_j (moderate rates,
    where the literal form has no cancellation problem)."""
    src = data.draw(gauss_markov_sources(max_T=5))
    r = data.draw(rate_vectors(src.T, max_rate=3))
    q = rt.greedy_representation(src, r).q
    c = [src.sigma[0] * math.sqrt(q[0])]
    for j in range(1, src.T):
        c.append(src.a[j - 1] ** 2 * c[-1] + math.sqrt(src.innovation_variances[j - 1] * q[j]))
    literal = 2 * src.variances - 2 * np.array(c)
    np.testing.assert_allclose(rt.jd_zero_perception_distortions(src, r), literal, rtol=1e-9, atol=1e-12 * src.variances.max())


@given(data=st.data())
def test_closed_forms_monotone_in_rates_and_perception(data: st.DataObject) -> None:
    """More rate or more perception slack never increases an MSE/FMD distortion (theorem: the
    feasible sets grow and FMD is simultaneously optimal)."""
    src = data.draw(gauss_markov_sources(max_T=4))
    r = data.draw(rate_vectors(src.T, max_rate=5))
    p = np.asarray(data.draw(st.lists(st.floats(0, 5), min_size=src.T, max_size=src.T)))
    k = data.draw(st.integers(0, src.T - 1))
    r2, p2 = r.copy(), p.copy()
    r2[k] += 0.5
    p2[k] += 0.5
    for a, b in ((rt.fmd_distortions(src, r, p), rt.fmd_distortions(src, r2, p)),
                 (rt.fmd_distortions(src, r, p), rt.fmd_distortions(src, r, p2)),
                 (rt.mmse_distortions(src, r), rt.mmse_distortions(src, r2))):
        assert np.all(b <= a * (1 + CF_TOL))


def test_operational_rates() -> None:
    np.testing.assert_allclose(rt.operational_rates([0.0, 1.0, 3.0]), [5.0, 7.0, 10.0])
    assert rt.operational_rates(math.inf) == math.inf


# --- issue 12 item 4: computed in units of sigma_j, every accepted sigma works -----------------
SCALE_TOL = 1e-12  # a few float64 roundings on each side of the comparison


def _direct_fmd_jd(src: rt.GaussMarkovSource, r: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """THEORY.md section 4 in absolute units (a_j, s_j, sigma_j^2), cancellation-free forms."""
    T = src.T
    e, v, q = np.empty(T), np.empty(T), np.empty(T)
    p = src.variances[0]
    for j in range(T):
        if j:
            p = src.a[j - 1] ** 2 * e[j - 1] + src.innovation_variances[j - 1]
        e[j] = p * 2.0 ** (-2 * r[j])
        q[j] = p * -math.expm1(-2 * r[j] * math.log(2))
        v[j] = q[j] + (src.a[j - 1] ** 2 * v[j - 1] if j else 0.0)
    gap = np.maximum(e / (src.sigma + np.sqrt(v)) - np.sqrt(P), 0.0)
    delta = np.empty(T)
    delta[0] = (e[0] / (src.sigma[0] + math.sqrt(q[0]))) ** 2
    for j in range(1, T):
        a2 = src.a[j - 1] ** 2
        diff = (e[j] - a2 * e[j - 1]) / (math.sqrt(src.innovation_variances[j - 1]) + math.sqrt(q[j]))
        delta[j] = a2 * delta[j - 1] + diff**2
    return e, e + gap**2, e + delta


@given(data=st.data())
def test_normalised_computation_equals_direct_formulas(data: st.DataObject) -> None:
    """Route 1: at moderate sigma the per-frame normalised evaluation equals the direct one."""
    src = data.draw(gauss_markov_sources(max_T=5))
    r = data.draw(rate_vectors(src.T, max_rate=6))
    P = np.asarray(data.draw(st.lists(st.floats(0, 5), min_size=src.T, max_size=src.T)))
    e, fmd, jd = _direct_fmd_jd(src, r, P)
    np.testing.assert_allclose(rt.mmse_distortions(src, r), e, rtol=SCALE_TOL)
    np.testing.assert_allclose(rt.fmd_distortions(src, r, P), fmd, rtol=SCALE_TOL, atol=1e-300)
    np.testing.assert_allclose(rt.jd_zero_perception_distortions(src, r), jd, rtol=1e-10)
    for j in range(src.T):
        assert rt.gaussian_rdp(src.sigma[j], r[j], P[j]) == pytest.approx(
            float(_direct_fmd_jd(rt.GaussMarkovSource((src.sigma[j],), ()), r[j:j + 1], P[j:j + 1])[1][0]),
            rel=SCALE_TOL)


@given(data=st.data(), log_c=st.lists(st.floats(-149, 149), min_size=5, max_size=5))
def test_scale_covariance_per_frame_at_extreme_scales(data: st.DataObject, log_c: list[float]) -> None:
    """Route 2: multiplying frame j by c_j (and P_j by c_j^2) multiplies D_j by c_j^2, frame by
    frame, for c_j up to 1e+-149 (ratios sigma_{j+1}/sigma_j up to ~1e298)."""
    src = data.draw(gauss_markov_sources(max_T=5, sigma_range=(0.5, 2.0)))
    c = 10.0 ** np.asarray(log_c[: src.T])
    big = rt.GaussMarkovSource(tuple(src.sigma * c), src.rhos)
    r = data.draw(rate_vectors(src.T, max_rate=10, allow_inf=True))
    P = np.asarray(data.draw(st.lists(st.floats(0, 5), min_size=src.T, max_size=src.T)))
    c2 = c * c
    for got, ref in (
        (rt.mmse_distortions(big, r), rt.mmse_distortions(src, r) * c2),
        (rt.fmd_distortions(big, r, P * c2), rt.fmd_distortions(src, r, P) * c2),
        (rt.jd_zero_perception_distortions(big, r), rt.jd_zero_perception_distortions(src, r) * c2),
        (rt.gaussian_rdp(big.sigma, r, P * c2), rt.gaussian_rdp(src.sigma, r, P) * c2),
    ):
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got, ref, rtol=SCALE_TOL, atol=0)
    rep_big, rep = rt.greedy_representation(big, r), rt.greedy_representation(src, r)
    for field in rep._fields:
        np.testing.assert_allclose(getattr(rep_big, field), getattr(rep, field) * c2, rtol=SCALE_TOL)


def test_issue_example_tiny_sigma_is_refused_or_exact() -> None:
    """The audit's [0, nan, nan]: sigma = 1e-162 is now outside the accepted range (typed error),
    and the smallest accepted sigma gives sigma^2 times the unit-source result."""
    with pytest.raises(rt.InvalidParameterError, match=r"sigma must lie in \[1e-150, 1e\+150\]"):
        rt.GaussMarkovSource.stationary(3, 1e-162, 0.9)
    unit = rt.jd_zero_perception_distortions(rt.GaussMarkovSource.stationary(3, 1.0, 0.9), 1.0)
    tiny = rt.jd_zero_perception_distortions(rt.GaussMarkovSource.stationary(3, 1e-150, 0.9), 1.0)
    np.testing.assert_allclose(tiny, unit * 1e-300, rtol=SCALE_TOL)
    wild = rt.GaussMarkovSource((1e-150, 1e150, 1e-150), (0.5, -0.5))  # ratios 1e300
    assert np.all(np.isfinite(rt.fmd_distortions(wild, [1.0, 2.0, 3.0], 0.0)))


def test_broadcasting_of_leading_axes() -> None:
    """Issue 14: the last axis is the frame (T or 1); leading axes broadcast with numpy rules."""
    src = rt.GaussMarkovSource.stationary(3)
    P = np.linspace(0, 1, 2500).reshape(50, 50)
    d = rt.fmd_distortions(src, [0.5, 1.0, 2.0], P[..., None])
    assert d.shape == (50, 50, 3)
    np.testing.assert_array_equal(d[7, 9], rt.fmd_distortions(src, [0.5, 1.0, 2.0], P[7, 9]))
    r = np.random.default_rng(0).uniform(0, 3, size=(4, 1, 3))
    d2 = rt.fmd_distortions(src, r, np.full((5, 1), 0.2))
    assert d2.shape == (4, 5, 3)
    np.testing.assert_array_equal(d2[1, 2], rt.fmd_distortions(src, r[1, 0], 0.2))
    assert rt.mmse_distortions(src, np.ones((2, 1))).shape == (2, 3)
    assert rt.jd_zero_perception_distortions(src, np.ones((6, 3))).shape == (6, 3)
    with pytest.raises(rt.InvalidParameterError, match=r"last axis of length T = 3 or 1.*x\[\.\.\., None\]"):
        rt.fmd_distortions(src, [0.5, 1.0, 2.0], P)
    with pytest.raises(rt.InvalidParameterError, match=r"rates and perception must have shapes that broadcast.*\(4, 3\).*\(5, 3\)"):
        rt.fmd_distortions(src, np.ones((4, 3)), np.ones((5, 3)))
    with pytest.raises(rt.InvalidParameterError, match=r"sigma and rate and perception.*broadcast"):
        rt.gaussian_rdp(np.ones(2), np.ones(3), 0.0)


# ----------------------------------------------------------------------------- 0-PLF-SA
def _sa_decoder_distortions(src: rt.GaussMarkovSource, rates: np.ndarray) -> np.ndarray:
    """Second route: build the optimal 0-PLF-SA decoder X^_j = a_{j-1} Y_{j-1} + sqrt(p_j) U_j
    as explicit coefficients on the unit innovations U and compute E(X_j - X^_j)^2 from the
    source model (no closed-form algebra shared with the library)."""
    rep = rt.greedy_representation(src, rates)
    T = src.T
    a = src.a
    # X_k = sum_i A_{k,i} sqrt(q_i) U_i + (independent remainder with variance e_k)
    A = np.array([[np.prod(a[i:k]) if i <= k else 0.0 for i in range(T)] for k in range(T)])
    y = A * np.sqrt(rep.q)[None, :]  # Y_k = sum_i y[k, i] U_i
    d = np.empty(T)
    for j in range(T):
        g = np.zeros(T)  # X^_j = sum_i g_i U_i
        if j:
            g[:j] = a[j - 1] * y[j - 1, :j]
        g[j] = np.sqrt(rep.p[j])
        # E(X_j - X^_j)^2 = e_j + ||y[j] - g||^2 (U orthonormal, remainder independent of U)
        d[j] = rep.e[j] + np.sum((y[j] - g) ** 2)
    return d


@settings(max_examples=60, deadline=None)
@given(src=gauss_markov_sources(max_T=5), data=st.data())
def test_sa_zero_closed_form_matches_its_decoder(src: rt.GaussMarkovSource, data: st.DataObject) -> None:
    """0-PLF-SA lexicographic: D_j = 2 e_j / (1 + sqrt(1 - 2^{-2R_j})) equals the distortion of the
    decoder that attains it, and lies in [e_j, 2 e_j] (it is the one-frame formula at p_j)."""
    rates = np.asarray(data.draw(rate_vectors(src.T, max_rate=6.0)))
    d = rt.sa_zero_perception_distortions(src, rates)
    e = rt.mmse_distortions(src, rates)
    ref = _sa_decoder_distortions(src, rates)
    assert np.all(np.abs(d - ref) <= 1e-9 * ref + 1e-12 * src.variances), (d, ref)
    assert np.all(d >= e * (1 - 1e-12)) and np.all(d <= 2 * e * (1 + 1e-12))
    p = rt.greedy_representation(src, rates).p
    np.testing.assert_allclose(d, [rt.gaussian_rdp(np.sqrt(pj), r, 0.0) for pj, r in zip(p, rates)],
                               rtol=1e-9, atol=1e-300)


def test_sa_zero_closed_form_matches_the_solver() -> None:
    """Third route: the SDP's lexicographic chain (1e-5, the tolerance of every closed-form/SDP check)."""
    rng = np.random.default_rng(7)
    for _ in range(6):
        T = int(rng.integers(1, 5))
        src = rt.GaussMarkovSource(tuple(rng.uniform(0.5, 2.0, T)), tuple(rng.uniform(-0.9, 0.9, T - 1)))
        rates = rng.uniform(0.2, 3.0, T)
        sol = rt.solve_rdp(src, rates, 0.0, plf="sa")
        np.testing.assert_allclose(sol.distortions, rt.sa_zero_perception_distortions(src, rates), rtol=1e-5)


def test_sa_zero_limits_and_broadcasting() -> None:
    src = rt.GaussMarkovSource.stationary(3, 2.0, 0.9)
    d = rt.sa_zero_perception_distortions(src, [0.0, math.inf, 1.0])
    p3 = 0.81 * 0.0 + 4.0 * (1 - 0.81)  # frame 3's prior variance after a lossless frame 2
    np.testing.assert_allclose(d, [8.0, 0.0, 2 * p3 * (1 - math.sqrt(0.75))], rtol=1e-12)
    assert rt.sa_zero_perception_distortions(src, np.ones((4, 1))).shape == (4, 3)
    with pytest.raises(rt.InvalidParameterError, match="rates"):
        rt.sa_zero_perception_distortions(src, [1.0, -1.0, 1.0])


@pytest.mark.parametrize("name", ["mmse_distortions", "fmd_distortions", "jd_zero_perception_distortions",
                                  "sa_zero_perception_distortions"])
def test_frame_major_path_is_identical_to_the_frame_axis_path(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Grids of at least ``_FRAME_MAJOR_MIN`` points are evaluated frame by frame (contiguous
    arrays, issue 13's speed item); smaller ones in the ``(..., T)`` layout. Both perform the
    same operations in the same order: forcing either path gives the same bits, for every
    broadcasting form (shared rates, perception with more leading axes, inf and 0)."""
    from rdp_theory import closed_form

    rng = np.random.default_rng(3)
    fn = getattr(rt, name)
    for _ in range(20):
        T = int(rng.integers(1, 6))
        src = rt.GaussMarkovSource(tuple(10 ** rng.uniform(-3, 3, T)), tuple(rng.uniform(-0.999, 0.999, T - 1)))
        shapes = [(T,), (1,), (40, T), (40, 1), (5, 8, T), (1, 9, 1), (7, 1, T)]
        R = rng.uniform(0, 12, shapes[rng.integers(len(shapes))])
        R = np.where(rng.random(R.shape) < 0.15, np.inf, np.where(rng.random(R.shape) < 0.15, 0.0, R))
        P = rng.uniform(0, 2, shapes[rng.integers(len(shapes))])
        P = np.where(rng.random(P.shape) < 0.2, np.inf, np.where(rng.random(P.shape) < 0.2, 0.0, P))
        args = (src, R, P) if name == "fmd_distortions" else (src, R)
        try:
            np.broadcast_shapes(R.shape[:-1], P.shape[:-1])
        except ValueError:
            continue  # leading axes that do not broadcast: an error on both paths
        monkeypatch.setattr(closed_form, "_FRAME_MAJOR_MIN", 10**9)
        axis = fn(*args)
        monkeypatch.setattr(closed_form, "_FRAME_MAJOR_MIN", 1)
        frames = fn(*args)
        assert frames.shape == axis.shape and np.array_equal(frames, axis), (T, R.shape, P.shape)


HUGE = 1e308  # finite, but -2R, -R ln 4 and 2P overflow to -inf / inf

SRC3 = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)


@pytest.mark.parametrize(
    "call",
    [
        lambda r, p: rt.gaussian_rdp(1.5, r, 0.1),
        lambda r, p: rt.gaussian_rdp(1.5, 0.7, p),
        lambda r, p: rt.common_randomness_distortion(1.5, r, 0.5),
        lambda r, p: rt.common_randomness_distortion(1.5, 0.5, r),
        lambda r, p: rt.fmd_no_common_randomness(SRC3, [r, 1.0, 0.5], [0.1, 0.2, 0.1]).upper,
        lambda r, p: rt.fmd_no_common_randomness(SRC3, [r, r, r], 0.0).lower,  # the sums overflow
        lambda r, p: rt.kl_variance_bounds(p),
        lambda r, p: rt.kl_variance_bounds(p, direction="x||xhat"),
        lambda r, p: rt.gaussian_rdp_kl(1.5, r, 0.1),
        lambda r, p: rt.gaussian_rdp_kl(1.5, 0.7, p),
        lambda r, p: rt.fmd_distortions_kl(SRC3, [r, 1.0, 0.5], [p, 0.1, p]),
        lambda r, p: rt.stationary_distortion(1.5, 0.9, r),
        lambda r, p: rt.stationary_distortion(1.5, 0.9, r, p, plf="fmd"),
        lambda r, p: rt.mmse_distortions(SRC3, [r, 1.0, r]),
    ],
)
def test_huge_finite_rates_and_levels_are_their_limits_silently(call: object) -> None:
    """A finite rate or level near float64's top gives exactly the value at inf, with no numpy
    overflow warning (``-2R`` and ``2P`` overflow to the intended limits; pyproject turns
    rdp_theory's RuntimeWarnings into errors, so a warning fails this test). Two routes: the
    huge argument against inf."""
    huge = call(HUGE, HUGE)  # type: ignore[operator]
    limit = call(math.inf, math.inf)  # type: ignore[operator]
    np.testing.assert_array_equal(np.asarray(huge, dtype=float), np.asarray(limit, dtype=float))


@pytest.mark.parametrize("rho", [0.9999999999999999, 1 - 1e-12, 0.9])
def test_jd_zero_perception_without_cancellation_at_tiny_rates(rho: float) -> None:
    """delta_j's square root term 1 - rho^2 - q~_j was formed as e~_j - rho^2 e~_{j-1}, which
    cancels when R_j is tiny and |rho| near 1 (D_3 off by 3.6e-9 relative at rho_1 = 1 - 1e-16,
    review 2026-11-30); as (1 - rho^2) b_j - rho^2 e~_{j-1} k_j it does not. Against the
    recursion in 100-digit mpmath, on both evaluation paths (a few points, and a grid frame by
    frame)."""
    import mpmath

    mpmath.mp.dps = 100
    rates = (12.0, 1e-12, math.inf)
    r1, r2 = mpmath.mpf(rho) ** 2, mpmath.mpf(0.9) ** 2
    b1, b2 = (mpmath.mpf(2) ** (-2 * mpmath.mpf(r)) for r in rates[:2])
    delta1 = (1 - mpmath.sqrt(1 - b1)) ** 2
    p2 = r1 * b1 + 1 - r1
    delta2 = r1 * delta1 + (mpmath.sqrt(1 - r1) - mpmath.sqrt(p2 * (1 - b2))) ** 2
    p3 = r2 * p2 * b2 + 1 - r2
    delta3 = r2 * delta2 + (mpmath.sqrt(1 - r2) - mpmath.sqrt(p3)) ** 2  # R_3 = inf: q~_3 = p~_3
    src = rt.GaussMarkovSource((1.0, 1.0, 1.0), (rho, 0.9))
    few = rt.jd_zero_perception_distortions(src, rates)
    grid = rt.jd_zero_perception_distortions(src, np.tile(rates, (300, 1)))
    assert few[1] == pytest.approx(float(p2 * b2 + delta2), rel=1e-14, abs=0)
    assert few[2] == pytest.approx(float(delta3), rel=1e-14, abs=0)
    np.testing.assert_array_equal(grid, np.broadcast_to(few, grid.shape))


def test_very_high_rates_keep_the_documented_absolute_accuracy() -> None:
    """The module docstring's statement: in units of sigma^2 a distortion below 2^-1022 keeps an
    absolute accuracy of 2^-1074 sigma^2 and may be 0 (sigma = 1e150 at 600 bits: 5.8e-62 comes
    back as 0). Against sigma^2 2^{-2R} from logs (mpmath)."""
    import mpmath

    sigma = 1e150
    for rate in (500.0, 520.0, 540.0, 600.0):
        exact = float(mpmath.mpf(sigma) ** 2 * mpmath.mpf(2) ** (-2 * rate))
        bound = 2.0**-1074 * sigma**2
        assert abs(rt.gaussian_rdp(sigma, rate, math.inf) - exact) <= bound
        assert abs(rt.mmse_distortions(rt.GaussMarkovSource.stationary(2, sigma, 0.5), rate)[0] - exact) <= bound
    assert rt.gaussian_rdp(sigma, 500.0, math.inf) == pytest.approx(
        float(mpmath.mpf(sigma) ** 2 * mpmath.mpf(2) ** -1000), rel=1e-14, abs=0
    )  # above 2^-1022 of the variance: full relative accuracy

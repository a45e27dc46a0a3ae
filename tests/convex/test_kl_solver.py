"""KL divergence as the perception measure in the solver (issue 16 part 4; docs/theory.md 4.12).

Routes: the one-frame closed form ``gaussian_rdp_kl`` (Serra et al.; Qian et al.) and the PLF-FMD
closed form ``fmd_distortions_kl`` against the program; for PLF-JD, where no closed form is known
for 0 < P < inf, an exponential-cone program written here in THEORY.md's own variables
(:math:`\\hat\\Sigma, H, q`, numpy's inverse and log-determinant) for weighted objectives, and a
scipy optimisation over the second frame's decoder for the lexicographic objective; the KL of every
returned scheme recomputed here from its covariances; orderings and limits that are theorems.
"""

from __future__ import annotations

import functools
import math
import warnings

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

import rdp_theory as rt
from rdp_theory.testing import CLOSED_FORM_RTOL, ORDER_TOL, gauss_markov_sources, rate_vectors

#: these tests are about the program: every call solves it (method="sdp"), never the exact route
solve_sdp = functools.partial(rt.solve_rdp, method="sdp", perception_measure="kl")
#: A KL level met by a certified scheme: the certificate's accuracy (ACCURACY = 1e-7) in nats.
KL_TOL = 1e-7
#: Two independent solvers (Clarabel on our program and on the one written here, or SLSQP) stop
#: at about 1e-9 relative; their optima agree to this.
ROUTE_RTOL = 1e-6

levels = st.sampled_from([0.0, 1e-4, 1e-2, 0.05, 0.3, 2.0, 9.0, math.inf])


def solve_quietly(*args: object, **kwargs: object) -> tuple[rt.RDPSolution, bool]:
    """The solution (KL, program route) and whether it carried a SolverWarning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", rt.SolverWarning)
        sol = solve_sdp(*args, **kwargs)
    return sol, any(issubclass(w.category, rt.SolverWarning) for w in caught)


def gaussian_kl(s: np.ndarray, r: np.ndarray) -> float:
    """KL(N(0, s) || N(0, r)) in nats, by the textbook formula (numpy inverse and slogdet)."""
    s, r = np.atleast_2d(s), np.atleast_2d(r)
    sign, logdet_s = np.linalg.slogdet(s)
    if sign <= 0:
        return math.inf
    return 0.5 * float(np.trace(np.linalg.solve(r, s)) - s.shape[0] - logdet_s + np.linalg.slogdet(r)[1])


def jd_kl_values(sol: rt.RDPSolution) -> np.ndarray:
    """KL of the first k reconstructions' joint law to the source's, every k, from the result."""
    S, R = sol.reconstruction_covariance, sol.source.covariance()
    return np.array([gaussian_kl(S[: k + 1, : k + 1], R[: k + 1, : k + 1]) for k in range(sol.T)])


# ---------------------------------------------------------------- one frame: the closed form
@settings(max_examples=40)
@given(sigma=st.floats(0.01, 100.0), rate=st.floats(0.0, 8.0), level=levels,
       plf=st.sampled_from(["jd", "fmd"]), direction=st.sampled_from(["xhat||x", "x||xhat"]))
def test_one_frame_is_the_gaussian_rdp_kl_closed_form(
    sigma: float, rate: float, level: float, plf: str, direction: str
) -> None:
    """T = 1: the program (JD and FMD coincide) equals D(R, P) of one Gaussian frame under KL
    (docs/theory.md 4.11.2: e + (sigma sqrt(t_low) - sqrt(v))_+^2), in both orders for FMD."""
    if plf == "jd":
        direction = "xhat||x"
    src = rt.GaussMarkovSource((sigma,), ())
    sol, warned = solve_quietly(src, rate, level, plf=plf, kl_direction=direction)
    exact = rt.gaussian_rdp_kl(sigma, rate, level, direction)
    assert sol.distortions[0] == pytest.approx(exact, rel=CLOSED_FORM_RTOL, abs=1e-12 * sigma**2)
    assert sol.status == cp.OPTIMAL and not warned
    assert sol.perception_measure == "kl" and sol.kl_direction == direction


# ---------------------------------------------------------------- PLF-FMD: closed form vs program
@settings(max_examples=20)
@given(data=st.data(), direction=st.sampled_from(["xhat||x", "x||xhat"]))
def test_fmd_program_equals_the_closed_form(data: st.DataObject, direction: str) -> None:
    """PLF-FMD under KL, T = 2 and 3: the program (lexicographic chain and a weighted sum, both
    method='sdp') equals fmd_distortions_kl frame by frame; the default route returns the closed
    form itself, certified."""
    src = data.draw(gauss_markov_sources(min_T=2, max_T=3))
    rates = data.draw(rate_vectors(src.T))
    P = np.asarray(data.draw(st.lists(levels, min_size=src.T, max_size=src.T)))
    exact = rt.fmd_distortions_kl(src, rates, P, direction)
    lex, warned = solve_quietly(src, rates, P, plf="fmd", kl_direction=direction)
    assert np.all(np.abs(lex.distortions - exact) <= CLOSED_FORM_RTOL * exact + 1e-12 * src.variances)
    assert lex.status == cp.OPTIMAL and not warned and lex.solver != "closed_form"
    w = np.asarray(data.draw(st.lists(st.floats(0.1, 10.0), min_size=src.T, max_size=src.T)))
    weighted, warned = solve_quietly(src, rates, P, plf="fmd", kl_direction=direction, objective=w)
    assert abs(w @ weighted.distortions - w @ exact) <= CLOSED_FORM_RTOL * (w @ exact) + 1e-12 * (w @ src.variances)
    assert weighted.status == cp.OPTIMAL and not warned
    auto = rt.solve_rdp(src, rates, P, plf="fmd", perception_measure="kl", kl_direction=direction)
    assert auto.solver == "closed_form" and auto.status == cp.OPTIMAL
    np.testing.assert_allclose(auto.distortions, exact, rtol=1e-12)
    fin = np.isfinite(P)
    assert np.all(auto.perception_values[fin] <= P[fin] + KL_TOL)


# ---------------------------------------------------------------- PLF-JD: independent programs
def _theory_program(src: rt.GaussMarkovSource, rates: np.ndarray, P: np.ndarray, w: np.ndarray) -> float:
    """min w @ D over jointly Gaussian schemes with JD-KL levels, in THEORY.md section 3's own
    variables (Shat, H, q; the representation optimised too), written independently of the
    package: THEORY's recursion for p, D_k = sigma_k^2 + Shat_kk - 2 sum_i A_ki h_ki, and
    KL(N(0, Shat_k) || N(0, Sigma_k)) with numpy's inverse and log-determinant."""
    T = src.T
    Sigma = src.covariance()
    a, s = np.asarray(src.a), np.asarray(src.innovation_variances)
    A = np.array([[np.prod(a[i:k]) if i <= k else 0.0 for i in range(T)] for k in range(T)])
    q = cp.Variable(T)
    Shat = cp.Variable((T, T), symmetric=True)
    slots = [(k, i) for k in range(T) for i in range(k + 1)]
    h = cp.Variable(len(slots))
    H = sum(h[n] * np.outer(np.eye(T)[k], np.eye(T)[i]) for n, (k, i) in enumerate(slots))
    p = [src.variances[0]]
    for i in range(T - 1):
        p.append(a[i] ** 2 * (p[i] - q[i]) + s[i])
    cons = [q >= 0, cp.bmat([[Shat, H], [H.T, cp.diag(q)]]) >> 0]
    cons += [q[i] <= (1 - 2.0 ** (-2 * rates[i])) * p[i] for i in range(T)]
    D = [Sigma[k, k] + Shat[k, k] - 2 * cp.sum(cp.multiply(A[k], H[k])) for k in range(T)]
    for k in range(T):
        if np.isfinite(P[k]):
            Sk = Shat[: k + 1, : k + 1]
            Rk = Sigma[: k + 1, : k + 1]
            kl2 = cp.trace(np.linalg.inv(Rk) @ Sk) - (k + 1) - cp.log_det(Sk) + np.linalg.slogdet(Rk)[1]
            cons.append(kl2 <= 2 * P[k])
    prob = cp.Problem(cp.Minimize(sum(w[k] * D[k] for k in range(T))), cons)
    # tight tolerances: at small levels D moves like sqrt(P), and Clarabel's defaults (1e-8)
    # leave the KL 1e-7 nats over the level, worth 1e-6 of the objective
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12, max_iter=500)
    assert prob.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)
    S = Shat.value
    for k in range(T):  # feasible, as computed here
        assert gaussian_kl(S[: k + 1, : k + 1], Sigma[: k + 1, : k + 1]) <= P[k] + 1e-9
    return float(prob.value)


@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")  # the reference, at 1e-12 tolerances
@settings(max_examples=10)
@given(data=st.data())
def test_jd_weighted_program_against_a_program_in_theorys_variables(data: st.DataObject) -> None:
    """PLF-JD under KL, weighted objectives, T = 2 and 3: our program (normalised variables, the
    KL written as tr(R^-1 dS) - log det, pruned implied frames) and the one written here in
    THEORY.md's variables reach the same optimum."""
    src = data.draw(gauss_markov_sources(min_T=2, max_T=3, sigma_range=(0.3, 3.0), max_abs_rho=0.95))
    rates = np.asarray(data.draw(st.lists(st.floats(0.05, 3.0), min_size=src.T, max_size=src.T)))
    P = np.asarray(data.draw(st.lists(st.sampled_from([1e-3, 0.02, 0.1, 0.5, math.inf]),
                                      min_size=src.T, max_size=src.T)))
    w = np.asarray(data.draw(st.lists(st.floats(0.1, 10.0), min_size=src.T, max_size=src.T)))
    sol, warned = solve_quietly(src, rates, P, plf="jd", objective=w)
    assert sol.status == cp.OPTIMAL and not warned
    ref = _theory_program(src, rates, P, w)
    assert w @ sol.distortions == pytest.approx(ref, rel=ROUTE_RTOL)
    fin = np.isfinite(P)
    assert np.all(jd_kl_values(sol)[fin] <= P[fin] + KL_TOL)


def _second_stage_by_scipy(src: rt.GaussMarkovSource, rates: tuple[float, float], P2: float,
                           g: float) -> float:
    """Least D_2 with frame 1 fixed at Xhat_1 = g U_1 (the unique stage-1 optimum): Xhat_2 =
    a U_1 + b U_2 + c N with a fresh N, minimised by SLSQP (many starts) subject to the joint KL
    of (Xhat_1, Xhat_2) to (X_1, X_2) at most P2 (computed by gaussian_kl)."""
    s1, s2 = src.sigma
    a1, n1 = src.a[0], src.innovation_variances[0]
    q1 = (1 - 2.0 ** (-2 * rates[0])) * s1**2
    q2 = (1 - 2.0 ** (-2 * rates[1])) * (a1**2 * (s1**2 - q1) + n1)
    R = src.covariance()

    def cov(th: np.ndarray) -> np.ndarray:
        a, b, c = th
        return np.array([[g * g, a * g], [a * g, a * a + b * b + c * c]])

    def dist(th: np.ndarray) -> float:
        a, b, c = th
        return s2**2 + a * a + b * b + c * c - 2 * (a * a1 * math.sqrt(q1) + b * math.sqrt(q2))

    cons = [{"type": "ineq", "fun": lambda th: P2 - gaussian_kl(cov(th), R)}]
    rng = np.random.default_rng(1)
    best = math.inf
    for _ in range(8):
        x0 = rng.uniform(-1, 1, 3) * s2
        x0[2] = abs(x0[2]) + 0.1 * s2
        res = minimize(dist, x0, method="SLSQP", constraints=cons, options={"ftol": 1e-15, "maxiter": 1000})
        if res.success and gaussian_kl(cov(res.x), R) <= P2 + 1e-10:
            best = min(best, float(res.fun))
    return best


@settings(max_examples=8)
@given(data=st.data())
def test_jd_lexicographic_two_frames_against_scipy(data: st.DataObject) -> None:
    """PLF-JD under KL, lexicographic, T = 2: stage 1 is the one-frame closed form at the
    effective level min(P_1, P_2), and stage 2 equals a brute-force SLSQP minimisation of D_2
    over the second decoder (noise allowed) with the first frame's decoder fixed."""
    src = data.draw(gauss_markov_sources(min_T=2, max_T=2, sigma_range=(0.5, 2.0), max_abs_rho=0.95))
    rates = tuple(data.draw(st.lists(st.floats(0.1, 3.0), min_size=2, max_size=2)))
    P = np.asarray(data.draw(st.lists(st.sampled_from([1e-3, 0.02, 0.1, 0.5]), min_size=2, max_size=2)))
    sol, warned = solve_quietly(src, rates, P, plf="jd")
    assert sol.status == cp.OPTIMAL and not warned
    s1 = src.sigma[0]
    assert sol.distortions[0] == pytest.approx(rt.gaussian_rdp_kl(s1, rates[0], P.min()), rel=CLOSED_FORM_RTOL)
    q1 = (1 - 2.0 ** (-2 * rates[0])) * s1**2
    g = max(math.sqrt(q1), s1 * math.sqrt(rt.kl_variance_bounds(P.min()).low))
    assert sol.distortions[1] == pytest.approx(_second_stage_by_scipy(src, rates, P[1], g), rel=ROUTE_RTOL)


# ---------------------------------------------------------------- structure, orderings, limits
@settings(max_examples=15)
@given(data=st.data())
def test_jd_costs_at_least_fmd_which_costs_at_least_mse(data: st.DataObject) -> None:
    """At equal KL levels, lexicographic, frame by frame: JD >= FMD >= MSE only. KL does not
    increase under marginalisation, so a JD scheme meets the FMD levels, and the FMD optimum is the
    frame-by-frame minimum. The JD scheme's own KL values (recomputed here) meet the effective
    levels min_{m >= k} P_m."""
    src = data.draw(gauss_markov_sources(min_T=2, max_T=4, sigma_range=(0.5, 2.0), max_abs_rho=0.95))
    rates = data.draw(rate_vectors(src.T, max_rate=4.0))
    P = np.asarray(data.draw(st.lists(st.sampled_from([0.0, 1e-3, 0.05, 0.5, math.inf]),
                                      min_size=src.T, max_size=src.T)))
    jd, warned = solve_quietly(src, rates, P, plf="jd")
    assert jd.status == cp.OPTIMAL and not warned
    fmd = rt.fmd_distortions_kl(src, rates, P)
    mse = rt.mmse_distortions(src, rates)
    scale = src.variances
    assert np.all(jd.distortions >= fmd - ORDER_TOL * scale)
    assert np.all(fmd >= mse - ORDER_TOL * scale)
    effective = np.minimum.accumulate(P[::-1])[::-1]
    fin = np.isfinite(effective)
    assert np.all(jd_kl_values(jd)[fin] <= effective[fin] + KL_TOL)
    np.testing.assert_allclose(jd.perception_values[fin], jd_kl_values(jd)[fin], rtol=1e-6, atol=1e-12)
    stages = np.asarray(jd.certificate.lexicographic_stage_values)
    assert np.all(np.abs(stages - jd.distortions) <= 1e-6 * scale)


def test_limits_zero_and_infinite_levels() -> None:
    """P = inf: the MSE-only optimum (both PLFs); P = 0: KL = 0 iff the laws are equal, so the
    0-PLF-JD closed form (lexicographic) and the W2 solution at level 0, by the program."""
    src = rt.GaussMarkovSource((1.0, 0.6, 1.7), (0.8, -0.5))
    rates = (0.4, 1.5, 0.7)
    for plf in ("jd", "fmd"):
        sol, warned = solve_quietly(src, rates, math.inf, plf=plf)
        np.testing.assert_allclose(sol.distortions, rt.mmse_distortions(src, rates), rtol=CLOSED_FORM_RTOL)
        assert not warned
    zero, warned = solve_quietly(src, rates, 0.0, plf="jd")
    np.testing.assert_allclose(zero.distortions, rt.jd_zero_perception_distortions(src, rates),
                               rtol=CLOSED_FORM_RTOL)
    assert not warned and np.all(zero.perception_values <= 1e-12)
    w = (1.0, 2.0, 0.5)
    kl0, _ = solve_quietly(src, rates, 0.0, plf="jd", objective=w)
    w20 = rt.solve_rdp(src, rates, 0.0, plf="jd", objective=w)
    np.testing.assert_allclose(kl0.distortions, w20.distortions, rtol=CLOSED_FORM_RTOL)


@settings(max_examples=6)
@given(data=st.data())
def test_weighted_optimum_falls_in_every_level(data: st.DataObject) -> None:
    """min w @ D is non-increasing in every KL level (the feasible set grows); lexicographic D_1
    too (it is the one-frame optimum at min_m P_m)."""
    src = data.draw(gauss_markov_sources(min_T=2, max_T=3, sigma_range=(0.5, 2.0), max_abs_rho=0.95))
    rates = data.draw(rate_vectors(src.T, allow_zero=False, max_rate=3.0))
    w = np.ones(src.T)
    values = []
    for level in (0.0, 1e-3, 0.1, math.inf):
        sol, _ = solve_quietly(src, rates, level, plf="jd", objective=w)
        lex, _ = solve_quietly(src, rates, level, plf="jd")
        values.append((w @ sol.distortions, lex.distortions[0]))
    tol = ORDER_TOL * float(w @ src.variances)
    for (a, a1), (b, b1) in zip(values, values[1:]):
        assert b <= a + tol and b1 <= a1 + tol


@settings(max_examples=10)
@given(data=st.data(), plf=st.sampled_from(["jd", "fmd"]))
def test_invariant_under_rescaling_each_frame(data: st.DataObject, plf: str) -> None:
    """KL is invariant under a common invertible linear map of both laws, so rescaling frame k
    of the source by c_k (same correlations) rescales D_k by c_k^2 and leaves every KL value."""
    src = data.draw(gauss_markov_sources(min_T=2, max_T=3, sigma_range=(0.5, 2.0), max_abs_rho=0.95))
    rates = data.draw(rate_vectors(src.T, max_rate=4.0))
    c = np.asarray(data.draw(st.lists(st.sampled_from([1e-100, 1e-3, 1.0, 7.0, 1e80]),
                                      min_size=src.T, max_size=src.T)))
    scaled = rt.GaussMarkovSource(tuple(np.asarray(src.sigmas) * c), src.rhos)
    P = (0.05, 0.2, 0.01)[: src.T]
    a, warned_a = solve_quietly(src, rates, P, plf=plf)
    b, warned_b = solve_quietly(scaled, rates, P, plf=plf)
    assert not (warned_a or warned_b)
    np.testing.assert_allclose(b.distortions / c**2, a.distortions, rtol=1e-6)
    np.testing.assert_allclose(b.perception_values, a.perception_values, rtol=1e-5, atol=1e-9)


def test_pinned_chain_uses_the_source_kernel() -> None:
    """A constant JD level that binds at frame 1 pins every later stage (docs/theory.md 4.12):
    each later frame is the source's own kernel applied to the reconstructions,
    Xhat_k = a_{k-1} Xhat_{k-1} + Z_k with Var Z_k = s_{k-1}; the KL stays at the level."""
    src = rt.GaussMarkovSource((1.0, 1.3, 0.7), (0.9, 0.6))
    sol, warned = solve_quietly(src, (0.2, 1.0, 2.0), 0.05, plf="jd")
    assert sol.status == cp.OPTIMAL and not warned
    np.testing.assert_allclose(jd_kl_values(sol), 0.05, rtol=1e-7)
    S, a, s = sol.reconstruction_covariance, src.a, src.innovation_variances
    for k in (1, 2):
        np.testing.assert_allclose(S[k, :k], a[k - 1] * S[k - 1, :k], rtol=1e-9)
        assert S[k, k] == pytest.approx(a[k - 1] ** 2 * S[k - 1, k - 1] + s[k - 1], rel=1e-9)


@pytest.mark.parametrize("rates", [(4.0, 0.0), (0.0, 4.0), (0.0, 0.0)])
def test_loose_levels_on_zero_rate_frames_are_met_exactly(rates: tuple[float, float]) -> None:
    """A zero-rate frame at a loose level (9.5 nats) wants a (conditional) variance of about
    e^(-1-2P) = 2e-9 of its frame's, below the solver's absolute resolution; the chain makes the
    row exactly feasible (fresh variance, docs/theory.md 4.12) and the result is certified:
    KL within the level, D_1 the one-frame closed form. (With R_1 = 0 stage 1 spends the whole
    level on frame 1, Var Xhat_1 = 2e-9 sigma_1^2, and frame 2 is pinned to the source's kernel:
    the lexicographic order at work, as for W2.) With R_1 > 0, D_2 is the MSE optimum to within
    the certified accuracy."""
    src = rt.GaussMarkovSource((0.3, 6.4), (-0.44,))
    sol, warned = solve_quietly(src, rates, 9.5, plf="jd")
    assert sol.status == cp.OPTIMAL and not warned
    assert np.all(jd_kl_values(sol) <= 9.5 + KL_TOL)
    assert sol.distortions[0] == pytest.approx(rt.gaussian_rdp_kl(0.3, rates[0], 9.5), rel=CLOSED_FORM_RTOL)
    if rates[0] > 0:
        mse = rt.mmse_distortions(src, rates)
        assert np.all(sol.distortions - mse <= 1e-7 * src.variances.max())
    fmd, warned = solve_quietly(src, rates, 9.5, plf="fmd")
    np.testing.assert_allclose(fmd.distortions, rt.fmd_distortions_kl(src, rates, 9.5), rtol=CLOSED_FORM_RTOL)
    assert fmd.status == cp.OPTIMAL and not warned


def test_jd_at_two_levels_is_not_the_w2_solution() -> None:
    """Sanity of the measure: the same numbers as levels mean different things (nats against
    squared units), and the result says which."""
    src = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    kl = rt.solve_rdp(src, 1.0, 0.05, plf="jd", perception_measure="kl")
    w2 = rt.solve_rdp(src, 1.0, 0.05, plf="jd")
    assert kl.perception_measure == "kl" and w2.perception_measure == "w2" and w2.kl_direction is None
    assert np.abs(kl.distortions - w2.distortions).max() > 1e-4
    assert "KL(xhat||x) nats" in repr(kl)
    d = kl.to_dict()
    assert d["perception_measure"] == "kl" and d["kl_direction"] == "xhat||x"
    np.testing.assert_allclose(kl.perception_under("jd"), kl.perception_values, rtol=1e-9)


def test_scheme_simulates_to_its_numbers() -> None:
    """Monte Carlo of a KL JD scheme: its distortions and KL values (Gaussian fits of the
    samples) within MC_SIGMAS standard errors (third route)."""
    from rdp_theory.testing import MC_SIGMAS

    src = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    sol = rt.solve_rdp(src, (0.3, 1.0, 2.0), (0.2, 0.05, 0.1), plf="jd", perception_measure="kl")
    sim = sol.simulate(60_000, np.random.default_rng(5))
    assert np.all(np.abs(sim.distortions - sol.distortions) <= MC_SIGMAS * sim.distortions_se)
    assert np.all(np.abs(sim.perception - sol.perception_values) <= MC_SIGMAS * sim.perception_se + 1e-4)


# ---------------------------------------------------------------- the certificate
def test_certificate_flags_a_violated_kl_level() -> None:
    """The certificate re-evaluates the KL of the returned scheme: a scheme that meets a looser
    level (an FMD optimum at 0.3 nats) certified against a tighter one (0.05) is not accurate,
    its perception residual is the excess computed here, and the public result says so."""
    from rdp_theory.convex._backend import Raw
    from rdp_theory.convex._certify import Primal, Report, assemble, certify
    from rdp_theory.convex._exact import exact_solution
    from rdp_theory.convex._instance import Instance
    from rdp_theory.perception import get_plf

    src = rt.GaussMarkovSource.stationary(2, 1.0, 0.9)
    rates = np.array([0.5, 0.5])

    def inst(level: float) -> Instance:
        return Instance(src, rates, np.full(2, level), get_plf("fmd"), "optimal", np.zeros(2),
                        np.full(2, np.inf), measure="kl", kl_direction="xhat||x")

    loose, _ = exact_solution(inst(0.3), "lexicographic")
    S = loose.reconstruction_covariance
    assert S[0, 0] < rt.kl_variance_bounds(0.05).low  # the tighter level's interval excludes it
    gain = loose.decoder.gain
    gy = src.transfer * np.sqrt(loose.q)[None, :]
    psi = (gain - gy) @ (gain - gy).T
    e = loose.p - loose.q
    primal = Primal(e=e, psi=psi, hp=(gain - gy) * np.sqrt(loose.q)[None, :], D=e + np.diag(psi))
    raw = Raw(status=cp.OPTIMAL, solver="test", primal=0.0, dual=0.0, iterations=0)
    scheme = certify(inst(0.05).objective(np.array([0.0, 1.0]), np.full(2, np.inf)), primal, raw, 0.0, 1)
    excess = gaussian_kl(S[0, 0], 1.0) - 0.05
    assert scheme.certificate.perception_residual == pytest.approx(excess, rel=1e-9)
    assert not scheme.accurate
    sol, notes = assemble(inst(0.05), "lexicographic", scheme, Report(1, 0.0))
    assert sol.status == cp.OPTIMAL_INACCURATE and notes


# ---------------------------------------------------------------- the rate form
def test_rate_form_under_kl() -> None:
    """minimum_total_rate under KL: the PLF-FMD closed form (greedy e_j at the KL floor) equals
    the program; PLF-JD costs at least as much; the allocation fed back to solve_rdp meets the
    last target (JD) and every level."""
    src = rt.GaussMarkovSource((1.0, 1.5, 0.8), (0.9, 0.7))
    targets, P = (0.3, 0.3, 0.2), (0.05, 0.02, 0.1)
    fmd = rt.minimum_total_rate(src, targets, P, plf="fmd", perception_measure="kl")
    fmd_sdp = rt.minimum_total_rate(src, targets, P, plf="fmd", perception_measure="kl", method="sdp")
    assert fmd.solver == "closed_form" and fmd_sdp.solver != "closed_form"
    assert fmd_sdp.total_rate == pytest.approx(fmd.total_rate, abs=2e-6)
    jd = rt.minimum_total_rate(src, targets, P, plf="jd", perception_measure="kl")
    assert jd.total_rate >= fmd.total_rate - 2e-6 and jd.perception_measure == "kl"
    back = rt.solve_rdp(src, jd.rates, P, plf="jd", perception_measure="kl",
                        objective=(0, 0, 1), targets=(targets[0], targets[1], np.inf))
    assert back.distortions[2] <= targets[2] * (1 + 1e-5)
    assert np.all(jd_kl_values(back) <= np.asarray(P) + KL_TOL)


def test_rate_form_under_kl_at_t10_compiles_the_right_program() -> None:
    """T = 10, PLF-JD, rising KL levels: nine log-det constraints, over 1000 parameter numbers.
    cvxpy 1.9's automatic switch to its "COO" backend at that size compiled a wrong program
    here (caps broken by 1.7; the certificate refused every attempt). With the "CPP" backend the
    result is certified and agrees with a compile without DPP (parameters substituted as
    constants: another cvxpy path to the same conic program) and with the round trip."""
    import cvxpy as cvx

    from rdp_theory.convex import _backend, _model
    from rdp_theory.convex._instance import Instance
    from rdp_theory.perception import get_plf

    T, D = 10, 0.3
    src = rt.GaussMarkovSource.stationary(T, 1.0, 0.9)
    P = np.linspace(0.01, 0.2, T)
    sol = rt.minimum_total_rate(src, D, P, plf="jd", perception_measure="kl")
    assert sol.status == cp.OPTIMAL and _backend.CANON_BACKEND == "CPP"
    assert np.all(sol.distortions <= D * (1 + 1e-6))
    assert np.all(jd_kl_values(sol) <= P + KL_TOL)
    inst = Instance(src, np.full(T, np.inf), P, get_plf("jd"), "optimal", weights=np.ones(T),
                    caps=np.full(T, D), rate_form=True, measure="kl", kl_direction="xhat||x")
    model = _model.Model(_model.Key(
        T=T, plf="jd", representation="optimal", pattern=_model.pattern_of(P, get_plf("jd")),
        capped=(True,) * T, active=(True,) * T, rate_form=True, measure="kl",
    ))
    values = _model.parameter_values(inst, np.ones(T))
    for param in model.problem.parameters():
        param.value = values[param.name()]
    model.problem.solve(solver=cvx.CLARABEL, ignore_dpp=True)  # cvxpy's value: the total, in bits
    assert model.problem.value == pytest.approx(sol.total_rate, rel=1e-6)
    back = rt.solve_rdp(src, sol.rates + 1e-7, P, plf="jd", perception_measure="kl",
                        objective=np.eye(T)[-1], targets=np.append(np.full(T - 1, D * (1 + 1e-6)), np.inf))
    assert back.distortions[-1] <= D * (1 + 1e-5)


# ---------------------------------------------------------------- typed errors
@pytest.mark.parametrize("kw, match", [
    ({"perception_measure": "kl2"}, "perception_measure must be one of 'w2', 'kl'"),
    ({"perception_measure": None}, "perception_measure must be one of"),
    ({"perception_measure": "kl", "plf": "sa"}, "not available for plf='sa'"),
    ({"perception_measure": "kl", "plf": "jd", "kl_direction": "x||xhat"}, "kl_direction='x||xhat' is not available for plf='jd'"),
    ({"perception_measure": "kl", "kl_direction": "both"}, "kl_direction must be one of 'xhat||x', 'x||xhat'"),
    ({"perception_measure": "w2", "kl_direction": "xhat||x"}, "kl_direction applies to perception_measure='kl' only"),
    ({"perception_measure": "kl", "perception": 9.87}, r"nats is a finite KL level above 9.8"),
    ({"perception_measure": "kl", "plf": "fmd", "kl_direction": "x||xhat", "perception": 2e4},
     r"nats is a finite KL level above 10000"),
])
def test_unsupported_measures_are_typed_errors(kw: dict, match: str) -> None:  # type: ignore[type-arg]
    src = rt.GaussMarkovSource.stationary(2, 1.0, 0.9)
    args = {"rates": 1.0, "perception": 0.1, "plf": "jd", **kw}
    with pytest.raises(rt.InvalidParameterError, match=match):
        rt.solve_rdp(src, **args)
    with pytest.raises(rt.InvalidParameterError, match=match):
        rt.minimum_total_rate(src, 0.3, args["perception"], plf=args["plf"],
                              **{k: v for k, v in kw.items() if k in ("perception_measure", "kl_direction")})


def test_pareto_sweep_passes_the_measure_on() -> None:
    src = rt.GaussMarkovSource.stationary(2, 1.0, 0.9)
    sols = rt.pareto_sweep(src, 1.0, 0.05, [[1, 0], [0, 1]], plf="jd", perception_measure="kl")
    assert all(s.perception_measure == "kl" for s in sols)
    assert all(np.all(jd_kl_values(s) <= 0.05 + KL_TOL) for s in sols)

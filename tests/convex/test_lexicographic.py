"""The exact lexicographic chain: closed forms, a second route through capped weighted programs,
the structure it relies on (docs/theory.md 4.8), and THEORY.md's counterexample."""

from __future__ import annotations

import functools
import warnings

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rdp_theory as rt
from rdp_theory.convex._lexicographic import effective_levels
from rdp_theory.testing import CLOSED_FORM_RTOL as REL_TOL
from rdp_theory.testing import ORDER_TOL, gauss_markov_sources, rate_vectors

#: these tests are about the program: every call solves it (method="sdp"), never the exact route
solve_sdp = functools.partial(rt.solve_rdp, method="sdp")


def rel_err(a: np.ndarray, b: np.ndarray, var: np.ndarray | None = None) -> float:
    """Largest relative error, with the promise's absolute floor (1e-12 of the variance)."""
    a, b = np.asarray(a), np.asarray(b)
    floor = 1e-12 * (np.ones_like(b) if var is None else np.asarray(var)) / REL_TOL
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor)))


def solve_quietly(*args: object, **kwargs: object) -> tuple[rt.RDPSolution, bool]:
    """The solution and whether it carried a SolverWarning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", rt.SolverWarning)
        sol = solve_sdp(*args, **kwargs)
    return sol, any(issubclass(w.category, rt.SolverWarning) for w in caught)


@settings(max_examples=30)
@given(data=st.data(), plf=st.sampled_from(["jd", "sa"]))
def test_zero_perception_lexicographic_matches_closed_form(data: st.DataObject, plf: str) -> None:
    """0-PLF-JD (THEORY.md 4) and 0-PLF-SA (docs/theory.md 4.6) lexicographic optima, zero
    rates included: the chain solves (or pins) one frame at a time and must land on them."""
    src = data.draw(gauss_markov_sources(max_T=6))
    rates = data.draw(rate_vectors(src.T))
    sol, warned = solve_quietly(src, rates, 0.0, plf=plf)
    exact = (rt.jd_zero_perception_distortions if plf == "jd" else rt.sa_zero_perception_distortions)(
        src, rates
    )
    assert rel_err(sol.distortions, exact, src.variances) <= REL_TOL
    assert sol.status == cp.OPTIMAL and not warned


@settings(max_examples=30)
@given(data=st.data())
def test_fmd_lexicographic_matches_closed_form(data: st.DataObject) -> None:
    """PLF-FMD at any levels: the per-frame closed form (THEORY.md 4)."""
    src = data.draw(gauss_markov_sources(max_T=6))
    rates = data.draw(rate_vectors(src.T, max_rate=8.0))
    levels = np.asarray(data.draw(st.lists(
        st.sampled_from([0.0, 1e-3, 0.05, 0.3, 2.0, np.inf]), min_size=src.T, max_size=src.T,
    ))) * src.variances
    sol, warned = solve_quietly(src, rates, levels, plf="fmd")
    assert rel_err(sol.distortions, rt.fmd_distortions(src, rates, levels), src.variances) <= REL_TOL
    assert sol.status == cp.OPTIMAL and not warned


def test_alternating_zero_rates_are_exact() -> None:
    """A 6-frame 0-PLF-JD instance with alternating zero rates on which the former capped chain
    ended 2.7e-3 below the closed form: the exact chain has no caps to undershoot."""
    src = rt.GaussMarkovSource(
        (1.9278003, 0.98275852, 0.57932549, 0.33966591, 0.725254, 0.76841257),
        (-0.86397713, -0.85736035, 0.94843462, 0.28950131, -0.50443062),
    )
    rates = (1.8528007, 0.0, 3.61117491, 0.0, 1.69113772, 0.0)
    sol, warned = solve_quietly(src, rates, 0.0, plf="jd")
    assert rel_err(sol.distortions, rt.jd_zero_perception_distortions(src, rates)) <= REL_TOL
    assert sol.status == cp.OPTIMAL and not warned


@pytest.mark.parametrize(
    "rates, P, measure",
    [((0.31, 2.25), 0.05, "w2"), ((1.0, 0.5), 0.01, "w2"), ((2.0, 0.3), 0.2, "w2"),
     ((0.05, 3.0), 0.2, "w2"),
     # KL levels in nats: the weighted program then has log-det cones (docs/theory.md 4.12)
     ((0.31, 2.25), 0.05, "kl"), ((1.0, 0.5), 0.01, "kl"), ((0.05, 3.0), 0.2, "kl")],
)
def test_jd_second_stage_is_the_limit_of_capped_programs(
    rates: tuple[float, ...], P: float, measure: str
) -> None:
    """A second route to D_2*, through the *weighted* program (another model, another solver
    path): min D_2 subject to D_1 <= (1 + tau) D_1*. Its value rises to the lexicographic one like
    D_2* - a sqrt(tau) - b tau (the caps' Hoelder-1/2 degeneracy, issue 11); fitting that law to
    tau = 1e-6, 1e-7, 1e-8 must recover the chain's D_2* (checked to 1e-6, the fit's own error),
    under either perception measure."""
    src = rt.GaussMarkovSource.stationary(2, 1.0, 0.9)
    lex, warned = solve_quietly(src, rates, P, plf="jd", perception_measure=measure)
    assert lex.status == cp.OPTIMAL and not warned
    taus = np.array([1e-6, 1e-7, 1e-8])
    capped = []
    for tau in taus:
        sol, _ = solve_quietly(
            src, rates, P, plf="jd", objective=(0.0, 1.0),
            targets=(lex.distortions[0] * (1.0 + tau), np.inf), perception_measure=measure,
        )
        assert sol.distortions[1] <= lex.distortions[1] + 1e-9  # a relaxation
        capped.append(sol.distortions[1])
    fit = np.linalg.solve(np.column_stack([np.ones(3), -np.sqrt(taus), -taus]), capped)
    assert abs(fit[0] - lex.distortions[1]) <= 1e-6 * lex.distortions[1]


@settings(max_examples=20, deadline=None)
@given(data=st.data(), plf=st.sampled_from(["jd", "sa"]))
def test_chain_structure(data: st.DataObject, plf: str) -> None:
    """What the chain rests on, checked on its output (docs/theory.md 4.8):

    * stage 1 is the plain minimum of D_1 (the weighted program, another model);
    * the last frame is no better than its own minimum;
    * the stage optima are the returned distortions;
    * with every rate positive the decoder has no noise (W_k = 0 on the exact face);
    * JD: every frame's joint perception stays within the effective level min_{m>=k} P_m.
    """
    src = data.draw(gauss_markov_sources(min_T=2, max_T=4, sigma_range=(0.5, 2.0), max_abs_rho=0.95))
    rates = np.asarray(data.draw(rate_vectors(src.T, allow_zero=False, max_rate=3.0)))
    levels = np.asarray(data.draw(st.lists(
        st.sampled_from([0.01, 0.05, 0.2, 1.0]), min_size=src.T, max_size=src.T,
    ))) * src.variances.mean()
    sol, warned = solve_quietly(src, rates, levels, plf=plf)
    assert sol.status == cp.OPTIMAL and not warned
    T = src.T
    first, _ = solve_quietly(src, rates, levels, plf=plf, objective=np.eye(T)[0])
    last, _ = solve_quietly(src, rates, levels, plf=plf, objective=np.eye(T)[-1])
    scale = src.variances
    assert abs(sol.distortions[0] - first.distortions[0]) <= 1e-6 * scale[0]
    assert sol.distortions[-1] >= last.distortions[-1] - 1e-6 * scale[-1]
    stages = np.asarray(sol.certificate.lexicographic_stage_values)
    assert np.all(np.abs(stages - sol.distortions) <= 1e-6 * scale)
    assert np.abs(sol.decoder.noise_covariance).max() <= 1e-6 * scale.max()
    if plf == "jd":
        eff = effective_levels_of(levels)
        assert np.all(sol.perception_values <= eff * (1 + 1e-6) + 1e-9 * scale.max())


def effective_levels_of(levels: np.ndarray) -> np.ndarray:
    return np.minimum.accumulate(levels[::-1])[::-1]


def test_effective_levels() -> None:
    """JD: the level a stage enforces is the least level from its frame on; others: their own."""
    from rdp_theory.convex._instance import Instance
    from rdp_theory.perception import get_plf

    src = rt.GaussMarkovSource.stationary(4, 1.0, 0.5)
    p = np.array([0.3, np.inf, 0.1, 0.2])
    for plf, want in (("jd", [0.1, 0.1, 0.1, 0.2]), ("sa", p), ("fmd", p)):
        inst = Instance(src, np.ones(4), p, get_plf(plf), "optimal", np.zeros(4), np.full(4, np.inf))
        assert np.array_equal(effective_levels(inst), want)


def test_pinned_jd_stages_keep_the_level() -> None:
    """Constant-level JD whose first frame uses the whole level: every later stage is pinned to
    the cheapest completion, so each frame's joint perception equals the level exactly (a later
    joint law can only cost more, and the completion costs nothing more)."""
    src = rt.GaussMarkovSource.stationary(4, 1.0, 0.9)
    sol, warned = solve_quietly(src, (0.3, 2.0, 1.0, 2.5), 0.01, plf="jd")
    assert sol.status == cp.OPTIMAL and not warned
    assert np.allclose(sol.perception_values, 0.01, rtol=1e-6)


def test_no_solver_run_for_zero_level_jd() -> None:
    """0-PLF-JD: stage 1 is the only program; every later stage is pinned (closed form)."""
    src = rt.GaussMarkovSource.stationary(8, 1.0, 0.9)
    sol = solve_sdp(src, 1.0, 0.0, plf="jd")
    assert sol.certificate.attempts == 1


def test_lexicographic_jd_is_not_monotone_in_earlier_rates() -> None:
    """THEORY.md counterexample: sigma = 1, rho = 0.9, R = (0.05, R_2, 3), 0-PLF-JD.

    The lexicographic D_3 *rises* with R_2 (greedy earlier frames bind later ones through the
    joint-law constraint), while min D_3 alone keeps falling.
    """
    src = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    grid = [0.5, 1.0, 2.0, 5.0]
    lex = [solve_sdp(src, (0.05, r2, 3.0), 0.0, plf="jd").distortions[2] for r2 in grid]
    alone = [
        solve_sdp(src, (0.05, r2, 3.0), 0.0, plf="jd", objective=(0, 0, 1)).distortions[2]
        for r2 in grid
    ]
    closed = [rt.jd_zero_perception_distortions(src, (0.05, r2, 3.0))[2] for r2 in grid]
    assert rel_err(lex, closed) <= REL_TOL
    assert all(b > a for a, b in zip(lex, lex[1:]))
    assert all(b <= a + ORDER_TOL for a, b in zip(alone, alone[1:]))
    assert lex[0] == pytest.approx(0.52, abs=0.01) and lex[-1] == pytest.approx(0.60, abs=0.01)
    assert alone[-1] < lex[-1]


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_constant_level_jd_spends_the_level_on_frame_one(data: st.DataObject) -> None:
    """docs/theory.md 4.8, consequence: under one JD level P that binds at frame 1
    (P < (sigma_1 - sqrt q_1)^2, what the MMSE decoder would cost), frame 1 is the one-frame
    closed form at P and every later frame is exactly the 0-PLF-JD closed form: the pinned
    completion's map is diag(m, 1, ..., 1), which leaves the later rows unchanged."""
    src = data.draw(gauss_markov_sources(min_T=2, max_T=6, sigma_range=(0.3, 3.0), max_abs_rho=0.97))
    rates = np.asarray(data.draw(rate_vectors(src.T, allow_zero=False, max_rate=4.0)))
    q1 = src.variances[0] * (1.0 - 2.0 ** (-2.0 * rates[0]))
    bound = (src.sigma[0] - np.sqrt(q1)) ** 2
    P = data.draw(st.floats(0.05, 0.95)) * bound
    sol, warned = solve_quietly(src, rates, P, plf="jd")
    assert sol.status == cp.OPTIMAL and not warned
    assert sol.distortions[0] == pytest.approx(rt.gaussian_rdp(src.sigma[0], rates[0], P), rel=1e-6)
    later = rt.jd_zero_perception_distortions(src, rates)[1:]
    assert rel_err(sol.distortions[1:], later, src.variances[1:]) <= REL_TOL


def test_pinned_stage_with_an_undefined_map_is_solved_and_flagged() -> None:
    """Review find: with rho within 1e-12 of 1 the pinned completion's transport map is
    numerically undefined; the stage is then solved as a program and the result flagged (it used
    to raise a SolverError that blamed the variances)."""
    src = rt.GaussMarkovSource((1.0, 1.0, 1.0), (1 - 1e-12, 1 - 1e-12))
    with pytest.warns(rt.SolverWarning, match="transport map"):
        sol = rt.solve_rdp(src, 1.0, 0.05, plf="jd")
    assert sol.status == cp.OPTIMAL_INACCURATE
    assert np.all(np.isfinite(sol.distortions))
    assert sol.distortions[0] == pytest.approx(rt.gaussian_rdp(1.0, 1.0, 0.05), rel=1e-6)


def test_a_stage_gap_is_reported_in_d_units() -> None:
    """A T = 5 JD chain whose stage 2 used to stop short of its optimum (D_2 0.75% too high)
    while its duality gap, multiplied by t ~ 2^(-2R) once too often, read 1e-9: the stage now
    minimises Var(Delta_2)/t and reports its gap in D_2. The capped program (frame 1 at its
    value plus 1e-9, min D_2; another program) agrees to its slack's square-root effect
    (sqrt(1e-9) ~ 3e-5; measured 1.2e-6): far from the old 7.5e-3."""
    src = rt.GaussMarkovSource(
        sigmas=(0.8997733903176187, 0.2876915073799951, 1.8588347204332416, 0.29646018907329635,
                3.569977247654701),
        rhos=(-0.8707753834256389, -0.7088233201611163, -0.6196193298967926, 0.6209146881285001),
    )
    R = [0.0, 7.39312595, 7.05515829, 6.78128472, 3.7667255]
    P = [6.16782041e-06, 5.79441635e-03, 3.00662513e-02, 8.12789668e-06, 1.31006594e01]
    sol = solve_sdp(src, R, P, plf="jd")
    assert sol.status == cp.OPTIMAL and sol.certificate.relative_gap <= rt.convex.REL_GAP
    capped = solve_sdp(src, R, P, plf="jd", objective=[0, 1, 0, 0, 0],
                       targets=[sol.distortions[0] * (1 + 1e-9)] + [np.inf] * 4)
    assert sol.distortions[1] == pytest.approx(capped.distortions[1], rel=1e-4)


def test_a_stage_every_interior_point_setting_leaves_stalled_is_solved() -> None:
    """A JD stage at 16 bits whose earlier frames force a deviation 1e9 times its MMSE: every
    Clarabel setting stalls there; the last stage attempts (more regularisation, SCS) give a
    certified chain, where it used to raise SolverError (or, with D_k as the stage objective,
    come back flagged)."""
    src = rt.GaussMarkovSource(
        (3.2025571144456846, 1.3340826072708014, 0.1283952321375086, 0.6040472732051734,
         9.403991834319388, 0.740536820180065),
        (-0.35471330202122, -0.8096539990778595, 0.9822711319921563, -0.7954621356771978,
         0.33542335748549),
    )
    R = [2.449354741163784, 5.914150045428933, 0.0, 0.0, 15.93623587743325, 3.970315911807962]
    P = [57.31023643201265, 3.089933180158049, 0.032779982190580655, 0.00031882506099475125,
         87.92940713781994, 0.001053726409284786]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rt.SolverWarning)
        sol = solve_sdp(src, R, P, plf="jd")
    assert sol.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)
    assert np.all(sol.perception_values <= np.asarray(P) * (1 + 1e-6) + 1e-9)
    assert np.all(sol.distortions >= rt.mmse_distortions(src, R) * (1 - 1e-9))


def test_a_stage_that_runs_every_attempt_reports_them_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stage whose attempts never meet the gap runs all of them and keeps the best: its count
    is every attempt run (it was the kept attempt's index)."""
    from rdp_theory.convex import _stage

    monkeypatch.setattr(_stage, "REL_GAP", -1.0)  # no attempt can return early
    src = rt.GaussMarkovSource.stationary(2, 1.0, 0.8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rt.SolverWarning)
        sol = solve_sdp(src, (1.0, 1.0), 0.05, plf="jd")
    assert sol.certificate.attempts == 2 * len(_stage.STAGE_ATTEMPTS)


@pytest.mark.parametrize("sigmas, rhos, rates, levels, measure, exact", [
    ((2.1364586489519093, 0.8760715165529952), (0.42658423564428916,), (0.0, 8.068799296249155),
     (0.0, 1e-06), "kl", 0.145835694978491),
    ((0.13858184065866266, 7.016209323213508), (-0.9682629176238797,), (0.0, 9.21790583789886),
     (0.0, 0.00689822995415562), "w2", 23.7506419175559),
])
def test_a_scaled_stage_far_from_the_mmse_decoder_is_not_trusted(
    sigmas: tuple[float, ...], rhos: tuple[float, ...], rates: tuple[float, ...],
    levels: tuple[float, ...], measure: str, exact: float,
) -> None:
    """Frame 1 at zero rate forces frame 2's decoder 1e4-1e5 times its MMSE away from the MMSE
    one: the scaled attempt then reported a small gap while breaking its own constraints (D_2
    off by 1.2e-4 / 4.5e-4, unflagged). Its optimum is not trusted above SCALED_PSI_MAX and the
    unscaled attempts decide. References: the stage's optimality conditions solved in 40-digit
    mpmath (an independent review)."""
    src = rt.GaussMarkovSource(sigmas, rhos)
    sol = solve_sdp(src, rates, levels, plf="jd", perception_measure=measure)
    assert sol.status == cp.OPTIMAL
    assert sol.distortions[1] == pytest.approx(exact, rel=1e-6)

"""Universality of the MSE representation: proved zero gaps, and a measured sweep."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rdp_theory as rt
from rdp_theory.testing import CLOSED_FORM_RTOL as REL_TOL
from rdp_theory.testing import ORDER_TOL, gauss_markov_sources, perception_vectors, rate_vectors


@settings(max_examples=15)
@given(data=st.data())
def test_fmd_is_exactly_universal(data: st.DataObject) -> None:
    """Theorem (docs/theory.md): for PLF-FMD the MSE representation + per-frame rescaling is
    optimal for every frame, so the universality gap vanishes."""
    src = data.draw(gauss_markov_sources(max_T=4))
    r = data.draw(rate_vectors(src.T, allow_zero=False))
    p = data.draw(perception_vectors(src))
    res = rt.universality_gap(src, r, p, plf="fmd")
    assert np.all(np.abs(res.gap) <= REL_TOL * res.optimal.distortions + ORDER_TOL * src.variances.max())


@settings(max_examples=15)
@given(data=st.data())
def test_zero_perception_jd_lexicographic_is_exactly_universal(data: st.DataObject) -> None:
    """Theorem: the 0-PLF-JD lexicographic optimum uses the greedy representation."""
    src = data.draw(gauss_markov_sources(max_T=4))
    r = data.draw(rate_vectors(src.T, allow_zero=False))
    res = rt.universality_gap(src, r, 0.0, plf="jd")
    assert np.all(np.abs(res.relative_gap) <= REL_TOL)


@settings(max_examples=15)
@given(data=st.data(), plf=st.sampled_from(["jd", "sa", "fmd"]))
def test_weighted_gap_is_never_negative(data: st.DataObject, plf: str) -> None:
    """The MSE representation is one feasible choice: its weighted optimum cannot be better."""
    src = data.draw(gauss_markov_sources(max_T=3))
    r = data.draw(rate_vectors(src.T))
    p = data.draw(perception_vectors(src))
    w = np.ones(src.T)
    res = rt.universality_gap(src, r, p, plf=plf, objective=w)
    assert res.objective_gap >= -ORDER_TOL * src.variances.sum()


def test_sweep_shapes_and_agreement_with_pointwise() -> None:
    src = rt.GaussMarkovSource.stationary(3)
    rates = np.array([[r, r, r] for r in (0.1, 0.5, 1.0)])
    sweep = rt.universality_sweep(src, rates, 0.05, plf="sa", objective=(1, 1, 1))
    assert sweep.optimal.shape == sweep.mse_representation.shape == (3, 3)
    one = rt.universality_gap(src, rates[1], 0.05, plf="sa", objective=(1, 1, 1))
    np.testing.assert_allclose(sweep.optimal[1], one.optimal.distortions, rtol=1e-9)
    assert sweep.max_relative_objective_gap >= -1e-6


@settings(max_examples=10, deadline=None)
@given(data=st.data(), plf=st.sampled_from(["jd", "fmd"]), lexicographic=st.booleans())
def test_the_theorem_holds_under_kl(data: st.DataObject, plf: str, lexicographic: bool) -> None:
    """Theorem 6(e) is about the joint law of source and reconstruction, so it holds for the KL
    measure as well: the program with the representation free and the one with the greedy
    representation fixed (two solves) reach the same optimum, weighted or lexicographic."""
    src = data.draw(gauss_markov_sources(max_T=3, sigma_range=(0.3, 3.0)))
    r = data.draw(rate_vectors(src.T, max_rate=4.0, allow_zero=False))
    p = np.asarray(data.draw(st.lists(st.floats(1e-3, 2.0), min_size=src.T, max_size=src.T)))
    objective = "lexicographic" if lexicographic else np.ones(src.T)
    res = rt.universality_gap(src, r, p, plf=plf, objective=objective, perception_measure="kl")
    assert res.optimal.perception_measure == res.mse_representation.perception_measure == "kl"
    for sol in (res.optimal, res.mse_representation):
        assert np.all(sol.perception_values <= p + 1e-6)
    if lexicographic:
        assert np.all(np.abs(res.relative_gap) <= REL_TOL)
    else:
        scale = float(res.optimal.objective_value)
        assert abs(res.objective_gap) <= max(REL_TOL * scale, ORDER_TOL * src.variances.sum())


def test_kl_sweep_carries_the_measure_and_refuses_sa() -> None:
    src = rt.GaussMarkovSource.stationary(3)
    rates = np.array([[r, r, r] for r in (0.3, 1.0)])
    sweep = rt.universality_sweep(src, rates, 0.05, plf="jd", objective=(1, 1, 1), perception_measure="kl")
    assert sweep.perception_measure == "kl" and sweep.to_dict()["perception_measure"] == "kl"
    assert sweep.kl_direction == "xhat||x"  # as the solutions record it
    with pytest.raises(rt.InvalidParameterError, match="perception_measure"):
        rt.universality_sweep(src, np.zeros((0, 3)), 0.05, plf="jd", perception_measure="bogus")
    with pytest.raises(rt.InvalidParameterError, match="perception_measure"):
        rt.universality_sweep(src, rates, 0.05, plf="sa", perception_measure="kl", n_jobs=2)
    one = rt.universality_gap(src, rates[1], 0.05, plf="jd", objective=(1, 1, 1), perception_measure="kl")
    np.testing.assert_allclose(sweep.optimal[1], one.optimal.distortions, rtol=1e-9)
    w2 = rt.universality_gap(src, rates[1], 0.05, plf="jd", objective=(1, 1, 1))
    assert not np.allclose(w2.optimal.distortions, one.optimal.distortions)  # another constraint
    with pytest.raises(rt.InvalidParameterError, match="perception_measure"):
        rt.universality_gap(src, rates[1], 0.05, plf="sa", perception_measure="kl")

"""Universality of the MSE representation: proved zero gaps, and a measured sweep."""

from __future__ import annotations

import numpy as np
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

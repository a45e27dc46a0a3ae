"""The compiled DPP program: compiled once per structure and reused; implied couplings pruned."""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import rdp_theory as rt

#: these tests are about the program: every call solves it (method="sdp"), never the exact route
solve_sdp = functools.partial(rt.solve_rdp, method="sdp")
from rdp_theory import convex
from rdp_theory.convex import _model
from rdp_theory.perception import get_plf
from rdp_theory.testing import gauss_markov_sources, rate_vectors


def test_parametrised_problem_is_dpp_and_reused() -> None:
    """Sweeps re-bind parameters of one compiled problem instead of rebuilding it."""
    convex.clear_cache()
    src = rt.GaussMarkovSource.stationary(3)
    # an active level, exceeded by the MMSE scheme: coupling generation goes straight to the
    # program with the last frame's coupling (no relaxation solved, _weighted.mmse_violations)
    for r in (0.5, 1.0, 2.0):
        solve_sdp(src, (r, r, r), 1e-3, plf="jd", objective=(1, 1, 1))
    info = _model.compiled.cache_info()
    assert info.misses == 1 and info.hits == 2
    # a constant JD level needs only the last frame's coupling (see JointPLF.implied)
    model = _model.compiled(_model.Key(3, "jd", "optimal", ("i", "i", "p"), (False,) * 3, (True,) * 3))
    assert model.problem.is_dpp()
    assert _model.compiled.cache_info().misses == 1  # the key above is the one the sweep used
    assert model.fast, "the fast path should have passed its self-check"

def test_implied_jd_constraints() -> None:
    """phi_j <= phi_J for j < J under JD, so a later level at most P_j makes frame j's redundant."""
    jd, inf = get_plf("jd"), math.inf
    assert jd.implied(np.array([0.1, 0.1, 0.1])) == {0, 1}
    assert jd.implied(np.array([0.05, 0.1, 0.2])) == set()
    assert jd.implied(np.array([0.3, 0.1, 0.2])) == {0}
    assert jd.implied(np.array([0.2, inf, 0.2, inf])) == {0}
    assert jd.implied(np.array([0.5, 0.0, 0.3])) == {0}
    assert get_plf("fmd").implied(np.array([0.1, 0.1])) == set()
    assert get_plf("sa").implied(np.array([0.1, 0.1])) == set()


@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_pruned_jd_program_equals_the_full_one(data: st.DataObject) -> None:
    """Dropping implied JD couplings leaves the optimum unchanged: compare with a PLF that
    keeps every coupling (two independent programs)."""

    class KeepAll(type(get_plf("jd"))):  # type: ignore[misc]
        def implied(self, perception):  # type: ignore[no-untyped-def]
            return frozenset()

    src = data.draw(gauss_markov_sources(max_T=3))
    rates = data.draw(rate_vectors(src.T, max_rate=4.0))
    level = data.draw(st.floats(1e-2, 1.0)) * float(src.variances.min())
    perc = np.full(src.T, level)
    w = np.ones(src.T)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rt.SolverWarning)
        a = solve_sdp(src, rates, perc, plf="jd", objective=w)
        b = solve_sdp(src, rates, perc, plf=KeepAll(), objective=w)
    scale = float(src.variances.max())
    assert abs(a.objective_value - b.objective_value) <= 1e3 * convex.ACCURACY * scale
    assert np.all(a.perception_values <= perc + 1e3 * convex.ACCURACY * scale)

"""The PLF registry (:mod:`rdp_theory.perception`): names and the laws each PLF compares."""

from __future__ import annotations

import numpy as np
import pytest

import rdp_theory as rt
from rdp_theory.perception import PLF_NAMES, PLFS, get_plf


def test_registry_names_and_order() -> None:
    assert PLF_NAMES == ("jd", "fmd", "sa") == tuple(PLFS) == rt.PLF_NAMES
    assert all(get_plf(n).name == n for n in PLF_NAMES)
    with pytest.raises(rt.InvalidParameterError, match="plf"):
        get_plf("kl")


def test_compared_laws_state_the_definitions() -> None:
    jd, fmd, sa = (PLFS[n] for n in PLF_NAMES)
    assert fmd.compared_laws(2) == ((("x", 2),), (("xhat", 2),))
    assert jd.compared_laws(1) == ((("x", 0), ("x", 1)), (("xhat", 0), ("xhat", 1)))
    assert sa.compared_laws(2) == (
        (("xhat", 0), ("xhat", 1), ("x", 2)),
        (("xhat", 0), ("xhat", 1), ("xhat", 2)),
    )
    for plf in PLFS.values():  # frame 1: every PLF compares the two marginals
        assert plf.compared_laws(0) == ((("x", 0),), (("xhat", 0),))


@pytest.mark.parametrize("T", [1, 2, 4])
def test_pair_numeric_matches_hand_built_blocks(T: int) -> None:
    """Second route: the covariance blocks written out by hand from the definitions."""
    rng = np.random.default_rng(T)
    a = rng.normal(size=(2 * T, 2 * T))
    c = a @ a.T
    sx, sh, cross = c[:T, :T], c[T:, T:], c[T:, :T]  # cross[m, k] = Cov(Xhat_m, X_k)
    for j in range(T):
        k1, k2 = PLFS["fmd"].pair_numeric(sx, sh, cross, j)
        assert np.array_equal(k1, sx[j : j + 1, j : j + 1]) and np.array_equal(k2, sh[j : j + 1, j : j + 1])
        k1, k2 = PLFS["jd"].pair_numeric(sx, sh, cross, j)
        assert np.array_equal(k1, sx[: j + 1, : j + 1]) and np.array_equal(k2, sh[: j + 1, : j + 1])
        k1, k2 = PLFS["sa"].pair_numeric(sx, sh, cross, j)
        ref = sh[: j + 1, : j + 1].copy()
        ref[:j, j] = ref[j, :j] = cross[:j, j]
        ref[j, j] = sx[j, j]
        assert np.array_equal(k1, ref) and np.array_equal(k2, sh[: j + 1, : j + 1])


def test_jd_first_cuts_follow_the_excess_ratio_records() -> None:
    """PLF-JD adds first the couplings of the frames whose excess ratio phi_j / P_j is a record
    scanning back from the latest violated frame, and every violated frame's where those would be
    more than half of them; the other PLFs add every violated frame's."""
    jd, sa, fmd = get_plf("jd"), get_plf("sa"), get_plf("fmd")
    levels = np.ones(10)
    rising = np.array([1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9])  # records: the last only
    violated = frozenset(range(1, 10))
    assert jd.first_cuts(violated, rising, levels) == {9}
    falling = rising[::-1].copy()  # every frame a record: all of them
    assert jd.first_cuts(violated, falling, levels) == violated
    mixed = np.array([1.0, 0.5, 1.1, 1.2, 1.5, 2.0, 6.0, 3.0, 4.0, 5.0])  # records 10 and 7
    assert jd.first_cuts(frozenset(range(2, 10)), mixed, levels) == {6, 9}
    # the ratio, not the excess: frame 9 (0-based) exceeds its level by 2x, frame 3 by 3x
    phi, lev = np.array([0, 0, 0, 0.3, 0, 0, 0, 0, 0, 2.0]), np.array([1, 1, 1, 0.1, 1, 1, 1, 1, 1, 1.0])
    assert jd.first_cuts(frozenset({3, 9}), phi, lev) == {3, 9}
    assert jd.first_cuts(frozenset(), rising, levels) == frozenset()
    # a ratio that overflows (a level of 1e-320) ranks as inf, silently (review, 2026-11-30:
    # numpy's overflow warning reached the caller of solve_rdp)
    huge = np.array([0, 0, 0, 1e-3, 0, 0, 0, 0, 0, 1.0])
    tiny = np.array([1, 1, 1, 1e-320, 1, 1, 1, 1, 1, 1e-320])
    assert jd.first_cuts(frozenset({3, 9}), huge, tiny) == {9}  # 1e320 against 1e317: 9 leads
    for plf in (sa, fmd):
        assert plf.first_cuts(violated, rising, levels) == violated

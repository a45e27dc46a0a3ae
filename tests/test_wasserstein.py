"""Bures-Wasserstein formula against POT and the 1-D closed form."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rdp_theory import gaussian_w2_squared
from rdp_theory.exceptions import InvalidParameterError


@given(a=st.floats(0, 10), b=st.floats(0, 10))
def test_one_dimensional(a: float, b: float) -> None:
    assert gaussian_w2_squared(a, b) == pytest.approx((np.sqrt(a) - np.sqrt(b)) ** 2, abs=1e-12)


@given(seed=st.integers(0, 2**31), d=st.integers(2, 5))
def test_matches_pot(seed: int, d: int) -> None:
    ot = pytest.importorskip("ot")
    rng = np.random.default_rng(seed)
    m1, m2 = rng.normal(size=(d, d)), rng.normal(size=(d, d))
    k1, k2 = m1 @ m1.T, m2 @ m2.T
    ref = float(ot.gaussian.bures_wasserstein_distance(np.zeros(d), np.zeros(d), k1, k2)) ** 2
    assert gaussian_w2_squared(k1, k2) == pytest.approx(ref, rel=1e-8, abs=1e-10)


def test_zero_for_equal_laws_and_rejects_bad_shapes() -> None:
    k = np.array([[2.0, 0.5], [0.5, 1.0]])
    assert gaussian_w2_squared(k, k) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(InvalidParameterError):
        gaussian_w2_squared(k, np.eye(3))

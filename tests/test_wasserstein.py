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


@pytest.mark.parametrize(
    "k1, k2, match",
    [
        (np.ones((2, 2, 2)), np.ones((2, 2, 2)), r"k1 must be a scalar variance or a square \(d, d\) matrix.*\(2, 2, 2\)"),
        (-1.0, 1.0, "k1 must be a positive semidefinite variance"),
        (1.0, -0.5, "k2 must be a positive semidefinite"),
        ([[1.0, 2.0], [0.0, 1.0]], np.eye(2), "k1 must be symmetric"),
        (np.eye(2), [[1.0, 2.0], [2.0, 1.0]], "k2 must be a positive semidefinite matrix"),
        (np.eye(2), np.eye(2) + 0j, "k2 must be a real number"),
        ("1", 1.0, "k1"),
        (None, 1.0, "k1"),
        (True, 1.0, "k1"),
        (np.eye(2), [[np.inf, 0.0], [0.0, 1.0]], "k2 must have finite entries"),
    ],
)
def test_rejects_non_covariances(k1: object, k2: object, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        gaussian_w2_squared(k1, k2)


@given(log_c=st.floats(-290, 290), seed=st.integers(0, 2**31), d=st.integers(1, 4))
def test_scale_covariance(log_c: float, seed: int, d: int) -> None:
    """W2^2(c K1, c K2) = c W2^2(K1, K2) at any scale (computed on K / max|K|)."""
    rng = np.random.default_rng(seed)
    m1, m2 = rng.normal(size=(d, d)), rng.normal(size=(d, d))
    k1, k2 = m1 @ m1.T, m2 @ m2.T
    c = 10.0**log_c
    assert gaussian_w2_squared(c * k1, c * k2) == pytest.approx(c * gaussian_w2_squared(k1, k2), rel=1e-9)


def test_round_off_asymmetry_and_negative_eigenvalues_are_tolerated() -> None:
    k = np.array([[1.0, 0.5], [0.5 + 1e-12, 0.25]])  # singular, tiny asymmetry
    assert gaussian_w2_squared(k, k) == pytest.approx(0.0, abs=1e-9)
    assert gaussian_w2_squared(-1e-12, 1.0) == pytest.approx(1.0)


def _mp_w2_squared(k1: np.ndarray, k2: np.ndarray) -> float:
    """The trace formula in 80-digit arithmetic (mpmath's symmetric eigen-solver)."""
    import mpmath as mp

    with mp.workdps(80):
        def sqrtm(m):  # type: ignore[no-untyped-def]
            w, q = mp.eigsy(m)
            return q * mp.diag([mp.sqrt(max(x, 0)) for x in w]) * q.T

        a, b = mp.matrix(k1.tolist()), mp.matrix(k2.tolist())
        ra = sqrtm(a)
        mid = ra * b * ra
        root = sqrtm((mid + mid.T) / 2)
        n = a.rows
        return float(sum(a[i, i] + b[i, i] - 2 * root[i, i] for i in range(n)))


@given(seed=st.integers(0, 2**32 - 1), d=st.integers(2, 6), log_eps=st.floats(-9.0, -3.0))
def test_nearly_equal_laws_keep_their_relative_accuracy(seed: int, d: int, log_eps: float) -> None:
    """K2 = K1 + a perturbation of size 1e-9..1e-3: W2^2 ~ its square, far below the round-off of
    the trace formula in double (1e-16 of the traces; it was off by up to 9e2 of itself). The
    Procrustes difference keeps it to 1e-5 of itself against 80-digit arithmetic."""
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((d, d))
    k1 = m @ m.T + 0.1 * np.eye(d)
    e = rng.standard_normal((d, d))
    k2 = k1 + (e + e.T) * 10.0**log_eps
    if np.linalg.eigvalsh(k2).min() <= 0:
        return
    ref = _mp_w2_squared(k1, k2)
    assert gaussian_w2_squared(k1, k2) == pytest.approx(ref, rel=1e-5, abs=0.0)

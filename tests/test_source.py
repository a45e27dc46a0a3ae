"""GaussMarkovSource: law, sampling and validation."""

from __future__ import annotations

import numpy as np
import pytest

import rdp_theory as rt


def test_covariance_structure() -> None:
    src = rt.GaussMarkovSource((1.0, 2.0, 0.5), (0.9, -0.4))
    cov = src.covariance()
    np.testing.assert_allclose(np.diag(cov), [1.0, 4.0, 0.25])
    corr = cov / np.outer(src.sigma, src.sigma)
    np.testing.assert_allclose([corr[0, 1], corr[1, 2], corr[0, 2]], [0.9, -0.4, -0.36])
    assert np.all(np.linalg.eigvalsh(cov) > 0)


def test_samples_have_the_stated_law() -> None:
    """Sample covariance within 5 standard errors of the exact covariance (n = 200 000)."""
    src = rt.GaussMarkovSource((1.0, 2.0, 0.5), (0.9, -0.4))
    n = 200_000
    x = src.sample(n, np.random.default_rng(1))
    assert x.shape == (n, 3)
    emp = x.T @ x / n
    cov = src.covariance()
    se = np.sqrt((cov**2 + np.outer(np.diag(cov), np.diag(cov))) / n)  # Var of x_i x_j products
    assert np.all(np.abs(emp - cov) <= 5 * se)


def test_sampling_is_reproducible_and_uses_the_given_generator() -> None:
    src = rt.GaussMarkovSource.stationary(4)
    a = src.sample(10, np.random.default_rng(7))
    b = src.sample(10, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(src.sample(10, 7), a)  # an int seed is a default_rng seed
    with pytest.raises(rt.InvalidParameterError, match="rng"):
        src.sample(10, None)  # type: ignore[arg-type]


def test_frozen_and_hashable() -> None:
    src = rt.GaussMarkovSource.stationary(2)
    assert src == rt.GaussMarkovSource((1.0, 1.0), (0.9,))
    assert hash(src) == hash(rt.GaussMarkovSource((1.0, 1.0), (0.9,)))
    with pytest.raises(AttributeError):
        src.sigmas = (2.0, 2.0)  # type: ignore[misc]

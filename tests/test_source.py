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


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: rt.GaussMarkovSource.stationary(3, [1, 2]), "sigma must be a single real number"),
        (lambda: rt.GaussMarkovSource.stationary(1, 1.0, float("nan")), "rho"),  # checked even at T = 1
        (lambda: rt.GaussMarkovSource.stationary(1, 1.0, 1.5), r"rho must lie in the open interval \(-1, 1\)"),
        (lambda: rt.GaussMarkovSource.stationary(True), r"T must be an integer in \[1, 1000000\]"),
        (lambda: rt.GaussMarkovSource.stationary(10**400), "T must be an integer"),
        (lambda: rt.GaussMarkovSource.stationary(np.timedelta64(3, "s")), "T must be an integer"),
        (lambda: rt.GaussMarkovSource((1.0, True), (0.5,)), "sigmas"),
        (lambda: rt.GaussMarkovSource((1.0, 1.0), (0.5 + 0j,)), "rhos"),
        (lambda: rt.GaussMarkovSource((1.0, 1e151), (0.5,)), r"sigmas must lie in \[1e-150, 1e\+150\]"),
        (lambda: rt.GaussMarkovSource.stationary(2).sample(10**400, 0), "n must be an integer"),
        (lambda: rt.GaussMarkovSource.stationary(2).sample(10, True), "rng"),
        (lambda: rt.GaussMarkovSource.stationary(2).sample(10, np.timedelta64(1)), "rng"),
        (lambda: rt.GaussMarkovSource.stationary(2).scaled(1e200), r"factor must lie in \[1e-150, 1e\+150\]"),
        (lambda: rt.GaussMarkovSource.stationary(2).scaled([2.0]), "factor must be a single real number"),
    ],
)
def test_constructors_and_methods_reject_bad_arguments(call, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(rt.InvalidParameterError, match=name):
        call()


def test_extreme_accepted_sources_have_finite_laws() -> None:
    """Every accepted sigma: ratios up to 1e300 keep a_j, A_{k,i}, covariance and samples finite."""
    src = rt.GaussMarkovSource((1e-150, 1e150, 1e-150), (0.9, -0.9))
    for arr in (src.a, src.transfer, src.covariance(), src.sample(100, 0)):
        assert np.all(np.isfinite(arr))
    assert src.scaled(1e-150 / 1e-150 * 1.0).sigmas == src.sigmas

"""Classical DPCM baselines: Lloyd-Max and entropy-coded uniform quantisers on the Gauss-Markov
source, checked against textbook values, high-resolution theory and the MMSE bound."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

import rdp_theory as rt
from learned.baselines import (
    decode_ecsq,
    decode_lloyd_max,
    dpcm_ecsq,
    dpcm_lloyd_max,
    lloyd_max_gaussian,
)
from rdp_theory.exceptions import InvalidParameterError

N = 20_000
SOURCE = rt.GaussMarkovSource((1.0, 1.0, 1.0), (0.9, 0.9))


@pytest.fixture
def constriction():
    return pytest.importorskip(
        "constriction", reason="the entropy-coded baseline needs constriction"
    )


def _assert_above_bound(source, res):
    bound = rt.mmse_distortions(source, res.rates)
    assert np.all(res.distortions >= bound - 4 * res.distortion_se), (res.distortions, bound)


# --- Lloyd-Max ------------------------------------------------------------------------------


def test_lloyd_max_one_bit_is_textbook():
    levels, thresholds, mse = lloyd_max_gaussian(1)
    assert mse == pytest.approx(1 - 2 / math.pi, abs=1e-12)
    np.testing.assert_allclose(
        levels, [-math.sqrt(2 / math.pi), math.sqrt(2 / math.pi)], atol=1e-12
    )
    np.testing.assert_allclose(thresholds, [0.0], atol=1e-12)


def test_lloyd_max_tables():
    # Max (1960): 2 bits 0.1175, 3 bits 0.03455; MSE decreasing, levels symmetric
    assert lloyd_max_gaussian(2)[2] == pytest.approx(0.1175, abs=1e-4)
    assert lloyd_max_gaussian(3)[2] == pytest.approx(0.03455, abs=1e-5)
    levels, _, _ = lloyd_max_gaussian(3)
    np.testing.assert_allclose(levels, -levels[::-1], atol=1e-10)


def test_dpcm_lloyd_max_one_bit_on_unit_gaussian():
    source = rt.GaussMarkovSource((1.0,), ())
    res = dpcm_lloyd_max(source, 1, N, np.random.default_rng(1))
    assert res.rates.tolist() == [1.0]
    assert abs(res.distortions[0] - (1 - 2 / math.pi)) <= 4 * res.distortion_se[0]
    # scaled source: MSE scales with the residual variance
    scaled = rt.GaussMarkovSource((2.0,), ())
    res2 = dpcm_lloyd_max(scaled, 1, N, np.random.default_rng(1))
    assert abs(res2.distortions[0] - 4 * (1 - 2 / math.pi)) <= 4 * res2.distortion_se[0]


@pytest.mark.parametrize("bits", [1, 2, 3])
def test_dpcm_lloyd_max_decodes_and_respects_bound(bits):
    res = dpcm_lloyd_max(SOURCE, bits, N, np.random.default_rng(bits))
    assert res.indices.min() >= 0 and res.indices.max() < 2**bits
    assert np.array_equal(decode_lloyd_max(SOURCE, bits, res.indices), res.reconstruction)
    assert np.all(res.rates == bits) and np.all(res.side_info_bits == 0)
    _assert_above_bound(SOURCE, res)
    # prediction helps: P-frames beat the I-frame at the same rate
    assert np.all(res.distortions[1:] < res.distortions[0])


def test_dpcm_lloyd_max_is_reproducible():
    a = dpcm_lloyd_max(SOURCE, 2, 1000, np.random.default_rng(7))
    b = dpcm_lloyd_max(SOURCE, 2, 1000, np.random.default_rng(7))
    assert np.array_equal(a.reconstruction, b.reconstruction)


# --- entropy-coded uniform quantiser --------------------------------------------------------


@pytest.mark.parametrize("model", ["gaussian", "empirical"])
@pytest.mark.parametrize("deadzone", [0.0, 0.3])
def test_ecsq_stream_decodes_exactly(constriction, model, deadzone):
    step = (1.2, 0.6, 0.6)
    res = dpcm_ecsq(SOURCE, step, N, np.random.default_rng(3), deadzone=deadzone, model=model)
    idx, xhat = decode_ecsq(SOURCE, step, res.streams, res.side_info)
    assert np.array_equal(idx, res.indices)
    assert np.array_equal(xhat, res.reconstruction)
    bits = np.array([32 * s.size for s in res.streams])
    assert np.array_equal(res.payload_bits, bits)
    np.testing.assert_allclose(res.rates, (bits + res.side_info_bits) / N)
    assert np.all(res.side_info_bits > 0)
    _assert_above_bound(SOURCE, res)


def test_ecsq_deadzone_zeroes_more(constriction):
    plain = dpcm_ecsq(SOURCE, 0.8, N, np.random.default_rng(4))
    dz = dpcm_ecsq(SOURCE, 0.8, N, np.random.default_rng(4), deadzone=0.3)
    assert np.mean(dz.indices[:, 0] == 0) > np.mean(plain.indices[:, 0] == 0)
    assert dz.rates[0] < plain.rates[0]


def test_ecsq_constant_frame_costs_side_info_only(constriction):
    res = dpcm_ecsq(rt.GaussMarkovSource((1.0,), ()), 100.0, 500, np.random.default_rng(0))
    assert res.streams[0].size == 0 and np.all(res.indices == 0)
    assert res.rates[0] == pytest.approx(4 * 32 / 500)  # step, kmin, kmax, scale
    idx, xhat = decode_ecsq(rt.GaussMarkovSource((1.0,), ()), 100.0, res.streams, res.side_info)
    assert np.all(idx == 0) and np.all(xhat == 0)


@pytest.mark.parametrize("model", ["gaussian", "empirical"])
def test_ecsq_high_resolution(constriction, model):
    """MSE ~ step^2/12 and payload rate ~ h(residual) - log2(step), within Monte Carlo error."""
    step = 0.05
    res = dpcm_ecsq(SOURCE, step, N, np.random.default_rng(5), model=model)
    assert np.all(np.abs(res.distortions - step**2 / 12) <= 4 * res.distortion_se)
    a = np.concatenate(([0.0], SOURCE.a))
    q = np.concatenate(([SOURCE.sigma[0] ** 2], SOURCE.innovation_variances))
    var = q + a**2 * step**2 / 12  # closed loop: the previous frame's error enters the residual
    h = 0.5 * np.log2(2 * math.pi * math.e * var)
    # Monte Carlo error of the ideal code length -log2(step * gaussian_pdf(residual))
    resid = res.indices * step
    ideal = -np.log2(step * np.exp(-0.5 * resid**2 / var) / np.sqrt(2 * math.pi * var))
    se = ideal.std(axis=0, ddof=1) / math.sqrt(N)
    payload = res.payload_bits / N
    assert np.all(np.abs(payload - (h - math.log2(step))) <= 4 * se + 0.01), (payload, h)


@pytest.mark.parametrize("model", ["gaussian", "empirical"])
@pytest.mark.parametrize("step", [2.0, 1.0, 0.5, 0.25])
def test_ecsq_respects_bound(constriction, model, step):
    res = dpcm_ecsq(SOURCE, step, N, np.random.default_rng(6), model=model)
    _assert_above_bound(SOURCE, res)


# --- arguments and imports ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: lloyd_max_gaussian(0), "bits must be an integer >= 1"),
        (lambda: lloyd_max_gaussian(7), r"bits must be an integer in \[1, 6\]"),
        (lambda: dpcm_lloyd_max(SOURCE, True, N, np.random.default_rng()), "bits must be"),
        (lambda: dpcm_lloyd_max("src", 1, N, np.random.default_rng()), "source must be"),
        (
            lambda: dpcm_lloyd_max(SOURCE, 1, 1, np.random.default_rng()),
            "n must be an integer >= 2",
        ),
        (lambda: dpcm_lloyd_max(SOURCE, 1, N, 0), "rng must be a numpy.random.Generator"),
        (lambda: decode_lloyd_max(SOURCE, 1, np.zeros((3, 2), int)), "indices must be"),
        (lambda: decode_lloyd_max(SOURCE, 1, np.full((3, 3), 2)), r"indices must lie in \[0, 2\)"),
        (
            lambda: dpcm_ecsq(SOURCE, 0.0, N, np.random.default_rng()),
            "step must be a finite number > 0",
        ),
        (
            lambda: dpcm_ecsq(SOURCE, (1.0, 1.0), N, np.random.default_rng()),
            "step must be a number or 3",
        ),
        (lambda: dpcm_ecsq(SOURCE, (1.0, -1.0, 1.0), N, np.random.default_rng()), r"step\[1\]"),
        (lambda: dpcm_ecsq(SOURCE, 1.0, N, np.random.default_rng(), deadzone=0.5), "deadzone"),
        (lambda: dpcm_ecsq(SOURCE, 1.0, N, np.random.default_rng(), model="x"), "model must be"),
        (lambda: decode_ecsq(SOURCE, 1.0, (), ()), "streams and side_info must have 3"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(InvalidParameterError, match=message):
        call()


def test_import_is_numpy_only():
    code = (
        "import sys, learned.baselines; "
        "assert 'constriction' not in sys.modules and 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

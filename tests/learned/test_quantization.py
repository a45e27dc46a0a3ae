"""Universal quantiser: noise bounds, exact round trips, exact fixed-length rate accounting."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # the CI box is small and shared

from hypothesis import given, settings
from hypothesis import strategies as st

from learned.quantization import UniformDitheredQuantizer, fixed_length_rate
from rdp_theory.exceptions import InvalidParameterError

pytestmark = pytest.mark.learned

# float32 arithmetic on values of size <= (L-1)*step: a few ulps of slack on the +-step/2 bound
ROUNDING_SLACK = 1e-5


@settings(max_examples=40, deadline=None)
@given(
    levels=st.integers(2, 64),
    step=st.floats(0.01, 10.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_error_within_half_step_for_in_range_latents(levels: int, step: float, seed: int) -> None:
    """For y in [0, (L-1) step] the dithered reconstruction error lies in [-step/2, step/2]."""
    q = UniformDitheredQuantizer(levels, step)
    g = torch.Generator().manual_seed(seed)
    y = torch.rand(2000, generator=g) * q.high
    y_hat = q(y, g, training=False)
    err = (y_hat - y).abs().max().item()
    assert err <= step / 2 * (1 + ROUNDING_SLACK) + ROUNDING_SLACK


def test_squash_maps_into_range_and_clip_never_acts() -> None:
    """squash() outputs are representable: encoding them never hits the clip."""
    q = UniformDitheredQuantizer(8, 0.5)
    g = torch.Generator().manual_seed(0)
    y = q.squash(torch.randn(10000, generator=g) * 10)
    u = q.dither(y.shape, g)
    raw = torch.round(y / q.step + u)
    assert raw.min() >= 0 and raw.max() <= q.levels - 1


def test_symbols_round_trip_with_shared_dither() -> None:
    """Encoder and decoder seeded alike: decode(encode(y)) equals the forward value exactly,
    and re-encoding the reconstruction returns the same integer symbols."""
    q = UniformDitheredQuantizer(16, 0.25)
    y = q.squash(torch.randn(64, 5, generator=torch.Generator().manual_seed(1)))
    enc_gen, dec_gen = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    u_enc = q.dither(y.shape, enc_gen)
    s = q.encode(y, u_enc)
    assert s.dtype == torch.int64 and s.min() >= 0 and s.max() <= 15
    u_dec = q.dither(y.shape, dec_gen)
    y_hat = q.decode(s, u_dec)
    assert torch.equal(y_hat, q(y, torch.Generator().manual_seed(7), training=False))
    assert torch.equal(q.encode(y_hat, u_dec), s)


def test_straight_through_value_and_gradient() -> None:
    """STE training output equals the exact quantised value and has identity gradient."""
    q = UniformDitheredQuantizer(4, 1.0)
    y = torch.tensor([0.3, 1.7, 2.2], requires_grad=True)
    out = q(y, torch.Generator().manual_seed(3), training=True)
    exact = q(y.detach(), torch.Generator().manual_seed(3), training=False)
    assert torch.equal(out.detach(), exact)
    out.sum().backward()
    assert torch.equal(y.grad, torch.ones(3))


@pytest.mark.parametrize(
    "k, levels, n", [(1, 2, 1), (2, 4, 4), (3, 16, 1024), (5, 3, 7), (0, 4, 4)]
)
def test_fixed_length_rate_is_exact(k: int, levels: int, n: int) -> None:
    """Rate = k * log2(L) / n bits per sample, and total bits reproduce k * log2(L)."""
    r = fixed_length_rate(k, levels, n)
    assert r == k * math.log2(levels) / n
    assert math.isclose(r * n, k * math.log2(levels), rel_tol=0, abs_tol=1e-12)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"levels": 1}, "levels"),
        ({"levels": 4, "step": 0.0}, "step"),
        ({"levels": 4, "mode": "x"}, "mode"),
    ],
)
def test_bad_quantiser_arguments_are_named(kwargs: dict, name: str) -> None:
    with pytest.raises(InvalidParameterError, match=name):
        UniformDitheredQuantizer(**kwargs)


def test_decode_rejects_out_of_alphabet_symbols() -> None:
    q = UniformDitheredQuantizer(4)
    with pytest.raises(InvalidParameterError, match="symbols"):
        q.decode(torch.tensor([4]), torch.zeros(1))

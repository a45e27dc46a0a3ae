"""Codec structure: shapes, rates, lossless frames, causality, universality of the encoder."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # the CI box is small and shared

from learned.models import CausalCodec, CodecConfig
from rdp_theory.exceptions import InvalidParameterError

pytestmark = pytest.mark.learned


def _codec(
    frame_shape: tuple[int, ...], latent: tuple[int | None, ...], seed: int = 0
) -> CausalCodec:
    cfg = CodecConfig(frame_shape, latent, levels=4, hidden=16, noise_dim=2)
    return CausalCodec(cfg, torch.Generator().manual_seed(seed))


def _run(codec: CausalCodec, x: torch.Tensor, seed: int = 0) -> dict:
    return codec(x, torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed + 1))


@pytest.mark.parametrize("frame_shape", [(5,), (8, 12)])
def test_forward_shapes_and_rates(frame_shape: tuple[int, ...]) -> None:
    codec = _codec(frame_shape, (2, 3, None))
    x = torch.rand(6, 3, *frame_shape, generator=torch.Generator().manual_seed(0))
    out = _run(codec, x)
    assert out["x_hat"].shape == x.shape
    n = math.prod(frame_shape)
    assert out["rate_bits"].tolist() == [2 * 2 / n, 3 * 2 / n, math.inf]
    assert torch.equal(out["x_hat"][:, 2], x[:, 2])  # lossless frame passes through


def test_causality_future_frames_do_not_affect_past_reconstructions() -> None:
    codec = _codec((4,), (2, 2, 2))
    x = torch.randn(7, 3, 4, generator=torch.Generator().manual_seed(1))
    x2 = x.clone()
    x2[:, 2] += 5.0
    oa, ob = _run(codec, x), _run(codec, x2)
    assert torch.equal(oa["x_hat"][:, :2], ob["x_hat"][:, :2])
    assert all(torch.equal(oa["y_hat"][i], ob["y_hat"][i]) for i in range(2))
    # frame 3's latent does see its own frame (the quantised symbol may coincide at random init)
    assert not torch.equal(oa["y"][2], ob["y"][2])


def test_encoder_does_not_depend_on_the_decoder() -> None:
    """The representation is a function of the source and dither only: swapping the decoder
    (as the universal stage does) leaves every quantised latent unchanged."""
    c1, c2 = _codec((4,), (2, 2, 2), seed=0), _codec((4,), (2, 2, 2), seed=1)
    c2.encoder.load_state_dict(c1.encoder.state_dict())
    x = torch.randn(9, 3, 4, generator=torch.Generator().manual_seed(2))
    o1, o2 = _run(c1, x), _run(c2, x)
    for a, b in zip(o1["y_hat"], o2["y_hat"]):
        assert torch.equal(a, b)
    assert not torch.equal(o1["x_hat"], o2["x_hat"])


def test_initialisation_is_deterministic_given_the_generator() -> None:
    a, b, c = _codec((4,), (2, 2), 5), _codec((4,), (2, 2), 5), _codec((4,), (2, 2), 6)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert any(not torch.equal(sa[k], sc[k]) for k in sa)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"frame_shape": (4,), "latent_dims": ()}, "latent_dims"),
        ({"frame_shape": (4,), "latent_dims": (0,)}, "latent_dims"),
        ({"frame_shape": (6, 6), "latent_dims": (1,)}, "frame_shape"),
        ({"frame_shape": (4,), "latent_dims": (1,), "levels": 1}, "levels"),
        ({"frame_shape": (4,), "latent_dims": (1,), "noise_dim": -1}, "noise_dim"),
    ],
)
def test_bad_config_is_named(kwargs: dict, name: str) -> None:
    with pytest.raises(InvalidParameterError, match=name):
        CodecConfig(**kwargs)


def test_wrong_input_shape_is_named() -> None:
    codec = _codec((4,), (2, 2))
    with pytest.raises(InvalidParameterError, match="x must have shape"):
        _run(codec, torch.zeros(3, 3, 4))

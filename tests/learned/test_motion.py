"""Motion-compensated image P-frames: exact translations, block matching, and the encoder's
context depending on the representations only (the universality constraint)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # the CI box is small and shared

from learned.data import moving_digits
from learned.models import CausalCodec, CodecConfig
from learned.motion import motion_compensate, translates, translation_correlation
from learned.train import TrainConfig, Trainer
from rdp_theory.exceptions import InvalidParameterError

pytestmark = pytest.mark.learned


def _shift(img: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Reference translation with zero fill: out[y, x] = img[y - dy, x - dx]."""
    H, W = img.shape[-2:]
    out = torch.zeros_like(img)
    ys, yd = slice(max(0, -dy), min(H, H - dy)), slice(max(0, dy), min(H, H + dy))
    xs, xd = slice(max(0, -dx), min(W, W - dx)), slice(max(0, dx), min(W, W + dx))
    out[..., yd, xd] = img[..., ys, xs]
    return out


@pytest.mark.parametrize("dy, dx", [(0, 0), (3, -2), (-5, 5), (1, 4), (-4, -1)])
def test_one_hot_kernel_is_an_exact_integer_translation(dy: int, dx: int) -> None:
    K, r = 11, 5
    img = torch.rand(3, 16, 20, generator=torch.Generator().manual_seed(0))
    kernel = torch.zeros(3, K, K)
    kernel[:, r + dy, r + dx] = 1.0
    out = motion_compensate(img, kernel)
    assert torch.equal(out, _shift(img, dy, dx))
    assert torch.equal(translates(img, K)[:, (r + dy) * K + (r + dx)], _shift(img, dy, dx))


def test_per_sample_kernels_and_a_digit_moving_inside_the_frame() -> None:
    """Each sample gets its own kernel; a bouncing-digit frame pair is reproduced exactly by the
    displacement that block matching finds."""
    x = torch.from_numpy(moving_digits(4, 2, np.random.default_rng(3), size=32))
    K, r = 11, 5
    corr = translation_correlation(x[:, 1], x[:, 0], K)
    best = corr.argmax(1)
    kernel = torch.nn.functional.one_hot(best, K * K).float().reshape(4, K, K)
    assert torch.allclose(motion_compensate(x[:, 0], kernel), x[:, 1])
    dys, dxs = best // K - r, best % K - r
    assert (dys.abs() + dxs.abs()).max() > 0  # the digits did move
    # a spread (softmax) kernel is a convex combination of translates
    soft = torch.softmax(torch.randn(4, K * K, generator=torch.Generator().manual_seed(1)), 1)
    out = motion_compensate(x[:, 0], soft.reshape(4, K, K))
    assert out.min() >= 0 and out.max() <= 1 + 1e-6


def _image_codec(
    latent: tuple[int | None, ...], seed: int, noise_dim: int = 3, decode_lossless: bool = False
) -> CausalCodec:
    cfg = CodecConfig(
        (16, 16),
        latent,
        levels=4,
        hidden=16,
        noise_dim=noise_dim,
        motion_kernel=5,
        decode_lossless=decode_lossless,
    )
    return CausalCodec(cfg, torch.Generator().manual_seed(seed))


def _run(codec: CausalCodec, x: torch.Tensor, dither: int, noise: int) -> dict:
    return codec(x, torch.Generator().manual_seed(dither), torch.Generator().manual_seed(noise))


@pytest.mark.parametrize(
    ("latent", "decode_lossless"), [((2, 3, 3), False), ((None, 2, 2), False), ((2, None, 2), True)]
)
def test_encoder_context_depends_on_representations_only(
    latent: tuple[int | None, ...], decode_lossless: bool
) -> None:
    """Changing the decoder's noise or swapping in another (e.g. a PLF) decoder leaves the
    latents, the representations and the encoder's context images unchanged; the context is the
    reference decoder applied to the representations."""
    x = torch.rand(5, 3, 16, 16, generator=torch.Generator().manual_seed(4))
    a = _image_codec(latent, 0, decode_lossless=decode_lossless)
    b = _image_codec(latent, 1, decode_lossless=decode_lossless)
    b.encoder.load_state_dict(a.encoder.state_dict())
    o1, o2, o3 = _run(a, x, 0, 1), _run(a, x, 0, 99), _run(b, x, 0, 1)
    for o in (o2, o3):
        for key in ("y", "y_hat"):
            assert all(torch.equal(p, q) for p, q in zip(o1[key], o[key]))
        assert torch.equal(o1["x_ref"], o["x_ref"])
    assert not torch.equal(o1["x_hat"], o2["x_hat"])  # the noise does reach the decoder
    assert not torch.equal(o1["x_hat"], o3["x_hat"])
    assert torch.equal(a.encoder.context(o1["y_hat"]), o1["x_ref"])
    if latent[0] is None:  # a lossless frame is its own context
        assert torch.equal(o1["x_ref"][:, 0], x[:, 0])


def test_lossless_p_frames_are_decoded_when_asked_and_passed_through_otherwise() -> None:
    """decode_lossless: a lossless P-frame's reconstruction is computed from the exact frame (the
    decoder may deviate from it, as PLF-JD can require), the reference decoder and frame 1 still
    pass through, causality holds, and a few MSE steps pull the decoded frames towards the source."""
    from learned.data import MovingDigitsStream

    x = torch.from_numpy(moving_digits(6, 3, np.random.default_rng(5), size=16))
    dec = _image_codec((2, None, None), 0, decode_lossless=True)
    passed = _image_codec((2, None, None), 0)
    o, p = _run(dec, x, 0, 1), _run(passed, x, 0, 1)
    assert dec.config.rates()[1:] == [float("inf")] * 2
    assert torch.equal(p["x_hat"][:, 1:], x[:, 1:])  # default: passed through
    assert torch.equal(o["x_ref"][:, 1:], x[:, 1:])  # the encoder's context stays exact
    assert not torch.allclose(o["x_hat"][:, 1:], x[:, 1:])  # decoded: a learned function
    y = x.clone()
    y[:, 1] = torch.flip(y[:, 1], dims=(-1,))
    oy = _run(dec, y, 0, 1)
    assert torch.equal(oy["x_hat"][:, 0], o["x_hat"][:, 0])  # causal
    assert not torch.equal(oy["x_hat"][:, 1], o["x_hat"][:, 1])  # frame 2 sees the exact frame
    first = _image_codec((None, None, 2), 0, decode_lossless=True)
    assert torch.equal(_run(first, x, 0, 1)["x_hat"][:, 0], x[:, 0])  # frame 1: passed through
    err0 = ((o["x_hat"][:, 1:] - x[:, 1:]) ** 2).mean()
    data = MovingDigitsStream(3, 8, np.random.default_rng(0), size=16)
    Trainer(dec, data, TrainConfig("mse", "mse", steps=40, lr=1e-2)).run(progress=False)
    err1 = ((_run(dec, x, 0, 1)["x_hat"][:, 1:] - x[:, 1:]) ** 2).mean()
    assert err1 < 0.5 * err0
    with pytest.raises(InvalidParameterError, match="decode_lossless"):
        CodecConfig((4,), (1, None), decode_lossless=True)
    with pytest.raises(InvalidParameterError, match="decode_lossless"):
        CodecConfig((16, 16), (1, None), decode_lossless=1)  # type: ignore[arg-type]


def test_universal_stage_keeps_the_code_while_the_decoder_trains() -> None:
    """A few PLF steps with the frozen encoder change the decoder but not the code or context."""
    from learned.data import MovingDigitsStream

    codec = _image_codec((2, 2, 2), 0)
    x = torch.from_numpy(moving_digits(6, 3, np.random.default_rng(5), size=16))
    before = _run(codec, x, 0, 1)
    data = MovingDigitsStream(3, 4, np.random.default_rng(0), size=16)
    Trainer(codec, data, TrainConfig("universal", "jd", steps=3, lr=1e-2)).run(progress=False)
    after = _run(codec, x, 0, 1)
    assert all(torch.equal(p, q) for p, q in zip(before["y_hat"], after["y_hat"]))
    assert torch.equal(before["x_ref"], after["x_ref"])
    assert not torch.equal(before["x_hat"], after["x_hat"])


def test_image_resume_is_bit_exact(tmp_path: Path) -> None:
    """The reference decoder is part of the checkpoint: an interrupted image MSE run resumes
    bit for bit."""
    from learned.data import MovingDigitsStream

    def trainer() -> Trainer:
        data = MovingDigitsStream(3, 4, np.random.default_rng(0), size=16)
        return Trainer(_image_codec((None, 2, 2), 0), data, TrainConfig("mse", "mse", steps=6))

    full = trainer()
    full.run(progress=False)
    part = trainer()
    part.run(checkpoint=tmp_path / "c.pt", progress=False, stop_after=3)
    resumed = trainer()
    resumed.run(checkpoint=tmp_path / "c.pt", resume=True, progress=False)
    sa, sb = full.codec.state_dict(), resumed.codec.state_dict()
    assert any(k.startswith("encoder.reference.") for k in sa)
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert [h["loss"] for h in full.history] == [h["loss"] for h in resumed.history]


def test_even_motion_kernel_is_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="motion_kernel"):
        CodecConfig((16, 16), (2,), motion_kernel=4)


def test_fast_paths_match_the_explicit_translates() -> None:
    """The grouped-conv motion compensation and block matching equal sums over translates."""
    K = 7
    g = torch.Generator().manual_seed(6)
    prev, x = torch.rand(3, 12, 10, generator=g), torch.rand(3, 12, 10, generator=g)
    kernel = torch.softmax(torch.randn(3, K * K, generator=g), 1)
    shifted = translates(prev, K)
    want = torch.einsum("bkhw,bk->bhw", shifted, kernel)
    assert torch.allclose(motion_compensate(prev, kernel.reshape(3, K, K)), want, atol=1e-6)
    dot = torch.einsum("bkhw,bhw->bk", shifted, x)
    cos = dot / (x.flatten(1).norm(dim=1) * prev.flatten(1).norm(dim=1))[:, None]
    std = (cos - cos.mean(1, keepdim=True)) / (cos.std(1, keepdim=True) + 1e-3)
    assert torch.allclose(translation_correlation(x, prev, K), std, atol=1e-4)


def test_identity_drift_is_zero_for_moving_digits_and_positive_for_a_new_digit() -> None:
    from learned.metrics import identity_drift

    x = moving_digits(8, 3, np.random.default_rng(7), size=32)
    assert np.all(identity_drift(x) == 0.0)  # a bouncing digit only moves
    swapped = x.copy()
    swapped[:, 2] = x[::-1, 2]  # frame 3 shows another sequence's digit
    d = identity_drift(swapped)
    assert np.all(d[:, :2] == 0.0) and np.all(d[:, 2] > 0.0)
    with pytest.raises(InvalidParameterError, match="window"):
        identity_drift(x, window=4)

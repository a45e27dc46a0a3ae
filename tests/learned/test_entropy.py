"""The entropy-coded codec: code lengths, real bitstreams, rate control and the moment loss.

Two routes for each claim: the training proxy's code length against scipy's Gaussian masses,
the bitstream's length against the proxy, the decoded symbols against the encoded ones, the
differentiable Gaussian-fit W2^2 against the float64 evaluator of :mod:`learned.metrics`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("constriction")
torch.set_num_threads(1)  # the CI box is small and shared

from scipy.special import ndtr
from scipy.stats import norm

import rdp_theory as rt
from learned.data import GaussMarkovStream
from learned.entropy import (
    SYMBOL_BOUND,
    code_length_bits,
    decode_streams,
    encode_streams,
    stream_bits,
)
from learned.experiments._common import BitstreamError, coded_evaluation, generator, reconstruct
from learned.losses import gaussian_fit_w2
from learned.metrics import gaussian_fit_w2_squared, perception_gaussian_fit
from learned.models import CausalCodec, CodecConfig
from learned.quantization import SignedDitheredQuantizer
from learned.train import TrainConfig, Trainer
from rdp_theory.exceptions import InvalidParameterError

pytestmark = pytest.mark.learned

SRC = rt.GaussMarkovSource.stationary(T=3, sigma=1.0, rho=0.9)


def _codec(targets: tuple[float, ...] = (1.0, 1.0, 1.0), n: int = 1) -> CausalCodec:
    cfg = CodecConfig((n,), (n,) * 3, hidden=16, noise_dim=n, coding="entropy",
                      target_rates=targets)  # fmt: skip
    return CausalCodec(cfg, generator(0))


def test_code_length_is_minus_log2_of_the_gaussian_mass() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(0, 3, 500)
    mu = rng.normal(0, 1, 500)
    sc = rng.uniform(0.05, 5, 500)
    got = code_length_bits(torch.from_numpy(y), torch.from_numpy(mu), torch.from_numpy(sc))
    mass = norm.cdf(y + 0.5, mu, sc) - norm.cdf(y - 0.5, mu, sc)
    want = -np.log2(np.maximum(mass, 2.0**-30))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-9, atol=1e-9)


def test_signed_quantiser_is_exact_and_signed() -> None:
    q = SignedDitheredQuantizer(8)
    g = generator(3)
    y = torch.linspace(-6, 6, 101)
    u = q.dither(y.shape, g)
    s = q.encode(y, u)
    assert s.min() < 0 < s.max() and s.abs().max() <= 8
    assert (q.decode(s, u) - y).abs().max() <= 0.5 + 1e-6
    with pytest.raises(InvalidParameterError, match="symbols must lie"):
        q.decode(torch.tensor([9]), torch.zeros(1))


def test_streams_decode_exactly_and_cost_the_ideal_code_length() -> None:
    """A prior that depends on the previous frame: decoding must recompute it from the
    decoded symbols; the stream's length is the ideal code length plus at most a few words."""
    rng = np.random.default_rng(2)
    N, k = 4000, 2
    y0 = rng.normal(0, 2.0, (N, k))
    u = [rng.uniform(-0.5, 0.5, (N, k)).astype(np.float32) for _ in range(2)]

    def prior(j: int, reps: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        if j == 0:
            return np.zeros((N, k), np.float32), np.full((N, k), 2.0, np.float32)
        return (0.9 * reps[0]).astype(np.float32), np.full((N, k), 0.6, np.float32)

    s0 = np.clip(np.round(y0 + u[0]), -SYMBOL_BOUND, SYMBOL_BOUND).astype(np.int64)
    rep0 = s0.astype(np.float32) - u[0]
    y1 = 0.9 * rep0 + rng.normal(0, 0.6, (N, k))
    s1 = np.round(y1 + u[1]).astype(np.int64)
    means = [prior(0, [])[0], prior(1, [rep0])[0]]
    scales = [prior(0, [])[1], prior(1, [rep0])[1]]
    streams = encode_streams([s0, s1], u, means, scales)
    back = decode_streams(streams, u, prior, [(N, k), (N, k)])
    assert np.array_equal(back[0], s0) and np.array_equal(back[1], s1)
    for s, m, sc, uu, st in zip([s0, s1], means, scales, u, streams, strict=True):
        ideal = float(code_length_bits(torch.from_numpy(s - uu), torch.from_numpy(m),
                                       torch.from_numpy(sc)).sum())  # fmt: skip
        assert ideal <= 32 * st.size <= ideal * 1.01 + 64
    assert list(stream_bits(streams)) == [32 * s.size for s in streams]


def test_coded_evaluation_matches_reconstruct_and_its_estimate() -> None:
    codec = _codec()
    x = GaussMarkovStream(SRC, 1, 1, np.random.default_rng(5)).sample(3000)
    ev = coded_evaluation(codec, x, 7, torch.device("cpu"), chunk=1024)
    np.testing.assert_array_equal(ev["x_hat"], reconstruct(codec, x, 7, torch.device("cpu"),
                                                           chunk=1024))  # fmt: skip
    assert np.all(np.abs(ev["rates"] - ev["estimates"]) <= 0.01 * ev["estimates"] + 64 / 3000)
    assert np.all(ev["stream_bits"] % 32 == 0)


def test_a_corrupt_stream_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    import learned.entropy as ent

    real = ent.encode_streams

    def flipped(*args: object) -> list[np.ndarray]:
        out = real(*args)  # type: ignore[arg-type]
        out[1] = out[1].copy()
        out[1][len(out[1]) // 2] ^= np.uint32(0x5A5A5A5A)
        return out

    monkeypatch.setattr(ent, "encode_streams", flipped)
    x = GaussMarkovStream(SRC, 1, 1, np.random.default_rng(5)).sample(2000)
    with pytest.raises((BitstreamError, Exception)) as info:
        coded_evaluation(_codec(), x, 7, torch.device("cpu"))
    assert not isinstance(info.value, AssertionError)


def test_rate_control_meets_the_targets() -> None:
    """Dual ascent on the multipliers: after a short run the code lengths sit near the targets."""
    codec = _codec((0.5, 1.0, 2.0))
    data = GaussMarkovStream(SRC, 1, 256, np.random.default_rng(0))
    tr = Trainer(codec, data, TrainConfig("mse", "mse", 500, lr=3e-3, lr_decay=0.05, seed=0))
    tr.run(progress=False)
    x = GaussMarkovStream(SRC, 1, 1, np.random.default_rng(9)).sample(4000)
    ev = coded_evaluation(codec, x, 1, torch.device("cpu"))
    np.testing.assert_allclose(ev["rates"], [0.5, 1.0, 2.0], rtol=0.25)
    # and it is a codec: every frame beats sending nothing, and no frame beats the bound
    D = ((x.numpy() - ev["x_hat"]) ** 2).mean(axis=(0, 2))
    assert np.all(D < 1.0)
    assert np.all(D > np.asarray(rt.mmse_distortions(SRC, ev["rates"])))


def test_entropy_resume_is_bit_exact(tmp_path: object) -> None:
    """The multipliers are a buffer of the codec: a resumed run continues exactly."""
    from pathlib import Path

    ck = Path(str(tmp_path)) / "c.pt"

    def trainer() -> Trainer:
        data = GaussMarkovStream(SRC, 1, 64, np.random.default_rng(0))
        return Trainer(_codec(), data, TrainConfig("mse", "mse", 8, lr=3e-3, lr_decay=0.5,
                                                   checkpoint_every=4))  # fmt: skip

    full = trainer()
    full.run(progress=False)
    part = trainer()
    part.run(checkpoint=ck, progress=False, stop_after=4)
    again = trainer()
    again.run(checkpoint=ck, resume=True, progress=False)
    for a, b in zip(full.codec.state_dict().values(), again.codec.state_dict().values()):
        assert torch.equal(a, b)
    assert not torch.equal(full.codec.log_beta, torch.full((3,), math.log(0.01)))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"coding": "zip"}, "coding must be one of"),
        ({"coding": "entropy"}, "needs target_rates"),
        ({"coding": "entropy", "target_rates": (1.0, 0.0, 1.0)}, r"target_rates\[1\]"),
        ({"coding": "entropy", "target_rates": (1.0, math.inf, 1.0)}, r"target_rates\[1\]"),
        ({"target_rates": (1.0, 1.0, 1.0)}, "coding='entropy' only"),
    ],
)
def test_entropy_config_errors_name_the_argument(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        CodecConfig((1,), (1, 1, 1), **kwargs)  # type: ignore[arg-type]


def test_moment_loss_is_the_metrics_gaussian_fit_w2() -> None:
    rng = np.random.default_rng(4)
    a = rng.normal(size=(512, 3, 2))
    b = 0.3 + 0.8 * rng.normal(size=(512, 3, 2)) + 0.5 * a
    got = float(gaussian_fit_w2(torch.from_numpy(a), torch.from_numpy(b)))
    want = np.mean([gaussian_fit_w2_squared(a[:, :, i], b[:, :, i]) for i in range(2)])
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)
    # the per-PLF wiring is metrics.perception_gaussian_fit's
    from learned.critics import critic_inputs
    from learned.losses import moment_loss

    x, xh = torch.from_numpy(a), torch.from_numpy(b)
    for plf in ("jd", "fmd", "sa"):
        per = moment_loss(plf, x, xh, 1.0)["w1"].numpy()
        # (the Cholesky jitter of 1e-10 of the variance scale is the only difference)
        np.testing.assert_allclose(per, perception_gaussian_fit(a, b, plf), rtol=1e-9, atol=1e-9)
        assert critic_inputs(plf, x, xh, 0)[0].shape[1] == 1


def test_moment_loss_gradient_is_finite_at_a_degenerate_fit() -> None:
    """A constant reconstruction (zero covariance) still gives a finite gradient."""
    x = torch.randn(64, 3, 1, dtype=torch.float64)
    xh = torch.zeros(64, 3, 1, dtype=torch.float64, requires_grad=True)
    from learned.losses import moment_loss

    moment_loss("jd", x, xh + 0.0, 1.0)["loss"].backward()
    assert xh.grad is not None and torch.isfinite(xh.grad).all()


def test_gaussian_mass_reference() -> None:
    """ndtr, the reference's CDF, agrees with the symmetric form far in the tails."""
    v = torch.tensor([0.0, 3.0, 30.0], dtype=torch.float64)
    got = 2.0 ** -code_length_bits(v, torch.zeros(3, dtype=torch.float64), torch.ones(3))
    want = ndtr(v.numpy() + 0.5) - ndtr(v.numpy() - 0.5)
    np.testing.assert_allclose(got.numpy()[:2], want[:2], rtol=1e-9)
    assert got[2] == pytest.approx(2.0**-30)

"""Training: a loss decreases, resume is bit-exact on CPU, NaN aborts and keeps the checkpoint."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # the CI box is small and shared

import rdp_theory as rt
from learned.data import GaussMarkovStream
from learned.models import CausalCodec, CodecConfig
from learned.train import TrainConfig, Trainer, TrainingDivergedError
from rdp_theory.exceptions import InvalidParameterError

pytestmark = pytest.mark.learned

SRC = rt.GaussMarkovSource.stationary(T=3, sigma=1.0, rho=0.9)


def _setup(cfg: TrainConfig, codec: CausalCodec | None = None) -> Trainer:
    if codec is None:
        codec = CausalCodec(
            CodecConfig((4,), (2, 2, 2), hidden=16, noise_dim=4), torch.Generator().manual_seed(0)
        )
    data = GaussMarkovStream(SRC, 4, 64, np.random.default_rng(0))
    return Trainer(codec, data, cfg)


def test_mse_loss_decreases_on_a_tiny_run() -> None:
    tr = _setup(TrainConfig("mse", "mse", steps=150, lr=3e-3))
    hist = tr.run(progress=False)
    first = np.mean([h["loss"] for h in hist[:20]])
    last = np.mean([h["loss"] for h in hist[-20:]])
    assert last < 0.8 * first


def test_critic_loss_decreases_when_critic_trains_alone() -> None:
    """With the codec's learning rate at 0 the critic's WGAN-GP loss must fall (it learns to
    separate the MSE reconstructions, which are not distributed like the source)."""
    tr = _setup(TrainConfig("universal", "jd", steps=80, lr=0.0, critic_lr=2e-3, n_critic=1))
    hist = tr.run(progress=False)
    first = np.mean([h["critic_loss"] for h in hist[:10]])
    last = np.mean([h["critic_loss"] for h in hist[-10:]])
    assert last < first


def _flat_state(tr: Trainer) -> dict[str, torch.Tensor]:
    s = {f"codec.{k}": v for k, v in tr.codec.state_dict().items()}
    if tr.critics is not None:
        s.update({f"critic.{k}": v for k, v in tr.critics.state_dict().items()})
    return s


@pytest.mark.parametrize("stage, plf", [("mse", "mse"), ("universal", "sa"), ("e2e", "jd")])
def test_resume_reproduces_uninterrupted_run_bit_for_bit(
    tmp_path: Path, stage: str, plf: str
) -> None:
    K = 12
    cfg = TrainConfig(stage, plf, steps=K, checkpoint_every=5, n_critic=2)
    straight = _setup(cfg)
    h1 = straight.run(checkpoint=tmp_path / "a.pt", progress=False)

    first = _setup(cfg)
    first.run(checkpoint=tmp_path / "b.pt", progress=False, stop_after=K // 2)
    resumed = _setup(cfg)  # a fresh process would start here
    h2 = resumed.run(checkpoint=tmp_path / "b.pt", resume=True, progress=False)

    assert resumed.step == straight.step == K
    assert [h["loss"] for h in h1] == [h["loss"] for h in h2]
    assert h1 == h2
    s1, s2 = _flat_state(straight), _flat_state(resumed)
    assert s1.keys() == s2.keys()
    assert all(torch.equal(s1[k], s2[k]) for k in s1)
    o1, o2 = straight.opt.state_dict()["state"], resumed.opt.state_dict()["state"]
    assert all(torch.equal(o1[i]["exp_avg_sq"], o2[i]["exp_avg_sq"]) for i in o1)


def test_universal_stage_freezes_the_encoder() -> None:
    tr = _setup(TrainConfig("universal", "fmd", steps=5))
    before = {k: v.clone() for k, v in tr.codec.encoder.state_dict().items()}
    dec_before = {k: v.clone() for k, v in tr.codec.decoder.state_dict().items()}
    tr.run(progress=False)
    assert all(torch.equal(before[k], v) for k, v in tr.codec.encoder.state_dict().items())
    assert any(not torch.equal(dec_before[k], v) for k, v in tr.codec.decoder.state_dict().items())


def test_nan_loss_aborts_and_keeps_last_good_checkpoint(tmp_path: Path) -> None:
    cfg = TrainConfig("mse", "mse", steps=10, checkpoint_every=2)
    tr = _setup(cfg)
    ckpt = tmp_path / "c.pt"
    tr.run(checkpoint=ckpt, progress=False, stop_after=4)
    good = ckpt.read_bytes()
    with torch.no_grad():
        next(tr.codec.decoder.parameters()).fill_(math.nan)
    with pytest.raises(TrainingDivergedError, match="step 5"):
        tr.run(checkpoint=ckpt, progress=False)
    assert ckpt.read_bytes() == good
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_resume_with_a_different_config_is_refused(tmp_path: Path) -> None:
    _setup(TrainConfig("mse", "mse", steps=3)).run(checkpoint=tmp_path / "d.pt", progress=False)
    other = _setup(TrainConfig("mse", "mse", steps=3, lr=0.5))
    with pytest.raises(InvalidParameterError, match="config"):
        other.run(checkpoint=tmp_path / "d.pt", resume=True, progress=False)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"stage": "mse", "plf": "jd", "steps": 1}, "plf"),
        ({"stage": "e2e", "plf": "mse", "steps": 1}, "PLF"),
        ({"stage": "x", "plf": "mse", "steps": 1}, "stage"),
        ({"stage": "mse", "plf": "mse", "steps": 0}, "steps"),
        ({"stage": "mse", "plf": "mse", "steps": 1, "lr": math.nan}, "lr"),
    ],
)
def test_bad_train_config_is_named(kwargs: dict, name: str) -> None:
    with pytest.raises(InvalidParameterError, match=name):
        TrainConfig(**kwargs)

"""Checkpoints hold only tensors and plain containers and are read with ``weights_only=True``:
a pickle that would run code is refused before it runs, a damaged file is named."""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # the CI box is small and shared

import rdp_theory as rt
from learned.data import ArrayStream, GaussMarkovStream
from learned.models import CausalCodec, CodecConfig
from learned.train import CheckpointError, TrainConfig, Trainer, load_checkpoint
from rdp_theory.exceptions import InvalidParameterError, RDPError

pytestmark = pytest.mark.learned

SRC = rt.GaussMarkovSource.stationary(T=3, sigma=1.0, rho=0.9)


def _trainer(cfg: TrainConfig, data: object | None = None) -> Trainer:
    codec = CausalCodec(
        CodecConfig((4,), (2, 2, 2), hidden=16, noise_dim=4), torch.Generator().manual_seed(0)
    )
    if data is None:
        data = GaussMarkovStream(SRC, 4, 64, np.random.default_rng(0))
    return Trainer(codec, data, cfg)  # type: ignore[arg-type]


def write_marker(path: str) -> None:
    """What the malicious pickle would call on load: harmless, but visible."""
    Path(path).write_text("pwned")


class Payload:
    """Unpickling this calls :func:`write_marker`."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (write_marker, (os.fspath(self.marker),))


def _malicious(path: Path, marker: Path, how: str) -> None:
    payload = {"step": 1, "config": Payload(marker)}
    if how == "torch.save":
        torch.save(payload, path)
    else:  # a bare pickle, as an attacker would write it
        with open(path, "wb") as fh:
            pickle.dump(payload, fh, protocol=int(how.removeprefix("pickle")))


@pytest.mark.parametrize(
    "stage, plf, stream",
    [("mse", "mse", "gauss_markov"), ("universal", "jd", "gauss_markov"), ("e2e", "sa", "array")],
)
def test_checkpoints_load_with_weights_only(
    tmp_path: Path, stage: str, plf: str, stream: str
) -> None:
    """Everything a checkpoint holds (models, optimisers, torch and numpy generator states,
    configs, history) passes torch's weights-only unpickler unchanged."""
    data = None
    if stream == "array":
        clips = np.random.default_rng(1).normal(size=(16, 3, 4)).astype(np.float32)
        data = ArrayStream(clips, 4, np.random.default_rng(2))
    tr = _trainer(TrainConfig(stage, plf, steps=3, n_critic=1), data)
    tr.run(checkpoint=tmp_path / "c.pt", progress=False)
    state = torch.load(tmp_path / "c.pt", weights_only=True)
    assert state["step"] == 3 and state["config"] == tr.config.to_dict()
    assert isinstance(state["dither"], torch.Tensor)
    assert load_checkpoint(tmp_path / "c.pt").keys() == tr.state_dict().keys()


@pytest.mark.parametrize("how", ["torch.save", "pickle2", "pickle4"])
def test_a_malicious_checkpoint_is_refused_before_it_runs(tmp_path: Path, how: str) -> None:
    ckpt, marker = tmp_path / "evil.pt", tmp_path / "marker"
    _malicious(ckpt, marker, how)
    tr = _trainer(TrainConfig("mse", "mse", steps=2))
    with pytest.raises(CheckpointError, match=re.escape(str(ckpt))) as info:
        tr.run(checkpoint=ckpt, resume=True, progress=False)
    assert "refused" in str(info.value) and "\n" not in str(info.value)
    assert isinstance(info.value, RDPError) and isinstance(info.value, InvalidParameterError)
    assert not marker.exists()
    assert tr.step == 0
    # the payload is real: the unsafe loader runs it (then may fail on what follows)
    with warnings.catch_warnings(), contextlib.suppress(Exception):
        warnings.simplefilter("ignore")
        torch.load(ckpt, weights_only=False)
    assert marker.read_text() == "pwned"


@pytest.mark.parametrize("keep", [0, 40, 0.5])
def test_a_corrupt_or_truncated_checkpoint_is_named(tmp_path: Path, keep: float) -> None:
    ckpt = tmp_path / "c.pt"
    _trainer(TrainConfig("mse", "mse", steps=2)).run(checkpoint=ckpt, progress=False)
    data = ckpt.read_bytes()
    ckpt.write_bytes(data[: int(keep * len(data)) if isinstance(keep, float) else keep])
    with pytest.raises(CheckpointError, match=re.escape(str(ckpt))) as info:
        _trainer(TrainConfig("mse", "mse", steps=2)).run(
            checkpoint=ckpt, resume=True, progress=False
        )
    assert "corrupt or truncated" in str(info.value) and "\n" not in str(info.value)


def test_a_file_that_is_not_a_trainer_checkpoint_is_named(tmp_path: Path) -> None:
    ckpt = tmp_path / "weights.pt"
    torch.save({"w": torch.zeros(3)}, ckpt)
    with pytest.raises(CheckpointError, match=r"not a trainer checkpoint \(missing keys"):
        _trainer(TrainConfig("mse", "mse", steps=2)).load(ckpt)


def test_a_checkpoint_of_another_run_names_the_file_and_the_difference(tmp_path: Path) -> None:
    ckpt = tmp_path / "c.pt"
    _trainer(TrainConfig("mse", "mse", steps=2)).run(checkpoint=ckpt, progress=False)
    with pytest.raises(CheckpointError, match=re.escape(str(ckpt)) + r".*steps 2 \(run: 5\)"):
        _trainer(TrainConfig("mse", "mse", steps=5)).load(ckpt)

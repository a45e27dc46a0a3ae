"""Pieces shared by E1-E3: training stages from the experiment settings, evaluation, writing.

:func:`stage_config` is the one place where an experiment's settings (``mse_steps``, ``gan_lr``,
``n_critic``, ...; both :class:`~.configs.GaussMarkovConfig` and :class:`~.configs.DigitsConfig`
have them) become a :class:`~learned.train.TrainConfig`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

import rdp_theory as rt
from rdp_theory.exceptions import InvalidParameterError
from rdp_theory.io import provenance, write_csv

from ..critics import critic_inputs
from ..models import CausalCodec
from ..schema import Table
from ..train import TrainConfig, Trainer

__all__ = [
    "BitstreamError",
    "StageSettings",
    "checkpoint_folder",
    "coded_evaluation",
    "critic_w1",
    "environment",
    "generator",
    "reconstruct",
    "stage_config",
    "train_stage",
    "write_table",
]


class StageSettings(Protocol):
    """The training settings every experiment config carries."""

    @property
    def mse_steps(self) -> int: ...
    @property
    def mse_lr(self) -> float: ...
    @property
    def gan_steps(self) -> int: ...
    @property
    def gan_lr(self) -> float: ...
    @property
    def gan_betas(self) -> tuple[float, float]: ...
    @property
    def critic_lr(self) -> float: ...
    @property
    def n_critic(self) -> int: ...
    @property
    def gp_weight(self) -> float: ...
    @property
    def seed(self) -> int: ...
    @property
    def checkpoint_every(self) -> int: ...


def stage_config(
    cfg: StageSettings, stage: str, plf: str = "mse", lam: float = math.nan
) -> TrainConfig:
    """The :class:`TrainConfig` of one stage of an experiment.

    ``stage="mse"``: the MSE codec (``mse_steps``, ``mse_lr``, default Adam betas). Otherwise a
    PLF stage (``"universal"`` or ``"e2e"``) for ``plf`` with perception weight ``lam``
    (``gan_steps``, ``gan_lr``, ``gan_betas``, ``critic_lr``, ``n_critic``, ``gp_weight``).
    """
    common: dict[str, Any] = {"seed": cfg.seed, "checkpoint_every": cfg.checkpoint_every}
    # the entropy-coded Gauss-Markov codec's schedule and rate control (E2 has neither)
    for name in ("lr_decay", "rate_lr", "perception_loss"):
        if hasattr(cfg, name):
            common[name] = getattr(cfg, name)
    if stage == "mse":
        common.pop("perception_loss", None)
        return TrainConfig("mse", "mse", cfg.mse_steps, lr=cfg.mse_lr, **common)
    return TrainConfig(
        stage,
        plf,
        cfg.gan_steps,
        lr=cfg.gan_lr,
        betas=cfg.gan_betas,
        critic_lr=cfg.critic_lr,
        n_critic=cfg.n_critic,
        gp_weight=cfg.gp_weight,
        lam=lam,
        **common,
    )


def train_stage(
    codec: CausalCodec,
    data: Any,
    config: TrainConfig,
    checkpoint: Path,
    resume: bool,
    progress: bool,
    device: torch.device,
) -> Trainer:
    """Run (or resume from ``checkpoint``) one stage on ``codec``, in place."""
    tr = Trainer(codec, data, config, device)
    tr.run(checkpoint=checkpoint, resume=resume, progress=progress)
    return tr


def checkpoint_folder(out: Path, checkpoint_dir: str | Path | None) -> Path:
    """``checkpoint_dir``, default ``out/checkpoints``."""
    return out / "checkpoints" if checkpoint_dir is None else Path(checkpoint_dir)


def _git_dirty() -> bool | None:
    """Whether the code that ran (``rdp_theory``, ``learned``) differs from the recorded
    revision (``None`` outside a git checkout)."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", "rdp_theory", "learned"],
                             cwd=root, capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    # result files written by the run itself do not make the code dirty
    changed = [ln for ln in out.stdout.splitlines() if "learned/results/" not in ln]
    return bool(changed)


def environment() -> dict[str, Any]:
    """Provenance of a run (:func:`rdp_theory.io.provenance`: version, git revision, ...), whether
    the code differed from that revision (``git_dirty``), torch and its thread count."""
    return {
        **provenance(),
        "git_dirty": _git_dirty(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "solve_rdp_available": hasattr(rt, "solve_rdp"),
    }


def generator(seed: int, device: torch.device | None = None) -> torch.Generator:
    g = torch.Generator(device=device or torch.device("cpu"))
    g.manual_seed(seed)
    return g


def _evaluation_chunks(
    codec: CausalCodec, x: torch.Tensor, seed: int, device: torch.device, chunk: int
) -> Iterator[dict[str, Any]]:
    """The codec's outputs on ``x`` in chunks (exact quantisation, dither and noise seeded by
    ``seed``): the one evaluation pass of :func:`reconstruct` and :func:`coded_evaluation`."""
    codec.eval()
    d, z = generator(2 * seed, device), generator(2 * seed + 1, device)
    for i in range(0, len(x), chunk):
        yield codec(x[i : i + chunk].to(device), d, z, training=False)


@torch.no_grad()
def reconstruct(
    codec: CausalCodec, x: torch.Tensor, seed: int, device: torch.device, chunk: int = 4096
) -> np.ndarray:
    """Evaluate ``codec`` (exact quantisation) on ``x`` with dither/noise seeded by ``seed``."""
    outs = [out["x_hat"].cpu() for out in _evaluation_chunks(codec, x, seed, device, chunk)]
    return torch.cat(outs).numpy()


class BitstreamError(RuntimeError):
    """The entropy-coded bitstream did not decode back to the symbols it was written from."""


@torch.no_grad()
def coded_evaluation(
    codec: CausalCodec, x: torch.Tensor, seed: int, device: torch.device, chunk: int = 4096
) -> dict[str, Any]:
    """Evaluate an entropy-coded ``codec`` on ``x`` through real bitstreams.

    The same draws as :func:`reconstruct` (so ``"x_hat"`` is identical to it). The symbols of
    each frame are range coded (:func:`learned.entropy.encode_streams`) and decoded back
    (:func:`learned.entropy.decode_streams`, every prior recomputed from the *decoded*
    representations, chunk by chunk as the encoder computed it); a mismatch raises
    :class:`BitstreamError`.

    Returns
    -------
    dict
        ``"x_hat"`` (N, T, n) numpy; ``"rates"`` (T,): stream bits per sample per frame;
        ``"estimates"`` (T,): the prior's code length in bits per sample (the training proxy);
        ``"stream_bits"`` (T,) int.
    """
    from ..entropy import decode_streams, encode_streams, stream_bits

    cfg = codec.config
    if not cfg.entropy_coded:
        raise InvalidParameterError("coded_evaluation needs an entropy-coded codec")
    parts: dict[str, list[list[Any]]] = {k: [] for k in ("symbols", "dither", "mean", "scale")}
    xs, bits = [], []
    for out in _evaluation_chunks(codec, x, seed, device, chunk):
        xs.append(out["x_hat"].cpu())
        bits.append(torch.stack([b.cpu() for b in out["bits"]]).sum(1))
        for key in parts:
            parts[key].append([v.detach().cpu().numpy() for v in out[key]])
    T = cfg.T
    cat = {k: [np.concatenate([c[j] for c in v]) for j in range(T)] for k, v in parts.items()}
    streams = encode_streams(cat["symbols"], cat["dither"], cat["mean"], cat["scale"])
    bounds = list(range(0, len(x), chunk))
    prior = codec.encoder.prior
    assert prior is not None

    def prior_of(j: int, reps: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        ms, ss = [], []
        for i in bounds:
            r = [torch.from_numpy(v[i : i + chunk]).to(device) for v in reps]
            m, sc = prior(j, r, min(chunk, len(x) - i))
            ms.append(m.detach().cpu().numpy())
            ss.append(sc.detach().cpu().numpy())
        return np.concatenate(ms), np.concatenate(ss)

    decoded = decode_streams(streams, cat["dither"], prior_of, [s.shape for s in cat["symbols"]])
    for j, (a, b) in enumerate(zip(cat["symbols"], decoded)):
        if not np.array_equal(a, b):
            raise BitstreamError(
                f"frame {j + 1}: the bitstream decoded to {int((a != b).sum())} wrong symbols"
            )
    n_samples = len(x) * cfg.samples_per_frame
    total = stream_bits(streams)
    return {
        "x_hat": torch.cat(xs).numpy(),
        "rates": total / n_samples,
        "estimates": torch.stack(bits).sum(0).numpy() / n_samples,
        "stream_bits": total,
    }


@torch.no_grad()
def critic_w1(
    critics: torch.nn.ModuleList, plf: str, x: np.ndarray, xh: np.ndarray, device: torch.device
) -> np.ndarray:
    """Per-frame W1 estimate ``E f(real) - E f(fake)`` of trained ``critics`` on (x, xh)."""
    X = torch.from_numpy(x).float().to(device)
    Xh = torch.from_numpy(xh).float().to(device)
    out = []
    for j, c in enumerate(critics):
        real, fake = critic_inputs(plf, X, Xh, j)
        out.append(float(c(real).mean() - c(fake).mean()))
    return np.array(out)


def write_table(path: Path, table: Table, rows: list[dict[str, Any]]) -> Path:
    """Atomically write ``rows`` as CSV with ``table``'s columns (checked first)."""
    return write_csv(path, table.check_rows(rows), columns=table.names)

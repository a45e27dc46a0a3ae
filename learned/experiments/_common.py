"""Pieces shared by E1-E3: training stages from the experiment settings, evaluation, writing.

:func:`stage_config` is the one place where an experiment's settings (``mse_steps``, ``gan_lr``,
``n_critic``, ...; both :class:`~.configs.GaussMarkovConfig` and :class:`~.configs.DigitsConfig`
have them) become a :class:`~learned.train.TrainConfig`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

import rdp_theory as rt
from rdp_theory.io import provenance, write_csv

from ..critics import critic_inputs
from ..models import CausalCodec
from ..schema import Table
from ..train import TrainConfig, Trainer

__all__ = [
    "StageSettings",
    "checkpoint_folder",
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
    common = {"seed": cfg.seed, "checkpoint_every": cfg.checkpoint_every}
    if stage == "mse":
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


def environment() -> dict[str, Any]:
    """Provenance of a run (:func:`rdp_theory.io.provenance`) plus torch and its threads."""
    return {
        **provenance(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "solve_rdp_available": hasattr(rt, "solve_rdp"),
    }


def generator(seed: int, device: torch.device | None = None) -> torch.Generator:
    g = torch.Generator(device=device or torch.device("cpu"))
    g.manual_seed(seed)
    return g


@torch.no_grad()
def reconstruct(
    codec: CausalCodec, x: torch.Tensor, seed: int, device: torch.device, chunk: int = 4096
) -> np.ndarray:
    """Evaluate ``codec`` (exact quantisation) on ``x`` with dither/noise seeded by ``seed``."""
    codec.eval()
    d, z = generator(2 * seed, device), generator(2 * seed + 1, device)
    outs = [
        codec(x[i : i + chunk].to(device), d, z, training=False)["x_hat"].cpu()
        for i in range(0, len(x), chunk)
    ]
    return torch.cat(outs).numpy()


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

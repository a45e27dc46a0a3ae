"""Training throughput of the learned codec (steps/s and samples/s) on CPU or CUDA.

Measures E1 (Gauss-Markov, entropy-coded MLP codec with its rate term; PLF stages with the
Gaussian-fit W2^2 loss), E3 (Gauss-Markov, fixed-length MLP codec, WGAN-GP critics with
``n_critic`` critic updates per codec update) and E2 (bouncing digits 32x32, conv, critics), for
the MSE stage and the JD stages, after a short warm-up. Uses the quick experiment configurations
of :mod:`learned.experiments`.

    python benchmarks/bench_learned.py [--steps 50] [--threads 1] [--device cpu] [--out bench.json]
"""

from __future__ import annotations

import argparse
import copy
import platform
import time
from typing import Any

import numpy as np
import torch

from learned.data import GaussMarkovStream, MovingDigitsStream
from learned.experiments import E1_QUICK, E2_QUICK, E3_QUICK
from learned.experiments.gauss_markov import codec_config
from learned.models import CausalCodec, CodecConfig
from learned.train import TrainConfig, Trainer
from rdp_theory.io import write_json


def _time(trainer: Trainer, steps: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        trainer.train_step()
    if trainer.device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
    if trainer.device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def bench(steps: int, device: str) -> list[dict[str, Any]]:
    rows = []
    e1, e2, e3 = E1_QUICK, E2_QUICK, E3_QUICK
    setups = {
        "e1_entropy_mlp": (
            codec_config(e1, 0),
            lambda: GaussMarkovStream(e1.source(), e1.n, e1.batch_size, np.random.default_rng(0)),
            e1.batch_size,
            0,
        ),
        "e3_fixed_mlp_critics": (
            codec_config(e3, 0),
            lambda: GaussMarkovStream(e3.source(), e3.n, e3.batch_size, np.random.default_rng(0)),
            e3.batch_size,
            e3.n_critic,
        ),
        "e2_digits_conv": (
            CodecConfig(
                (e2.size, e2.size),
                (e2.eps_symbols,) * e2.T,
                e2.levels,
                1.0,
                e2.hidden,
                e2.noise_dim,
            ),
            lambda: MovingDigitsStream(e2.T, e2.batch_size, np.random.default_rng(0), e2.size),
            e2.batch_size,
            e2.n_critic,
        ),
    }
    for name, (ccfg, make_data, batch, n_critic) in setups.items():
        base = CausalCodec(ccfg, torch.Generator().manual_seed(0))
        for stage, plf in (("mse", "mse"), ("universal", "jd"), ("e2e", "jd")):
            loss = "moments" if n_critic == 0 else "critic"
            tr = Trainer(
                copy.deepcopy(base),
                make_data(),
                TrainConfig(stage, plf, steps + 5, n_critic=max(n_critic, 1),
                            perception_loss=loss),  # fmt: skip
                device,
            )
            dt = _time(tr, steps)
            rows.append(
                {
                    "setup": name,
                    "stage": stage,
                    "plf": plf,
                    "batch_size": batch,
                    "n_critic": n_critic if plf != "mse" else 0,
                    "perception_loss": "" if plf == "mse" else loss,
                    "steps": steps,
                    "seconds": dt,
                    "steps_per_s": steps / dt,
                    "samples_per_s": steps * batch / dt,
                }
            )
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--out", default=None, help="optional JSON output file")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    rows = bench(a.steps, a.device)
    for r in rows:
        print(
            f"{r['setup']:22s} {r['stage']:9s} {r['plf']:4s} {r['steps_per_s']:8.1f} steps/s "
            f"{r['samples_per_s']:9.0f} samples/s"
        )
    if a.out:
        write_json(
            a.out,
            {
                "rows": rows,
                "threads": a.threads,
                "device": a.device,
                "torch": torch.__version__,
                "machine": platform.machine(),
                "processor": platform.processor(),
            },
        )


if __name__ == "__main__":
    main()

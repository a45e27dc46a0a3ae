"""Command line: ``python -m learned {e1,e2,e3} [--quick] [--out DIR] [--resume] [--retrain] ...``.

``--retrain`` regenerates the committed result files in ``learned/results/`` (quick configs for
E1/E3 and the medium one for E2 unless ``--quick``/``--full``). Checkpoints go to ``<out>/checkpoints/`` and are never committed.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m learned",
        description="Learned causal video codec over the rdp_theory bounds (experiments E1-E3).",
    )
    sub = p.add_subparsers(dest="experiment", required=True)
    helps = {
        "e1": "Gauss-Markov: learned (R, D, P) points of MSE/JD/FMD/SA decoders vs the bounds",
        "e2": "moving digits: scenarios (inf, eps, eps) and (eps, eps, eps) [, (eps, high, high), (eps, inf, inf)], image grids",
        "e3": "universality: frozen-MSE-encoder decoders vs end-to-end at matched perception",
    }
    for name, text in helps.items():
        s = sub.add_parser(name, help=text, description=text)
        size = s.add_mutually_exclusive_group()
        size.add_argument(
            "--quick",
            action="store_true",
            help="small CPU configuration (default, except for e2: --medium)",
        )
        if name == "e2":
            size.add_argument(
                "--medium",
                action="store_true",
                help="default for e2: about 15 min on one CPU thread, sharp motion-compensated "
                "P-frames",
            )
        size.add_argument("--full", action="store_true", help="full-size configuration")
        s.add_argument(
            "--out", type=Path, default=None, help="output directory (default: runs/<experiment>)"
        )
        s.add_argument(
            "--retrain",
            action="store_true",
            help=f"regenerate the committed results in {RESULTS_DIR} (no resume)",
        )
        s.add_argument("--resume", action="store_true", help="continue from checkpoints in <out>")
        s.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
        s.add_argument("--seed", type=int, default=0)
        s.add_argument("--mse-steps", type=int, default=None, help="override MSE-stage steps")
        s.add_argument("--gan-steps", type=int, default=None, help="override PLF-stage steps")
        s.add_argument("--eval-samples", type=int, default=None, help="override evaluation size")
        if name == "e2":
            s.add_argument(
                "--dataset",
                choices=("bouncing", "moving_mnist", "kth"),
                default="bouncing",
                help="bouncing digits (bundled, default), Moving MNIST file, or KTH .avi folder",
            )
            s.add_argument(
                "--data-path",
                default=None,
                help="mnist_test_seq.npy (moving_mnist) or a folder of .avi files (kth)",
            )
            s.add_argument(
                "--eval-critic-steps",
                type=int,
                default=None,
                help="override the evaluation critics' training steps",
            )
            s.add_argument(
                "--scenarios",
                nargs="+",
                choices=(
                    "inf_eps_eps",
                    "eps_eps_eps",
                    "eps_high_high",
                    "eps_inf_inf",
                ),  # E2_SCENARIOS
                default=None,
                help="run only these rate scenarios (default: inf_eps_eps eps_eps_eps)",
            )
            s.add_argument("--gan-lr", type=float, default=None, help="override the PLF decoder lr")
            s.add_argument(
                "--critic-lr", type=float, default=None, help="override the PLF critics' lr"
            )
            s.add_argument(
                "--lam", type=float, default=None, help="override the perception weight lambda"
            )
            s.add_argument(
                "--high-symbols",
                type=int,
                default=None,
                help="P-frame symbols of the eps_high_high scenario (default 16 = 64 bits)",
            )
            s.add_argument(
                "--classifier-steps",
                type=int,
                default=None,
                help="training steps of the digit classifier (default 600; 0 disables it)",
            )
        s.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
        s.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import torch

    from . import experiments as ex

    torch.set_num_threads(args.threads)
    table: dict[str, tuple[Any, Any, Any]] = {
        "e1": (ex.E1_QUICK, ex.E1_FULL, ex.run_e1),
        "e2": (ex.E2_QUICK, ex.E2_FULL, ex.run_e2),
        "e3": (ex.E3_QUICK, ex.E3_FULL, ex.run_e3),
    }
    quick, full, run = table[args.experiment]
    cfg = full if args.full else quick
    if args.experiment == "e2" and not (args.full or args.quick):
        cfg = ex.E2_MEDIUM
    over: dict[str, Any] = {"seed": args.seed}
    if args.mse_steps is not None:
        over["mse_steps"] = args.mse_steps
    if args.gan_steps is not None:
        over["gan_steps"] = args.gan_steps
    if args.eval_samples is not None:
        over["eval_samples"] = args.eval_samples
    if args.experiment == "e2":
        over["dataset"] = args.dataset
        over["data_path"] = args.data_path
    if getattr(args, "eval_critic_steps", None) is not None:
        over["eval_critic_steps"] = args.eval_critic_steps
    if getattr(args, "scenarios", None) is not None:
        over["scenarios"] = tuple(dict.fromkeys(args.scenarios))
    for name in ("gan_lr", "critic_lr", "lam", "high_symbols", "classifier_steps"):
        if getattr(args, name, None) is not None:
            over[name] = getattr(args, name)
    cfg = replace(cfg, **over)
    if args.retrain:
        out = RESULTS_DIR if args.out is None else args.out
        resume = False
        ckpt = Path("runs") / f"retrain_{args.experiment}" / "checkpoints"  # never in the package
    else:
        out = args.out if args.out is not None else Path("runs") / args.experiment
        resume = args.resume
        ckpt = out / "checkpoints"
    from .train import TrainingDivergedError

    try:
        meta = run(
            cfg,
            out,
            device=args.device,
            resume=resume,
            progress=not args.no_progress,
            checkpoint_dir=ckpt,
        )
    except TrainingDivergedError as exc:
        print(f"error: {exc} (checkpoints in {ckpt})", file=sys.stderr)
        return 2
    print(
        json.dumps(
            {
                "experiment": meta["experiment"],
                "wall_time_s": round(meta["wall_time_s"], 1),
                "out": str(out),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

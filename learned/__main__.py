"""Command line: ``python -m learned {e1,e2,e3} [--quick] [--out DIR] [--resume] [--retrain] ...``.

``--retrain`` regenerates the committed result files in ``learned/results/`` (quick configs for
E1/E3 and the medium one for E2 unless ``--quick``/``--full``). Checkpoints go to
``<out>/checkpoints/`` and are never committed. The presets, choices and defaults are read from
:mod:`learned.experiments.configs`.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from .experiments.configs import DATASETS, DEFAULT_PRESET, E2_SCENARIOS, PRESETS, DigitsConfig

RESULTS_DIR = Path(__file__).resolve().parent / "results"

HELPS = {
    "e1": "Gauss-Markov: learned (R, D, P) points of MSE/JD/FMD/SA decoders vs the bounds",
    "e2": "moving digits: scenarios (inf, eps, eps) and (eps, eps, eps) [, (eps, high, high), "
    "(eps, inf, inf)], image grids",
    "e3": "universality: frozen-MSE-encoder decoders vs end-to-end at matched perception",
}


def _preset_help(experiment: str, preset: str) -> str:
    cfg = PRESETS[experiment][preset]
    text = f"{preset} configuration ({cfg.mse_steps} MSE + {cfg.gan_steps} PLF steps)"
    return text + (" [default]" if DEFAULT_PRESET[experiment] == preset else "")


def _add_e2_options(s: argparse.ArgumentParser) -> None:
    d = PRESETS["e2"][DEFAULT_PRESET["e2"]]
    assert isinstance(d, DigitsConfig)
    s.add_argument(
        "--dataset",
        choices=DATASETS,
        default=d.dataset,
        help="bouncing digits (bundled, default), Moving MNIST file, or KTH .avi folder",
    )
    s.add_argument(
        "--data-path",
        default=d.data_path,
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
        choices=E2_SCENARIOS,
        default=None,
        help=f"run only these rate scenarios (default: {' '.join(d.scenarios)})",
    )
    s.add_argument("--gan-lr", type=float, default=None, help="override the PLF decoder lr")
    s.add_argument("--critic-lr", type=float, default=None, help="override the PLF critics' lr")
    s.add_argument("--lam", type=float, default=None, help="override the perception weight lambda")
    s.add_argument(
        "--high-symbols",
        type=int,
        default=None,
        help=f"P-frame symbols of the eps_high_high scenario (default {d.high_symbols} = "
        f"{d.high_bits():g} bits)",
    )
    s.add_argument(
        "--classifier-steps",
        type=int,
        default=None,
        help=f"training steps of the digit classifier (default {d.classifier_steps}; 0 disables it)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The command line; its presets, choices and defaults come from
    :mod:`learned.experiments.configs` (torch is not imported)."""
    p = argparse.ArgumentParser(
        prog="python -m learned",
        description="Learned causal video codec over the rdp_theory bounds (experiments E1-E3).",
    )
    sub = p.add_subparsers(dest="experiment", required=True)
    for name, text in HELPS.items():
        s = sub.add_parser(name, help=text, description=text)
        size = s.add_mutually_exclusive_group()
        for preset in PRESETS[name]:
            size.add_argument(f"--{preset}", action="store_true", help=_preset_help(name, preset))
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
        s.add_argument("--seed", type=int, default=PRESETS[name][DEFAULT_PRESET[name]].seed)
        s.add_argument("--mse-steps", type=int, default=None, help="override MSE-stage steps")
        s.add_argument("--gan-steps", type=int, default=None, help="override PLF-stage steps")
        s.add_argument("--eval-samples", type=int, default=None, help="override evaluation size")
        if name == "e2":
            _add_e2_options(s)
        s.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
        s.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return p


#: Options that override the config field of the same name when given.
_OVERRIDES = (
    "mse_steps",
    "gan_steps",
    "eval_samples",
    "eval_critic_steps",
    "gan_lr",
    "critic_lr",
    "lam",
    "high_symbols",
    "classifier_steps",
)


def config_from_args(args: argparse.Namespace) -> Any:
    """The experiment config the parsed arguments select: a preset, then the overrides."""
    presets = PRESETS[args.experiment]
    chosen = [name for name in presets if getattr(args, name, False)]
    cfg = presets[chosen[0] if chosen else DEFAULT_PRESET[args.experiment]]
    over: dict[str, Any] = {"seed": args.seed}
    for name in _OVERRIDES:
        if getattr(args, name, None) is not None:
            over[name] = getattr(args, name)
    if args.experiment == "e2":
        over["dataset"] = args.dataset
        over["data_path"] = args.data_path
        if args.scenarios is not None:
            over["scenarios"] = tuple(dict.fromkeys(args.scenarios))
    return replace(cfg, **over)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import torch

    from . import experiments as ex

    torch.set_num_threads(args.threads)
    run = {"e1": ex.run_e1, "e2": ex.run_e2, "e3": ex.run_e3}[args.experiment]
    cfg = config_from_args(args)
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

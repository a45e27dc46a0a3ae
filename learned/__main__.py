"""Command line: ``python -m learned {e1,e2,e3} [--quick] [--out DIR] [--resume] [--retrain] ...``.

``--retrain`` regenerates the committed result files in ``learned/results/`` (the preset chosen:
quick by default for E1/E3, medium for E2; the quick E1 goes to ``learned/results/e1_quick/``
beside the full sweep's files), or writes them to ``--out``.
Checkpoints go to ``<out>/checkpoints/`` (``runs/retrain_<experiment>/checkpoints`` for a
``--retrain`` into the package) and are never committed. The presets, choices and defaults are
read from :mod:`learned.experiments.configs`.

Every argument is checked before torch, :mod:`rdp_theory` or any data is loaded. An error is one
line on stderr, ``error: <what>`` naming the option or file, and the exit status says what kind:
2 for a usage error (a bad option, a missing ``--data-path``), 1 for a failure while running (a
corrupt or unsafe checkpoint, an unreadable data file, a diverged loss), 130 for Ctrl-C.
``--debug`` (or ``LEARNED_DEBUG=1``) shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from .experiments.configs import (
    DATASETS,
    DEFAULT_PRESET,
    E2_SCENARIOS,
    PRESETS,
    DigitsConfig,
    e1_targets,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"

HELPS = {
    "e1": "Gauss-Markov: learned (R, D, P) curves of MSE/JD/FMD/SA decoders (entropy coded) vs "
    "matched bounds and DPCM baselines",
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


class UsageError(Exception):
    """A command-line argument is invalid; the message names the option (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line ``error: ...`` on stderr (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The command line; its presets, choices and defaults come from
    :mod:`learned.experiments.configs` (torch is not imported)."""
    p = _Parser(
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
            help=f"regenerate the committed results in {RESULTS_DIR} (no resume)"
            + (" (--quick: its e1_quick/ folder)" if name == "e1" else ""),
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
        if name in ("e1", "e3"):
            s.add_argument("--lams", type=float, nargs="+", default=None,
                           help="perception weights of every rate point's PLF decoders")  # fmt: skip
        if name == "e1":
            s.add_argument(
                "--rates",
                type=float,
                nargs="+",
                default=None,
                help="rate grid R (bits/sample): the rate points (R, R, R) and (eps, R, R) for "
                "each; the lam sweep runs at the R closest to 1",
            )
            s.add_argument("--lam-sweep", type=float, nargs="*", default=None,
                           help="extra perception weights at the sweep's rate point (none: no "
                           "sweep)")  # fmt: skip
        if name in ("e1", "e3"):
            s.add_argument(
                "--jobs",
                type=int,
                default=1,
                help="processes training rate points in parallel (default 1; the results do "
                "not depend on it, each process runs with --threads threads)",
            )
        s.add_argument("--no-progress", action="store_true", help="hide progress bars")
        s.add_argument(
            "--debug",
            action="store_true",
            help="show the traceback of an error (also: environment variable LEARNED_DEBUG=1)",
        )
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
    if getattr(args, "lams", None) is not None:
        over["lams"] = tuple(dict.fromkeys(args.lams))
    if getattr(args, "lam_sweep", None) is not None:
        over["lam_sweep"] = tuple(dict.fromkeys(args.lam_sweep))
    if getattr(args, "rates", None) is not None:
        rates = tuple(dict.fromkeys(args.rates))
        over["rate_targets"] = e1_targets(rates, cfg.T)
        over["lam_sweep_point"] = min(range(len(rates)), key=lambda i: abs(rates[i] - 1.0))
    if args.experiment == "e2":
        over["dataset"] = args.dataset
        over["data_path"] = args.data_path
        if args.scenarios is not None:
            over["scenarios"] = tuple(dict.fromkeys(args.scenarios))
    return replace(cfg, **over)


#: Seeds go to numpy and torch generators (``3 * seed + 2`` among them): kept to 32 bits.
MAX_SEED = 2**32 - 1


def _int_option(
    args: argparse.Namespace, dest: str, minimum: int, maximum: int | None = None
) -> None:
    value = getattr(args, dest, None)
    if value is None:
        return
    flag = "--" + dest.replace("_", "-")
    if maximum is None and value < minimum:
        raise UsageError(f"{flag} must be an integer >= {minimum}, got {value}")
    if maximum is not None and not minimum <= value <= maximum:
        raise UsageError(f"{flag} must be an integer in [{minimum}, {maximum}], got {value}")


def _number_option(args: argparse.Namespace, dest: str) -> None:
    value = getattr(args, dest, None)
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise UsageError(f"--{dest.replace('_', '-')} must be a finite number >= 0, got {value:g}")


def check_args(args: argparse.Namespace) -> None:
    """Check every parsed argument and the files they name, before anything heavy is imported.

    Raises
    ------
    UsageError
        Naming the option (``"--mse-steps must be an integer >= 1, got -5"``) or the file.
    """
    _int_option(args, "threads", 1)
    _int_option(args, "jobs", 1)
    _int_option(args, "seed", 0, MAX_SEED)
    for dest in ("mse_steps", "gan_steps", "eval_critic_steps", "high_symbols"):
        _int_option(args, dest, 1)
    _int_option(args, "eval_samples", 2)  # standard errors and the critics' halves need two
    _int_option(args, "classifier_steps", 0)
    for dest in ("gan_lr", "critic_lr", "lam"):
        _number_option(args, dest)
    for dest in ("lams", "lam_sweep"):
        for value in getattr(args, dest, None) or ():
            if not (math.isfinite(value) and value >= 0):
                raise UsageError(f"--{dest.replace('_', '-')} values must be finite numbers >= 0, "
                                 f"got {value:g}")  # fmt: skip
    for value in getattr(args, "rates", None) or ():
        if not (math.isfinite(value) and value > 0):
            raise UsageError(f"--rates values must be finite numbers > 0, got {value:g}")
    if args.retrain and args.resume:
        raise UsageError("--resume cannot be combined with --retrain (a retrain starts afresh)")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} exists and is not a directory")
    if args.experiment == "e2":
        _check_data(args.dataset, args.data_path)


def _check_data(dataset: str, data_path: str | None) -> None:
    if dataset == "bouncing":
        if data_path is not None:
            raise UsageError(
                "--data-path is read only with --dataset moving_mnist or kth "
                "(the bouncing digits are generated)"
            )
        return
    if data_path is None:
        raise UsageError(f"--dataset {dataset} needs --data-path")
    path = Path(data_path)
    if dataset == "moving_mnist":
        if not path.is_file():
            raise UsageError(f"--data-path {path}: no such file (expected mnist_test_seq.npy)")
        return
    if not path.is_dir():
        raise UsageError(f"--data-path {path}: no such directory (expected a folder of .avi files)")
    if not any(path.glob("*.avi")):
        raise UsageError(f"--data-path {path} holds no .avi files")
    if importlib.util.find_spec("av") is None:
        raise UsageError("--dataset kth needs PyAV to decode the videos (pip install av)")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def retrain_dir(args: argparse.Namespace) -> Path:
    """Where ``--retrain`` writes: ``learned/results``, except the quick E1, whose committed
    files (the reproducibility check of the quick configuration) live in ``results/e1_quick``
    beside the full sweep's."""
    presets = PRESETS[args.experiment]
    chosen = [name for name in presets if getattr(args, name, False)]
    preset = chosen[0] if chosen else DEFAULT_PRESET[args.experiment]
    if args.experiment == "e1" and preset == "quick":
        return RESULTS_DIR / "e1_quick"
    return RESULTS_DIR


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (errors are one line on stderr)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or an argparse usage error, already printed (2)
        return exc.code if isinstance(exc.code, int) else 2
    debug = args.debug or os.environ.get("LEARNED_DEBUG", "") not in ("", "0")
    try:
        check_args(args)
        cfg = config_from_args(args)
    except UsageError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.retrain:
        out = retrain_dir(args) if args.out is None else args.out
        resume = False
        # a retrain into the package keeps its checkpoints out of it
        ckpt = (
            Path("runs") / f"retrain_{args.experiment}" / "checkpoints"
            if args.out is None
            else args.out / "checkpoints"
        )
    else:
        out = args.out if args.out is not None else Path("runs") / args.experiment
        resume = args.resume
        ckpt = out / "checkpoints"
    try:
        import torch

        if args.device == "cuda" and not torch.cuda.is_available():
            raise UsageError("--device cuda, but torch.cuda.is_available() is False")
        from . import experiments as ex
        from .train import TrainingDivergedError

        torch.set_num_threads(args.threads)
        run = {"e1": ex.run_e1, "e2": ex.run_e2, "e3": ex.run_e3}[args.experiment]
        jobs = {"n_jobs": args.jobs} if args.experiment in ("e1", "e3") else {}
        try:
            meta = run(
                cfg,
                out,
                device=args.device,
                resume=resume,
                progress=not args.no_progress,
                checkpoint_dir=ckpt,
                **jobs,
            )
        except TrainingDivergedError as exc:
            raise TrainingDivergedError(f"{exc} (checkpoints in {ckpt})") from exc
    except UsageError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if debug:
            raise
        hint = "" if args.retrain else f"; rerun with --resume to continue from {ckpt}"
        print(f"error: interrupted{hint}", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            raise
        from rdp_theory.exceptions import RDPError

        if isinstance(exc, (RDPError, OSError)):  # raised on purpose: the message says it all
            print(f"error: {_one_line(exc)}", file=sys.stderr)
        else:
            print(
                f"error: {type(exc).__name__}: {_one_line(exc)} (rerun with --debug for the "
                "traceback)",
                file=sys.stderr,
            )
        return 1
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

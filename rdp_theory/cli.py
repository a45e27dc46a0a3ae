"""The ``rdp-theory`` command: bounds at the command line, and the paper's figures.

Installed with the package (``[project.scripts]``), also runnable as ``python -m rdp_theory``
or ``python -m rdp_theory.cli``::

    rdp-theory bound --sigmas 1 1 1 --rhos 0.9 --rates 0.05 1 3 --perception 0 --plf jd
    rdp-theory bound --sigmas 1 --rhos 0.9 --frames 3 --rates 1 --perception 0.05 --plf sa \\
        --objective 1 1 1 --json
    rdp-theory figures --quick --only jd_pareto --out /tmp/figs
    rdp-theory figures --list

``bound`` calls :func:`rdp_theory.solve_rdp` and prints a table (or, with ``--json``,
:meth:`RDPSolution.to_dict` plus the solver's warnings). ``figures`` writes each figure's PNG,
PDF, CSV and JSON into ``--out`` (default: the current directory); ``paper_repro.py`` in the
repository runs the same code with its own default (``figures/`` beside the script).

Usage errors (a bad option or value) print one line on standard error and exit with status 2;
an infeasible target or a failed solve exits with 1. Importing this module imports neither
matplotlib nor torch: the ``figures`` command imports the figure catalogue (matplotlib) when it
runs, and reports a missing ``plot`` extra in one line.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .exceptions import InfeasibleError, InvalidParameterError, RDPError, SolverWarning
from .io import dumps_json, package_version

if TYPE_CHECKING:
    from figures import FigureData, FigureSpec, RunConfig

    from .convex import RDPSolution

__all__ = ["PROG", "build_parser", "figures_parser", "main", "run_figures"]

#: The installed command's name.
PROG = "rdp-theory"

#: Exit status of a usage error (argparse's convention) and of a failed computation.
EXIT_USAGE = 2
EXIT_FAILURE = 1


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on standard error (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _fail(prog: str, message: str, status: int) -> int:
    """Print ``prog: error: message`` as one line on standard error; return ``status``."""
    print(f"{prog}: error: {' '.join(message.split())}", file=sys.stderr)
    return status


# ------------------------------------------------------------------------------------- bound
def _numbers(parser: argparse.ArgumentParser, option: str, tokens: Sequence[str]) -> list[float]:
    """The numbers of one option: space- or comma-separated, ``inf`` allowed."""
    out: list[float] = []
    for token in tokens:
        for part in token.split(","):
            if not part.strip():
                continue
            try:
                out.append(float(part))
            except ValueError:
                parser.error(f"{option}: {part.strip()!r} is not a number")
    if not out:
        parser.error(f"{option} needs at least one number")
    return out


def _broadcast(
    parser: argparse.ArgumentParser, option: str, values: list[float], n: int, what: str
) -> tuple[float, ...]:
    """``values`` of length ``n``, or one value repeated ``n`` times."""
    if len(values) == n:
        return tuple(values)
    if len(values) == 1:
        return tuple(values) * n
    parser.error(f"{option} must have 1 or {what} = {n} values, got {len(values)}")


def _per_frame(values: list[float]) -> float | tuple[float, ...]:
    """One value as a scalar (the library repeats it for every frame), else the tuple; the
    library checks the length and names the argument."""
    return values[0] if len(values) == 1 else tuple(values)


def _add_bound(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "bound",
        help="optimal distortions for given rates and perception levels (solve_rdp)",
        description=(
            "Solve the rate-distortion-perception program (rdp_theory.solve_rdp) for a "
            "Gauss-Markov source and print the optimal distortion and perception value of every "
            "frame. Lists are space- or comma-separated; 'inf' is allowed where the library "
            "allows it (rates, perception, targets). One value of --sigmas, --rhos, --rates, "
            "--perception or --targets is repeated for every frame. T is --frames, else "
            "the longer of --sigmas and --rhos (plus one)."
        ),
        epilog=(
            "example: rdp-theory bound --sigmas 1 1 1 --rhos 0.9 --rates 0.05 1 3 "
            "--perception 0 --plf jd"
        ),
    )
    p.add_argument("--sigmas", nargs="+", required=True, metavar="SIGMA",
                   help="standard deviation of each frame (T values, or one)")
    p.add_argument("--rhos", nargs="+", default=[], metavar="RHO",
                   help="correlation of consecutive frames (T - 1 values, or one); "
                        "omit for T = 1")
    p.add_argument("--frames", type=int, metavar="T",
                   help="number of frames (default: from --sigmas and --rhos)")
    p.add_argument("--rates", nargs="+", required=True, metavar="R",
                   help="rate budget of each frame in bits per sample (T values, or one)")
    p.add_argument("--perception", nargs="+", required=True, metavar="P",
                   help="perception level of each frame (W2^2, or nats with --measure kl): "
                        "0 = perfect realism, inf = unconstrained (T values, or one)")
    p.add_argument("--plf", default="jd", choices=("jd", "fmd", "sa"),
                   help="perception loss function (default jd)")
    p.add_argument("--objective", nargs="+", default=["lexicographic"], metavar="W",
                   help="'lexicographic' (default: least D_1, then D_2, ...) or one "
                        "non-negative weight per frame (minimise sum w_k D_k)")
    p.add_argument("--targets", nargs="+", metavar="D",
                   help="distortion caps D_k <= t_k with weights (inf = none)")
    p.add_argument("--representation", default="optimal", choices=("optimal", "mse"),
                   help="'mse' fixes the greedy MSE representation (default optimal)")
    p.add_argument("--measure", default="w2", choices=("w2", "kl"),
                   help="perception measure: squared Wasserstein-2 (default) or KL divergence "
                        "in nats (JD and FMD; see --kl-direction)")
    p.add_argument("--kl-direction", default=None, choices=("xhat||x", "x||xhat"),
                   help="order of the KL divergence with --measure kl (default xhat||x: "
                        "KL(reconstruction || source))")
    p.add_argument("--method", default="auto", choices=("auto", "sdp"),
                   help="'auto' uses closed forms where they are exact; 'sdp' always solves "
                        "the program (default auto)")
    p.add_argument("--json", action="store_true",
                   help="print the solution as JSON (RDPSolution.to_dict() plus 'warnings'; "
                        "non-finite numbers as strings)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="report the solver's progress on standard error")
    p.set_defaults(run=_run_bound, command_parser=p)
    return p


def _bound_request(p: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of ``solve_rdp`` (and the source's) from the parsed options."""
    sigmas = _numbers(p, "--sigmas", args.sigmas)
    rhos = _numbers(p, "--rhos", args.rhos) if args.rhos else []
    if args.frames is not None:
        if args.frames < 1:
            p.error(f"--frames must be an integer >= 1, got {args.frames}")
        T = args.frames
    else:
        T = max(len(sigmas), len(rhos) + 1)
    if args.frames is None and len(sigmas) > 1 and len(rhos) > 1 and len(rhos) != len(sigmas) - 1:
        p.error(f"--sigmas has {len(sigmas)} values and --rhos {len(rhos)}: give T sigmas and "
                "T - 1 rhos (or one of either)")
    if T == 1 and rhos:
        p.error(f"--rhos must be omitted for a single frame, got {len(rhos)} value(s)")
    if T > 1 and not rhos:
        p.error(f"--rhos is required for T = {T} frames (T - 1 values, or one)")
    objective: str | float | tuple[float, ...] = "lexicographic"
    if [o.lower() for o in args.objective] != ["lexicographic"]:
        if any(o.lower() == "lexicographic" for o in args.objective):
            p.error("--objective must be 'lexicographic' alone or one weight per frame")
        objective = _per_frame(_numbers(p, "--objective", args.objective))
    targets = None
    if args.targets:
        targets = _per_frame(_numbers(p, "--targets", args.targets))
    return {
        "sigmas": _broadcast(p, "--sigmas", sigmas, T, "T"),
        "rhos": _broadcast(p, "--rhos", rhos, T - 1, "T - 1") if T > 1 else (),
        "rates": _per_frame(_numbers(p, "--rates", args.rates)),
        "perception": _per_frame(_numbers(p, "--perception", args.perception)),
        "plf": args.plf, "objective": objective, "targets": targets,
        "representation": args.representation, "method": args.method,
        "perception_measure": args.measure, "kl_direction": args.kl_direction,
    }


def _run_bound(p: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from .convex import solve_rdp
    from .source import GaussMarkovSource

    req = _bound_request(p, args)
    try:
        src = GaussMarkovSource(req.pop("sigmas"), req.pop("rhos"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SolverWarning)
            sol = solve_rdp(src, req.pop("rates"), req.pop("perception"), **req,
                            verbose=args.verbose)
    except InvalidParameterError as exc:
        return _fail(p.prog, str(exc), EXIT_USAGE)
    except InfeasibleError as exc:
        return _fail(p.prog, f"infeasible: {exc}", EXIT_FAILURE)
    except RDPError as exc:
        return _fail(p.prog, f"{type(exc).__name__}: {exc}", EXIT_FAILURE)
    notes = [str(w.message) for w in caught if issubclass(w.category, SolverWarning)]
    for w in caught:  # anything else is not ours to swallow
        if not issubclass(w.category, SolverWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    for note in notes:
        print(f"{p.prog}: warning: {' '.join(note.split())}", file=sys.stderr)
    if args.json:
        sys.stdout.write(dumps_json({**sol.to_dict(), "warnings": notes}))
    else:
        sys.stdout.write(format_solution(sol))
    return 0


def _cell(value: float) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.8g}"


def format_solution(sol: RDPSolution) -> str:
    """A plain-text report of a solution: what was solved, how well, one row per frame."""
    src = sol.source
    objective = (sol.objective if isinstance(sol.objective, str)
                 else "weights (" + ", ".join(_cell(w) for w in sol.objective) + ")")
    cert = sol.certificate
    timed = "" if sol.solve_time is None else f", {sol.solve_time:.3g} s"
    lines = [
        f"T = {sol.T}, sigma = {', '.join(_cell(s) for s in src.sigmas)}"
        + (f"; rho = {', '.join(_cell(r) for r in src.rhos)}" if src.rhos else ""),
        f"PLF-{sol.plf.upper()}, objective {objective}, {sol.representation} representation",
        f"status {sol.status} (solver {sol.solver}{timed}, {cert.attempts} attempt(s); "
        f"primal residual {cert.primal_residual:.1e}, relative gap {cert.relative_gap:.1e})",
        "",
    ]
    unit = "W2^2" if sol.perception_measure == "w2" else f"KL {sol.kl_direction}, nats"
    lines[1] += f"; perception in {unit}"
    header = ("frame", "rate R", "rate used", "level P", "distortion D", "perception phi")
    rows = [
        (str(k + 1), _cell(sol.rates[k]), _cell(sol.rates_used[k]), _cell(sol.perception[k]),
         _cell(sol.distortions[k]), _cell(sol.perception_values[k]))
        for k in range(sol.T)
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    for row in (header, *rows):
        lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths)).rstrip())
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------- figures
def figures_parser(
    parser: argparse.ArgumentParser, default_out: Path | None, out_help: str
) -> argparse.ArgumentParser:
    """Add the figure options to ``parser`` (the ``figures`` command and ``paper_repro.py``).

    ``default_out`` ``None``: the current directory at run time."""
    parser.add_argument("--quick", action="store_true",
                        help="small grids (seconds; used by tests)")
    parser.add_argument("--only", metavar="NAME[,NAME]", action="append", default=None,
                        help="draw only these figures (comma-separated; repeatable; see --list)")
    parser.add_argument("--out", metavar="DIR", type=Path, default=default_out, help=out_help)
    parser.add_argument("--list", action="store_true", help="list the figure names and exit")
    parser.add_argument("--jobs", metavar="N", type=int, default=1,
                        help="joblib workers for the SDP sweeps (default 1)")
    parser.add_argument("--learned-results", metavar="DIR", type=Path, default=None,
                        help="folder with the learned codec's result CSVs (default: the "
                             "results shipped with the learned package)")
    parser.set_defaults(run=run_figures, command_parser=parser)
    return parser


def _add_figures(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "figures",
        help="regenerate the theory figures (PNG, PDF, CSV, JSON); needs the plot extra",
        description=(
            "Regenerate the rdp-theory figures from library calls: for each figure NAME, "
            "NAME.png, NAME.pdf, NAME.csv (every plotted number) and NAME.json (parameters, "
            "version, git revision), written as a set with NAME.json last. Needs the 'plot' "
            "extra (matplotlib)."
        ),
        epilog="example: rdp-theory figures --quick --only jd_pareto,universality --out figs",
    )
    return figures_parser(p, None, "output folder (default: the current directory)")


def _select(parser: argparse.ArgumentParser, only: list[str] | None, names: list[str]) -> list[str]:
    """The figure names to draw, in catalogue order; a usage error on an unknown name."""
    if not only:
        return names
    wanted = [n.strip() for chunk in only for n in chunk.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in names]
    if unknown or not wanted:
        parser.error(
            f"unknown figure name(s): {', '.join(unknown) or '(none given)'}; "
            f"valid names: {', '.join(names)}"
        )
    return [n for n in names if n in set(wanted)]


def _metadata(spec: FigureSpec, data: FigureData, stats: dict[str, int], revision: str,
              generated_by: str) -> dict[str, object]:
    """The content of ``NAME.json``."""
    return {
        "figure": spec.name,
        "title": data.title,
        "caption": data.caption,
        "parameters": data.params,
        "columns": list(data.table.columns),
        "rows": len(data.table.rows),
        "rdp_theory_version": package_version(),
        "git_revision": revision,
        "generated_by": generated_by,
        "failed_solves": stats["failed"],
    }


def _stats_note(stats: dict[str, int]) -> str:
    if not stats["solves"]:
        return ""
    note = f", {stats['solves']} SDP solves"
    if stats["solver_warnings"]:
        note += f" ({stats['solver_warnings']} inaccurate-solution warnings)"
    if stats["failed"]:
        note += f", {stats['failed']} FAILED (left as gaps)"
    return note


def _make_one(spec: FigureSpec, cfg: RunConfig, out: Path, revision: str,
              generated_by: str) -> str:
    """Compute, draw and write one figure set; returns the progress line's tail."""
    from figures._compute import take_stats
    from figures._output import figure_files, write_figure_set

    t0 = time.perf_counter()
    take_stats()
    data = spec.compute(cfg)
    if data is None:
        return (f"skipped, no learned results under {cfg.learned_dir} "
                "(run the learned-codec experiment E1 first)")
    stats = take_stats()
    files = figure_files(data, spec.draw(data), _metadata(spec, data, stats, revision,
                                                          generated_by))
    write_figure_set(out, spec.name, files)
    return (f"{len(data.table.rows)} rows{_stats_note(stats)}, "
            f"{time.perf_counter() - t0:.1f} s -> {out / spec.name}.{{png,pdf,csv,json}}")


def _import_figures(prog: str) -> Any:
    """The figure catalogue (imports matplotlib with the Agg backend), or ``None`` after a
    one-line error when the plot extra is missing."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import figures
    except ImportError as exc:
        _fail(prog, f"the figures need the plot extra ({exc}): python -m pip install "
              "'rdp-theory[plot]'", EXIT_FAILURE)
        return None
    return figures


def run_figures(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Draw the figures selected by ``args`` (see :func:`figures_parser`); the exit status."""
    from .io import git_revision, remove_stale_temporaries

    fig = _import_figures(parser.prog)
    if fig is None:
        return EXIT_FAILURE
    catalogue: dict[str, FigureSpec] = fig.FIGURES
    if args.list:
        width = max(len(n) for n in catalogue)
        for name, spec in catalogue.items():
            print(f"{name:<{width}}  {spec.summary}")
        return 0
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    names = _select(parser, args.only, list(catalogue))
    learned = {} if args.learned_results is None else {"learned_dir": args.learned_results}
    cfg = fig.RunConfig(quick=args.quick, jobs=args.jobs, **learned)
    out: Path = Path.cwd() if args.out is None else args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail(parser.prog, f"cannot create the output folder {out}: {exc}", EXIT_FAILURE)
    remove_stale_temporaries(out)
    root: Path = fig.REPO_ROOT
    revision = git_revision(root) if (root / ".git").exists() else "unknown"
    generated_by = parser.prog
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the plot extra
        tqdm = None

    bar = tqdm(total=len(names), unit="fig", file=sys.stderr, disable=None) if tqdm else None
    say: Callable[[str], None] = bar.write if bar is not None else print
    t_all = time.perf_counter()
    written = 0
    for i, name in enumerate(names, start=1):
        if bar is not None:
            bar.set_description(name)
        line = _make_one(catalogue[name], cfg, out, revision, generated_by)
        written += not line.startswith("skipped")
        say(f"[{i}/{len(names)}] {name}: {line}")
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    print(f"{written} figure(s) written to {out} in {time.perf_counter() - t_all:.1f} s")
    return 0


# -------------------------------------------------------------------------------------- main
def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The ``rdp-theory`` command line (subcommands ``bound`` and ``figures``)."""
    parser = _Parser(
        prog=prog,
        description=(
            "Rate-distortion-perception bounds for causal coding of Gauss-Markov sources. "
            "Run 'rdp-theory COMMAND --help' for a command's options."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_bound(sub)
    _add_figures(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``rdp-theory`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.run(args.command_parser, args))


def paper_repro_main(argv: Sequence[str] | None, default_out: Path) -> int:
    """``paper_repro.py``: the ``figures`` command with the script's own name and default
    output folder (``figures/`` beside it)."""
    parser = _Parser(
        prog="paper_repro.py",
        description="Regenerate the rdp-theory figures (PNG + PDF + CSV of plotted numbers + "
        "JSON of parameters) from library calls (the same code as 'rdp-theory figures').",
    )
    figures_parser(parser, default_out, "output folder (default: figures/ next to this script)")
    args = parser.parse_args(argv)
    return run_figures(parser, args)


if __name__ == "__main__":
    sys.exit(main())

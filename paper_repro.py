#!/usr/bin/env python
"""Regenerate every theory figure of rdp-theory with one command.

For each figure NAME this writes, into ``--out`` (default ``figures/``): ``NAME.png``,
``NAME.pdf``, ``NAME.csv`` (every plotted number, deterministic) and ``NAME.json`` (parameters,
``rdp_theory.__version__``, git revision). Every file is written atomically, and a figure's four
files are written as a set with ``NAME.json`` last: the set is complete if and only if
``NAME.json`` exists (see ``figures/_output.py``). Temporary files left by a killed earlier run
are removed from ``--out`` at the start.

Examples
--------
    python paper_repro.py                       # all figures into figures/
    python paper_repro.py --quick --out /tmp/f  # small grids
    python paper_repro.py --only jd_pareto,universality --jobs 2
    python paper_repro.py --list
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib

matplotlib.use("Agg")

import rdp_theory
from figures import FIGURES, REPO_ROOT, FigureData, FigureSpec, RunConfig
from figures._compute import take_stats
from figures._output import figure_files, write_figure_set
from rdp_theory.io import git_revision, remove_stale_temporaries


def _parse_names(value: str) -> list[str]:
    return [n.strip() for n in value.split(",") if n.strip()]


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(
        prog="paper_repro.py",
        description="Regenerate the rdp-theory figures (PNG + PDF + CSV of plotted numbers + "
        "JSON of parameters) from library calls.",
    )
    p.add_argument("--quick", action="store_true", help="small grids (seconds; used by tests)")
    p.add_argument("--only", metavar="NAME[,NAME]", action="append", default=None,
                   help="draw only these figures (comma-separated; repeatable)")
    p.add_argument("--out", metavar="DIR", type=Path, default=REPO_ROOT / "figures",
                   help="output folder (default: figures/ next to this script)")
    p.add_argument("--list", action="store_true", help="list the figure names and exit")
    p.add_argument("--jobs", metavar="N", type=int, default=1,
                   help="joblib workers for the SDP sweeps (default 1)")
    p.add_argument("--learned-results", metavar="DIR", type=Path,
                   default=REPO_ROOT / "learned" / "results",
                   help="folder with the learned codec's result CSVs (default learned/results)")
    return p


def _select(parser: argparse.ArgumentParser, only: list[str] | None) -> list[str]:
    """The figure names to draw, in catalogue order; exits with status 2 on an unknown name."""
    if not only:
        return list(FIGURES)
    wanted = [n for chunk in only for n in _parse_names(chunk)]
    unknown = [n for n in wanted if n not in FIGURES]
    if unknown or not wanted:
        parser.error(
            f"unknown figure name(s): {', '.join(unknown) or '(none given)'}; "
            f"valid names: {', '.join(FIGURES)}"
        )
    return [n for n in FIGURES if n in set(wanted)]


def _metadata(spec: FigureSpec, data: FigureData, stats: dict[str, int],
              revision: str) -> dict[str, object]:
    """The content of ``NAME.json``."""
    return {
        "figure": spec.name,
        "title": data.title,
        "caption": data.caption,
        "parameters": data.params,
        "columns": list(data.table.columns),
        "rows": len(data.table.rows),
        "rdp_theory_version": rdp_theory.__version__,
        "git_revision": revision,
        "generated_by": "paper_repro.py",
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


def _make_one(spec: FigureSpec, cfg: RunConfig, out: Path, revision: str) -> str:
    """Compute, draw and write one figure set; returns the progress line's tail."""
    t0 = time.perf_counter()
    take_stats()
    data = spec.compute(cfg)
    if data is None:
        return (f"skipped, no learned results under {cfg.learned_dir} "
                "(run the learned-codec experiment E1 first)")
    stats = take_stats()
    files = figure_files(data, spec.draw(data), _metadata(spec, data, stats, revision))
    write_figure_set(out, spec.name, files)
    return (f"{len(data.table.rows)} rows{_stats_note(stats)}, "
            f"{time.perf_counter() - t0:.1f} s -> {out / spec.name}.{{png,pdf,csv,json}}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list:
        width = max(len(n) for n in FIGURES)
        for name, spec in FIGURES.items():
            print(f"{name:<{width}}  {spec.summary}")
        return 0
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    names = _select(parser, args.only)

    cfg = RunConfig(quick=args.quick, jobs=args.jobs, learned_dir=args.learned_results)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out)
    revision = git_revision(REPO_ROOT)
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the plot extra
        tqdm = None

    bar = tqdm(total=len(names), unit="fig", file=sys.stderr, disable=None) if tqdm else None
    say = bar.write if bar is not None else print
    t_all = time.perf_counter()
    written = 0
    for i, name in enumerate(names, start=1):
        if bar is not None:
            bar.set_description(name)
        line = _make_one(FIGURES[name], cfg, out, revision)
        written += not line.startswith("skipped")
        say(f"[{i}/{len(names)}] {name}: {line}")
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    print(f"{written} figure(s) written to {out} in {time.perf_counter() - t_all:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

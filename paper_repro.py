#!/usr/bin/env python
"""Regenerate every theory figure of rdp-theory with one command.

For each figure NAME this writes, into ``--out`` (default ``figures/``): ``NAME.png``,
``NAME.pdf``, ``NAME.csv`` (every plotted number, deterministic) and ``NAME.json`` (parameters,
``rdp_theory.__version__``, git revision). Every file is written atomically.

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
from figures import FIGURES, REPO_ROOT, RunConfig
from figures._common import (
    atomic_write_text,
    dumps_json,
    git_revision,
    save_figure,
    take_stats,
)


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
    names = list(FIGURES)
    if args.only:
        wanted = [n for chunk in args.only for n in _parse_names(chunk)]
        unknown = [n for n in wanted if n not in FIGURES]
        if unknown or not wanted:
            parser.error(
                f"unknown figure name(s): {', '.join(unknown) or '(none given)'}; "
                f"valid names: {', '.join(FIGURES)}"
            )
        names = [n for n in FIGURES if n in set(wanted)]

    cfg = RunConfig(quick=args.quick, jobs=args.jobs, learned_dir=args.learned_results)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
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
        spec = FIGURES[name]
        if bar is not None:
            bar.set_description(name)
        t0 = time.perf_counter()
        take_stats()
        data = spec.compute(cfg)
        if data is None:
            say(f"[{i}/{len(names)}] {name}: skipped, no learned results under "
                f"{cfg.learned_dir} (run the learned-codec experiment E1 first)")
            if bar is not None:
                bar.update()
            continue
        stats = take_stats()
        fig = spec.plot(data)
        save_figure(fig, out / f"{name}.png", "png")
        save_figure(fig, out / f"{name}.pdf", "pdf")
        atomic_write_text(out / f"{name}.csv", data.table.to_csv())
        meta = {
            "figure": name,
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
        atomic_write_text(out / f"{name}.json", dumps_json(meta))
        written += 1
        note = ""
        if stats["solves"]:
            note = f", {stats['solves']} SDP solves"
            if stats["solver_warnings"]:
                note += f" ({stats['solver_warnings']} inaccurate-solution warnings)"
            if stats["failed"]:
                note += f", {stats['failed']} FAILED (left as gaps)"
        say(f"[{i}/{len(names)}] {name}: {len(data.table.rows)} rows{note}, "
            f"{time.perf_counter() - t0:.1f} s -> {out / name}.{{png,pdf,csv,json}}")
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    print(f"{written} figure(s) written to {out} in {time.perf_counter() - t_all:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Regenerate every theory figure of rdp-theory with one command.

The same code as the installed ``rdp-theory figures`` command (:mod:`rdp_theory.cli`), with this
script's default output folder: ``figures/`` beside it. For each figure NAME this writes, into
``--out``: ``NAME.png``, ``NAME.pdf``, ``NAME.csv`` (every plotted number, deterministic) and
``NAME.json`` (parameters, ``rdp_theory.__version__``, git revision). Every file is written
atomically, and a figure's four files are written as a set with ``NAME.json`` last: the set is
complete if and only if ``NAME.json`` exists (see ``figures/_output.py``). Temporary files left by
a killed earlier run are removed from ``--out`` at the start.

Examples
--------
    python paper_repro.py                       # all figures into figures/
    python paper_repro.py --quick --out /tmp/f  # small grids
    python paper_repro.py --only jd_pareto,universality --jobs 2
    python paper_repro.py --list
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from rdp_theory.cli import paper_repro_main

HERE = Path(__file__).resolve().parent


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    return paper_repro_main(argv, default_out=HERE / "figures")


if __name__ == "__main__":
    sys.exit(main())

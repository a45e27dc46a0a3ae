"""Measure the universality gap of the MSE representation over a sweep (docs/theory.md).

    python benchmarks/universality_gaps.py [--out gaps.json]

For each PLF and objective (lexicographic; sum of distortions; min D_T alone) over a grid of
rates, perception levels and correlations (T = 3, sigma = 1), reports the largest relative gap
(MSE representation + best decoder) - (joint optimum), relative to the optimum, overall and over
the points where neither solve carried a SolverWarning (the gap is provably 0, docs/theory.md
section 6e, so a nonzero gap is solver or lexicographic-chain error).
"""

from __future__ import annotations

import argparse
import itertools
import warnings

import numpy as np

import rdp_theory as rt
from rdp_theory.io import write_json


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    objectives = {"lexicographic": "lexicographic", "sum": (1.0, 1.0, 1.0), "final": (0.0, 0.0, 1.0)}
    report: dict[str, dict[str, float]] = {}
    for plf, (oname, obj) in itertools.product(("jd", "sa", "fmd"), objectives.items()):
        worst, worst_at, n, failed, worst_clean, flagged = 0.0, None, 0, 0, 0.0, 0
        for rho, r, p in itertools.product((0.5, 0.9, 0.99), (0.05, 0.3, 1.0, 3.0), (0.0, 0.02, 0.2, 1.0)):
            src = rt.GaussMarkovSource.stationary(3, 1.0, rho)
            for rates in ((r, r, r), (0.05, r, r), (3.0, r, 0.05)):
                try:
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always", rt.SolverWarning)
                        res = rt.universality_gap(src, rates, p, plf=plf, objective=obj)
                    warned = any(issubclass(w.category, rt.SolverWarning) for w in caught)
                except rt.RDPError:
                    failed += 1
                    continue
                n += 1
                opt = res.optimal.objective_value
                gap = res.objective_gap / opt if opt > 0 else 0.0
                if oname == "lexicographic":  # lexicographic order: first frame that differs
                    rel = res.relative_gap
                    nz = np.flatnonzero(np.abs(rel) > 1e-6)
                    gap = float(rel[nz[0]]) if nz.size else float(np.max(np.abs(rel)))
                if gap > worst:
                    worst, worst_at = gap, dict(rho=rho, rates=rates, P=p)
                flagged += warned
                if not warned:
                    worst_clean = max(worst_clean, gap)
        report[f"{plf}/{oname}"] = dict(
            points=n, failed=failed, max_relative_gap=worst, at=worst_at, flagged=flagged,
            max_relative_gap_unflagged=worst_clean,
        )
        print(f"{plf:>3} {oname:>13}: {n} points, {failed} failed, {flagged} flagged, max relative gap "
              f"{worst:.2e} at {worst_at}; unflagged {worst_clean:.2e}", flush=True)
    if args.out:
        write_json(args.out, report)


if __name__ == "__main__":
    main()

"""Small perception levels against the independent 256-bit route (docs/theory.md section 3).

Instances: T in {2, 3, 4}, sigma log-uniform in [e^-1, e], rho in [0.3, 0.97], rates in
[0.2, 4], PLF JD or SA; each frame's level is, with probability 0.6, 10^U(-8, -4) times the
total variance of frames 1..j, with probability 0.2 a moderate 0.05 sigma_j^2, else inf (at
least one finite level after frame 1). The package solves the program (``method="sdp"``):

* ``--objective weighted``: min D_T (weights (0, ..., 0, 1)), against SDPA-GMP's value of the same
  program (``lexicographic_high_precision._program`` at the last stage, no caps);
* ``--objective lexicographic`` (the default objective): every stage value against the
  extrapolated capped chains (``hp_limit``); SDPA-GMP stops short on some draws, which are
  counted and skipped.

Reported, split by whether the result carried a SolverWarning: the largest relative error, the
largest error over the largest variance, and the largest excess of a perception value over its
level relative to the level. Needs the ``highprec`` extra (``sdpa-multiprecision``).

    python benchmarks/stress_tiny_levels.py [--objective weighted] [--n 200] [--seed 1] [--out tiny.json]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from typing import Any

import lexicographic_high_precision as hp  # the script's folder is on sys.path
import numpy as np

import rdp_theory as rt
from rdp_theory.io import write_json


def draw(rng: np.random.Generator) -> tuple[rt.GaussMarkovSource, np.ndarray, np.ndarray, str]:
    T = int(rng.integers(2, 5))
    sig = tuple(float(x) for x in np.exp(rng.uniform(-1, 1, T)))
    rho = tuple(float(x) for x in rng.uniform(0.3, 0.97, T - 1))
    src = rt.GaussMarkovSource(sig, rho)
    rates = rng.uniform(0.2, 4.0, T)
    plf = str(rng.choice(["jd", "sa"]))
    P = np.full(T, np.inf)
    for j in range(T):
        u = rng.uniform()
        if u < 0.6:
            P[j] = 10 ** rng.uniform(-8, -4) * src.variances[: j + 1].sum()
        elif u < 0.8:
            P[j] = 0.05 * src.variances[j]
    if not np.any(np.isfinite(P[1:])):
        P[-1] = 10 ** rng.uniform(-8, -4) * src.variances.sum()
    return src, rates, P, plf


def reference(src: rt.GaussMarkovSource, rates: np.ndarray, P: np.ndarray, plf: str,
              objective: str) -> np.ndarray | None:
    """SDPA-GMP's values (last frame, or every stage), or None where it stops short."""
    if objective == "lexicographic":
        try:
            return hp.hp_limit(src, rates, P, plf).values
        except RuntimeError:
            return None
    for retry in hp.RETRIES:
        rec = hp._solve_sdpa(hp._program(src, rates, P, plf, src.T - 1, [], "greedy"), retry)
        if rec.phase == "pdOPT":
            return np.array([rec.value])
    return None


def one(src: rt.GaussMarkovSource, rates: np.ndarray, P: np.ndarray, plf: str,
        objective: str) -> dict[str, Any]:
    T = src.T
    obj: Any = objective if objective == "lexicographic" else tuple(np.eye(T)[-1])
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", rt.SolverWarning)
        sol = rt.solve_rdp(src, rates, P, plf=plf, objective=obj, method="sdp")
    row: dict[str, Any] = {
        "T": T, "plf": plf, "sigmas": list(src.sigmas), "rhos": list(src.rhos),
        "rates": rates.tolist(), "P": P.tolist(), "seconds": time.perf_counter() - t0,
        "flagged": bool(caught),
    }
    ref = reference(src, rates, P, plf, objective)
    if ref is None:
        return row
    got = (np.asarray(sol.certificate.lexicographic_stage_values) if objective == "lexicographic"
           else sol.distortions[-1:])
    fin = np.isfinite(P) & (P > 0)
    excess = (sol.perception_values[fin] - P[fin]) / P[fin]
    row.update(
        rel_err=float(np.max(np.abs(got - ref) / np.abs(ref))),
        err_over_kappa=float(np.max(np.abs(got - ref)) / src.variances.max()),
        excess_over_level=float(excess.max(initial=0.0)),
    )
    return row


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    checked = [r for r in rows if "rel_err" in r]
    out: dict[str, Any] = {"instances": len(rows), "with_reference": len(checked)}
    for name, flag in (("unflagged", False), ("flagged", True)):
        sel = [r for r in checked if r["flagged"] is flag]
        out[name] = {
            "n": len(sel),
            "max_rel_err": max((r["rel_err"] for r in sel), default=0.0),
            "max_err_over_kappa": max((r["err_over_kappa"] for r in sel), default=0.0),
            "max_excess_over_level": max((r["excess_over_level"] for r in sel), default=0.0),
        }
    out["flagged_without_reference"] = sum(r["flagged"] for r in rows if "rel_err" not in r)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objective", choices=("weighted", "lexicographic"), default="weighted")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    if not hp.sdpa_available():
        raise SystemExit("SDPA-GMP is not available: pip install -e '.[highprec]'")
    rng = np.random.default_rng(args.seed)
    rows = [one(*draw(rng), args.objective) for _ in range(args.n)]
    report = {"objective": args.objective, "seed": args.seed, **summarise(rows)}
    print(json.dumps(report, indent=1))
    if args.out:
        write_json(args.out, {**report, "rows": rows})


if __name__ == "__main__":
    main()

"""Timing of the lexicographic objective against issue 11's targets (a script, not a timed test).

    python benchmarks/bench_lexicographic.py [--n 100] [--old PATH] [--old-n 10] [--out FILE]

Cases (sigma = 1, rates drawn from U[0.2, 3], ``method="sdp"`` so the program is solved):

1. T = 3, JD and SA, 0 < P (P in {0.01, 0.05, 0.2}): ``--n`` random instances each, median and
   worst time (target: <= 30 ms median, <= 100 ms worst);
2. T = 10, JD, P = 0.005, rho = 0.9: median over 5 rate vectors (target <= 2 s);
3. T = 20, JD, P = 0.005 (target <= 30 s);
4. the worst single call over all of the above (target: none past 10 s at T <= 10).

``--old PATH`` runs the same T = 3 and T = 10 instances (the first ``--old-n`` of each) with
another checkout of the package (e.g. a ``git worktree`` of an earlier commit) in a subprocess,
*in the same run*, so that ratios are measured on one machine state.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings
from typing import Any

import numpy as np

import rdp_theory as rt
from rdp_theory.io import provenance, write_json

CHILD = r"""
import json, sys, time, warnings
import numpy as np
import rdp_theory as rt
warnings.simplefilter("ignore")
cases = json.loads(sys.stdin.read())
out = []
for c in cases:
    src = rt.GaussMarkovSource.stationary(c["T"], 1.0, c["rho"])
    t0 = time.perf_counter()
    try:
        sol = rt.solve_rdp(src, c["rates"], c["P"], plf=c["plf"], method="sdp")
        out.append({"s": time.perf_counter() - t0, "status": sol.status, "D": list(map(float, sol.distortions))})
    except Exception as exc:
        out.append({"s": time.perf_counter() - t0, "status": "error: " + type(exc).__name__, "D": None})
print(json.dumps(out))
"""


def cases(n: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    rng = np.random.default_rng(seed)
    out: dict[str, list[dict[str, Any]]] = {}
    for plf in ("jd", "sa"):
        out[f"T3_{plf}"] = [
            {"T": 3, "rho": 0.9, "plf": plf, "P": float(rng.choice([0.01, 0.05, 0.2])),
             "rates": [float(x) for x in rng.uniform(0.2, 3.0, 3)]}
            for _ in range(n)
        ]
    out["T10_jd"] = [
        {"T": 10, "rho": 0.9, "plf": "jd", "P": 0.005, "rates": [float(x) for x in rng.uniform(0.2, 3.0, 10)]}
        for _ in range(5)
    ]
    out["T20_jd"] = [
        {"T": 20, "rho": 0.9, "plf": "jd", "P": 0.005, "rates": [float(x) for x in rng.uniform(0.2, 3.0, 20)]}
        for _ in range(2)
    ]
    return out


def run_here(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in batch:
        src = rt.GaussMarkovSource.stationary(c["T"], 1.0, c["rho"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", rt.SolverWarning)
            t0 = time.perf_counter()
            sol = rt.solve_rdp(src, c["rates"], c["P"], plf=c["plf"], method="sdp")
            s = time.perf_counter() - t0
        out.append({"s": s, "status": sol.status, "warned": bool(caught),
                    "D": [float(x) for x in sol.distortions]})
    return out


def run_old(path: str, batch: list[dict[str, Any]], timeout: float) -> list[dict[str, Any]] | None:
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD], input=json.dumps(batch), capture_output=True, text=True,
            cwd=path, timeout=timeout, env={"PYTHONPATH": path, "PATH": ""},
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    s = [r["s"] for r in rows]
    return {
        "n": len(rows), "median_s": statistics.median(s), "max_s": max(s),
        "flagged": sum(r["status"] != "optimal" for r in rows),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--old", default=None, help="another checkout to time in the same run")
    ap.add_argument("--old-n", type=int, default=10)
    ap.add_argument("--old-timeout", type=float, default=900.0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    all_cases = cases(args.n, args.seed)
    # warm the compiled stage programs once (compilation is per structure, once per process)
    run_here(all_cases["T3_jd"][:3] + all_cases["T3_sa"][:3] + all_cases["T10_jd"][:1])
    report: dict[str, Any] = {"provenance": provenance(), "cases": {}}
    for name, batch in all_cases.items():
        rows = run_here(batch)
        entry: dict[str, Any] = {"new": summary(rows)}
        if args.old and not name.startswith("T20"):
            sub = batch[: args.old_n] if name.startswith("T3") else batch[:2]
            old = run_old(args.old, sub, args.old_timeout)
            if old is not None:
                entry["old"] = summary(old)
                new_same = summary(rows[: len(sub)])
                entry["median_ratio_old_over_new"] = entry["old"]["median_s"] / new_same["median_s"]
                d_new = np.array([r["D"] for r in rows[: len(sub)]])
                d_old = np.array([r["D"] for r in old if r["D"] is not None])
                if d_old.shape == d_new.shape:
                    entry["max_rel_change_vs_old"] = float(np.max(np.abs(d_new - d_old) / d_new))
            else:
                entry["old"] = f"did not finish within {args.old_timeout:g} s"
        report["cases"][name] = entry
        print(name, json.dumps(entry), flush=True)
    worst = max(e["new"]["max_s"] for n, e in report["cases"].items() if not n.startswith("T20"))
    report["worst_call_T_le_10_s"] = worst
    print("worst call at T <= 10:", f"{worst:.3f} s")
    if args.out:
        write_json(args.out, report)


if __name__ == "__main__":
    main()

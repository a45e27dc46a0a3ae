"""Benchmark of the rate form, ``rt.minimum_total_rate`` (a script, not a timed test).

    python benchmarks/bench_rate_form.py [--repeat 5] [--out bench_rate_form.json]

Issue 16's targets: the rate-form program re-solves in <= 5 ms at T = 3 and <= 100 ms at T = 10.
Every call solves the program (``method="sdp"``) after one warm-up call per instance (which
compiles it), and the time is the median over ``--repeat`` calls (these machines are noisy:
compare ratios measured within one run).

1. T = 3 (stationary, rho = 0.9): PLF-JD and PLF-SA at P = 0.01 with the targets changing every
   call (uniform in [0.05, 0.4]): the DPP re-solve;
2. T = 10 (stationary, rho = 0.9), PLF-JD and PLF-SA, a common target D in {0.1, 0.2, 0.3} and
   four kinds of levels: constant 5e-4 and 5e-3, rising linearly 0.002 -> 0.02, rising
   geometrically 5e-4 * 1.6^j (the last binds nearly every JD frame): 24 instances. Reported per
   instance: the median time, how many perception levels bind at the optimum (within 1e-6), the
   solver attempts and the status; then the median and worst over the instances and how many
   meet 100 ms;
3. T = 10 on ``--random`` typical instances per PLF (default 40): a target per frame uniform in
   [0.05, 0.4] and one level P in {0.003, 0.01, 0.03} (seeded draws, the same for JD and SA),
   each timed once after a warm-up call of its structure: the median, 90th percentile and
   worst, how many meet 100 ms, how many needed more than one solve (coupling rounds or
   fallbacks) and the median number of binding levels.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import platform
import statistics
import time
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
from bench_core import median_time  # the script's folder is on sys.path

import rdp_theory as rt
from rdp_theory.convex import _backend
from rdp_theory.io import write_json

#: the T = 10 perception levels, by name
LEVELS: dict[str, np.ndarray] = {
    "const 5e-4": np.full(10, 5e-4),
    "const 5e-3": np.full(10, 5e-3),
    "linear rise": np.linspace(0.002, 0.02, 10),
    "geometric rise": 5e-4 * 1.6 ** np.arange(10),
}
TARGETS = (0.1, 0.2, 0.3)


@contextlib.contextmanager
def count_solves() -> Iterator[list[int]]:
    """Count the solver runs inside the block (coupling rounds and fallbacks each run one)."""
    count = [0]
    run = _backend.run

    def counted(*args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return run(*args, **kwargs)

    _backend.run = counted
    try:
        yield count
    finally:
        _backend.run = run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--random", type=int, default=40, help="typical T = 10 instances per PLF")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    warnings.simplefilter("ignore", rt.SolverWarning)
    rng = np.random.default_rng(0)
    res: dict[str, object] = {"python": platform.python_version(), "repeat": args.repeat}

    src3 = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    for plf in ("jd", "sa"):
        targets = iter(rng.uniform(0.05, 0.4, size=(10_000, 3)))

        def resolve(plf: str = plf, targets: Iterator[np.ndarray] = targets) -> object:
            return rt.minimum_total_rate(src3, next(targets), 0.01, plf=plf, method="sdp")

        resolve()  # compile
        t = median_time(resolve, max(args.repeat, 20))
        res[f"T3_{plf}_resolve_median_ms"] = 1e3 * t
        print(f"T = 3 {plf.upper()} re-solve: {1e3 * t:.2f} ms (target <= 5 ms)")

    src10 = rt.GaussMarkovSource.stationary(10, 1.0, 0.9)
    rows = []
    for plf in ("jd", "sa"):
        for name, levels in LEVELS.items():
            for D in TARGETS:
                call = functools.partial(rt.minimum_total_rate, src10, D, levels, plf=plf, method="sdp")
                sol = call()  # compile (once per structure) and warm up
                t = median_time(call, args.repeat)
                binding = int(np.sum(sol.perception_values >= levels - 1e-6))
                rows.append({
                    "plf": plf, "levels": name, "target": D, "median_ms": 1e3 * t,
                    "binding_levels": binding, "attempts": sol.certificate.attempts,
                    "status": sol.status, "total_rate": sol.total_rate,
                })
                print(f"T = 10 {plf.upper()} {name:15s} D = {D}: {1e3 * t:7.1f} ms, {binding:2d} "
                      f"levels binding, {sol.certificate.attempts} attempt(s), {sol.status}")
    res["T10"] = rows
    for plf in ("jd", "sa"):
        ms = [r["median_ms"] for r in rows if r["plf"] == plf]
        res[f"T10_{plf}_median_ms"] = statistics.median(ms)
        res[f"T10_{plf}_worst_ms"] = max(ms)
        res[f"T10_{plf}_within_100ms"] = sum(m <= 100.0 for m in ms)
        print(f"T = 10 {plf.upper()}: median {statistics.median(ms):.0f} ms, worst {max(ms):.0f} ms, "
              f"{sum(m <= 100.0 for m in ms)} of {len(ms)} within 100 ms")
    for plf in ("jd", "sa"):
        draws = np.random.default_rng(16)
        times, multi, binding = [], 0, []
        for _ in range(args.random):
            level = float(draws.choice([0.003, 0.01, 0.03]))
            targets = draws.uniform(0.05, 0.4, size=10)
            call = functools.partial(rt.minimum_total_rate, src10, targets, level, plf=plf, method="sdp")
            call()  # warm-up (the first call of a structure compiles it)
            with count_solves() as solves:
                t0 = time.perf_counter()
                sol = call()
                times.append(1e3 * (time.perf_counter() - t0))
            multi += solves[0] > 1
            binding.append(int(np.sum(sol.perception_values >= level * (1 - 1e-6))))
        times.sort()
        summary = {
            "median_ms": statistics.median(times), "p90_ms": times[int(0.9 * len(times))],
            "worst_ms": times[-1], "within_100ms": sum(t <= 100.0 for t in times),
            "n": len(times), "more_than_one_solve": multi,
            "median_binding": statistics.median(binding),
        }
        res[f"T10_random_{plf}"] = summary
        print(f"T = 10 {plf.upper()}, {len(times)} typical instances: median {summary['median_ms']:.0f} ms, "
              f"90th percentile {summary['p90_ms']:.0f} ms, worst {summary['worst_ms']:.0f} ms, "
              f"{summary['within_100ms']} within 100 ms, {multi} needed more than one solve, "
              f"median {summary['median_binding']:g} levels binding")
    if args.out:
        write_json(args.out, res)


if __name__ == "__main__":
    main()

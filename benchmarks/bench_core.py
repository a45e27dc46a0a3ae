"""Benchmarks of the bound engine (a script, not a timed test).

    python benchmarks/bench_core.py [--repeat 7] [--out bench_core.json]

Reports medians over ``--repeat`` runs (these machines are noisy: compare ratios measured within
one run, not absolute times across runs):

1. closed-form throughput on a 10^6-point rate grid (T = 3): frame-points per second; the
   steady-state limits (``stationary_distortion``: FMD at random levels, 0-PLF-JD, MSE only;
   ``stationary_rate``) on 10^6 random (rho, R, P) points: points per second;
2. a parametrised T = 3 SDP re-solve (weighted objective, rates changing every call) against
   rebuilding the problem for each solve: medians and their ratio;
3. T = 10 solves: weighted (FMD; 0-PLF-JD; JD and SA at P = 0.1, mostly inactive, and at
   P = 0.005, active; JD at strictly rising active levels, where no coupling is implied by a
   later one), and lexicographic 0-PLF-JD;
4. a 100-point 0-PLF-JD curve (lexicographic, T = 3, R_2 swept).
"""

from __future__ import annotations

import argparse
import inspect
import platform
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np

import rdp_theory as rt
from rdp_theory import convex
from rdp_theory.io import write_json


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


#: solve_rdp always solves the program here (method="sdp"; closed-form cases would otherwise take
#: the exact route), so that the figures compare the engine across versions; the exact route is
#: timed separately below. Older versions without ``method`` solve the program anyway.
SDP: dict[str, str] = (
    {"method": "sdp"} if "method" in inspect.signature(rt.solve_rdp).parameters else {}
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    warnings.simplefilter("ignore", rt.SolverWarning)
    rng = np.random.default_rng(0)
    src3 = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    res: dict[str, float] = {}

    grid = rng.uniform(0, 8, size=(1_000_000, 3))
    rt.fmd_distortions(src3, grid, 0.1)  # warm-up
    t = median_time(lambda: rt.fmd_distortions(src3, grid, 0.1), args.repeat)
    res["closed_form_fmd_frame_points_per_s"] = grid.size / t
    t = median_time(lambda: rt.jd_zero_perception_distortions(src3, grid), args.repeat)
    res["closed_form_jd_frame_points_per_s"] = grid.size / t
    sig = rng.uniform(0.1, 10, 1_000_000)
    t = median_time(lambda: rt.gaussian_rdp(sig, grid[:, 0], 0.1), args.repeat)
    res["closed_form_single_frame_points_per_s"] = sig.size / t
    # steady-state limits (T -> infinity, issue 16: >= 1e7 points/s), a million (rho, R, P) points
    rho, rate, lev = rng.uniform(-0.99, 0.99, sig.size), grid[:, 0], rng.uniform(0, 0.5, sig.size)
    if hasattr(rt, "stationary_distortion"):
        for name, level, plf in (("fmd", lev, "fmd"), ("jd0", 0.0, "jd"), ("mse", np.inf, "fmd")):
            rt.stationary_distortion(1.0, rho, rate, level, plf)  # warm-up
            t = median_time(lambda: rt.stationary_distortion(1.0, rho, rate, level, plf), args.repeat)  # noqa: B023
            res[f"stationary_{name}_points_per_s"] = sig.size / t
        t = median_time(lambda: rt.stationary_rate(1.0, rho, 0.01 + grid[:, 1] / 8), args.repeat)
        res["stationary_rate_points_per_s"] = sig.size / t

    w = np.array([1.0, 1.0, 1.0])
    rates = iter(rng.uniform(0.1, 4, size=(10_000, 3)))
    rt.solve_rdp(src3, next(rates), 0.1, plf="jd", objective=w, **SDP)  # compile once
    n = max(args.repeat, 25)
    t_re = [median_time(lambda: rt.solve_rdp(src3, next(rates), 0.1, plf="jd", objective=w, **SDP), 1) for _ in range(n)]

    def rebuild() -> None:
        convex.clear_cache()
        rt.solve_rdp(src3, next(rates), 0.1, plf="jd", objective=w, **SDP)

    t_rb = [median_time(rebuild, 1) for _ in range(max(args.repeat, 9))]
    res["sdp_T3_resolve_median_ms"] = 1e3 * statistics.median(t_re)
    res["sdp_T3_rebuild_median_ms"] = 1e3 * statistics.median(t_rb)
    res["sdp_T3_rebuild_over_resolve"] = statistics.median(t_rb) / statistics.median(t_re)

    src10 = rt.GaussMarkovSource.stationary(10, 1.0, 0.9)
    r10 = iter(rng.uniform(0.1, 4, size=(1_000, 10)))
    # P = 0.1: the JD/SA constraints are inactive at most of these rates (the relaxation's
    # solution already meets them); P = 0.005: active at every draw (JD: the last frame's
    # coupling; SA: typically one or two of nine, found by coupling generation)
    cases = (("fmd", 0.1), ("jd", 0.0), ("jd", 0.1), ("sa", 0.1), ("jd", 0.005), ("sa", 0.005))
    for plf, level in cases:
        rt.solve_rdp(src10, next(r10), level, plf=plf, objective=np.ones(10), **SDP)
        res[f"sdp_T10_weighted_{plf}_P{level:g}_median_ms"] = 1e3 * median_time(
            lambda: rt.solve_rdp(src10, next(r10), level, plf=plf, objective=np.ones(10), **SDP),  # noqa: B023
            args.repeat,
        )
    # strictly increasing active JD levels: no coupling is implied by a later one (worst case)
    rising = np.linspace(0.002, 0.008, 10)
    rt.solve_rdp(src10, next(r10), rising, plf="jd", objective=np.ones(10), **SDP)
    res["sdp_T10_weighted_jd_P_rising_median_ms"] = 1e3 * median_time(
        lambda: rt.solve_rdp(src10, next(r10), rising, plf="jd", objective=np.ones(10), **SDP), args.repeat
    )
    rt.solve_rdp(src10, next(r10), 0.0, plf="jd", **SDP)
    res["sdp_T10_lexicographic_median_ms"] = 1e3 * median_time(
        lambda: rt.solve_rdp(src10, next(r10), 0.0, plf="jd", **SDP), max(3, args.repeat // 2)
    )
    if SDP:  # the exact route of the same call (0-PLF-JD lexicographic has a closed form)
        res["exact_T10_lexicographic_median_ms"] = 1e3 * median_time(
            lambda: rt.solve_rdp(src10, next(r10), 0.0, plf="jd"), args.repeat
        )

    r2 = np.linspace(0.05, 5, 100)

    def curve() -> None:
        for x in r2:
            rt.solve_rdp(src3, (0.05, x, 3.0), 0.0, plf="jd", **SDP)

    curve()  # compile
    res["jd0_curve_100pt_s"] = median_time(curve, 3)
    if SDP:
        res["exact_jd0_curve_100pt_s"] = median_time(
            lambda: [rt.solve_rdp(src3, (0.05, x, 3.0), 0.0, plf="jd") for x in r2], 3
        )

    info = {"python": platform.python_version(), "machine": platform.machine(),
            "repeat": args.repeat, "results": res}
    width = max(map(len, res))
    for k, v in res.items():
        print(f"{k:<{width}}  {v:,.4g}")
    if args.out:
        write_json(args.out, info)


if __name__ == "__main__":
    main()

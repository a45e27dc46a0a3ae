"""Speed of ``rt.sweep`` and of the vectorised closed forms (issue 13; a script, not a test).

    python benchmarks/bench_sweep.py [--repeat 5] [--points 2500] [--sdp-repeat 2] [--no-sdp]
                                     [--baseline REV] [--out bench_sweep.json]

Reports, as medians over ``--repeat`` runs (the closed-form parts) and as same-run ratios:

1. closed-form sweeps of 10^6 points x 3 frames end to end, dataset assembly included
   (PLF-FMD over R_2 x P, and 0-PLF-JD over R_2 x R_3): frame-points per second
   (target >= 1e7), and ``to_dataframe()`` of the first;
2. ``rt.fmd_distortions`` (and ``mmse``, ``jd_zero``, ``sa_zero``) against a plain hand-written
   numpy version of the same formulas on the same 10^6 x 3 inputs, timed alternately: the ratio
   (target <= 1.2); with ``--baseline REV`` also against ``rdp_theory/closed_form.py`` of that
   git revision (loaded from ``git show``), same run;
3. an SDP sweep of ``--points`` T = 3 PLF-JD points (R_2 x P, 0 < P, lexicographic): the bare
   ``solve_rdp`` loop against ``sweep(n_jobs=1)`` (overhead, target <= 10%), then
   ``sweep(n_jobs=2)`` (speed-up, target >= 1.7x on 2 cores) and ``sweep(client=...)`` on a
   dask ``LocalCluster`` of 2 worker processes (target within 1.5x of joblib), each timed once
   cold (the first call: workers start, import the package and compile their programs) and
   ``--sdp-repeat`` times warm, alternated with the serial sweep; every result is checked equal
   to the serial one. The load average is printed: on a shared machine another job takes cores
   from the workers.

Times on a shared machine vary by +-30% between runs: compare the ratios measured within one run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import rdp_theory as rt
from rdp_theory.io import provenance, write_json

LN4 = 2.0 * np.log(2.0)


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def alternate(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median time of each function, the functions timed in turn (so that load on the machine
    falls on all of them alike)."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


# ----------------------------------------------------------------------------- plain numpy
def _plain_greedy(sig: np.ndarray, rho: np.ndarray, R: np.ndarray):  # type: ignore[no-untyped-def]
    """The greedy recursion written out by hand, one frame (column) at a time, in units of
    sigma_j^2: yields (e, q, v, 1 - 2^{-2R})."""
    rho2, om = rho * rho, (1.0 - rho) * (1.0 + rho)
    e_prev = v_prev = None
    for j in range(R.shape[1]):
        b = np.exp2(-2.0 * R[:, j])
        k = -np.expm1(-LN4 * R[:, j])
        if j == 0:
            e, q, v = b, k, k
        else:
            pj = rho2[j - 1] * e_prev + om[j - 1]
            e, q = b * pj, k * pj
            v = q + rho2[j - 1] * v_prev
        yield e, q, v, k
        e_prev, v_prev = e, v


def plain_fmd(sig: np.ndarray, rho: np.ndarray, R: np.ndarray, P: np.ndarray) -> np.ndarray:
    out = np.empty(R.shape)
    for j, (e, _, v, _) in enumerate(_plain_greedy(sig, rho, R)):
        g = np.maximum(e / (1.0 + np.sqrt(v)) - np.sqrt(P[:, j if P.shape[1] > 1 else 0]) / sig[j], 0.0)
        out[:, j] = (e + g * g) * sig[j] ** 2
    return out


def plain_mmse(sig: np.ndarray, rho: np.ndarray, R: np.ndarray) -> np.ndarray:
    out = np.empty(R.shape)
    for j, (e, _, _, _) in enumerate(_plain_greedy(sig, rho, R)):
        out[:, j] = e * sig[j] ** 2
    return out


def plain_jd_zero(sig: np.ndarray, rho: np.ndarray, R: np.ndarray) -> np.ndarray:
    out = np.empty(R.shape)
    rho2, rs = rho * rho, np.sqrt((1.0 - rho) * (1.0 + rho))
    delta = e_prev = np.zeros(R.shape[0])
    for j, (e, q, _, _) in enumerate(_plain_greedy(sig, rho, R)):
        if j == 0:
            delta = (e / (1.0 + np.sqrt(q))) ** 2
        else:
            diff = (e - rho2[j - 1] * e_prev) / (rs[j - 1] + np.sqrt(q))
            delta = rho2[j - 1] * delta + diff * diff
        out[:, j] = (delta + e) * sig[j] ** 2
        e_prev = e
    return out


def plain_sa_zero(sig: np.ndarray, rho: np.ndarray, R: np.ndarray) -> np.ndarray:
    out = np.empty(R.shape)
    for j, (e, _, _, k) in enumerate(_plain_greedy(sig, rho, R)):
        out[:, j] = 2.0 * e / (1.0 + np.sqrt(k)) * sig[j] ** 2
    return out


def baseline_module(rev: str) -> Any | None:
    """``rdp_theory/closed_form.py`` at git revision ``rev``, loaded as a module of the package."""
    root = Path(__file__).resolve().parents[1]
    try:
        text = subprocess.run(["git", "show", f"{rev}:rdp_theory/closed_form.py"], cwd=root,
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"  (no baseline: {exc})")
        return None
    spec = importlib.util.spec_from_loader("rdp_theory._closed_form_baseline", loader=None)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    module.__package__ = "rdp_theory"
    sys.modules[spec.name] = module  # type: ignore[union-attr]
    exec(compile(text, f"{rev}:rdp_theory/closed_form.py", "exec"), module.__dict__)
    return module


# ----------------------------------------------------------------------------- sections
def closed_form_sweeps(src: rt.GaussMarkovSource, repeat: int, res: dict[str, Any]) -> None:
    print("1. closed-form sweeps, 10^6 points x 3 frames, end to end (dataset included)")
    grid = np.linspace(0.0, 4.0, 1000)
    fmd = dict(rates=(0.05, grid, 1.0), perception=np.linspace(0.0, 1.0, 1000)[:, None], plf="fmd")
    jd = dict(rates=(0.05, grid, grid), perception=0.0, plf="jd")
    for name, args in (("fmd", fmd), ("jd_zero", jd)):
        ds = rt.sweep(src, progress=False, **args)  # warm-up (first-touch of fresh memory)
        assert (ds.route == "closed_form").all()
        t = median_time(lambda a=args: rt.sweep(src, progress=False, **a), repeat)
        res[f"sweep_{name}_s"] = t
        res[f"sweep_{name}_frame_points_per_s"] = 3e6 / t
        print(f"   {name:8s} {t * 1e3:7.1f} ms   {3e6 / t:.3g} frame-points/s   (target >= 1e7)")
    ds = rt.sweep(src, progress=False, **fmd)
    t = median_time(ds.to_dataframe, max(1, repeat // 2))
    res["to_dataframe_s"] = t
    print(f"   to_dataframe() of the FMD sweep (3e6 rows): {t:.2f} s")


def closed_forms_vs_plain(src: rt.GaussMarkovSource, repeat: int, baseline: str | None, res: dict[str, Any]) -> None:
    print("2. closed forms against plain numpy (10^6 x 3 inputs; medians, timed alternately)")
    rng = np.random.default_rng(0)
    R = rng.uniform(0.0, 4.0, (10**6, 3))
    P = rng.uniform(0.0, 1.0, (10**6, 3))
    P1 = P[:, :1].copy()
    sig, rho = src.sigma, np.asarray(src.rhos)
    old = baseline_module(baseline) if baseline else None
    cases: dict[str, tuple[Callable[[], np.ndarray], Callable[[], np.ndarray], Callable[[], np.ndarray] | None]] = {
        "fmd_distortions (P per frame)": (lambda: rt.fmd_distortions(src, R, P), lambda: plain_fmd(sig, rho, R, P),
                                          (lambda: old.fmd_distortions(src, R, P)) if old else None),
        "fmd_distortions (P shared)": (lambda: rt.fmd_distortions(src, R, P1), lambda: plain_fmd(sig, rho, R, P1),
                                       (lambda: old.fmd_distortions(src, R, P1)) if old else None),
        "mmse_distortions": (lambda: rt.mmse_distortions(src, R), lambda: plain_mmse(sig, rho, R),
                             (lambda: old.mmse_distortions(src, R)) if old else None),
        "jd_zero_perception_distortions": (lambda: rt.jd_zero_perception_distortions(src, R),
                                           lambda: plain_jd_zero(sig, rho, R),
                                           (lambda: old.jd_zero_perception_distortions(src, R)) if old else None),
        "sa_zero_perception_distortions": (lambda: rt.sa_zero_perception_distortions(src, R),
                                           lambda: plain_sa_zero(sig, rho, R),
                                           (lambda: old.sa_zero_perception_distortions(src, R)) if old else None),
    }
    for name, (ours, plain, before) in cases.items():
        a, b = ours(), plain()
        same = np.array_equal(a, b)
        err = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))
        fns = {"ours": ours, "plain": plain} | ({"baseline": before} if before else {})
        t = alternate(fns, repeat)
        ratio = t["ours"] / t["plain"]
        res[f"{name}_ratio_to_plain"] = ratio
        line = (f"   {name:32s} {t['ours'] * 1e3:6.1f} ms, plain {t['plain'] * 1e3:6.1f} ms: "
                f"{ratio:.2f}x (target <= 1.2x; results {'identical' if same else f'within {err:.1e}'})")
        if before:
            res[f"{name}_ratio_to_baseline"] = t["ours"] / t["baseline"]
            line += f"; {baseline}: {t['baseline'] * 1e3:6.1f} ms ({t['ours'] / t['baseline']:.2f}x)"
        print(line)
    small_R, small_P = R[:50], P1[:50]
    t = alternate({"ours": lambda: rt.fmd_distortions(src, small_R, small_P),
                   "plain": lambda: plain_fmd(sig, rho, small_R, small_P)}, repeat * 200)
    res["fmd_50_points_ratio_to_plain"] = t["ours"] / t["plain"]
    print(f"   fmd_distortions on 50 points: {t['ours'] * 1e6:.0f} us, plain {t['plain'] * 1e6:.0f} us "
          f"({t['ours'] / t['plain']:.2f}x: argument checks, a fixed ~15 us)")


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def sdp_sweeps(points: int, repeat: int, res: dict[str, Any]) -> None:
    side = int(round(points**0.5))
    print(f"3. SDP sweep: {side} x {side} T = 3 PLF-JD points (R_2 x P, lexicographic); {_load()}")
    src = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    r2 = np.linspace(0.1, 3.0, side)
    levels = np.linspace(0.01, 0.5, side)
    args = dict(rates=(1.0, r2, 1.0), perception=levels[:, None], plf="jd", progress=False)
    rt.solve_rdp(src, (1.0, 1.0, 1.0), 0.1, plf="jd")  # compile this process's programs

    def bare() -> None:
        for r in r2:
            for p in levels:
                rt.solve_rdp(src, (1.0, r, 1.0), p, plf="jd")

    serial = rt.sweep(src, **args)
    assert (serial.route == "solver").all()
    wall: dict[str, list[float]] = {"bare": [], "serial": []}
    inside: list[float] = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        bare()
        wall["bare"].append(time.perf_counter() - t0)
        ds = rt.sweep(src, **args)
        wall["serial"].append(ds.attrs["seconds"])
        inside.append(ds.attrs["seconds"] / ds.attrs["solve_seconds"] - 1.0)
    t = {k: statistics.median(v) for k, v in wall.items()}
    res |= {"sdp_points": side * side, "bare_s": t["bare"], "sweep_n_jobs_1_s": t["serial"],
            "overhead": t["serial"] / t["bare"] - 1.0, "overhead_instrumented": statistics.median(inside)}
    print(f"   bare solve_rdp loop      {t['bare']:6.2f} s  ({t['bare'] / side**2 * 1e3:.2f} ms per point)")
    print(f"   sweep(n_jobs=1)          {t['serial']:6.2f} s  overhead {100 * res['overhead']:+.1f}% against "
          f"the bare loop (medians of {repeat} alternated runs), {100 * res['overhead_instrumented']:+.2f}% "
          "against its own time inside solve_rdp (target <= 10%)")

    from distributed import Client, LocalCluster

    def joblib_run() -> None:
        assert rt.sweep(src, n_jobs=2, **args).equals(serial)

    t0 = time.perf_counter()
    joblib_run()
    res["sweep_n_jobs_2_cold_s"] = cold = time.perf_counter() - t0
    print(f"   sweep(n_jobs=2), cold    {cold:6.2f} s  (the first call: 2 workers start, import, compile)")
    t0 = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        res["dask_cluster_start_s"] = time.perf_counter() - t0

        def dask_run() -> None:
            assert rt.sweep(src, client=client, **args).equals(serial)

        t0 = time.perf_counter()
        dask_run()
        res["sweep_dask_cold_s"] = time.perf_counter() - t0
        print(f"   sweep(client=dask), cold {res['sweep_dask_cold_s']:6.2f} s  (cluster start not counted: "
              f"{res['dask_cluster_start_s']:.1f} s)")
        runs = {"serial": lambda: rt.sweep(src, **args), "joblib": joblib_run, "dask": dask_run}
        wall: dict[str, list[float]] = {k: [] for k in runs}
        cpu: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(repeat):
            for k, fn in runs.items():
                c0, t0 = cpu_seconds(), time.perf_counter()
                fn()
                wall[k].append(time.perf_counter() - t0)
                cpu[k].append(cpu_seconds() - c0)
    t = {k: statistics.median(v) for k, v in wall.items()}
    c = {k: statistics.median(v) for k, v in cpu.items()}
    res |= {"sweep_n_jobs_1_warm_s": t["serial"], "sweep_n_jobs_2_warm_s": t["joblib"],
            "sweep_dask_warm_s": t["dask"], "speedup_n_jobs_2": t["serial"] / t["joblib"],
            "dask_over_joblib": t["dask"] / t["joblib"],
            "cpu_s": c, "cpu_ratio_joblib": c["joblib"] / c["serial"], "cpu_ratio_dask": c["dask"] / c["serial"]}
    print(f"   warm, medians of {repeat} alternated runs: n_jobs=1 {t['serial']:.2f} s, n_jobs=2 "
          f"{t['joblib']:.2f} s (speed-up {res['speedup_n_jobs_2']:.2f}x, target >= 1.7x), dask "
          f"{t['dask']:.2f} s ({res['dask_over_joblib']:.2f}x joblib, target <= 1.5x)")
    print(f"   CPU seconds of this process and its workers: n_jobs=1 {c['serial']:.2f}, n_jobs=2 "
          f"{c['joblib']:.2f} ({res['cpu_ratio_joblib']:.2f}x), dask {c['dask']:.2f} "
          f"({res['cpu_ratio_dask']:.2f}x): on two idle cores the speed-up would be at most "
          f"{2 / res['cpu_ratio_joblib']:.2f}x (joblib) / {2 / res['cpu_ratio_dask']:.2f}x (dask)")
    print(f"   every parallel result equals the serial one exactly; {_load()}")


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and all its live descendants (the workers)."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:
            pass
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--points", type=int, default=2500, help="SDP sweep size (a square grid)")
    ap.add_argument("--sdp-repeat", type=int, default=2, help="alternated runs of each SDP timing")
    ap.add_argument("--no-sdp", action="store_true", help="skip the SDP sweeps (section 3)")
    ap.add_argument("--baseline", default=None, help="git revision whose closed forms to time too")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    warnings.simplefilter("ignore", rt.SolverWarning)
    src = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    res: dict[str, Any] = {}
    closed_form_sweeps(src, args.repeat, res)
    closed_forms_vs_plain(src, args.repeat, args.baseline, res)
    if not args.no_sdp:
        sdp_sweeps(args.points, args.sdp_repeat, res)
    if args.out:
        write_json(args.out, {"results": res, "provenance": provenance(), "args": vars(args)})


if __name__ == "__main__":
    main()

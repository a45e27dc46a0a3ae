"""An independent high-precision check of the package's lexicographic values (issue 11, item 4).

The SDP of THEORY.md section 3 is written here from scratch in its textbook variables -- nothing
from :mod:`rdp_theory.convex` is imported; only the public API is used, for the source, the
greedy representation, the closed forms and the values under test -- and solved by SDPA-GMP
(``pip install sdpa-multiprecision``; cvxpy then offers the solver ``"SDPA"``) in 256-bit
arithmetic to a relative duality gap of about 1e-30.

The definition reproduced ("tau-lexicographic", tau = 1e-6, floor_j = 1e-12 sigma_j^2)::

    stage 0:      D*_0 = min D_0                 over the feasible set
    stage k >= 1: D*_k = min D_k   subject to    D_j <= (1 + tau) D*_j + floor_j  for all j < k

The representation is fixed at the greedy one, ``rt.greedy_representation(src, rates).q``, which
the package proves optimal for every objective (every feasible representation is a causal
garbling of it); ``representation="free"`` instead keeps q as a variable under the linear
recursion p_1 = sigma_1^2, p_{i+1} = a_i^2 (p_i - q_i) + s_i, 0 <= q_i <= (1 - 2^{-2R_i}) p_i, so
that claim is checked too. With the innovations U_i (unit variance, Cov(X_k, U_i) = A_{k,i}
sqrt(q_i) for i <= k) and the decoder Xhat_m = sum_{i<=m} g_{m,i} U_i + W_m, h = g sqrt(q):

* LMI [[Shat, H], [H^T, diag(q)]] >= 0 (H lower triangular),
* D_k = sigma_k^2 + Shat_kk - 2 sum_{i<=k} A_{k,i} h_{k,i},
* Cov(Xhat_m, X_k) = sum_{i<=m} A_{k,i} h_{m,i} for m < k (the only cross covariances needed:
  PLF-SA at frame j uses m < j; PLF-JD couples the two laws through a free C).
  For m > k it is *not* sum_{i<=k} A_{m,i} ...: U_i with i > k is correlated with X_k through the
  filtering error (Cov(X_k, U_i) = sqrt(q_i)/p_i * a_{i-1} (e_{i-1}/p_{i-1}) ... a_k e_k != 0),
  which is why this program never uses it.
* Perception (P_j = inf: none; P_j = 0: K1 == K2; else the coupling LMI
  [[K1, C], [C^T, K2]] >= 0, tr K1 + tr K2 - 2 tr C <= P_j):
  JD at frame j: K1 = Sigma_{0..j}, K2 = Shat_{0..j};
  SA at frame j: K1 = Cov(Xhat_0..Xhat_{j-1}, X_j), K2 = Shat_{0..j};
  FMD: max(0, sigma_j - sqrt P_j)^2 <= Shat_jj <= (sigma_j + sqrt P_j)^2.

Every stage value is the SDPA objective (computed by SDPA in multiprecision, rounded to double);
the caps of later stages use this chain's own D*_j, never the package's.

    python benchmarks/lexicographic_high_precision.py [--n 40] [--seed 0] [--out hp.json]
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import rdp_theory as rt
from rdp_theory.io import provenance, write_json

#: The tau-lexicographic definition under study for issue 11 (caps D_j <= (1 + tau) D*_j + floor).
#: The package today reports no ``lexicographic_tolerance``: it targets the exact value (tau -> 0),
#: and is compared with the TAU_REF chain; the TAU chain is kept to measure what a switch to
#: tau-lexicographic values would move (``measured_limit_gap``).
TAU = 1e-6
FLOOR_REL = 1e-12
#: The "exact" reference chain: tau -> 0, as far as double-precision caps allow (the caps are
#: passed to the solver as doubles, so tau must stay far above 1e-16).
TAU_REF = 1e-12
FLOOR_REL_REF = 1e-24

#: SDPA-GMP options: 256-bit mantissas (about 77 decimal digits), stop at 1e-30.
SDPA_OPTIONS: dict[str, Any] = {
    "epsilonStar": 1e-30,
    "epsilonDash": 1e-30,
    "mpfPrecision": 256,
    "maxIteration": 400,
    "numThreads": 1,
    "print": "no",
}

#: Start points tried in turn when SDPA stops short of pdOPT ("step length is too short" at
#: tau = 1e-12, where the capped feasible set is 1e-12 thin): the initial-point scale lambdaStar.
RETRIES: tuple[dict[str, Any], ...] = ({}, {"lambdaStar": 10.0}, {"lambdaStar": 1e3}, {"lambdaStar": 1.0})

#: Agreement contract for unflagged package results, and the limit-gap check.
REL_TOL = 1e-5
GAP_MIN_REL = 1e-7
GAP_FACTOR = 3.5


def sdpa_available() -> bool:
    """Whether cvxpy can call SDPA (the multiprecision build of ``sdpa-multiprecision``)."""
    try:
        import cvxpy as cp

        if "SDPA" not in cp.installed_solvers():
            return False
        from sdpap.sdpacall import sdpacall

        return bool(sdpacall.get_backend_info().get("gmp"))
    except Exception:  # pragma: no cover - any import problem means "not available"
        return False


# --------------------------------------------------------------------------- the program
@dataclass
class SolveRecord:
    """What SDPA reported for one stage (its own multiprecision figures, rounded to double)."""

    value: float
    phase: str
    iterations: int
    duality_gap: float  # SDPA's relative gap
    primal_error: float
    dual_error: float
    digits: float  # SDPA's "digits" of agreement of primal and dual objectives
    seconds: float


@dataclass
class Chain:
    """A tau-lexicographic chain: stage values ``values[k] = D*_k`` and the stage records."""

    values: np.ndarray
    tau: float
    floor_rel: float
    records: list[SolveRecord] = field(default_factory=list)

    @property
    def worst_gap(self) -> float:
        return max(r.duality_gap for r in self.records)

    @property
    def worst_error(self) -> float:
        return max(max(r.primal_error, r.dual_error) for r in self.records)


def _program(
    src: rt.GaussMarkovSource,
    rates: np.ndarray,
    perception: np.ndarray,
    plf: str,
    stage: int,
    caps: list[float],
    representation: str,
):  # type: ignore[no-untyped-def]
    """min D_stage s.t. the caps D_j <= caps[j] (j < stage) and the constraints of frames
    0..stage (later frames cannot lower D_0..D_stage: causal decoder, nested constraints)."""
    import cvxpy as cp

    T = stage + 1  # frames after `stage` are irrelevant to D_0..D_stage
    A = src.transfer[:T, :T]
    var = src.variances[:T]
    sig = src.sigma[:T]
    Sigma = src.covariance()[:T, :T]
    cons = []
    M = cp.Variable((2 * T, 2 * T), PSD=True)  # [[Shat, H], [H^T, diag(q)]]
    S, H = M[:T, :T], M[:T, T:]
    if representation == "greedy":
        q: Any = rt.greedy_representation(src, rates).q[:T]
        cons.append(M[T:, T:] == np.diag(q))
    elif representation == "free":
        q = cp.Variable(T, nonneg=True)
        p = cp.Variable(T)
        a = src.a
        s_in = src.innovation_variances
        cons += [p[0] == var[0], M[T:, T:] == cp.diag(q)]
        cons += [p[i + 1] == a[i] ** 2 * (p[i] - q[i]) + s_in[i] for i in range(T - 1)]
        cons += [q[i] <= -np.expm1(-np.log(4.0) * rates[i]) * p[i] for i in range(T)]
    else:
        raise ValueError(f"representation must be 'greedy' or 'free', got {representation!r}")
    cons += [H[i, j] == 0 for i in range(T) for j in range(i + 1, T)]

    def D(k: int):  # type: ignore[no-untyped-def]
        return var[k] + S[k, k] - 2 * sum(A[k, i] * H[k, i] for i in range(k + 1))

    def cross(m: int, k: int):  # type: ignore[no-untyped-def]
        """Cov(Xhat_m, X_k) for m < k."""
        return sum(A[k, i] * H[m, i] for i in range(m + 1))

    for j in range(T):
        P = float(perception[j])
        if np.isinf(P):
            continue
        n = j + 1
        if plf == "fmd":
            if P == 0:
                cons.append(S[j, j] == var[j])
            else:
                cons += [
                    S[j, j] >= max(0.0, sig[j] - np.sqrt(P)) ** 2,
                    S[j, j] <= (sig[j] + np.sqrt(P)) ** 2,
                ]
            continue
        if plf == "jd":
            if P == 0:
                cons.append(S[:n, :n] == Sigma[:n, :n])
                continue
            Z = cp.Variable((2 * n, 2 * n), PSD=True)  # [[K1, C], [C^T, K2]]
            cons.append(Z[:n, :n] == Sigma[:n, :n])
        elif plf == "sa":
            if P == 0:
                cons += [S[m, j] == cross(m, j) for m in range(j)]
                cons.append(S[j, j] == var[j])
                continue
            Z = cp.Variable((2 * n, 2 * n), PSD=True)
            if j > 0:
                cons.append(Z[:j, :j] == S[:j, :j])
            cons += [Z[m, j] == cross(m, j) for m in range(j)]
            cons.append(Z[j, j] == var[j])
        else:
            raise ValueError(f"plf must be 'jd', 'sa' or 'fmd', got {plf!r}")
        cons.append(Z[n:, n:] == S[:n, :n])
        cons.append(cp.trace(Z[:n, :n]) + cp.trace(Z[n:, n:]) - 2 * cp.trace(Z[:n, n:]) <= P)
    cons += [D(j) <= c for j, c in enumerate(caps)]
    return cp.Problem(cp.Minimize(D(stage)), cons)


def _solve_sdpa(prob: Any, options: dict[str, Any] | None = None) -> SolveRecord:
    """Solve ``prob`` with SDPA-GMP through cvxpy's own data path, keeping SDPA's report (which
    cvxpy's interface discards): the same steps as cvxpy's ``SDPA.solve_via_data``."""
    import cvxpy as cp
    import sdpap
    from cvxpy.reductions.solvers.conic_solvers.sdpa_conif import SDPA, dims_to_solver_dict

    opts = dict(SDPA_OPTIONS)
    opts.update(options or {})
    t0 = time.perf_counter()
    data, chain, inverse = prob.get_problem_data(cp.SDPA)
    dims = dims_to_solver_dict(data[cp.settings.DIMS])
    A, b, c = data[cp.settings.A], data[cp.settings.B], data[cp.settings.C]
    K = sdpap.SymCone(f=c.shape[0])
    J = sdpap.SymCone(f=dims["f"], l=dims["l"], s=tuple(dims["s"]))
    with warnings.catch_warnings():  # sdpap's own a-posteriori eigenvalue check is noisy
        warnings.simplefilter("ignore", RuntimeWarning)
        x, y, info, _, sdpainfo = sdpap.solve(A, -b, c, K, J, opts)
        # (SDPA prints "step length is too short" on stdout when it stalls; the phase says so)
    phase = str(info["phasevalue"])
    status = SDPA.STATUS_MAP[phase]
    value = float("nan")
    if status in cp.settings.SOLUTION_PRESENT:
        # SDPA's multiprecision objective (sdpainfo), not sdpap's double recomputation c^T x.
        x, y = x.toarray(), y.toarray()
        solution = {
            cp.settings.STATUS: status,
            cp.settings.VALUE: float(sdpainfo["primalObj"]),
            cp.settings.PRIMAL: x,
            cp.settings.EQ_DUAL: y[: dims["f"]],
            cp.settings.INEQ_DUAL: y[dims["f"]:],
        }
        prob.unpack_results(solution, chain, inverse)
        value = float(prob.value)
    return SolveRecord(
        value=value,
        phase=phase,
        iterations=int(sdpainfo["iteration"]),
        duality_gap=float(sdpainfo["dualityGap"]),
        primal_error=float(sdpainfo["primalError"]),
        dual_error=float(sdpainfo["dualError"]),
        digits=float(sdpainfo["digits"]),
        seconds=time.perf_counter() - t0,
    )


def hp_lexicographic(
    src: rt.GaussMarkovSource,
    rates: Any,
    perception: Any,
    plf: str,
    *,
    tau: float = TAU,
    floor_rel: float = FLOOR_REL,
    representation: str = "greedy",
    options: dict[str, Any] | None = None,
) -> Chain:
    """The tau-lexicographic chain D*_0..D*_{T-1}, each stage solved by SDPA-GMP."""
    T = src.T
    r = np.broadcast_to(np.asarray(rates, dtype=float), (T,)).copy()
    P = np.broadcast_to(np.asarray(perception, dtype=float), (T,)).copy()
    values = np.empty(T)
    records: list[SolveRecord] = []
    for k in range(T):
        caps = [(1.0 + tau) * values[j] + floor_rel * src.variances[j] for j in range(k)]
        for retry in RETRIES:  # a thin feasible set (tau = 1e-12) can stall one start point
            rec = _solve_sdpa(
                _program(src, r, P, plf, k, caps, representation), {**retry, **(options or {})}
            )
            if rec.phase == "pdOPT":
                break
        else:
            raise RuntimeError(f"SDPA stage {k}: phase {rec.phase} (plf={plf}, R={r}, P={P})")
        values[k] = rec.value
        records.append(rec)
    return Chain(values=values, tau=tau, floor_rel=floor_rel, records=records)


# --------------------------------------------------------------------------- the package side
def package_stage_values(sol: rt.RDPSolution) -> np.ndarray:
    """The package's stage values D*_k(tau); NaN where not reported.

    Uses ``certificate.lexicographic_stage_values`` when the package has it; older packages
    report only the last stage (``distortions[-1]``; the earlier distortions of the returned
    scheme may sit anywhere within their caps)."""
    stages = getattr(sol.certificate, "lexicographic_stage_values", None)
    if stages is not None and len(stages) == sol.T:
        return np.asarray(stages, dtype=float)
    out = np.full(sol.T, np.nan)
    out[-1] = sol.distortions[-1]
    return out


def package_limit_gap(sol: rt.RDPSolution) -> np.ndarray | None:
    """The package's estimate of D*_k(0) - D*_k(tau) per frame, or None if not reported."""
    gap = getattr(sol.certificate, "lexicographic_limit_gap", None)
    return None if gap is None else np.asarray(gap, dtype=float)


def package_tolerance(sol: rt.RDPSolution) -> float | None:
    """The package's tau, or None where it targets the exact lexicographic value (tau -> 0)."""
    tau = getattr(sol.certificate, "lexicographic_tolerance", None)
    return None if tau is None else float(tau)


# --------------------------------------------------------------------------- one comparison
def random_instance(rng: np.random.Generator) -> dict[str, Any]:
    """T in {2, 3}, sigma = 1, rho in {0.5, 0.9}, rates U[0.2, 3], JD or SA, P in {0.01, 0.05, 0.2}."""
    T = int(rng.integers(2, 4))
    return {
        "T": T,
        "rho": float(rng.choice([0.5, 0.9])),
        "rates": [float(x) for x in rng.uniform(0.2, 3.0, T)],
        "plf": str(rng.choice(["jd", "sa"])),
        "P": float(rng.choice([0.01, 0.05, 0.2])),
    }


def compare(inst: dict[str, Any]) -> dict[str, Any]:
    """Package vs high-precision chain on one instance; a JSON-able row."""
    src = rt.GaussMarkovSource.stationary(inst["T"], sigma=1.0, rho=inst["rho"])
    rates, plf, P = np.asarray(inst["rates"]), inst["plf"], inst["P"]
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", rt.SolverWarning)
        sol = rt.solve_rdp(src, rates, P, plf=plf, method="sdp")
    t_pkg = time.perf_counter() - t0
    pkg_tau = package_tolerance(sol)
    tau = TAU if pkg_tau is None else pkg_tau
    floor = FLOOR_REL * src.variances
    t0 = time.perf_counter()
    hp = hp_lexicographic(src, rates, P, plf, tau=tau)
    hp4 = hp_lexicographic(src, rates, P, plf, tau=4 * tau)
    ref = hp_lexicographic(src, rates, P, plf, tau=TAU_REF, floor_rel=FLOOR_REL_REF)
    t_hp = time.perf_counter() - t0
    pkg = package_stage_values(sol)
    target = ref.values if pkg_tau is None else hp.values  # what the package claims to compute
    rel = np.abs(pkg - target) / np.maximum(np.abs(target), floor)
    measured = ref.values - hp.values  # D*(0) - D*(tau), D*(0) from the tau = 1e-12 chain
    own_estimate = hp.values - hp4.values  # the package's estimator, on this chain
    pkg_gap = package_limit_gap(sol)
    big = measured > GAP_MIN_REL * np.maximum(ref.values, floor)
    row: dict[str, Any] = dict(inst)
    row.update(
        status=sol.status,
        solver=sol.solver,
        warnings=[str(w.message)[:200] for w in caught],
        package_stage_values=pkg,
        package_limit_gap=pkg_gap,
        hp_stage_values=hp.values,
        hp_stage_values_4tau=hp4.values,
        hp_reference_values=ref.values,
        rel_err=rel,
        max_rel_err=float(np.nanmax(rel)),
        # which definition the package follows: the same comparison against the tau -> 0 chain
        max_rel_err_vs_tau0=float(
            np.nanmax(np.abs(pkg - ref.values) / np.maximum(np.abs(ref.values), floor))
        ),
        measured_limit_gap=measured,
        own_4tau_estimate=own_estimate,
        gap_checked=big,
        own_estimate_ratio=np.where(big, own_estimate / np.where(big, measured, 1.0), np.nan),
        package_gap_ratio=(
            np.where(big, pkg_gap / np.where(big, measured, 1.0), np.nan)
            if pkg_gap is not None else None
        ),
        hp_worst_duality_gap=max(hp.worst_gap, hp4.worst_gap, ref.worst_gap),
        hp_worst_feasibility_error=max(hp.worst_error, hp4.worst_error, ref.worst_error),
        hp_min_digits=min(r.digits for c in (hp, hp4, ref) for r in c.records),
        hp_max_iterations=max(r.iterations for c in (hp, hp4, ref) for r in c.records),
        seconds_package=t_pkg,
        seconds_hp=t_hp,
        seconds_per_sdpa_solve=float(np.mean([r.seconds for c in (hp, hp4, ref) for r in c.records])),
        tau=tau,
        package_definition="exact (tau -> 0)" if pkg_tau is None else f"tau = {pkg_tau:g}",
    )
    return row


def gap_ratio_ok(ratio: Any) -> bool:
    """Every checked frame's estimate within GAP_FACTOR of the measured gap (NaN = unchecked)."""
    r = np.asarray(ratio, dtype=float)
    r = r[np.isfinite(r)]
    return bool(((r >= 1 / GAP_FACTOR) & (r <= GAP_FACTOR)).all())


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for plf in sorted({r["plf"] for r in rows}):
        sel = [r for r in rows if r["plf"] == plf]
        ok = [r for r in sel if r["status"] == "optimal"]
        pk = [np.asarray(r["package_gap_ratio"], float) for r in sel if r["package_gap_ratio"] is not None]
        own = [np.asarray(r["own_estimate_ratio"], float) for r in sel]
        pk_all = np.concatenate(pk) if pk else np.array([])
        own_all = np.concatenate(own)
        out[plf] = {
            "n": len(sel),
            "flagged": len(sel) - len(ok),
            "max_rel_err_unflagged": max((r["max_rel_err"] for r in ok), default=float("nan")),
            "max_rel_err_flagged": max(
                (r["max_rel_err"] for r in sel if r["status"] != "optimal"), default=float("nan")
            ),
            "max_rel_err_vs_tau0_unflagged": max(
                (r["max_rel_err_vs_tau0"] for r in ok), default=float("nan")
            ),
            "max_measured_limit_gap_rel": max(
                float(np.max(np.asarray(r["measured_limit_gap"]) / np.asarray(r["hp_reference_values"])))
                for r in sel
            ),
            "gap_frames_checked": int(np.isfinite(own_all).sum()),
            "own_4tau_ratio_range": _range(own_all),
            "package_gap_ratio_range": _range(pk_all) if pk else None,
            "package_gap_within_factor": (
                sum(gap_ratio_ok(r) for r in pk) if pk else None
            ),
            "max_hp_duality_gap": max(r["hp_worst_duality_gap"] for r in sel),
            "max_hp_feasibility_error": max(r["hp_worst_feasibility_error"] for r in sel),
            "min_hp_digits": min(r["hp_min_digits"] for r in sel),
        }
    return out


def _range(x: np.ndarray) -> list[float] | None:
    x = x[np.isfinite(x)]
    return [float(x.min()), float(x.max())] if x.size else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=40, help="number of random instances")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="lexicographic_high_precision.json")
    args = ap.parse_args()
    if not sdpa_available():
        raise SystemExit("needs SDPA-GMP: pip install 'rdp-theory[highprec]'")
    rng = np.random.default_rng(args.seed)
    rows = [compare(random_instance(rng)) for _ in range(args.n)]
    summary = summarise(rows)
    has_stages = "lexicographic_stage_values" in getattr(rt.Certificate, "__dataclass_fields__", {})
    print(f"{args.n} instances, seed {args.seed}; compared: "
          + ("every stage value" if has_stages else "the last frame only (no stage values yet)"))
    hdr = (f"{'plf':4} {'n':>3} {'flag':>4} {'max rel err (ok)':>17} {'(flagged)':>10} "
           f"{'vs tau->0':>9} {'max gap':>8} {'gap frames':>10} {'own 4tau/meas':>15} {'pkg gap/meas':>15} {'hp gap':>9} {'hp digits':>9}")
    print(hdr)
    for plf, s in summary.items():
        own = s["own_4tau_ratio_range"]
        pk = s["package_gap_ratio_range"]
        fmt = lambda r: "-" if r is None else f"{r[0]:.2f}..{r[1]:.2f}"  # noqa: E731
        print(f"{plf:4} {s['n']:>3} {s['flagged']:>4} {s['max_rel_err_unflagged']:>17.2e} "
              f"{s['max_rel_err_flagged']:>10.2e} {s['max_rel_err_vs_tau0_unflagged']:>9.2e} "
              f"{s['max_measured_limit_gap_rel']:>8.1e} {s['gap_frames_checked']:>10} {fmt(own):>15} "
              f"{fmt(pk):>15} {s['max_hp_duality_gap']:>9.1e} {s['min_hp_digits']:>9.1f}")
    write_json(args.out, {
        "provenance": provenance(),
        "definition": {"tau": TAU, "floor_rel": FLOOR_REL, "tau_ref": TAU_REF,
                       "floor_rel_ref": FLOOR_REL_REF},
        "sdpa_options": SDPA_OPTIONS,
        "compared_stage_values": has_stages,
        "summary": summary,
        "rows": rows,
    })
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

r"""The theory's predictions read off E1's learned codec: the tables of ``docs/learned.md``.

``python -m learned.report [RESULTS_DIR]`` prints them (Markdown) from the committed result files
(``e1_points.csv``, ``e1_baselines.csv``, ``e1_config.json``; read through
:mod:`learned.schema`), and ``docs/learned_tables.md`` is that output, committed (a test checks
that the two agree, so the tables cannot drift from the files). Torch-free. The tables:

1. **The MSE codec against the classical baselines**: each frame's distance in dB to the MMSE
   bound *at its own measured rate* (learned: the bitstream's; DPCM-ECSQ: its bitstream's;
   DPCM-Lloyd-Max: ``b`` bits) and the learned codec's excess over the better baseline
   (target: at most 1 dB).
2. **Every PLF decoder's distance to its matched bound** (the bound at its own measured rates and
   perception, the ``bound_best`` column), per rate point and frame.
3. **The JD - FMD penalty in** ``(eps, R, R)``: the learned difference of the frozen-encoder JD and
   FMD decoders' distortions in frames 2-3 against the theory's difference of their matched
   bounds (sign and ratio).
4. **Error permanence**: the learned JD and FMD frame-2 distortions in ``(eps, R, R)`` as ``R``
   grows, against the matched JD bound and the limit
   :math:`2\sigma_2^2(1 - \sqrt{1 - \rho_1^2})` of :func:`rdp_theory.error_permanence_limit`
   (the 0-PLF-JD frame-2 distortion as :math:`R_1 \to 0`, :math:`R_2 \to \infty`).
5. **Universality** (the lam sweep, ``e1_universality.csv``): the frozen-MSE-encoder decoders'
   total distortion against the end-to-end curve interpolated at the same total perception, with
   the paired standard error (both on the same held-out sequences), beside the theory's gap at
   the universal decoder's measured rates and perception (:func:`rdp_theory.universality_gap`,
   summed distortions). The end-to-end codec retrains its encoder and so its rates; both total
   rates are shown, since a gap at unequal rates is partly a rate difference.
"""

from __future__ import annotations

import json
import math
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import rdp_theory as rt
from rdp_theory.perception import PLF_NAMES

from .schema import BASELINE_POINTS, GAUSS_MARKOV_POINTS, UNIVERSALITY_POINTS, read_table

__all__ = ["TABLES_FILE", "main", "main_lam", "render"]

#: The committed rendering, relative to the repository root.
TABLES_FILE = Path("docs") / "learned_tables.md"
#: The MSE codec's target distance to the better classical baseline (issue 15).
BASELINE_TARGET_DB = 1.0

Row = dict[str, Any]


def _db(a: float, b: float) -> float:
    return 10.0 * math.log10(a / b) if a > 0 and b > 0 else math.nan


def _f(v: float, digits: int = 2) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{v:.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _load(directory: Path) -> tuple[list[Row], list[Row], dict[str, Any]]:
    points = read_table(directory / "e1_points.csv", GAUSS_MARKOV_POINTS)
    base_file = directory / "e1_baselines.csv"
    base = read_table(base_file, BASELINE_POINTS) if base_file.is_file() else []
    meta = json.loads((directory / "e1_config.json").read_text(encoding="utf-8"))
    return points, base, meta


def _nominal(rows: Sequence[Row], rp: int) -> float:
    """The scenario's rate ``R`` of a rate point (its last frame's target)."""
    return max(r["rate_target"] for r in rows if r["rate_point"] == rp)


def _index(points: Sequence[Row], lam: float) -> dict[tuple[int, str, str, int], Row]:
    out = {}
    for r in points:
        if r["variant"] == "mse" or r["lam"] == lam:
            out[(r["rate_point"], r["variant"], r["plf"], r["frame"])] = r
    return out


def main_lam(decoders: Iterable[tuple[str, int, float]]) -> float:
    """The largest perception weight every rate point has, from ``(variant, rate_point, lam)``
    of each decoder: E1's own weight (the lam sweep's others are at one rate point only). NaN
    when no PLF decoder carries a finite weight. The overlay figure uses it too."""
    per: dict[int, set[float]] = defaultdict(set)
    for variant, rp, lam in decoders:
        if variant != "mse" and math.isfinite(lam):
            per[rp].add(lam)
    common = set.intersection(*per.values()) if per else set()
    return max(common) if common else math.nan


def baseline_table(points: Sequence[Row], base: Sequence[Row], T: int) -> str:
    """Table 1: the MSE codec against DPCM-ECSQ and DPCM-Lloyd-Max, dB to the MMSE bound."""
    by = {(b["rate_point"], b["baseline"], b["frame"]): b for b in base}
    rows = []
    for r in sorted((p for p in points if p["variant"] == "mse"),
                    key=lambda p: (p["scenario"] != "equal", p["rate_point"], p["frame"])):  # fmt: skip
        rp, j = r["rate_point"], r["frame"]
        e = by.get((rp, "dpcm-ecsq", j))
        m = by.get((rp, "dpcm-lloyd-max", j))
        best = min((b["db_to_bound"] for b in (e, m) if b is not None), default=math.nan)
        learned_db = _db(r["distortion"], r["bound_plf"])  # the MMSE bound, as the baselines'
        excess = learned_db - best
        verdict = "–" if not math.isfinite(excess) else (
            "yes" if excess <= BASELINE_TARGET_DB else "**no**")  # fmt: skip
        rows.append([
            r["scenario"], _f(_nominal(points, rp)), str(j), _f(r["rate_bits"], 3),
            _f(learned_db),
            "–" if e is None else f"{e['rate_bits']:.3f} / {_f(e['db_to_bound'])}",
            "–" if m is None else _f(m["db_to_bound"]),
            _f(excess), verdict,
        ])  # fmt: skip
    return _table(["scenario", "R", "frame", "learned rate", "learned dB", "ECSQ rate / dB",
                   "Lloyd-Max dB", "learned − best (dB)", "≤ 1 dB"], rows)  # fmt: skip


def plf_table(points: Sequence[Row], lam: float, T: int) -> str:
    """Table 2: every decoder's distance in dB to its matched bound, frames 1..T."""
    idx = _index(points, lam)
    cols = [(v, p) for p in PLF_NAMES for v in ("universal", "e2e")]
    rps = sorted({r["rate_point"] for r in points},
                 key=lambda rp: (idx[(rp, "mse", "mse", 1)]["scenario"] != "equal", rp))  # fmt: skip
    rows = []
    for rp in rps:
        cells = [idx[(rp, "mse", "mse", 1)]["scenario"], _f(_nominal(points, rp))]
        for v, p in cols:
            vals = [idx.get((rp, v, p, j)) for j in range(1, T + 1)]
            cells.append(" / ".join(_f(x["db_to_bound"], 1) if x else "–" for x in vals))
        rows.append(cells)
    header = ["scenario", "R", *(f"{p.upper()} {'frozen' if v == 'universal' else 'e2e'}"
                                 for v, p in cols)]  # fmt: skip
    return _table(header, rows)


def _eps_points(points: Sequence[Row]) -> list[int]:
    rps = {r["rate_point"] for r in points if r["scenario"] == "eps_first"}
    return sorted(rps, key=lambda rp: _nominal(points, rp))


def penalty_table(points: Sequence[Row], lam: float, T: int) -> str:
    """Table 3: learned JD − FMD distortion in (eps, R, R), frames 2..T, against the theory's."""
    idx = _index(points, lam)
    rows = []
    for rp in _eps_points(points):
        cells = [_f(_nominal(points, rp))]
        for j in range(2, T + 1):
            jd, fmd = idx[(rp, "universal", "jd", j)], idx[(rp, "universal", "fmd", j)]
            learned = jd["distortion"] - fmd["distortion"]
            se = math.hypot(jd["distortion_se"], fmd["distortion_se"])
            theory = jd["bound_best"] - fmd["bound_best"]
            # a ratio to a theoretical penalty below the learned one's resolution means nothing
            ratio = learned / theory if abs(theory) > se else math.nan
            agree = "yes" if np.sign(learned) == np.sign(theory) else "**no**"
            cells += [f"{learned:.4f} ± {se:.4f}", f"{theory:.4f}", _f(ratio), agree]
        rows.append(cells)
    header = ["R"]
    for j in range(2, T + 1):
        header += [f"learned Δ{j}", f"theory Δ{j}", "ratio", "same sign"]
    return _table(header, rows)


def permanence_table(points: Sequence[Row], lam: float, src: rt.GaussMarkovSource) -> str:
    """Table 4: error permanence, learned D_2 of JD and FMD in (eps, R, R) as R grows."""
    idx = _index(points, lam)
    floor = rt.error_permanence_limit(src, 2)
    rows = []
    for rp in _eps_points(points):
        jd, fmd = idx[(rp, "universal", "jd", 2)], idx[(rp, "universal", "fmd", 2)]
        rows.append([
            _f(_nominal(points, rp)), _f(idx[(rp, "universal", "jd", 1)]["rate_bits"], 3),
            f"{jd['distortion']:.4f} ± {jd['distortion_se']:.4f}", _f(jd["perception"], 4),
            _f(jd["bound_best"], 4),
            f"{fmd['distortion']:.4f} ± {fmd['distortion_se']:.4f}", _f(fmd["bound_best"], 4),
            _f(floor, 4),
        ])  # fmt: skip
    return _table(["R", "R_1 spent", "learned JD D_2", "JD P_2", "JD bound", "learned FMD D_2",
                   "FMD bound", "limit 2σ²(1−√(1−ρ²))"], rows)  # fmt: skip


def _signed(v: float, digits: int = 5) -> str:
    """``+0.00123``; a value that rounds to zero prints as ``0`` (no ``-0.00000``)."""
    text = f"{v:+.{digits}f}"
    return f"{0:.{digits}f}" if float(text) == 0 else text


def universality_table(pairs: Sequence[Row], points: Sequence[Row],
                       src: rt.GaussMarkovSource) -> str:  # fmt: skip
    """Table 5: frozen MSE encoder vs end to end at matched total perception (lam sweep), with
    the paired standard error of ``e1_universality.csv`` and the theory's gap."""
    rows = []
    for u in pairs:
        dec = sorted((r for r in points if r["rate_point"] == u["rate_point"]
                      and r["variant"] == "universal" and r["plf"] == u["plf"]
                      and r["lam"] == u["lam"]), key=lambda r: r["frame"])  # fmt: skip
        rates = [r["rate_bits"] for r in dec]
        levels = [r[f"perception_{u['plf']}"] for r in dec]
        res = rt.universality_gap(src, rates, levels, u["plf"], objective=np.ones(src.T))
        z = u["gap"] / u["gap_se"] if u["gap_se"] > 0 else math.nan
        rows.append([
            u["plf"].upper(), _f(u["lam"], 1), _f(u["perception_total"], 4),
            f"{u['rate_total_universal']:.3f} / {u['rate_total_e2e']:.3f}",
            _f(u["distortion_total_universal"], 4), _f(u["distortion_total_e2e"], 4),
            f"{u['gap']:+.4f} ± {u['gap_se']:.4f}", _f(z, 1), _signed(float(np.sum(res.gap))),
        ])  # fmt: skip
    return _table(["PLF", "lam (frozen)", "total P", "ΣR frozen / e2e", "frozen ΣD",
                   "end to end ΣD (interp.)", "gap ± paired SE", "gap / SE", "theory gap"],
                  rows)  # fmt: skip


def render(directory: Path) -> str:
    """All five tables as one Markdown document."""
    points, base, meta = _load(directory)
    pairs_file = directory / "e1_universality.csv"
    pairs = read_table(pairs_file, UNIVERSALITY_POINTS) if pairs_file.is_file() else []
    src = rt.GaussMarkovSource(tuple(meta["source"]["sigmas"]), tuple(meta["source"]["rhos"]))
    T = src.T
    lam = main_lam((r["variant"], r["rate_point"], r["lam"]) for r in points)
    env = meta["environment"]
    parts = [
        "<!-- generated by `python -m learned.report > docs/learned_tables.md`; do not edit "
        "(tests/learned/test_e1_results.py checks it against learned/results) -->",
        f"Source: σ = {src.sigmas[0]:g}, ρ = {src.rhos[0]:g}, T = {T}; "
        f"{meta['config']['eval_samples']} held-out sequences; lam = {lam:g} in tables 2-4; "
        f"git {env.get('git_revision', 'unknown')[:10]}, {env.get('torch_threads')} torch "
        f"thread(s), {meta.get('n_jobs', 1)} process(es), wall time "
        f"{meta['wall_time_s'] / 60:.1f} min.",
        "### 1. The MSE codec against the classical baselines (dB above the MMSE bound at the "
        "measured rate)",
        baseline_table(points, base, T),
        "### 2. Every decoder's distance to its matched bound (dB, frames 1 / 2 / 3)",
        plf_table(points, lam, T),
        "### 3. (ε, R, R): the JD − FMD distortion penalty, learned (frozen encoder) and "
        "theoretical at matched perception",
        penalty_table(points, lam, T),
        "### 4. Error permanence: frame 2 in (ε, R, R)",
        permanence_table(points, lam, src),
        "### 5. Universality: frozen MSE encoder against end to end at matched total perception",
        universality_table(pairs, points, src),
    ]
    return "\n\n".join(parts) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m learned.report [RESULTS_DIR]``: print the tables."""
    args = list(sys.argv[1:] if argv is None else argv)
    directory = Path(args[0]) if args else Path(__file__).resolve().parent / "results"
    sys.stdout.write(render(directory))
    return 0


if __name__ == "__main__":
    sys.exit(main())

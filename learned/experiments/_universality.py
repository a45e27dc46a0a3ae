"""E1's universality comparison: frozen MSE encoder against end to end at matched perception.

At the lam sweep's rate point every PLF has a curve of (total perception, total distortion)
points per variant, one per weight. A frozen-encoder point whose total perception lies inside
the end-to-end curve's range is compared with that curve interpolated linearly between the two
bracketing weights. Both variants are evaluated on the *same* held-out sequences (and dither),
so the gap's standard error is the paired one: of the per-sequence differences
``e_u,i - (w e_k,i + (1 - w) e_k+1,i)`` (``e``: a sequence's squared error summed over frames),
which removes the sequences' common variation (4-5 times smaller than adding the two
standard errors).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np

__all__ = ["universality_rows"]

Key = tuple[str, str, float]


def _curves(rows: list[dict[str, Any]], rp: int) -> dict[Key, tuple[float, float, float]]:
    """(total perception, total distortion, total rate) of every PLF decoder of rate point rp."""
    acc: dict[Key, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for r in rows:
        if r["rate_point"] != rp or r["variant"] == "mse":
            continue
        a = acc[(r["variant"], r["plf"], r["lam"])]
        a[0] += r[f"perception_{r['plf']}"]
        a[1] += r["distortion"]
        a[2] += r["rate_bits"]
    return {k: (v[0], v[1], v[2]) for k, v in acc.items()}


def universality_rows(
    rows: list[dict[str, Any]], totals: dict[Key, np.ndarray], rp: int
) -> list[dict[str, Any]]:
    """The matched comparisons (rows of :data:`learned.schema.UNIVERSALITY_POINTS`)."""
    curves = _curves(rows, rp)
    out = []
    for plf in sorted({k[1] for k in curves}):
        e2e = sorted((v[0], lam, v) for (var, p, lam), v in curves.items()
                     if var == "e2e" and p == plf)  # fmt: skip
        uni = sorted((lam, v) for (var, p, lam), v in curves.items()
                     if var == "universal" and p == plf)  # fmt: skip
        for lam, (P, D, R) in uni:
            for (p0, l0, v0), (p1, l1, v1) in zip(e2e, e2e[1:]):
                if not p0 <= P <= p1 or p1 == p0:
                    continue
                w = (p1 - P) / (p1 - p0)  # weight of the lower-perception end
                diff = totals[("universal", plf, lam)] - (
                    w * totals[("e2e", plf, l0)] + (1 - w) * totals[("e2e", plf, l1)]
                )
                out.append({
                    "rate_point": rp, "plf": plf, "lam": lam, "perception_total": P,
                    "rate_total_universal": R, "rate_total_e2e": w * v0[2] + (1 - w) * v1[2],
                    "distortion_total_universal": D,
                    "distortion_total_e2e": w * v0[1] + (1 - w) * v1[1],
                    "gap": float(np.mean(diff)),
                    "gap_se": float(np.std(diff, ddof=1) / math.sqrt(len(diff))),
                    "lam_e2e_low": l0, "lam_e2e_high": l1,
                })  # fmt: skip
                break
    return out

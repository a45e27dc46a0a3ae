"""E1's classical anchor: the DPCM baselines of :mod:`learned.baselines` at E1's target rates.

For every rate point: closed-loop DPCM with an entropy-coded uniform dead-zone quantiser
(:func:`~learned.baselines.dpcm_ecsq`, Gaussian model, centroid reconstruction, rate = the
bitstream's length with its side information; the best of the dead zones :data:`DEADZONES`),
its step per frame found by bisection so that each frame's rate meets its target (frames in
order: a frame's rate depends on the earlier steps through the prediction) on a *design* sample;
the steps and the dead zone so chosen are then measured on a fresh sample (a step is 32 bits of
side information, counted);
and, at equal integer rates ``(b, ..., b)``, DPCM with a fixed-rate ``b``-bit Lloyd-Max
quantiser (:func:`~learned.baselines.dpcm_lloyd_max`). Both are drawn on ``eval_samples * n``
sequences (one per coordinate: the baselines are scalar) with their own seeded generator.
Every row carries the MMSE bound at its measured rates.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import rdp_theory as rt

from ..baselines import BaselineResult, dpcm_ecsq, dpcm_lloyd_max
from ..metrics import db_above
from .configs import GaussMarkovConfig, scenario_of

__all__ = ["baseline_rows", "ecsq_at_rates"]

#: Bisection range of the ECSQ step (in units of the frame's standard deviation) and iterations.
_STEP_RANGE = (1e-3, 64.0)
_ITERATIONS = 40


#: The dead zones tried at every rate point (the best total distortion is kept).
DEADZONES = (0.0, 0.2, 0.35)


def _ecsq(
    src: rt.GaussMarkovSource, steps: np.ndarray, n: int, seed: int, deadzone: float
) -> BaselineResult:
    return dpcm_ecsq(src, steps, n, np.random.default_rng(seed), deadzone=deadzone,
                     reconstruction="centroid")  # fmt: skip


def ecsq_at_rates(
    src: rt.GaussMarkovSource, targets: np.ndarray, n: int, seed: int, deadzone: float = 0.0
) -> tuple[BaselineResult, np.ndarray]:
    """DPCM-ECSQ steps designed to meet ``targets`` on the sample of ``seed`` (bisection on each
    step; the result returned is on that design sample).

    The rate of frame ``j`` is non-increasing in its step (for fixed earlier steps); the step
    kept is the smallest found whose rate is at most the target, so every frame's rate on the
    design sample is at most its target and within the bisection's resolution of it. Returns
    the result and the steps.
    """
    sig = np.asarray(src.sigmas, float)
    steps = sig.copy()
    for j in range(src.T):
        lo, hi = math.log(_STEP_RANGE[0] * sig[j]), math.log(_STEP_RANGE[1] * sig[j])
        for _ in range(_ITERATIONS):
            mid = 0.5 * (lo + hi)
            steps[j] = math.exp(mid)
            if _ecsq(src, steps, n, seed, deadzone).rates[j] > targets[j]:
                lo = mid
            else:
                hi = mid
        steps[j] = math.exp(hi)
    return _ecsq(src, steps, n, seed, deadzone), steps


def _rows(
    rp: int, scenario: str, name: str, res: BaselineResult, targets: np.ndarray,
    src: rt.GaussMarkovSource, steps: np.ndarray,
) -> list[dict[str, Any]]:  # fmt: skip
    bound = np.asarray(rt.mmse_distortions(src, res.rates), float)
    db = db_above(res.distortions, bound)
    return [
        {
            "rate_point": rp,
            "scenario": scenario,
            "baseline": name,
            "frame": j + 1,
            "rate_target": float(targets[j]),
            "rate_bits": float(res.rates[j]),
            "step": float(steps[j]),
            "distortion": float(res.distortions[j]),
            "distortion_se": float(res.distortion_se[j]),
            "bound_mse": float(bound[j]),
            "db_to_bound": float(db[j]),
        }
        for j in range(src.T)
    ]


def baseline_rows(cfg: GaussMarkovConfig) -> list[dict[str, Any]]:
    """The baseline rows of every rate point of ``cfg`` (entropy coding: its target rates)."""
    src = cfg.source()
    n = cfg.eval_samples * cfg.n
    design, seed = cfg.seed + 20_000, cfg.seed + 30_000
    rows: list[dict[str, Any]] = []
    for rp, raw in enumerate(cfg.rate_targets):
        targets = np.array(raw, float)
        scenario = scenario_of(tuple(float(t) for t in raw))
        # steps and dead zone chosen on a design sample, measured on a fresh one
        _, steps, dz = min(
            ((*ecsq_at_rates(src, targets, n, design, dz), dz) for dz in DEADZONES),
            key=lambda r: float(np.sum(r[0].distortions)),
        )
        ecsq = _ecsq(src, steps, n, seed, dz)
        rows += _rows(rp, scenario, "dpcm-ecsq", ecsq, targets, src, steps)
        b = targets[0]
        if scenario == "equal" and float(b).is_integer() and 1 <= b <= 6:
            lm = dpcm_lloyd_max(src, int(b), n, np.random.default_rng(seed))
            rows += _rows(rp, scenario, "dpcm-lloyd-max", lm, targets, src,
                          np.full(src.T, math.nan))  # fmt: skip
    return rows

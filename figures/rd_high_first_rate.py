"""Figure 2: the paper's (infinity, ., .) scenario, frame 1 known exactly.

The first frame's reconstruction is exact, so JD's extra cost in later frames is small and
disappears as R grows. The computation and drawing are shared with
:mod:`figures.rd_low_first_rate` (:mod:`figures._rate_distortion`).
"""

from __future__ import annotations

import math

from ._common import FigureData, RunConfig
from ._rate_distortion import compute_scenario, draw, plot_rate_distortion

__all__ = ["SUMMARY", "compute", "draw", "plot_rate_distortion"]

SUMMARY = "D_j vs R_j with R_1 = inf (paper's (inf, ., .))"


def compute(cfg: RunConfig) -> FigureData:
    """Lexicographic 0-PLF distortions at R = (inf, R, R) for every PLF and MSE only."""
    return compute_scenario(cfg, math.inf, "high")

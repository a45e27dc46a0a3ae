"""Figure 1: the paper's (epsilon, ., .) scenario, R = (0.05, R, R) at perfect realism.

With a poor first frame, 0-PLF-JD stays far above FMD, SA and MSE only in later frames however
large R is. The computation and drawing are shared with :mod:`figures.rd_high_first_rate`
(:mod:`figures._rate_distortion`).
"""

from __future__ import annotations

from ._common import FigureData, RunConfig
from ._rate_distortion import EPS_RATE, compute_scenario, draw, plot_rate_distortion

__all__ = ["EPS_RATE", "SUMMARY", "compute", "draw", "plot_rate_distortion"]

SUMMARY = "D_j vs R_j with R_1 = epsilon (paper's (eps, ., .))"


def compute(cfg: RunConfig) -> FigureData:
    """Lexicographic 0-PLF distortions at R = (0.05, R, R) for every PLF and MSE only."""
    return compute_scenario(cfg, EPS_RATE, "low")

"""Tests of :mod:`figures.stationary_limits`."""

from __future__ import annotations

import numpy as np
from figure_helpers import renders

from figures._common import RunConfig
from figures.stationary_limits import LEVELS, SERIES, compute, draw, plot_stationary_limits


def test_plot() -> None:
    j = np.arange(1, 6)
    fam = {"mse": 0.06 + 0.2 * 0.2**j, "sa": 0.064 + 0.2 * 0.2**j}
    renders(plot_stationary_limits(j, {"P=0": fam}, {"P=0": {"mse": 0.06, "sa": 0.064}}, 0.06))


def test_compute_then_draw_and_convergence() -> None:
    """The finite-T lexicographic values approach the closed-form limits (docs/theory.md 4.7):
    within 1e-4 relative at T = 8 where the contraction factor is rho^2 2^(-2R) (MSE, FMD, SA at
    P = 0), and monotonically from above for 0-PLF-JD, whose factor is rho^2."""
    data = compute(RunConfig(quick=True))
    t = data.table
    for series in SERIES:
        d = t.array(panel="P=0", series=series, quantity="D")
        limit = float(t.array(panel="P=0", series=series, quantity="D_limit")[0])
        if series == "jd":
            excess = d[1:] - limit
            assert np.all(excess > 0) and np.all(np.diff(excess) < 0)
        else:
            assert abs(d[-1] - limit) <= 1e-4 * limit
    fig = draw(data)
    renders(fig)
    assert len(fig.axes) == len(LEVELS)

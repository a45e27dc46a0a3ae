"""Tests of :mod:`figures.jd_pareto`."""

from __future__ import annotations

import numpy as np
from figure_helpers import R, renders

from figures.jd_pareto import plot_pareto


def test_pareto_plot() -> None:
    fig = plot_pareto((np.linspace(0.7, 0.9, 5), np.linspace(0.57, 0.52, 5)), (0.76, 0.574),
                      R, np.linspace(0.52, 0.6, 7), np.linspace(0.52, 0.51, 7))
    renders(fig)
    assert len(fig.axes) == 2

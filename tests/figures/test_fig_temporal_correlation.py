"""Tests of :mod:`figures.temporal_correlation`."""

from __future__ import annotations

import numpy as np
from figure_helpers import R, renders

from figures._style import SERIES
from figures.temporal_correlation import plot_temporal_correlation


def test_temporal_correlation_plot() -> None:
    corr = {p: np.full((7, 2), 0.8) for p in SERIES}
    renders(plot_temporal_correlation(R, corr, 0.9, pairs=[(1, 2), (2, 3)]))

"""Tests of :mod:`figures.temporal_correlation`."""

from __future__ import annotations

import numpy as np
from figure_helpers import R, renders

from figures._style import SERIES
from figures.temporal_correlation import plot_temporal_correlation


def test_temporal_correlation_plot() -> None:
    corr = {p: np.full((7, 2), 0.8) for p in SERIES}
    renders(plot_temporal_correlation(R, corr, 0.9, pairs=[(1, 2), (2, 3)]))


def test_source_rho_band_is_not_hidden_by_jd() -> None:
    """JD lies exactly on the source rho: the reference is a band wider than every curve and
    drawn under them, so both stay visible."""
    from figures.temporal_correlation import REFERENCE_BAND_WIDTH

    corr = {p: np.full((7, 2), 0.9) for p in SERIES}
    fig = plot_temporal_correlation(R, corr, 0.9, pairs=[(1, 2), (2, 3)])
    lines = fig.axes[0].get_lines()
    band = [ln for ln in lines if ln.get_linewidth() == REFERENCE_BAND_WIDTH]
    curves = [ln for ln in lines if ln not in band]
    assert len(band) == 1 and len(curves) == len(SERIES)
    assert all(band[0].get_linewidth() > 2 * c.get_linewidth() for c in curves)
    assert all(band[0].get_zorder() < c.get_zorder() for c in curves)
    np.testing.assert_allclose(band[0].get_ydata(), 0.9)

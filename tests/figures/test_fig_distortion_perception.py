"""Tests of :mod:`figures.distortion_perception`."""

from __future__ import annotations

import numpy as np
from figure_helpers import renders

from figures.distortion_perception import plot_distortion_perception
from rdp_theory.perception import PLF_NAMES


def test_distortion_perception_plot() -> None:
    P = np.array([0.0, 1e-3, 1e-2, 1e-1, 1.0])
    panels = {"R = 1": {p: np.linspace(0.5, 0.2, 5) for p in PLF_NAMES}}
    fig = plot_distortion_perception(P, panels, {"R = 1": 0.2})
    renders(fig)
    assert fig.axes[0].get_xscale() == "symlog"


def test_axes_fit_the_data_and_mark_the_linear_stretch() -> None:
    """The ordinate spans the curves (not from 0: they would use a fraction of the panel), and
    the symlog axis's linear stretch [0, linthresh] is shaded and labelled."""
    P = np.array([0.0, 1e-3, 1e-2, 1e-1, 1.0])
    panels = {"R = 1": {p: np.linspace(0.58, 0.44, 5) for p in PLF_NAMES}}
    fig = plot_distortion_perception(P, panels, {"R = 1": 0.44}, linthresh=1e-3)
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    assert 0.40 < lo < 0.44 and 0.58 < hi < 0.62
    spans = [pa for pa in ax.patches if pa.get_x() == 0.0 and np.isclose(pa.get_width(), 1e-3)]
    assert len(spans) == 1
    assert any(t.get_text() == "linear" for t in ax.texts)

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

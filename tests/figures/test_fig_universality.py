"""Tests of :mod:`figures.universality`."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from figure_helpers import R, renders
from matplotlib.axes import Axes

from figures.universality import plot_universality
from rdp_theory.perception import PLF_NAMES


def test_universality_plot_handles_zero_and_negative_gaps() -> None:
    d = {p: np.exp2(-2 * R) for p in PLF_NAMES}
    gap = {p: np.array([0.0, -1e-15, 1e-6, 1e-3, 0.0, 0.0, 0.0]) for p in d}
    fig = plot_universality(R, d, d, gap)
    renders(fig)
    assert fig.axes[1].get_yscale() == "log"


def test_draws_into_user_axes(user_axes: Callable[[int], list[Axes]]) -> None:
    d = {p: np.exp2(-2 * R) for p in PLF_NAMES}
    axes = user_axes(2)
    fig = plot_universality(R, d, d, {p: np.zeros(7) for p in d}, axes=axes)
    assert fig is axes[0].get_figure()
    assert axes[1].get_yscale() == "log"

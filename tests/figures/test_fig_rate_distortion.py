"""Tests of the rate-distortion figures (``rd_low_first_rate``, ``rd_high_first_rate``, sharing
:mod:`figures._rate_distortion`)."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib
import numpy as np
import pytest
from figure_helpers import CURVES3, R, renders
from matplotlib.axes import Axes

from figures import _style as st
from figures import rd_high_first_rate, rd_low_first_rate
from figures._rate_distortion import plot_rate_distortion


def test_rate_distortion_uses_plf_styles() -> None:
    """Lines carry the fixed PLF colour; axes are labelled with units; the y axis starts at 0."""
    fig = plot_rate_distortion(R, CURVES3, frames=[1, 2, 3], title="t")
    renders(fig)
    ax = fig.axes[0]
    colors = {matplotlib.colors.to_hex(ln.get_color()) for ln in ax.get_lines()}
    assert {st.PLF_STYLES[p].color.lower() for p in CURVES3} <= colors
    assert "MSE" in ax.get_ylabel()
    assert "bits/sample" in ax.get_xlabel()
    assert ax.get_ylim()[0] == 0.0
    assert ax.get_ylim()[1] >= max(float(np.max(v)) for v in CURVES3.values())


def test_draws_into_user_axes(user_axes: Callable[[int], list[Axes]]) -> None:
    """Given the user's axes, the plot goes there (no new figure, no title set)."""
    axes = user_axes(3)
    fig = plot_rate_distortion(R, CURVES3, frames=[1, 2, 3], title="ignored", axes=axes)
    assert fig is axes[0].get_figure()
    assert len(fig.axes) == 3 and all(ax.get_lines() for ax in axes)
    assert fig.get_suptitle() == ""
    assert axes[0].get_legend() is not None
    with pytest.raises(ValueError, match="3 axes"):
        plot_rate_distortion(R, CURVES3, frames=[1, 2, 3], axes=axes[:2])


def test_both_scenarios_share_the_drawing() -> None:
    assert rd_low_first_rate.draw is rd_high_first_rate.draw
    assert rd_low_first_rate.EPS_RATE == 0.05

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


def test_coincident_curves_get_offset_markers() -> None:
    """A curve drawn on top of an earlier one keeps visible markers, half a step later."""
    same = {"jd": CURVES3["jd"], "sa": CURVES3["jd"].copy(), "fmd": CURVES3["fmd"]}
    fig = plot_rate_distortion(R, same, frames=[1, 2, 3])
    jd, sa, fmd = fig.axes[0].get_lines()[:3]
    assert jd.get_markevery() == fmd.get_markevery()  # an integer step: not offset
    assert isinstance(sa.get_markevery(), tuple) and sa.get_markevery()[0] > 0


def test_high_first_rate_leaves_out_the_exact_first_frame() -> None:
    """With R_1 = inf, D_1 = 0 under every PLF: no empty panel; title and caption say why; the
    CSV keeps frame 1."""
    from figures._common import RunConfig

    data = rd_high_first_rate.compute(RunConfig(quick=True))
    assert set(data.table.array(frame=1)) == {0.0}
    fig = rd_high_first_rate.draw(data)
    renders(fig)
    assert [ax.get_title() for ax in fig.axes] == ["frame 2", "frame 3"]
    assert "not drawn" in data.caption and "D_1 = 0" in data.title
    low = rd_low_first_rate.compute(RunConfig(quick=True))
    assert [ax.get_title() for ax in rd_low_first_rate.draw(low).axes] == [
        "frame 1", "frame 2", "frame 3"]

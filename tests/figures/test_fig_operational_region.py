"""Tests of :mod:`figures.operational_region`."""

from __future__ import annotations

import numpy as np
import pytest
from figure_helpers import CURVES3, R, renders
from matplotlib.collections import PolyCollection

import rdp_theory as rt
from figures._common import RunConfig
from figures._style import SERIES
from figures.operational_region import compute, draw, plot_operational_region


def test_operational_region_plot() -> None:
    op = R + np.log2(R + 1) + 5
    fig = plot_operational_region(R, op, CURVES3, frames=[1, 2, 3])
    renders(fig)
    assert fig.axes[0].get_xlim()[1] == pytest.approx(op.max())
    assert all(ax.get_yscale() == "log" for ax in fig.axes)


def test_compute_then_draw_band_edges_are_the_library_rates() -> None:
    """Both curves are in the table (the same distortions at the information rate R and at
    rt.operational_rates(R)), and each shaded band's edges are exactly those rates."""
    data = compute(RunConfig(quick=True))
    t = data.table
    grid = np.asarray(data.params["rate_grid"], dtype=float)
    op = np.asarray(rt.operational_rates(grid), dtype=float)
    for plf in SERIES:
        for frame in (1, 2, 3):
            info = t.array(series=f"{plf}:information", frame=frame)
            shot = t.array(series=f"{plf}:one-shot", frame=frame)
            np.testing.assert_array_equal(info, shot)
            assert np.all(info > 0)  # drawable on the log axis
            np.testing.assert_array_equal(
                t.select("x", series=f"{plf}:information", frame=frame), grid)
            np.testing.assert_array_equal(
                t.select("x", series=f"{plf}:one-shot", frame=frame), op)
    fig = draw(data)
    renders(fig)
    assert len(fig.axes) == 3
    for col, ax in enumerate(fig.axes):
        assert ax.get_yscale() == "log"
        bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert len(bands) == len(SERIES)
        for band, plf in zip(bands, reversed(SERIES)):  # drawn last series first
            d = t.array(series=f"{plf}:information", frame=col + 1)
            verts = np.concatenate([p.vertices for p in band.get_paths()])
            # every vertex is (information rate or one-shot rate, a plotted distortion)
            xs = verts[:, 0]
            assert np.all(np.isclose(xs[:, None], np.concatenate([grid, op])[None, :],
                                     rtol=0, atol=1e-12).any(axis=1))
            assert np.all(np.isclose(verts[:, 1][:, None], d[None, :], rtol=1e-12).any(axis=1))
            assert xs.min() == pytest.approx(grid.min()) and xs.max() == pytest.approx(op.max())

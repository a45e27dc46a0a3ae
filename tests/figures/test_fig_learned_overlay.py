"""Tests of :mod:`figures.learned_overlay`."""

from __future__ import annotations

from pathlib import Path

from figure_helpers import CURVES3, R, renders

from figures._common import RunConfig
from figures.learned_overlay import BOUNDS, compute, plot_learned_overlay


def test_learned_overlay_plot() -> None:
    pts = [{"frame": 1, "rate": 1.0, "distortion": 0.5, "plf": "jd", "variant": "universal"},
           {"frame": 2, "rate": 4.5, "distortion": 0.3, "plf": "other", "variant": "end_to_end"}]
    bounds = {p: CURVES3[p][:, :2] for p in BOUNDS}
    fig = plot_learned_overlay(R, bounds, pts, frames=[1, 2])
    renders(fig)
    assert fig.axes[1].get_xlim()[1] >= 4.5


def test_no_results_means_nothing_to_draw(tmp_path: Path) -> None:
    assert compute(RunConfig(quick=True, learned_dir=tmp_path / "absent")) is None

"""Tests of :mod:`figures.error_permanence`."""

from __future__ import annotations

import numpy as np
from figure_helpers import R, renders

from figures._common import RunConfig
from figures.error_permanence import compute, draw, plot_error_permanence


def test_error_permanence_plot() -> None:
    fam = {"R1 = 0": np.linspace(2, 1.2, 7), "R1 = 1": np.linspace(1, 0.1, 7)}
    renders(plot_error_permanence(R, {"jd": fam, "fmd": fam}, 1.128, title="t"))


def test_compute_then_draw() -> None:
    """Closed forms only (fast): two panels, one curve per first-frame rate, and the limit."""
    data = compute(RunConfig(quick=True))
    assert len(data.table.array(quantity="D_limit")) == 1
    fig = draw(data)
    renders(fig)
    assert len(fig.axes) == 2
    assert len(fig.axes[0].get_legend().get_texts()) == len(data.params["first_rates"])

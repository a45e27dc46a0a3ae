"""Tests of :mod:`figures.operational_region`."""

from __future__ import annotations

import numpy as np
import pytest
from figure_helpers import CURVES3, R, renders

from figures.operational_region import plot_operational_region


def test_operational_region_plot() -> None:
    op = R + np.log2(R + 1) + 5
    fig = plot_operational_region(R, op, CURVES3, frames=[1, 2, 3])
    renders(fig)
    assert fig.axes[0].get_xlim()[1] == pytest.approx(op.max())

"""Tests of :mod:`figures._plot`'s helpers that the figure tests do not reach."""

from __future__ import annotations

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from figures._plot import plain_log_labels


def _labels(low: float, high: float, axis: str = "y") -> list[str]:
    fig = Figure()
    ax = fig.subplots()
    data = ([0.0, 1.0], [low, high]) if axis == "y" else ([low, high], [0.0, 1.0])
    ax.plot(*data)
    ax.set_yscale("log") if axis == "y" else ax.set_xscale("log")
    plain_log_labels(ax, axis)
    FigureCanvasAgg(fig).draw()
    ticks = ax.yaxis if axis == "y" else ax.xaxis
    return [t.get_text() for t in ticks.get_ticklabels() + ticks.get_ticklabels(minor=True) if t.get_text()]


@pytest.mark.parametrize("axis", ["x", "y"])
def test_a_log_axis_within_a_decade_gets_plain_labels(axis: str) -> None:
    """Between 0.95 and 1.9 matplotlib labels 1.2, 1.4, ... and wrote them as 1.2 x 10^0
    (the learned overlay's frame-1 panel at R_1 = epsilon): now as plain numbers."""
    labels = _labels(0.95, 1.9, axis)
    assert {"1", "1.2", "1.4", "1.6", "1.8"} <= set(labels)
    assert not any("times" in label for label in labels)


def test_a_wider_log_axis_keeps_powers_of_ten() -> None:
    labels = _labels(1e-3, 2.0)
    assert labels and all("10^" in label for label in labels)  # mathtext 10^{k}, no mantissas

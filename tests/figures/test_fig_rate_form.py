"""Tests of :mod:`figures.rate_form`."""

from __future__ import annotations

import numpy as np
from figure_helpers import renders

from figures._common import RunConfig
from figures.rate_form import LEVELS, SERIES, compute, draw, plot_rate_form


def test_plot() -> None:
    d = np.geomspace(0.05, 0.5, 4)
    renders(plot_rate_form(d, {"P=0": {"mse": -np.log2(d), "jd": 0.2 - np.log2(d)}}))


def test_compute_then_draw() -> None:
    """Every series falls as the target loosens, every PLF costs at least MSE only, and JD/SA
    at least FMD (their constraints imply FMD's)."""
    data = compute(RunConfig(quick=True))
    t = data.table
    for level in LEVELS:
        panel = f"P={level:g}"
        r = {s: t.array(panel=panel, series=s, quantity="R_total") for s in SERIES}
        for s in SERIES:
            assert np.all(np.diff(r[s]) < 0)
            assert np.all(r[s] >= r["mse"] - 1e-6)
        for s in ("jd", "sa"):
            assert np.all(r[s] >= r["fmd"] - 1e-6)
    fig = draw(data)
    renders(fig)
    assert len(fig.axes) == len(LEVELS)

"""Tests of :mod:`figures.common_randomness`."""

from __future__ import annotations

import math

import numpy as np
import pytest
from figure_helpers import R, renders

import rdp_theory as rt
from figures._common import RunConfig
from figures.common_randomness import COMMON_RATES, LEVELS, compute, draw, plot_common_randomness


def test_common_randomness_plot(user_axes) -> None:  # type: ignore[no-untyped-def]
    fam = {"R_c=0": 2 * np.exp2(-2 * R), "R_c=inf": np.exp2(-2 * R) * 1.2}
    renders(plot_common_randomness(R, fam, {"P=0": np.linspace(1, 2, 7)}, mse=np.exp2(-2 * R), title="t"))
    fig = plot_common_randomness(R, fam, {"P=0": np.linspace(1, 2, 7)}, axes=user_axes(2))
    renders(fig)


def test_compute_then_draw() -> None:
    """Closed forms only: one curve per R_c and per level; the price is 1 at R = 0, tends to 2
    at P = 0 and is 1 at high rate for P = 0.1 (where the MSE estimate already meets the level)."""
    data = compute(RunConfig(quick=True))
    t = data.table
    assert len(set(t.select("series", panel="a"))) == len(COMMON_RATES) + 1  # + MSE only
    assert len(set(t.select("series", panel="b"))) == len(LEVELS)
    price0 = t.array(panel="b", series="P=0.0")
    assert price0[0] == pytest.approx(1.0) and price0[-1] == pytest.approx(2.0, abs=1e-3)
    assert t.array(panel="b", series="P=0.1")[-1] == pytest.approx(1.0)
    xs = np.asarray(t.select("x", panel="a", series="R_c=inf"), dtype=float)
    np.testing.assert_allclose(t.array(panel="a", series="R_c=inf"), rt.gaussian_rdp(1.0, xs, 0.0), rtol=1e-12)
    fig = draw(data)
    renders(fig)
    assert len(fig.axes) == 2
    assert math.isinf(COMMON_RATES[-1])

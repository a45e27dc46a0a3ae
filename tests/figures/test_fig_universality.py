"""Tests of :mod:`figures.universality`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
from figure_helpers import R, renders
from matplotlib.axes import Axes

import rdp_theory as rt
from figures._common import DEFAULT_SOURCE, RunConfig
from figures.universality import (
    UNIVERSALITY_WEIGHTS,
    compute,
    draw,
    gap_ratio,
    objective_accuracy,
    plot_universality,
)
from rdp_theory.convex import ACCURACY
from rdp_theory.perception import PLF_NAMES


def _threshold_lines(ax: Axes) -> list[object]:
    """Horizontal lines of ``ax`` drawn at y = 1 (the certified-accuracy threshold)."""
    ys = [np.asarray(ln.get_ydata(), dtype=float) for ln in ax.get_lines()]
    return [ln for ln, y in zip(ax.get_lines(), ys) if y.size == 2 and np.all(y == 1.0)]


def test_universality_plot_handles_zero_and_negative_gaps() -> None:
    d = {p: np.exp2(-2 * R) for p in PLF_NAMES}
    gap = {p: np.array([0.0, -1e-15, 1e-6, 1e-3, 0.0, 0.0, 0.0]) for p in d}
    fig = plot_universality(R, d, d, gap, 1e-6)
    renders(fig)
    ax = fig.axes[1]
    assert ax.get_yscale() == "log"
    assert len(_threshold_lines(ax)) == 1
    # a gap above the tolerance is drawn above the line, inside the axes
    lo, hi = ax.get_ylim()
    assert lo < 1e-9 and hi > 1e3


def test_draws_into_user_axes(user_axes: Callable[[int], list[Axes]]) -> None:
    d = {p: np.exp2(-2 * R) for p in PLF_NAMES}
    axes = user_axes(2)
    fig = plot_universality(R, d, d, {p: np.zeros(7) for p in d}, 1e-6, axes=axes)
    assert fig is axes[0].get_figure()
    assert axes[1].get_yscale() == "log"


def test_objective_accuracy_is_the_certified_one_or_looser() -> None:
    """A certified solve gets ACCURACY * max sigma^2 * sum|w|; a looser certificate widens it."""
    src = DEFAULT_SOURCE
    w = np.asarray(UNIVERSALITY_WEIGHTS)
    sol = rt.solve_rdp(src, (1.0, 1.0, 1.0), 0.05, plf="jd", objective=w)
    base = ACCURACY * float(np.max(src.variances)) * float(np.sum(w))
    assert objective_accuracy(sol.certificate, w, float(np.max(src.variances))) == base
    loose = dataclasses.replace(sol.certificate, duality_gap=1e-3)
    assert objective_accuracy(loose, w, 1.0) == 1e-3
    loose = dataclasses.replace(sol.certificate, primal_residual=1e-4)
    assert objective_accuracy(loose, w, 1.0) == pytest.approx(3e-4)


def test_compute_then_draw_every_gap_within_the_certified_accuracy() -> None:
    """The theorem (gap = 0) as measured: every |gap| lies below the certified accuracy of the
    two solves, the table's gap is the difference of its two distortions, and the right panel
    draws exactly the table's ratios."""
    data = compute(RunConfig(quick=True))
    t = data.table
    floor = 2 * ACCURACY * float(np.max(DEFAULT_SOURCE.variances)) * sum(UNIVERSALITY_WEIGHTS)
    drawn_expected: list[float] = []
    for plf in PLF_NAMES:
        gap = t.array(series=f"{plf}:gap")
        tol = t.array(series=f"{plf}:tolerance")
        ratio = t.array(series=f"{plf}:gap_ratio")
        assert gap.size == 2
        np.testing.assert_array_equal(gap, t.array(series=f"{plf}:mse")
                                      - t.array(series=f"{plf}:optimal"))
        assert np.all(tol >= floor)
        np.testing.assert_array_equal(ratio, gap_ratio(gap, tol))
        assert np.all(ratio < 1.0), (plf, ratio)
        drawn_expected.extend(ratio[ratio > 0])
    fig = draw(data)
    renders(fig)
    ax = fig.axes[1]
    assert len(_threshold_lines(ax)) == 1
    drawn = np.concatenate([np.asarray(ln.get_ydata(), dtype=float) for ln in ax.get_lines()
                            if ln.get_linestyle() == "None"])
    lo = ax.get_ylim()[0]
    assert sorted(drawn[drawn > lo]) == pytest.approx(sorted(drawn_expected), rel=1e-12)
    assert np.all(drawn < 1.0)
    assert "below 1" in data.caption

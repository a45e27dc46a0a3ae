"""Tests of :mod:`rdp_theory.plotting`: every function draws given data and returns a Figure."""

from __future__ import annotations

import io
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from rdp_theory import plotting as rp

R = np.linspace(0.0, 3.0, 7)
CURVES3 = {plf: np.column_stack([np.exp2(-2 * R) * (k + 1) / 4] * 3)
           for k, plf in enumerate(("jd", "fmd", "sa", "mse"))}


def _renders(fig: Figure) -> None:
    """The figure has axes and renders to PNG without error (layout engine included)."""
    assert isinstance(fig, Figure)
    assert fig.axes
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50)
    assert buf.getvalue()[:4] == b"\x89PNG"


def test_importing_rdp_theory_does_not_import_matplotlib() -> None:
    """``import rdp_theory`` never imports matplotlib (plotting is opt-in)."""
    code = "import sys, rdp_theory; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=120, check=False).returncode == 0


def test_plf_styles_are_distinct_and_fixed() -> None:
    """Each PLF has its own colour, line style and marker."""
    styles = [rp.plf_style(p) for p in ("jd", "fmd", "sa", "mse")]
    for attr in ("color", "linestyle", "marker", "label"):
        assert len({getattr(s, attr) for s in styles}) == 4, attr
    assert rp.plf_style("JD") is rp.PLF_STYLES["jd"]
    with pytest.raises(ValueError, match="jd"):
        rp.plf_style("nope")


def test_rate_distortion_uses_plf_styles() -> None:
    """Lines carry the fixed PLF colour; axes are labelled with units; the y axis starts at 0."""
    fig = rp.plot_rate_distortion(R, CURVES3, frames=[1, 2, 3], title="t")
    _renders(fig)
    ax = fig.axes[0]
    colors = {matplotlib.colors.to_hex(ln.get_color()) for ln in ax.get_lines()}
    assert {rp.PLF_STYLES[p].color.lower() for p in CURVES3} <= colors
    assert "MSE" in ax.get_ylabel()
    assert "bits/sample" in ax.get_xlabel()
    assert ax.get_ylim()[0] == 0.0
    assert ax.get_ylim()[1] >= max(float(np.max(v)) for v in CURVES3.values())


def test_error_permanence_plot() -> None:
    fam = {"R1 = 0": np.linspace(2, 1.2, 7), "R1 = 1": np.linspace(1, 0.1, 7)}
    _renders(rp.plot_error_permanence(R, {"jd": fam, "fmd": fam}, 1.128, title="t"))


def test_temporal_correlation_plot() -> None:
    corr = {p: np.full((7, 2), 0.8) for p in ("jd", "fmd", "sa", "mse")}
    _renders(rp.plot_temporal_correlation(R, corr, 0.9, pairs=[(1, 2), (2, 3)]))


def test_universality_plot_handles_zero_and_negative_gaps() -> None:
    d = {p: np.exp2(-2 * R) for p in ("jd", "fmd", "sa")}
    gap = {p: np.array([0.0, -1e-15, 1e-6, 1e-3, 0.0, 0.0, 0.0]) for p in d}
    fig = rp.plot_universality(R, d, d, gap)
    _renders(fig)
    assert fig.axes[1].get_yscale() == "log"


def test_distortion_perception_plot() -> None:
    P = np.array([0.0, 1e-3, 1e-2, 1e-1, 1.0])
    panels = {"R = 1": {p: np.linspace(0.5, 0.2, 5) for p in ("jd", "fmd", "sa")}}
    fig = rp.plot_distortion_perception(P, panels, {"R = 1": 0.2})
    _renders(fig)
    assert fig.axes[0].get_xscale() == "symlog"


def test_pareto_plot() -> None:
    fig = rp.plot_pareto((np.linspace(0.7, 0.9, 5), np.linspace(0.57, 0.52, 5)), (0.76, 0.574),
                         R, np.linspace(0.52, 0.6, 7), np.linspace(0.52, 0.51, 7))
    _renders(fig)
    assert len(fig.axes) == 2


def test_operational_region_plot() -> None:
    op = R + np.log2(R + 1) + 5
    fig = rp.plot_operational_region(R, op, CURVES3, frames=[1, 2, 3])
    _renders(fig)
    assert fig.axes[0].get_xlim()[1] == pytest.approx(op.max())


def test_learned_overlay_plot() -> None:
    pts = [{"frame": 1, "rate": 1.0, "distortion": 0.5, "plf": "jd", "variant": "universal"},
           {"frame": 2, "rate": 4.5, "distortion": 0.3, "plf": "other", "variant": "end_to_end"}]
    bounds = {p: CURVES3[p][:, :2] for p in ("jd", "fmd", "mse")}
    fig = rp.plot_learned_overlay(R, bounds, pts, frames=[1, 2])
    _renders(fig)
    assert fig.axes[1].get_xlim()[1] >= 4.5


def test_plot_functions_leave_global_rcparams_alone() -> None:
    """Styles apply inside the plot call only."""
    before = matplotlib.rcParams["font.size"]
    rp.plot_rate_distortion(R, CURVES3, frames=[1, 2, 3])
    assert matplotlib.rcParams["font.size"] == before

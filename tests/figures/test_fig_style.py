"""Tests of :mod:`figures._style`: one fixed look per PLF, from the core registry."""

from __future__ import annotations

import matplotlib
import pytest
from figure_helpers import CURVES3, R

from figures import _style as st
from figures.rd_low_first_rate import plot_rate_distortion
from rdp_theory.perception import PLF_NAMES, PLFS


def test_plf_styles_are_distinct_and_fixed() -> None:
    """Each PLF has its own colour, line style and marker."""
    styles = [st.plf_style(p) for p in st.SERIES]
    for attr in ("color", "linestyle", "marker", "label"):
        assert len({getattr(s, attr) for s in styles}) == len(st.SERIES), attr
    assert st.plf_style("JD") is st.PLF_STYLES["jd"]
    with pytest.raises(ValueError, match="jd"):
        st.plf_style("nope")


def test_styles_follow_the_registry() -> None:
    """The PLFs, their order and their labels are the core registry's; MSE only comes last."""
    assert st.SERIES == (*PLF_NAMES, st.MSE)
    assert tuple(st.PLF_STYLES) == st.SERIES
    for name in PLF_NAMES:
        assert st.PLF_STYLES[name].label == PLFS[name].label
    assert st.PLF_STYLES[st.MSE] is st.MSE_STYLE


def test_plot_functions_leave_global_rcparams_alone() -> None:
    """Styles apply inside the plot call only."""
    before = matplotlib.rcParams["font.size"]
    plot_rate_distortion(R, CURVES3, frames=[1, 2, 3])
    assert matplotlib.rcParams["font.size"] == before


def test_shade_mixes_with_white() -> None:
    assert st.shade("#000000", 0.0) == (0.0, 0.0, 0.0)
    assert st.shade("#000000", 1.0) == (1.0, 1.0, 1.0)
    assert st.shade("#000000", 2.0) == (1.0, 1.0, 1.0)

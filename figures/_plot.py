"""Drawing helpers shared by the figure modules: panels, PLF lines, one legend below the panels.

Every ``plot_*`` function of a figure module takes ``axes=None``: by default it makes its own
:class:`~matplotlib.figure.Figure` (sized in inches, ``constrained_layout``, the title on top and
one legend below the panels); given a user's axes (one per panel) it draws into them instead and
leaves the title to the user, putting the legend inside the first panel.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.ticker import FuncFormatter
from numpy.typing import ArrayLike, NDArray

from ._style import COLUMN_WIDTH, PAGE_WIDTH, plf_style

__all__ = ["Panels", "as_2d", "make_panels", "markevery", "plain_log_labels", "plot_plf"]

FloatArray = NDArray[np.float64]


@dataclass
class Panels:
    """The axes a plot function draws into and whether it made their figure.

    Attributes
    ----------
    figure : Figure
        The figure of the axes (a plot function returns it).
    axes : list of Axes
        One per panel.
    owned : bool
        True when the plot function made ``figure`` (it then sets the title and a figure legend).
    """

    figure: Figure
    axes: list[Axes]
    owned: bool

    def finish(self, title: str | None, handles: Sequence[Artist] | None = None,
               labels: Sequence[str] | None = None, ncols: int | None = None) -> Figure:
        """Title and legend (see the module docstring); returns :attr:`figure`."""
        if self.owned:
            if title:
                self.figure.suptitle(title)
            _legend_below(self.figure, handles, labels, ncols)
        elif handles is not None and labels is not None:
            self.axes[0].legend(handles, labels)
        elif any(not lab.startswith("_") for lab in self.axes[0].get_legend_handles_labels()[1]):
            self.axes[0].legend()
        return self.figure


def make_panels(n: int, axes: Sequence[Axes] | Axes | None = None, *, height: float,
           sharey: bool = False) -> Panels:
    """``n`` panels in a row: new ones (column width for one panel, page width otherwise), or the
    given ``axes``.

    Raises
    ------
    ValueError
        If ``axes`` does not hold exactly ``n`` axes.
    """
    if axes is None:
        width = COLUMN_WIDTH if n == 1 else PAGE_WIDTH
        fig = Figure(figsize=(width, height), layout="constrained")
        grid = fig.subplots(1, n, sharey=sharey, squeeze=False)
        return Panels(fig, [ax for row in grid for ax in row], owned=True)
    given = [axes] if isinstance(axes, Axes) else list(axes)
    if len(given) != n:
        raise ValueError(f"axes must hold {n} axes (one per panel), got {len(given)}")
    parent: Figure | SubFigure | None = given[0].get_figure()
    while isinstance(parent, SubFigure):
        parent = parent.get_figure()
    assert isinstance(parent, Figure)
    return Panels(parent, given, owned=False)


def _legend_below(fig: Figure, handles: Sequence[Artist] | None = None,
                  labels: Sequence[str] | None = None, ncols: int | None = None) -> None:
    """One legend for the whole figure, outside and below the panels (never over data)."""
    if handles is None or labels is None:
        seen: dict[str, Artist] = {}
        for ax in fig.axes:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if not lab.startswith("_") and lab not in seen:
                    seen[lab] = h
        labels = list(seen)
        handles = list(seen.values())
    if not labels:
        return
    n = ncols if ncols is not None else min(len(labels), 4)
    fig.legend(handles, labels, loc="outside lower center", ncols=n)


def as_2d(values: ArrayLike) -> FloatArray:
    """``values`` as a float array with one column per panel (a 1-D input is one column)."""
    arr = np.asarray(values, dtype=np.float64)
    return arr[:, None] if arr.ndim == 1 else arr


def plot_plf(ax: Axes, x: ArrayLike, y: ArrayLike, plf: str, *, label: bool | str = True,
             markevery: int | tuple[int, int] | None = None, **overrides: object) -> None:
    """One line in the fixed style of ``plf``; ``label`` False hides it from the legend."""
    kw = plf_style(plf).kwargs()
    if isinstance(label, str):
        kw["label"] = label
    elif not label:
        kw["label"] = "_nolegend_"
    if markevery is not None:
        kw["markevery"] = markevery
    kw.update(overrides)
    ax.plot(np.asarray(x, dtype=float), np.asarray(y, dtype=float), **kw)  # type: ignore[arg-type]


def markevery(n: int) -> int:
    """Marker spacing giving about eight markers on a line of ``n`` points."""
    return max(1, math.ceil(n / 8))


def plain_log_labels(ax: Axes, axis: str = "y") -> None:
    """Plain tick labels (0.8, 1.2, 1.4) on a log axis of ``ax`` that spans less than a decade.

    Call it after the panel's data are drawn. On such an axis matplotlib labels the ticks
    between powers of ten, and writes them as :math:`1.2\\times10^{0}`; on a wider one it
    labels only the powers (:math:`10^{-1}`) and is left alone.
    """
    ax_axis = ax.yaxis if axis == "y" else ax.xaxis
    lo, hi = sorted(ax.get_ylim() if axis == "y" else ax.get_xlim())
    if ax_axis.get_scale() != "log" or not 0.0 < lo or hi >= 10.0 * lo:
        return
    plain = FuncFormatter(lambda value, _pos: f"{value:.3g}")
    ax_axis.set_major_formatter(plain)
    ax_axis.set_minor_formatter(plain)

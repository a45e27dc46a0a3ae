"""The one drawing style of every figure: PLF colours, line styles and markers, sizes, rc values.

Each perception loss function (PLF) has one fixed colour, line style and marker in every figure
(:data:`PLF_STYLES`, Okabe-Ito colour-blind-safe palette). The PLFs, their order and their legend
labels come from the core registry (:data:`rdp_theory.perception.PLF_NAMES`,
``PLFS[name].label``); the palette is assigned in registry order (a new PLF without an entry of
:data:`_PALETTE` is an import error, not a silent duplicate). The "MSE only" series (no
perception constraint) is a figure concern, not a PLF: its style is :data:`MSE_STYLE`, under the
key :data:`MSE`.

Axes carry units, legends sit outside the data area, layouts use ``constrained_layout`` and sizes
are in real inches (:data:`COLUMN_WIDTH`, :data:`PAGE_WIDTH`) with 8 pt text, so figures stay
legible at column width without rescaling.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, cast

import matplotlib as mpl
import numpy as np
from matplotlib.colors import to_rgb

from rdp_theory.perception import PLF_NAMES, PLFS

__all__ = [
    "COLUMN_WIDTH",
    "DISTORTION_LABEL",
    "MSE",
    "MSE_STYLE",
    "PAGE_WIDTH",
    "PERCEPTION_LABEL",
    "PLF_STYLES",
    "RATE_LABEL",
    "REFERENCE_COLOR",
    "SERIES",
    "PLFStyle",
    "plf_style",
    "shade",
    "style_context",
    "styled",
]

#: Width of one column of a two-column paper, inches.
COLUMN_WIDTH: float = 3.4
#: Width of a full page (both columns), inches.
PAGE_WIDTH: float = 7.0

RATE_LABEL = "rate $R_j$ (bits/sample)"
DISTORTION_LABEL = "distortion $D_j$ (MSE)"
PERCEPTION_LABEL = "perception $P$ (W$_2^2$)"

#: Key of the "MSE only" series (every PLF at ``P = inf``).
MSE = "mse"


@dataclass(frozen=True)
class PLFStyle:
    """How one perception loss function is drawn, identical in every figure.

    Attributes
    ----------
    label : str
        Legend text.
    color : str
        Matplotlib colour (hex).
    linestyle : str
        Matplotlib line style.
    marker : str
        Matplotlib marker.
    """

    label: str
    color: str
    linestyle: str
    marker: str

    def kwargs(self) -> dict[str, object]:
        """Keyword arguments for :meth:`matplotlib.axes.Axes.plot`."""
        return {
            "color": self.color,
            "linestyle": self.linestyle,
            "marker": self.marker,
            "label": self.label,
        }


#: (colour, line style, marker) given to the registry's PLFs in registry order: blue solid
#: circles, orange dashed squares, green dash-dot triangles. A new PLF needs one more entry.
_PALETTE: tuple[tuple[str, str, str], ...] = (
    ("#0072B2", "-", "o"),
    ("#D55E00", "--", "s"),
    ("#009E73", "-.", "^"),
)
if len(PLF_NAMES) > len(_PALETTE):  # pragma: no cover - a new PLF needs a new look
    raise ImportError(f"figures._style: {len(PLF_NAMES)} PLFs but {len(_PALETTE)} styles; "
                      "add one to _PALETTE")

#: The style of the "MSE only" series.
MSE_STYLE = PLFStyle("MSE only", "#404040", ":", "D")

#: Fixed style per series key: the registry's PLFs in registry order, then :data:`MSE`.
PLF_STYLES: Mapping[str, PLFStyle] = {
    **{name: PLFStyle(PLFS[name].label, *look) for name, look in zip(PLF_NAMES, _PALETTE)},
    MSE: MSE_STYLE,
}

#: Every series key a figure may draw, in legend order: the PLFs, then MSE only.
SERIES: tuple[str, ...] = (*PLF_NAMES, MSE)

#: Colour of reference lines (asymptotes, source correlation), never used for a PLF.
REFERENCE_COLOR = "#7F7F7F"

_RC: dict[str, object] = {
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "figure.titlesize": 8.5,
    "lines.linewidth": 1.3,
    "lines.markersize": 3.5,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "savefig.dpi": 200,
    "figure.dpi": 100,
    "pdf.fonttype": 42,
    "mathtext.default": "regular",
}


def plf_style(plf: str) -> PLFStyle:
    """The fixed :class:`PLFStyle` of ``plf``.

    Parameters
    ----------
    plf : str
        A key of :data:`PLF_STYLES` (a registry PLF name or ``"mse"``), case-insensitive.

    Returns
    -------
    PLFStyle

    Raises
    ------
    ValueError
        For an unknown key; the message lists the valid ones.
    """
    key = str(plf).lower()
    if key not in PLF_STYLES:
        raise ValueError(f"plf must be one of {sorted(PLF_STYLES)}, got {plf!r}")
    return PLF_STYLES[key]


@contextlib.contextmanager
def style_context() -> Iterator[None]:
    """Context manager applying the figures' rc parameters (font sizes, grid, spines)."""
    with mpl.rc_context(cast(Any, _RC)):
        yield


def shade(color: str, amount: float) -> tuple[float, float, float]:
    """Mix ``color`` with white: ``amount = 0`` keeps it, ``amount = 1`` gives white.

    Parameters
    ----------
    color : str
        Any matplotlib colour.
    amount : float
        Fraction of white in ``[0, 1]``.

    Returns
    -------
    tuple of float
        RGB triple.
    """
    rgb = np.asarray(to_rgb(color))
    mixed = rgb + (1.0 - rgb) * float(np.clip(amount, 0.0, 1.0))
    return (float(mixed[0]), float(mixed[1]), float(mixed[2]))


_P = ParamSpec("_P")
_R = TypeVar("_R")


def styled(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a plot function inside :func:`style_context` (rc values are read when artists are
    made, so the global rc parameters are left alone)."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with style_context():
            return func(*args, **kwargs)

    return wrapper

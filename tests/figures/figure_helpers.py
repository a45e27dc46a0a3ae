"""Synthetic data and a render check shared by the figure tests."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure

from figures._style import SERIES

#: A rate grid of 7 points.
R = np.linspace(0.0, 3.0, 7)
#: Synthetic distortions for every series key, shape (7, 3) (3 frames).
CURVES3 = {plf: np.column_stack([np.exp2(-2 * R) * (k + 1) / 4] * 3)
           for k, plf in enumerate(SERIES)}


def renders(fig: Figure) -> None:
    """The figure has axes and renders to PNG without error (layout engine included)."""
    assert isinstance(fig, Figure)
    assert fig.axes
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50)
    assert buf.getvalue()[:4] == b"\x89PNG"

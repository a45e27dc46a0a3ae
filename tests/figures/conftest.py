"""Figure tests: the repository root on ``sys.path`` (``figures`` is not an installed package),
the Agg backend, and a fixture for drawing into a user's own axes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.fixture
def user_axes() -> Callable[[int], list[Axes]]:
    """``user_axes(n)``: ``n`` axes in a row of a fresh figure the user made."""

    def make(n: int) -> list[Axes]:
        fig = Figure(figsize=(6, 2))
        return list(fig.subplots(1, n, squeeze=False)[0])

    return make

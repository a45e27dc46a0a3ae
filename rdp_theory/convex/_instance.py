"""One problem instance of the convex program, frozen, travelling down the solver's floors.

It replaces the bundle ``source, rates, perception, plf, representation, weights, caps,
maximize`` that every level used to pass on argument by argument. Solver *strategy* (which
attempts, which constraint pattern, coupling generation) stays in explicit arguments: it is how
an instance is solved, not what is solved.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from ..perception import PerceptionLoss
from ..source import GaussMarkovSource

__all__ = ["Instance"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Instance:
    """``min`` (or ``max``) ``weights @ D`` over the schemes meeting the rates, the perception
    levels and the distortion caps, arrays validated and of shape (T,).

    Attributes
    ----------
    source : GaussMarkovSource
    rates : ndarray
        Rate budgets (bits per sample), ``inf`` allowed.
    perception : ndarray
        Perception levels under ``plf`` (``inf``: none).
    plf : PerceptionLoss
    representation : {"optimal", "mse"}
    weights : ndarray
        Objective weights on the distortions in the source's units.
    caps : ndarray
        Distortion caps ``D_k <= caps_k`` (``inf``: none).
    rate_form : bool
        Minimise the total rate instead (every rate budget infinite; ``weights`` unused): the
        rate form of :mod:`rdp_theory.convex.rate`.
    measure : {"w2", "kl"}
        What the perception levels measure (:data:`rdp_theory.perception.MEASURES`), checked by
        :func:`rdp_theory.perception.check_measure`.
    kl_direction : {"xhat||x", "x||xhat"} or None
        The order of the KL divergence (``None`` for ``"w2"``).
    """

    source: GaussMarkovSource
    rates: FloatArray
    perception: FloatArray
    plf: PerceptionLoss
    representation: str
    weights: FloatArray
    caps: FloatArray
    rate_form: bool = False
    measure: str = "w2"
    kl_direction: str | None = None

    @property
    def T(self) -> int:
        return self.source.T

    @property
    def scale(self) -> float:
        """The largest frame variance: the unit of the certificate's relative accuracy."""
        return float(self.source.variances.max())

    def objective(self, weights: FloatArray, caps: FloatArray) -> Instance:
        """The same constraints with another objective and other caps."""
        return replace(self, weights=weights, caps=caps)

    def with_perception(self, perception: FloatArray) -> Instance:
        """The same instance with other perception levels (a relaxation when some are ``inf``)."""
        return replace(self, perception=perception)

    def with_representation(self, representation: str) -> Instance:
        return replace(self, representation=representation)

r"""Universality of the MSE representation (THEORY.md sections 3 and 5).

Question: an encoder trained for MSE alone produces the greedy representation
(:func:`rdp_theory.greedy_representation`). With only the decoder re-optimised for a PLF, how much
distortion is lost against the jointly optimal scheme? Fixing :math:`q` at its greedy maximum in
the SDP and optimising only the decoder answers this exactly:

.. math::

    \text{gap}_k = D_k^{\text{MSE rep}} - D_k^{\star} .

For a weighted objective :math:`\sum_k w_k D_k` the weighted gap is :math:`\ge 0` (the MSE
representation is one feasible choice). Per-frame gaps of a lexicographic optimum are
:math:`\ge 0` for the first frame where they differ, but later frames may go either way.

What is proved (docs/theory.md): the gap is exactly 0 for a single frame (any P), for PLF-FMD
(any P, any T, any objective) and for lexicographic 0-PLF-JD. Elsewhere it is measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, check_positive_int
from .convex import Objective, RDPSolution, solve_rdp
from .exceptions import InvalidParameterError
from .source import GaussMarkovSource, check_source

__all__ = ["UniversalityResult", "universality_gap", "universality_sweep", "UniversalitySweep"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class UniversalityResult:
    """Joint optimum against MSE representation + best decoder, at one operating point.

    Attributes
    ----------
    optimal : RDPSolution
        Representation and decoder optimised jointly.
    mse_representation : RDPSolution
        Greedy MSE representation, decoder optimised.
    """

    optimal: RDPSolution
    mse_representation: RDPSolution

    @property
    def gap(self) -> FloatArray:
        """Per-frame distortion gap :math:`D^{\\text{MSE rep}} - D^\\star`, shape (T,)."""
        return self.mse_representation.distortions - self.optimal.distortions

    @property
    def relative_gap(self) -> FloatArray:
        """Per-frame gap divided by the optimal distortion, shape (T,) (0 where D* = 0)."""
        d = self.optimal.distortions
        return np.divide(self.gap, d, out=np.zeros_like(d), where=d > 0)

    @property
    def objective_gap(self) -> float:
        """Gap in the optimised objective (weighted sum; :math:`D_T` for lexicographic)."""
        return self.mse_representation.objective_value - self.optimal.objective_value


def universality_gap(
    source: GaussMarkovSource,
    rates: ArrayLike,
    perception: ArrayLike,
    plf: str = "jd",
    objective: Objective = "lexicographic",
) -> UniversalityResult:
    """Solve the RDP program twice: with the optimal and with the MSE representation.

    Parameters are those of :func:`rdp_theory.solve_rdp`. Returns a :class:`UniversalityResult`.
    Both solves run the program (``method="sdp"``), also where a closed form is known: the gap
    is a measurement of the theorem (docs/theory.md, section 6), not an assumption of it.
    """
    opt = solve_rdp(source, rates, perception, plf=plf, objective=objective, method="sdp")
    mse = solve_rdp(
        source, rates, perception, plf=plf, objective=objective, representation="mse", method="sdp"
    )
    return UniversalityResult(optimal=opt, mse_representation=mse)


@dataclass(frozen=True)
class UniversalitySweep:
    """Gaps over a grid of operating points (arrays of shape (K, T)).

    Attributes
    ----------
    rates, perception : ndarray, shape (K, T)
    optimal, mse_representation : ndarray, shape (K, T)
        Distortions of the two schemes.
    objective_gap : ndarray, shape (K,)
    """

    plf: str
    objective: str | tuple[float, ...]
    rates: FloatArray
    perception: FloatArray
    optimal: FloatArray
    mse_representation: FloatArray
    objective_gap: FloatArray

    @property
    def gap(self) -> FloatArray:
        return self.mse_representation - self.optimal

    @property
    def max_relative_objective_gap(self) -> float:
        """Largest objective gap relative to the optimal objective over the sweep."""
        return float(np.max(self.objective_gap / np.maximum(self._objective_opt, 1e-300)))

    @property
    def _objective_opt(self) -> FloatArray:
        if isinstance(self.objective, str):
            return self.optimal[:, -1]
        return self.optimal @ np.asarray(self.objective)


def universality_sweep(
    source: GaussMarkovSource,
    rates: ArrayLike,
    perception: ArrayLike,
    plf: str = "jd",
    objective: Objective = "lexicographic",
    *,
    n_jobs: int = 1,
) -> UniversalitySweep:
    """:func:`universality_gap` at every row of ``rates`` and ``perception`` (shape (K, T) each,
    or broadcastable to it). ``n_jobs > 1`` spreads the rows over joblib worker processes."""
    T = check_source(source).T
    r = np.atleast_2d(as_float_array(rates, "rates"))
    p = np.atleast_2d(as_float_array(perception, "perception"))
    try:
        r, p = np.broadcast_arrays(r, p)
    except ValueError as exc:
        raise InvalidParameterError(
            f"rates and perception must broadcast to (K, T={T}), got {np.shape(rates)} and "
            f"{np.shape(perception)}"
        ) from exc
    if r.shape[-1] != T:
        raise InvalidParameterError(f"rates must have a last axis of length T = {T}, got {r.shape}")
    n_jobs = check_positive_int(n_jobs, "n_jobs")
    rows: Sequence[tuple[FloatArray, FloatArray, float]]
    if n_jobs == 1:
        rows = [_row(source, r[k], p[k], plf, objective) for k in range(r.shape[0])]
    else:
        from joblib import Parallel, delayed

        rows = Parallel(n_jobs=n_jobs)(
            delayed(_row)(source, r[k], p[k], plf, objective) for k in range(r.shape[0])
        )
    obj = objective if isinstance(objective, str) else tuple(float(x) for x in np.asarray(objective))
    return UniversalitySweep(
        plf=plf,
        objective=obj,
        rates=r.copy(),
        perception=p.copy(),
        optimal=np.array([row[0] for row in rows]),
        mse_representation=np.array([row[1] for row in rows]),
        objective_gap=np.array([row[2] for row in rows]),
    )


def _row(
    source: GaussMarkovSource, r: FloatArray, p: FloatArray, plf: str, objective: Objective
) -> tuple[FloatArray, FloatArray, float]:
    res = universality_gap(source, r, p, plf=plf, objective=objective)
    return res.optimal.distortions, res.mse_representation.distortions, res.objective_gap

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
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, check_positive_int
from .convex import Objective, RDPSolution, solve_rdp
from .exceptions import InvalidParameterError
from .perception import check_measure
from .source import GaussMarkovSource, check_source

if TYPE_CHECKING:
    import pandas

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

    def to_dict(self) -> dict[str, object]:
        """Plain Python values for JSON: both solutions (:meth:`RDPSolution.to_dict`) and the
        gaps."""
        return {
            "optimal": self.optimal.to_dict(),
            "mse_representation": self.mse_representation.to_dict(),
            "gap": self.gap.tolist(),
            "relative_gap": self.relative_gap.tolist(),
            "objective_gap": float(self.objective_gap),
        }

    def to_dataframe(self) -> pandas.DataFrame:
        """One row per frame (needs pandas): ``frame`` (1-based), ``plf``, ``optimal`` and
        ``mse_representation`` (the two distortions), ``gap``, ``relative_gap``.

        Raises
        ------
        MissingDependencyError
            pandas is not installed.
        """
        from ._tables import data_frame

        T = self.optimal.T
        return data_frame({
            "frame": np.arange(1, T + 1), "plf": [self.optimal.plf] * T,
            "optimal": self.optimal.distortions,
            "mse_representation": self.mse_representation.distortions,
            "gap": self.gap, "relative_gap": self.relative_gap,
        })

    def _repr_html_(self) -> str:
        """Both distortions and the gap per frame (for notebooks)."""
        from ._tables import html_table, number

        opt, mse = self.optimal, self.mse_representation
        return html_table(
            f"UniversalityResult: T = {opt.T}, PLF {opt.plf.upper()}; objective gap "
            f"{number(self.objective_gap)} (status {opt.status} / {mse.status})",
            [f"k = {k}" for k in range(1, opt.T + 1)],
            [("optimal D_k", [number(v) for v in opt.distortions]),
             ("MSE representation D_k", [number(v) for v in mse.distortions]),
             ("gap", [number(v) for v in self.gap])],
        )


def universality_gap(
    source: GaussMarkovSource,
    rates: ArrayLike,
    perception: ArrayLike,
    plf: str = "jd",
    objective: Objective = "lexicographic",
    *,
    perception_measure: str = "w2",
    kl_direction: str | None = None,
) -> UniversalityResult:
    """Solve the RDP program twice: with the optimal and with the MSE representation.

    Parameters are those of :func:`rdp_theory.solve_rdp` (``perception_measure="kl"``: levels
    in nats, with its restrictions). Returns a :class:`UniversalityResult`.
    Both solves run the program (``method="sdp"``), also where a closed form is known: the gap
    is a measurement of the theorem (docs/theory.md, section 6), not an assumption of it. The
    theorem is about the joint law of source and reconstruction, so it holds for either
    measure.
    """
    opt, mse = (
        solve_rdp(source, rates, perception, plf=plf, objective=objective, representation=rep,
                  method="sdp", perception_measure=perception_measure, kl_direction=kl_direction)
        for rep in ("optimal", "mse")
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
    perception_measure : {"w2", "kl"}
        What the levels measure (W2^2, or KL in nats).
    kl_direction : {"xhat||x", "x||xhat"} or None
    """

    plf: str
    objective: str | tuple[float, ...]
    rates: FloatArray
    perception: FloatArray
    optimal: FloatArray
    mse_representation: FloatArray
    objective_gap: FloatArray
    perception_measure: str = "w2"
    kl_direction: str | None = None

    @property
    def gap(self) -> FloatArray:
        """Per-point, per-frame gap ``mse_representation - optimal``, shape (K, T)."""
        return self.mse_representation - self.optimal

    def to_dict(self) -> dict[str, object]:
        """Plain Python values (lists) for JSON."""
        return {
            "plf": self.plf,
            "perception_measure": self.perception_measure, "kl_direction": self.kl_direction,
            "objective": self.objective if isinstance(self.objective, str)
            else [float(w) for w in self.objective],
            **{name: np.asarray(getattr(self, name), dtype=np.float64).tolist()
               for name in ("rates", "perception", "optimal", "mse_representation",
                            "objective_gap")},
        }

    def to_dataframe(self) -> pandas.DataFrame:
        """One row per (point, frame) (needs pandas): ``point`` (0-based row of the sweep),
        ``frame`` (1-based), ``plf``, ``rate``, ``perception``, ``optimal``,
        ``mse_representation``, ``gap`` and the point's ``objective_gap``.

        Raises
        ------
        MissingDependencyError
            pandas is not installed.
        """
        from ._tables import data_frame

        K, T = self.optimal.shape
        return data_frame({
            "point": np.repeat(np.arange(K), T), "frame": np.tile(np.arange(1, T + 1), K),
            "plf": [self.plf] * (K * T),
            "rate": self.rates.reshape(-1), "perception": self.perception.reshape(-1),
            "optimal": self.optimal.reshape(-1),
            "mse_representation": self.mse_representation.reshape(-1),
            "gap": self.gap.reshape(-1),
            "objective_gap": np.repeat(self.objective_gap, T),
        })

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
    perception_measure: str = "w2",
    kl_direction: str | None = None,
) -> UniversalitySweep:
    """:func:`universality_gap` at every row of ``rates`` and ``perception`` (shape (K, T) each,
    or broadcastable to it). ``n_jobs > 1`` spreads the rows over joblib worker processes;
    ``perception_measure`` and ``kl_direction`` as in :func:`universality_gap`."""
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
    # checked here, before any worker starts (and with zero rows); stored as solve_rdp records it
    measure = check_measure(perception_measure, kl_direction, plf)
    rows: Sequence[tuple[FloatArray, FloatArray, float]]
    if n_jobs == 1:
        rows = [_row(source, r[k], p[k], plf, objective, measure) for k in range(r.shape[0])]
    else:
        from joblib import Parallel, delayed

        rows = Parallel(n_jobs=n_jobs)(
            delayed(_row)(source, r[k], p[k], plf, objective, measure) for k in range(r.shape[0])
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
        perception_measure=measure[0],
        kl_direction=measure[1],
    )


def _row(
    source: GaussMarkovSource, r: FloatArray, p: FloatArray, plf: str, objective: Objective,
    measure: tuple[str, str | None] = ("w2", None),
) -> tuple[FloatArray, FloatArray, float]:
    res = universality_gap(source, r, p, plf=plf, objective=objective,
                           perception_measure=measure[0], kl_direction=measure[1])
    return res.optimal.distortions, res.mse_representation.distortions, res.objective_gap

r"""Perception loss functions (PLFs): one pluggable interface, three implementations.

A PLF says, for frame ``j``, which two centred Gaussian laws are compared by W2^2:

=====  ==========================================================  ===============================
PLF    reference law :math:`\mathcal N(0, K_1)`                     reconstruction law :math:`\mathcal N(0, K_2)`
=====  ==========================================================  ===============================
FMD    :math:`X_j`                                                  :math:`\hat X_j`
JD     :math:`(X_1, \dots, X_j)`                                    :math:`(\hat X_1, \dots, \hat X_j)`
SA     :math:`(\hat X_1, \dots, \hat X_{j-1}, X_j)`                 :math:`(\hat X_1, \dots, \hat X_j)`
=====  ==========================================================  ===============================

Each implementation provides the pair :math:`(K_1, K_2 - K_1)` twice: as cvxpy expressions that
are affine in the solver's variables (for the convex program of :mod:`rdp_theory.convex`), and as
numbers from a joint covariance (for certificates and Monte Carlo). The solver turns a pair into
a constraint in one generic way (``Model.__init__`` in :mod:`rdp_theory.convex._model`):

* :math:`P_j = 0`: linear equalities :math:`K_2 - K_1 = 0` (exact, no degenerate cone);
* :math:`0 < P_j < \infty`, scalar pair: :math:`(\sigma - \sqrt P)_+^2 \le K_2 \le (\sigma + \sqrt P)^2`;
* :math:`0 < P_j < \infty`, matrix pair: the coupling LMI
  :math:`\begin{bmatrix} K_1 & \Gamma \\ \Gamma^\top & E\end{bmatrix} \succeq 0`,
  :math:`\Gamma + \Gamma^\top + E = K_2 - K_1`, :math:`\operatorname{tr} E \le P_j`
  (a jointly Gaussian coupling :math:`Y = X + Z` with :math:`\operatorname{Cov}(X, Z) = \Gamma`,
  :math:`\operatorname{Cov} Z = E`, so :math:`\mathbb E\|X - Y\|^2 = \operatorname{tr} E`);
* :math:`P_j = \infty`: nothing.

**Perception measures.** The compared laws are the PLF's; how far apart they are is measured by
:math:`W_2^2` (``"w2"``, the default, in the source's squared units) or by the KL divergence
(``"kl"``, in nats, in one of the orders of :data:`rdp_theory.kl.KL_DIRECTIONS`;
docs/theory.md 4.11-4.12). :func:`check_measure` says which (PLF, measure, order) the convex
program supports: KL only in the order ``"xhat||x"`` for PLF-JD (the other order is not convex in
the reconstruction covariance) and not at all for PLF-SA (both compared laws depend on the
decoder, and KL is not jointly convex in the pair); PLF-FMD in both orders.
"""

from __future__ import annotations

import abc
import functools
import math
from collections.abc import Iterable
from typing import Any, ClassVar

import cvxpy as cp
import numpy as np
from numpy.typing import NDArray

from ._validation import check_choice
from .exceptions import InvalidParameterError
from .kl import KL_DIRECTIONS, _kl_unchecked
from .wasserstein import _w2_unchecked

__all__ = [
    "PerceptionLoss",
    "JointPLF",
    "FramewisePLF",
    "SelfAdaptivePLF",
    "PLFS",
    "PLF_NAMES",
    "Law",
    "get_plf",
    "MEASURES",
    "check_measure",
]

FloatArray = NDArray[np.float64]

#: A law compared by a PLF, as the ordered frames it is the joint law of: ``("x", k)`` is the
#: source frame :math:`X_k`, ``("xhat", k)`` the reconstruction :math:`\hat X_k` (0-based).
Law = tuple[tuple[str, int], ...]


class PerceptionLoss(abc.ABC):
    """Interface of a perception loss function (see the module docstring)."""

    name: ClassVar[str]
    label: ClassVar[str]

    @abc.abstractmethod
    def pair_expressions(self, model: Any, j: int) -> tuple[Any, Any]:
        r"""``(K1, K2 - K1)`` for frame ``j`` (0-based) as cvxpy expressions.

        ``model`` exposes ``Sigma`` (parameter, (T, T)), ``dS`` (expression
        :math:`\hat\Sigma - \Sigma`) and ``Xi`` (expression, ``Xi[m, k]`` =
        :math:`\operatorname{Cov}(\hat X_m, X_k) - \Sigma_{mk}` for ``m < k``). A scalar pair is
        returned as cvxpy scalars.
        """

    @abc.abstractmethod
    def compared_laws(self, j: int) -> tuple[Law, Law]:
        r"""The two laws compared at frame ``j`` (0-based): ``(reference, reconstruction)``.

        The one statement of what a PLF compares: the numeric pair below, the learned codec's
        critics and its Gaussian-fit perception all read it.
        """

    def pair_numeric(
        self, sigma_x: FloatArray, sigma_xhat: FloatArray, cross: FloatArray, j: int
    ) -> tuple[FloatArray, FloatArray]:
        r"""``(K1, K2)`` for frame ``j`` from numbers: ``sigma_x`` = Cov(X), ``sigma_xhat`` =
        Cov(Xhat), ``cross[m, k]`` = :math:`\operatorname{Cov}(\hat X_m, X_k)`, all (T, T).

        The covariances of the two laws of :meth:`compared_laws`, read off the joint covariance
        of :math:`(X, \hat X)`.
        """
        return self._pair_from_joint(_joint(sigma_x, sigma_xhat, cross), j)

    def _pair_from_joint(self, joint: FloatArray, j: int) -> tuple[FloatArray, FloatArray]:
        i1, i2 = _law_indices(self, joint.shape[0] // 2, j)
        return joint[i1][:, i1], joint[i2][:, i2]

    def is_scalar(self, j: int) -> bool:
        """Whether frame ``j``'s comparison is between two scalar laws."""
        return j == 0

    def zero_expressions(self, model: Any, j: int) -> list[Any]:
        r"""Non-redundant affine expressions that vanish exactly when frame ``j`` has
        :math:`\phi_j = 0` (the default: every distinct entry of :math:`K_2 - K_1`)."""
        _, dk = self.pair_expressions(model, j)
        if self.is_scalar(j):
            return [dk]
        return [cp.upper_tri(dk), cp.diag(dk)]

    def implied(self, perception: FloatArray) -> frozenset[int]:
        r"""Frames whose constraint :math:`\phi_j \le P_j` is implied by other frames'
        constraints (so a solver may leave it out; certificates still check every frame).

        ``perception`` holds the levels, shape (T,), ``inf`` = unconstrained. Default: none.
        """
        return frozenset()

    def first_cuts(
        self, violated: frozenset[int], phi: FloatArray, perception: FloatArray
    ) -> frozenset[int]:
        """The couplings a solver generating them on demand adds first, out of the frames
        ``violated`` whose levels ``perception`` the relaxation's solution (perception values
        ``phi``, shape (T,); no coupling enforced) exceeds; later rounds add every frame still
        violated. Default: all of them."""
        return violated

    def values(
        self, sigma_x: FloatArray, sigma_xhat: FloatArray, cross: FloatArray,
        measure: str = "w2", direction: str | None = None, frames: Iterable[int] | None = None,
    ) -> FloatArray:
        r"""Perception value :math:`\phi_j` of every frame, shape (T,): W2^2 (``measure="w2"``,
        Bures-Wasserstein formula) or the Gaussian KL divergence in nats (``measure="kl"``, in
        the order ``direction``, default ``"xhat||x"``: KL(reconstruction law || reference law);
        ``inf`` where a compared covariance is singular). ``frames``: only these (NaN at the
        others)."""
        joint = _joint(sigma_x, sigma_xhat, cross)
        T = joint.shape[0] // 2
        out = np.full(T, np.nan)
        order = "xhat||x" if direction is None else direction
        for j in range(T) if frames is None else frames:
            k1, k2 = self._pair_from_joint(joint, j)
            out[j] = _kl_unchecked(k1, k2, order) if measure == "kl" else _w2_unchecked(k1, k2)
        return out


def _joint(sigma_x: FloatArray, sigma_xhat: FloatArray, cross: FloatArray) -> FloatArray:
    r"""Covariance (2T, 2T) of :math:`(X_1..X_T, \hat X_1..\hat X_T)`."""
    T = np.shape(sigma_x)[0]
    joint = np.empty((2 * T, 2 * T))
    joint[:T, :T] = sigma_x
    joint[:T, T:] = np.transpose(cross)
    joint[T:, :T] = cross
    joint[T:, T:] = sigma_xhat
    return joint


@functools.lru_cache(maxsize=1024)
def _law_indices(plf: PerceptionLoss, T: int, j: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Rows of the joint covariance (:func:`_joint`) of the two laws ``plf`` compares at ``j``."""
    offset = {"x": 0, "xhat": T}
    ref, rec = plf.compared_laws(j)
    return (
        np.array([offset[kind] + k for kind, k in ref], dtype=np.intp),
        np.array([offset[kind] + k for kind, k in rec], dtype=np.intp),
    )


class FramewisePLF(PerceptionLoss):
    """PLF-FMD: law(X_j) against law(Xhat_j)."""

    name = "fmd"
    label = "PLF-FMD"

    def is_scalar(self, j: int) -> bool:
        return True

    def pair_expressions(self, model: Any, j: int) -> tuple[Any, Any]:
        return model.Sigma[j, j], model.dS[j, j]

    def compared_laws(self, j: int) -> tuple[Law, Law]:
        return (("x", j),), (("xhat", j),)


class JointPLF(PerceptionLoss):
    """PLF-JD: law(X_1..X_j) against law(Xhat_1..Xhat_j)."""

    name = "jd"
    label = "PLF-JD"

    def pair_expressions(self, model: Any, j: int) -> tuple[Any, Any]:
        if j == 0:
            return model.Sigma[0, 0], model.dS[0, 0]
        return model.Sigma[: j + 1, : j + 1], model.dS[: j + 1, : j + 1]

    def compared_laws(self, j: int) -> tuple[Law, Law]:
        return tuple(("x", k) for k in range(j + 1)), tuple(("xhat", k) for k in range(j + 1))

    def implied(self, perception: FloatArray) -> frozenset[int]:
        r"""Frame ``j``'s constraint is implied when a later frame ``J`` has :math:`P_J \le P_j`.

        Restricting a coupling of the laws of the first ``J + 1`` frames to the first ``j + 1``
        gives a coupling of those laws whose cost is a partial sum of the original one, so
        :math:`\phi_j \le \phi_J \le P_J \le P_j`. (With :math:`P_J = 0` this is the familiar
        "matching the joint law matches every earlier one".) A constant level therefore needs
        only the last frame's coupling: one LMI of size 2T instead of T - 1 of them.
        """
        p = np.asarray(perception, dtype=np.float64)
        later_min = np.minimum.accumulate(p[::-1])[::-1]  # later_min[j] = min(p[j:])
        return frozenset(
            j for j in range(p.size - 1) if np.isfinite(p[j]) and later_min[j + 1] <= p[j]
        )

    def first_cuts(
        self, violated: frozenset[int], phi: FloatArray, perception: FloatArray
    ) -> frozenset[int]:
        r"""The latest violated frame, and each earlier one whose excess ratio
        :math:`\phi_j / P_j` beats that of every later frame chosen.

        Frame ``J``'s coupling restricted to the first ``j + 1`` frames couples frame ``j``'s laws
        (see :meth:`implied`). If enforcing :math:`\phi_J \le P_J` scaled the relaxation's cost
        profile down uniformly, frame ``j`` would end at :math:`\phi_j P_J / \phi_J`, within its
        level exactly when :math:`\phi_j / P_j \le \phi_J / P_J`: so only the frames whose ratio
        is a record, scanning back from the latest, are expected to need their own coupling.
        A guess, not a rule: the rounds that follow add whatever is still violated. So where
        the guess keeps more than half of the violated frames, all of them are taken: leaving out
        a few saves little, and a miss would cost a second solve of nearly the full program.
        Measured at T = 10 (rate form and weighted): levels rising linearly bind only the last
        frame and the ratios pick only it (one coupling instead of nine: 2.7-3.4x faster);
        geometrically rising levels bind nearly every frame, the ratios pick nearly all, and all
        are taken.
        """
        chosen: set[int] = set()
        record = -math.inf
        for j in sorted(violated, reverse=True):
            with np.errstate(over="ignore"):  # a level of 1e-320: inf, still a fair ranking
                ratio = phi[j] / perception[j]
            if ratio > record:
                chosen.add(j)
                record = ratio
        return frozenset(chosen) if 2 * len(chosen) <= len(violated) else violated


class SelfAdaptivePLF(PerceptionLoss):
    """PLF-SA: law(Xhat_1..Xhat_{j-1}, X_j) against law(Xhat_1..Xhat_j)."""

    name = "sa"
    label = "PLF-SA"

    def pair_expressions(self, model: Any, j: int) -> tuple[Any, Any]:
        if j == 0:
            return model.Sigma[0, 0], model.dS[0, 0]
        dS, Xi = model.dS, model.Xi
        col = cp.reshape(Xi[:j, j], (j, 1), order="F")
        k1 = model.Sigma[: j + 1, : j + 1] + cp.bmat(
            [[dS[:j, :j], col], [col.T, np.zeros((1, 1))]]
        )
        diff_col = cp.reshape(dS[:j, j] - Xi[:j, j], (j, 1), order="F")
        dk = cp.bmat(
            [
                [np.zeros((j, j)), diff_col],
                [diff_col.T, cp.reshape(dS[j, j], (1, 1), order="F")],
            ]
        )
        return k1, dk

    def zero_expressions(self, model: Any, j: int) -> list[Any]:
        if j == 0:
            return [model.dS[0, 0]]
        # K2 - K1 vanishes off its last row/column by construction.
        return [model.dS[:j, j] - model.Xi[:j, j], model.dS[j, j]]

    def compared_laws(self, j: int) -> tuple[Law, Law]:
        past = tuple(("xhat", k) for k in range(j))
        return past + (("x", j),), past + (("xhat", j),)


#: The PLF registry, in the order figures and tables list them: the one home of the PLF names.
PLFS: dict[str, PerceptionLoss] = {p.name: p for p in (JointPLF(), FramewisePLF(), SelfAdaptivePLF())}

#: The registered PLF names, ``("jd", "fmd", "sa")``.
PLF_NAMES: tuple[str, ...] = tuple(PLFS)


def get_plf(plf: object) -> PerceptionLoss:
    """Look up a PLF by name (``"jd"``, ``"fmd"``, ``"sa"``) or pass an instance through."""
    if isinstance(plf, PerceptionLoss):
        return plf
    return PLFS[check_choice(plf, "plf", tuple(PLFS))]


#: The perception measures: ``"w2"`` (squared Wasserstein-2 distance, the source's squared units)
#: and ``"kl"`` (KL divergence, nats, in an order of :data:`rdp_theory.kl.KL_DIRECTIONS`).
MEASURES: tuple[str, ...] = ("w2", "kl")


def check_measure(measure: object, direction: object, plf: object) -> tuple[str, str | None]:
    """Validate ``perception_measure`` and ``kl_direction`` for ``plf``: returns
    ``(measure, direction)``, ``direction`` ``None`` for ``"w2"`` and ``"xhat||x"`` by default
    for ``"kl"``. Raises :class:`InvalidParameterError` naming the argument and the allowed
    values, also for the combinations the convex program cannot express (module docstring)."""
    name = get_plf(plf).name
    measure = check_choice(measure, "perception_measure", MEASURES)
    if measure == "w2":
        if direction is not None:
            raise InvalidParameterError(
                "kl_direction applies to perception_measure='kl' only; with "
                f"perception_measure='w2' it must be None, got {direction!r}"
            )
        return measure, None
    order = "xhat||x" if direction is None else check_choice(direction, "kl_direction", KL_DIRECTIONS)
    if name == "sa":
        raise InvalidParameterError(
            "perception_measure='kl' is not available for plf='sa': both laws PLF-SA compares "
            "depend on the decoder, and KL is not jointly convex in the pair (docs/theory.md "
            "4.11.3(c)), so the program would not be convex. At levels 0 and inf the KL and W2 "
            "constraints coincide: use perception_measure='w2' there. Allowed with 'kl': "
            "plf='jd' (kl_direction='xhat||x'), plf='fmd' (either kl_direction)"
        )
    if name == "jd" and order != "xhat||x":
        raise InvalidParameterError(
            "kl_direction='x||xhat' is not available for plf='jd': KL(law(X) || law(Xhat)) is "
            "not convex in the reconstruction covariance for two or more frames, its sublevel "
            "sets are not convex (docs/theory.md 4.11.3(b)). Allowed for plf='jd': "
            "kl_direction='xhat||x' (or None); plf='fmd' allows both orders"
        )
    return measure, order

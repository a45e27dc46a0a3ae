r"""The linear model of a jointly Gaussian scheme's source and representation, given ``(p, q)``.

Shared by the certificate (:mod:`rdp_theory.convex._certify`: exact cross-covariances) and the
Monte Carlo simulator (:mod:`rdp_theory.simulate`: samples). With
:math:`\hat X^-_i = E[X_i \mid U_{<i}] = \sum_{l<i} A_{i,l}\sqrt{q_l}\,U_l`,

.. math::

    U_i = \frac{\sqrt{q_i}}{p_i}\bigl(X_i - \hat X^-_i\bigr) + \sqrt{\frac{p_i - q_i}{p_i}}\,\zeta_i,
    \qquad \zeta_i \sim \mathcal N(0, 1) \text{ i.i.d.},

so that the :math:`U_i` are independent with unit variance, :math:`\operatorname{Cov}(X_i, U_i) =
\sqrt{q_i}` and :math:`I(X_i; U_i \mid U_{<i}) = \tfrac12\log_2 \frac{p_i}{p_i - q_i}`. Both
:math:`X` and :math:`U` are linear maps of ``2T`` independent standard normals ``(z, zeta)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from .source import GaussMarkovSource

__all__ = ["JointModel", "joint_model", "Decoder", "SolvedScheme"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class JointModel:
    """Coefficients of X and U on 2T independent standard normals ``(z, zeta)``.

    Attributes
    ----------
    mx : ndarray, shape (T, 2T)
    mu : ndarray, shape (T, 2T)
    cov_ux : ndarray, shape (T, T)
        ``cov_ux[i, k]`` = Cov(U_i, X_k).
    """

    mx: FloatArray
    mu: FloatArray
    cov_ux: FloatArray


def joint_model(source: GaussMarkovSource, p: FloatArray, q: FloatArray) -> JointModel:
    """Linear model of the source and of a representation with parameters ``p``, ``q`` (shape (T,))."""
    T = source.T
    mx = np.zeros((T, 2 * T))
    mx[0, 0] = source.sigma[0]
    for j in range(T - 1):
        mx[j + 1] = source.a[j] * mx[j]
        mx[j + 1, j + 1] = np.sqrt(source.innovation_variances[j])
    A = source.transfer
    c = np.sqrt(np.clip(q, 0.0, None))
    mu = np.zeros((T, 2 * T))
    for i in range(T):
        prior = mx[i] - (A[i, :i] * c[:i]) @ mu[:i]
        mu[i] = (c[i] / p[i]) * prior
        mu[i, T + i] = np.sqrt(max(p[i] - q[i], 0.0) / p[i])
    return JointModel(mx=mx, mu=mu, cov_ux=mu @ mx.T)


class Decoder(Protocol):
    r"""A decoder :math:`\hat X = G U + W` (e.g. :class:`rdp_theory.DecoderMatrices`)."""

    @property
    def gain(self) -> FloatArray: ...

    @property
    def noise_covariance(self) -> FloatArray: ...


class SolvedScheme(Protocol):
    """What the simulator reads from a scheme (e.g. :class:`rdp_theory.RDPSolution`).

    A protocol, so that the Monte Carlo layer does not import the solver (which imports it).
    """

    @property
    def source(self) -> GaussMarkovSource: ...

    @property
    def p(self) -> FloatArray: ...

    @property
    def q(self) -> FloatArray: ...

    @property
    def plf(self) -> str: ...

    @property
    def decoder(self) -> Decoder: ...

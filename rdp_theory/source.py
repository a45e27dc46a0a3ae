r"""The Gauss-Markov "video" source of THEORY.md section 1.

.. math::

    X_1 \sim \mathcal N(0, \sigma_1^2), \qquad X_{j+1} = a_j X_j + N_j, \qquad
    N_j \sim \mathcal N(0, s_j), \qquad a_j = \rho_j \frac{\sigma_{j+1}}{\sigma_j}, \qquad
    s_j = \sigma_{j+1}^2 (1 - \rho_j^2),

so that :math:`\operatorname{Var} X_j = \sigma_j^2` and :math:`\operatorname{corr}(X_j, X_{j+1}) = \rho_j`.
A frame of ``n`` i.i.d. copies is the same per-letter problem, so the source is scalar per frame.

References
----------
.. [1] J. Salehkalaibar, B. Phan, J. Chen, W. Yu, A. Khisti, "On the choice of perception loss
   function for learned video compression", NeurIPS 2023.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Union

import numpy as np
from numpy.typing import NDArray

from ._validation import as_float_array, check_positive_int, check_sigma
from .exceptions import InvalidParameterError

__all__ = ["GaussMarkovSource", "RNGLike", "as_generator"]

FloatArray = NDArray[np.float64]
RNGLike = Union[np.random.Generator, int]


def as_generator(rng: RNGLike, name: str = "rng") -> np.random.Generator:
    """Return ``rng`` itself, or a fresh ``default_rng(rng)`` for an integer seed.

    ``None`` is rejected on purpose: randomness is always passed explicitly.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and int(rng) >= 0:
        return np.random.default_rng(int(rng))
    raise InvalidParameterError(
        f"{name} must be a numpy.random.Generator or a non-negative integer seed, got {rng!r}"
    )


@dataclass(frozen=True, eq=True)
class GaussMarkovSource:
    r"""A first-order Gauss-Markov source with ``T`` scalar frames.

    Parameters
    ----------
    sigmas : sequence of float, shape (T,)
        Frame standard deviations :math:`\sigma_j > 0` (finite).
    rhos : sequence of float, shape (T-1,)
        Correlations :math:`\rho_j = \operatorname{corr}(X_j, X_{j+1})` with :math:`|\rho_j| < 1`.

    Examples
    --------
    >>> src = GaussMarkovSource(sigmas=(1.0, 1.0, 1.0), rhos=(0.9, 0.9))
    >>> src.T
    3
    >>> round(float(src.covariance()[0, 2]), 6)
    0.81
    """

    sigmas: tuple[float, ...]
    rhos: tuple[float, ...]

    def __post_init__(self) -> None:
        sig = check_sigma(self.sigmas, "sigmas")
        if sig.ndim != 1 or sig.size < 1:
            raise InvalidParameterError(
                f"sigmas must be a non-empty 1-D sequence (one per frame), got shape {sig.shape}"
            )
        rho = as_float_array(self.rhos, "rhos")
        if rho.ndim == 0:
            rho = rho.reshape(1)
        if rho.ndim != 1 or rho.size != sig.size - 1:
            raise InvalidParameterError(
                f"rhos must have length T-1 = {sig.size - 1} (one per pair of frames), "
                f"got shape {rho.shape}"
            )
        if (~np.isfinite(rho)).any() or (np.abs(rho) >= 1).any():
            raise InvalidParameterError(
                f"rhos must lie in the open interval (-1, 1), got {rho.tolist()}"
            )
        object.__setattr__(self, "sigmas", tuple(float(s) for s in sig))
        object.__setattr__(self, "rhos", tuple(float(r) for r in rho))

    @classmethod
    def stationary(cls, T: int, sigma: float = 1.0, rho: float = 0.9) -> GaussMarkovSource:
        """A source with equal variances ``sigma**2`` and equal correlations ``rho``."""
        T = check_positive_int(T, "T")
        return cls(sigmas=(float(sigma),) * T, rhos=(float(rho),) * (T - 1))

    # ------------------------------------------------------------------ derived quantities
    @property
    def T(self) -> int:
        """Number of frames."""
        return len(self.sigmas)

    @cached_property
    def sigma(self) -> FloatArray:
        """Frame standard deviations, shape (T,)."""
        return np.asarray(self.sigmas, dtype=np.float64)

    @cached_property
    def variances(self) -> FloatArray:
        r""":math:`\sigma_j^2`, shape (T,)."""
        return self.sigma**2

    @cached_property
    def a(self) -> FloatArray:
        r"""Regression coefficients :math:`a_j = \rho_j \sigma_{j+1}/\sigma_j`, shape (T-1,)."""
        return np.asarray(self.rhos) * self.sigma[1:] / self.sigma[:-1]

    @cached_property
    def innovation_variances(self) -> FloatArray:
        r"""Innovation variances :math:`s_j = \sigma_{j+1}^2 (1-\rho_j^2)`, shape (T-1,)."""
        return self.variances[1:] * (1.0 - np.asarray(self.rhos) ** 2)

    @cached_property
    def transfer(self) -> FloatArray:
        r"""Lower-triangular :math:`A_{k,i} = a_i a_{i+1} \cdots a_{k-1}` (``A[i, i] = 1``), shape (T, T).

        Zero above the diagonal (index ``[k, i]`` with ``i > k``).
        """
        T = self.T
        A = np.zeros((T, T))
        for i in range(T):
            A[i, i] = 1.0
            for k in range(i + 1, T):
                A[k, i] = A[k - 1, i] * self.a[k - 1]
        return A

    def covariance(self) -> FloatArray:
        r"""Covariance of :math:`(X_1, \dots, X_T)`: :math:`\Sigma_{k,i} = A_{k,i}\sigma_i^2` for
        :math:`i \le k`, shape (T, T)."""
        A = self.transfer
        low = A * self.variances[None, :]
        return np.tril(low) + np.tril(low, -1).T

    def sample(self, n: int, rng: RNGLike) -> FloatArray:
        """Draw ``n`` i.i.d. sequences.

        Parameters
        ----------
        n : int
            Number of independent copies (samples per frame), ``n >= 1``.
        rng : numpy.random.Generator or int
            Randomness, passed explicitly (an int is used as a seed).

        Returns
        -------
        ndarray, shape (n, T)
            ``X[:, j]`` is frame ``j + 1``.
        """
        n = check_positive_int(n, "n")
        gen = as_generator(rng)
        z = gen.standard_normal((n, self.T))
        x = np.empty((n, self.T))
        x[:, 0] = self.sigma[0] * z[:, 0]
        for j in range(self.T - 1):
            x[:, j + 1] = self.a[j] * x[:, j] + np.sqrt(self.innovation_variances[j]) * z[:, j + 1]
        return x

    def scaled(self, factor: float) -> GaussMarkovSource:
        """The same source with every frame multiplied by ``factor > 0``."""
        f = float(check_sigma(factor, "factor"))
        return GaussMarkovSource(tuple(s * f for s in self.sigmas), self.rhos)

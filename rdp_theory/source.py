r"""The Gauss-Markov "video" source of THEORY.md section 1.

.. math::

    X_1 \sim \mathcal N(0, \sigma_1^2), \qquad X_{j+1} = a_j X_j + N_j, \qquad
    N_j \sim \mathcal N(0, s_j), \qquad a_j = \rho_j \frac{\sigma_{j+1}}{\sigma_j}, \qquad
    s_j = \sigma_{j+1}^2 (1 - \rho_j^2),

so that :math:`\operatorname{Var} X_j = \sigma_j^2` and :math:`\operatorname{corr}(X_j, X_{j+1}) = \rho_j`.
A frame of ``n`` i.i.d. copies is the same per-letter problem, so the source is scalar per frame.

References
----------
.. [1] S. Salehkalaibar, B. Phan, J. Chen, W. Yu, A. Khisti, "On the choice of perception loss
   function for learned video compression", NeurIPS 2023.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Union

import numpy as np
from numpy.typing import NDArray

from ._validation import (
    SIGMA_MAX,
    SIGMA_MIN,
    _describe,
    as_float_array,
    check_positive_int,
    check_scalar,
    check_sigma,
)
from .exceptions import InvalidParameterError

__all__ = ["GaussMarkovSource", "RNGLike", "as_generator", "check_source", "MAX_FRAMES", "MAX_SAMPLES"]

#: Largest number of frames a source may have (memory guard; the closed forms handle any ``T``
#: up to this, the convex solver is practical only for small ``T``).
MAX_FRAMES = 1_000_000
#: Largest ``n * T`` that :meth:`GaussMarkovSource.sample` draws at once (800 MB of float64);
#: draw larger Monte Carlo runs in batches.
MAX_SAMPLES = 100_000_000

FloatArray = NDArray[np.float64]
RNGLike = Union[np.random.Generator, int]


def as_generator(rng: RNGLike, name: str = "rng") -> np.random.Generator:
    """Return ``rng`` itself, or a fresh ``default_rng(rng)`` for an integer seed.

    ``None`` is rejected on purpose: randomness is always passed explicitly.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if (
        isinstance(rng, (int, np.integer))
        and not isinstance(rng, (bool, np.timedelta64))
        and int(rng) >= 0
    ):
        return np.random.default_rng(int(rng))
    raise InvalidParameterError(
        f"{name} must be a numpy.random.Generator or an integer seed in [0, inf), got {_describe(rng)}"
    )


def check_source(source: object, name: str = "source") -> GaussMarkovSource:
    """``source`` itself if it is a :class:`GaussMarkovSource`, else a typed error naming ``name``."""
    if not isinstance(source, GaussMarkovSource):
        raise InvalidParameterError(
            f"{name} must be a GaussMarkovSource (e.g. GaussMarkovSource.stationary(T)), "
            f"got {_describe(source)}"
        )
    return source


@dataclass(frozen=True, eq=True)
class GaussMarkovSource:
    r"""A first-order Gauss-Markov source with ``T`` scalar frames.

    Parameters
    ----------
    sigmas : sequence of float, shape (T,)
        Frame standard deviations :math:`\sigma_j \in [10^{-150}, 10^{150}]`, ``1 <= T <= 1e6``
        (the range in which every variance, ratio and covariance entry is a normal float64).
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
        if sig.ndim != 1 or not 1 <= sig.size <= MAX_FRAMES:
            raise InvalidParameterError(
                f"sigmas must be a 1-D sequence of 1 to {MAX_FRAMES} entries (one per frame), "
                f"got shape {sig.shape}"
            )
        rho = as_float_array(self.rhos, "rhos", " in (-1, 1)")
        if rho.ndim == 0:
            rho = rho.reshape(1)
        if rho.ndim != 1 or rho.size != sig.size - 1:
            raise InvalidParameterError(
                f"rhos must have length T-1 = {sig.size - 1} (one per pair of frames), "
                f"got shape {rho.shape}"
            )
        if (~np.isfinite(rho)).any() or (np.abs(rho) >= 1).any():
            raise InvalidParameterError(
                f"rhos must lie in the open interval (-1, 1), got {_describe(rho.tolist())}"
            )
        object.__setattr__(self, "sigmas", tuple(float(s) for s in sig))
        object.__setattr__(self, "rhos", tuple(float(r) for r in rho))

    @classmethod
    def stationary(cls, T: int, sigma: float = 1.0, rho: float = 0.9) -> GaussMarkovSource:
        """A source with equal variances ``sigma**2`` and equal correlations ``rho``.

        ``T`` is an integer in ``[1, 1e6]``, ``sigma`` one number in ``[1e-150, 1e150]``, ``rho``
        one number in ``(-1, 1)``; both are checked even when ``T = 1`` (no pair of frames).
        """
        T = check_positive_int(T, "T", maximum=MAX_FRAMES)
        s = check_scalar(sigma, "sigma", f" in [{SIGMA_MIN:g}, {SIGMA_MAX:g}]")
        check_sigma(s, "sigma")
        r = check_scalar(rho, "rho", " in (-1, 1)")
        if not -1.0 < r < 1.0:
            raise InvalidParameterError(f"rho must lie in the open interval (-1, 1), got {r!r}")
        return cls(sigmas=(s,) * T, rhos=(r,) * (T - 1))

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
    def standardized(self) -> GaussMarkovSource:
        r"""The same correlations at unit variance (frame :math:`j` divided by :math:`\sigma_j`):
        :math:`a'_j = \rho_j`, :math:`s'_j = 1 - \rho_j^2`, :math:`A'_{k,i} = A_{k,i}\sigma_i/\sigma_k`.
        The units the solver and its certificate compute in (cached: built once per source)."""
        return GaussMarkovSource(tuple(1.0 for _ in self.sigmas), self.rhos)

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
            Number of independent copies (samples per frame), ``1 <= n`` and ``n * T <= 1e8``.
        rng : numpy.random.Generator or int
            Randomness, passed explicitly (an int is used as a seed).

        Returns
        -------
        ndarray, shape (n, T)
            ``X[:, j]`` is frame ``j + 1``.
        """
        n = check_positive_int(n, "n", maximum=max(1, MAX_SAMPLES // self.T))
        gen = as_generator(rng)
        z = gen.standard_normal((n, self.T))
        x = np.empty((n, self.T))
        x[:, 0] = self.sigma[0] * z[:, 0]
        for j in range(self.T - 1):
            x[:, j + 1] = self.a[j] * x[:, j] + np.sqrt(self.innovation_variances[j]) * z[:, j + 1]
        return x

    def scaled(self, factor: float) -> GaussMarkovSource:
        """The same source with every frame multiplied by ``factor > 0``.

        ``factor`` is one number such that every scaled standard deviation stays in
        ``[1e-150, 1e150]``, i.e. ``factor`` in ``[1e-150 / min(sigma), 1e150 / max(sigma)]``.
        """
        lo, hi = SIGMA_MIN / min(self.sigmas), SIGMA_MAX / max(self.sigmas)
        allowed = f" in [{lo:.6g}, {hi:.6g}] (scaled sigmas in [{SIGMA_MIN:g}, {SIGMA_MAX:g}])"
        f = check_scalar(factor, "factor", allowed)
        new = self.sigma * f
        if not (f > 0 and new.min() >= SIGMA_MIN and new.max() <= SIGMA_MAX):
            raise InvalidParameterError(f"factor must lie{allowed}, got {f!r}")
        return GaussMarkovSource(tuple(float(x) for x in new), self.rhos)

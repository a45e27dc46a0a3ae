r"""Squared Wasserstein-2 distance between centred Gaussians (the Bures-Wasserstein formula).

.. math::

    W_2^2\bigl(\mathcal N(0, K_1), \mathcal N(0, K_2)\bigr)
    = \operatorname{tr} K_1 + \operatorname{tr} K_2
      - 2 \operatorname{tr}\bigl(K_1^{1/2} K_2 K_1^{1/2}\bigr)^{1/2}.

Used by the solver's certificate (to recompute perception values from primal matrices) and by
the Monte Carlo simulator (on fitted covariances). Tests cross-check it against POT's
``ot.gaussian.bures_wasserstein_distance``.

References
----------
.. [1] D. C. Dowson, B. V. Landau, "The Fréchet distance between multivariate normal
   distributions", J. Multivariate Anal. 1982.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .exceptions import InvalidParameterError

__all__ = ["gaussian_w2_squared", "psd_sqrt"]

FloatArray = NDArray[np.float64]


def psd_sqrt(k: ArrayLike) -> FloatArray:
    """Symmetric square root of a (numerically) PSD matrix; tiny negative eigenvalues clip to 0."""
    mat = np.asarray(k, dtype=np.float64)
    mat = 0.5 * (mat + mat.T)
    w, v = np.linalg.eigh(mat)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def gaussian_w2_squared(k1: ArrayLike, k2: ArrayLike) -> float:
    r"""W2^2 between :math:`\mathcal N(0, K_1)` and :math:`\mathcal N(0, K_2)`.

    Parameters
    ----------
    k1, k2 : array_like, shape (d, d) or scalar
        Covariance matrices (symmetric PSD). Scalars are 1x1 variances.

    Returns
    -------
    float
        The squared distance, clipped at 0 against round-off (in the units of the variances).
    """
    a = np.atleast_2d(np.asarray(k1, dtype=np.float64))
    b = np.atleast_2d(np.asarray(k2, dtype=np.float64))
    if a.shape != b.shape or a.shape[0] != a.shape[1]:
        raise InvalidParameterError(
            f"k1 and k2 must be square matrices of the same shape, got {a.shape} and {b.shape}"
        )
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise InvalidParameterError("k1 and k2 must be finite")
    if a.shape == (1, 1):
        d = np.sqrt(max(a[0, 0], 0.0)) - np.sqrt(max(b[0, 0], 0.0))
        return float(d * d)
    ra = psd_sqrt(a)
    cross = psd_sqrt(ra @ b @ ra)
    val = np.trace(a) + np.trace(b) - 2.0 * np.trace(cross)
    return float(max(val, 0.0))

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

from ._validation import as_float_array
from .exceptions import InvalidParameterError

__all__ = ["gaussian_w2_squared", "psd_sqrt", "PSD_RTOL", "VARIANCE_MAX"]

FloatArray = NDArray[np.float64]

#: Round-off allowance for covariances produced by a solver: asymmetry and negative eigenvalues
#: down to ``-PSD_RTOL * scale`` (scale = largest absolute entry of the matrices compared) are
#: accepted and clipped; anything further is an error.
PSD_RTOL = 1e-6
#: Largest absolute covariance entry accepted (the square of ``SIGMA_MAX`` = 1e150).
VARIANCE_MAX = 1e300


def _covariance(k: ArrayLike, name: str) -> FloatArray:
    """A scalar variance (as 1x1) or a square ``(d, d)`` matrix, finite, entries <= 1e300."""
    allowed = " (a covariance: scalar variance >= 0 or a symmetric PSD (d, d) matrix)"
    mat = as_float_array(k, name, allowed)
    if mat.ndim == 0:
        mat = mat.reshape(1, 1)
    if mat.ndim != 2 or mat.shape[0] != mat.shape[1] or mat.shape[0] == 0:
        raise InvalidParameterError(
            f"{name} must be a scalar variance or a square (d, d) matrix with d >= 1, got shape {mat.shape}"
        )
    if not np.isfinite(mat).all() or (np.abs(mat) > VARIANCE_MAX).any():
        raise InvalidParameterError(
            f"{name} must have finite entries with |entry| <= {VARIANCE_MAX:g}"
        )
    return mat


def _symmetric_psd(mat: FloatArray, name: str, scale: float) -> FloatArray:
    """Symmetrise ``mat`` / ``scale`` and check it is PSD up to :data:`PSD_RTOL`."""
    m = mat / scale
    if np.abs(m - m.T).max() > PSD_RTOL:
        raise InvalidParameterError(
            f"{name} must be symmetric (|K - K^T| <= {PSD_RTOL:g} * max|K|), "
            f"got an asymmetry of {np.abs(m - m.T).max() * scale:.3g}"
        )
    m = 0.5 * (m + m.T)
    w, v = np.linalg.eigh(m)
    if w[0] < -PSD_RTOL:
        what = "variance" if m.shape == (1, 1) else "matrix"
        raise InvalidParameterError(
            f"{name} must be a positive semidefinite {what} (eigenvalues >= -{PSD_RTOL:g} * max|K| "
            f"allowed for round-off), got smallest eigenvalue {w[0] * scale:.6g}"
        )
    return m


def psd_sqrt(k: ArrayLike) -> FloatArray:
    """Symmetric square root of a (numerically) PSD matrix; tiny negative eigenvalues clip to 0.

    ``k`` is a square ``(d, d)`` matrix (or a scalar), finite; it is symmetrised first.
    """
    mat = _covariance(k, "k")
    mat = 0.5 * (mat + mat.T)
    w, v = np.linalg.eigh(mat)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def gaussian_w2_squared(k1: ArrayLike, k2: ArrayLike) -> float:
    r"""W2^2 between :math:`\mathcal N(0, K_1)` and :math:`\mathcal N(0, K_2)`.

    Parameters
    ----------
    k1, k2 : array_like, shape (d, d) or scalar
        Covariance matrices: symmetric positive semidefinite, finite, entries of absolute value
        at most 1e300, the same shape. Scalars are 1x1 variances (``>= 0``). Asymmetry and
        negative eigenvalues within round-off (:data:`PSD_RTOL` times the largest absolute entry
        of the two) are accepted; beyond that, an :class:`InvalidParameterError`.

    Returns
    -------
    float
        The squared distance, clipped at 0 against round-off (in the units of the variances).
        Computed on the matrices divided by their largest absolute entry and scaled back
        (:math:`W_2^2(cK_1, cK_2) = c\,W_2^2(K_1, K_2)`), so tiny and huge variances neither
        underflow nor overflow.
    """
    a = _covariance(k1, "k1")
    b = _covariance(k2, "k2")
    if a.shape != b.shape:
        raise InvalidParameterError(
            f"k1 and k2 must be covariances of the same dimension, got shapes {a.shape} and {b.shape}"
        )
    scale = float(max(np.abs(a).max(), np.abs(b).max()))
    if scale == 0.0:
        return 0.0
    a = _symmetric_psd(a, "k1", scale)
    b = _symmetric_psd(b, "k2", scale)
    if a.shape == (1, 1):
        d = np.sqrt(max(a[0, 0], 0.0)) - np.sqrt(max(b[0, 0], 0.0))
        return float(d * d) * scale
    ra = psd_sqrt(a)
    cross = psd_sqrt(ra @ b @ ra)
    val = np.trace(a) + np.trace(b) - 2.0 * np.trace(cross)
    return float(max(val, 0.0)) * scale

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


def _check_symmetric(mat: FloatArray, name: str, scale: float) -> None:
    """``mat`` (already divided by ``scale``) must be symmetric up to :data:`PSD_RTOL`."""
    asym = float(np.abs(mat - mat.T).max())
    if asym > PSD_RTOL:
        raise InvalidParameterError(
            f"{name} must be symmetric (|K - K^T| <= {PSD_RTOL:g} * max|K|), "
            f"got an asymmetry of {asym * scale:.3g}"
        )


def _check_psd(smallest: float, name: str, scale: float, scalar: bool) -> None:
    """The smallest eigenvalue of the scaled matrix must be ``>= -PSD_RTOL``."""
    if smallest < -PSD_RTOL:
        what = "variance" if scalar else "matrix"
        raise InvalidParameterError(
            f"{name} must be a positive semidefinite {what} (eigenvalues >= -{PSD_RTOL:g} * max|K| "
            f"allowed for round-off), got smallest eigenvalue {smallest * scale:.6g}"
        )


def _sqrt_from_eigh(w: FloatArray, v: FloatArray) -> FloatArray:
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def psd_sqrt(k: ArrayLike) -> FloatArray:
    """Symmetric square root of a (numerically) PSD matrix; tiny negative eigenvalues clip to 0.

    ``k`` is a square ``(d, d)`` matrix (or a scalar), finite; it is symmetrised first.
    """
    mat = _covariance(k, "k")
    mat = 0.5 * (mat + mat.T)
    return _sqrt_from_eigh(*np.linalg.eigh(mat))


def _w2_scaled(a: FloatArray, b: FloatArray, check: bool = True) -> tuple[float, float, float]:
    """Bures-Wasserstein core on symmetrised matrices of largest absolute entry <= 1.

    Returns ``(W2^2, smallest eigenvalue of a, smallest eigenvalue of b)``; negative eigenvalues
    are clipped to 0 in the distance (:func:`_w2_core`, on a stack of one). ``check`` is kept
    for the callers' sake: both eigenvalues are always computed (they come with the square
    roots).
    """
    if a.shape == (1, 1):
        x, y = float(a[0, 0]), float(b[0, 0])
        d = np.sqrt(max(x, 0.0)) - np.sqrt(max(y, 0.0))
        return float(d * d), x, y
    val, min_a, min_b = _w2_core(a[None], b[None])
    return float(val[0]), float(min_a[0]), float(min_b[0])


def _w2_core(a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""W2^2 of stacks of symmetric matrices ``(n, d, d)`` scaled to O(1), and the smallest
    eigenvalues of ``a`` and ``b``, each shape ``(n,)``.

    The distance is computed as a difference, not a cancellation: with
    :math:`A = K_1^{1/2}`, :math:`B = K_2^{1/2}` (symmetric eigen-solvers, negative round-off
    clipped) and the SVD :math:`AB = W S V^\top`,

    .. math::

        W_2^2 = \min_{U^\top U = I} \lVert A - B U\rVert_F^2
              = \lVert A - B V W^\top\rVert_F^2
              = \operatorname{tr} K_1 + \operatorname{tr} K_2 - 2 \operatorname{tr} S,

    (Procrustes; :math:`\operatorname{tr} S = \operatorname{tr}(K_1^{1/2} K_2
    K_1^{1/2})^{1/2}`). The trace form loses everything below about 1e-16 of the traces, and
    more where :math:`K_1^{1/2} K_2 K_1^{1/2}` is near singular (the square root of a round-off
    eigenvalue); the difference does not cancel, so on well-conditioned laws a small distance
    keeps its relative accuracy (measured against 80-120 digits: perturbations of 1e-9 give
    W2^2 to ~1e-6 relative, the trace form was off by 3e3). Near-singular laws still lose it:
    the square roots themselves are then computed only to about the square root of round-off
    (a singular K against K (1 + 1e-7): 6e-2 relative). Stacks with a non-finite entry give
    ``nan`` there.
    """
    ok = np.isfinite(a).all(axis=(1, 2)) & np.isfinite(b).all(axis=(1, 2))
    if not ok.all():
        out = np.full((3, a.shape[0]), np.nan)
        if ok.any():
            out[:, ok] = np.asarray(_w2_core(a[ok], b[ok]))
        return out[0], out[1], out[2]
    wa, va = np.linalg.eigh(a)
    wb, vb = np.linalg.eigh(b)
    ra = (va * np.sqrt(np.clip(wa, 0.0, None))[:, None, :]) @ np.swapaxes(va, 1, 2)
    rb = (vb * np.sqrt(np.clip(wb, 0.0, None))[:, None, :]) @ np.swapaxes(vb, 1, 2)
    w, _, vt = np.linalg.svd(ra @ rb)
    diff = ra - rb @ (np.swapaxes(vt, 1, 2) @ np.swapaxes(w, 1, 2))
    return np.einsum("nij,nij->n", diff, diff), wa[:, 0], wb[:, 0]


def _w2_unchecked(k1: FloatArray, k2: FloatArray) -> float:
    """W2^2 of two same-shape covariances computed by this package (a solver's or a fit's):
    symmetrised, scaled, negative round-off clipped, without argument checks. The certificate
    uses it; it reports the solver's PSD residuals separately."""
    scale = float(max(np.abs(k1).max(), np.abs(k2).max()))
    if scale == 0.0 or not np.isfinite(scale):
        return 0.0 if scale == 0.0 else float("nan")
    a, b = k1 / scale, k2 / scale
    return _w2_scaled(0.5 * (a + a.T), 0.5 * (b + b.T), check=False)[0] * scale


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
    a, b = a / scale, b / scale
    _check_symmetric(a, "k1", scale)
    _check_symmetric(b, "k2", scale)
    val, min_a, min_b = _w2_scaled(0.5 * (a + a.T), 0.5 * (b + b.T))
    _check_psd(min_a, "k1", scale, a.shape == (1, 1))
    _check_psd(min_b, "k2", scale, b.shape == (1, 1))
    return val * scale

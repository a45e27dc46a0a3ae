r"""Closed-form rate-distortion-perception functions (THEORY.md section 4), vectorised.

Every function here broadcasts with numpy rules: scalars in give scalars out, arrays in give
arrays out. Sequence functions take ``rates``/``perception`` of shape ``(..., T)`` (a scalar is
repeated over the ``T`` frames) and return distortions of the same shape. Rates are in bits per
sample, distortion is mean squared error, perception is squared Wasserstein-2 distance (W2^2);
``inf`` is allowed for a rate (lossless) and for a perception level (unconstrained).

Numerics
--------
The textbook single-frame formula :math:`D = \sigma^2 + \hat s^2 - 2\hat s\sqrt v` subtracts
numbers of size :math:`\sigma^2` to produce a result of size :math:`\sigma^2 2^{-2R}`; at 8 bits it
loses five significant digits. We use the algebraically identical, cancellation-free form

.. math::

    D = e + \bigl(\hat s - \sqrt v\bigr)^2
      = e + \max\!\Bigl(0,\ \frac{e}{\sigma + \sqrt v} - \sqrt P\Bigr)^2,
    \qquad e = \sigma^2 2^{-2R},\ v = \sigma^2 - e,

(because :math:`\sigma - \sqrt v = e / (\sigma + \sqrt v)`), which is accurate to a few ulps for
every rate. ``rdp_theory.symbolic`` proves the identity.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import check_perception, check_rates, check_sigma
from .exceptions import InvalidParameterError
from .source import GaussMarkovSource

__all__ = [
    "GreedyRepresentation",
    "gaussian_rdp",
    "greedy_representation",
    "mmse_distortions",
    "fmd_distortions",
    "jd_zero_perception_distortions",
    "error_permanence_limit",
    "operational_rates",
]

FloatArray = NDArray[np.float64]


def _out(x: FloatArray) -> FloatArray | float:
    return float(x) if np.ndim(x) == 0 else x


def _frame_gap(
    sigma: FloatArray, e: FloatArray, perception: FloatArray, v: FloatArray | None = None
) -> FloatArray:
    r""":math:`\max(0, \sigma - \sqrt v - \sqrt P)`, cancellation-free.

    ``v`` is the variance of the MMSE estimate, :math:`\sigma^2 - e`; pass it when it is known
    as a sum of non-negative terms (a subtraction would leave a round-off residue whose square
    root, ~1e-8 sigma, is not negligible when the exact ``v`` is 0).
    """
    if v is None:
        v = np.maximum(sigma**2 - e, 0.0)
    gap = e / (sigma + np.sqrt(v))
    with np.errstate(invalid="ignore"):
        out = np.maximum(gap - np.sqrt(perception), 0.0)
    return np.where(np.isinf(perception), 0.0, out)


def gaussian_rdp(sigma: ArrayLike, rate: ArrayLike, perception: ArrayLike) -> FloatArray | float:
    r"""Distortion-rate-perception function of one Gaussian frame under MSE and W2^2.

    .. math::

        D(R, P) = \sigma^2 + \hat s^2 - 2 \hat s \sqrt{v}, \qquad
        e = \sigma^2 2^{-2R}, \quad v = \sigma^2 - e, \quad
        \hat s = \max(\sqrt v, \sigma - \sqrt P),

    evaluated in the cancellation-free form described in the module docstring. At :math:`P = 0`,
    :math:`D = 2\sigma^2(1 - \sqrt{1 - 2^{-2R}})`; at :math:`P = \infty`, :math:`D = e`.

    Parameters
    ----------
    sigma : array_like
        Standard deviation of the frame, ``> 0`` and finite.
    rate : array_like
        Rate in bits per sample, in ``[0, inf]``.
    perception : array_like
        Perception level :math:`P` (W2^2), in ``[0, inf]``.

    Returns
    -------
    float or ndarray
        MSE distortion, broadcast shape of the inputs.

    References
    ----------
    .. [1] Y. Blau, T. Michaeli, "Rethinking lossy compression: the rate-distortion-perception
       tradeoff", ICML 2019.
    .. [2] G. Zhang, J. Qian, J. Chen, A. Khisti, "Universal rate-distortion-perception
       representations for lossy compression", NeurIPS 2021.
    """
    s = check_sigma(sigma, "sigma")
    r = check_rates(rate, "rate")
    p = check_perception(perception, "perception")
    s, r, p = np.broadcast_arrays(s, r, p)
    e = s**2 * np.exp2(-2.0 * r)
    d = e + _frame_gap(s, e, p) ** 2
    return _out(d)


def _sequence_arg(value: ArrayLike, name: str, T: int, checker) -> FloatArray:  # type: ignore[no-untyped-def]
    arr = checker(value, name)
    if arr.ndim == 0:
        return np.full(T, float(arr))
    if arr.shape[-1] != T:
        raise InvalidParameterError(
            f"{name} must be a scalar or have a last axis of length T = {T} (one entry per frame), "
            f"got shape {arr.shape}"
        )
    return arr


class GreedyRepresentation(NamedTuple):
    r"""The MSE-optimal (greedy) representation of THEORY.md section 3.

    Attributes (each shape ``(..., T)``)
    ------------------------------------
    p : :math:`p_j = \operatorname{Var}(X_j \mid X_{r,1..j-1})`, prior variance before frame ``j``.
    q : :math:`q_j = (1 - 2^{-2R_j}) p_j`, the squared covariance of the new innovation.
    e : :math:`e_j = p_j - q_j = p_j 2^{-2R_j}`, the MMSE after frame ``j``.
    v : :math:`v_j = \sigma_j^2 - e_j = \sum_{i \le j} A_{j,i}^2 q_i`, variance of the MMSE
        estimate, computed as :math:`v_j = a_{j-1}^2 v_{j-1} + q_j` (no cancellation).
    """

    p: FloatArray
    q: FloatArray
    e: FloatArray
    v: FloatArray


def greedy_representation(source: GaussMarkovSource, rates: ArrayLike) -> GreedyRepresentation:
    r"""Greedy representation: :math:`q_j` at its rate-constrained maximum for every frame.

    .. math::

        p_1 = \sigma_1^2, \quad e_j = p_j 2^{-2R_j}, \quad q_j = p_j - e_j,
        \quad p_{j+1} = a_j^2 e_j + s_j.

    Taking every :math:`q_j` at its maximum minimises every :math:`e_j` at once (each
    :math:`p_{j+1}` is increasing in :math:`e_j`), so this one representation is MSE-optimal for
    all frames simultaneously.
    """
    T = source.T
    r = _sequence_arg(rates, "rates", T, check_rates)
    b = np.exp2(-2.0 * r)
    keep = -np.expm1(-2.0 * np.log(2.0) * r)  # 1 - 2^{-2R}, accurate for tiny R
    p = np.empty_like(b)
    e = np.empty_like(b)
    q = np.empty_like(b)
    v = np.empty_like(b)
    p[..., 0] = source.variances[0]
    for j in range(T):
        if j > 0:
            a2 = source.a[j - 1] ** 2
            p[..., j] = a2 * e[..., j - 1] + source.innovation_variances[j - 1]
        e[..., j] = p[..., j] * b[..., j]
        q[..., j] = p[..., j] * keep[..., j]
        v[..., j] = q[..., j] + (source.a[j - 1] ** 2 * v[..., j - 1] if j > 0 else 0.0)
    return GreedyRepresentation(p=p, q=q, e=e, v=v)


def mmse_distortions(source: GaussMarkovSource, rates: ArrayLike) -> FloatArray:
    r"""MSE-only sequential distortions :math:`D_j = e_j = p_j 2^{-2R_j}` (no perception constraint).

    Parameters
    ----------
    source : GaussMarkovSource
    rates : array_like, shape (..., T) or scalar
        Bits per sample per frame, each in ``[0, inf]``.

    Returns
    -------
    ndarray, shape (..., T)
    """
    return greedy_representation(source, rates).e


def fmd_distortions(
    source: GaussMarkovSource, rates: ArrayLike, perception: ArrayLike
) -> FloatArray:
    r"""PLF-FMD distortions for any perception levels and any ``T``.

    The MSE representation followed by a per-frame rescaling of the MMSE estimate is optimal for
    every frame at once:

    .. math::

        D_j = e_j + \max\!\Bigl(0,\ \sigma_j - \sqrt{\sigma_j^2 - e_j} - \sqrt{P_j}\Bigr)^2,

    with :math:`e_j` from :func:`greedy_representation`. (Any scheme has MMSE at least
    :math:`e_j` and, by Cauchy-Schwarz, pays at least the squared gap between the standard
    deviation of its reconstruction and that of the estimate; both bounds are met together.)

    Parameters
    ----------
    source : GaussMarkovSource
    rates : array_like, shape (..., T) or scalar
    perception : array_like, shape (..., T) or scalar
        W2^2 levels per frame, each in ``[0, inf]``.

    Returns
    -------
    ndarray, broadcast shape (..., T)
    """
    T = source.T
    rep = greedy_representation(source, rates)
    p = _sequence_arg(perception, "perception", T, check_perception)
    e, v, p = np.broadcast_arrays(rep.e, rep.v, p)
    return e + _frame_gap(np.broadcast_to(source.sigma, e.shape), e, p, v) ** 2


def jd_zero_perception_distortions(source: GaussMarkovSource, rates: ArrayLike) -> FloatArray:
    r"""0-PLF-JD distortions at the lexicographic optimum (min :math:`D_1`, then :math:`D_2`, ...).

    .. math::

        D_j = 2\sigma_j^2 - 2 c_j, \quad c_1 = \sigma_1\sqrt{q_1}, \quad
        c_j = a_{j-1}^2 c_{j-1} + \sqrt{s_{j-1} q_j},

    with :math:`q` from :func:`greedy_representation`. The optimal decoder is
    :math:`\hat X_j = a_{j-1}\hat X_{j-1} + \sqrt{s_{j-1}}\,U_j`: it reproduces the source law
    exactly, and only the fresh innovation can carry new information. It is evaluated free of
    cancellation as :math:`D_j = e_j + \delta_j`, where :math:`\delta_j` is the variance of the
    gap between the MMSE estimate and :math:`\hat X_j`:
    :math:`\delta_1 = (\sigma_1 - \sqrt{q_1})^2`,
    :math:`\delta_j = a_{j-1}^2 \delta_{j-1} + (\sqrt{s_{j-1}} - \sqrt{q_j})^2`
    (a sum of squares; found by ``rdp_theory.symbolic``).

    Returns
    -------
    ndarray, shape (..., T)
    """
    rep = greedy_representation(source, rates)
    T = source.T
    # D_j = e_j + delta_j with delta_j = Var(MMSE estimate - Xhat_j), a sum of squares:
    # delta_1 = (sigma_1 - sqrt q_1)^2, delta_j = a^2 delta_{j-1} + (sqrt s - sqrt q_j)^2, and
    # sqrt s - sqrt q_j = (s - q_j)/(sqrt s + sqrt q_j) with s - q_j = e_j - a^2 e_{j-1}.
    delta = np.empty_like(rep.q)
    s1 = source.sigma[0]
    delta[..., 0] = (rep.e[..., 0] / (s1 + np.sqrt(rep.q[..., 0]))) ** 2
    for j in range(1, T):
        a2 = source.a[j - 1] ** 2
        rs = np.sqrt(source.innovation_variances[j - 1])
        diff = (rep.e[..., j] - a2 * rep.e[..., j - 1]) / (rs + np.sqrt(rep.q[..., j]))
        delta[..., j] = a2 * delta[..., j - 1] + diff**2
    return rep.e + delta


def error_permanence_limit(source: GaussMarkovSource, frame: int = 2) -> float:
    r"""Limit of the 0-PLF-JD distortion of ``frame`` as :math:`R_1 \to 0` and :math:`R_{frame} \to \infty`
    (intermediate rates 0): :math:`2\sigma_j^2 (1 - \sqrt{1 - \rho_{j-1}^2})`, with :math:`j` = ``frame``.

    Only the last correlation enters: with no information before frame ``j`` the decoder's
    earlier outputs are pure noise (every :math:`\delta_i = \sigma_i^2`), so frame ``j`` can use
    only the fresh innovation, of variance :math:`\sigma_j^2(1-\rho_{j-1}^2)`.

    For ``frame = 2`` this is :math:`2\sigma_2^2 (1 - \sqrt{1 - \rho_1^2})`, which is positive while
    0-PLF-FMD reaches zero: the JD decoder cannot correct the first frame's error (error permanence).
    """
    if not isinstance(frame, (int, np.integer)) or not 2 <= frame <= source.T:
        raise InvalidParameterError(f"frame must be an integer in [2, T={source.T}], got {frame!r}")
    rates = np.zeros(source.T)
    rates[frame - 1] = np.inf
    return float(jd_zero_perception_distortions(source, rates)[frame - 1])


def operational_rates(rates: ArrayLike) -> FloatArray | float:
    r"""One-shot operational rate for an information rate :math:`R`: :math:`R + \log_2(R + 1) + 5`.

    By the strong functional representation lemma the one-shot operational region lies between
    the information region and the information region with every :math:`R_j` replaced by this
    value (bits per sample, ``inf`` maps to ``inf``).

    References
    ----------
    .. [1] C. T. Li, A. El Gamal, "Strong functional representation lemma and applications to
       coding theorems", IEEE Trans. IT 2018.
    """
    r = check_rates(rates, "rates")
    return _out(r + np.log2(r + 1.0) + 5.0)

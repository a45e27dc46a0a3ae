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

*Very high rates.* Every value is computed in units of :math:`\sigma_j^2` (below). There, a
distortion under the smallest normal double, :math:`2^{-1022} \approx 2.2\times10^{-308}` (frame
rates above about 511 bits), keeps only an absolute accuracy of :math:`2^{-1074}\sigma_j^2
\approx 4.9\times10^{-324}\sigma_j^2`, and below that it is 0. Where :math:`\sigma_j^2 > 1`
such a value could be held by a double: at :math:`\sigma = 10^{150}` and 600 bits the distortion
is :math:`5.8\times10^{-62}` and 0 is returned (review, 2026-11-30). Nothing of practical
size is lost (the solver treats rates above 64 bits as lossless).

Scale covariance
----------------
Every closed form is computed in units of :math:`\sigma_j` per frame and multiplied back by
:math:`\sigma_j^2`. Dividing frame ``j`` by :math:`\sigma_j` turns the source into one with unit
variances and the same correlations (:math:`a_j \to \rho_j`, :math:`s_j \to 1 - \rho_j^2`), the
perception level into :math:`P_j / \sigma_j^2`, and every distortion, MMSE and variance of
frame ``j`` into itself divided by :math:`\sigma_j^2`. So multiplying frame ``j`` by
:math:`c_j > 0` (and its perception level by :math:`c_j^2`) multiplies :math:`D_j` by
:math:`c_j^2`, for each frame separately, and no intermediate quantity depends on ratios
:math:`\sigma_{j+1}/\sigma_j` (which overflow for extreme sources) or on :math:`\sigma^2` alone
(which underflows). The tests check both this normalised computation against the direct formulas
and the covariance at extreme scales.

Broadcasting
------------
Per-frame arguments are a scalar, or an array whose last axis is the frame (length ``T``, or
length 1 for a value shared by all frames). Leading axes broadcast with numpy rules; shapes that
do not broadcast give an :class:`~rdp_theory.exceptions.InvalidParameterError` naming the
arguments and their shapes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import (
    broadcast_shapes,
    check_perception,
    check_positive_int,
    check_rates,
    check_sigma,
)
from .exceptions import InvalidParameterError
from .source import GaussMarkovSource, check_source

__all__ = [
    "GreedyRepresentation",
    "gaussian_rdp",
    "greedy_representation",
    "mmse_distortions",
    "fmd_distortions",
    "jd_zero_perception_distortions",
    "sa_zero_perception_distortions",
    "error_permanence_limit",
    "operational_rates",
]

FloatArray = NDArray[np.float64]

_LN4 = 2.0 * np.log(2.0)


def _out(x: FloatArray) -> FloatArray | float:
    return float(x) if np.ndim(x) == 0 else x


def _rate_terms(r: FloatArray) -> tuple[FloatArray, FloatArray]:
    r""":math:`2^{-2R}` and :math:`1 - 2^{-2R}` (the latter as ``-expm1``, accurate for tiny R).

    A finite rate above :math:`2^{1022}` bits makes :math:`-2R` overflow to :math:`-\infty`,
    whose powers are the exact limits (0 and 1): the overflow is the intended result, not an
    error, so it is not reported.
    """
    with np.errstate(over="ignore"):
        return np.exp2(-2.0 * r), -np.expm1(-_LN4 * r)


def gaussian_rdp(sigma: ArrayLike, rate: ArrayLike, perception: ArrayLike) -> FloatArray | float:
    r"""Distortion-rate-perception function of one Gaussian frame under MSE and W2^2.

    .. math::

        D(R, P) = \sigma^2 + \hat s^2 - 2 \hat s \sqrt{v}, \qquad
        e = \sigma^2 2^{-2R}, \quad v = \sigma^2 - e, \quad
        \hat s = \max(\sqrt v, \sigma - \sqrt P),

    evaluated in the cancellation-free form described in the module docstring, in units of
    :math:`\sigma` (see "Scale covariance" there). At :math:`P = 0`,
    :math:`D = 2\sigma^2(1 - \sqrt{1 - 2^{-2R}})`; at :math:`P = \infty`, :math:`D = e`.

    Parameters
    ----------
    sigma : array_like
        Standard deviation of the frame, in ``[1e-150, 1e150]``.
    rate : array_like
        Rate in bits per sample, in ``[0, inf]``.
    perception : array_like
        Perception level :math:`P` (W2^2), in ``[0, inf]``.

    The three arguments broadcast together with numpy rules (shapes that do not broadcast are an
    :class:`~rdp_theory.exceptions.InvalidParameterError` naming them).

    Returns
    -------
    float or ndarray
        MSE distortion, broadcast shape of the inputs (a float when all three are scalars).

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
    broadcast_shapes(sigma=s, rate=r, perception=p)
    b, keep = _rate_terms(r)  # e / sigma^2 and v / sigma^2 = 1 - 2^{-2R}
    gap = b / (1.0 + np.sqrt(keep)) - np.sqrt(p) / s  # (sigma - sqrt v - sqrt P) / sigma
    d = (b + np.maximum(gap, 0.0) ** 2) * (s * s)
    return _out(d)


def _sequence_arg(value: ArrayLike, name: str, T: int, checker) -> FloatArray:  # type: ignore[no-untyped-def]
    """A per-frame argument: a scalar (returned with shape (1,)) or shape ``(..., T)`` or
    ``(..., 1)`` (the last axis is the frame; a length-1 last axis is shared by all frames)."""
    arr = checker(value, name)
    if arr.ndim == 0:
        return arr.reshape(1)
    if arr.shape[-1] not in (T, 1):
        raise InvalidParameterError(
            f"{name} must be a scalar or have a last axis of length T = {T} or 1 (the last axis is "
            f"the frame; for a grid of levels shared by all frames add a trailing axis, "
            f"x[..., None]), got shape {arr.shape}"
        )
    return arr


class GreedyRepresentation(NamedTuple):
    r"""The MSE-optimal (greedy) representation of THEORY.md section 3 (each array has shape
    ``(..., T)``).

    Attributes
    ----------
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


def _rho_terms(source: GaussMarkovSource) -> tuple[FloatArray, FloatArray]:
    r""":math:`\rho_j^2` and :math:`1 - \rho_j^2 = (1 - \rho_j)(1 + \rho_j)` (accurate near 1)."""
    rho = np.asarray(source.rhos, dtype=np.float64)
    return rho * rho, (1.0 - rho) * (1.0 + rho)


def _least_rates(
    source: GaussMarkovSource, e_star: FloatArray, log_e_star: FloatArray | None = None
) -> FloatArray:
    r"""The least rates (bits per sample) whose MMSE meets :math:`e_j \le e_j^\star` frame by
    frame, in frame-normalised units (``inf``: no bound), shape (T,).

    .. math::

        p_1 = 1, \quad e_j = \min(e_j^\star, p_j), \quad R_j = \tfrac12\log_2(p_j/e_j),
        \quad p_{j+1} = \rho_j^2 e_j + 1 - \rho_j^2.

    Each :math:`p_{j+1}` grows with :math:`e_j`, so every rate is least at once (the greedy
    recursion of docs/theory.md 4.2 inverted; the rate form's closed form, 4.9). ``log_e_star``:
    :math:`\ln e_j^\star` where it is not NaN, for bounds below 1e-200 that underflow as
    numbers (the rate is then :math:`\tfrac12(\log_2 p_j - \log_2 e_j^\star)`).
    """
    rho2 = np.asarray(source.rhos, dtype=np.float64) ** 2
    T = source.T
    rates = np.empty(T)
    p = 1.0
    for j in range(T):
        e = min(float(e_star[j]), p)
        if e >= p:
            rates[j] = 0.0
        elif log_e_star is not None and not math.isnan(log_e_star[j]):
            rates[j] = 0.5 * (math.log(p) - float(log_e_star[j])) / math.log(2.0)
        else:
            rates[j] = 0.5 * math.log2(p / e) if e > 0 else math.inf
        if j < T - 1:
            p = rho2[j] * e + (1.0 - rho2[j])
    return rates


def _normalised_greedy(
    source: GaussMarkovSource, rates: ArrayLike, *, need_p: bool = False
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray | None]:
    r"""The greedy recursion in units of :math:`\sigma_j^2` per frame: ``(e, q, v, p)`` divided by
    :math:`\sigma_j^2` (``p`` only if ``need_p``). Shape ``(..., T)``; depends on rho and R only.

    With :math:`\tilde x_j = x_j / \sigma_j^2`, :math:`a_j^2 \sigma_j^2 / \sigma_{j+1}^2 = \rho_j^2`
    and :math:`s_j / \sigma_{j+1}^2 = 1 - \rho_j^2`, so
    :math:`\tilde p_1 = 1`, :math:`\tilde p_{j+1} = \rho_j^2 \tilde e_j + 1 - \rho_j^2`,
    :math:`\tilde v_{j+1} = \rho_j^2 \tilde v_j + \tilde q_{j+1}`.
    """
    T = source.T
    r = _sequence_arg(rates, "rates", T, check_rates)
    r = np.broadcast_to(r, r.shape[:-1] + (T,))
    rho2, om = _rho_terms(source)
    e, q = _rate_terms(r)  # become e~ and q~ in place (p~_1 = 1)
    p = np.ones_like(e) if need_p else None
    for j in range(1, T):
        pj = rho2[j - 1] * e[..., j - 1] + om[j - 1]
        e[..., j] *= pj
        q[..., j] *= pj
        if p is not None:
            p[..., j] = pj
    v = q.copy()
    for j in range(1, T):
        v[..., j] += rho2[j - 1] * v[..., j - 1]
    return e, q, v, p


#: Grids with at least this many points (the product of the leading axes) are evaluated frame
#: by frame (:func:`_greedy_frames`): each frame's quantities are contiguous arrays, which numpy
#: processes about twice as fast as the strided columns ``x[..., j]`` of the ``(..., T)`` layout.
#: Smaller inputs (a handful of points, possibly many frames) keep the ``(..., T)`` layout of
#: :func:`_normalised_greedy`, whose Python work per frame is smaller. Both paths perform the
#: same floating-point operations in the same order, so their results are identical (tested).
_FRAME_MAJOR_MIN = 256


def _frame_major(T: int, lead: tuple[int, ...]) -> bool:
    """Whether a grid of leading shape ``lead`` takes the frame-by-frame path."""
    return T > 1 and math.prod(lead) >= _FRAME_MAJOR_MIN


def _greedy_frames(
    source: GaussMarkovSource, r: FloatArray
) -> Iterator[tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]]:
    r"""The recursion of :func:`_normalised_greedy`, one frame at a time.

    ``r``: validated rates of shape ``(..., T)`` or ``(..., 1)`` (shared by all frames). Yields,
    for ``j = 0..T-1``, ``(e~_j, q~_j, v~_j, k_j, b_j)`` with :math:`b_j = 2^{-2R_j}` and
    :math:`k_j = 1 - b_j`, each of shape ``r.shape[:-1]`` and contiguous. The arrays are
    read-only to the caller (later frames are computed from them).
    """
    rho2, om = _rho_terms(source)
    shared = r.shape[-1] == 1
    e_prev = v_prev = b = k = np.empty(0)
    for j in range(source.T):
        if j == 0 or not shared:
            rj = r[..., 0] if shared else r[..., j]
            b, k = _rate_terms(rj)  # e~_j / p~_j and q~_j / p~_j
        if j == 0:  # p~_1 = 1
            e, q, v = b, k, k
        else:
            pj = rho2[j - 1] * e_prev + om[j - 1]
            e = b * pj
            q = k * pj
            v = q + rho2[j - 1] * v_prev
        yield e, q, v, k, b
        e_prev, v_prev = e, v


def greedy_representation(source: GaussMarkovSource, rates: ArrayLike) -> GreedyRepresentation:
    r"""Greedy representation: :math:`q_j` at its rate-constrained maximum for every frame.

    .. math::

        p_1 = \sigma_1^2, \quad e_j = p_j 2^{-2R_j}, \quad q_j = p_j - e_j,
        \quad p_{j+1} = a_j^2 e_j + s_j.

    Taking every :math:`q_j` at its maximum minimises every :math:`e_j` at once (each
    :math:`p_{j+1}` is increasing in :math:`e_j`), so this one representation is MSE-optimal for
    all frames simultaneously. Computed in units of :math:`\sigma_j^2` per frame (module
    docstring, "Scale covariance") and multiplied back, so every accepted sigma is exact to
    round-off.

    Parameters
    ----------
    source : GaussMarkovSource
    rates : array_like, scalar or shape (..., T) or (..., 1)
        Bits per sample per frame, each in ``[0, inf]``.

    Returns
    -------
    GreedyRepresentation
        ``p, q, e, v``, each of shape ``(..., T)``.
    """
    source = check_source(source)
    e, q, v, p = _normalised_greedy(source, rates, need_p=True)
    var = source.variances
    return GreedyRepresentation(p=p * var, q=q * var, e=e * var, v=v * var)  # type: ignore[operator]


def mmse_distortions(source: GaussMarkovSource, rates: ArrayLike) -> FloatArray:
    r"""MSE-only sequential distortions :math:`D_j = e_j = p_j 2^{-2R_j}` (no perception constraint).

    Parameters
    ----------
    source : GaussMarkovSource
    rates : array_like, scalar or shape (..., T) or (..., 1)
        Bits per sample per frame, each in ``[0, inf]``.

    Returns
    -------
    ndarray, shape (..., T)
    """
    source = check_source(source)
    T = source.T
    r = _sequence_arg(rates, "rates", T, check_rates)
    if not _frame_major(T, r.shape[:-1]):
        e = _normalised_greedy(source, r)[0]
        e *= source.variances
        return e
    out = np.empty(r.shape[:-1] + (T,))
    var = source.variances
    for j, (e, _, _, _, _) in enumerate(_greedy_frames(source, r)):
        np.multiply(e, var[j], out=out[..., j])
    return out


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
    Evaluated in units of :math:`\sigma_j` per frame: :math:`D_j = \sigma_j^2 \tilde D_j` with
    :math:`\tilde D_j = \tilde e_j + \max(0, \tilde e_j / (1 + \sqrt{\tilde v_j})
    - \sqrt{P_j}/\sigma_j)^2`.

    Parameters
    ----------
    source : GaussMarkovSource
    rates : array_like, scalar or shape (..., T) or (..., 1)
        Bits per sample per frame, each in ``[0, inf]``.
    perception : array_like, scalar or shape (..., T) or (..., 1)
        W2^2 levels per frame, each in ``[0, inf]``.

    The last axis is the frame (length ``T``, or 1 for a value shared by all frames); the leading
    axes of ``rates`` and ``perception`` broadcast with numpy rules. A grid of perception levels
    ``P`` of shape ``(50, 50)`` shared by all frames is ``P[..., None]``; the result then has
    shape ``(50, 50, T)``.

    Returns
    -------
    ndarray, broadcast shape (..., T)
    """
    source = check_source(source)
    T = source.T
    r = _sequence_arg(rates, "rates", T, check_rates)
    p = _sequence_arg(perception, "perception", T, check_perception)
    lead = broadcast_shapes(rates=r, perception=p)[:-1]
    if _frame_major(T, lead):
        return _fmd_frames(source, r, p, lead)
    e, _, v, _ = _normalised_greedy(source, r)
    gap = e / (1.0 + np.sqrt(v))
    root_p = np.sqrt(p) / source.sigma
    if np.broadcast_shapes(gap.shape, root_p.shape) == gap.shape:
        gap -= root_p  # in place: the common case (perception no larger than rates)
    else:
        gap = gap - root_p  # perception brings more leading axes
    np.maximum(gap, 0.0, out=gap)
    gap *= gap
    gap += e
    gap *= source.variances
    return gap


def _fmd_frames(
    source: GaussMarkovSource,
    r: FloatArray,
    p: FloatArray,
    lead: tuple[int, ...],
    perception_values: FloatArray | None = None,
) -> FloatArray:
    r""":func:`fmd_distortions` frame by frame (validated ``r``, ``p``; see :data:`_FRAME_MAJOR_MIN`).

    If ``perception_values`` (shape ``lead + (T,)``) is given, the optimal scheme's W2^2 is
    written into it on the way: the decoder rescales the MMSE estimate to standard deviation
    :math:`\max(\sqrt{v_j}, \sigma_j - \sqrt{P_j})`, so
    :math:`\phi_j = \min\bigl((\sigma_j - \sqrt{v_j})^2, P_j\bigr)` with
    :math:`\sigma_j - \sqrt{v_j} = \sigma_j \tilde e_j / (1 + \sqrt{\tilde v_j})`.
    """
    T = source.T
    out = np.empty(lead + (T,))
    var, sigma = source.variances, source.sigma
    for j, (e, _, v, _, _) in enumerate(_greedy_frames(source, r)):
        gap = np.asarray(e / (1.0 + np.sqrt(v)))  # an array even for one point (in-place below)
        pj = p[..., j] if p.shape[-1] == T else p[..., 0]
        if perception_values is not None:
            np.minimum(gap * gap * var[j], pj, out=perception_values[..., j])
        root_p = np.sqrt(pj) / sigma[j]
        if gap.shape == lead:
            gap -= root_p
        else:
            gap = gap - root_p  # perception brings more leading axes
        np.maximum(gap, 0.0, out=gap)
        gap *= gap
        gap += e
        np.multiply(gap, var[j], out=out[..., j])
    return out


def _jd_zero_frames(source: GaussMarkovSource, r: FloatArray) -> FloatArray:
    """:func:`jd_zero_perception_distortions` frame by frame (see :data:`_FRAME_MAJOR_MIN`)."""
    T = source.T
    out = np.empty(r.shape[:-1] + (T,))
    var = source.variances
    rho2, om = _rho_terms(source)
    rs = np.sqrt(om)
    delta = e_prev = None
    for j, (e, q, _, k, b) in enumerate(_greedy_frames(source, r)):
        if delta is None:
            delta = (e / (1.0 + np.sqrt(q))) ** 2
        else:
            diff = (om[j - 1] * b - rho2[j - 1] * e_prev * k) / (rs[j - 1] + np.sqrt(q))
            delta = rho2[j - 1] * delta + diff * diff
        np.multiply(delta + e, var[j], out=out[..., j])
        e_prev = e
    return out


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
    (a sum of squares; found by ``rdp_theory.symbolic``). In units of :math:`\sigma_j^2` per
    frame, :math:`\tilde\delta_1 = (1 - \sqrt{\tilde q_1})^2` and
    :math:`\tilde\delta_j = \rho_{j-1}^2 \tilde\delta_{j-1}
    + (\sqrt{1 - \rho_{j-1}^2} - \sqrt{\tilde q_j})^2`.

    Parameters
    ----------
    source : GaussMarkovSource
    rates : array_like, scalar or shape (..., T) or (..., 1)

    Returns
    -------
    ndarray, shape (..., T)
    """
    source = check_source(source)
    r = _sequence_arg(rates, "rates", source.T, check_rates)
    if _frame_major(source.T, r.shape[:-1]):
        return _jd_zero_frames(source, r)
    e, q, _, _ = _normalised_greedy(source, r)
    b, k = _rate_terms(np.broadcast_to(r, e.shape))
    rho2, om = _rho_terms(source)
    rs = np.sqrt(om)
    # sqrt(1 - rho^2) - sqrt(q~_j) = (1 - rho^2 - q~_j) / (...) with
    # 1 - rho^2 - q~_j = (1 - rho^2) b_j - rho^2 e~_{j-1} k_j: as e~_j - rho^2 e~_{j-1} it
    # cancelled at tiny R_j and |rho| near 1 (3.6e-9 relative, review 2026-11-30)
    delta = np.empty_like(e)
    delta[..., 0] = (e[..., 0] / (1.0 + np.sqrt(q[..., 0]))) ** 2
    for j in range(1, source.T):
        gap = om[j - 1] * b[..., j] - rho2[j - 1] * e[..., j - 1] * k[..., j]
        diff = gap / (rs[j - 1] + np.sqrt(q[..., j]))
        delta[..., j] = rho2[j - 1] * delta[..., j - 1] + diff * diff
    delta += e
    delta *= source.variances
    return delta


def sa_zero_perception_distortions(source: GaussMarkovSource, rates: ArrayLike) -> FloatArray:
    r"""0-PLF-SA distortions at the lexicographic optimum (min :math:`D_1`, then :math:`D_2`, ...).

    .. math::

        D_j = 2 p_j \bigl(1 - \sqrt{1 - 2^{-2R_j}}\bigr)
            = 2 p_j - 2\sqrt{p_j q_j}
            = \frac{2 e_j}{1 + \sqrt{1 - 2^{-2R_j}}},

    the one-frame perfect-realism formula with :math:`\sigma_j^2` replaced by the prior variance
    :math:`p_j = \operatorname{Var}(X_j \mid U_{<j})` of :func:`greedy_representation`. The
    optimal decoder is :math:`\hat X_j = a_{j-1} Y_{j-1} + \sqrt{p_j}\,U_j` with
    :math:`Y_j = E[X_j \mid U_{\le j}]`: the prediction of :math:`X_j` from the past
    representations plus the fresh innovation inflated to the conditional standard deviation
    (docs/theory.md, "0-PLF-SA"). Consequences: :math:`e_j \le D_j \le 2 e_j`, no error
    permanence (:math:`D_j = 0` at :math:`R_j = \infty`), and every :math:`D_j` is
    non-increasing in every rate, unlike lexicographic 0-PLF-JD. Evaluated as the last form in
    units of :math:`\sigma_j^2` (no cancellation).

    Parameters
    ----------
    source : GaussMarkovSource
    rates : array_like, scalar or shape (..., T) or (..., 1)
        Bits per sample per frame, each in ``[0, inf]``.

    Returns
    -------
    ndarray, shape (..., T)
        Distortions (MSE, variance units).
    """
    source = check_source(source)
    T = source.T
    r = _sequence_arg(rates, "rates", T, check_rates)
    if _frame_major(T, r.shape[:-1]):
        out = np.empty(r.shape[:-1] + (T,))
        var = source.variances
        for j, (e, _, _, k, _) in enumerate(_greedy_frames(source, r)):
            np.multiply(2.0 * e / (1.0 + np.sqrt(k)), var[j], out=out[..., j])
        return out
    e, q, _, _ = _normalised_greedy(source, r)
    r = np.broadcast_to(r, e.shape)
    return 2.0 * e / (1.0 + np.sqrt(_rate_terms(r)[1])) * source.variances


def error_permanence_limit(source: GaussMarkovSource, frame: int = 2) -> float:
    r"""Limit of the 0-PLF-JD distortion of ``frame`` as :math:`R_1 \to 0` and :math:`R_{frame} \to \infty`
    (intermediate rates 0): :math:`2\sigma_j^2 (1 - \sqrt{1 - \rho_{j-1}^2})`, with :math:`j` = ``frame``.

    Only the last correlation enters: with no information before frame ``j`` the decoder's
    earlier outputs are pure noise (every :math:`\delta_i = \sigma_i^2`), so frame ``j`` can use
    only the fresh innovation, of variance :math:`\sigma_j^2(1-\rho_{j-1}^2)`.

    For ``frame = 2`` this is :math:`2\sigma_2^2 (1 - \sqrt{1 - \rho_1^2})`, which is positive while
    0-PLF-FMD reaches zero: the JD decoder cannot correct the first frame's error (error permanence).

    ``source`` needs ``T >= 2`` frames; ``frame`` is an integer in ``[2, T]``.
    """
    source = check_source(source)
    if source.T < 2:
        raise InvalidParameterError(
            f"source must have T >= 2 frames for an error-permanence limit, got T = {source.T}"
        )
    frame = check_positive_int(frame, "frame", minimum=2, maximum=source.T)
    rates = np.zeros(source.T)
    rates[frame - 1] = np.inf
    return float(jd_zero_perception_distortions(source, rates)[frame - 1])


def operational_rates(rates: ArrayLike) -> FloatArray | float:
    r"""One-shot operational rate for an information rate :math:`R`: :math:`R + \log_2(R + 1) + 5`.

    By the strong functional representation lemma the one-shot operational region lies between
    the information region and the information region with every :math:`R_j` replaced by this
    value (bits per sample, ``inf`` maps to ``inf``). ``rates``: any shape, each in ``[0, inf]``.

    References
    ----------
    .. [1] C. T. Li, A. El Gamal, "Strong functional representation lemma and applications to
       coding theorems", IEEE Trans. IT 2018.
    """
    r = check_rates(rates, "rates")
    return _out(r + np.log2(r + 1.0) + 5.0)

r"""Limited or no common randomness between encoder and decoder (issue 16, part 3).

Everywhere else the package assumes *unlimited* common randomness. Here the encoder and decoder
share only ``common_rate`` bits per sample of it (or none), and the decoder may use private
randomness. Perception is measured on the law of the whole reconstruction block, as everywhere in
this package when a frame is ``n`` i.i.d. copies: the perception of a frame is
:math:`\tfrac1n W_2^2(\mathrm{law}(\hat X^n), P_X^{\otimes n})`, so ``P = 0`` is exact realism of
the block (Wagner's *perfect realism*, not per-letter realism; under a per-letter constraint common
randomness does not matter, and the unlimited-randomness formulas apply). The derivations are in
``docs/theory.md`` section 4.10.

One Gaussian frame (:func:`common_randomness_distortion`), exact for every ``R``, ``R_c`` and
``P``:

.. math::

    D(R, R_c, P) = e + \bigl(\sqrt{\Delta} - \sqrt P\bigr)_+^2,\qquad e = \sigma^2 2^{-2R},

    \Delta = \sigma^2\Bigl[\bigl(\sqrt{1 - 2^{-2R}} - \sqrt{1 - 2^{-2(R + R_c)}}\bigr)^2
             + 2^{-2(R + R_c)}\Bigr].

At ``P = 0`` this is Wagner's :math:`2\sigma^2\bigl[1 - \sqrt{(1 - 2^{-2R})(1 - 2^{-2(R+R_c)})}\bigr]`;
at ``R_c = 0`` it is :math:`e + (\sqrt e - \sqrt P)_+^2` (twice the MSE at ``P = 0``); at
``R_c = inf`` it is :func:`rdp_theory.gaussian_rdp`.

``T`` frames, PLF-FMD, no common randomness (:func:`fmd_no_common_randomness`): bounds, not a
closed form (what is and is not known is in the docstring and the theory note).

Units: rates in bits per sample, distortion is MSE, perception is W2^2 per sample. Every function
broadcasts with numpy rules like :mod:`rdp_theory.closed_form`.

References
----------
.. [1] A. B. Wagner, "The rate-distortion-perception trade-off: the role of common randomness",
   arXiv:2202.04147, 2022.
.. [2] N. Saldi, T. Linder, S. Yüksel, "Output constrained lossy source coding with limited common
   randomness", IEEE Trans. IT 61(9), 2015.
.. [3] X. Qu, J. Chen, L. Yu, X. Xu, "Rate-distortion-perception theory for the quadratic
   Wasserstein space", arXiv:2504.17236, 2025.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import broadcast_shapes, check_perception, check_rates, check_sigma
from .closed_form import _normalised_greedy, _rate_terms, _sequence_arg
from .source import GaussMarkovSource, check_source

__all__ = ["DistortionBounds", "common_randomness_distortion", "fmd_no_common_randomness"]

FloatArray = NDArray[np.float64]


def _out(x: FloatArray) -> FloatArray | float:
    return float(x) if np.ndim(x) == 0 else x


def _ratio_sq(num: FloatArray, den: FloatArray) -> FloatArray:
    """``(num / den)**2``, 0 where ``den == 0`` (then ``num == 0`` too, see the callers)."""
    safe = np.where(den > 0.0, den, 1.0)
    return np.where(den > 0.0, (num / safe) ** 2, 0.0)


def common_randomness_distortion(
    sigma: ArrayLike, rate: ArrayLike, common_rate: ArrayLike, perception: ArrayLike = 0.0
) -> FloatArray | float:
    r"""Least MSE of one Gaussian frame with ``common_rate`` bits per sample of common randomness.

    .. math::

        D(R, R_c, P) = e + \bigl(\sqrt\Delta - \sqrt P\bigr)_+^2, \qquad e = \sigma^2 b,\
        \Delta = \sigma^2 b\Bigl[c + \frac{b (1 - c)^2}{(\sqrt{1 - b} + \sqrt{1 - bc})^2}\Bigr],

    with :math:`b = 2^{-2R}` and :math:`c = 2^{-2R_c}`; the second form of :math:`\Delta` is the
    cancellation-free version of
    :math:`\sigma^2[(\sqrt{1-2^{-2R}} - \sqrt{1-2^{-2(R+R_c)}})^2 + 2^{-2(R+R_c)}]`.

    *Converse* (any block length, any scheme; ``docs/theory.md`` 4.10): with
    :math:`U = (M, K)` (message and common randomness), the MMSE estimate :math:`V = E[X^n | U]`
    and a W2-optimal coupling partner :math:`Y^n \sim P_X^{\otimes n}` of the reconstruction,
    :math:`D \ge m + (\sqrt\Delta' - \sqrt P)_+^2` with :math:`m = E\|X - V\|^2/n \ge e` and
    :math:`\Delta' = E\|V - Y\|^2/n`; Cauchy-Schwarz and the entropy-power bound
    :math:`E\|E[Y^n|U]\|^2 \le n\sigma^2(1 - 2^{-2(R+R_c)})` (as :math:`H(U) \le n(R + R_c)`) give
    :math:`\Delta' \ge \Delta`. *Achievability*: the MMSE representation, a realism sample drawn
    with the help of the common randomness, and a decoder interpolating linearly between the two
    (Qu, Chen, Yu and Xu [3]; at ``P = 0`` Wagner [1], Saldi, Linder and Yüksel [2]).

    Parameters
    ----------
    sigma : array_like
        Standard deviation of the frame, in ``[1e-150, 1e150]``.
    rate : array_like
        Rate :math:`R` in bits per sample, in ``[0, inf]``.
    common_rate : array_like
        Common randomness :math:`R_c` in bits per sample, in ``[0, inf]`` (``inf``: unlimited,
        :func:`rdp_theory.gaussian_rdp`).
    perception : array_like, default 0
        Perception level :math:`P` (W2^2 per sample between the block laws), in ``[0, inf]``.

    The four arguments broadcast together with numpy rules.

    Returns
    -------
    float or ndarray
        MSE distortion, broadcast shape of the inputs (a float when all are scalars). In
        ``[e, 2 sigma^2]``.

    Examples
    --------
    >>> import rdp_theory as rt
    >>> rt.common_randomness_distortion(1.0, 1.0, 0.0)        # no randomness: twice the MSE
    0.5
    >>> round(rt.common_randomness_distortion(1.0, 1.0, 0.5), 6)   # half a bit of randomness
    0.379815
    >>> round(rt.common_randomness_distortion(1.0, 1.0, float("inf")), 6)   # = rt.gaussian_rdp
    0.267949

    References
    ----------
    .. [1] A. B. Wagner, arXiv:2202.04147, 2022 (perfect realism, any :math:`R_c`).
    .. [2] N. Saldi, T. Linder, S. Yüksel, IEEE Trans. IT 61(9), 2015.
    .. [3] X. Qu, J. Chen, L. Yu, X. Xu, arXiv:2504.17236, 2025 (W2^2 perception, any :math:`R_c`).
    """
    s = check_sigma(sigma, "sigma")
    r = check_rates(rate, "rate")
    rc = check_rates(common_rate, "common_rate")
    p = check_perception(perception, "perception")
    broadcast_shapes(sigma=s, rate=r, common_rate=rc, perception=p)
    b, k1 = _rate_terms(r)  # e / sigma^2 and 1 - b (accurate for tiny R)
    c, omc = _rate_terms(rc)  # and 1 - c
    k2 = k1 + b * omc  # 1 - b c, a sum of non-negative terms
    # (k2 == 0 forces b * omc == 0, hence the numerator below is 0: _ratio_sq returns 0)
    delta = b * (c + b * _ratio_sq(omc, np.sqrt(k1) + np.sqrt(k2)))
    gap = np.sqrt(delta) - np.sqrt(p) / s
    d = (b + np.maximum(gap, 0.0) ** 2) * (s * s)
    return _out(d)


class DistortionBounds(NamedTuple):
    r"""Lower and upper bounds on per-frame distortions (each of shape ``(..., T)``).

    Attributes
    ----------
    lower : ndarray
        No scheme does better (a converse).
    upper : ndarray
        Achieved by an explicit scheme.
    """

    lower: FloatArray
    upper: FloatArray


def fmd_no_common_randomness(
    source: GaussMarkovSource, rates: ArrayLike, perception: ArrayLike
) -> DistortionBounds:
    r"""PLF-FMD without common randomness, ``T`` frames: lower and upper bounds on every ``D_j``.

    With :math:`e_j, v_j = \sigma_j^2 - e_j` from :func:`rdp_theory.greedy_representation` and
    :math:`S_j = R_1 + \dots + R_j`:

    .. math::

        D_j^{\mathrm{upper}} = e_j + \bigl(\sqrt{e_j} - \sqrt{P_j}\bigr)_+^2, \qquad
        D_j^{\mathrm{lower}} = e_j + \bigl(\sqrt{\Delta_j} - \sqrt{P_j}\bigr)_+^2,

        \Delta_j = \bigl(\sqrt{v_j} - \sigma_j\sqrt{1 - 2^{-2S_j}}\bigr)^2 + \sigma_j^2 2^{-2S_j}
        \;\le\; e_j .

    *Upper bound* (every frame at once): a deterministic sequential MSE code, then at frame ``j``
    a sample :math:`Y_j^n` of the posterior of :math:`X_j^n` given the messages (decoder-private
    randomness; its block law is exactly the source's) and the decoder
    :math:`\lambda E[X_j^n | M^j] + (1 - \lambda) Y_j^n`, :math:`\lambda = \min(1, \sqrt{P_j/e_j})`.
    *Lower bound*: the converse of :func:`common_randomness_distortion` at frame ``j``, where the
    decoder's only "randomness" is the :math:`nS_j` bits of all messages so far.

    The two coincide at frame 1 (Wagner's formula with :math:`R_c = 0`). For ``j >= 2`` the earlier
    messages can act as common randomness (encoder ``j`` knows them): with :math:`\rho_{j-1} = 0`
    they are independent of :math:`X_j` and the lower bound is attained (the one-frame formula with
    :math:`R_c = S_{j-1}`), so the upper bound, the lead :math:`e_j + (\sqrt{e_j} - \sqrt{P_j})_+^2`
    of issue 16, is *not* the optimum in general. The optimum in between is open. For JD and SA
    the FMD lower bound and the unlimited-randomness optima are lower bounds; no achievable closed
    form is known here (``docs/theory.md`` 4.10).

    Parameters
    ----------
    source : GaussMarkovSource
    rates : array_like, scalar or shape (..., T) or (..., 1)
        Bits per sample per frame, each in ``[0, inf]``.
    perception : array_like, scalar or shape (..., T) or (..., 1)
        W2^2 level per frame (per sample, between block laws), each in ``[0, inf]``.

    Returns
    -------
    DistortionBounds
        ``lower`` and ``upper``, each of broadcast shape ``(..., T)``; MSE,
        ``fmd_distortions <= lower <= upper <= 2 sigma_j^2``.
    """
    source = check_source(source)
    T = source.T
    r = _sequence_arg(rates, "rates", T, check_rates)
    p = _sequence_arg(perception, "perception", T, check_perception)
    broadcast_shapes(rates=r, perception=p)
    e, _, v, _ = _normalised_greedy(source, r)  # units of sigma_j^2
    with np.errstate(over="ignore"):  # rates near 1e308 sum to inf: the intended limit
        total = np.cumsum(np.broadcast_to(r, e.shape), axis=-1)  # S_j (inf stays inf)
    floor, keep = _rate_terms(total)  # 2^{-2 S_j} and 1 - 2^{-2 S_j}
    # sqrt(keep) - sqrt(v) >= 0 (e >= floor, docs 4.10), computed without cancellation: as
    # (e - floor) / (sqrt(keep) + sqrt(v)) when keep >= 1/2 (then e, floor <= 1/2 and the two
    # roots may be close), directly when keep < 1/2 (then e, floor > 1/2 and e - floor cancels,
    # while keep and v are each accurate and small); keep == v == 0 only when S_j = 0
    ratio = np.sqrt(_ratio_sq(np.maximum(e - floor, 0.0), np.sqrt(keep) + np.sqrt(v)))
    direct = np.maximum(np.sqrt(keep) - np.sqrt(v), 0.0)
    delta = np.where(keep >= 0.5, ratio, direct) ** 2 + floor
    root_p = np.sqrt(p) / source.sigma
    lower = (e + np.maximum(np.sqrt(delta) - root_p, 0.0) ** 2) * source.variances
    upper = (e + np.maximum(np.sqrt(e) - root_p, 0.0) ** 2) * source.variances
    return DistortionBounds(lower=lower, upper=upper)

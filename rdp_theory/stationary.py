r"""Stationary limits (:math:`T \to \infty`) of the closed forms, for a stationary source.

A stationary Gauss-Markov source has :math:`\sigma_j = \sigma`, :math:`\rho_j = \rho`, so
:math:`a = \rho` and :math:`s = \sigma^2(1 - \rho^2)`; every frame is coded at the same rate
:math:`R` (:math:`r = 2^{-2R}`). The greedy recursion :math:`p_{j+1} = a^2 r\,p_j + s` is a
contraction (factor :math:`\rho^2 r < 1`), so every closed form of :mod:`rdp_theory.closed_form`
converges geometrically to its fixed point:

* MSE only: :math:`e_\infty = \dfrac{s\,r}{1 - a^2 r}`, :math:`p_\infty = e_\infty / r
  = \dfrac{s}{1 - a^2 r}`, :math:`q_\infty = p_\infty - e_\infty`, and the MMSE estimate has
  variance :math:`v_\infty = \sigma^2 - e_\infty`;
* PLF-FMD, any :math:`P`: the one-frame formula at :math:`e_\infty`,
  :math:`D = \sigma^2 + \hat s^2 - 2\hat s\sqrt{v_\infty}`,
  :math:`\hat s = \max(\sqrt{v_\infty}, \sigma - \sqrt P)`;
* 0-PLF-JD (lexicographic): the fixed point of
  :math:`\delta_j = a^2\delta_{j-1} + (\sqrt s - \sqrt{q_j})^2`, i.e.
  :math:`D = e_\infty + \delta_\infty`, :math:`\delta_\infty = (\sqrt s - \sqrt{q_\infty})^2 / (1 - a^2)`;
  since :math:`s - q_\infty = (1 - \rho^2)\,e_\infty`, this is
  :math:`\delta_\infty = \sigma^2(1-\rho^2)\,\tilde e^2 / (\sqrt{1-\rho^2} + \sqrt{\tilde q})^2`
  in units of :math:`\sigma^2` (no cancellation);
* 0-PLF-SA (lexicographic): :math:`D = 2 e_\infty / (1 + \sqrt{1 - r})` (docs/theory.md 4.6);
* the rate form of the MSE limit: :math:`R_\infty(D) = \tfrac12 \log_2(a^2 + s/D)` for
  :math:`0 < D \le \sigma^2` (0 above :math:`\sigma^2`, :math:`\infty` at :math:`D = 0`): the
  inverse of :math:`e_\infty(R)`.

JD and SA with :math:`0 < P < \infty` have no closed-form limit here; :func:`rdp_theory.solve_rdp`
at growing T approaches it. Everything is computed in units of :math:`\sigma^2` and broadcast with
numpy rules (a float when every argument is a scalar).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import (
    as_float_array,
    broadcast_shapes,
    check_choice,
    check_perception,
    check_rates,
    check_sigma,
)
from .closed_form import _rate_terms
from .exceptions import InvalidParameterError

__all__ = ["stationary_distortion", "stationary_rate"]

FloatArray = NDArray[np.float64]

#: 1/(2 ln 2): half a log2, from a natural log
_HALF_LOG2_E = 0.5 / math.log(2.0)


def _out(x: FloatArray) -> FloatArray | float:
    return float(x) if np.ndim(x) == 0 else x


def _check_rho(value: ArrayLike) -> FloatArray:
    rho = as_float_array(value, "rho", " in (-1, 1)")
    if np.any(~(np.abs(rho) < 1.0)):
        raise InvalidParameterError(
            f"rho must lie in the open interval (-1, 1) (allowed range (-1, 1)), got "
            f"{rho.tolist() if rho.size <= 8 else '...'}"
        )
    return rho


def _steady_state(
    rho: FloatArray, rate: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """``(e~, q~, 1 - r, v~)`` of the MSE steady state in units of sigma^2, with
    :math:`\tilde v = 1 - \tilde e = (1 - r)/(1 - \rho^2 r)` formed without the cancellation of
    :math:`1 - \tilde e` at tiny rates (at R = 1e-12 that lost 1.7e-11 of D, found by
    hypothesis)."""
    r, keep = _rate_terms(rate)  # 2^{-2R} and 1 - r (accurate for tiny rates)
    om = (1.0 - rho) * (1.0 + rho)  # 1 - rho^2, accurate near |rho| = 1
    den = keep + r * om  # 1 - rho^2 r
    e = r * om / den
    q = om * keep / den
    return e, q, keep, keep / den


def stationary_distortion(
    sigma: ArrayLike,
    rho: ArrayLike,
    rate: ArrayLike,
    perception: ArrayLike = math.inf,
    plf: str = "fmd",
) -> FloatArray | float:
    r"""Steady-state distortion per frame of a stationary source coded at a constant rate.

    The limit :math:`\lim_{j \to \infty} D_j` of :func:`~rdp_theory.mmse_distortions`
    (``perception = inf``), :func:`~rdp_theory.fmd_distortions` (``plf="fmd"``, any level),
    :func:`~rdp_theory.jd_zero_perception_distortions` (``plf="jd"``, level 0) and
    :func:`~rdp_theory.sa_zero_perception_distortions` (``plf="sa"``, level 0); the formulas are
    in the module docstring.

    Parameters
    ----------
    sigma : array_like
        Standard deviation of every frame, in ``[1e-150, 1e150]``.
    rho : array_like
        Correlation of consecutive frames, in ``(-1, 1)``.
    rate : array_like
        Rate of every frame in bits per sample, in ``[0, inf]``.
    perception : array_like, default inf
        Perception level (W2^2) of every frame, in ``[0, inf]``; for JD and SA only ``0`` and
        ``inf`` have a closed-form limit (anything else is an ``InvalidParameterError``).
    plf : {"fmd", "jd", "sa"}

    Returns
    -------
    float or ndarray
        MSE distortion (variance units), broadcast shape of the arguments.

    Examples
    --------
    >>> import rdp_theory as rt
    >>> round(rt.stationary_distortion(1.0, 0.9, 1.0), 6)   # MSE: 0.19 / 4 / (1 - 0.81 / 4)
    0.059561
    """
    s = check_sigma(sigma, "sigma")
    rho_a = _check_rho(rho)
    r = check_rates(rate, "rate")
    p = check_perception(perception, "perception")
    plf = check_choice(plf, "plf", ("fmd", "jd", "sa"))
    broadcast_shapes(sigma=s, rho=rho_a, rate=r, perception=p)
    e, q, keep, v = _steady_state(rho_a, r)
    e, q, keep, v, p, s = np.broadcast_arrays(e, q, keep, v, p, s)
    if plf == "fmd":
        gap = e / (1.0 + np.sqrt(v)) - np.sqrt(p) / s  # (sigma - sqrt v - sqrt P) / sigma
        d = e + np.maximum(gap, 0.0) ** 2
    else:
        if np.any((p != 0.0) & np.isfinite(p)):
            raise InvalidParameterError(
                f"perception must be 0 or inf for plf={plf!r}: JD and SA with 0 < P < inf have "
                "no closed-form limit (solve_rdp at growing T approaches it)"
            )
        om = (1.0 - rho_a) * (1.0 + rho_a)
        if plf == "jd":
            zero = om * e * e / (np.sqrt(om) + np.sqrt(q)) ** 2 + e
        else:
            zero = 2.0 * e / (1.0 + np.sqrt(keep))
        d = np.where(np.isinf(p), e, zero)
    return _out(d * s * s)


def stationary_rate(sigma: ArrayLike, rho: ArrayLike, distortion: ArrayLike) -> FloatArray | float:
    r"""Least per-frame rate whose MSE steady state meets ``distortion``:
    :math:`R_\infty(D) = \tfrac12\log_2(\rho^2 + (1 - \rho^2)\sigma^2 / D)` for
    :math:`0 < D \le \sigma^2`, 0 above :math:`\sigma^2`, ``inf`` at :math:`D = 0`.

    Parameters
    ----------
    sigma : array_like
        Standard deviation of every frame, in ``[1e-150, 1e150]``.
    rho : array_like
        Correlation of consecutive frames, in ``(-1, 1)``.
    distortion : array_like
        Target MSE (variance units), in ``[0, inf]``.

    Returns
    -------
    float or ndarray
        Bits per sample; the inverse of ``stationary_distortion(sigma, rho, R)`` on
        :math:`0 < D \le \sigma^2`.
    """
    s = check_sigma(sigma, "sigma")
    rho_a = _check_rho(rho)
    d = check_perception(distortion, "distortion")
    broadcast_shapes(sigma=s, rho=rho_a, distortion=d)
    om = (1.0 - rho_a) * (1.0 + rho_a)
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        var = s * s
        dn = d / var
        # rho^2 + (1 - rho^2)/d~ = 1 + x with x = (1 - rho^2)(sigma^2 - D)/D, through log1p:
        # near D = sigma^2 the sum 1 + x rounds to 1 (|rho| = 1 - 1e-15 at d~ = 0.999 gave 0
        # for 1.4e-18 bits, and so missed its target; d~ = 1 - 1e-12 lost 1e-4: review,
        # 2026-11-30), and 1/d~ - 1 cancels, while sigma^2 - D is exact there (Sterbenz).
        # sigma^2 is the float sigma * sigma, the variance every other function uses: at
        # D = sigma * sigma the rate is 0, as stationary_distortion(sigma, rho, 0) = D says
        excess = var - d
        rate = _HALF_LOG2_E * np.log1p(om * (excess / d))
        rate = np.where(excess <= 0.0, 0.0, rate)  # D >= sigma^2 (D = inf included)
        # Where d~ falls below 2^-500 (it underflows, then 1/d~ overflows: sigma = 1e150,
        # D = 1e-10 gave an infinite rate for 996.37 bits, review 2026-11-30), from the logs:
        # rho^2 is then under 1e-134 of (1 - rho^2)/d~ (1 - rho^2 >= 2^-53), so drop it. Only
        # there: the difference of logs costs eps |log2 sigma^2| of accuracy elsewhere.
        if np.any(dn < 2.0**-500):  # rare: the logs only then (they cost 30% of the throughput)
            log_dn = np.log2(d) - 2.0 * np.log2(s)
            rate = np.where(log_dn < -500.0, 0.5 * (np.log2(om) - log_dn), rate)
    return _out(rate)

r"""Kullback-Leibler divergence as the perception measure: closed forms (issue 16, part 4).

Perception levels here are KL divergences in **nats** between the law of a frame's reconstruction
and the law of the frame, in one of two orders:

* ``direction="xhat||x"`` (default): :math:`\mathrm{KL}(P_{\hat X} \,\|\, P_X)`;
* ``direction="x||xhat"``: :math:`\mathrm{KL}(P_X \,\|\, P_{\hat X})`.

For centred Gaussians with variance ratio :math:`t = \hat s^2 / \sigma^2`,

.. math::

    \mathrm{KL}\bigl(\mathcal N(0, \hat s^2) \,\|\, \mathcal N(0, \sigma^2)\bigr)
    = \tfrac12 (t - 1 - \ln t), \qquad
    \mathrm{KL}\bigl(\mathcal N(0, \sigma^2) \,\|\, \mathcal N(0, \hat s^2)\bigr)
    = \tfrac12 (1/t - 1 + \ln t).

Both are below :math:`P` exactly on an interval of :math:`t` containing 1. For ``"xhat||x"``
it is :math:`[t_-, t_+]` with :math:`t_\mp = -W_{0,\,-1}\bigl(-e^{-1-2P}\bigr)` (the two real
branches of the Lambert W function); for ``"x||xhat"`` it is :math:`[1/t_+, 1/t_-]`. So the
reconstruction variance is clipped to that interval, and the one-frame (and PLF-FMD) closed form is
§4.1's with the lower end of the interval in place of :math:`(\sigma - \sqrt P)^2`
(``docs/theory.md`` section 4.11):

.. math::

    D = e + \bigl(\sigma\sqrt{t_{\mathrm{low}}} - \sqrt v\bigr)_+^2, \qquad
    e = \sigma^2 2^{-2R}, \quad v = \sigma^2 - e.

What is proved: for ``"xhat||x"`` this is optimal over *all* schemes (a Gaussian has the least
KL to a Gaussian among laws with its variance); for ``"x||xhat"`` it is optimal over jointly
Gaussian schemes only (the setting of Serra, Stavrou and Kountouris), and non-Gaussian
reconstructions can do strictly better (theory note). Convexity: as a function of a
reconstruction *covariance matrix*, ``"xhat||x"`` is convex (trace minus log-det); ``"x||xhat"`` is
not, and its sublevel sets are not convex for ``d >= 2`` (so only FMD, where ``d = 1``, is a convex
constraint in that order).

Every function broadcasts with numpy rules like :mod:`rdp_theory.closed_form`.

References
----------
.. [1] G. Serra, P. A. Stavrou, M. Kountouris, "On the computation of the Gaussian
   rate-distortion-perception function", IEEE JSAIT 2024.
.. [2] J. Qian et al., "Rate-distortion-perception tradeoff for Gaussian vector sources",
   arXiv:2406.18008, 2024.
.. [3] R. M. Corless et al., "On the Lambert W function", Adv. Comput. Math. 5, 1996.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import lambertw

from ._validation import broadcast_shapes, check_choice, check_perception, check_rates, check_sigma
from .closed_form import _normalised_greedy, _rate_terms, _sequence_arg
from .source import GaussMarkovSource, check_source

__all__ = [
    "KL_DIRECTIONS",
    "VarianceRatioBounds",
    "kl_variance_bounds",
    "gaussian_rdp_kl",
    "fmd_distortions_kl",
]

FloatArray = NDArray[np.float64]

#: The two orders of the KL divergence: ``"xhat||x"`` is KL(law of the reconstruction || law of
#: the source), ``"x||xhat"`` the reverse.
KL_DIRECTIONS = ("xhat||x", "x||xhat")

#: Below this 2P the roots start from the branch-point series of W (lambertw loses digits there).
_SERIES_BELOW = 1e-2
#: Newton steps after the starting point (quadratic convergence: two would do; one is spare).
_NEWTON_STEPS = 3


def _out(x: FloatArray) -> FloatArray | float:
    return float(x) if np.ndim(x) == 0 else x


def _phi(y: FloatArray) -> FloatArray:
    r""":math:`\varphi(y) = y - \ln(1 + y)` for :math:`y > -1`, accurate near 0 (a series below
    ``|y| = 0.1``, whose 19th omitted term is below 1e-20 of the first)."""
    small = np.abs(y) < 0.1
    ys = np.where(small, y, 0.0)
    acc = np.zeros_like(ys)
    for k in range(20, 1, -1):  # sum_{k=2}^{20} (-1)^k y^k / k, Horner in y
        acc = acc * ys + (1.0 if k % 2 == 0 else -1.0) / k
    with np.errstate(invalid="ignore", divide="ignore"):
        direct = y - np.log1p(np.where(small, 0.0, y))
    return np.where(small, acc * ys * ys, direct)


def _branch_series(c: FloatArray, sign: float) -> FloatArray:
    r"""Root :math:`y` of :math:`\varphi(y) = c` near the branch point, from the series
    :math:`W = -1 + p - p^2/3 + 11p^3/72 - 43p^4/540 + 769p^5/17280`,
    :math:`p = \pm\sqrt{2(1 - e^{-c})}` (``sign`` +1: lower root, -1: upper root), with
    :math:`y = -(1 + W)`."""
    p = sign * np.sqrt(-2.0 * np.expm1(-c))
    w1 = p * (1.0 + p * (-1.0 / 3.0 + p * (11.0 / 72.0 + p * (-43.0 / 540.0 + p * 769.0 / 17280.0))))
    return -w1


def _level_roots(p: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    r""":func:`_roots` at :math:`c = 2P` for KL levels ``p`` (nats). A finite level above
    :math:`2^{1023}` doubles to :math:`c = \infty`, whose roots (0 and :math:`\infty`) are the
    exact limits: the overflow is the intended result, so it is not reported."""
    with np.errstate(over="ignore"):
        c = 2.0 * np.asarray(p, dtype=np.float64)
    return _roots(c)


def _roots(c: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    r"""Both roots of :math:`t - 1 - \ln t = c` (:math:`c = 2P \ge 0`, ``inf`` allowed).

    Returns ``(y_lo, t_lo, y_hi, t_hi)``: :math:`t_{lo} \le 1 \le t_{hi}` and the deviations
    :math:`y = t - 1`, accurate when :math:`t` is close to 1 (where ``t`` itself rounds to 1).
    Starting points: the branch-point series for small ``c``, ``scipy.special.lambertw`` in
    between, asymptotics for large ``c``. Then Newton
    steps: on :math:`\varphi(y) = c` for the upper root and for the lower root while it is near 1
    (``c <= 0.5``), on :math:`t - 1 - \ln t = c` for the lower root beyond, where for ``c > 600``
    the fixed point :math:`t = e^{t - 1 - c}` (contraction factor :math:`t < 10^{-260}`) is used.
    """
    c = np.asarray(c, dtype=np.float64)
    fin = np.isfinite(c)
    cf = np.where(fin, c, 1.0)
    zero = cf == 0.0
    small = cf < _SERIES_BELOW
    big = cf > 600.0  # exp(-1 - c) underflows soon after: asymptotics instead of lambertw
    z = -np.exp(-1.0 - np.where(big, 0.0, cf))
    w0 = np.real(lambertw(z, 0))
    wm = np.real(lambertw(z, -1))
    # upper root, y = t - 1 > 0 (phi is convex and increasing there: Newton converges)
    y = np.where(small, _branch_series(cf, -1.0), -wm - 1.0)
    y = np.where(big, cf + np.log1p(cf), y)
    y = np.where(zero, 1.0, y)  # placeholder (c = 0 gives y = 0 below)
    for _ in range(_NEWTON_STEPS):
        y = y - (_phi(y) - cf) * (1.0 + y) / y
    y_hi = np.where(zero, 0.0, y)
    # lower root while near 1: y = t - 1 in (-1, 0)
    near = cf <= 0.5
    y = np.where(small, _branch_series(cf, 1.0), -w0 - 1.0)
    y = np.clip(np.where(near & ~zero, y, -0.5), -0.999, -1e-300)
    for _ in range(_NEWTON_STEPS):
        y = np.clip(y - (_phi(y) - cf) * (1.0 + y) / y, -0.999, -1e-300)
    y_near = np.where(zero, 0.0, y)
    # lower root far from 1: t in [0, 0.32)
    with np.errstate(under="ignore"):
        t = np.where(near, 0.25, np.where(big, np.exp(-1.0 - cf), -w0))
        for _ in range(_NEWTON_STEPS):
            ts = np.clip(t, 1e-300, 0.5)
            newton = ts - (ts - 1.0 - np.log(ts) - cf) * ts / (ts - 1.0)
            t = np.where(big, np.exp(t - 1.0 - cf), np.clip(newton, 1e-300, 0.5))
    y_lo = np.where(near, y_near, t - 1.0)
    t_lo = np.where(near, 1.0 + y_near, t)
    t_hi = 1.0 + y_hi
    # P = inf: every variance ratio is allowed
    return (np.where(fin, y_lo, -1.0), np.where(fin, t_lo, 0.0),
            np.where(fin, y_hi, np.inf), np.where(fin, t_hi, np.inf))


class VarianceRatioBounds(NamedTuple):
    r"""The interval of variance ratios :math:`\hat s^2/\sigma^2` with KL at most the level.

    Attributes
    ----------
    low : ndarray or float
        Lower end, in ``[0, 1]`` (0 when the level is ``inf``).
    high : ndarray or float
        Upper end, in ``[1, inf]``.
    """

    low: FloatArray | float
    high: FloatArray | float


def _low_end(p: FloatArray, direction: str) -> tuple[FloatArray, FloatArray]:
    r"""``(t_low - 1, t_low)`` of the allowed variance ratios (the deviation accurately)."""
    y_lo, t_lo, y_hi, t_hi = _level_roots(p)
    if direction == "xhat||x":
        return y_lo, t_lo
    inf = np.isinf(t_hi)
    safe = np.where(inf, 1.0, t_hi)
    return np.where(inf, -1.0, -y_hi / safe), np.where(inf, 0.0, 1.0 / safe)


def kl_variance_bounds(perception: ArrayLike, direction: str = "xhat||x") -> VarianceRatioBounds:
    r"""Variance ratios :math:`t = \hat s^2 / \sigma^2` whose Gaussian KL is at most ``perception``.

    For ``"xhat||x"``, :math:`\tfrac12(t - 1 - \ln t) \le P \iff t \in [t_-, t_+]` with

    .. math::

        t_- = -W_0\bigl(-e^{-1-2P}\bigr) \in (0, 1], \qquad
        t_+ = -W_{-1}\bigl(-e^{-1-2P}\bigr) \in [1, \infty);

    for ``"x||xhat"``, :math:`\tfrac12(1/t - 1 + \ln t) \le P \iff t \in [1/t_+, 1/t_-]` (the
    same equation in :math:`1/t`). Near :math:`P = 0` both ends behave like
    :math:`1 \pm 2\sqrt P`. Computed to a few ulps for every level (series at the branch point,
    :func:`scipy.special.lambertw` elsewhere, Newton-polished).

    Parameters
    ----------
    perception : array_like
        KL level :math:`P` in nats, in ``[0, inf]`` (``inf``: the interval is ``[0, inf]``).
    direction : {"xhat||x", "x||xhat"}
        Order of the divergence (module docstring).

    Returns
    -------
    VarianceRatioBounds
        ``low`` and ``high``, shaped like ``perception`` (floats for a scalar).

    Examples
    --------
    >>> import rdp_theory as rt
    >>> b = rt.kl_variance_bounds(0.5)
    >>> round(b.low, 6), round(b.high, 6)
    (0.158594, 3.146193)
    """
    p = check_perception(perception, "perception")
    direction = check_choice(direction, "direction", KL_DIRECTIONS)
    _, t_lo, _, t_hi = _level_roots(p)
    if direction == "xhat||x":
        return VarianceRatioBounds(_out(t_lo), _out(t_hi))
    with np.errstate(divide="ignore", over="ignore"):
        low = np.where(np.isinf(t_hi), 0.0, 1.0 / t_hi)
        high = np.where(t_lo > 0.0, 1.0 / np.where(t_lo > 0.0, t_lo, 1.0), np.inf)
    return VarianceRatioBounds(_out(low), _out(high))


def _distortion(e: FloatArray, v: FloatArray, p: FloatArray, direction: str) -> FloatArray:
    r"""Normalised one-frame KL distortion :math:`\tilde e + (\sqrt{t_{low}} - \sqrt{\tilde v})_+^2`,
    written as :math:`\tilde e + (\tilde e / (1 + \sqrt{\tilde v}) + y/(1 + \sqrt{t_{low}}))_+^2`
    with :math:`y = t_{low} - 1 \le 0` (no cancellation in either term)."""
    dev, low = _low_end(p, direction)
    gap = e / (1.0 + np.sqrt(v)) + dev / (1.0 + np.sqrt(low))
    return e + np.maximum(gap, 0.0) ** 2


def gaussian_rdp_kl(
    sigma: ArrayLike, rate: ArrayLike, perception: ArrayLike, direction: str = "xhat||x"
) -> FloatArray | float:
    r"""Distortion-rate-perception function of one Gaussian frame under MSE and KL perception.

    .. math::

        D(R, P) = \sigma^2 + \hat s^2 - 2\hat s\sqrt v
                = e + \bigl(\hat s - \sqrt v\bigr)^2, \qquad
        \hat s = \max\bigl(\sqrt v, \sigma\sqrt{t_{\mathrm{low}}(P)}\bigr),

    with :math:`e = \sigma^2 2^{-2R}`, :math:`v = \sigma^2 - e` and :math:`t_{\mathrm{low}}` the
    lower end of :func:`kl_variance_bounds` (the upper end never binds, as :math:`\sqrt v \le
    \sigma`). At ``P = 0`` it is :func:`rdp_theory.gaussian_rdp` at ``P = 0``; at ``P = inf`` it is
    the MSE :math:`e`. Optimal over all schemes for ``"xhat||x"``; over jointly Gaussian schemes
    for ``"x||xhat"`` (module docstring).

    Parameters
    ----------
    sigma : array_like
        Standard deviation of the frame, in ``[1e-150, 1e150]``.
    rate : array_like
        Rate in bits per sample, in ``[0, inf]``.
    perception : array_like
        KL level in nats, in ``[0, inf]``.
    direction : {"xhat||x", "x||xhat"}
        Order of the divergence.

    Returns
    -------
    float or ndarray
        MSE distortion, broadcast shape of the inputs.

    Examples
    --------
    >>> import rdp_theory as rt
    >>> round(rt.gaussian_rdp_kl(1.0, 1.0, 0.0), 6)    # = rt.gaussian_rdp(1, 1, 0)
    0.267949
    >>> round(rt.gaussian_rdp_kl(1.0, 1.0, 0.01), 6), round(rt.gaussian_rdp_kl(1.0, 1.0, 0.01, "x||xhat"), 6)
    (0.251274, 0.251742)
    """
    s = check_sigma(sigma, "sigma")
    r = check_rates(rate, "rate")
    p = check_perception(perception, "perception")
    direction = check_choice(direction, "direction", KL_DIRECTIONS)
    broadcast_shapes(sigma=s, rate=r, perception=p)
    e, v = _rate_terms(r)
    d = _distortion(e, v, p, direction) * (s * s)
    return _out(d)


def fmd_distortions_kl(
    source: GaussMarkovSource, rates: ArrayLike, perception: ArrayLike, direction: str = "xhat||x"
) -> FloatArray:
    r"""PLF-FMD distortions under KL perception, any ``T``: the one-frame formula per frame at the
    sequential MMSE.

    .. math::

        D_j = e_j + \bigl(\sigma_j\sqrt{t_{\mathrm{low}}(P_j)} - \sqrt{v_j}\bigr)_+^2,

    with :math:`e_j, v_j = \sigma_j^2 - e_j` from :func:`rdp_theory.greedy_representation`. The
    greedy representation with a per-frame rescaling of the MMSE estimate attains it for every
    frame at once; no scheme does better, by §4.3's argument with the KL interval in place of the
    W2 one (for ``"x||xhat"`` within jointly Gaussian schemes; ``docs/theory.md`` 4.11).

    Parameters
    ----------
    source : GaussMarkovSource
    rates : array_like, scalar or shape (..., T) or (..., 1)
        Bits per sample per frame, each in ``[0, inf]``.
    perception : array_like, scalar or shape (..., T) or (..., 1)
        KL levels in nats per frame, each in ``[0, inf]``.
    direction : {"xhat||x", "x||xhat"}
        Order of the divergence.

    Returns
    -------
    ndarray, broadcast shape (..., T)
        MSE distortions, in ``[e_j, 2 sigma_j^2]``.
    """
    source = check_source(source)
    T = source.T
    r = _sequence_arg(rates, "rates", T, check_rates)
    p = _sequence_arg(perception, "perception", T, check_perception)
    direction = check_choice(direction, "direction", KL_DIRECTIONS)
    broadcast_shapes(rates=r, perception=p)
    e, _, v, _ = _normalised_greedy(source, r)
    return _distortion(e, v, p, direction) * source.variances


#: The reconstruction's law counts as singular against the reference (KL = ``inf``) when the
#: smallest eigenvalue :math:`\lambda_{min}` of :math:`K_{ref}^{-1}K_{rec}` is at most
#: ``SINGULAR_RTOL * d * cond(K_ref) * max(lambda_max, 1)`` (``K_ref`` scaled to unit diagonal),
#: the error with which it is computed, so 0 to working precision (e.g. every frame from a
#: zero-rate one on, under MSE only), but never above ``SINGULAR_CAP``. Left to round-off, such
#: laws' KL came out as a finite 17-19 nats (133 of 400 random T <= 5 instances with a zero-rate
#: frame).
SINGULAR_RTOL = 16.0 * float(np.finfo(np.float64).eps)
#: The largest :math:`\lambda_{min}` that can count as singular. A level P allows
#: :math:`\lambda_{min} \ge e^{-1-2P}`, 1e-9 at the largest accepted level (9.86 nats,
#: ``convex.api.KL_LEVEL_MAX``), so no law that meets an accepted level is called singular: at
#: |rho| near 1 the error bound alone reached 7e-8 at T = 10 (rho = 0.99999) and turned feasible
#: 8-9.8-nat laws into ``inf``. The price: a law singular in exact arithmetic at such a source
#: can read about 11 nats instead of ``inf``, still above every accepted level.
SINGULAR_CAP = 1e-10


def _kl_batched(k_ref: FloatArray, k_rec: FloatArray, direction: str = "xhat||x") -> FloatArray:
    r"""KL divergence in nats between :math:`\mathcal N(0, K_{rec})` and one reference
    :math:`\mathcal N(0, K_{ref})` for a stack of ``k_rec``, shape ``(n, d, d)`` (``k_ref``:
    ``(d, d)``); ``direction`` ``"xhat||x"``: :math:`\mathrm{KL}(\mathcal N(0,K_{rec})\,\|\,
    \mathcal N(0,K_{ref}))`, ``"x||xhat"``: the reverse. Returns shape ``(n,)``; arguments are not
    validated (the certificate's and the sweep's computation).

    With :math:`K_{ref} = LL^\top` and :math:`\lambda_i` the eigenvalues of
    :math:`L^{-1}K_{rec}L^{-\top}` (those of :math:`K_{ref}^{-1}K_{rec}`),

    .. math::

        \mathrm{KL}(\mathcal N(0,K_{rec})\|\mathcal N(0,K_{ref})) = \tfrac12\sum_i(\lambda_i - 1 - \ln\lambda_i),
        \qquad
        \mathrm{KL}(\mathcal N(0,K_{ref})\|\mathcal N(0,K_{rec})) = \tfrac12\sum_i(1/\lambda_i - 1 + \ln\lambda_i),

    each term evaluated from :math:`y_i = \lambda_i - 1`, the eigenvalues of
    :math:`L^{-1}(K_{rec} - K_{ref})L^{-\top}`, without cancellation near 0 (:func:`_phi`). ``inf``
    when :math:`K_{rec}` is singular (some :math:`\lambda_i \le 0`, or below the accuracy of
    its computation, :data:`SINGULAR_RTOL`: one law is concentrated on a subspace the other
    gives measure 0) or :math:`K_{ref}` is not numerically
    positive definite (its Cholesky factorisation fails). Coordinate :math:`i` of both laws is
    first divided by :math:`\sqrt{(K_{ref})_{ii}}` (KL is invariant under a common invertible
    linear map), so frames of very different scales do not overflow or underflow.
    """
    n, d = k_rec.shape[0], k_rec.shape[-1]
    sd = np.sqrt(np.diag(k_ref))
    if not (np.all(sd > 0.0) and np.all(np.isfinite(sd))):
        return np.full(n, np.inf)
    ref = k_ref / sd[:, None] / sd[None, :]
    rec = k_rec / sd[None, :, None] / sd[None, None, :]
    try:
        low = np.linalg.cholesky(0.5 * (ref + ref.T))
    except np.linalg.LinAlgError:
        return np.full(n, np.inf)
    inv = np.linalg.solve(low, np.eye(d))
    diff = rec - ref
    m = inv @ (0.5 * (diff + np.swapaxes(diff, 1, 2))) @ inv.T
    y = np.asarray(np.linalg.eigvalsh(0.5 * (m + np.swapaxes(m, 1, 2))), dtype=np.float64)
    bad = ~np.isfinite(y).all(axis=1) | (np.where(np.isfinite(y), y, -1.0).min(axis=1) <= -1.0)
    # lambda = 1 + y is computed with an absolute error of about eps * cond(ref) * lambda_max:
    # a smallest lambda below that is 0 to working precision (SINGULAR_RTOL)
    ref_eig = np.linalg.eigvalsh(0.5 * (ref + ref.T))
    cond = float(ref_eig[-1] / ref_eig[0]) if ref_eig[0] > 0.0 else math.inf
    lam = 1.0 + np.where(bad[:, None], 0.0, y)
    floor = np.minimum(SINGULAR_RTOL * d * cond * np.maximum(lam.max(axis=1), 1.0), SINGULAR_CAP)
    bad |= lam.min(axis=1) <= floor
    y = np.where(bad[:, None], 0.0, y)
    if direction == "x||xhat":
        y = -y / (1.0 + y)  # 1/lambda - 1
    return np.where(bad, np.inf, 0.5 * _phi(y).sum(axis=1))


def _kl_unchecked(k_ref: FloatArray, k_rec: FloatArray, direction: str = "xhat||x") -> float:
    """:func:`_kl_batched` of one pair of covariances, ``(d, d)`` each (the certificate's)."""
    k1 = np.atleast_2d(np.asarray(k_ref, dtype=np.float64))
    k2 = np.atleast_2d(np.asarray(k_rec, dtype=np.float64))
    return float(_kl_batched(k1, k2[None], direction)[0])


def _markov_precision(rhos: ArrayLike, d: int) -> tuple[FloatArray, float]:
    r"""Inverse and log-determinant of the correlation matrix :math:`R_d` of frames ``1..d`` of a
    Gauss-Markov source with one-step correlations ``rhos``, in closed form.

    Frame by frame, :math:`X'_1 = N_1` and :math:`X'_{k+1} = \rho_k X'_k + \sqrt{1-\rho_k^2}N_{k+1}`
    with independent unit :math:`N`, so :math:`W = L^{-1}` (:math:`R_d = LL^\top`) is lower
    bidiagonal: :math:`W_{kk} = 1/\sqrt{1-\rho_{k-1}^2}`, :math:`W_{k,k-1} = -\rho_{k-1}W_{kk}`
    (:math:`W_{11} = 1`). Hence :math:`R_d^{-1} = W^\top W` (tridiagonal) and
    :math:`\ln\det R_d = \sum_{k<d}\ln(1-\rho_k^2)`, with no factorisation.
    """
    r = np.asarray(rhos, dtype=np.float64)[: d - 1]
    s = (1.0 - np.abs(r)) * (1.0 + np.abs(r))  # 1 - rho^2 without cancellation near |rho| = 1
    w = np.zeros((d, d))
    w[0, 0] = 1.0
    for k in range(1, d):
        w[k, k] = 1.0 / math.sqrt(s[k - 1])
        w[k, k - 1] = -r[k - 1] * w[k, k]
    return w.T @ w, float(np.sum(np.log(s)))

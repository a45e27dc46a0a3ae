r"""Evaluation metrics: Gaussian-fit W2^2 per PLF, PSNR, temporal consistency, distance to bound.

Why Gaussian fits are the right perception measure for the bound
----------------------------------------------------------------
For a Gauss-Markov source the distortion and the Gelbrich lower bound on W2^2 depend only on
first and second moments, and replacing a scheme's reconstructions by jointly Gaussian ones with
the same moments does not increase any mutual information. Hence a learned point with fixed-length
rates :math:`R`, distortions :math:`D` and Gaussian-fit perception :math:`P_{\text{fit}}` satisfies
:math:`D_j \ge D_j^\star(R, P_{\text{fit}})`; a learned point below that bound is a bug.

With ``n`` i.i.d. coordinates per frame the theory is per letter: the fit is done per coordinate
(the law of one coordinate across frames) and averaged over coordinates. Averaging per-coordinate
values (rather than fitting the pooled samples) keeps the bound valid, by convexity of the
distortion-rate-perception function.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

import rdp_theory as rt
from rdp_theory.exceptions import InvalidParameterError
from rdp_theory.wasserstein import gaussian_w2_squared as centred_w2_squared

from ._checks import check_choice, check_odd_int
from .critics import PLFS, critic_inputs

__all__ = [
    "db_above",
    "distortion_bounds",
    "gaussian_fit_w2_squared",
    "gaussian_w2_squared",
    "identity_drift",
    "perception_gaussian_fit",
    "psnr",
    "temporal_consistency",
]


def gaussian_w2_squared(m1: ArrayLike, S1: ArrayLike, m2: ArrayLike, S2: ArrayLike) -> float:
    r"""Squared W2 distance between :math:`\mathcal N(m_1, S_1)` and :math:`\mathcal N(m_2, S_2)`.

    .. math::

        W_2^2 = \lVert m_1 - m_2\rVert^2 + \operatorname{tr} S_1 + \operatorname{tr} S_2
                - 2 \operatorname{tr}\bigl(S_1^{1/2} S_2 S_1^{1/2}\bigr)^{1/2}

    Clipped at 0 (rounding can make it a tiny negative number).
    """
    m1a, m2a = np.atleast_1d(np.asarray(m1, float)), np.atleast_1d(np.asarray(m2, float))
    S1a, S2a = np.atleast_2d(np.asarray(S1, float)), np.atleast_2d(np.asarray(S2, float))
    d = m1a.shape[0]
    if m2a.shape != (d,) or S1a.shape != (d, d) or S2a.shape != (d, d):
        raise InvalidParameterError(
            f"means must have shape (d,) and covariances (d, d); got {m1a.shape}, {m2a.shape}, "
            f"{S1a.shape}, {S2a.shape}"
        )
    # the covariance part is the library's Bures formula (one source of truth)
    return float(np.sum((m1a - m2a) ** 2)) + centred_w2_squared(S1a, S2a)


def gaussian_fit_w2_squared(a: ArrayLike, b: ArrayLike) -> float:
    """W2^2 between the Gaussian fits (sample mean and covariance) of samples ``a`` and ``b``.

    ``a`` and ``b`` have shape ``(N, d)`` (or ``(N,)`` for ``d = 1``).
    """
    a_arr, b_arr = np.asarray(a, float), np.asarray(b, float)
    A = a_arr.reshape(len(a_arr), -1)
    B = b_arr.reshape(len(b_arr), -1)
    if A.shape[1] != B.shape[1] or len(A) < 2 or len(B) < 2:
        raise InvalidParameterError(
            f"a and b must be (N, d) sample arrays with the same d and N >= 2, got {A.shape}, {B.shape}"
        )
    def cov(M: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.atleast_2d(np.cov(M, rowvar=False))

    return gaussian_w2_squared(A.mean(0), cov(A), B.mean(0), cov(B))


def perception_gaussian_fit(x: ArrayLike, x_hat: ArrayLike, plf: str) -> NDArray[np.float64]:
    """Per-frame Gaussian-fit W2^2 for ``plf``, per coordinate and averaged over coordinates.

    Parameters
    ----------
    x, x_hat : array_like, shape (N, T, n)
        Source and reconstruction samples (``n`` i.i.d. coordinates per frame).
    plf : {"jd", "fmd", "sa"}
        Wiring of :func:`learned.critics.critic_inputs` (one source of truth).

    Returns
    -------
    ndarray, shape (T,)
    """
    check_choice(plf, "plf", PLFS)
    X = torch.as_tensor(np.asarray(x, float))
    Xh = torch.as_tensor(np.asarray(x_hat, float))
    if X.ndim != 3 or X.shape != Xh.shape:
        raise InvalidParameterError(
            f"x and x_hat must both have shape (N, T, n), got {tuple(X.shape)}, {tuple(Xh.shape)}"
        )
    T, n = X.shape[1], X.shape[2]
    out = np.empty(T)
    for j in range(T):
        real, fake = critic_inputs(plf, X, Xh, j)
        out[j] = np.mean(
            [
                gaussian_fit_w2_squared(real[:, :, i].numpy(), fake[:, :, i].numpy())
                for i in range(n)
            ]
        )
    return out


def psnr(mse: ArrayLike, peak: float = 1.0) -> NDArray[np.float64] | float:
    """Peak signal-to-noise ratio in dB, ``10 log10(peak^2 / mse)``."""
    m = np.asarray(mse, float)
    if (m < 0).any():
        raise InvalidParameterError(f"mse must be >= 0, got {m.tolist()}")
    with np.errstate(divide="ignore"):
        val = 10 * np.log10(peak**2 / m)
    return float(val) if val.ndim == 0 else val


def temporal_consistency(x: ArrayLike, x_hat: ArrayLike) -> NDArray[np.float64]:
    r"""Mean squared error of frame differences, per transition (shape ``(T-1,)``).

    .. math:: \mathrm{TC}_j = \mathbb E\,\lVert(\hat X_j - \hat X_{j-1}) - (X_j - X_{j-1})\rVert^2 / d

    Small values mean the reconstruction moves like the source (flicker and frozen errors both
    raise it). Inputs have shape ``(N, T, ...)``.
    """
    X, Xh = np.asarray(x, float), np.asarray(x_hat, float)
    if X.shape != Xh.shape or X.ndim < 2:
        raise InvalidParameterError(
            f"x and x_hat must have the same shape (N, T, ...), got {X.shape}, {Xh.shape}"
        )
    dx, dxh = np.diff(X, axis=1), np.diff(Xh, axis=1)
    axes = (0,) + tuple(range(2, X.ndim))
    return ((dxh - dx) ** 2).mean(axis=axes)


def distortion_bounds(
    source: rt.GaussMarkovSource,
    rates: ArrayLike,
    perception_fmd: ArrayLike,
    plf: str,
    perception_plf: ArrayLike | None = None,
) -> dict[str, Any]:
    """Lower bounds on each frame's distortion for a learned point.

    Parameters
    ----------
    source : GaussMarkovSource
    rates : array_like, shape (T,)
        The code's achievable rates (bits per sample).
    perception_fmd : array_like, shape (T,)
        Measured per-frame marginal W2^2 (Gaussian fit). Every scheme satisfies the FMD
        constraint at this level, so ``fmd_distortions`` at it is a valid bound for every decoder.
    plf : {"mse", "fmd", "jd", "sa"}
        The decoder's PLF.
    perception_plf : array_like, shape (T,), optional
        Measured W2^2 for ``plf`` (JD or SA); used with ``rdp_theory.solve_rdp`` (frame-``j``
        one-hot weights) when that solver is available.

    Returns
    -------
    dict
        ``"fmd"``: FMD bound (T,); ``"plf"``: bound under the decoder's own PLF (T,), NaN where
        unavailable (no solver, or no certified solution: never a number from a failed solve); ``"best"``: elementwise maximum of the valid bounds; ``"plf_source"``: how
        ``"plf"`` was obtained (with any frame whose solve was flagged, e.g.
        ``"; frame 2 optimal_inaccurate"``).
    """
    T = source.T
    r = np.asarray(rates, float)
    p_fmd = np.asarray(perception_fmd, float)
    if r.shape != (T,) or p_fmd.shape != (T,):
        raise InvalidParameterError(f"rates and perception_fmd must have shape ({T},)")
    check_choice(plf, "plf", ("mse", *PLFS))
    fmd = np.asarray(rt.fmd_distortions(source, r, p_fmd), float)
    how = "fmd_distortions"
    if plf == "mse":
        own = np.asarray(rt.mmse_distortions(source, r), float)
        how = "mmse_distortions"
    elif plf == "fmd":
        own = fmd
    else:  # a PLF whose bound needs the convex program (jd, sa)
        solve = getattr(rt, "solve_rdp", None)
        if solve is None or perception_plf is None:
            own = np.full(T, math.nan)
            how = "unavailable (rdp_theory.solve_rdp missing)"
        else:
            p = np.asarray(perception_plf, float)
            own = np.full(T, math.nan)
            how = f"solve_rdp(plf={plf!r}, objective=one-hot)"
            for j in range(T):
                w = np.zeros(T)
                w[j] = 1.0
                try:
                    sol = solve(source, r, p, plf=plf, objective=w)
                except rt.RDPError as exc:  # no certified solution: no number (NaN), say why
                    how += f"; frame {j + 1} failed: {type(exc).__name__}"
                    continue
                own[j] = sol.distortions[j]
                if sol.status != "optimal":  # a flagged number stays flagged in the file
                    how += f"; frame {j + 1} {sol.status}"
    best = np.fmax(fmd, own)
    return {"fmd": fmd, "plf": own, "best": best, "plf_source": how}


def db_above(distortion: ArrayLike, bound: ArrayLike) -> NDArray[np.float64]:
    """Distance to the bound in dB, ``10 log10(D / D_bound)`` (negative = below the bound)."""
    d, b = np.asarray(distortion, float), np.asarray(bound, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 10 * np.log10(d / b)


def below_bound(
    distortion: ArrayLike, standard_error: ArrayLike, bound: ArrayLike, z: float = 3.0
) -> NDArray[np.bool_]:
    """Whether a measured distortion is *significantly* below its bound (a bug, never a result).

    True where ``distortion + z * standard_error < bound``; a NaN bound gives False.
    """
    d, se, b = (np.asarray(v, float) for v in (distortion, standard_error, bound))
    if (se < 0).any():
        raise InvalidParameterError(f"standard_error must be >= 0, got {se.tolist()}")
    with np.errstate(invalid="ignore"):
        return np.asarray(d + z * se < b)


def identity_drift(
    x_hat: NDArray[np.floating[Any]] | torch.Tensor, window: int = 21, chunk: int = 64
) -> NDArray[np.float64]:
    r"""Per-sample distance of each frame to the best-aligned first frame of the same sequence.

    .. math::

        \delta_j = \min_{|d_y|, |d_x| \le w/2} \tfrac{1}{HW}
                   \lVert \hat X_j - \tau_d \hat X_1 \rVert^2

    with :math:`\tau_d` the integer translation by :math:`d` (zero fill). For bouncing digits
    the source has :math:`\delta_j = 0` (a digit only moves), so :math:`\delta_j` of a decoder
    measures how far frame ``j`` departs from "its own frame 1, moved": small under JD (error
    permanence: the digit of frame 1 is kept), larger when later frames change the digit (FMD
    recovery, or mere inconsistency; read it together with the MSE to the source).

    Parameters
    ----------
    x_hat : array, shape (N, T, H, W)
    window : int
        Odd side of the search window of displacements.
    chunk : int
        Sequences per batch (memory).

    Returns
    -------
    ndarray, shape (N, T)
        :math:`\delta_j` per sequence; column 0 is 0.
    """
    from .motion import translates

    X = torch.as_tensor(np.asarray(x_hat), dtype=torch.float32)
    if X.ndim != 4:
        raise InvalidParameterError(f"x_hat must have shape (N, T, H, W), got {tuple(X.shape)}")
    check_odd_int(window, "window")
    out = np.zeros(X.shape[:2])
    with torch.no_grad():
        for i in range(0, len(X), chunk):
            xb = X[i : i + chunk]
            moved = translates(xb[:, 0], window)  # (b, K*K, H, W)
            for j in range(1, X.shape[1]):
                err = ((moved - xb[:, j : j + 1]) ** 2).mean(dim=(2, 3))
                out[i : i + chunk, j] = err.min(dim=1).values.double().numpy()
    return out

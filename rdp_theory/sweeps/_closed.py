r"""The closed-form route of a sweep: every point with a known optimum, vectorised.

Distortions come from the package's vectorised closed forms (:func:`~rdp_theory.mmse_distortions`,
:func:`~rdp_theory.fmd_distortions`, :func:`~rdp_theory.jd_zero_perception_distortions`,
:func:`~rdp_theory.sa_zero_perception_distortions`), called once per (source, kind) group on
all of its points. The perception values are those of the closed-form optimal schemes (the
schemes ``solve_rdp(method="auto")`` builds and certifies, :mod:`rdp_theory.convex._exact`):

* PLF-FMD (and MSE only under FMD): the decoder rescales the MMSE estimate, so
  :math:`\phi_k = \min\bigl((\sigma_k - \sqrt{v_k})^2, P_k\bigr)` with
  :math:`\sigma_k - \sqrt{v_k} = e_k / (\sigma_k + \sqrt{v_k})` (no cancellation);
* 0-PLF-JD and 0-PLF-SA: the decoders reproduce the compared laws exactly, :math:`\phi_k = 0`;
* MSE only under JD or SA: the decoder outputs the MMSE estimates :math:`Y`, with
  :math:`\operatorname{Cov}(Y_m, Y_n) = A_{n,m} v_m` (:math:`m \le n`) and, for SA,
  :math:`\operatorname{Cov}(Y_m, X_n) = \operatorname{Cov}(Y_m, Y_n)` for :math:`m < n`; the
  Bures-Wasserstein formula is evaluated on all points at once (:func:`w2_batched`).

Under KL perception (``perception_measure="kl"``, nats, in the grid's ``kl_direction``) the
routes are the same (:meth:`._grid.Grid.kinds`) and so are the schemes, except PLF-FMD's:

* PLF-FMD: :func:`~rdp_theory.fmd_distortions_kl`, whose decoder rescales the MMSE estimate to
  variance :math:`\max(v_k, \sigma_k^2 t_{\mathrm{low}}(P_k))`, so
  :math:`\phi_k = \min\bigl(\mathrm{KL}(v_k/\sigma_k^2), P_k\bigr)` with the one-dimensional
  :math:`\mathrm{KL}(t)` of the order (:func:`_mmse_kl`; ``inf`` at :math:`v_k = 0`, a frame
  that knows nothing, when :math:`P_k = \infty`);
* 0-PLF-JD: the laws are equal, :math:`\phi_k = 0` (KL = 0 iff W2 = 0);
* MSE only under JD: the KL of the MMSE estimates' law against the source's, on all points at
  once (:func:`rdp_theory.kl._kl_batched`, the certificate's computation), ``inf`` from the
  first zero-rate frame on (the estimates' law is singular there).

The rates used are the budgets (the greedy representation spends every bit), the objective is
:math:`D_T` (lexicographic) or :math:`\sum_k w_k D_k`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..closed_form import (
    _fmd_frames,
    _greedy_frames,
    jd_zero_perception_distortions,
    mmse_distortions,
    sa_zero_perception_distortions,
)
from ..kl import _kl_batched, _phi, fmd_distortions_kl
from ..source import GaussMarkovSource
from ..wasserstein import _w2_core
from ._grid import KIND_NAMES, Grid
from ._results import Results

__all__ = ["fill_closed_forms", "w2_batched"]

FloatArray = NDArray[np.float64]


def w2_batched(k1: FloatArray, k2: FloatArray) -> FloatArray:
    r"""W2^2 between :math:`\mathcal N(0, K_1)` and :math:`\mathcal N(0, K_2)` for stacks of
    covariances, shape ``(n, d, d)`` each (``k1`` may be one ``(d, d)`` matrix for all).

    The same computation as :func:`rdp_theory.wasserstein._w2_unchecked`, batched: each pair is
    divided by its largest absolute entry, symmetrised, and its distance computed by
    :func:`rdp_theory.wasserstein._w2_core` (the Procrustes difference of the square roots,
    which keeps small distances to their relative accuracy). Returns shape ``(n,)``.
    """
    k1 = np.broadcast_to(k1, k2.shape)
    if k2.shape[-1] == 1:
        d = np.sqrt(np.clip(k1[:, 0, 0], 0.0, None)) - np.sqrt(np.clip(k2[:, 0, 0], 0.0, None))
        return d * d
    scale = np.maximum(np.abs(k1).max(axis=(1, 2)), np.abs(k2).max(axis=(1, 2)))
    safe = np.where(scale > 0, scale, 1.0)[:, None, None]
    a, b = k1 / safe, k2 / safe
    a = 0.5 * (a + np.swapaxes(a, 1, 2))
    b = 0.5 * (b + np.swapaxes(b, 1, 2))
    val = _w2_core(a, b)[0]
    return val * np.where(scale > 0, scale, 0.0)


def _mmse_kl(source: GaussMarkovSource, r: FloatArray, direction: str) -> FloatArray:
    r"""KL (nats) of each frame's MMSE estimate :math:`Y_k` against :math:`X_k`, shaped like
    ``r`` (``(..., T)``).

    With :math:`t = v_k/\sigma_k^2 = 1 - \tilde e_k`: ``"xhat||x"`` is
    :math:`\tfrac12(t - 1 - \ln t) = \tfrac12\varphi(-\tilde e_k)`, written
    :math:`\tfrac12(-\tilde e_k - \ln\tilde v_k)` away from 0 (no loss in :math:`\ln(1 - \tilde e)`
    near :math:`\tilde e = 1`); ``"x||xhat"`` is :math:`\tfrac12(1/t - 1 + \ln t) =
    \tfrac12\varphi(\tilde e_k/\tilde v_k)`; both ``inf`` at :math:`\tilde v_k = 0`.
    """
    out = np.empty(r.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        for j, (e, _, v, _, _) in enumerate(_greedy_frames(source, r)):
            if direction == "x||xhat":
                z = np.divide(e, v, out=np.zeros_like(e), where=v > 0)
                out[..., j] = np.where(v > 0, 0.5 * _phi(z), np.inf)
            else:
                small = e < 0.1
                series = 0.5 * _phi(np.where(small, -e, 0.0))
                out[..., j] = np.where(small, series, 0.5 * (-e - np.log(v)))
    return out


def _mse_perception_kl(source: GaussMarkovSource, plf: str, r: FloatArray, direction: str) -> FloatArray:
    """KL values (nats) of the MMSE decoder (module docstring) under ``plf``, shape (n, T)."""
    out = _mmse_kl(source, r, direction)
    if plf == "fmd":
        return out
    n, T = r.shape
    _, v = _estimate_gap_squared(source, r)
    A = source.transfer
    low = A[None, :, :] * v[:, None, :]
    cov_y = low + np.swapaxes(low, 1, 2)
    idx = np.arange(T)
    cov_y[:, idx, idx] = v
    sigma_x = source.covariance()
    # A zero-rate frame m adds no innovation (Y_m is a multiple of Y_{m-1}, or 0): the estimates'
    # law of frames 1..k >= m is singular and its KL is inf exactly; its eigenvalue y = -1 would
    # come out of the eigen-solver only to round-off.
    singular = np.logical_or.accumulate(r == 0.0, axis=1)
    for k in range(2, T + 1):
        out[:, k - 1] = _kl_batched(sigma_x[:k, :k], cov_y[:, :k, :k], direction)
    out[singular] = np.inf
    return out


def _fmd_kl(source: GaussMarkovSource, r: FloatArray, p: FloatArray, direction: str) -> tuple[FloatArray, FloatArray]:
    r"""PLF-FMD under KL: :func:`~rdp_theory.fmd_distortions_kl` and the scheme's KL values,
    :math:`\min(\mathrm{KL}(v_k/\sigma_k^2), P_k)` (module docstring), each of the broadcast
    shape of ``r`` and ``p`` (``(..., T)``)."""
    D = np.asarray(fmd_distortions_kl(source, r, p, direction), dtype=np.float64)
    return D, np.minimum(_mmse_kl(source, r, direction), p)


def _estimate_gap_squared(source: GaussMarkovSource, r: FloatArray) -> tuple[FloatArray, FloatArray]:
    r""":math:`(\sigma_k - \sqrt{v_k})^2` and :math:`v_k` (source units), shape (n, T) each."""
    gap2 = np.empty(r.shape)
    v_out = np.empty(r.shape)
    var = source.variances
    for j, (e, _, v, _, _) in enumerate(_greedy_frames(source, r)):
        g = e / (1.0 + np.sqrt(v))
        np.multiply(g * g, var[j], out=gap2[:, j])
        np.multiply(v, var[j], out=v_out[:, j])
    return gap2, v_out


def _mse_perception(source: GaussMarkovSource, plf: str, gap2: FloatArray, v: FloatArray) -> FloatArray:
    """Perception values of the MMSE decoder (module docstring) under ``plf``, shape (n, T)."""
    if plf == "fmd":
        return gap2
    n, T = v.shape
    A = source.transfer
    low = A[None, :, :] * v[:, None, :]  # [., n, m] = A[n, m] v_m (zero above the diagonal)
    cov_y = low + np.swapaxes(low, 1, 2)
    idx = np.arange(T)
    cov_y[:, idx, idx] = v
    out = np.empty((n, T))
    out[:, 0] = gap2[:, 0]
    sigma_x = source.covariance()
    for k in range(2, T + 1):
        k2 = cov_y[:, :k, :k]
        if plf == "jd":
            k1 = sigma_x[:k, :k]
        else:  # SA: the past reconstructions with the current source frame
            k1 = k2.copy()
            k1[:, k - 1, k - 1] = source.variances[k - 1]
        out[:, k - 1] = w2_batched(k1, k2)
    return out


def _kind(
    source: GaussMarkovSource, name: str, r: FloatArray, p: FloatArray, plf_codes: NDArray[np.intp],
    plfs: tuple[str, ...], measure: str = "w2", direction: str | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Distortions and perception values (n, T) of ``n`` points of one kind and one source,
    the values in ``measure``'s units (W2^2, or KL in nats in the order ``direction``)."""
    kl = measure == "kl"
    order = direction or "xhat||x"
    if name == "fmd":
        if kl:
            return _fmd_kl(source, r, p, order)
        phi = np.empty(r.shape)  # fmd_distortions' own frame loop, writing the W2^2 on the way
        return _fmd_frames(source, r, p, r.shape[:-1], perception_values=phi), phi
    if name == "jd_zero":
        return jd_zero_perception_distortions(source, r), np.zeros(r.shape)
    if name == "sa_zero":
        return sa_zero_perception_distortions(source, r), np.zeros(r.shape)
    D = mmse_distortions(source, r)
    if kl:
        phi = np.empty(r.shape)
        for q, plf in enumerate(plfs):
            rows = plf_codes == q
            if rows.any():
                phi[rows] = _mse_perception_kl(source, plf, r[rows], order)
        return D, phi
    gap2, v = _estimate_gap_squared(source, r)
    phi = np.empty(r.shape)
    for q, plf in enumerate(plfs):
        rows = plf_codes == q
        if rows.any():
            phi[rows] = _mse_perception(source, plf, gap2[rows], v[rows])
    return D, phi


def fill_closed_forms(grid: Grid, kinds: NDArray[np.int8], res: Results) -> int:
    """Compute every closed-form point of ``grid`` into ``res``; returns how many there were.

    Each (source, kind) group is one call of its closed form on all of its points.
    """
    closed = kinds != 0
    count = int(closed.sum())
    if count == 0:
        return 0
    everything = count == grid.size
    R = grid.point_rates()
    P = grid.point_perception()
    src_i = grid.flat(grid.source_index, False)
    plf_i = grid.flat(grid.plf_index, False)
    obj_i = grid.flat(grid.objective_index, False)
    for s, source in enumerate(grid.sources):
        for kind in range(1, len(KIND_NAMES)):
            mask = (kinds == kind) & (src_i == s)
            n = int(mask.sum())
            if n == grid.size and grid.measure == "kl" and KIND_NAMES[kind] == "fmd":
                # on the grid's own broadcastable arrays: fmd_distortions_kl's Lambert W roots
                # once per distinct level, not once per point (1e6 points: 0.4 s, not 3.3 s)
                full = grid.shape + (grid.T,)
                D, phi = _fmd_kl(source, grid.rates, grid.perception, grid.kl_direction or "xhat||x")
                res.distortion = np.ascontiguousarray(np.broadcast_to(D, full)).reshape(grid.size, grid.T)
                res.perception_value = np.ascontiguousarray(np.broadcast_to(phi, full)).reshape(grid.size, grid.T)
            elif n == grid.size:  # the whole grid: no gathering, no copies
                res.distortion, res.perception_value = _kind(
                    source, KIND_NAMES[kind], R, P, plf_i, grid.plfs, grid.measure, grid.kl_direction
                )
            elif n:
                idx = np.flatnonzero(mask)
                D, phi = _kind(source, KIND_NAMES[kind], R[idx], P[idx], plf_i[idx], grid.plfs,
                               grid.measure, grid.kl_direction)
                res.distortion[idx] = D
                res.perception_value[idx] = phi
    if everything:  # the budgets themselves (a copy if R is a view of the grid's own array)
        res.rate_used = R.copy() if np.shares_memory(R, grid.rates) else R
    else:
        res.rate_used[closed] = R[closed]
    _objective_values(grid, closed, obj_i, res, everything)
    res.mark_closed(slice(None) if everything else closed)
    return count


def _objective_values(
    grid: Grid, closed: NDArray[np.bool_], obj_i: NDArray[np.intp], res: Results, everything: bool
) -> None:
    """Lexicographic: :math:`D_T`; weights :math:`w`: :math:`\\sum_k w_k D_k`."""
    for q, obj in enumerate(grid.objectives):
        mask = closed & (obj_i == q)
        sel: slice | NDArray[np.bool_] = slice(None) if everything and mask.all() else mask
        D = res.distortion[sel]
        if isinstance(obj, str):
            res.objective_value[sel] = D[:, -1]
        else:
            res.objective_value[sel] = D @ np.asarray(obj, dtype=np.float64)

"""Classical baselines for the Gauss-Markov source: closed-loop predictive coding (DPCM).

Two textbook causal codecs give the learned codec a second anchor beside the information-theoretic
bounds (issue 15, item 3):

* :func:`dpcm_lloyd_max` -- DPCM with a **fixed-rate** Lloyd-Max quantiser of ``2**b`` levels per
  frame on the prediction residual; the rate is exactly ``b`` bits per sample per frame.
* :func:`dpcm_ecsq` -- DPCM with an **entropy-coded** uniform (optionally dead-zone) scalar
  quantiser of step ``Δ``; the integer indices are range coded with ``constriction`` and the rate
  is the length of the real bitstream, side information included. :func:`decode_ecsq` decodes the
  streams back (exactly the same indices and reconstruction).

Both are closed loop: frame ``j + 1`` is predicted from the decoder's reconstruction of frame
``j``, ``a_j * Xhat_j`` with ``a_j = rho_j sigma_{j+1} / sigma_j`` (frame 1 is predicted by its
mean, 0), so encoder and decoder stay in step. Importing this module needs numpy only;
``constriction`` is imported when an entropy-coded stream is written or read.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from learned._checks import check_choice, check_int, check_number, check_rng
from rdp_theory.exceptions import InvalidParameterError, MissingDependencyError

__all__ = [
    "BaselineResult",
    "decode_ecsq",
    "decode_lloyd_max",
    "dpcm_ecsq",
    "dpcm_lloyd_max",
    "lloyd_max_gaussian",
]

_MAX_BITS = 6  # Lloyd iterations converge slowly beyond (about 0.2 s at 6 bits)
_WORD_BITS = 32  # constriction's compressed words are uint32; every side-info field is 32 bits


@dataclass(frozen=True)
class BaselineResult:
    """Outcome of a DPCM baseline on ``n`` sampled sequences of ``T`` frames.

    Attributes
    ----------
    name : str
        ``"dpcm-lloyd-max"`` or ``"dpcm-ecsq"``.
    rates : ndarray, shape (T,)
        Bits per sample per frame (fixed ``b`` for Lloyd-Max; stream length incl. side information
        divided by ``n`` for the entropy-coded quantiser).
    distortions : ndarray, shape (T,)
        Empirical MSE per frame, ``mean((X_j - Xhat_j)**2)``.
    distortion_se : ndarray, shape (T,)
        Standard error of each ``distortions`` entry (std of the squared errors over ``sqrt(n)``).
    reconstruction : ndarray, shape (n, T)
        The decoder's output ``Xhat``.
    indices : ndarray of int64, shape (n, T)
        Quantiser indices sent per sample and frame.
    payload_bits : ndarray of int64, shape (T,)
        Bits of the coded indices per frame (``n * b`` for Lloyd-Max).
    side_info_bits : ndarray of int64, shape (T,)
        Bits of the per-frame model parameters (0 for Lloyd-Max, whose codebook follows from the
        source statistics the decoder knows).
    streams : tuple of ndarray of uint32
        The range-coded stream of each frame (empty for Lloyd-Max).
    side_info : tuple of dict
        Per frame, what the decoder needs besides the stream (empty for Lloyd-Max).
    """

    name: str
    rates: np.ndarray
    distortions: np.ndarray
    distortion_se: np.ndarray
    reconstruction: np.ndarray
    indices: np.ndarray
    payload_bits: np.ndarray
    side_info_bits: np.ndarray
    streams: tuple[np.ndarray, ...] = field(default=())
    side_info: tuple[dict[str, Any], ...] = field(default=())


# ---------------------------------------------------------------------------------------------
# Lloyd-Max codebook on the unit Gaussian
# ---------------------------------------------------------------------------------------------


def _phi(t: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * t * t) / math.sqrt(2.0 * math.pi)


def _Phi(t: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(t / math.sqrt(2.0)))


def _Phi_inv(u: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_Phi` by bisection (to ~1e-15; small arrays only)."""
    lo, hi = np.full(u.shape, -40.0), np.full(u.shape, 40.0)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        below = _Phi(mid) < u
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def lloyd_max_gaussian(
    bits: int, *, tol: float = 1e-12, max_iter: int = 100_000
) -> tuple[np.ndarray, np.ndarray, float]:
    """Lloyd-Max (MSE-optimal fixed-rate) scalar quantiser of a unit Gaussian.

    Lloyd iterations on the Gaussian density: thresholds at midpoints of the levels, levels at the
    conditional means ``(phi(t_i) - phi(t_{i+1})) / (Phi(t_{i+1}) - Phi(t_i))``.

    Parameters
    ----------
    bits : int
        Rate, ``1 <= bits <= 6``; the codebook has ``2**bits`` levels.
    tol : float, optional
        Stop when no level moves by more than ``tol``.
    max_iter : int, optional
        Iteration cap.

    Returns
    -------
    levels : ndarray, shape (2**bits,)
        Increasing reconstruction levels (symmetric about 0).
    thresholds : ndarray, shape (2**bits - 1,)
        Decision thresholds (midpoints of adjacent levels).
    mse : float
        The quantiser's MSE on ``N(0, 1)``, ``1 - sum_i P_i c_i**2`` (``1 - 2/pi`` at 1 bit).

    Raises
    ------
    InvalidParameterError
        If ``bits`` is not an integer in ``[1, 6]``.
    """
    bits = check_int(bits, "bits")
    if bits > _MAX_BITS:
        raise InvalidParameterError(f"bits must be an integer in [1, {_MAX_BITS}], got {bits}")
    tol = check_number(tol, "tol", strict=True)
    max_iter = check_int(max_iter, "max_iter")
    levels, thresholds, mse = _lloyd_max_cached(bits, tol, max_iter)
    return levels.copy(), thresholds.copy(), mse


@functools.lru_cache(maxsize=32)
def _lloyd_max_cached(bits: int, tol: float, max_iter: int) -> tuple[np.ndarray, np.ndarray, float]:
    L = 2**bits
    # Panter-Dite start: the optimal high-rate level density is ~ p**(1/3), i.e. N(0, 3)
    levels = math.sqrt(3.0) * _Phi_inv((np.arange(L) + 0.5) / L)
    for _ in range(max_iter):
        t = np.concatenate(([-np.inf], 0.5 * (levels[1:] + levels[:-1]), [np.inf]))
        p = np.diff(_Phi(t))
        new = (_phi(t[:-1]) - _phi(t[1:])) / p
        done = np.max(np.abs(new - levels)) <= tol
        levels = new
        if done:
            break
    thresholds = 0.5 * (levels[1:] + levels[:-1])
    t = np.concatenate(([-np.inf], thresholds, [np.inf]))
    p = np.diff(_Phi(t))
    mse = float(1.0 - np.sum(p * levels**2))
    return levels, thresholds, mse


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _check_source(source: object) -> Any:
    from rdp_theory import GaussMarkovSource

    if not isinstance(source, GaussMarkovSource):
        raise InvalidParameterError(
            f"source must be a rdp_theory.GaussMarkovSource, got {type(source).__name__}"
        )
    return source


def _prediction_coefficients(source: Any) -> np.ndarray:
    """``[0, a_1, ..., a_{T-1}]``: coefficient on ``Xhat_{j-1}`` predicting frame ``j``."""
    return np.concatenate(([0.0], np.asarray(source.a, dtype=float)))


def _summarise(x: np.ndarray, xhat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sq = (x - xhat) ** 2
    return sq.mean(axis=0), sq.std(axis=0, ddof=1) / math.sqrt(sq.shape[0])


def _check_steps(step: float | Sequence[float], T: int) -> np.ndarray:
    """``step`` as ``T`` finite positive per-frame steps (a scalar is used for every frame)."""
    if np.ndim(step) == 0:
        return np.full(T, check_number(step, "step", strict=True))
    steps = list(step)  # type: ignore[arg-type]
    if len(steps) != T:
        raise InvalidParameterError(f"step must be a number or {T} numbers, got {len(steps)}")
    return np.array([check_number(v, f"step[{i}]", strict=True) for i, v in enumerate(steps)])


def _constriction() -> Any:
    try:
        import constriction
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingDependencyError(
            "dpcm_ecsq needs constriction: pip install 'constriction>=0.4' (or the `learned` extra)"
        ) from exc
    return constriction


# ---------------------------------------------------------------------------------------------
# (a) DPCM + fixed-rate Lloyd-Max
# ---------------------------------------------------------------------------------------------


def _lloyd_max_scales(source: Any, unit_mse: float) -> np.ndarray:
    """Design std of each frame's closed-loop residual, known to encoder and decoder.

    ``var_1 = sigma_1**2``; ``var_{j+1} = q_j + a_j**2 D_j`` with the innovation variance ``q_j``
    and the design distortion ``D_j = unit_mse * var_j`` (the quantisation error of frame ``j``
    enters the next residual through the prediction).
    """
    a = np.asarray(source.a, dtype=float)
    q = np.asarray(source.innovation_variances, dtype=float)
    var = np.empty(source.T)
    var[0] = float(source.sigma[0]) ** 2
    for j in range(source.T - 1):
        var[j + 1] = q[j] + a[j] ** 2 * unit_mse * var[j]
    return np.sqrt(var)


def dpcm_lloyd_max(source: Any, bits: int, n: int, rng: np.random.Generator) -> BaselineResult:
    """Closed-loop DPCM with a fixed-rate Lloyd-Max quantiser of ``2**bits`` levels per frame.

    The unit-Gaussian Lloyd-Max codebook (:func:`lloyd_max_gaussian`) is scaled per frame by the
    design std of the residual (see :func:`decode_lloyd_max`; it follows from the source
    statistics alone, so no side information is sent). Frame ``j`` is predicted by
    ``a_{j-1} Xhat_{j-1}`` (frame 1 by 0), the residual is quantised and
    ``Xhat_j = prediction + quantised residual``.

    Parameters
    ----------
    source : rdp_theory.GaussMarkovSource
        The source; ``X`` is drawn by ``source.sample(n, rng)``.
    bits : int
        Bits per sample per frame, ``1 <= bits <= 6``.
    n : int
        Number of sampled sequences, ``>= 2``.
    rng : numpy.random.Generator
        Randomness of the sample.

    Returns
    -------
    BaselineResult
        ``rates == bits`` for every frame, empirical per-frame MSE and its standard error.

    Raises
    ------
    InvalidParameterError
        On a bad argument.
    """
    source = _check_source(source)
    bits = check_int(bits, "bits")
    n = check_int(n, "n", 2)
    rng = check_rng(rng)
    levels, thresholds, unit_mse = lloyd_max_gaussian(bits)
    scales = _lloyd_max_scales(source, unit_mse)
    coef = _prediction_coefficients(source)
    x = source.sample(n, rng)
    xhat = np.empty_like(x)
    idx = np.empty(x.shape, dtype=np.int64)
    prev = np.zeros(n)
    for j in range(source.T):
        pred = coef[j] * prev
        idx[:, j] = np.searchsorted(thresholds, (x[:, j] - pred) / scales[j])
        prev = xhat[:, j] = pred + scales[j] * levels[idx[:, j]]
    d, se = _summarise(x, xhat)
    return BaselineResult(
        name="dpcm-lloyd-max",
        rates=np.full(source.T, float(bits)),
        distortions=d,
        distortion_se=se,
        reconstruction=xhat,
        indices=idx,
        payload_bits=np.full(source.T, n * bits, dtype=np.int64),
        side_info_bits=np.zeros(source.T, dtype=np.int64),
    )


def decode_lloyd_max(source: Any, bits: int, indices: np.ndarray) -> np.ndarray:
    """Decoder of :func:`dpcm_lloyd_max`: rebuild ``Xhat`` from the indices alone.

    Parameters
    ----------
    source : rdp_theory.GaussMarkovSource
        The source statistics the codebooks were designed for.
    bits : int
        Bits per sample per frame.
    indices : ndarray of int, shape (n, T)
        Indices in ``[0, 2**bits)``.

    Returns
    -------
    ndarray, shape (n, T)
        The reconstruction.

    Raises
    ------
    InvalidParameterError
        If the indices have the wrong shape or range.
    """
    source = _check_source(source)
    levels, _, unit_mse = lloyd_max_gaussian(bits)
    idx = np.asarray(indices)
    if idx.ndim != 2 or idx.shape[1] != source.T or not np.issubdtype(idx.dtype, np.integer):
        raise InvalidParameterError(
            f"indices must be an integer array of shape (n, {source.T}), got {idx.dtype} "
            f"{idx.shape}"
        )
    if idx.size and (idx.min() < 0 or idx.max() >= levels.size):
        raise InvalidParameterError(f"indices must lie in [0, {levels.size}), got out of range")
    scales = _lloyd_max_scales(source, unit_mse)
    coef = _prediction_coefficients(source)
    xhat = np.empty(idx.shape)
    prev = np.zeros(idx.shape[0])
    for j in range(source.T):
        prev = xhat[:, j] = coef[j] * prev + scales[j] * levels[idx[:, j]]
    return xhat


# ---------------------------------------------------------------------------------------------
# (b) DPCM + entropy-coded uniform / dead-zone quantiser
# ---------------------------------------------------------------------------------------------


def _model(constriction: Any, info: dict[str, Any]) -> Any:
    kmin, kmax = info["kmin"], info["kmax"]
    if info["model"] == "gaussian":
        return constriction.stream.model.QuantizedGaussian(
            kmin, kmax, 0.0, max(float(info["scale"]), 1e-3)
        )
    counts = np.asarray(info["counts"], dtype=np.float64)
    return constriction.stream.model.Categorical(counts / counts.sum(), perfect=False)


def _side_info_bits(info: dict[str, Any]) -> int:
    """Fields sent per frame, 32 bits each: the step (float32), ``kmin, kmax``, the float32 scale
    (Gaussian model or centroid reconstruction) and one count per symbol of ``[kmin, kmax]``
    (empirical)."""
    fields = 3 + int("scale" in info)
    if info["model"] == "empirical":
        fields += len(info["counts"])
    return fields * _WORD_BITS


def dpcm_ecsq(
    source: Any,
    step: float | Sequence[float],
    n: int,
    rng: np.random.Generator,
    *,
    deadzone: float = 0.0,
    model: str = "gaussian",
    reconstruction: str = "midpoint",
) -> BaselineResult:
    """Closed-loop DPCM with an entropy-coded uniform (dead-zone) quantiser, real bitstreams.

    The residual ``e = X_j - a_{j-1} Xhat_{j-1}`` is quantised to
    ``k = sign(e) * max(0, floor(|e| / step + 1/2 - deadzone))`` and reconstructed as ``k * step``
    (``reconstruction="midpoint"``; ``deadzone = 0``: plain rounding) or at the centroid of its
    bin under the Gaussian model of the residual, :math:`\\mathcal N(0, s^2)` with ``s`` the
    scale the stream carries (``reconstruction="centroid"``; the decoder knows ``s``, so this
    costs nothing): for the bin :math:`[a, b)`,
    :math:`s\\,(\\varphi(a/s) - \\varphi(b/s)) / (\\Phi(b/s) - \\Phi(a/s))`. The indices of each frame are range coded with
    ``constriction.stream.queue.RangeEncoder`` under a per-frame model:

    * ``model="gaussian"``: a quantised Gaussian on ``[kmin, kmax]`` with mean 0 and std
      ``s / step``, ``s`` the residual's RMS rounded to float32;
    * ``model="empirical"``: a categorical model from the symbols' empirical counts.

    The rate **counts the side information**: the step, ``kmin``, ``kmax`` and the scale (or every
    count) are 32-bit fields; ``rate_j = (32 * len(stream_j) + side_info_bits_j) / n``. A frame whose indices
    are all equal costs its side information only. :func:`decode_ecsq` inverts the streams.

    Parameters
    ----------
    source : rdp_theory.GaussMarkovSource
        The source; ``X`` is drawn by ``source.sample(n, rng)``.
    step : float or sequence of float
        Quantiser step ``Δ > 0``, one for every frame or one per frame.
    n : int
        Number of sampled sequences, ``>= 2``.
    rng : numpy.random.Generator
        Randomness of the sample.
    deadzone : float, optional
        Widening of the zero bin, in ``[0, 0.5)`` steps on each side.
    model : {"gaussian", "empirical"}, optional
        The entropy model of the indices.
    reconstruction : {"midpoint", "centroid"}, optional
        Where an index is reconstructed (see above).

    Returns
    -------
    BaselineResult
        Measured rates (bitstream length incl. side information), per-frame MSE and SE, the
        streams and their side information.

    Raises
    ------
    InvalidParameterError
        On a bad argument.
    MissingDependencyError
        If ``constriction`` is not installed.
    """
    source = _check_source(source)
    steps = _check_steps(step, source.T)
    n = check_int(n, "n", 2)
    rng = check_rng(rng)
    deadzone = check_number(deadzone, "deadzone")
    if deadzone >= 0.5:
        raise InvalidParameterError(f"deadzone must be a finite number in [0, 0.5), got {deadzone}")
    model = check_choice(model, "model", ("gaussian", "empirical"))
    reconstruction = check_choice(reconstruction, "reconstruction", RECONSTRUCTIONS)
    constriction = _constriction()
    coef = _prediction_coefficients(source)
    x = source.sample(n, rng)
    T = source.T
    xhat = np.empty_like(x)
    idx = np.empty(x.shape, dtype=np.int64)
    streams: list[np.ndarray] = []
    infos: list[dict[str, Any]] = []
    payload = np.zeros(T, dtype=np.int64)
    side = np.zeros(T, dtype=np.int64)
    prev = np.zeros(n)
    for j in range(T):
        dj = float(steps[j])
        pred = coef[j] * prev
        e = x[:, j] - pred
        k = np.sign(e) * np.maximum(0.0, np.floor(np.abs(e) / dj + 0.5 - deadzone))
        if np.max(np.abs(k)) >= 2**30:
            raise InvalidParameterError(f"step is too small for the residual: step={dj:g}")
        k = k.astype(np.int64)
        idx[:, j] = k
        kmin, kmax = int(k.min()), int(k.max())
        info: dict[str, Any] = {
            "model": model, "kmin": kmin, "kmax": kmax, "n": n,
            "reconstruction": reconstruction, "deadzone": deadzone,
            # the residual's RMS in steps, as float32: the Gaussian model's scale (and the
            # centroids'); written for both models when the centroids need it
            "scale": float(np.float32(math.sqrt(float(np.mean(e * e))) / dj)),
        }  # fmt: skip
        prev = xhat[:, j] = pred + _reconstruct(k, dj, info)
        if model == "empirical" and reconstruction == "midpoint":
            del info["scale"]  # unused: not sent
        if model == "empirical":
            info["counts"] = np.bincount(k - kmin, minlength=kmax - kmin + 1).astype(np.uint32)
        if kmin == kmax:
            stream = np.zeros(0, dtype=np.uint32)
        else:
            enc = constriction.stream.queue.RangeEncoder()
            sym = (k if model == "gaussian" else k - kmin).astype(np.int32)
            enc.encode(sym, _model(constriction, info))
            stream = np.asarray(enc.get_compressed(), dtype=np.uint32)
        streams.append(stream)
        infos.append(info)
        payload[j] = _WORD_BITS * stream.size
        side[j] = _side_info_bits(info)
    d, se = _summarise(x, xhat)
    return BaselineResult(
        name="dpcm-ecsq",
        rates=(payload + side) / n,
        distortions=d,
        distortion_se=se,
        reconstruction=xhat,
        indices=idx,
        payload_bits=payload,
        side_info_bits=side,
        streams=tuple(streams),
        side_info=tuple(infos),
    )


def decode_ecsq(
    source: Any,
    step: float | Sequence[float],
    streams: tuple[np.ndarray, ...],
    side_info: tuple[dict[str, Any], ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Decoder of :func:`dpcm_ecsq`: range-decode every frame and rebuild ``Xhat``.

    Parameters
    ----------
    source : rdp_theory.GaussMarkovSource
        The source (its prediction coefficients).
    step : float or sequence of float
        The quantiser step(s) used by the encoder.
    streams : tuple of ndarray of uint32
        One compressed stream per frame.
    side_info : tuple of dict
        One side-information record per frame, as returned by :func:`dpcm_ecsq`.

    Returns
    -------
    indices : ndarray of int64, shape (n, T)
        The decoded quantiser indices.
    reconstruction : ndarray, shape (n, T)
        The decoder's output.

    Raises
    ------
    InvalidParameterError
        If the number of streams or records does not match ``source.T``.
    """
    source = _check_source(source)
    steps = _check_steps(step, source.T)
    if len(streams) != source.T or len(side_info) != source.T:
        raise InvalidParameterError(
            f"streams and side_info must have {source.T} entries each, got "
            f"{len(streams)} and {len(side_info)}"
        )
    constriction = _constriction()
    coef = _prediction_coefficients(source)
    n = int(side_info[0]["n"])
    idx = np.empty((n, source.T), dtype=np.int64)
    xhat = np.empty((n, source.T))
    prev = np.zeros(n)
    for j, (stream, info) in enumerate(zip(streams, side_info)):
        if info["kmin"] == info["kmax"]:
            k = np.full(n, info["kmin"], dtype=np.int64)
        else:
            dec = constriction.stream.queue.RangeDecoder(np.asarray(stream, dtype=np.uint32))
            k = np.asarray(dec.decode(_model(constriction, info), n), dtype=np.int64)
            if info["model"] == "empirical":
                k = k + info["kmin"]
        idx[:, j] = k
        prev = xhat[:, j] = coef[j] * prev + _reconstruct(k, float(steps[j]), info)
    return idx, xhat


#: Where :func:`dpcm_ecsq` reconstructs an index.
RECONSTRUCTIONS = ("midpoint", "centroid")


def _reconstruct(k: np.ndarray, step: float, info: dict[str, Any]) -> np.ndarray:
    """Reconstruction offsets of indices ``k``: ``k * step`` or the Gaussian bin centroids."""
    if info.get("reconstruction", "midpoint") == "midpoint":
        return step * k.astype(float)
    from scipy.special import ndtr

    s = float(info["scale"]) * step
    dz = float(info.get("deadzone", 0.0))
    out = np.zeros(k.shape)
    if s == 0.0:
        return out
    for v in np.unique(k):
        m = abs(int(v))
        if m == 0:
            continue  # the zero bin is symmetric: centroid 0
        a, b = step * (m - 0.5 + dz) / s, step * (m + 0.5 + dz) / s
        mass = float(ndtr(b) - ndtr(a))
        c = s * (_phi(np.array(a)) - _phi(np.array(b))) / mass if mass > 0 else step * (m + dz)
        out[k == v] = math.copysign(float(c), v)
    return out

"""Argument validation shared by every public function.

Each helper returns a clean ``float64`` array (or float) or raises
:class:`~rdp_theory.exceptions.InvalidParameterError` whose message names the argument and the
allowed range. Validation never uses ``assert`` (it would vanish under ``python -O``).

What counts as a real number
----------------------------
Python ``int`` and ``float``, numpy integer and floating scalars, and (nested, rectangular)
lists/tuples/arrays of them. Rejected with a typed error, never silently converted: ``None``,
``bool`` (``True`` is not the number 1 here), complex (numpy would drop the imaginary part),
``datetime64``/``timedelta64``, strings (even numeric ones: ``np.asarray(["1"], float)`` would
accept them), ragged nested lists, and any other object. A Python ``int`` too large for float64
(``|x| > 1.8e308``) is an error for every argument, including those that accept ``inf``: an
``inf`` must be written as ``math.inf``/``np.inf``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .exceptions import InvalidParameterError

__all__ = [
    "as_float_array",
    "broadcast_shapes",
    "check_rates",
    "check_perception",
    "check_sigma",
    "check_scalar",
    "check_choice",
    "check_weights",
    "check_positive_int",
    "check_bool",
    "SIGMA_MIN",
    "SIGMA_MAX",
]

FloatArray = NDArray[np.float64]

_REAL_SCALARS = (int, float, np.integer, np.floating)
_MAX_DEPTH = 64  # numpy's own limit on dimensions


def _describe(x: Any) -> str:
    try:
        text = repr(x)
    except Exception:  # noqa: BLE001 - a hostile __repr__ must not hide the real error
        text = f"<{type(x).__name__} object>"
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"{text} (type {type(x).__name__})"


def _not_real(name: str, allowed: str, value: Any, why: str = "") -> InvalidParameterError:
    extra = f" ({why})" if why else ""
    return InvalidParameterError(
        f"{name} must be a real number or a rectangular array of real numbers{allowed}{extra}; "
        f"got {_describe(value)}"
    )


def _scan(value: Any, name: str, allowed: str, depth: int = 0) -> None:
    """Reject bools, strings, None, complex, ... inside (nested) Python lists and tuples, which
    ``np.asarray`` would silently coerce (``[1.0, True]`` becomes ``[1.0, 1.0]``)."""
    if isinstance(value, (bool, np.bool_)):
        raise _not_real(name, allowed, value, "bool is not accepted as a number")
    if isinstance(value, np.timedelta64):  # a numpy integer subclass, but not a number
        raise _not_real(name, allowed, value)
    if isinstance(value, _REAL_SCALARS):
        return
    if isinstance(value, (list, tuple)):
        if depth >= _MAX_DEPTH:
            raise _not_real(name, allowed, value, f"nested deeper than {_MAX_DEPTH} levels")
        for item in value:
            _scan(item, name, allowed, depth + 1)
        return
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
        _refuse_masked(value, name, allowed)  # np.ma.masked in a list, or a masked array
        return  # judged by its dtype below
    raise _not_real(name, allowed, value)


def _refuse_masked(value: Any, name: str, allowed: str) -> None:
    """Masked entries are refused: ``np.asarray`` would drop the mask and use the hidden values
    of a masked array (review, 2026-11-30), and turn ``np.ma.masked`` inside a list into NaN."""
    if isinstance(value, np.ma.MaskedArray) and np.ma.getmaskarray(value).any():
        raise InvalidParameterError(
            f"{name} has masked entries, which are not accepted{allowed}: pass plain values "
            "(e.g. inf for 'no constraint' where the argument allows it)"
        )


def _object_to_float(arr: np.ndarray, name: str, allowed: str, value: Any) -> FloatArray:
    """Object arrays hold Python ints beyond int64 (or junk): convert element by element."""
    out = np.empty(arr.shape, dtype=np.float64)
    flat = out.reshape(-1)
    for k, item in enumerate(arr.reshape(-1)):
        if isinstance(item, (bool, np.bool_, np.timedelta64)) or not isinstance(item, _REAL_SCALARS):
            raise _not_real(name, allowed, value)
        try:
            flat[k] = float(item)
        except OverflowError:
            raise InvalidParameterError(
                f"{name} must be representable as float64 (|x| <= 1.8e308; write an infinite "
                f"value as math.inf){allowed}, got an integer with {len(str(abs(int(item))))} digits"
            ) from None
    return out


def as_float_array(value: ArrayLike, name: str, allowed: str = "") -> FloatArray:
    """Convert ``value`` to a float64 array, rejecting non-real input (see the module docstring)
    and NaN. ``allowed`` (e.g. ``" in [0, inf]"``) is appended to the messages."""
    _refuse_masked(value, name, allowed)
    if type(value) is float or (type(value) is int and abs(value) <= 1e308):  # common scalars
        arr = np.asarray(value, dtype=np.float64)
    else:
        if not isinstance(value, np.ndarray):
            _scan(value, name, allowed)
            try:
                value_arr = np.asarray(value)
            except (TypeError, ValueError, OverflowError) as exc:
                raise _not_real(name, allowed, value, "ragged or not array-like") from exc
        else:
            value_arr = value
        kind = value_arr.dtype.kind
        if kind == "f" and value_arr.dtype.itemsize <= 8 or kind in "iu":
            arr = np.asarray(value_arr, dtype=np.float64)
        elif kind == "f":  # long double: may overflow float64
            with np.errstate(over="ignore"):
                arr = np.asarray(value_arr, dtype=np.float64)
            if (np.isinf(arr) & np.isfinite(value_arr)).any():
                raise InvalidParameterError(
                    f"{name} must be representable as float64 (|x| <= 1.8e308){allowed}, "
                    f"got {_describe(value)}"
                )
        elif kind == "O":
            arr = _object_to_float(value_arr, name, allowed, value)
        else:
            raise _not_real(name, allowed, value, f"dtype {value_arr.dtype} is not accepted")
    if arr.size and np.isnan(arr.min()):  # one pass, no temporary: min propagates NaN
        raise InvalidParameterError(
            f"{name} must not contain NaN (allowed: real numbers{allowed}), got {_describe(value)}"
        )
    return arr


def broadcast_shapes(**arrays: np.ndarray) -> tuple[int, ...]:
    """The broadcast shape of the named arrays, or a typed error naming them and their shapes."""
    try:
        return np.broadcast_shapes(*(np.shape(a) for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(a)}" for k, a in arrays.items())
        raise InvalidParameterError(
            f"{' and '.join(arrays)} must have shapes that broadcast together (numpy rules), got {shapes}"
        ) from None


def _range_check(
    arr: FloatArray, name: str, *, low: float, allow_inf: bool, low_inclusive: bool = True
) -> FloatArray:
    bracket = "[" if low_inclusive else "("
    upper = "inf]" if allow_inf else "inf)"
    if not allow_inf and np.isinf(arr).any():
        raise InvalidParameterError(
            f"{name} must be finite (allowed range {bracket}{low:g}, {upper}), got {_describe(arr.tolist())}"
        )
    smallest = arr.min() if arr.size else np.inf  # one pass (NaN was rejected before)
    if smallest < low or (not low_inclusive and smallest <= low):
        op = ">=" if low_inclusive else ">"
        raise InvalidParameterError(
            f"{name} must be {op} {low:g} (allowed range {bracket}{low:g}, {upper}), "
            f"got {_describe(arr.tolist())}"
        )
    return arr


def check_rates(value: ArrayLike, name: str = "rates", *, length: int | None = None) -> FloatArray:
    """Rates in bits per sample: each in ``[0, inf]`` (``inf`` = lossless)."""
    arr = _range_check(as_float_array(value, name, " in [0, inf]"), name, low=0.0, allow_inf=True)
    return _check_length(arr, name, length)


def check_perception(
    value: ArrayLike, name: str = "perception", *, length: int | None = None
) -> FloatArray:
    """Perception levels (W2^2): each in ``[0, inf]`` (``inf`` = unconstrained)."""
    arr = _range_check(as_float_array(value, name, " in [0, inf]"), name, low=0.0, allow_inf=True)
    return _check_length(arr, name, length)


def check_targets(value: ArrayLike, name: str = "distortions", *, length: int | None = None) -> FloatArray:
    """Distortion targets (MSE) of the rate form: each in ``(0, inf]`` (``inf`` = none); a
    target of 0 would need an infinite rate."""
    arr = as_float_array(value, name, " in (0, inf]")
    zero = np.flatnonzero(arr.reshape(-1) == 0.0)
    if zero.size:
        where = f"{name}[{int(zero[0])}]" if arr.ndim else name
        raise InvalidParameterError(
            f"{where} = 0 needs an infinite rate (allowed range (0, inf])"
        )
    arr = _range_check(arr, name, low=0.0, allow_inf=True, low_inclusive=False)
    return _check_length(arr, name, length)


#: Accepted standard deviations: ``[SIGMA_MIN, SIGMA_MAX]``. Every variance, every ratio
#: sigma_k / sigma_i (so every regression coefficient a_j and transfer entry A_{k,i}) and every
#: covariance entry is then a normal, finite float64 (at most 1e300, at least 1e-300), and the
#: closed forms, computed in units of sigma_j per frame, are accurate over the whole range.
SIGMA_MIN = 1e-150
SIGMA_MAX = 1e150


def check_sigma(value: ArrayLike, name: str = "sigma") -> FloatArray:
    """Standard deviations in ``[1e-150, 1e150]`` (see :data:`SIGMA_MIN`)."""
    allowed = f" in [{SIGMA_MIN:g}, {SIGMA_MAX:g}]"
    arr = as_float_array(value, name, allowed)
    if ((arr < SIGMA_MIN) | (arr > SIGMA_MAX)).any():
        raise InvalidParameterError(
            f"{name} must lie in [{SIGMA_MIN:g}, {SIGMA_MAX:g}] (so that variances and ratios of "
            f"standard deviations stay finite, normal float64 numbers), got {_describe(arr.tolist())}"
        )
    return arr


def check_scalar(value: Any, name: str, allowed: str = "") -> float:
    """A single real number (0-d); arrays, sequences and non-numbers are rejected."""
    arr = as_float_array(value, name, allowed)
    if arr.ndim != 0:
        raise InvalidParameterError(
            f"{name} must be a single real number{allowed}, got an array of shape {arr.shape}"
        )
    return float(arr)


def check_weights(value: ArrayLike, name: str, *, length: int) -> FloatArray:
    """Objective weights: finite, non-negative, not all zero, shape ``(length,)``."""
    arr = _range_check(as_float_array(value, name, " in [0, inf)"), name, low=0.0, allow_inf=False)
    arr = _check_length(arr, name, length)
    if not (arr > 0).any():
        raise InvalidParameterError(f"{name} must have at least one positive entry, got {arr.tolist()}")
    return arr


def _check_length(arr: FloatArray, name: str, length: int | None) -> FloatArray:
    if length is None:
        return arr
    if arr.ndim == 0:
        return np.full(length, float(arr))
    if arr.shape != (length,):
        raise InvalidParameterError(
            f"{name} must be a scalar or have shape ({length},) (one entry per frame), "
            f"got shape {arr.shape}"
        )
    return arr


def check_choice(value: object, name: str, allowed: Sequence[str]) -> str:
    """A string option, case-insensitive, among ``allowed``."""
    if not isinstance(value, str) or value.lower() not in allowed:
        raise InvalidParameterError(
            f"{name} must be one of {', '.join(repr(a) for a in allowed)}, got {_describe(value)}"
        )
    return value.lower()


def check_positive_int(
    value: object, name: str, *, minimum: int = 1, maximum: int | None = None
) -> int:
    """An integer in ``[minimum, maximum]`` (bools rejected; an integral float is accepted)."""
    rng = f"[{minimum}, {'inf' if maximum is None else maximum}]"
    if isinstance(value, (bool, np.bool_, np.timedelta64)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
            value = int(value)
        else:
            raise InvalidParameterError(
                f"{name} must be an integer in {rng}, got {_describe(value)}"
            )
    if int(value) < minimum or (maximum is not None and int(value) > maximum):
        raise InvalidParameterError(f"{name} must be an integer in {rng}, got {int(value)}")
    return int(value)


def check_bool(value: object, name: str) -> bool:
    """A flag: ``True`` or ``False`` (a numpy bool too); numbers, strings and ``None`` are
    rejected (``verbose=1`` or ``verbose="no"`` is a mistake, not a flag)."""
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidParameterError(f"{name} must be True or False, got {_describe(value)}")
    return bool(value)

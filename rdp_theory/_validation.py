"""Argument validation shared by every public function.

Each helper returns a clean ``float64`` array (or float) or raises
:class:`~rdp_theory.exceptions.InvalidParameterError` whose message names the argument and the
allowed range. Validation never uses ``assert`` (it would vanish under ``python -O``).
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
    "check_rates",
    "check_perception",
    "check_sigma",
    "check_choice",
    "check_weights",
    "check_positive_int",
]

FloatArray = NDArray[np.float64]


def _describe(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 80 else text[:77] + "..."


def as_float_array(value: ArrayLike, name: str) -> FloatArray:
    """Convert ``value`` to a float64 array, rejecting non-numeric input and NaN."""
    if isinstance(value, (str, bytes)):
        raise InvalidParameterError(f"{name} must be numeric, got {_describe(value)}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"{name} must be numeric, got {_describe(value)}") from exc
    if np.isnan(arr).any():
        raise InvalidParameterError(f"{name} must not contain NaN, got {_describe(value)}")
    return arr


def _range_check(
    arr: FloatArray, name: str, *, low: float, allow_inf: bool, low_inclusive: bool = True
) -> FloatArray:
    if not allow_inf and np.isinf(arr).any():
        raise InvalidParameterError(f"{name} must be finite, got {_describe(arr.tolist())}")
    bad = arr < low if low_inclusive else arr <= low
    if bad.any():
        op = ">=" if low_inclusive else ">"
        upper = "inf]" if allow_inf else "inf)"
        bracket = "[" if low_inclusive else "("
        raise InvalidParameterError(
            f"{name} must be {op} {low:g} (allowed range {bracket}{low:g}, {upper}), "
            f"got {_describe(arr.tolist())}"
        )
    return arr


def check_rates(value: ArrayLike, name: str = "rates", *, length: int | None = None) -> FloatArray:
    """Rates in bits per sample: each in ``[0, inf]`` (``inf`` = lossless)."""
    arr = _range_check(as_float_array(value, name), name, low=0.0, allow_inf=True)
    return _check_length(arr, name, length)


def check_perception(
    value: ArrayLike, name: str = "perception", *, length: int | None = None
) -> FloatArray:
    """Perception levels (W2^2): each in ``[0, inf]`` (``inf`` = unconstrained)."""
    arr = _range_check(as_float_array(value, name), name, low=0.0, allow_inf=True)
    return _check_length(arr, name, length)


#: Largest standard deviation accepted: its square (a variance) and sums of a few such terms
#: must stay finite in float64.
SIGMA_MAX = 1e150


def check_sigma(value: ArrayLike, name: str = "sigma") -> FloatArray:
    """Standard deviations in ``(0, 1e150]`` (finite, positive, with a finite square)."""
    arr = _range_check(
        as_float_array(value, name), name, low=0.0, allow_inf=False, low_inclusive=False
    )
    if (arr > SIGMA_MAX).any():
        raise InvalidParameterError(
            f"{name} must be <= {SIGMA_MAX:g} so that variances stay finite "
            f"(allowed range (0, {SIGMA_MAX:g}]), got {_describe(arr.tolist())}"
        )
    return arr


def check_weights(value: ArrayLike, name: str, *, length: int) -> FloatArray:
    """Objective weights: finite, non-negative, not all zero, shape ``(length,)``."""
    arr = _range_check(as_float_array(value, name), name, low=0.0, allow_inf=False)
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


def check_positive_int(value: object, name: str, *, minimum: int = 1) -> int:
    """An integer ``>= minimum`` (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, float) and value.is_integer() and math.isfinite(value):
            value = int(value)
        else:
            raise InvalidParameterError(
                f"{name} must be an integer >= {minimum}, got {_describe(value)}"
            )
    if int(value) < minimum:
        raise InvalidParameterError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)

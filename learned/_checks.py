"""Argument checks of the learned codec: the one validation style of :mod:`learned`.

Every check raises :class:`rdp_theory.exceptions.InvalidParameterError` with a message that names
the argument and its allowed range (``"steps must be an integer >= 1, got 0"``) and returns the
value, normalised, so a caller writes ``self.n = check_int(n, "n")``. Torch-free.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from rdp_theory.exceptions import InvalidParameterError

__all__ = [
    "check_choice",
    "check_int",
    "check_number",
    "check_odd_int",
    "check_rng",
    "check_subset",
]


def check_int(value: object, name: str, minimum: int = 1) -> int:
    """An integer ``>= minimum`` (bools and floats rejected)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_odd_int(value: object, name: str) -> int:
    """An odd integer ``>= 1`` (a window side)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1 or (
        value % 2 == 0
    ):
        raise InvalidParameterError(f"{name} must be an odd integer >= 1, got {value!r}")
    return int(value)


def check_number(
    value: object, name: str, minimum: float = 0.0, *, strict: bool = False
) -> float:
    """A finite real number ``>= minimum`` (``> minimum`` when ``strict``; bools rejected)."""
    op = ">" if strict else ">="
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not math.isfinite(value)
        or (value <= minimum if strict else value < minimum)
    ):
        raise InvalidParameterError(
            f"{name} must be a finite number {op} {minimum:g}, got {value!r}"
        )
    return float(value)


def check_rng(rng: object, name: str = "rng") -> np.random.Generator:
    """A :class:`numpy.random.Generator` (no global seeding in the library)."""
    if not isinstance(rng, np.random.Generator):
        raise InvalidParameterError(
            f"{name} must be a numpy.random.Generator, got {type(rng).__name__}"
        )
    return rng


def check_choice(value: Any, name: str, allowed: Sequence[Any]) -> Any:
    """One of ``allowed`` (compared exactly)."""
    if value not in allowed:
        raise InvalidParameterError(f"{name} must be one of {tuple(allowed)}, got {value!r}")
    return value


def check_subset(values: Iterable[Any], name: str, allowed: Sequence[Any]) -> tuple[Any, ...]:
    """A non-empty tuple of distinct-or-not entries of ``allowed``."""
    vals = tuple(values)
    if not vals or any(v not in allowed for v in vals):
        raise InvalidParameterError(
            f"{name} must be a non-empty subset of {tuple(allowed)}, got {vals!r}"
        )
    return vals

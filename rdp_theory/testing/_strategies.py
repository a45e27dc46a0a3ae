"""Hypothesis strategies and tolerances of :mod:`rdp_theory.testing` (the default ranges are the
box in which the solver is certified)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from .._validation import SIGMA_MAX, SIGMA_MIN, check_positive_int, check_scalar
from ..exceptions import InvalidParameterError
from ..source import MAX_FRAMES, GaussMarkovSource, check_source

__all__ = [
    "CLOSED_FORM_RTOL",
    "ORDER_TOL",
    "MC_SIGMAS",
    "PLF_NAMES",
    "gauss_markov_sources",
    "rate_vectors",
    "perception_vectors",
    "scenarios",
]


def _flag(value: object, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise InvalidParameterError(f"{name} must be True, False or None, got {value!r}")


def _bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidParameterError(f"{name} must be True or False, got {value!r}")
    return value


def _range_pair(value: object, name: str, lo: float, hi: float) -> tuple[float, float]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise InvalidParameterError(f"{name} must be a pair (low, high) within [{lo:g}, {hi:g}], got {value!r}")
    a = check_scalar(value[0], f"{name}[0]", f" in [{lo:g}, {hi:g}]")
    b = check_scalar(value[1], f"{name}[1]", f" in [{lo:g}, {hi:g}]")
    if not lo <= a <= b <= hi:
        raise InvalidParameterError(f"{name} must be a pair low <= high within [{lo:g}, {hi:g}], got {value!r}")
    return a, b

PLF_NAMES = ("jd", "fmd", "sa")

#: Closed form against the convex program: THEORY.md section 5 demands relative error <= 1e-5.
CLOSED_FORM_RTOL = 1e-5
#: Inequalities between two solver outputs (orderings, monotonicity) hold up to the certified
#: accuracy of each solve (``rdp_theory.convex.ACCURACY`` = 1e-7 relative to max sigma^2), doubled.
ORDER_TOL = 2e-7
#: Monte Carlo estimates must lie within this many standard errors of the exact value.
MC_SIGMAS = 4.0


@st.composite
def _gauss_markov_sources(
    draw: st.DrawFn,
    *,
    min_T: int = 1,
    max_T: int = 6,
    sigma_range: tuple[float, float] = (0.1, 10.0),
    max_abs_rho: float = 0.999,
    stationary: bool | None = None,
) -> GaussMarkovSource:
    """Valid :class:`GaussMarkovSource` instances (log-uniform sigmas)."""
    T = draw(st.integers(min_T, max_T))
    lo, hi = math.log(sigma_range[0]), math.log(sigma_range[1])
    log_sigma = st.floats(lo, hi, allow_nan=False)
    rho = st.floats(-max_abs_rho, max_abs_rho, allow_nan=False)
    equal = draw(st.booleans()) if stationary is None else stationary
    if equal:
        s, r = min(max(math.exp(draw(log_sigma)), sigma_range[0]), sigma_range[1]), draw(rho)
        return GaussMarkovSource((s,) * T, (r,) * (T - 1))
    sigmas = tuple(min(max(math.exp(draw(log_sigma)), sigma_range[0]), sigma_range[1]) for _ in range(T))
    rhos = tuple(draw(rho) for _ in range(T - 1))
    return GaussMarkovSource(sigmas, rhos)


def gauss_markov_sources(
    *,
    min_T: int = 1,
    max_T: int = 6,
    sigma_range: tuple[float, float] = (0.1, 10.0),
    max_abs_rho: float = 0.999,
    stationary: bool | None = None,
) -> st.SearchStrategy[GaussMarkovSource]:
    """Valid :class:`GaussMarkovSource` instances (log-uniform sigmas).

    ``1 <= min_T <= max_T <= 1e6``; ``sigma_range`` a pair within ``[1e-150, 1e150]``;
    ``max_abs_rho`` in ``[0, 1)``; ``stationary`` True, False or None (either). Checked eagerly.
    """
    min_T = check_positive_int(min_T, "min_T", maximum=MAX_FRAMES)
    max_T = check_positive_int(max_T, "max_T", minimum=min_T, maximum=MAX_FRAMES)
    lo, hi = _range_pair(sigma_range, "sigma_range", SIGMA_MIN, SIGMA_MAX)
    m = check_scalar(max_abs_rho, "max_abs_rho", " in [0, 1)")
    if not 0.0 <= m < 1.0:
        raise InvalidParameterError(f"max_abs_rho must lie in [0, 1), got {m!r}")
    return _gauss_markov_sources(
        min_T=min_T, max_T=max_T, sigma_range=(lo, hi), max_abs_rho=m,
        stationary=_flag(stationary, "stationary"),
    )


def rate_vectors(
    T: int, *, max_rate: float = 8.0, allow_zero: bool = True, allow_inf: bool = False
) -> st.SearchStrategy[np.ndarray]:
    """Rate vectors of shape (T,) in bits per sample.

    ``T`` an integer in ``[1, 1e6]``, ``max_rate`` in ``[1e-3, 1e300]``; flags True or False.
    """
    T = check_positive_int(T, "T", maximum=MAX_FRAMES)
    max_rate = check_scalar(max_rate, "max_rate", " in [1e-3, 1e300]")
    if not 1e-3 <= max_rate <= 1e300:
        raise InvalidParameterError(f"max_rate must lie in [1e-3, 1e300], got {max_rate!r}")
    allow_zero, allow_inf = _bool(allow_zero, "allow_zero"), _bool(allow_inf, "allow_inf")
    elem = st.floats(1e-3, max_rate, allow_nan=False)
    if allow_zero:
        elem = st.one_of(st.just(0.0), elem)
    if allow_inf:
        elem = st.one_of(st.just(math.inf), elem)
    return st.lists(elem, min_size=T, max_size=T).map(lambda x: np.asarray(x, dtype=float))


def perception_vectors(
    source: GaussMarkovSource,
    *,
    allow_zero: bool = True,
    allow_inf: bool = True,
    min_relative: float = 1e-4,
    max_relative: float = 10.0,
) -> st.SearchStrategy[np.ndarray]:
    """Perception levels (W2^2) of shape (T,): 0, inf, or ``[min, max] * sigma_j^2`` (log-uniform).

    ``1e-300 <= min_relative <= max_relative <= 1e6``; flags True or False.
    """
    source = check_source(source)
    allow_zero, allow_inf = _bool(allow_zero, "allow_zero"), _bool(allow_inf, "allow_inf")
    min_relative, max_relative = _range_pair(
        (min_relative, max_relative), "(min_relative, max_relative)", 1e-300, 1e6
    )

    def frame(var: float) -> st.SearchStrategy[float]:
        pos = st.floats(math.log(min_relative), math.log(max_relative)).map(
            lambda z: math.exp(z) * var
        )
        parts = [pos]
        if allow_zero:
            parts.append(st.just(0.0))
        if allow_inf:
            parts.append(st.just(math.inf))
        return st.one_of(*parts)

    return st.tuples(*(frame(float(v)) for v in source.variances)).map(
        lambda x: np.asarray(x, dtype=float)
    )


def scenarios(
    *, max_T: int = 4, plfs: tuple[str, ...] = PLF_NAMES
) -> st.SearchStrategy[tuple[GaussMarkovSource, np.ndarray, np.ndarray, str]]:
    """A full operating point: ``(source, rates, perception, plf)``.

    ``max_T`` an integer in ``[1, 1e6]``; ``plfs`` a non-empty tuple or list of names from
    :data:`PLF_NAMES`.
    """
    max_T = check_positive_int(max_T, "max_T", maximum=MAX_FRAMES)
    if (
        not isinstance(plfs, (tuple, list))
        or not plfs
        or not all(isinstance(x, str) and x in PLF_NAMES for x in plfs)
    ):
        raise InvalidParameterError(f"plfs must be a non-empty tuple of names from {PLF_NAMES}, got {plfs!r}")
    return _scenarios(max_T=max_T, plfs=tuple(plfs))


@st.composite
def _scenarios(
    draw: st.DrawFn, *, max_T: int, plfs: tuple[str, ...]
) -> tuple[GaussMarkovSource, np.ndarray, np.ndarray, str]:
    src = draw(gauss_markov_sources(max_T=max_T))
    return src, draw(rate_vectors(src.T)), draw(perception_vectors(src)), draw(st.sampled_from(plfs))

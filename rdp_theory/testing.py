"""Hypothesis strategies for property-based tests of RDP bounds (needs the ``test`` extra).

Shared by this package's own tests and by users' tests, in the style of ``dit.utils.testing``::

    from hypothesis import given
    from rdp_theory.testing import gauss_markov_sources, rate_vectors

    @given(data=st.data())
    def test_something(data):
        src = data.draw(gauss_markov_sources(max_T=4))
        rates = data.draw(rate_vectors(src.T))

The default ranges are the box in which the solver is certified: T <= 6, sigma in [0.1, 10],
|rho| <= 0.999, R in [0, 8] bits, P in {0} U [1e-4, 10 sigma^2] (plus inf where allowed).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from .source import GaussMarkovSource

__all__ = [
    "CLOSED_FORM_RTOL",
    "ORDER_TOL",
    "MC_SIGMAS",
    "gauss_markov_sources",
    "rate_vectors",
    "perception_vectors",
    "scenarios",
    "PLF_NAMES",
]

PLF_NAMES = ("jd", "fmd", "sa")

#: Closed form against the convex program: THEORY.md section 5 demands relative error <= 1e-5.
CLOSED_FORM_RTOL = 1e-5
#: Inequalities between two solver outputs (orderings, monotonicity) hold up to the certified
#: accuracy of each solve (``rdp_theory.convex.ACCURACY`` = 1e-7 relative to max sigma^2), doubled.
ORDER_TOL = 2e-7
#: Monte Carlo estimates must lie within this many standard errors of the exact value.
MC_SIGMAS = 4.0


@st.composite
def gauss_markov_sources(
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
        s, r = math.exp(draw(log_sigma)), draw(rho)
        return GaussMarkovSource((s,) * T, (r,) * (T - 1))
    sigmas = tuple(math.exp(draw(log_sigma)) for _ in range(T))
    rhos = tuple(draw(rho) for _ in range(T - 1))
    return GaussMarkovSource(sigmas, rhos)


def rate_vectors(
    T: int, *, max_rate: float = 8.0, allow_zero: bool = True, allow_inf: bool = False
) -> st.SearchStrategy[np.ndarray]:
    """Rate vectors of shape (T,) in bits per sample."""
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
    """Perception levels (W2^2) of shape (T,): 0, inf, or ``[min, max] * sigma_j^2`` (log-uniform)."""

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


@st.composite
def scenarios(
    draw: st.DrawFn, *, max_T: int = 4, plfs: tuple[str, ...] = PLF_NAMES
) -> tuple[GaussMarkovSource, np.ndarray, np.ndarray, str]:
    """A full operating point: ``(source, rates, perception, plf)``."""
    src = draw(gauss_markov_sources(max_T=max_T))
    return src, draw(rate_vectors(src.T)), draw(perception_vectors(src)), draw(st.sampled_from(plfs))

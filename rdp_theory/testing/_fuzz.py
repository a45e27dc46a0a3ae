"""Fuzzing the public API (issue 12): every entry point fed arbitrary objects; the targets of
:func:`rdp_theory.testing.fuzz_targets`.

The fuzz targets are one list literal in ``_targets``, one entry per public entry point, so that
function is longer than the others (about 150 lines): splitting it would scatter the one list
that says what is fuzzed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from .._validation import SIGMA_MAX, SIGMA_MIN
from ..exceptions import RDPError
from ..source import GaussMarkovSource
from ._strategies import (
    PLF_NAMES,
    gauss_markov_sources,
    perception_vectors,
    rate_vectors,
    scenarios,
)

__all__ = [
    "FUZZ_RTOL",
    "FUZZ_TARGETS",
    "FuzzTarget",
    "arbitrary_values",
    "fuzz_outcome",
    "fuzz_targets",
    "is_wrong_type",
]

#: The promise checked by the fuzzer: accepted input gives a finite, bound-respecting result;
#: anything else is an :class:`~rdp_theory.exceptions.RDPError`. Bounds carry this relative slack.
FUZZ_RTOL = 1e-9


class _Opaque:
    """An arbitrary object (no numeric meaning)."""

    def __repr__(self) -> str:
        return "<opaque>"


def arbitrary_values() -> st.SearchStrategy[Any]:
    """Values that a caller might pass by mistake: None, strings (numeric too), bools, complex,
    datetime64/timedelta64, ragged and nested lists, huge ints, NaN, +-inf, negatives, 3-D and
    empty arrays, numpy bools, dicts, arbitrary objects, and plain floats and ints."""
    scalars = st.one_of(
        st.none(),
        st.sampled_from(["", "1", "0.5", "inf", "nan", "abc", b"1"]),
        st.booleans(),
        st.sampled_from([np.True_, np.bool_(False)]),
        st.complex_numbers(allow_nan=True, allow_infinity=True),
        st.sampled_from([np.complex128(1.0), np.complex64(2 + 1j)]),
        st.sampled_from([np.datetime64("2020-01-01"), np.timedelta64(3, "s")]),
        st.sampled_from([10**400, -(10**400), 2**64, 2**63, 10**30, -1, 0, 1, 2, 3]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([math.nan, math.inf, -math.inf, -1.0, -1e-300, 0.0, 5e-324, 1e308]),
        st.sampled_from([np.float32(0.5), np.longdouble(2.0), np.int8(3), np.uint64(7)]),
        st.builds(_Opaque),
        st.just({"a": 1}),
        st.just({1.0, 2.0}),
    )
    arrays = st.one_of(
        st.sampled_from(
            [np.ones((2, 2, 2)), np.zeros((0,)), np.ones((3, 0)), np.full((2, 3), np.nan),
             np.array(["1", "2"]), np.array([1.0, 2.0], dtype=object), np.array([True, False]),
             np.ones((2, 2), dtype=complex), np.array(["2020-01-01"] * 3, dtype="datetime64[D]")]
        ),
        st.sampled_from([[[1.0, 2.0], [3.0]], [1.0, True], [1.0, "2"], [None], [1.0, 10**400],
                         [[[1.0]]], [0.5, 1.0, 2.0], [[1.0, 2.0, 3.0]] * 4, (1.0, 1.0)]),
    )
    return st.one_of(scalars, scalars.flatmap(lambda x: st.lists(st.just(x), max_size=4)), arrays)


def is_wrong_type(value: Any, _depth: int = 0) -> bool:
    """Whether ``value`` is (or contains) something that is not a real number: None, str, bool,
    complex, datetime, an object, a dict, ... (a ragged list counts as wrong too)."""
    if _depth > 64:
        return True
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        return True
    if isinstance(value, (int, float, np.integer, np.floating)):
        return False
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O":
            return any(is_wrong_type(v, _depth + 1) for v in value.reshape(-1))
        return value.dtype.kind not in "iuf"
    if isinstance(value, (list, tuple)):
        if any(is_wrong_type(v, _depth + 1) for v in value):
            return True
        try:
            np.asarray(value, dtype=object).shape  # noqa: B018
            np.asarray(value, dtype=float)
        except (ValueError, TypeError, OverflowError):
            return True
        return False
    return True


@dataclass(frozen=True)
class FuzzTarget:
    """One public entry point for the fuzzer.

    ``arguments`` draws keyword arguments (a mixture of valid values and
    :func:`arbitrary_values`); ``call`` calls the entry point with them; ``check(kwargs, result)``
    returns ``None`` when the result is finite and respects the theorem's bounds, else a short
    description of what is wrong. Adding an entry point (e.g. ``solve_rdp``) is one list entry.
    """

    name: str
    arguments: st.SearchStrategy[dict[str, Any]]
    call: Callable[..., Any]
    check: Callable[[Mapping[str, Any], Any], str | None]
    #: Arguments that must be real numbers: a result despite a non-number there counts as
    #: ``accepted_wrong_type`` (other arguments are judged by ``check``).
    numeric: tuple[str, ...] = ()


def _or_junk(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``valid`` three times in four, :func:`arbitrary_values` otherwise."""
    return st.integers(0, 3).flatmap(lambda k: arbitrary_values() if k == 3 else valid)


def _valid_sources() -> st.SearchStrategy[GaussMarkovSource]:
    return st.one_of(
        gauss_markov_sources(max_T=4),
        gauss_markov_sources(max_T=4, sigma_range=(SIGMA_MIN, SIGMA_MAX), max_abs_rho=0.999999),
    )


def _rates_like(T: int = 3) -> st.SearchStrategy[Any]:
    elem = st.one_of(st.floats(0, 20), st.just(math.inf), st.just(0.0))
    return st.one_of(
        elem,
        st.lists(elem, min_size=T, max_size=T),
        st.lists(st.lists(elem, min_size=T, max_size=T), min_size=1, max_size=3),
        st.lists(elem, min_size=1, max_size=5),
    )


def _per_frame_arrays(result: Any, var: np.ndarray, upper: float) -> str | None:
    d = np.asarray(result, dtype=np.float64)
    if not np.isfinite(d).all():
        return "not finite"
    if (d < 0).any():
        return "negative"
    if (d / var > upper * (1 + FUZZ_RTOL)).any():
        return f"above {upper:g} sigma_j^2"
    return None


def _source_var(kw: Mapping[str, Any]) -> np.ndarray:
    return kw["source"].variances  # a result from a non-source is flagged as a wrong type anyway


def _check_rdp(kw: Mapping[str, Any], d: Any) -> str | None:
    s = np.asarray(kw["sigma"], dtype=np.float64)
    return _per_frame_arrays(d, s * s, 2.0)


def _check_greedy(kw: Mapping[str, Any], rep: Any) -> str | None:
    var = _source_var(kw)
    for field in ("p", "q", "e", "v"):
        bad = _per_frame_arrays(getattr(rep, field), var, 1.0)
        if bad:
            return f"{field}: {bad}"
    return None


def _check_source(kw: Mapping[str, Any], src: Any) -> str | None:
    if not isinstance(src, GaussMarkovSource):
        return "not a GaussMarkovSource"
    cov = src.covariance()
    if not np.isfinite(cov).all() or not np.isfinite(src.transfer).all() or not np.isfinite(src.a).all():
        return "covariance, transfer or a not finite"
    return None


def _check_w2(kw: Mapping[str, Any], w: Any) -> str | None:
    if not isinstance(w, float) or not math.isfinite(w) or w < 0:
        return f"W2^2 = {w!r} is not a finite non-negative float"
    t1 = float(np.trace(np.atleast_2d(np.asarray(kw["k1"], dtype=float))))
    t2 = float(np.trace(np.atleast_2d(np.asarray(kw["k2"], dtype=float))))
    if w > (math.sqrt(max(t1, 0)) + math.sqrt(max(t2, 0))) ** 2 * (1 + FUZZ_RTOL):
        return "W2^2 above (sqrt tr K1 + sqrt tr K2)^2"
    return None


def _psd_matrices() -> st.SearchStrategy[Any]:
    def build(args: tuple[int, int, float]) -> np.ndarray:
        d, seed, scale = args
        m = np.random.default_rng(seed).normal(size=(d, d))
        return (m @ m.T) * scale

    return st.one_of(
        st.floats(0, 1e300),
        st.tuples(st.integers(1, 4), st.integers(0, 2**32 - 1),
                  st.sampled_from([1.0, 1e-200, 1e-20, 1e20, 1e290])).map(build),
    )


def _w2_arguments() -> st.SearchStrategy[dict[str, Any]]:
    same = st.integers(1, 4).flatmap(
        lambda d: st.tuples(*(st.integers(0, 2**32 - 1) for _ in range(2))).map(
            lambda seeds: {k: (lambda m: m @ m.T)(np.random.default_rng(s).normal(size=(d, d)))
                           for k, s in zip(("k1", "k2"), seeds)}
        )
    )
    return st.one_of(same, st.fixed_dictionaries({"k1": _or_junk(_psd_matrices()),
                                                  "k2": _or_junk(_psd_matrices())}))


def _sources_and(
    junk_source: bool = True, **more: Callable[[int], st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    """``{"source": ..., **more}`` where each ``more[k](T)`` draws argument ``k`` for a source of
    ``T`` frames (so valid per-frame arrays have the right length); ``junk_source`` mixes in
    non-sources (off for methods, whose ``self`` is always a source)."""

    def given_source(src: Any) -> st.SearchStrategy[dict[str, Any]]:
        T = src.T if isinstance(src, GaussMarkovSource) else 3
        return st.fixed_dictionaries({"source": st.just(src), **{k: f(T) for k, f in more.items()}})

    sources = _or_junk(_valid_sources()) if junk_source else _valid_sources()
    return sources.flatmap(given_source)


def _check_solution(kw: Mapping[str, Any], sol: Any) -> str | None:
    """A solver result: finite, never below the MMSE converse, at most 4 sigma_k^2 (far above
    any optimum: the all-noise scheme costs 2 sigma_k^2), perception values finite and >= 0
    (under KL, ``inf`` only at an infinite level: a singular reconstruction law) and within the
    levels (to the certified accuracy, 1e3 times it when flagged)."""
    from ..closed_form import mmse_distortions

    src = kw["source"]
    d = np.asarray(sol.distortions, dtype=np.float64)
    if sol.status not in ("optimal", "optimal_inaccurate"):
        return f"status {sol.status}"
    if d.shape != (src.T,) or not np.isfinite(d).all():
        return "distortions not finite"
    if (d < np.asarray(mmse_distortions(src, sol.rates)) * (1 - 1e-12)).any() or (d < 0).any():
        return "below the MMSE converse"
    if (d > 4 * src.variances).any():
        return "above 4 sigma^2"
    phi = np.asarray(sol.perception_values, dtype=np.float64)
    levels = np.asarray(sol.perception, dtype=np.float64)
    fin = np.isfinite(levels)
    ok = np.isfinite(phi) | (~fin if sol.perception_measure == "kl" else False)
    if not (ok.all() and (phi >= 0).all()):
        return "perception values"
    unit = float(src.variances.max()) if sol.perception_measure == "w2" else 1.0
    tol = (1e-7 if sol.status == "optimal" else 1e-4) * unit
    return None if (phi[fin] <= levels[fin] + tol).all() else "a perception level missed"


def _check_total_rate(kw: Mapping[str, Any], sol: Any) -> str | None:
    """A rate-form result: a finite non-negative total equal to the sum of its allocation, every
    target and level met (to the certified accuracy, or 1e3 times it when flagged)."""
    if sol.status not in ("optimal", "optimal_inaccurate"):
        return f"status {sol.status}"
    r = np.asarray(sol.rates, dtype=np.float64)
    if not (np.isfinite(r).all() and (r >= 0).all() and abs(r.sum() - sol.total_rate) <= 1e-9 * (1 + r.sum())):
        return "rates"
    src = kw["source"]
    tol = (1e-7 if sol.status == "optimal" else 1e-4) * float(src.variances.max())
    if (np.asarray(sol.distortions) > np.asarray(sol.targets) + tol).any():
        return "a target missed"
    fin = np.isfinite(sol.perception)
    phi = np.asarray(sol.perception_values, dtype=np.float64)
    if sol.perception_measure == "kl":  # nats: the certificate's tolerance is absolute
        tol = 1e-7 if sol.status == "optimal" else 1e-4
    return None if (phi[fin] <= sol.perception[fin] + tol).all() else "a level missed"


def _check_solutions(kw: Mapping[str, Any], sols: Any) -> str | None:
    for sol in sols:
        bad = _check_solution(kw, sol)
        if bad:
            return bad
    return None


def _check_sweep(kw: Mapping[str, Any], sweep: Any) -> str | None:
    for table in (sweep.optimal, sweep.mse_representation):
        d = np.asarray(table, dtype=np.float64)
        if not np.isfinite(d).all() or (d < 0).any():
            return "distortions not finite or negative"
    return None


def _check_sweep_dataset(kw: Mapping[str, Any], ds: Any) -> str | None:
    """A closed-form-only :func:`rdp_theory.sweep`: every point optimal on the closed-form route,
    distortions in [0, 2 sigma_k^2], perception values finite and >= 0 (under KL, ``inf`` only
    at an infinite level: a singular reconstruction law)."""
    if set(np.unique(ds["status"].values)) != {"optimal"} or set(np.unique(ds["route"].values)) != {"closed_form"}:
        return "a point not optimal or not on the closed-form route"
    bad = _per_frame_arrays(ds["distortion"].values, _source_var(kw), 2.0)
    if bad:
        return f"distortion: {bad}"
    phi = np.asarray(ds["perception_value"].values, dtype=np.float64)
    ok = np.isfinite(phi)
    if ds.attrs.get("perception_measure") == "kl":
        levels = ds["perception_level"].broadcast_like(ds["perception_value"])
        ok |= np.isinf(np.asarray(levels.transpose(*ds["perception_value"].dims).values, dtype=np.float64))
    return None if ok.all() and (phi >= 0).all() else "perception values"


def _sweep_call(**kw: Any) -> Any:
    import rdp_theory as rt

    return rt.sweep(**kw, progress=False)


_REFERENCE_SOLUTION: list[Any] = []


def _simulate_reference(n: Any, rng: Any) -> Any:
    """``simulate`` of one fixed solution (the method's own arguments are what is fuzzed)."""
    if not _REFERENCE_SOLUTION:
        import rdp_theory as rt

        src = rt.GaussMarkovSource.stationary(2, 1.0, 0.9)
        _REFERENCE_SOLUTION.append(rt.solve_rdp(src, (1.0, 1.0), 0.0, plf="jd"))
    return _REFERENCE_SOLUTION[0].simulate(n, rng)


def _check_simulation(kw: Mapping[str, Any], sim: Any) -> str | None:
    d = np.asarray(sim.distortions, dtype=np.float64)
    return None if d.shape == (2,) and np.isfinite(d).all() and (d >= 0).all() else "bad estimates"


def _check_rate_form(kw: Mapping[str, Any], r: Any) -> str | None:
    r = np.asarray(r, dtype=np.float64)
    return "NaN or negative" if (np.isnan(r) | (r < 0)).any() else None


def _check_operational(kw: Mapping[str, Any], r: Any) -> str | None:
    r = np.asarray(r, dtype=np.float64)
    return "NaN or below 5 bits" if (np.isnan(r) | (r < 5)).any() else None


def _check_bounds(kw: Mapping[str, Any], b: Any) -> str | None:
    """Distortion bounds (issue 16): each in [0, 2 sigma_j^2], lower <= upper."""
    var = _source_var(kw)
    for name in ("lower", "upper"):
        bad = _per_frame_arrays(getattr(b, name), var, 2.0)
        if bad:
            return f"{name}: {bad}"
    lo, up = np.asarray(b.lower, dtype=np.float64), np.asarray(b.upper, dtype=np.float64)
    return "lower above upper" if (lo > up * (1 + FUZZ_RTOL)).any() else None


def _check_variance_ratios(kw: Mapping[str, Any], b: Any) -> str | None:
    """KL variance-ratio interval: 0 <= low <= 1 <= high (high may be inf), never NaN."""
    lo, hi = np.asarray(b.low, dtype=np.float64), np.asarray(b.high, dtype=np.float64)
    if np.isnan(lo).any() or np.isnan(hi).any() or not np.isfinite(lo).all():
        return "NaN or infinite low end"
    return None if ((lo >= 0) & (lo <= 1) & (hi >= 1)).all() else "interval does not contain 1"


def _check_sample(kw: Mapping[str, Any], x: Any) -> str | None:
    src = kw["source"]
    if not isinstance(x, np.ndarray) or x.shape != (int(kw["n"]), src.T):
        return f"shape {getattr(x, 'shape', None)}"
    return None if np.isfinite(x).all() else "not finite"


def _check_strategy(kw: Mapping[str, Any], s: Any) -> str | None:
    return None if isinstance(s, st.SearchStrategy) else "not a SearchStrategy"


def _gm(**kw: Any) -> GaussMarkovSource:
    return GaussMarkovSource(**kw)


def _targets() -> list[FuzzTarget]:
    import rdp_theory as rt  # late: the list names the public entry points as users call them

    rates = _or_junk(_rates_like())
    perception = _or_junk(st.one_of(_rates_like(), st.just(np.zeros((2, 2, 1)))))

    def rates_T(T: int) -> st.SearchStrategy[Any]:
        return _or_junk(_rates_like(T))

    def perception_T(T: int) -> st.SearchStrategy[Any]:
        return _or_junk(st.one_of(_rates_like(T), st.just(np.zeros((2, 2, 1)))))

    plf = _or_junk(st.sampled_from(("jd", "fmd", "sa", "JD")))

    def objective_T(T: int) -> st.SearchStrategy[Any]:
        weights = st.lists(st.floats(0.0, 10.0), min_size=T, max_size=T).filter(lambda w: max(w) > 0)
        return _or_junk(st.one_of(st.just("lexicographic"), weights))

    def weights_T(T: int) -> st.SearchStrategy[Any]:
        row = st.lists(st.floats(0.1, 10.0), min_size=T, max_size=T)
        return _or_junk(st.lists(row, min_size=1, max_size=2))

    def frame_T(T: int) -> st.SearchStrategy[Any]:
        return _or_junk(st.integers(1, T + 1))
    sigma = _or_junk(st.one_of(st.floats(SIGMA_MIN, SIGMA_MAX), st.lists(st.floats(1e-3, 1e3), max_size=3)))
    ints = _or_junk(st.integers(1, 8))
    small = st.floats(-0.999, 0.999)
    kl_direction = _or_junk(st.sampled_from(("xhat||x", "x||xhat", "XHAT||X")))
    # the solver's perception measure: valid spellings (KL in half the draws) and junk
    measure = st.one_of(st.just("w2"), st.just("kl"), _or_junk(st.sampled_from(("KL", "js"))))
    measure_direction = st.one_of(st.none(), st.none(), st.none(), kl_direction)
    return [
        FuzzTarget("gaussian_rdp",
                   st.fixed_dictionaries({"sigma": sigma, "rate": rates, "perception": perception}),
                   rt.gaussian_rdp, _check_rdp, ("sigma", "rate", "perception")),
        FuzzTarget("greedy_representation", _sources_and(rates=rates_T), rt.greedy_representation,
                   _check_greedy, ("rates",)),
        FuzzTarget("mmse_distortions", _sources_and(rates=rates_T), rt.mmse_distortions,
                   lambda kw, d: _per_frame_arrays(d, _source_var(kw), 1.0), ("rates",)),
        FuzzTarget("fmd_distortions", _sources_and(rates=rates_T, perception=perception_T),
                   rt.fmd_distortions,
                   lambda kw, d: _per_frame_arrays(d, _source_var(kw), 2.0), ("rates", "perception")),
        FuzzTarget("jd_zero_perception_distortions", _sources_and(rates=rates_T),
                   rt.jd_zero_perception_distortions,
                   lambda kw, d: _per_frame_arrays(d, _source_var(kw), 2.0), ("rates",)),
        FuzzTarget("sa_zero_perception_distortions", _sources_and(rates=rates_T),
                   rt.sa_zero_perception_distortions,
                   lambda kw, d: _per_frame_arrays(d, _source_var(kw), 2.0), ("rates",)),
        FuzzTarget("solve_rdp",
                   _sources_and(rates=rates_T, perception=perception_T, plf=lambda T: plf,
                                objective=objective_T, verbose=lambda T: _or_junk(st.just(False)),
                                perception_measure=lambda T: measure,
                                kl_direction=lambda T: measure_direction),
                   rt.solve_rdp, _check_solution, ("rates", "perception")),
        FuzzTarget("minimum_total_rate",
                   _sources_and(distortions=lambda T: _or_junk(st.one_of(
                       st.floats(1e-2, 2.0), st.lists(st.floats(1e-2, 2.0), min_size=T, max_size=T))),
                       perception=perception_T, plf=lambda T: plf,
                       perception_measure=lambda T: measure, kl_direction=lambda T: measure_direction),
                   rt.minimum_total_rate, _check_total_rate, ("distortions", "perception")),
        FuzzTarget("pareto_sweep",
                   _sources_and(rates=rates_T, perception=perception_T, plf=lambda T: plf,
                                weights=weights_T),
                   rt.pareto_sweep, _check_solutions, ("rates", "perception", "weights")),
        FuzzTarget("universality_gap",
                   _sources_and(rates=rates_T, perception=perception_T, plf=lambda T: plf,
                                objective=objective_T, perception_measure=lambda T: measure,
                                kl_direction=lambda T: measure_direction),
                   rt.universality_gap,
                   lambda kw, u: _check_solutions(kw, (u.optimal, u.mse_representation)),
                   ("rates", "perception")),
        FuzzTarget("universality_sweep",
                   _sources_and(rates=rates_T, perception=perception_T, plf=lambda T: plf,
                                objective=objective_T, n_jobs=lambda T: _or_junk(st.just(1)),
                                perception_measure=lambda T: measure,
                                kl_direction=lambda T: measure_direction),
                   rt.universality_sweep, _check_sweep, ("rates", "perception")),
        # closed-form points only (FMD at any levels; JD/SA unconstrained), so every call is
        # fast; under either perception measure (KL refuses SA and JD with "x||xhat")
        FuzzTarget("sweep",
                   st.one_of(
                       _sources_and(rates=rates_T, perception=perception_T, objective=objective_T,
                                    plf=lambda T: _or_junk(st.sampled_from(("fmd", ("fmd",), ["FMD"]))),
                                    product=lambda T: _or_junk(st.booleans()),
                                    perception_measure=lambda T: measure,
                                    kl_direction=lambda T: measure_direction),
                       _sources_and(rates=rates_T, perception=lambda T: st.just(math.inf),
                                    plf=lambda T: _or_junk(st.sampled_from((["jd", "sa"], "sa", "jd"))),
                                    objective=objective_T, perception_measure=lambda T: measure,
                                    kl_direction=lambda T: measure_direction)),
                   _sweep_call, _check_sweep_dataset, ("rates", "perception")),
        FuzzTarget("RDPSolution.simulate",
                   st.fixed_dictionaries({"n": _or_junk(st.integers(1, 300)),
                                          "rng": _or_junk(st.integers(0, 2**32 - 1))}),
                   _simulate_reference, _check_simulation, ("n",)),
        FuzzTarget("stationary_distortion",
                   st.fixed_dictionaries({"sigma": sigma, "rho": _or_junk(small), "rate": rates,
                                          "perception": perception,
                                          "plf": _or_junk(st.sampled_from(("fmd", "jd", "sa")))}),
                   rt.stationary_distortion,
                   lambda kw, d: _per_frame_arrays(d, np.asarray(kw["sigma"], dtype=float) ** 2, 2.0),
                   ("sigma", "rho", "rate", "perception")),
        FuzzTarget("stationary_rate",
                   st.fixed_dictionaries({"sigma": sigma, "rho": _or_junk(small), "distortion": perception}),
                   rt.stationary_rate, _check_rate_form, ("sigma", "rho", "distortion")),
        FuzzTarget("error_permanence_limit", _sources_and(frame=frame_T), rt.error_permanence_limit,
                   lambda kw, d: _per_frame_arrays(d, _source_var(kw)[int(kw["frame"]) - 1], 2.0),
                   ("frame",)),
        FuzzTarget("operational_rates", st.fixed_dictionaries({"rates": rates}), rt.operational_rates,
                   _check_operational, ("rates",)),
        FuzzTarget("common_randomness_distortion",
                   st.fixed_dictionaries({"sigma": sigma, "rate": rates, "common_rate": rates,
                                          "perception": perception}),
                   rt.common_randomness_distortion, _check_rdp,
                   ("sigma", "rate", "common_rate", "perception")),
        FuzzTarget("fmd_no_common_randomness", _sources_and(rates=rates_T, perception=perception_T),
                   rt.fmd_no_common_randomness, _check_bounds, ("rates", "perception")),
        FuzzTarget("kl_variance_bounds",
                   st.fixed_dictionaries({"perception": perception, "direction": kl_direction}),
                   rt.kl_variance_bounds, _check_variance_ratios, ("perception",)),
        FuzzTarget("gaussian_rdp_kl",
                   st.fixed_dictionaries({"sigma": sigma, "rate": rates, "perception": perception,
                                          "direction": kl_direction}),
                   rt.gaussian_rdp_kl, _check_rdp, ("sigma", "rate", "perception")),
        FuzzTarget("fmd_distortions_kl",
                   _sources_and(rates=rates_T, perception=perception_T, direction=lambda T: kl_direction),
                   rt.fmd_distortions_kl,
                   lambda kw, d: _per_frame_arrays(d, _source_var(kw), 2.0), ("rates", "perception")),
        FuzzTarget("GaussMarkovSource",
                   st.fixed_dictionaries({"sigmas": _or_junk(st.lists(st.floats(SIGMA_MIN, SIGMA_MAX), min_size=1, max_size=4)),
                                          "rhos": _or_junk(st.lists(small, max_size=3))}),
                   _gm, _check_source, ("sigmas", "rhos")),
        FuzzTarget("GaussMarkovSource.stationary",
                   st.fixed_dictionaries({"T": ints, "sigma": _or_junk(st.floats(SIGMA_MIN, SIGMA_MAX)),
                                          "rho": _or_junk(small)}),
                   GaussMarkovSource.stationary, _check_source, ("T", "sigma", "rho")),
        FuzzTarget("GaussMarkovSource.sample",
                   _sources_and(False, n=lambda T: _or_junk(st.integers(1, 50)),
                                rng=lambda T: _or_junk(st.one_of(st.integers(0, 2**70), st.builds(np.random.default_rng, st.integers(0, 9))))),
                   lambda source, n, rng: source.sample(n, rng), _check_sample, ("n",)),
        FuzzTarget("GaussMarkovSource.scaled",
                   _sources_and(False, factor=lambda T: _or_junk(st.floats(1e-100, 1e100))),
                   lambda source, factor: source.scaled(factor), _check_source, ("factor",)),
        FuzzTarget("GaussMarkovSource.covariance", _sources_and(False),
                   lambda source: source.covariance(),
                   lambda kw, c: None if np.isfinite(c).all() else "not finite"),
        FuzzTarget("gaussian_w2_squared", _w2_arguments(), rt.gaussian_w2_squared, _check_w2, ("k1", "k2")),
        FuzzTarget("wasserstein.psd_sqrt", st.fixed_dictionaries({"k": _or_junk(_psd_matrices())}),
                   rt.wasserstein.psd_sqrt,
                   lambda kw, m: None if np.isfinite(m).all() and np.allclose(m, m.T) else "bad root",
                   ("k",)),
        FuzzTarget("testing.gauss_markov_sources",
                   st.fixed_dictionaries({"min_T": ints, "max_T": ints,
                                          "sigma_range": _or_junk(st.tuples(st.floats(0.1, 1), st.floats(1, 10))),
                                          "max_abs_rho": _or_junk(st.floats(0, 0.99)),
                                          "stationary": _or_junk(st.sampled_from([None, True, False]))}),
                   gauss_markov_sources, _check_strategy, ("min_T", "max_T", "max_abs_rho")),
        FuzzTarget("testing.rate_vectors",
                   st.fixed_dictionaries({"T": ints, "max_rate": _or_junk(st.floats(1e-3, 10)),
                                          "allow_zero": _or_junk(st.booleans()), "allow_inf": _or_junk(st.booleans())}),
                   rate_vectors, _check_strategy, ("T", "max_rate")),
        FuzzTarget("testing.perception_vectors",
                   _sources_and(min_relative=lambda T: _or_junk(st.floats(1e-4, 1)),
                                max_relative=lambda T: _or_junk(st.floats(1, 10))),
                   perception_vectors, _check_strategy, ("min_relative", "max_relative")),
        FuzzTarget("testing.scenarios",
                   st.fixed_dictionaries({"max_T": ints, "plfs": _or_junk(st.sampled_from([("jd",), PLF_NAMES]))}),
                   scenarios, _check_strategy, ("max_T",)),
    ]


#: Every public entry point the fuzzer covers (built lazily; see :func:`fuzz_targets`).
FUZZ_TARGETS: list[FuzzTarget] = []


def fuzz_targets() -> list[FuzzTarget]:
    """The fuzzed entry points (the solver's are to be appended here by one entry each)."""
    if not FUZZ_TARGETS:
        FUZZ_TARGETS.extend(_targets())
    return FUZZ_TARGETS


def fuzz_outcome(target: FuzzTarget, kwargs: Mapping[str, Any]) -> str:
    """Classify one call: an RDPError subclass name (typed error: the promise kept),
    ``"ok"`` (a result that passed ``check`` from well-typed input), ``"accepted_wrong_type"``
    (a result although some argument was not a real number / not the right type),
    ``"bad_result"`` (NaN, inf, negative or out of bounds), or ``"untyped:<Class>"`` (any other
    exception: the promise broken)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = target.call(**kwargs)
    except RDPError as exc:
        return type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - classifying every failure is the point
        return f"untyped:{type(exc).__name__}"
    if any(is_wrong_type(kwargs[k]) for k in target.numeric if k in kwargs):
        return "accepted_wrong_type"
    try:
        bad = target.check(kwargs, result)
    except Exception as exc:  # noqa: BLE001
        bad = f"check failed: {type(exc).__name__}"
    return "bad_result" if bad else "ok"

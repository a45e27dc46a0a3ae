"""Bad input: typed errors that name the argument, never a silent NaN (fuzzed)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rdp_theory as rt

SRC = rt.GaussMarkovSource.stationary(3)
BAD_SCALARS = [math.nan, -1.0, -math.inf]


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(sigmas=(1.0, math.nan), rhos=(0.5,)), "sigmas"),
        (dict(sigmas=(1.0, 0.0), rhos=(0.5,)), "sigmas"),
        (dict(sigmas=(1.0, -2.0), rhos=(0.5,)), "sigmas"),
        (dict(sigmas=(1.0, math.inf), rhos=(0.5,)), "sigmas"),
        (dict(sigmas=(), rhos=()), "sigmas"),
        (dict(sigmas=(1.0, 1.0), rhos=(1.0,)), "rhos"),
        (dict(sigmas=(1.0, 1.0), rhos=(-1.5,)), "rhos"),
        (dict(sigmas=(1.0, 1.0), rhos=(math.nan,)), "rhos"),
        (dict(sigmas=(1.0, 1.0), rhos=(0.5, 0.5)), "rhos"),
        (dict(sigmas="abc", rhos=()), "sigmas"),
    ],
)
def test_source_rejects_bad_parameters(kwargs: dict, name: str) -> None:
    with pytest.raises(rt.InvalidParameterError, match=name):
        rt.GaussMarkovSource(**kwargs)


@pytest.mark.parametrize("bad", BAD_SCALARS)
def test_closed_forms_reject_bad_numbers(bad: float) -> None:
    with pytest.raises(rt.InvalidParameterError, match="rate"):
        rt.gaussian_rdp(1.0, bad, 0.0)
    with pytest.raises(rt.InvalidParameterError, match="perception"):
        rt.gaussian_rdp(1.0, 1.0, bad)
    with pytest.raises(rt.InvalidParameterError, match="sigma"):
        rt.gaussian_rdp(bad, 1.0, 0.0)
    with pytest.raises(rt.InvalidParameterError, match="rates"):
        rt.mmse_distortions(SRC, [1.0, bad, 1.0])
    with pytest.raises(rt.InvalidParameterError, match="perception"):
        rt.fmd_distortions(SRC, 1.0, [0.0, bad, 0.0])


def test_errors_are_value_errors_and_state_the_range() -> None:
    with pytest.raises(ValueError, match=r"rate must be >= 0 \(allowed range \[0, inf\]\)"):
        rt.gaussian_rdp(1.0, -0.5, 0.0)
    with pytest.raises(ValueError, match=r"sigma must lie in \[1e-150, 1e\+150\]"):
        rt.gaussian_rdp(0.0, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"\(-1, 1\)"):
        rt.GaussMarkovSource((1.0, 1.0), (1.0,))


def test_wrong_lengths_are_rejected() -> None:
    with pytest.raises(rt.InvalidParameterError, match="rates.*length T = 3"):
        rt.mmse_distortions(SRC, [1.0, 1.0])
    with pytest.raises(rt.InvalidParameterError, match=r"rates must be a scalar or have shape \(3,\)"):
        rt.solve_rdp(SRC, [1.0, 1.0], 0.0)
    with pytest.raises(rt.InvalidParameterError, match="perception"):
        rt.solve_rdp(SRC, 1.0, [0.0, 0.0, 0.0, 0.0])
    with pytest.raises(rt.InvalidParameterError, match="objective"):
        rt.solve_rdp(SRC, 1.0, 0.0, objective=(1.0, 1.0))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(plf="xyz"), "plf"),
        (dict(plf=3), "plf"),
        (dict(objective="greedy"), "objective"),
        (dict(objective=(0.0, 0.0, 0.0)), "objective"),
        (dict(objective=(1.0, -1.0, 1.0)), "objective"),
        (dict(objective=(1.0, math.nan, 1.0)), "objective"),
        (dict(representation="best"), "representation"),
        (dict(targets=(1.0, 1.0, 1.0)), "targets"),  # cannot combine with lexicographic
        (dict(objective=(1, 1, 1), targets=(1.0, -1.0, 1.0)), "targets"),
    ],
)
def test_solver_rejects_bad_options(kwargs: dict, name: str) -> None:
    with pytest.raises(rt.InvalidParameterError, match=name):
        rt.solve_rdp(SRC, 1.0, 0.0, **kwargs)


def test_solver_rejects_non_source_and_bad_sweeps() -> None:
    with pytest.raises(rt.InvalidParameterError, match="source"):
        rt.solve_rdp((1.0, 1.0), 1.0, 0.0)  # type: ignore[arg-type]
    with pytest.raises(rt.InvalidParameterError, match="weights"):
        rt.pareto_sweep(SRC, 1.0, 0.0, np.ones((2, 2)))
    sol = rt.solve_rdp(SRC, 1.0, 0.1, plf="fmd", objective=(1, 1, 1))
    with pytest.raises(rt.InvalidParameterError, match="n must be an integer"):
        sol.simulate(5, np.random.default_rng(0))
    with pytest.raises(rt.InvalidParameterError, match="rng"):
        sol.simulate(1000, "seed")  # type: ignore[arg-type]


floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=60)
@given(sigma=floats, rate=floats, perc=floats)
def test_fuzz_closed_forms(sigma: float, rate: float, perc: float) -> None:
    """Arbitrary floats: either InvalidParameterError or a finite, non-negative distortion."""
    for fn in (lambda: rt.gaussian_rdp(sigma, rate, perc),
               lambda: rt.fmd_distortions(rt.GaussMarkovSource((abs(sigma) + 0.1,) * 2, (0.5,)), rate, perc),
               lambda: rt.jd_zero_perception_distortions(SRC, rate),
               lambda: rt.mmse_distortions(SRC, [rate, 1.0, rate]),
               lambda: rt.operational_rates(rate)):
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                out = np.asarray(fn())
        except rt.InvalidParameterError:
            continue
        assert not np.isnan(out).any()
        assert np.all(out >= 0)


@settings(max_examples=25)
@given(sig=floats, rho=floats, rate=floats, perc=floats, plf=st.sampled_from(["jd", "fmd", "sa"]))
def test_fuzz_solver(sig: float, rho: float, rate: float, perc: float, plf: str) -> None:
    """The solver on arbitrary floats: InvalidParameterError, or a NaN-free certified answer.
    (Values far outside the certified box may legitimately end in SolverError; never a NaN.)"""
    try:
        src = rt.GaussMarkovSource((sig, 1.0), (rho,))
    except rt.InvalidParameterError:
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rt.SolverWarning)
            sol = rt.solve_rdp(src, [rate, 1.0], [perc, math.inf], plf=plf)
    except (rt.InvalidParameterError, rt.SolverError):
        return
    for arr in (sol.distortions, sol.perception_values, sol.reconstruction_covariance):
        assert not np.isnan(arr).any()


# --- issue 12: wrong types are typed errors, never silently converted -----------------------
WRONG_TYPES = [
    None, "1", b"1", ["1"], True, np.True_, [1.0, True], 1 + 0j, np.complex128(1.0),
    np.datetime64("2020-01-01"), np.timedelta64(3, "s"), [[1.0, 2.0], [3.0]], {"a": 1},
    object(), 10**400, [1.0, 10**400], np.array(["1.0"]), np.array([1.0], dtype=complex),
]


@pytest.mark.parametrize("bad", WRONG_TYPES, ids=lambda b: type(b).__name__)
def test_wrong_types_are_typed_errors_naming_the_argument(bad: object) -> None:
    with pytest.raises(rt.InvalidParameterError, match="rate"):
        rt.gaussian_rdp(1.0, bad, 0.0)
    with pytest.raises(rt.InvalidParameterError, match="sigma"):
        rt.gaussian_rdp(bad, 1.0, 0.0)
    with pytest.raises(rt.InvalidParameterError, match="perception"):
        rt.fmd_distortions(SRC, 1.0, bad)
    with pytest.raises(rt.InvalidParameterError, match="rates"):
        rt.operational_rates(bad)
    with pytest.raises(rt.InvalidParameterError, match="source"):
        rt.mmse_distortions(bad, 1.0)  # type: ignore[arg-type]


def test_masked_entries_are_refused_not_read_through() -> None:
    """np.asarray drops a mask and reads the hidden values: a masked target came back as if it
    were not masked (review, 2026-11-30). Masked entries are a typed error naming the argument;
    a masked array with nothing masked is its values."""
    masked = np.ma.masked_array([0.1, 0.1, 0.1], [0, 1, 0])
    with pytest.raises(rt.InvalidParameterError, match="distortions has masked entries"):
        rt.minimum_total_rate(SRC, masked)
    with pytest.raises(rt.InvalidParameterError, match="rates has masked entries"):
        rt.mmse_distortions(SRC, np.ma.masked_array([1.0, 2.0, 3.0], [1, 0, 0]))
    with pytest.raises(rt.InvalidParameterError, match="perception has masked entries"):
        rt.solve_rdp(SRC, 1.0, np.ma.masked_array([0.1, 0.1, 0.1], [0, 0, 1]), objective=(1, 1, 1))
    # np.ma.masked inside a list became NaN, and the message said "NaN"
    with pytest.raises(rt.InvalidParameterError, match="perception has masked entries"):
        rt.solve_rdp(SRC, 1.0, [np.ma.masked, 0.1, 0.1], plf="fmd")
    with pytest.raises(rt.InvalidParameterError, match="rates has masked entries"):
        rt.mmse_distortions(SRC, [1.0, np.ma.masked_array(2.0, mask=True), 3.0])
    plain = np.ma.masked_array([0.1, 0.2, 0.1], [0, 0, 0])
    reference = rt.minimum_total_rate(SRC, [0.1, 0.2, 0.1]).total_rate
    assert rt.minimum_total_rate(SRC, [0.1, plain[1], 0.1]).total_rate == reference
    assert rt.minimum_total_rate(SRC, plain).total_rate == rt.minimum_total_rate(SRC, [0.1, 0.2, 0.1]).total_rate


def test_big_python_ints_and_range_in_messages() -> None:
    """A Python int beyond float64 is an error everywhere (inf must be written as math.inf);
    an int that fits is a number."""
    with pytest.raises(rt.InvalidParameterError, match=r"rate must be representable as float64.*\[0, inf\]"):
        rt.gaussian_rdp(1.0, 10**400, 0)
    assert rt.gaussian_rdp(1.0, 10**30, 0) == 0.0
    assert rt.operational_rates(np.int64(3)) == rt.operational_rates(3.0)
    with pytest.raises(rt.InvalidParameterError, match=r"rate must be a real number.*in \[0, inf\].*bool"):
        rt.gaussian_rdp(1.0, True, 0.0)


def test_every_source_argument_is_checked() -> None:
    with pytest.raises(rt.InvalidParameterError, match="source must be a GaussMarkovSource"):
        rt.mmse_distortions(None, 1.0)  # type: ignore[arg-type]
    with pytest.raises(rt.InvalidParameterError, match="source"):
        rt.error_permanence_limit((1.0, 1.0))  # type: ignore[arg-type]
    with pytest.raises(rt.InvalidParameterError, match="source must have T >= 2"):
        rt.error_permanence_limit(rt.GaussMarkovSource.stationary(1))
    with pytest.raises(rt.InvalidParameterError, match=r"frame must be an integer in \[2, 3\]"):
        rt.error_permanence_limit(SRC, True)

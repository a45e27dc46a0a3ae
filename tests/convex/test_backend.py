"""The back end: the fast path against cvxpy's own path; failures and inaccurate statuses."""

from __future__ import annotations

import functools

import cvxpy as cp
import numpy as np
import pytest

import rdp_theory as rt

#: these tests are about the program: every call solves it (method="sdp"), never the exact route
solve_sdp = functools.partial(rt.solve_rdp, method="sdp")
from rdp_theory import convex
from rdp_theory.convex import _backend


def test_fast_path_reproduces_cvxpys_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cached parameter -> data map gives the same solution as cvxpy's own data path, and a
    fast path that fails its self-check is simply not used."""
    src = rt.GaussMarkovSource((1.0, 2.0, 0.5), (0.8, -0.6))
    args = dict(rates=(0.7, 1.3, 2.0), perception=(0.3, 0.9, 0.2), plf="sa", objective=(1, 2, 1))
    convex.clear_cache()
    first = solve_sdp(src, **args)  # compiles and self-checks the fast path
    fast = solve_sdp(src, **args)  # re-solve on the fast path
    convex.clear_cache()

    def refuse(*_a: object) -> None:
        raise ValueError("simulated layout change in cvxpy")

    monkeypatch.setattr(_backend.FastPath, "__init__", refuse)
    slow = solve_sdp(src, **args)
    slow2 = solve_sdp(src, **args)  # still cvxpy's path: the failed check is remembered
    for a in (fast, slow, slow2):
        np.testing.assert_array_equal(a.distortions, first.distortions)
        np.testing.assert_array_equal(a.reconstruction_covariance, first.reconstruction_covariance)
    convex.clear_cache()

def test_failed_solve_raises_and_never_returns_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise cp.error.SolverError("simulated failure")

    monkeypatch.setattr(_backend, "run", broken)
    with pytest.raises(rt.SolverError, match="no certified solution found"):
        solve_sdp(rt.GaussMarkovSource.stationary(2), (1, 1), 0.1, plf="jd", objective=(1, 1))


def test_inaccurate_status_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _backend.run

    def inaccurate(*args, **kwargs):  # type: ignore[no-untyped-def]
        raw, values = real(*args, **kwargs)
        status = cp.OPTIMAL_INACCURATE
        return _backend.Raw(status, raw.solver, raw.primal, raw.dual, raw.iterations), values

    monkeypatch.setattr(_backend, "run", inaccurate)
    with pytest.warns(rt.SolverWarning):
        sol = solve_sdp(rt.GaussMarkovSource.stationary(2), (1, 1), 0.1, plf="jd", objective=(1, 1))
    assert sol.status == cp.OPTIMAL_INACCURATE


def test_warnings_point_at_the_callers_line_through_any_depth(monkeypatch: pytest.MonkeyPatch) -> None:
    """Warnings are emitted once, at the first frame outside rdp_theory, whether the public call
    is solve_rdp or a function that calls it (pareto_sweep, universality_gap)."""
    real = _backend.run

    def inaccurate(*args, **kwargs):  # type: ignore[no-untyped-def]
        raw, values = real(*args, **kwargs)
        return _backend.Raw(cp.OPTIMAL_INACCURATE, raw.solver, raw.primal, raw.dual, raw.iterations), values

    monkeypatch.setattr(_backend, "run", inaccurate)
    src = rt.GaussMarkovSource.stationary(2)
    with pytest.warns(rt.SolverWarning) as record:
        sols = rt.pareto_sweep(src, (1, 1), 0.1, [(1, 1), (1, 2)], plf="jd")
    assert len(record) == len(sols) == 2  # one per solve, not repeated on the way up
    with pytest.warns(rt.SolverWarning) as more:
        rt.universality_gap(src, (1, 1), 0.1, plf="jd", objective=(1, 1))
    assert {w.filename for w in [*record, *more]} == {__file__}

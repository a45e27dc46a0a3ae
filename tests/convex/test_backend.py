"""The back end: the fast path against cvxpy's own path; failures and inaccurate statuses."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import cvxpy as cp
import numpy as np
import pytest

import rdp_theory as rt

#: these tests are about the program: every call solves it (method="sdp"), never the exact route
solve_sdp = functools.partial(rt.solve_rdp, method="sdp")
from rdp_theory import convex
from rdp_theory.convex import _backend, _weighted


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


def _clarabel_solution(status: str, x: list[float], r_prim: float, r_dual: float) -> SimpleNamespace:
    return SimpleNamespace(status=status, x=x, r_prim=r_prim, r_dual=r_dual, obj_val=1.0,
                           obj_val_dual=1.0 - 1e-9, iterations=30)


def test_a_stalled_run_counts_only_when_feasible_and_finite() -> None:
    """A stalled Clarabel run (no progress left) is passed on, for the certificate to judge,
    only when its last iterate is finite and primal and dual feasible to the reduced tolerance
    (1e-8), and only under settings where "AlmostSolved" counts too; otherwise it is a solver
    error, as before. Solved and AlmostSolved keep their meaning."""
    status = _backend._clarabel_status
    for stalled in ("NumericalError", "InsufficientProgress", "MaxIterations"):
        assert status(_clarabel_solution(stalled, [0.5, 1.0], 4e-9, 1e-9), _backend.MODERATE) == cp.OPTIMAL
        assert status(_clarabel_solution(stalled, [0.5, 1.0], 4e-9, 1e-9), _backend.TIGHT) == cp.OPTIMAL
        assert status(_clarabel_solution(stalled, [0.5, 1.0], 3e-8, 1e-9), _backend.MODERATE) == cp.SOLVER_ERROR
        assert status(_clarabel_solution(stalled, [0.5, 1.0], 1e-9, 3e-8), _backend.MODERATE) == cp.SOLVER_ERROR
        assert status(_clarabel_solution(stalled, [np.nan, 1.0], 0.0, 0.0), _backend.MODERATE) == cp.SOLVER_ERROR
        assert status(_clarabel_solution(stalled, [], 0.0, 0.0), _backend.MODERATE) == cp.SOLVER_ERROR
        assert status(_clarabel_solution(stalled, [0.5], 0.0, 0.0), _backend.DEFAULT) == cp.SOLVER_ERROR
        raw = _backend._clarabel_raw(_clarabel_solution(stalled, [0.5], 0.0, 0.0), cp.OPTIMAL, _backend.MODERATE)
        assert raw.stalled
    assert status(_clarabel_solution("Solved", [0.5], 1.0, 1.0), _backend.DEFAULT) == cp.OPTIMAL
    assert status(_clarabel_solution("AlmostSolved", [0.5], 0, 0), _backend.TIGHT) == cp.OPTIMAL
    assert status(_clarabel_solution("AlmostSolved", [0.5], 0, 0), _backend.DEFAULT) == cp.OPTIMAL_INACCURATE
    assert status(_clarabel_solution("PrimalInfeasible", [0.5], 0, 0), _backend.TIGHT) == cp.INFEASIBLE
    assert not _backend._clarabel_raw(_clarabel_solution("Solved", [0.5], 0, 0), cp.OPTIMAL, _backend.TIGHT).stalled


def test_settings_paths_differ_only_in_what_decides_the_steps() -> None:
    """MODERATE and UNREFINED differ in their tolerances only (the same steps); TIGHT refines
    its KKT solves and NO_EQUILIBRATION does not equilibrate (other steps)."""
    assert _backend.MODERATE.path == _backend.UNREFINED.path
    assert _backend.MODERATE.opts != _backend.UNREFINED.opts
    assert _backend.UNREFINED.path != _backend.TIGHT.path
    assert _backend.DEFAULT.path != _backend.NO_EQUILIBRATION.path
    assert _backend.SCS.path[0] == cp.SCS


def test_an_attempt_on_the_path_of_a_stalled_one_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a run stalls, attempts that would take the same steps (same form, settings that
    differ only in the stopping rules) are not run; the others are."""
    real = _backend.run
    ran: list[tuple[str, bool]] = []

    def stall_fast(model, values, settings, keep=None):  # type: ignore[no-untyped-def]
        ran.append((settings_name(settings), model.key.eliminate))
        raw, out = real(model, values, settings, keep)
        if keep is not None or (model.key.eliminate and settings == _backend.TIGHT):
            return raw, out  # coupling rounds, and the fast form with refinement: real runs
        # else the fast form stalls and the robust one fails, neither with a usable iterate
        return _backend.Raw(cp.SOLVER_ERROR, raw.solver, raw.primal, raw.dual, raw.iterations,
                            stalled=model.key.eliminate), None

    settings_name = _weighted.settings_name
    monkeypatch.setattr(_backend, "run", stall_fast)
    src = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)
    sol = rt.minimum_total_rate(src, 0.2, 0.002, plf="sa", method="sdp")
    program = ran[-4:]  # the full program's attempts, after the coupling rounds
    assert program == [("moderate", True), ("moderate", False), ("tight", False), ("tight", True)]
    assert sol.status == cp.OPTIMAL

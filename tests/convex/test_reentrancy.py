"""Re-entrancy: concurrent solves share the compiled models but no per-call state.

Two threads solving different instances at once must get exactly what sequential solves get:
the cached models carry no parameter values or results between calls (``_backend.run`` takes
values and returns values), cvxpy's own path binds under the model's lock, and the process-wide
state a solve touches (fd 2, the warning filters) is restored however the calls interleave.
"""

from __future__ import annotations

import functools
import math
import os
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import rdp_theory as rt

#: these tests are about the program: every call solves it (method="sdp"), never the exact route
solve_sdp = functools.partial(rt.solve_rdp, method="sdp")
from rdp_theory import convex

pytestmark = pytest.mark.filterwarnings("ignore::rdp_theory.SolverWarning")


def _instances() -> list[tuple[rt.GaussMarkovSource, tuple, tuple, str, object]]:
    """Different instances that share compiled structures (same keys, other values) as well as
    ones that do not: weighted and lexicographic, every PLF, active and inactive couplings."""
    rng = np.random.default_rng(7)
    out = []
    for n in range(24):
        T = 2 + n % 3
        src = rt.GaussMarkovSource(tuple(rng.uniform(0.5, 2.0, T)), tuple(rng.uniform(-0.9, 0.9, T - 1)))
        rates = tuple(rng.uniform(0.2, 3.0, T))
        level = (0.0, 0.01, 0.1, math.inf)[n % 4]
        plf = ("jd", "sa", "fmd")[n % 3]
        objective = "lexicographic" if n % 6 == 0 else tuple(rng.uniform(0.2, 1.0, T))
        out.append((src, rates, (level,) * T, plf, objective))
    return out


def _solve(case: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, float]:
    src, rates, perception, plf, objective = case
    sol = solve_sdp(src, rates, perception, plf=plf, objective=objective)
    return (
        sol.distortions, sol.reconstruction_covariance, sol.decoder.gain, sol.status,
        sol.certificate.duality_gap,
    )


def _assert_same(a: list, b: list) -> None:
    for x, y in zip(a, b, strict=True):
        for u, v in zip(x, y, strict=True):
            if isinstance(u, np.ndarray):
                np.testing.assert_array_equal(u, v)
            else:
                assert u == v


def test_threads_give_the_sequential_results_exactly() -> None:
    cases = _instances()
    convex.clear_cache()
    sequential = [_solve(c) for c in cases]
    stderr = os.fstat(2)
    filters = list(warnings.filters)
    for cold in (True, False):  # compiling concurrently, then sharing compiled models
        if cold:
            convex.clear_cache()
        with ThreadPoolExecutor(max_workers=8) as pool:
            threaded = list(pool.map(_solve, cases))
        _assert_same(threaded, sequential)
    # process-wide state is restored: fd 2 is stderr again, no warning filter left behind
    assert (os.fstat(2).st_dev, os.fstat(2).st_ino) == (stderr.st_dev, stderr.st_ino)
    assert warnings.filters == filters
    convex.clear_cache()

"""The package's lexicographic values against an independent multiprecision route (issue 11, item 4).

The route lives in ``benchmarks/lexicographic_high_precision.py``: THEORY.md section 3's SDP written
from scratch (no :mod:`rdp_theory.convex` import), the representation fixed at the greedy one
(``representation="free"`` keeps q variable), each tau-lexicographic stage solved by SDPA-GMP with
256-bit arithmetic to a duality gap of about 1e-30. Needs the ``highprec`` extra
(``sdpa-multiprecision``); skipped without it, and marked slow (run with ``-m slow``). The
package's exact chain is compared with capped chains extrapolated to zero cap (``hp_limit``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import rdp_theory as rt


def _sdpa_or_skip() -> None:
    cp = pytest.importorskip("cvxpy")
    if "SDPA" not in cp.installed_solvers():
        pytest.skip("SDPA not installed (pip install 'rdp-theory[highprec]')")
    pytest.importorskip("sdpap")


def _load_route():  # type: ignore[no-untyped-def]
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "lexicographic_high_precision.py"
    name = "_lexicographic_high_precision"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hp():  # type: ignore[no-untyped-def]
    _sdpa_or_skip()
    return _load_route()


def test_sdpa_runs_in_multiprecision(hp) -> None:  # type: ignore[no-untyped-def]
    """SDPA's own gap and infeasibilities far below what double precision can reach, and a
    one-frame value equal to THEORY.md 4's closed form to round-off."""
    from sdpap.sdpacall import sdpacall

    assert sdpacall.get_backend_info()["gmp"]
    src = rt.GaussMarkovSource.stationary(1)
    chain = hp.hp_lexicographic(src, 0.5, 0.05, "jd")
    rec = chain.records[0]
    assert rec.phase == "pdOPT"
    assert rec.duality_gap < 1e-25 and rec.primal_error < 1e-25 and rec.dual_error < 1e-25
    assert rec.digits > 25
    assert abs(chain.values[0] - rt.gaussian_rdp(1.0, 0.5, 0.05)) < 1e-14


SRC3 = rt.GaussMarkovSource.stationary(3, sigma=1.0, rho=0.9)
R3 = np.array([0.5, 1.3, 2.1])


@pytest.mark.parametrize(
    "plf, P, exact",
    [
        ("jd", 0.0, rt.jd_zero_perception_distortions(SRC3, R3)),
        ("sa", 0.0, rt.sa_zero_perception_distortions(SRC3, R3)),
        ("fmd", 0.0, rt.fmd_distortions(SRC3, R3, 0.0)),
        ("fmd", 0.05, rt.fmd_distortions(SRC3, R3, 0.05)),
        ("jd", np.inf, rt.mmse_distortions(SRC3, R3)),
    ],
)
def test_route_matches_closed_forms(hp, plf, P, exact) -> None:  # type: ignore[no-untyped-def]
    """The closed forms are the exact (tau -> 0) lexicographic optima: the tau = 1e-12 chain meets
    them to 1e-11; at the default tau = 1e-6 the chain lies below them, by at most 1e-5."""
    ref = hp.hp_lexicographic(SRC3, R3, P, plf, tau=hp.TAU_REF, floor_rel=hp.FLOOR_REL_REF)
    np.testing.assert_allclose(ref.values, exact, rtol=1e-11)
    at_tau = hp.hp_lexicographic(SRC3, R3, P, plf)
    assert (at_tau.values <= exact * (1 + 1e-13)).all()
    np.testing.assert_allclose(at_tau.values, exact, rtol=1e-5)


def test_greedy_representation_is_optimal_for_the_chain(hp) -> None:  # type: ignore[no-untyped-def]
    """q as a variable (under its rate constraints) gives the same chain as q fixed greedy."""
    for plf in ("jd", "sa"):
        greedy = hp.hp_lexicographic(SRC3, R3, 0.05, plf)
        free = hp.hp_lexicographic(SRC3, R3, 0.05, plf, representation="free")
        np.testing.assert_allclose(free.values, greedy.values, rtol=1e-10)


#: Instances: T = 2..3, sigma = 1, rho in {0.5, 0.9}, rates U[0.2, 3], JD/SA, P in {0.01, 0.05, 0.2}.
N_INSTANCES = 10
SEED = 11


@pytest.fixture(scope="module")
def rows(hp):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(SEED)
    return [hp.compare(hp.random_instance(rng)) for _ in range(N_INSTANCES)]


def test_package_stage_values_match(hp, rows) -> None:  # type: ignore[no-untyped-def]
    """Every unflagged package result (status "optimal") within 1e-5 relative of the exact
    lexicographic value as this route reaches it (256-bit capped chains extrapolated to zero cap,
    docs/theory.md 4.8), stage by stage and on the returned distortions."""
    unflagged = [r for r in rows if r["status"] == "optimal"]
    assert len(unflagged) == len(rows), [r["warnings"] for r in rows if r["status"] != "optimal"]
    bad = [
        (r["plf"], r["rates"], r["P"], r["package_stage_values"], r["hp_limit_values"])
        for r in unflagged
        if not r["max_rel_err"] <= hp.REL_TOL
    ]
    assert not bad, bad


def test_route_extrapolation_is_consistent(hp, rows) -> None:  # type: ignore[no-untyped-def]
    """The route's own uncertainty (three-point fit against two-point Richardson) is far below
    the tolerance it checks, so a pass is not the route's noise."""
    worst = max(float(np.max(r["hp_uncertainty"])) for r in rows)
    assert worst <= hp.REL_TOL / 10, worst

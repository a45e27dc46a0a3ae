"""The package's lexicographic values against an independent multiprecision route (issue 11, item 4).

The route lives in ``benchmarks/lexicographic_high_precision.py``: THEORY.md section 3's SDP written
from scratch (no :mod:`rdp_theory.convex` import), the representation fixed at the greedy one
(``representation="free"`` keeps q variable), each tau-lexicographic stage solved by SDPA-GMP with
256-bit arithmetic to a duality gap of about 1e-30. Needs the ``highprec`` extra
(``sdpa-multiprecision``); skipped without it, and marked slow (run with ``-m slow``).
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
    """Every unflagged package result (status "optimal") within 1e-5 relative of the
    multiprecision chain of the definition the package follows (today the exact lexicographic
    value, tau -> 0: the tau = 1e-12 chain), stage by stage (the last frame only on packages that
    do not report ``certificate.lexicographic_stage_values``)."""
    unflagged = [r for r in rows if r["status"] == "optimal"]
    assert unflagged, "every package result flagged: nothing compared"
    bad = [
        (r["plf"], r["rates"], r["P"], r["package_stage_values"], r["hp_stage_values"])
        for r in unflagged
        if not np.nanmax(r["rel_err"]) <= hp.REL_TOL
    ]
    assert not bad, bad


def test_package_limit_gap_estimate(hp, rows) -> None:  # type: ignore[no-untyped-def]
    """The reported D*_k(0) - D*_k(tau) estimate (D*(tau) - D*(4 tau): exact under the
    Hölder-1/2 law, 3x too large under a linear one) within a factor 3.5 of the gap measured
    between this route's tau and tau = 1e-12 chains, wherever that gap exceeds 1e-7 relative."""
    if not any(r["package_limit_gap"] is not None for r in rows):
        pytest.skip("package does not report certificate.lexicographic_limit_gap yet")
    checked = 0
    for r in rows:
        if r["status"] != "optimal":
            continue
        ratio = np.asarray(r["package_gap_ratio"], dtype=float)
        ratio = ratio[np.isfinite(ratio)]
        checked += ratio.size
        assert ((ratio >= 1 / hp.GAP_FACTOR) & (ratio <= hp.GAP_FACTOR)).all(), (
            r["plf"], r["rates"], r["P"], r["package_limit_gap"], r["measured_limit_gap"],
        )
        # and no phantom gap where the measured one is small
        gap, meas = np.asarray(r["package_limit_gap"], float), np.asarray(r["measured_limit_gap"])
        bound = hp.GAP_FACTOR * np.abs(meas) + hp.REL_TOL * np.asarray(r["hp_reference_values"])
        assert (np.abs(gap) <= bound).all(), (r["plf"], r["rates"], r["P"], gap, meas)
    # Unflagged JD results at P > 0 with a moving stage exist among these seeds; if the package
    # flags all of them, nothing was checked, and that is reported rather than hidden.
    if not checked:
        pytest.skip("no unflagged result with a limit gap above 1e-7 relative")

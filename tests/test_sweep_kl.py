"""``rt.sweep`` under KL perception (docs/theory.md 4.11-4.12): the closed-form and solver
routes against point-by-point ``solve_rdp`` calls and against the textbook KL, the refusals, and a
KL store that resumes (and is not a W2 store). The W2 sweep's tests are in ``test_sweep.py``.
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rdp_theory as rt
from rdp_theory.kl import _kl_batched, _kl_unchecked
from rdp_theory.sweeps import _solve
from rdp_theory.testing import CLOSED_FORM_RTOL, gauss_markov_sources, rate_vectors

xr = pytest.importorskip("xarray")

SRC = rt.GaussMarkovSource((1.0, 2.0, 0.5), (0.9, 0.6))
SRC2 = rt.GaussMarkovSource.stationary(2, 1.0, 0.9)
# the same formula evaluated in a different order: float64 round-off, relative to sigma^2
ROUNDOFF = 1e-12
needs_zarr = pytest.mark.skipif(importlib.util.find_spec("zarr") is None, reason="store= needs zarr")


def _sweep(*args, **kw):  # type: ignore[no-untyped-def]
    return rt.sweep(*args, progress=False, **kw)


def _listing(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- KL perception
# Levels in nats (docs/theory.md 4.11-4.12): 0, a binding one, a loose one and inf.
KL_LEVELS = st.sampled_from([0.0, 1e-3, 0.05, 0.5, 5.0, math.inf])
# The certificate recomputes a KL from the scheme's covariance (eigenvalues of a normalised
# difference) with an absolute error of about 1e-16 per eigenvalue, so two evaluations of the
# same scheme's KL agree to about 1e-12 nats, and relative to round-off where it is large.
KL_ROUNDOFF = 1e-12


def _kl_route(plf: str, P: float, objective: str) -> str:
    """The route solve_rdp(method="auto") takes for a constant level under KL (JD and FMD)."""
    closed = plf == "fmd" or math.isinf(P) or (P == 0.0 and objective == "lexicographic")
    return "closed_form" if closed else "solver"


def test_kl_sweep_equals_point_by_point_solves() -> None:
    """Two routes under KL (T = 3, JD and FMD, lexicographic and weighted): every point of the
    sweep is the ``solve_rdp(..., perception_measure="kl")`` call at its coordinates, taking the
    same route; solver points bit for bit, closed-form points to round-off (the same schemes,
    their KL values computed in another order)."""
    weights = (1.0, 0.5, 2.0)
    grid = dict(rates=(0.5, np.array([0.3, 2.0]), 1.0), perception=np.array([[0.0], [0.05], [np.inf]]),
                objective=["lexicographic", weights], perception_measure="kl")
    ds = _sweep(SRC, plf=["jd", "fmd"], **grid)
    alone = _sweep(SRC, plf="fmd", **grid)  # FMD everywhere: evaluated on the grid's compact arrays
    for name in ("distortion", "perception_value"):
        assert np.array_equal(alone[name].values, ds[name].sel(plf="fmd").values)
    assert dict(ds.sizes) == {"plf": 2, "objective": 2, "R2": 2, "P": 3, "frame": 3}
    assert ds.attrs["perception_measure"] == "kl" and ds.attrs["kl_direction"] == "xhat||x"
    assert ds.perception_value.attrs["units"] == "nats" and ds.perception_level.attrs["units"] == "nats"
    assert ds.attrs["solver_points"] == 2 * 2 + 2  # JD at 0.05 (both objectives), weighted JD at 0
    for idx in np.ndindex(ds.status.shape):
        point = ds.isel(dict(zip(ds.status.dims, idx)))
        plf, level = point.plf.item(), float(point.P)
        objective = "lexicographic" if point.objective.item() == "lexicographic" else weights
        sol = rt.solve_rdp(SRC, point.rate.values, point.perception_level.values, plf=plf,
                           objective=objective, perception_measure="kl")
        route = _kl_route(plf, level, "lexicographic" if isinstance(objective, str) else "weights")
        assert point.route.item() == route and (sol.solver == "closed_form") == (route == "closed_form")
        assert (point.status.item(), point.solver.item()) == (sol.status, sol.solver)
        if route == "solver":
            for name, ref in (("distortion", sol.distortions), ("perception_value", sol.perception_values)):
                assert np.array_equal(point[name].values, ref)
            assert point.objective_value.item() == sol.objective_value
            continue
        np.testing.assert_allclose(point.distortion.values, sol.distortions, rtol=ROUNDOFF, atol=1e-14)
        np.testing.assert_allclose(point.perception_value.values, sol.perception_values,
                                   rtol=1e-9, atol=KL_ROUNDOFF)
        assert point.objective_value.item() == pytest.approx(sol.objective_value, rel=ROUNDOFF, abs=1e-14)
        fin = np.isfinite(point.perception_level.values)
        assert (point.perception_value.values[fin] <= point.perception_level.values[fin] + 1e-12).all()


@settings(max_examples=12)
@given(data=st.data(), direction=st.sampled_from(["xhat||x", "x||xhat"]))
def test_kl_fmd_closed_form_route_equals_the_solver_route(data: st.DataObject, direction: str) -> None:
    """PLF-FMD under KL (T = 2, 3; both orders): the sweep's closed-form points are
    ``rt.fmd_distortions_kl`` bit for bit, their KL values those of solve_rdp's certified
    closed-form scheme (to round-off), and the program (``method="sdp"``, the lexicographic chain
    and a weighted sum) gives the same optimum to ``CLOSED_FORM_RTOL`` (docs/theory.md 4.11.2)."""
    src = data.draw(gauss_markov_sources(min_T=2, max_T=3))
    rates = data.draw(rate_vectors(src.T))
    P = np.asarray(data.draw(st.lists(KL_LEVELS, min_size=src.T, max_size=src.T)))
    w = np.asarray(data.draw(st.lists(st.floats(0.1, 10.0), min_size=src.T, max_size=src.T)))
    ds = _sweep(src, rates, P, plf="fmd", objective=["lexicographic", w],
                perception_measure="kl", kl_direction=direction)
    assert (ds.route == "closed_form").all() and ds.attrs["kl_direction"] == direction
    exact = rt.fmd_distortions_kl(src, rates, P, direction)
    assert np.array_equal(ds.distortion.isel(objective=0).values, exact)
    auto = rt.solve_rdp(src, rates, P, plf="fmd", perception_measure="kl", kl_direction=direction)
    phi = ds.perception_value.isel(objective=0).values
    # The certificate resolves a reconstruction variance down to about 1e-16 of the frame's;
    # an estimate with v_k < 1e-6 sigma_k^2 at P_k = inf (a zero-rate frame, rho ~ 0) has a KL
    # it rounds to inf or loses digits of, while the sweep evaluates it exactly (> 6 nats).
    faint = np.isinf(P) & (rt.greedy_representation(src, rates).v < 1e-6 * src.variances)
    np.testing.assert_allclose(phi[~faint], auto.perception_values[~faint], rtol=1e-9, atol=KL_ROUNDOFF)
    assert (phi[faint] > 6.0).all()
    tol = CLOSED_FORM_RTOL * exact + 1e-12 * src.variances
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rt.SolverWarning)
        lex = rt.solve_rdp(src, rates, P, plf="fmd", method="sdp", perception_measure="kl", kl_direction=direction)
        weighted = rt.solve_rdp(src, rates, P, plf="fmd", objective=w, method="sdp",
                                perception_measure="kl", kl_direction=direction)
    assert lex.solver != "closed_form" and weighted.solver != "closed_form"
    if lex.status == "optimal":
        assert np.all(np.abs(lex.distortions - ds.distortion.isel(objective=0).values) <= tol)
    if weighted.status == "optimal":
        assert abs(weighted.objective_value - ds.objective_value.isel(objective=1).item()) <= w @ tol


def test_kl_mse_only_jd_values_are_the_textbook_kl() -> None:
    """MSE only under JD and KL: the batched KL of the MMSE estimates' law (``kl._kl_batched``)
    against the textbook formula on the same covariances (numpy inverse and log-determinant),
    and ``inf`` from the first zero-rate frame on (the estimates' law is singular there)."""
    rates = np.array([[0.3, 1.0, 2.0], [2.0, 0.05, 4.0], [1.0, 0.0, 1.0], [0.0, 2.0, 2.0]])
    ds = _sweep(SRC, rates, np.inf, plf="jd", perception_measure="kl")
    phi = ds.perception_value.values
    for k, r in enumerate(rates):
        rep = rt.greedy_representation(SRC, r)
        G = SRC.transfer * np.sqrt(rep.q)[None, :]
        S, R = G @ G.T, SRC.covariance()
        for j in range(SRC.T):
            sign, logdet_s = np.linalg.slogdet(S[: j + 1, : j + 1])
            if (r[: j + 1] == 0).any():
                assert phi[k, j] == np.inf
                continue
            ref = 0.5 * (np.trace(np.linalg.solve(R[: j + 1, : j + 1], S[: j + 1, : j + 1])) - (j + 1)
                         - logdet_s + np.linalg.slogdet(R[: j + 1, : j + 1])[1])
            assert sign > 0 and phi[k, j] == pytest.approx(ref, rel=1e-9, abs=KL_ROUNDOFF)
    rng = np.random.default_rng(1)
    m = rng.normal(size=(30, 3, 3))
    rec = m @ np.swapaxes(m, 1, 2)
    ref_cov = SRC.covariance()
    for direction in ("xhat||x", "x||xhat"):
        mine = _kl_batched(ref_cov, rec, direction)
        other = [_kl_unchecked(ref_cov, s, direction) for s in rec]
        np.testing.assert_allclose(mine, other, rtol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(plf="sa", perception_measure="kl"), "plf='sa'"),
        (dict(plf=["fmd", "sa"], perception_measure="kl"), "plf='sa'"),
        (dict(plf="jd", perception_measure="kl", kl_direction="x||xhat"), "kl_direction='x||xhat'"),
        (dict(plf=["fmd", "jd"], perception_measure="kl", kl_direction="x||xhat"), "kl_direction='x||xhat'"),
        (dict(perception_measure="js"), "perception_measure"),
        (dict(perception_measure=None), "perception_measure"),
        (dict(kl_direction="xhat||x"), "kl_direction"),
        (dict(perception_measure="kl", kl_direction="sideways"), "kl_direction"),
        (dict(perception=11.0, perception_measure="kl"), r"perception\[0\] = 11 nats"),
    ],
)
def test_kl_refusals_are_solve_rdps_typed_errors(kwargs: dict, name: str) -> None:
    """The measure is checked as solve_rdp checks it: the same typed error and message (a level
    error adds the point's coordinates), naming the argument and why."""
    call = dict(source=SRC, rates=1.0, perception=0.1, plf="jd") | kwargs
    with pytest.raises(rt.InvalidParameterError, match=name) as swept:
        _sweep(**call)
    plfs = call["plf"] if isinstance(call["plf"], list) else [call["plf"]]
    bad = plfs[-1]  # each case's offending PLF is its last
    with pytest.raises(rt.InvalidParameterError) as direct:
        rt.solve_rdp(SRC, 1.0, call["perception"], plf=bad, perception_measure=call.get("perception_measure", "w2"),
                     kl_direction=call.get("kl_direction"))
    assert str(swept.value).startswith(str(direct.value))


@needs_zarr
def test_kl_store_is_not_a_w2_store_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The measure and order are part of the sweep's identity: a W2 store is refused (untouched)
    by the same grid under KL, a KL store by another order; a KL sweep interrupted after two
    chunks resumes from its store to the uninterrupted result."""
    args = dict(rates=(1.0, np.linspace(0.3, 3.0, 6)), perception=np.array([[0.05], [0.2]]), plf="jd")
    w2 = tmp_path / "w2.zarr"
    _sweep(SRC2, store=w2, **args)
    before = _listing(w2)
    with pytest.raises(rt.SweepStoreError, match="holds a different sweep.*kl"):
        _sweep(SRC2, store=w2, perception_measure="kl", **args)
    assert _listing(w2) == before
    fmd = dict(rates=(1.0, np.linspace(0.3, 3.0, 3)), perception=0.1, plf="fmd")
    _sweep(SRC2, store=tmp_path / "fmd.zarr", perception_measure="kl", **fmd)
    with pytest.raises(rt.SweepStoreError, match="holds a different sweep"):
        _sweep(SRC2, store=tmp_path / "fmd.zarr", perception_measure="kl", kl_direction="x||xhat", **fmd)

    real_write = rt.sweeps._store.ProgressStore.write
    written: list[int] = []

    def write(self, k, values, codes):  # type: ignore[no-untyped-def]
        if len(written) == 2:
            raise RuntimeError("killed")
        real_write(self, k, values, codes)
        written.append(k)

    kl = tmp_path / "kl.zarr"
    monkeypatch.setattr(rt.sweeps._store.ProgressStore, "write", write)
    with pytest.raises(RuntimeError, match="killed"):
        _sweep(SRC2, store=kl, perception_measure="kl", **args)
    monkeypatch.undo()
    resumed = _sweep(SRC2, store=kl, perception_measure="kl", **args)
    assert resumed.attrs["points_from_store"] == 2 * _solve.chunk_size(12) < resumed.attrs["solver_points"] == 12
    whole = _sweep(SRC2, perception_measure="kl", **args)
    assert resumed.equals(whole) and resumed.attrs["perception_measure"] == "kl"
    assert not whole.equals(_sweep(SRC2, **args))  # the W2 numbers differ
    again = _sweep(SRC2, store=kl, perception_measure="kl", **args)
    assert again.attrs["points_from_store"] == 12 and again.equals(resumed)

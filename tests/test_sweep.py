"""``rt.sweep`` (issue 13): grids of bounds as xarray datasets, by two routes, parallel,
distributed and resumable.

Every number a sweep returns is checked against a second route: closed-form points against the
vectorised closed forms called directly (exactly) and against ``solve_rdp``'s own certified
closed-form schemes; solver points against direct ``solve_rdp`` calls (exactly: the sweep makes
the same deterministic call); parallel, dask and resumed sweeps against the serial one
(``Dataset.equals``: every value, coordinate and dimension, NaN included).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import subprocess
import sys
import textwrap
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import rdp_theory as rt
from rdp_theory.sweeps import _solve
from rdp_theory.sweeps._closed import w2_batched
from rdp_theory.testing import CLOSED_FORM_RTOL

xr = pytest.importorskip("xarray")

SRC = rt.GaussMarkovSource((1.0, 2.0, 0.5), (0.9, 0.6))
SRC2 = rt.GaussMarkovSource.stationary(2, 1.0, 0.9)
# Two evaluations of the same formula in a different order (the closed forms against the
# closed-form schemes that solve_rdp builds and certifies): float64 round-off, relative to sigma^2.
ROUNDOFF = 1e-12
needs_zarr = pytest.mark.skipif(importlib.util.find_spec("zarr") is None, reason="store= needs zarr")
# A small solver grid (T = 2, JD/SA with 0 < P): 24 points, about 0.2 s.
SOLVER_ARGS = dict(
    rates=(1.0, np.linspace(0.3, 3.0, 6)), perception=np.array([[0.05], [0.2]]), plf=["jd", "sa"],
)


def _sweep(*args, **kw):  # type: ignore[no-untyped-def]
    return rt.sweep(*args, progress=False, **kw)


# ----------------------------------------------------------------------------- closed forms
def test_closed_form_points_equal_the_vectorised_closed_forms_exactly() -> None:
    """Every closed form's points are the closed-form function's own output, bit for bit."""
    levels = np.array([[0.0], [0.3], [np.inf]])
    ds = _sweep(SRC, (0.05, np.linspace(0.0, 4.0, 9), (0.5, 2.0)), levels, plf=["fmd", "jd", "sa"])
    assert dict(ds.sizes) == {"plf": 3, "R2": 9, "R3": 2, "P": 3, "frame": 3}
    R = np.broadcast_to(ds.rate.values[:, :, None, :], (9, 2, 3, 3))
    P = np.broadcast_to(ds.perception_level.values[None, None], (9, 2, 3, 3))
    fmd = ds.distortion.sel(plf="fmd").values
    assert np.array_equal(fmd, rt.fmd_distortions(SRC, R, P))
    for plf, zero in (("jd", rt.jd_zero_perception_distortions), ("sa", rt.sa_zero_perception_distortions)):
        d = ds.distortion.sel(plf=plf)
        assert np.array_equal(d.sel(P=0.0).values, zero(SRC, R[:, :, 0]))
        assert np.array_equal(d.sel(P=np.inf).values, rt.mmse_distortions(SRC, R[:, :, 2]))
        assert (ds.route.sel(plf=plf, P=0.3) == "solver").all()
    closed = ds.route == "closed_form"
    assert int(closed.sum()) == ds.attrs["closed_form_points"] == 9 * 2 * 7
    assert (ds.status == "optimal").all() and (ds.solver.where(closed) == "closed_form").sum() == closed.sum()
    assert (ds.duality_gap.where(closed) == 0).sum() == closed.sum()
    budgets = ds.rate.broadcast_like(ds.rate_used).transpose(*ds.rate_used.dims)
    np.testing.assert_array_equal(ds.rate_used.where(closed).values, budgets.where(closed).values)


@pytest.mark.parametrize(
    ("plf", "perception", "objective"),
    [
        ("fmd", (0.0, 0.1, 2.0), "lexicographic"),
        ("fmd", (np.inf, 0.01, 0.0), (1.0, 0.5, 2.0)),
        ("jd", 0.0, "lexicographic"),
        ("sa", 0.0, "lexicographic"),
        ("jd", np.inf, "lexicographic"),
        ("sa", np.inf, (0.0, 1.0, 1.0)),
        ("fmd", np.inf, "lexicographic"),
    ],
)
def test_closed_form_points_match_solve_rdp(plf: str, perception: object, objective: object) -> None:
    """Second route: solve_rdp's certified closed-form schemes (their perception values from
    the Bures formula on the scheme's covariances) give the same numbers to round-off, and the
    program itself (method="sdp") gives the distortions to the certified accuracy."""
    rates = [(0.0, 1.0, 3.0), (0.3, 0.05, np.inf), (2.0, 2.0, 2.0)]
    ds = _sweep(SRC, np.array(rates), perception, plf=plf, objective=objective)
    assert (ds.route == "closed_form").all()
    scale = SRC.variances
    for k, r in enumerate(rates):
        point = ds.isel(rates=k)
        sol = rt.solve_rdp(SRC, r, perception, plf=plf, objective=objective)
        assert sol.solver == "closed_form"
        for name, ref in (("distortion", sol.distortions), ("perception_value", sol.perception_values)):
            np.testing.assert_allclose(point[name].values, ref, rtol=ROUNDOFF, atol=1e-10 * scale.max())
        np.testing.assert_allclose(point.rate_used.values, sol.rates_used, rtol=ROUNDOFF)
        assert point.objective_value.item() == pytest.approx(sol.objective_value, rel=ROUNDOFF, abs=1e-14)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rt.SolverWarning)
            sdp = rt.solve_rdp(SRC, r, perception, plf=plf, objective=objective, method="sdp")
        if sdp.status == "optimal" and isinstance(objective, str):
            np.testing.assert_allclose(point.distortion.values, sdp.distortions,
                                       rtol=CLOSED_FORM_RTOL, atol=1e-9 * scale.max())


def test_batched_w2_matches_the_scalar_formula() -> None:
    """The batched Bures-Wasserstein formula (used for MSE-only JD/SA perception values)
    against ``rt.gaussian_w2_squared`` on random covariances of several scales."""
    rng = np.random.default_rng(0)
    for d in (1, 2, 4):
        m1 = rng.normal(size=(40, d, d))
        m2 = rng.normal(size=(40, d, d))
        k1 = m1 @ np.swapaxes(m1, 1, 2) * 10.0 ** rng.uniform(-3, 3, (40, 1, 1))
        k2 = m2 @ np.swapaxes(m2, 1, 2)
        ref = [rt.gaussian_w2_squared(a, b) for a, b in zip(k1, k2)]
        np.testing.assert_allclose(w2_batched(k1, k2), ref, rtol=1e-10, atol=1e-12)
    assert w2_batched(np.zeros((2, 2)), np.zeros((1, 2, 2)))[0] == 0.0


# ----------------------------------------------------------------------------- solver route
def test_solver_points_equal_direct_solves() -> None:
    """Each solver point is exactly one ``solve_rdp`` call: same numbers, status, solver and
    certificate figures."""
    ds = _sweep(SRC2, objective=["lexicographic", (1.0, 2.0)], **SOLVER_ARGS)
    assert (ds.route == "solver").all() and ds.attrs["solver_points"] == ds.status.size
    for idx in np.ndindex(ds.status.shape):
        point = ds.isel(dict(zip(ds.status.dims, idx)))
        obj = point.objective.item()
        objective = "lexicographic" if obj == "lexicographic" else (1.0, 2.0)
        sol = rt.solve_rdp(SRC2, point.rate.values, point.perception_level.values,
                           plf=point.plf.item(), objective=objective)
        assert np.array_equal(point.distortion.values, sol.distortions)
        assert np.array_equal(point.perception_value.values, sol.perception_values)
        assert np.array_equal(point.rate_used.values, sol.rates_used)
        assert point.objective_value.item() == sol.objective_value
        assert (point.status.item(), point.solver.item()) == (sol.status, sol.solver)
        cert = sol.certificate
        assert (point.relative_gap.item(), point.duality_gap.item(), point.primal_residual.item(),
                point.attempts.item()) == (cert.relative_gap, cert.duality_gap, cert.primal_residual, cert.attempts)


def test_solver_points_are_grouped_by_structure() -> None:
    """Chunks hold points of one structure: here PLF x level pattern, two groups, one chunk each
    run of points (the chunk size depends only on the number of solver points)."""
    grid = rt.sweeps._grid.build_grid(SRC2, SOLVER_ARGS["rates"], np.array([[0.0], [0.1]]), ["jd", "sa"],
                                      ["lexicographic", (1.0, 1.0)], True)
    kinds = grid.kinds()
    order = _solve.plan(grid, kinds)
    assert order.size == 6 * 2 * 2 * 2 - 6 * 2  # lexicographic P = 0 JD/SA are closed forms
    plf = grid.flat(grid.plf_index, False)[order]
    obj = grid.flat(grid.objective_index, False)[order]
    key = plf * 2 + obj
    assert (np.diff(key) >= 0).all()  # contiguous groups
    assert _solve.chunk_size(order.size) == 1 and _solve.chunk_size(10_000) == _solve.MAX_CHUNK


# ----------------------------------------------------------------------------- layout
def test_axes_forms_and_dimension_order() -> None:
    """The documented argument forms give the documented dimensions and coordinates."""
    src_b = SRC.scaled(2.0)
    ds = _sweep([SRC, src_b], np.array([[1.0, 1.0, 1.0], [0.5, 2.0, 3.0]]), (0.1, np.array([0.0, 1.0]), np.inf),
                plf="fmd", objective=[(1, 1, 1), "lexicographic"])
    assert ds.distortion.dims == ("source", "objective", "rates", "P2", "frame")
    assert list(ds.objective.values) == ["weights(1, 1, 1)", "lexicographic"]
    np.testing.assert_array_equal(ds.rate.values, [[1.0, 1.0, 1.0], [0.5, 2.0, 3.0]])
    np.testing.assert_array_equal(ds.perception_level.values, [[0.1, 0.0, np.inf], [0.1, 1.0, np.inf]])
    np.testing.assert_array_equal(ds.source_sigma.values, [SRC.sigmas, src_b.sigmas])
    assert ds.plf.item() == "fmd" and ds.plf.dims == ()
    R = ds.rate.values[:, None, :]
    P = ds.perception_level.values[None, :, :]
    for s, src in enumerate((SRC, src_b)):
        for o in range(2):
            assert np.array_equal(ds.distortion.isel(source=s, objective=o).values, rt.fmd_distortions(src, R, P))
    np.testing.assert_allclose(ds.objective_value.isel(source=0, objective=0).values,
                               ds.distortion.isel(source=0, objective=0).sum("frame").values, rtol=1e-15)
    one = _sweep(SRC, 1.0, 0.0, plf="jd")
    assert one.distortion.dims == ("frame",) and one.status.item() == "optimal"


def test_zipped_points_equal_the_product_diagonal() -> None:
    """``product=False`` zips the swept arguments into one ``point`` dimension."""
    r2 = np.array([0.5, 1.0, 2.0])
    p = np.array([[0.0], [0.1], [np.inf]])
    z = _sweep(SRC, (0.05, r2, 1.0), p, plf="fmd", product=False)
    full = _sweep(SRC, (0.05, r2, 1.0), p, plf="fmd")
    assert z.distortion.dims == ("point", "frame") and list(z.R2.values) == list(r2)
    for k in range(3):
        assert np.array_equal(z.distortion.isel(point=k).values, full.distortion.isel(R2=k, P=k).values)
    with pytest.raises(rt.InvalidParameterError, match="same length"):
        _sweep(SRC, (0.05, r2, 1.0), p[:2], plf="fmd", product=False)


def test_to_dataframe_is_the_tidy_table() -> None:
    ds = _sweep(SRC, (0.05, np.array([0.5, 1.5, 3.0]), 1.0), np.array([[0.0], [0.2]]), plf=["fmd", "sa"])
    df = ds.to_dataframe().reset_index()
    assert len(df) == ds.distortion.size == 2 * 3 * 2 * 3
    assert {"plf", "R2", "P", "frame", "distortion", "perception_value", "rate", "perception_level",
            "status", "route", "relative_gap"} <= set(df.columns)
    row = df[(df.plf == "fmd") & (df.R2 == 1.5) & (df.P == 0.2) & (df.frame == 3)].iloc[0]
    assert row.distortion == ds.distortion.sel(plf="fmd", R2=1.5, P=0.2, frame=3).item()
    assert row.rate == 1.0 and row.perception_level == 0.2
    assert ds.attrs["rdp_theory_version"] == rt.__version__ and "cvxpy" in ds.attrs["solver"]
    assert {"date", "git_revision"} <= set(ds.attrs)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(rates=[1.0, 1.0]), "rates"),
        (dict(rates=np.ones(5)), "rates"),
        (dict(rates=(1.0, -1.0, 1.0)), r"rates\[1\]"),
        (dict(rates=(1.0, np.ones((2, 2)), 1.0)), r"rates\[1\]"),
        (dict(rates=(1.0, [], 1.0)), r"rates\[1\]"),
        (dict(rates=np.ones((2, 2, 3))), "rates"),
        (dict(perception=np.ones((4, 2))), "perception"),
        (dict(perception=(0.0, "x", 0.0)), r"perception\[1\]"),
        (dict(plf=["jd", "jd"]), "plf"),
        (dict(plf=[]), "plf"),
        (dict(plf="xd"), "plf"),
        (dict(objective=[]), "objective"),
        (dict(objective=(1.0, 1.0)), "objective"),
        (dict(objective=["lexicographic", "lexicographic"]), "objective"),
        (dict(source=[SRC, SRC2]), "source"),
        (dict(source=[]), "source"),
        (dict(source="src"), "source"),
        (dict(n_jobs=0), "n_jobs"),
        (dict(n_jobs=True), "n_jobs"),
        (dict(progress=1), "progress"),
        (dict(product="yes"), "product"),
        (dict(store=3), "store"),
        (dict(store=""), "store"),
        (dict(client=object()), "client"),
        (dict(perception=2e7), r"perception\[0\]"),  # above LEVEL_MAX: refused before solving
    ],
)
def test_bad_arguments_are_typed_errors_naming_the_argument(kwargs: dict, name: str) -> None:
    call = dict(source=SRC, rates=1.0, perception=0.1, plf="jd", progress=False) | kwargs
    with pytest.raises(rt.InvalidParameterError, match=name):
        rt.sweep(**call)


def test_import_rdp_theory_stays_light() -> None:
    """``import rdp_theory`` imports none of the sweep's optional dependencies."""
    heavy = ("xarray", "dask", "distributed", "zarr", "joblib", "tqdm", "pandas")
    code = f"import sys, rdp_theory; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- flags, progress
def _flaky_solver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the sweep's second solve inaccurate (with a warning) and its third fail: the sweep
    must record, count and log them, and carry on."""
    real = _solve.solve_rdp
    calls = {"n": 0}

    def fake(*args, **kw):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            warnings.warn("certificate says: not accurate", rt.SolverWarning, stacklevel=2)
            return replace(real(*args, **kw), status="optimal_inaccurate")
        if calls["n"] == 3:
            raise rt.SolverError("no certified solution")
        return real(*args, **kw)

    monkeypatch.setattr(_solve, "solve_rdp", fake)


def test_flagged_and_failed_points_are_recorded_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    _flaky_solver(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="rdp_theory.sweep"), warnings.catch_warnings():
        warnings.simplefilter("error")  # the solver's warnings are logged, not re-emitted
        ds = rt.sweep(SRC2, plf="jd", rates=SOLVER_ARGS["rates"], perception=SOLVER_ARGS["perception"],
                      progress=True)
    status = ds.status.values.ravel()
    assert sorted(status).count("optimal_inaccurate") == 1 and sorted(status).count("failed") == 1
    assert ds.attrs["flagged_points"] == 2
    failed = ds.where(ds.status == "failed", drop=True)
    assert np.isnan(failed.distortion.values).all() and failed.solver.item() == ""
    text = caplog.text
    assert "is optimal_inaccurate: certificate says: not accurate" in text
    assert "is failed: SolverError: no certified solution" in text and "R2=" in text
    assert "flagged=2" in capsys.readouterr().err  # the progress bar's count


# ----------------------------------------------------------------------------- parallel, dask
@needs_zarr
def test_joblib_workers_give_the_serial_result(tmp_path: Path) -> None:
    """Two loky workers, results arriving in any order and written to a store as they come."""
    serial = _sweep(SRC2, **SOLVER_ARGS)
    parallel = _sweep(SRC2, n_jobs=2, store=tmp_path / "p.zarr", **SOLVER_ARGS)
    assert parallel.equals(serial)
    assert _sweep(SRC2, store=tmp_path / "p.zarr", **SOLVER_ARGS).attrs["points_from_store"] == 24


def test_dask_cluster_gives_the_local_result() -> None:
    """A real LocalCluster (2 worker processes): through ``client=`` and through joblib's dask
    backend, the dataset equals the local one exactly."""
    distributed = pytest.importorskip("distributed")
    joblib = pytest.importorskip("joblib")
    local = _sweep(SRC2, **SOLVER_ARGS)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = _sweep(SRC2, client=client, **SOLVER_ARGS)
        with joblib.parallel_config(backend="dask"):
            via_joblib = _sweep(SRC2, n_jobs=-1, **SOLVER_ARGS)
        with pytest.raises(rt.InvalidParameterError, match="n_jobs"):
            _sweep(SRC2, client=client, n_jobs=2, **SOLVER_ARGS)
    assert remote.equals(local) and via_joblib.equals(local)


# ----------------------------------------------------------------------------- the store
KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np
    import rdp_theory as rt
    from rdp_theory.sweeps import _store

    path, mode, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    real_write = _store.ProgressStore.write
    written = []

    def write(self, k, values, codes):
        if len(written) == limit:
            if mode == "inside":  # the chunk's data reaches the store, its done flag does not
                self.group["values"][k * self.C:k * self.C + len(values)] = values
                self.group["codes"][k * self.C:k * self.C + len(values)] = codes
            os.kill(os.getpid(), signal.SIGKILL)
        real_write(self, k, values, codes)
        written.append(k)

    _store.ProgressStore.write = write
    src = rt.GaussMarkovSource.stationary(2, 1.0, 0.9)
    rt.sweep(src, rates=(1.0, np.linspace(0.3, 3.0, 6)), perception=np.array([[0.05], [0.2]]),
             plf=["jd", "sa"], progress=False, store=path)
    """
)


@needs_zarr
@pytest.mark.parametrize("mode", ["between", "inside"])
def test_killed_sweep_resumes_from_the_store(tmp_path: Path, mode: str) -> None:
    """A sweep killed (SIGKILL, in a subprocess) after 5 chunks, between two chunks or while
    writing the sixth, resumes: only the missing chunks are solved, and the result equals an
    uninterrupted run's."""
    script = tmp_path / "kill.py"
    script.write_text(KILL_SCRIPT)
    store = tmp_path / "sweep.zarr"
    proc = subprocess.run([sys.executable, str(script), str(store), mode, "5"], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    resumed = _sweep(SRC2, store=store, **SOLVER_ARGS)
    C = _solve.chunk_size(24)
    assert resumed.attrs["points_from_store"] == 5 * C < resumed.attrs["solver_points"]
    assert resumed.equals(_sweep(SRC2, **SOLVER_ARGS))
    again = _sweep(SRC2, store=store, **SOLVER_ARGS)  # complete: nothing is solved
    assert again.attrs["points_from_store"] == 24 and again.equals(resumed)


@needs_zarr
def test_complete_store_solves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _sweep(SRC2, store=tmp_path / "s.zarr", **SOLVER_ARGS)

    def forbidden(job):  # type: ignore[no-untyped-def]
        raise AssertionError("a stored chunk was solved again")

    monkeypatch.setattr(rt.sweeps._execute, "solve_job", forbidden)
    assert _sweep(SRC2, store=tmp_path / "s.zarr", **SOLVER_ARGS).equals(first)


def _listing(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


@needs_zarr
def test_foreign_other_and_corrupt_stores_are_refused_untouched(tmp_path: Path) -> None:
    import zarr

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    plain = tmp_path / "plain.zarr"
    zarr.open_group(str(plain), mode="w").attrs["owner"] = "someone else"
    a_file = tmp_path / "file.zarr"
    a_file.write_text("x")
    store = tmp_path / "s.zarr"
    _sweep(SRC2, store=store, **SOLVER_ARGS)
    cases = [
        (foreign, SOLVER_ARGS, "not a sweep store"),
        (plain, SOLVER_ARGS, "without the 'rdp_theory_sweep' attribute"),
        (a_file, SOLVER_ARGS, "is a file"),
        (store, dict(SOLVER_ARGS, plf=["sa", "jd"]), "holds a different sweep"),
    ]
    for path, args, why in cases:
        before = _listing(path) if path.is_dir() else path.read_bytes()
        with pytest.raises(rt.SweepStoreError, match=why):
            _sweep(SRC2, store=path, **args)
        assert (_listing(path) if path.is_dir() else path.read_bytes()) == before
    chunk = next(p for p in sorted((store / "values").rglob("*")) if p.is_file() and p.name != "zarr.json")
    chunk.write_bytes(b"garbage")
    with pytest.raises(rt.SweepStoreError, match="corrupt"):
        _sweep(SRC2, store=store, **SOLVER_ARGS)


@needs_zarr
def test_closed_form_sweep_with_store_and_empty_folder(tmp_path: Path) -> None:
    """An empty folder becomes the store; a sweep without solver points stores an empty layout."""
    folder = tmp_path / "empty"
    folder.mkdir()
    ds = _sweep(SRC, (0.05, np.linspace(0, 2, 3), 1.0), np.inf, plf="jd", store=folder)
    assert ds.attrs["solver_points"] == 0 and (folder / "zarr.json").exists()
    assert _sweep(SRC, (0.05, np.linspace(0, 2, 3), 1.0), np.inf, plf="jd", store=folder).equals(ds)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temporaries left
    assert os.listdir(tmp_path) == ["empty"]


@needs_zarr
def test_tutorial_python_blocks_run() -> None:
    """``docs/sweeps.md``: its ``python`` blocks run in order in one namespace, as a reader
    would (the dask block is a ``code-block`` directive: it needs a cluster)."""
    import re

    page = Path(__file__).resolve().parents[1] / "docs" / "sweeps.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 6
    namespace: dict[str, object] = {}
    for code in blocks:
        exec(compile(code, str(page), "exec"), namespace)
    assert namespace["again"].equals(namespace["first"])  # type: ignore[attr-defined]

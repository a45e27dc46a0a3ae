"""Tests of :mod:`figures.learned_overlay` and :mod:`figures.learned_tradeoff` on synthetic E1
result files written in the declared columns (:mod:`learned.schema`)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from figure_helpers import renders

import rdp_theory as rt
from figures._common import RunConfig
from figures.learned_overlay import compute, draw, main_lam
from figures.learned_results import read_points
from figures.learned_tradeoff import compute as tradeoff_compute
from figures.learned_tradeoff import draw as tradeoff_draw
from learned.schema import BASELINE_POINTS, GAUSS_MARKOV_POINTS

SRC = rt.GaussMarkovSource.stationary(T=3, sigma=1.0, rho=0.9)
FILLER = {"int": 0, "float": math.nan, "str": "x", "bool": False}


def _write(path: Path, table: Any, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(table.names)
        for r in rows:
            cells = {c.name: FILLER[c.kind] for c in table.columns} | r
            w.writerow([cells[n] for n in table.names])


def _results(tmp_path: Path, lams: tuple[float, ...] = (10.0,)) -> Path:
    """Two rate points (one per scenario), the MSE codec and JD/FMD decoders, and baselines."""
    rows = []
    for rp, (scen, R) in enumerate((("equal", 1.0), ("eps_first", 1.0))):
        for variant, plf, lam_set in (("mse", "mse", (math.nan,)), ("universal", "jd", lams),
                                      ("e2e", "jd", lams), ("universal", "fmd", lams)):  # fmt: skip
            for lam in lam_set:
                for j in (1, 2, 3):
                    rate = R + 0.01 * j + 0.001 * rp
                    d = 0.5 / j + 0.01 * (lam if math.isfinite(lam) else 0.0)
                    rows.append({"rate_point": rp, "scenario": scen, "variant": variant,
                                 "plf": plf, "lam": lam, "frame": j, "rate_bits": rate,
                                 "distortion": d, "distortion_se": 0.001,
                                 "perception": 0.1 / (1 + (lam if math.isfinite(lam) else 0)),
                                 "bound_plf": d / 2, "bound_best": d / 1.9})  # fmt: skip
    _write(tmp_path / "e1_points.csv", GAUSS_MARKOV_POINTS, rows)
    base = [{"rate_point": 0, "scenario": "equal", "baseline": b, "frame": j,
             "rate_bits": 1.0, "distortion": 0.3 / j} for b in ("dpcm-ecsq", "dpcm-lloyd-max")
            for j in (1, 2, 3)]  # fmt: skip
    _write(tmp_path / "e1_baselines.csv", BASELINE_POINTS, base)
    meta = {"source": {"sigmas": list(SRC.sigmas), "rhos": list(SRC.rhos), "T": 3}}
    (tmp_path / "e1_config.json").write_text(json.dumps(meta), encoding="utf-8")
    return tmp_path


def _rows(data: Any) -> list[dict[str, Any]]:
    cols = data.table.columns
    return [dict(zip(cols, r)) for r in data.table.rows]


def test_overlay_draws_points_matched_bounds_and_baselines_as_read(tmp_path: Path) -> None:
    data = compute(RunConfig(quick=True, learned_dir=_results(tmp_path)))
    assert data is not None
    rows = _rows(data)
    learned = [r for r in rows if r["method"] == "learned"]
    bounds = [r for r in rows if r["method"] == "matched_bound"]
    base = [r for r in rows if r["method"] == "dpcm"]
    # every learned row of the main lam (2 rate points x 4 decoders x 3 frames), as read
    assert len(learned) == 24 and len(base) == 6
    for r in learned:
        j, lam = r["frame"], (10.0 if r["plf"] != "mse" else 0.0)
        assert r["value"] == pytest.approx(0.5 / j + 0.01 * lam)
    # the matched bounds: the universal decoders' and the MSE codec's bound_best
    for r in bounds:
        d = 0.5 / r["frame"] + (0.1 if r["plf"] != "mse" else 0.0)
        assert r["value"] == pytest.approx(d / 1.9)
    assert {r["series"] for r in bounds} == {"bound:mse", "bound:jd", "bound:fmd"}
    assert {r["panel"] for r in rows} == {"equal", "eps_first"}
    renders(draw(data))


def test_overlay_main_lam_is_the_weight_every_rate_point_has(tmp_path: Path) -> None:
    points, _ = read_points([_results(tmp_path, lams=(1.0, 10.0)) / "e1_points.csv"], SRC)
    assert main_lam(points) == 10.0


def test_no_results_means_nothing_to_draw(tmp_path: Path) -> None:
    assert compute(RunConfig(quick=True, learned_dir=tmp_path / "absent")) is None
    assert tradeoff_compute(RunConfig(quick=True, learned_dir=tmp_path / "absent")) is None


def test_tradeoff_needs_a_lam_sweep(tmp_path: Path) -> None:
    assert tradeoff_compute(RunConfig(quick=True, learned_dir=_results(tmp_path))) is None


def test_tradeoff_theory_lines_are_library_calls(tmp_path: Path) -> None:
    directory = _results(tmp_path, lams=(0.3, 1.0, 10.0))
    data = tradeoff_compute(RunConfig(quick=True, learned_dir=directory))
    assert data is not None
    rows = _rows(data)
    learned = [r for r in rows if r["method"] == "learned"]
    assert len(learned) == 3 * 3 * 3  # the sweep point (rate point 0): 3 decoders x 3 lams x 3 frames
    theory = [r for r in rows if r["method"] != "learned"]
    rates = [1.0 + 0.01 * j for j in (1, 2, 3)]  # the sweep point's MSE codec (rate point 0)
    for r in theory[:: max(1, len(theory) // 12)]:
        assert [r["R_1"], r["R_2"], r["R_3"]] == pytest.approx(rates)
        if r["plf"] == "fmd":
            want = float(np.asarray(rt.fmd_distortions(SRC, rates, r["P"]))[r["frame"] - 1])
            assert r["value"] == want
        else:
            w = np.zeros(3)
            w[r["frame"] - 1] = 1.0
            sol = rt.solve_rdp(SRC, rates, r["P"], plf=r["plf"], objective=w)
            assert r["value"] == pytest.approx(float(sol.distortions[r["frame"] - 1]), abs=1e-7)
    renders(tradeoff_draw(data))

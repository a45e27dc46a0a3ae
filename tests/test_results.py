"""Readable results: ``_repr_html_``, ``to_dataframe()`` and ``to_dict()`` of the result
dataclasses (RDPSolution, SimulationResult, UniversalityResult, UniversalitySweep).

Every cell is compared with the attribute it comes from; a missing pandas is a typed error.
"""

from __future__ import annotations

import html
import json
import sys

import numpy as np
import pytest

import rdp_theory as rt
from rdp_theory._tables import number
from rdp_theory.io import dumps_json

pd = pytest.importorskip("pandas")

SRC = rt.GaussMarkovSource((1.0, 2.0, 0.5), (0.9, 0.6))


@pytest.fixture(scope="module")
def sa() -> rt.RDPSolution:
    return rt.solve_rdp(SRC, (0.5, 1.0, 2.0), (0.05, 0.1, np.inf), plf="sa", objective=(1, 1, 1))


def test_solution_dataframe_is_one_row_per_frame(sa: rt.RDPSolution) -> None:
    df = sa.to_dataframe()
    assert list(df["frame"]) == [1, 2, 3]
    np.testing.assert_array_equal(df["distortion"], sa.distortions)
    np.testing.assert_array_equal(df["perception_value"], sa.perception_values)
    np.testing.assert_array_equal(df["perception"], sa.perception)
    np.testing.assert_array_equal(df["rate"], sa.rates)
    np.testing.assert_array_equal(df["rate_used"], sa.rates_used)
    # the representation's MMSE e_k = p_k - q_k is the MSE-only optimum for the greedy one
    np.testing.assert_allclose(df["mmse"], rt.mmse_distortions(SRC, sa.rates), rtol=1e-9)
    assert set(df["plf"]) == {"sa"} and set(df["status"]) == {sa.status}
    both = pd.concat([df, rt.solve_rdp(SRC, 1.0, 0.0, plf="jd").to_dataframe()])
    assert len(both) == 6 and set(both["plf"]) == {"sa", "jd"}  # sweeps stack into one table


def test_solution_html_shows_status_solver_time_and_each_frame(sa: rt.RDPSolution) -> None:
    text = sa._repr_html_()
    assert text.startswith("<table") and text.endswith("</table>")
    assert f"status {sa.status}" in text and f"solver {sa.solver}" in text
    assert sa.solve_time is not None and f"{sa.solve_time:.3g} s" in text
    for k in range(sa.T):
        assert f"<td>{number(sa.distortions[k])}</td>" in text
        assert f"<td>{number(sa.perception[k])}</td>" in text
    assert "<td>inf</td>" in text  # the unconstrained frame
    assert text.count("<tr>") == 5  # header + rate, level, D, phi


def test_solve_time_is_the_call_and_not_part_of_equality(sa: rt.RDPSolution) -> None:
    from dataclasses import fields, replace

    assert sa.solve_time is not None and 0 < sa.solve_time < 60
    assert "time=" in repr(sa).splitlines()[0]
    assert not next(f for f in fields(sa) if f.name == "solve_time").compare
    untimed = replace(sa, solve_time=None)
    assert "time=" not in repr(untimed) and " s)" not in untimed._repr_html_()
    assert json.loads(dumps_json(sa.to_dict()))["solve_time"] == sa.solve_time


def test_html_escapes_text() -> None:
    from rdp_theory._tables import html_table

    text = html_table("<b>&", ["<i>"], [("<r>", ["<c>"])])
    assert "<b>" not in text and "<i>" not in text and html.escape("<c>") in text


def test_simulation_result_tables(sa: rt.RDPSolution) -> None:
    sim = sa.simulate(2_000, np.random.default_rng(0))
    df = sim.to_dataframe()
    np.testing.assert_array_equal(df["distortion"], sim.distortions)
    np.testing.assert_array_equal(df["rate_se"], sim.rates_se)
    assert list(df["frame"]) == [1, 2, 3] and set(df["n"]) == {sim.n}
    data = json.loads(dumps_json(sim.to_dict()))
    np.testing.assert_array_equal(data["perception"], sim.perception)
    text = sim._repr_html_()
    assert f"{number(sim.distortions[0])} ± {number(sim.distortions_se[0])}" in text


def test_universality_result_tables() -> None:
    u = rt.universality_gap(SRC, (0.5, 0.5, 0.5), 0.05, plf="jd", objective=(1, 1, 1))
    df = u.to_dataframe()
    np.testing.assert_array_equal(df["gap"], u.gap)
    np.testing.assert_array_equal(df["optimal"], u.optimal.distortions)
    np.testing.assert_array_equal(df["mse_representation"], u.mse_representation.distortions)
    data = json.loads(dumps_json(u.to_dict()))
    assert data["objective_gap"] == u.objective_gap
    assert data["optimal"]["distortions"] == u.optimal.distortions.tolist()
    assert number(u.gap[0]) in u._repr_html_()


def test_universality_sweep_dataframe_is_point_by_frame() -> None:
    sweep = rt.universality_sweep(SRC, [[0.5, 0.5, 0.5], [1.0, 1.0, 1.0]], 0.0, plf="fmd")
    df = sweep.to_dataframe()
    assert len(df) == 6 and list(df["point"]) == [0, 0, 0, 1, 1, 1]
    assert list(df["frame"]) == [1, 2, 3, 1, 2, 3]
    np.testing.assert_array_equal(df["optimal"], sweep.optimal.reshape(-1))
    np.testing.assert_array_equal(df["rate"], sweep.rates.reshape(-1))
    np.testing.assert_array_equal(df["objective_gap"], np.repeat(sweep.objective_gap, 3))
    assert json.loads(dumps_json(sweep.to_dict()))["optimal"] == sweep.optimal.tolist()


def test_missing_pandas_is_a_typed_error(
    sa: rt.RDPSolution, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without pandas, ``to_dataframe`` raises MissingDependencyError (an ImportError) naming
    the install line; nothing else needs pandas."""
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(rt.MissingDependencyError, match="pip install pandas") as info:
        sa.to_dataframe()
    assert isinstance(info.value, ImportError) and isinstance(info.value, rt.RDPError)
    assert sa._repr_html_().startswith("<table")

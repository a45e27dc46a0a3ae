"""Tests of the figure registry (:data:`figures.FIGURES`) and the tidy table."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path

import figures
from figures import FIGURES, Table


def test_registry_specs_are_complete() -> None:
    """Every registry entry has a name matching its key, a summary and both callables."""
    expected = {"rd_low_first_rate", "rd_high_first_rate", "error_permanence",
                "temporal_correlation", "universality", "distortion_perception", "jd_pareto",
                "operational_region", "rate_form", "stationary_limits", "common_randomness",
                "learned_overlay", "learned_tradeoff"}
    assert set(FIGURES) == expected
    for key, spec in FIGURES.items():
        assert spec.name == key and spec.summary
        assert isinstance(spec.compute, Callable) and isinstance(spec.draw, Callable)  # type: ignore[arg-type]


def test_one_module_per_figure() -> None:
    """Each figure NAME lives in figures/NAME.py, which holds its compute and draw."""
    folder = Path(figures.__file__).parent
    for name, spec in FIGURES.items():
        assert (folder / f"{name}.py").is_file(), name
        module = getattr(figures, name)
        assert spec.compute is module.compute and spec.draw is module.draw


def test_table_csv_is_deterministic_and_round_trips() -> None:
    """``repr`` floats round-trip exactly; inf and nan are written as text."""
    t = Table(("a", "b"))
    t.add(a=0.1, b=math.inf)
    t.add(a=1 / 3, b=math.nan)
    text = t.to_csv()
    assert text == t.to_csv()
    rows = list(csv.reader(text.splitlines()))
    assert float(rows[2][0]) == 1 / 3
    assert rows[1][1] == "inf" and rows[2][1] == "nan"

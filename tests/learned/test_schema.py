"""learned.schema: result columns declared once; writers and the overlay reader share them."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

import rdp_theory as rt
from learned.schema import (
    DIGITS_FRAMES,
    FILES,
    GAUSS_MARKOV_POINTS,
    ResultFileError,
    read_table,
    schema_for,
)

RESULTS = Path(__file__).resolve().parents[2] / "learned" / "results"
COMMITTED = sorted(p for p in RESULTS.rglob("*.csv"))


def _row(table, **cells) -> dict:
    base = {c.name: {"int": 1, "float": 0.5, "str": "jd", "bool": False}[c.kind] for c in table.columns}
    return {**base, **cells}


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: str(p.relative_to(RESULTS)))
def test_every_committed_result_file_reads_strictly(path: Path) -> None:
    rows = read_table(path)
    assert rows and all(set(r) == set(schema_for(path).names) for r in rows)


def test_committed_files_cover_every_table() -> None:
    assert {p.name for p in COMMITTED} == set(FILES)


def test_writer_and_reader_round_trip(tmp_path: Path) -> None:
    """What the experiments write (rdp_theory.io.write_csv with the table's columns) reads back
    cell for cell, nan and inf included."""
    pytest.importorskip("torch")
    from learned.experiments._common import write_table

    rows = [_row(GAUSS_MARKOV_POINTS, lam=math.nan, rate_bits=math.inf, below_bound=True)]
    path = write_table(tmp_path / "e1_points.csv", GAUSS_MARKOV_POINTS, rows)
    (back,) = read_table(path)
    assert math.isnan(back.pop("lam")) and back.pop("rate_bits") == math.inf
    expected = dict(rows[0])
    del expected["lam"], expected["rate_bits"]
    assert back == expected
    with pytest.raises(ValueError, match="missing \\['scenario'\\]"):
        write_table(tmp_path / "e2_frames.csv", DIGITS_FRAMES, [
            {k: v for k, v in _row(DIGITS_FRAMES).items() if k != "scenario"}
        ])


def test_renamed_column_names_file_and_column(tmp_path: Path) -> None:
    names = list(GAUSS_MARKOV_POINTS.names)
    names[names.index("distortion")] = "mse"  # a legacy alias is not guessed
    path = _write(tmp_path / "e1_points.csv", names, [])
    with pytest.raises(ResultFileError, match=r"e1_points\.csv: missing column 'distortion'"):
        read_table(path)


def test_bad_cell_names_file_line_and_column(tmp_path: Path) -> None:
    names = list(GAUSS_MARKOV_POINTS.names)
    cells = [str(v) for v in _row(GAUSS_MARKOV_POINTS, frame="one").values()]
    path = _write(tmp_path / "e1_points.csv", names, [cells])
    with pytest.raises(ResultFileError, match=r"e1_points\.csv, line 2, column 'frame'"):
        read_table(path)


def test_unknown_file_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ResultFileError, match="not a known result file"):
        read_table(_write(tmp_path / "e1_wide.csv", ["a"], []))


# ----------------------------------------------------------- the overlay's reader (figures/)
def test_overlay_reader_reads_the_committed_e1_results() -> None:
    from figures.learned_results import find_results, read_points

    files = find_results(RESULTS)
    assert files == [RESULTS / "e1_points.csv"]
    pts, src = read_points(files, default_source=rt.GaussMarkovSource.stationary(5))
    assert src.T == 3 and len(pts) == len(read_table(files[0]))
    assert {p.variant for p in pts} == {"mse", "universal", "e2e"}


def test_overlay_reader_is_strict(tmp_path: Path) -> None:
    """A file with the old tolerated aliases (rate, mse) raises, naming file and column."""
    from figures.learned_results import find_results, read_points

    (tmp_path / "e1_points.csv").write_text(
        "frame,rate,mse,plf,variant,perception\n1,0.8,0.45,jd,universal,0.01\n", encoding="utf-8"
    )
    with pytest.raises(ResultFileError, match=r"e1_points\.csv: missing column 'rate_point'"):
        read_points(find_results(tmp_path), default_source=rt.GaussMarkovSource.stationary(3))
    (tmp_path / "e1_points.csv").unlink()
    assert find_results(tmp_path) == [] and find_results(tmp_path / "absent") == []


def test_overlay_reader_names_a_malformed_run_json(tmp_path: Path) -> None:
    from figures.learned_results import read_points

    path = _write(tmp_path / "e1_points.csv", list(GAUSS_MARKOV_POINTS.names),
                  [[str(v) for v in _row(GAUSS_MARKOV_POINTS).values()]])  # fmt: skip
    default = rt.GaussMarkovSource.stationary(3)
    pts, src = read_points([path], default_source=default)  # no JSON: the default source
    assert src == default and len(pts) == 1
    (tmp_path / "e1_config.json").write_text('{"source": {"sigmas": [1.0]}}', encoding="utf-8")
    with pytest.raises(ResultFileError, match=r"e1_config\.json"):
        read_points([path], default_source=default)


def test_schema_configs_and_reader_are_torch_free() -> None:
    code = (
        "import sys, learned.schema, learned.experiments.configs, figures.learned_results, "
        "learned.__main__; learned.__main__.build_parser(); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                         timeout=120, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr

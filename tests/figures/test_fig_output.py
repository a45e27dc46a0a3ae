"""Tests of :mod:`figures._output`: a figure's four files form a set, complete iff JSON exists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import figures._output as fo
from figures._common import FigureData, Table
from figures._style import SERIES
from figures.rd_low_first_rate import plot_rate_distortion

FILES = {"png": b"\x89PNG new", "pdf": b"%PDF new", "csv": b"a\n1\n", "json": b"{}\n"}


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_set_is_written_with_the_json_last(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real = fo.atomic_write_bytes

    def recording(path: Path, data: bytes) -> Path:
        order.append(Path(path).suffix)
        return real(path, data)

    monkeypatch.setattr(fo, "atomic_write_bytes", recording)
    fo.write_figure_set(tmp_path, "fig", FILES)
    assert order == [".png", ".pdf", ".csv", ".json"]
    assert _names(tmp_path) == ["fig.csv", "fig.json", "fig.pdf", "fig.png"]
    assert (tmp_path / "fig.png").read_bytes() == FILES["png"]


@pytest.mark.parametrize("failing", ["png", "csv", "json"])
def test_a_failed_write_never_leaves_a_complete_looking_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """An earlier complete set, then a run failing on one file: no ``fig.json`` remains, so the
    mix of new and old files is not presented as a complete set; no temporary file is left."""
    fo.write_figure_set(tmp_path, "fig", {k: b"old " + v for k, v in FILES.items()})
    real = fo.atomic_write_bytes

    def failing_write(path: Path, data: bytes) -> Path:
        if Path(path).suffix == f".{failing}":
            raise OSError("disk full")
        return real(path, data)

    monkeypatch.setattr(fo, "atomic_write_bytes", failing_write)
    with pytest.raises(OSError, match="disk full"):
        fo.write_figure_set(tmp_path, "fig", FILES)
    assert not (tmp_path / "fig.json").exists()
    assert all(not n.startswith(".") for n in _names(tmp_path))


def test_a_set_needs_all_four_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="png"):
        fo.write_figure_set(tmp_path, "fig", {"csv": b""})
    assert _names(tmp_path) == []


def test_figure_files_render_everything_in_memory() -> None:
    """PNG and PDF bytes are rendered before any file is touched; PDFs are reproducible."""
    t = Table(("a",))
    t.add(a=1.0)
    data = FigureData(t, {}, "title", "caption")
    fig = plot_rate_distortion(np.arange(3.0), {SERIES[0]: np.ones((3, 1))}, frames=[1])
    files = fo.figure_files(data, fig, {"b": float("inf")})
    assert tuple(files) == fo.SUFFIXES
    assert files["png"][:4] == b"\x89PNG" and files["pdf"][:5] == b"%PDF-"
    assert files["csv"] == b"a\n1.0\n"
    assert files["json"] == b'{\n  "b": "inf"\n}\n'
    assert fo.figure_files(data, fig, {})["pdf"] == files["pdf"]


def test_paper_repro_sweeps_stale_temporaries(tmp_path: Path) -> None:
    """Debris of a killed run (temporaries of a dead process) is removed at the start."""
    import paper_repro

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    stale = tmp_path / f".old_figure.csv.{pid}.0123abcd.tmp"
    stale.write_bytes(b"half")
    assert paper_repro.main(["--quick", "--only", "error_permanence", "--out", str(tmp_path)]) == 0
    assert not stale.exists()
    assert _names(tmp_path) == [f"error_permanence.{e}" for e in ("csv", "json", "pdf", "png")]

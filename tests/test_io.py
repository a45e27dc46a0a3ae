"""The one atomic writer (:mod:`rdp_theory.io`): modes, failure, debris, JSON, provenance."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import rdp_theory
from rdp_theory import io as rio


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_mode_follows_the_umask(tmp_path: Path, mask: int) -> None:
    old = os.umask(mask)
    try:
        rio.atomic_write_text(tmp_path / "a.txt", "x")
        with open(tmp_path / "b.txt", "w") as fh:  # what a plain open gives
            fh.write("x")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a.txt") == 0o666 & ~mask == _mode(tmp_path / "b.txt")


def test_failure_keeps_the_old_file_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    rio.atomic_write_bytes(target, b"good")

    def boom(fh: object) -> None:
        fh.write(b"half")  # type: ignore[attr-defined]
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        rio.atomic_write(target, boom)
    assert target.read_bytes() == b"good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


def test_stale_temporaries_of_dead_writers_are_removed(tmp_path: Path) -> None:
    dead = _dead_pid()
    stale = tmp_path / f".out.csv.{dead}.0123abcd.tmp"
    other = tmp_path / f".other.csv.{dead}.0123abcd.tmp"
    live = tmp_path / f".out.csv.{os.getppid()}.0123abcd.tmp"  # a live process: kept
    for p in (stale, other, live):
        p.write_bytes(b"debris")
    rio.atomic_write_text(tmp_path / "out.csv", "new")
    assert not stale.exists() and other.exists() and live.exists()
    assert rio.remove_stale_temporaries(tmp_path) == [other]
    assert live.exists()


def test_a_killed_writer_leaves_debris_that_the_next_write_removes(tmp_path: Path) -> None:
    code = (
        "import os, sys; from rdp_theory import io\n"
        "def w(fh):\n    fh.write(b'half'); fh.flush(); os._exit(9)\n"
        f"io.atomic_write({str(tmp_path / 'r.json')!r}, w)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert proc.returncode == 9
    debris = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(debris) == 1 and not (tmp_path / "r.json").exists()
    rio.write_json(tmp_path / "r.json", {"ok": 1})
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_json_is_deterministic_and_keeps_non_finite_values(tmp_path: Path) -> None:
    import numpy as np

    data = {"b": [1.0, float("inf"), float("nan")], "a": np.float64(-np.inf), "c": np.arange(2)}
    rio.write_json(tmp_path / "x.json", data)
    text = (tmp_path / "x.json").read_text()
    assert text == rio.dumps_json(data) and text.endswith("\n")
    assert json.loads(text) == {"a": "-inf", "b": [1.0, "inf", "nan"], "c": [0, 1]}
    assert list(json.loads(text)) == ["a", "b", "c"]


def test_csv_header_and_rows(tmp_path: Path) -> None:
    rio.write_csv(tmp_path / "t.csv", [{"x": 1, "y": 2.5}, {"x": 3, "y": "a"}])
    assert (tmp_path / "t.csv").read_text() == "x,y\n1,2.5\n3,a\n"
    with pytest.raises(ValueError):
        rio.write_csv(tmp_path / "u.csv", [{"x": 1, "z": 2}], columns=["x"])
    with pytest.raises(ValueError):
        rio.write_csv(tmp_path / "v.csv", [])


def test_one_version_source() -> None:
    from importlib.metadata import version

    assert rdp_theory.__version__ == version("rdp-theory") == rio.package_version()
    prov = rio.provenance()
    assert prov["rdp_theory"] == rdp_theory.__version__ and set(prov) >= {"git_revision", "numpy"}

"""The wheel holds the packages and committed results it needs, and nothing else (issue 14).

The wheel is built from a copy of the *tracked* files (what a clean clone or an sdist holds), with
the build backend already installed (``setuptools`` and ``wheel`` are in the ``test`` extra) and
no build isolation, so the test needs no network.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tracked_files() -> list[str]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [name for name in out.decode().split("\0") if name]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    setuptools = pytest.importorskip("setuptools")
    pytest.importorskip("wheel")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip("the build backend needs setuptools >= 77 (the test extra installs it)")
    src = tmp_path_factory.mktemp("src")
    for name in _tracked_files():
        target = src / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, target)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(out), str(src)],
        check=True, timeout=600, capture_output=True,
    )
    (path,) = out.glob("rdp_theory-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_holds_the_packages_and_nothing_else(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    version = importlib.metadata.version("rdp-theory")
    top = {n.split("/")[0] for n in names}
    assert top == {"rdp_theory", "learned", "figures", f"rdp_theory-{version}.dist-info"}, top
    for marker in ("rdp_theory/py.typed", "learned/py.typed", "rdp_theory/convex/api.py",
                   "rdp_theory/sweeps/api.py", "rdp_theory/cli.py", "figures/__init__.py"):
        assert marker in names, marker
    # nothing of the repository's other trees, no caches
    assert not any(n.startswith(("tests/", "benchmarks/", "docs/", "examples/")) for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_wheel_holds_the_committed_learned_results(wheel: zipfile.ZipFile) -> None:
    """The learned overlay reads learned/results/*.csv and *.json: every committed one ships."""
    names = set(wheel.namelist())
    committed = {
        n for n in _tracked_files()
        if n.startswith("learned/results/") and n.count("/") == 2 and n.endswith((".csv", ".json"))
    }
    assert committed and committed <= names, committed - names


def test_wheel_declares_the_command(wheel: zipfile.ZipFile) -> None:
    version = importlib.metadata.version("rdp-theory")
    entry = wheel.read(f"rdp_theory-{version}.dist-info/entry_points.txt").decode()
    assert "rdp-theory = rdp_theory.cli:main" in entry

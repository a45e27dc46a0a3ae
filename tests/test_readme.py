"""The README's examples run, and its set-up commands are the ones CI uses."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

import rdp_theory as rt

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(), flags=re.S)


@pytest.mark.parametrize("code", _blocks("python"))
def test_readme_python_examples_run(code: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rt.SolverWarning)
        exec(compile(code, str(README), "exec"), {})


def test_readme_starts_with_two_setup_commands() -> None:
    first = _blocks("bash")[0].strip().splitlines()
    assert len(first) == 2
    assert first[0].endswith("python paper_repro.py")
    assert "pytest" in first[1]
    for line in first:
        assert line.startswith("python -m pip install torch==2.13.0 && ")

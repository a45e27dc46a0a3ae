"""Importing the core never pulls in torch, matplotlib or sympy; typing marker shipped."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources


def test_core_import_is_light() -> None:
    code = (
        "import sys, rdp_theory; "
        "bad = [m for m in ('torch', 'matplotlib', 'sympy', 'hypothesis') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_py_typed_is_shipped() -> None:
    assert resources.files("rdp_theory").joinpath("py.typed").is_file()

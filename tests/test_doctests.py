"""The docstring examples of every ``rdp_theory`` module run as written (doctest).

Modules are discovered, not listed, so a new module's examples are checked too. The optional
parts they need (hypothesis for :mod:`rdp_theory.testing`) are in the ``test`` extra.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import rdp_theory

#: Modules not imported here: running ``__main__`` would run the command line.
SKIP = {"rdp_theory.__main__"}
MODULES = sorted(
    {"rdp_theory"}
    | {m.name for m in pkgutil.walk_packages(rdp_theory.__path__, "rdp_theory.")} - SKIP
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_examples_are_found() -> None:
    """The discovery sees the modules with examples (so the test above can fail)."""
    finder = doctest.DocTestFinder()
    counts = {
        name: sum(len(t.examples) for t in finder.find(importlib.import_module(name)))
        for name in ("rdp_theory.testing", "rdp_theory.source", "rdp_theory.convex.api")
    }
    assert all(n > 0 for n in counts.values()), counts
    assert {"rdp_theory.testing", "rdp_theory.cli", "rdp_theory.convex.api"} <= set(MODULES)

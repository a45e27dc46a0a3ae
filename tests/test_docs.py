"""The documentation's examples run, and its API reference covers the public names.

The site itself is built by CI with warnings as errors (``.ci/run``: ``sphinx -W``, gallery
included); these checks need no Sphinx.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

import rdp_theory as rt

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted([DOCS / "index.md", *(DOCS / "guide").glob("*.md")])


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_guide_python_blocks_run(page: Path) -> None:
    """Each page's ``python`` blocks run in order in one namespace, as a reader would."""
    namespace: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rt.SolverWarning)
        for code in _python_blocks(page):
            exec(compile(code, str(page), "exec"), namespace)


def test_guide_has_examples() -> None:
    assert sum(len(_python_blocks(p)) for p in PAGES) >= 8


def test_api_reference_lists_every_public_name() -> None:
    text = (DOCS / "api" / "index.rst").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\.\. auto\w+:: (?:rdp_theory\.)?(\w+)", text, flags=re.M))
    assert set(rt.__all__) - documented == set()


def test_every_gallery_example_is_a_plot_script() -> None:
    """sphinx-gallery runs ``examples/plot_*.py``; each starts with its title docstring."""
    scripts = sorted((DOCS.parent / "examples").glob("*.py"))
    assert len(scripts) >= 3
    for script in scripts:
        assert script.name.startswith("plot_"), script
        assert script.read_text(encoding="utf-8").startswith('"""\n'), script

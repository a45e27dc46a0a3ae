"""Sphinx configuration of the rdp-theory documentation.

Build (warnings are errors, as in CI)::

    python -m pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

Pages are Markdown (MyST, ``$...$`` maths) or reStructuredText; the API reference is generated
from the numpydoc docstrings; the gallery runs every script in ``examples/`` (sphinx-gallery).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # figures/ and an uninstalled checkout
os.environ.setdefault("MPLBACKEND", "Agg")

import rdp_theory  # noqa: E402

project = "rdp-theory"
author = "rdp-theory contributors"
copyright = "2026, rdp-theory contributors"
release = rdp_theory.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**/README.md", "learned_tables.md", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "auto_examples/*.codeobj.json"]

# -- MyST: $...$ and $$...$$ maths, heading anchors for cross-page links --------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

# -- autodoc + numpydoc ------------------------------------------------------------------------------
autodoc_typehints = "none"  # the numpydoc sections state the types; signatures stay readable
autodoc_member_order = "bysource"
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# -- sphinx-gallery: every examples/plot_*.py runs at build time (a few seconds in all) ---------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "plot_gallery": "True",
    "within_subsection_order": "FileNameSortKey",
    "show_signature": False,
}

# -- HTML ----------------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"rdp-theory {release}"
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path: list[str] = []
html_show_sourcelink = False


# -- pages that may not exist yet ---------------------------------------------------------------------
def _optional_pages(app: object, docname: str, source: list[str]) -> None:
    """A toctree entry ``optional:NAME`` in index.md lists ``NAME`` when ``docs/NAME.md`` exists
    and nothing otherwise (a missing page would be a warning, an error under ``-W``)."""
    if docname != "index":
        return
    lines = []
    for line in source[0].splitlines(keepends=True):
        if line.startswith("optional:"):
            name = line.strip().removeprefix("optional:")
            if not (Path(__file__).parent / f"{name}.md").is_file():
                continue
            line = name + "\n"
        lines.append(line)
    source[0] = "".join(lines)


def setup(app: object) -> None:
    app.connect("source-read", _optional_pages)  # type: ignore[attr-defined]


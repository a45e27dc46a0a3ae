"""Writing a figure's files as one set: ``NAME.png``, ``NAME.pdf``, ``NAME.csv``, ``NAME.json``.

The rule (what a reader may rely on): **a set is complete if and only if ``NAME.json`` exists.**
:func:`write_figure_set` gets all four contents already rendered in memory (so a drawing error
touches no file), removes ``NAME.json`` first, writes PNG, PDF and CSV, and writes ``NAME.json``
last. Each file goes through :func:`rdp_theory.io.atomic_write_bytes` (never half a file). A run
killed or failing anywhere in between therefore leaves no ``NAME.json``: the files present are not
presented as a complete set, even when an earlier run's set was there (its JSON is gone before any
of its other files is replaced).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from rdp_theory.io import atomic_write_bytes, dumps_json

from ._common import FigureData

__all__ = ["MARKER_SUFFIX", "SUFFIXES", "figure_files", "render", "write_figure_set"]

#: The files of a set, in writing order; the last one marks the set complete.
SUFFIXES: tuple[str, ...] = ("png", "pdf", "csv", "json")
MARKER_SUFFIX = SUFFIXES[-1]


def render(fig: Figure, fmt: str) -> bytes:
    """``fig`` as ``fmt`` (``"png"`` or ``"pdf"``) bytes at 200 dpi.

    PDF metadata carry no creation date, so PDFs are reproducible too.
    """
    buf = io.BytesIO()
    meta: Mapping[str, Any] = {"CreationDate": None} if fmt == "pdf" else {}
    fig.savefig(buf, format=fmt, dpi=200, metadata=dict(meta))
    return buf.getvalue()


def figure_files(data: FigureData, fig: Figure, meta: Mapping[str, Any]) -> dict[str, bytes]:
    """The contents of a set, by suffix (in :data:`SUFFIXES` order): the rendered figure, the
    table as CSV and ``meta`` as JSON (:func:`rdp_theory.io.dumps_json`)."""
    return {
        "png": render(fig, "png"),
        "pdf": render(fig, "pdf"),
        "csv": data.table.to_csv().encode("utf-8"),
        "json": dumps_json(meta).encode("utf-8"),
    }


def write_figure_set(out: Path, name: str, files: Mapping[str, bytes]) -> list[Path]:
    """Write ``out/NAME.SUFFIX`` for every suffix of :data:`SUFFIXES`, JSON last (module rule).

    Parameters
    ----------
    out : Path
        Output folder (created if missing).
    name : str
        File stem.
    files : mapping of str to bytes
        Content per suffix; exactly the suffixes of :data:`SUFFIXES`.

    Returns
    -------
    list of Path
        The files written, in order.
    """
    if set(files) != set(SUFFIXES):
        raise ValueError(f"a figure set needs exactly {SUFFIXES}, got {tuple(files)}")
    out = Path(out)
    (out / f"{name}.{MARKER_SUFFIX}").unlink(missing_ok=True)
    return [atomic_write_bytes(out / f"{name}.{suffix}", files[suffix]) for suffix in SUFFIXES]

"""What every figure module shares: the run options, the tidy table and the figure's data.

A figure module's ``compute(config)`` returns :class:`FigureData` (a :class:`Table` of every
plotted number, the parameters, a title and a caption); its ``draw(data)`` reads only that table.
So the CSV written beside each figure is exactly what the figure shows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

import rdp_theory as rt

__all__ = [
    "DEFAULT_SOURCE",
    "LEXICOGRAPHIC",
    "REPO_ROOT",
    "FigureData",
    "Objective",
    "RunConfig",
    "Table",
    "format_cell",
    "objective_label",
    "rate_columns",
    "source_caption",
    "source_params",
    "table_columns",
]

FloatArray = NDArray[np.float64]
Objective = str | tuple[float, ...]

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The issue's default source: sigma = 1, rho = 0.9, T = 3.
DEFAULT_SOURCE = rt.GaussMarkovSource.stationary(T=3, sigma=1.0, rho=0.9)
LEXICOGRAPHIC = "lexicographic"


@dataclass(frozen=True)
class RunConfig:
    """Options shared by every compute function.

    Attributes
    ----------
    quick : bool
        Small grids (tests, smoke runs).
    jobs : int
        joblib workers for SDP sweeps.
    learned_dir : Path
        Where the learned-codec results are read from.
    """

    quick: bool = False
    jobs: int = 1
    learned_dir: Path = field(default_factory=lambda: REPO_ROOT / "learned" / "results")


# ----------------------------------------------------------------------------- tidy table
def rate_columns(T: int) -> tuple[str, ...]:
    """``("R_1", ..., "R_T")``."""
    return tuple(f"R_{j}" for j in range(1, T + 1))


def table_columns(T: int) -> tuple[str, ...]:
    """Column names of every figure table for a ``T``-frame source.

    ``panel``/``series`` locate the row in the figure; ``plf`` in {jd, fmd, sa, mse, learned};
    ``method`` is ``closed_form``, ``sdp``, ``closed_form+operational_rates`` or ``learned``;
    ``objective`` is ``lexicographic`` or ``weights:w1;w2;...``; ``representation`` is
    ``optimal`` or ``mse``; ``frame`` is 1-based; ``R_1..R_T`` are the information rates and ``P``
    the perception level of every frame (``inf`` = unconstrained); ``x`` is the plotted abscissa;
    ``quantity`` names ``value``.
    """
    return ("panel", "series", "plf", "method", "objective", "representation", "frame",
            *rate_columns(T), "P", "x", "quantity", "value")


def format_cell(value: object) -> str:
    """Deterministic text for one CSV cell: floats via ``repr`` (shortest round-trip form)."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)


@dataclass
class Table:
    """A tidy table: column names and rows (one observation per row).

    Attributes
    ----------
    columns : tuple of str
    rows : list of tuple
    """

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def add(self, **cells: Any) -> None:
        """Append a row given by column name; every column must be given."""
        missing = set(self.columns) - set(cells)
        extra = set(cells) - set(self.columns)
        if missing or extra:
            raise KeyError(f"row cells mismatch: missing {sorted(missing)}, extra {sorted(extra)}")
        self.rows.append(tuple(cells[c] for c in self.columns))

    def add_frames(self, *, frames: Iterable[int], values: ArrayLike, **cells: Any) -> None:
        """Append one row per frame; ``values[i]`` belongs to ``frames[i]``."""
        vals = np.asarray(values, dtype=float).reshape(-1)
        fr = list(frames)
        if vals.size != len(fr):
            raise ValueError(f"{vals.size} values for {len(fr)} frames")
        for f, v in zip(fr, vals):
            self.add(frame=int(f), value=float(v), **cells)

    def select(self, column: str, **where: Any) -> list[Any]:
        """Values of ``column`` in the rows matching every ``where`` condition, in row order."""
        idx = {c: i for i, c in enumerate(self.columns)}
        out = []
        for row in self.rows:
            if all(row[idx[k]] == v for k, v in where.items()):
                out.append(row[idx[column]])
        return out

    def array(self, **where: Any) -> FloatArray:
        """``value`` of the matching rows as a float array."""
        return np.asarray(self.select("value", **where), dtype=float)

    def to_csv(self) -> str:
        """Deterministic CSV text (``\\n`` line ends, ``repr`` floats)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.columns)
        for row in self.rows:
            w.writerow([format_cell(v) for v in row])
        return buf.getvalue()


@dataclass
class FigureData:
    """What a figure's compute function returns.

    Attributes
    ----------
    table : Table
        Every plotted number.
    params : dict
        JSON-serialisable parameters (source, grids, objectives).
    title : str
        Figure title, with the source parameters.
    caption : str
        One or two sentences on what the figure shows.
    """

    table: Table
    params: dict[str, Any]
    title: str
    caption: str


def source_caption(src: rt.GaussMarkovSource) -> str:
    """Short text naming the source parameters, e.g. ``"σ = 1, ρ = 0.9, T = 3"``."""
    sig = sorted(set(src.sigmas))
    rho = sorted(set(src.rhos))
    s = f"{sig[0]:g}" if len(sig) == 1 else str(list(src.sigmas))
    r = f"{rho[0]:g}" if len(rho) == 1 else str(list(src.rhos))
    return f"σ = {s}, ρ = {r}, T = {src.T}"


def source_params(src: rt.GaussMarkovSource) -> dict[str, Any]:
    """JSON form of a source."""
    return {"sigmas": list(src.sigmas), "rhos": list(src.rhos), "T": src.T}


def objective_label(objective: Objective) -> str:
    """``"lexicographic"`` or ``"weights:w1;w2;..."`` (``repr`` floats)."""
    if isinstance(objective, str):
        return objective
    return "weights:" + ";".join(format_cell(float(w)) for w in objective)

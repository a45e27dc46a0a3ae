"""Shared machinery of the figure catalogue: the tidy table, library evaluation, parallel sweeps,
atomic file output.

Every number that ends up in a figure is produced by :func:`sequence_distortions` or
:func:`solve_points`, which only call the public :mod:`rdp_theory` API (closed forms where the
theory gives one, :func:`rdp_theory.solve_rdp` otherwise) and record which one was used in the
``method`` column.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

import rdp_theory as rt

__all__ = [
    "DEFAULT_SOURCE",
    "LEXICOGRAPHIC",
    "FigureData",
    "Objective",
    "SolvedPoint",
    "Table",
    "atomic_write_bytes",
    "atomic_write_text",
    "format_cell",
    "git_revision",
    "objective_label",
    "pmap",
    "rate_columns",
    "sequence_distortions",
    "solve_points",
    "source_caption",
]

FloatArray = NDArray[np.float64]
Objective = str | tuple[float, ...]
T_ = TypeVar("T_")
U_ = TypeVar("U_")

#: The issue's default source: sigma = 1, rho = 0.9, T = 3.
DEFAULT_SOURCE = rt.GaussMarkovSource.stationary(T=3, sigma=1.0, rho=0.9)
LEXICOGRAPHIC = "lexicographic"


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


def json_float(x: float) -> float | str:
    """JSON cannot hold ``inf``: write it as the string ``"inf"``."""
    return str(x) if not math.isfinite(x) else float(x)


# ----------------------------------------------------------------------------- evaluation
def sequence_distortions(
    src: rt.GaussMarkovSource, rates: Sequence[float], perception: float, plf: str
) -> tuple[FloatArray, str]:
    """Per-frame distortions at the lexicographic optimum from a closed form, if one exists.

    Parameters
    ----------
    src : GaussMarkovSource
    rates : sequence of float, length T
    perception : float
        The same W2^2 level for every frame (``inf`` for ``plf="mse"``).
    plf : {"mse", "fmd", "jd"}
        ``"jd"`` only at ``perception == 0`` (the closed form of THEORY.md section 4).

    Returns
    -------
    (ndarray of shape (T,), str)
        Distortions and the method name (``"closed_form"``).

    Raises
    ------
    ValueError
        Where the theory has no closed form (use :func:`solve_points`).
    """
    r = np.asarray(rates, dtype=float)
    if plf == "mse":
        return np.asarray(rt.mmse_distortions(src, r), dtype=float), "closed_form"
    if plf == "fmd":
        return np.asarray(rt.fmd_distortions(src, r, perception), dtype=float), "closed_form"
    if plf == "jd" and perception == 0.0:
        return np.asarray(rt.jd_zero_perception_distortions(src, r), dtype=float), "closed_form"
    raise ValueError(f"no closed form for plf={plf!r} at perception={perception!r}")


class SolvedPoint(NamedTuple):
    """The parts of an :func:`rdp_theory.solve_rdp` solution that figures use (picklable).

    A failed solve (:class:`rdp_theory.SolverError`) gives NaN arrays and ``failed=True``: the
    figure shows a gap there, and no number from a failed solve is ever plotted.
    """

    distortions: FloatArray
    perception_values: FloatArray
    reconstruction_covariance: FloatArray
    reconstruction_correlations: FloatArray  # corr(Xhat_j, Xhat_{j+1}), from the library
    warnings: int
    failed: bool


class PointSpec(NamedTuple):
    """Hashable arguments of one :func:`rdp_theory.solve_rdp` call."""

    source: rt.GaussMarkovSource
    rates: tuple[float, ...]
    perception: float
    plf: str
    objective: Objective
    representation: str


_CACHE: dict[PointSpec, SolvedPoint] = {}
_STATS: dict[str, int] = {"solves": 0, "solver_warnings": 0, "failed": 0}


def take_stats() -> dict[str, int]:
    """SDP solves, solver warnings and failed solves since the last call (then reset)."""
    out = dict(_STATS)
    for k in _STATS:
        _STATS[k] = 0
    return out


def _solve_one(spec: PointSpec) -> SolvedPoint:
    T = spec.source.T
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            sol = rt.solve_rdp(
                spec.source,
                np.asarray(spec.rates, dtype=float),
                spec.perception,
                plf=spec.plf,
                objective=spec.objective if isinstance(spec.objective, str)
                else np.asarray(spec.objective, dtype=float),
                representation=spec.representation,
            )
        except rt.SolverError:
            nan = np.full(T, np.nan)
            return SolvedPoint(
                nan, nan.copy(), np.full((T, T), np.nan), np.full(T - 1, np.nan), len(caught), True
            )
    n_warn = sum(issubclass(w.category, rt.SolverWarning) for w in caught)
    return SolvedPoint(
        np.array(sol.distortions, dtype=float),
        np.array(sol.perception_values, dtype=float),
        np.array(sol.reconstruction_covariance, dtype=float),
        np.array(sol.reconstruction_correlations(), dtype=float),
        int(n_warn),
        False,
    )


def pmap(func: Callable[[T_], U_], items: Sequence[T_], jobs: int) -> list[U_]:
    """``[func(x) for x in items]``, in parallel with joblib when ``jobs > 1`` (order kept)."""
    if jobs <= 1 or len(items) <= 1:
        return [func(x) for x in items]
    from joblib import Parallel, delayed

    return list(Parallel(n_jobs=jobs)(delayed(func)(x) for x in items))


def solve_points(specs: Sequence[PointSpec], jobs: int = 1) -> list[SolvedPoint]:
    """Solve many SDP points (memoised for the process; missing ones in parallel).

    Parameters
    ----------
    specs : sequence of PointSpec
    jobs : int
        joblib workers for the points not yet cached.

    Returns
    -------
    list of SolvedPoint, in the order of ``specs``
    """
    todo = list(dict.fromkeys(s for s in specs if s not in _CACHE))
    for spec, sol in zip(todo, pmap(_solve_one, todo, jobs)):
        _CACHE[spec] = sol
        _STATS["solves"] += 1
        _STATS["solver_warnings"] += sol.warnings
        _STATS["failed"] += int(sol.failed)
    return [_CACHE[s] for s in specs]


def clear_cache() -> None:
    """Forget memoised SDP solutions."""
    _CACHE.clear()


# ----------------------------------------------------------------------------- output
def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file in the same directory, fsync,
    then :func:`os.replace` (an interrupted run never leaves a half-written file there)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def save_figure(fig: Any, path: Path, fmt: str) -> None:
    """Render ``fig`` as ``fmt`` (``"png"`` or ``"pdf"``) and write it atomically.

    PDF metadata carry no creation date, so PDFs are reproducible too.
    """
    buf = io.BytesIO()
    meta: Mapping[str, Any] = {"CreationDate": None} if fmt == "pdf" else {}
    fig.savefig(buf, format=fmt, dpi=200, metadata=dict(meta))
    atomic_write_bytes(path, buf.getvalue())


def git_revision(repo: Path) -> str:
    """``git rev-parse HEAD`` in ``repo``, or ``"unknown"``."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                             text=True, timeout=10, check=True)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def dumps_json(obj: Mapping[str, Any]) -> str:
    """Deterministic JSON text (sorted keys, 2-space indent, trailing newline)."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"

"""The strict reader of the learned codec's E1 results (``learned/results/e1_points.csv``).

The columns are declared once, in :mod:`learned.schema` (:data:`~learned.schema.GAUSS_MARKOV_POINTS`),
and the experiments write through the same table; this module reads through it and nothing else.
A file that does not follow the table (a missing, renamed or unexpected column, a cell that does
not parse) raises :class:`learned.schema.ResultFileError` naming the file and the column; no
column aliases are guessed and no rows are skipped silently. The source the points refer to is
read from the JSON the run wrote beside the CSV (``e1_config.json``: its ``source`` object with
``sigmas``, ``rhos``, ``T``); a malformed JSON raises the same error. Torch-free.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import rdp_theory as rt
from learned.schema import (
    BASELINE_POINTS,
    GAUSS_MARKOV_POINTS,
    RUN_FILES,
    ResultFileError,
    read_table,
)

__all__ = [
    "BaselinePoint",
    "LearnedPoint",
    "ResultFileError",
    "find_results",
    "read_baselines",
    "read_points",
]

#: The file the overlay draws, and its baselines.
RESULT_FILE = "e1_points.csv"
BASELINE_FILE = "e1_baselines.csv"


@dataclass(frozen=True)
class LearnedPoint:
    """One empirical point of the learned codec for one frame.

    Attributes
    ----------
    frame : int
        1-based frame number.
    rate : float
        Rate of that frame, bits/sample (column ``rate_bits``).
    distortion : float
        Empirical MSE of that frame (column ``distortion``).
    plf : str
        The decoder's PLF (``jd``, ``fmd``, ``sa``) or ``mse``.
    variant : str
        Training variant: ``mse``, ``universal`` (frozen MSE encoder) or ``e2e``.
    perception : float
        The decoder's own PLF's Gaussian-fit W2^2 (column ``perception``).
    source_file : str
        File name it came from.
    rate_point, scenario, lam, distortion_se, bound_plf, bound_best :
        The columns of the same names (the bounds at the decoder's own measured rates and
        perception).
    """

    frame: int
    rate: float
    distortion: float
    plf: str
    variant: str
    perception: float
    source_file: str
    rate_point: int = 0
    scenario: str = "equal"
    lam: float = math.nan
    distortion_se: float = math.nan
    bound_plf: float = math.nan
    bound_best: float = math.nan


@dataclass(frozen=True)
class BaselinePoint:
    """One frame of a classical DPCM baseline (``e1_baselines.csv``)."""

    frame: int
    rate: float
    distortion: float
    baseline: str
    rate_point: int
    scenario: str
    bound_mse: float


def find_results(directory: Path) -> list[Path]:
    """``[directory / "e1_points.csv"]`` when that file exists, else ``[]`` (no overlay)."""
    path = Path(directory) / RESULT_FILE
    return [path] if path.is_file() else []


def _source_of(csv_path: Path) -> rt.GaussMarkovSource | None:
    """The source named by the run's JSON beside ``csv_path``; ``None`` when there is no JSON."""
    js = csv_path.parent / RUN_FILES.get(csv_path.name, "e1_config.json")
    if not js.is_file():
        return None
    try:
        src = json.loads(js.read_text(encoding="utf-8"))["source"]
        return rt.GaussMarkovSource(tuple(src["sigmas"]), tuple(src["rhos"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ResultFileError(
            f"{js}: no valid 'source' object with 'sigmas' and 'rhos' ({type(exc).__name__}: "
            f"{exc})"
        ) from exc


def read_points(
    files: Sequence[Path], default_source: rt.GaussMarkovSource
) -> tuple[list[LearnedPoint], rt.GaussMarkovSource]:
    """Read every file strictly; return the points and the source they refer to.

    Parameters
    ----------
    files : sequence of Path
        CSV files following :data:`learned.schema.GAUSS_MARKOV_POINTS`, e.g. from
        :func:`find_results`.
    default_source : GaussMarkovSource
        Used when no file has its run's JSON beside it.

    Returns
    -------
    (list of LearnedPoint, GaussMarkovSource)
        One point per row with a finite rate and distortion (a lossless frame has no place on a
        rate axis).

    Raises
    ------
    ResultFileError
        A file or its JSON does not follow the schema (the message names file and column), or
        two files name different sources.
    """
    points: list[LearnedPoint] = []
    source: rt.GaussMarkovSource | None = None
    for path in map(Path, files):
        rows = read_table(path, GAUSS_MARKOV_POINTS)
        own = _source_of(path)
        if own is not None and source is not None and own != source:
            raise ResultFileError(f"{path}: its source {own} differs from {source} of the others")
        source = source or own
        for r in rows:
            if math.isfinite(r["rate_bits"]) and math.isfinite(r["distortion"]):
                points.append(
                    LearnedPoint(r["frame"], r["rate_bits"], r["distortion"], r["plf"],
                                 r["variant"], r["perception"], path.name, r["rate_point"],
                                 r["scenario"], r["lam"], r["distortion_se"], r["bound_plf"],
                                 r["bound_best"])
                )  # fmt: skip
    return points, (source or default_source)


def read_baselines(directory: Path) -> list[BaselinePoint]:
    """The baseline rows of ``directory / "e1_baselines.csv"`` (``[]`` when there is none)."""
    path = Path(directory) / BASELINE_FILE
    if not path.is_file():
        return []
    return [
        BaselinePoint(r["frame"], r["rate_bits"], r["distortion"], r["baseline"],
                      r["rate_point"], r["scenario"], r["bound_mse"])  # fmt: skip
        for r in read_table(path, BASELINE_POINTS)
    ]

"""The columns of the learned experiments' result files, declared once, and their strict reader.

The experiments (:mod:`learned.experiments`) write their CSV files through these tables and the
figures' overlay (``figures/learned_results.py``) reads them through :func:`read_table`, so a
column is added, renamed or retyped here and nowhere else. Reading is strict: the header must be
exactly the declared columns, in order, and every cell must parse as its column's kind; anything
else raises :class:`ResultFileError` naming the file and the column (no guessed aliases, no rows
skipped). Torch-free (only the standard library and :mod:`rdp_theory.exceptions`).

=====================  ============================  ==========================================
file                   table                          one row per
=====================  ============================  ==========================================
``e1_points.csv``      :data:`GAUSS_MARKOV_POINTS`    rate point x variant x PLF x lam x frame
``e1_baselines.csv``   :data:`BASELINE_POINTS`        rate point x baseline x frame
``e1_universality.csv`` :data:`UNIVERSALITY_POINTS`   PLF x frozen-encoder weight (lam sweep)
``e3_points.csv``      :data:`GAUSS_MARKOV_POINTS`    the same (E3 sweeps lam)
``e2_frames.csv``      :data:`DIGITS_FRAMES`          scenario x decoder x frame
=====================  ============================  ==========================================
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdp_theory.exceptions import RDPError

__all__ = [
    "DIGITS_FRAMES",
    "FILES",
    "BASELINE_POINTS",
    "GAUSS_MARKOV_POINTS",
    "UNIVERSALITY_POINTS",
    "RUN_FILES",
    "Column",
    "ResultFileError",
    "Table",
    "read_table",
    "schema_for",
]

KINDS = ("int", "float", "str", "bool")


class ResultFileError(RDPError, ValueError):
    """A result file does not follow its declared table (the message names file and column)."""


@dataclass(frozen=True)
class Column:
    """One column: its name, the kind of its cells and what it holds."""

    name: str
    kind: str
    doc: str = ""

    def parse(self, text: str) -> Any:
        """The value of one cell (``ValueError`` when it is not of this column's kind)."""
        if self.kind == "str":
            return text
        if self.kind == "int":
            return int(text)
        if self.kind == "float":
            return float(text)  # "nan", "inf", "-inf" included: the writers use them
        if text not in ("True", "False"):
            raise ValueError(f"not a bool: {text!r}")
        return text == "True"


@dataclass(frozen=True)
class Table:
    """The ordered columns of one kind of result file."""

    name: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def check_rows(self, rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """``rows`` as a list, after checking that each has exactly this table's columns
        (``ValueError`` otherwise: a writer bug, caught before a file is written)."""
        out = list(rows)
        want = set(self.names)
        for i, r in enumerate(out):
            if set(r) != want:
                missing, extra = sorted(want - set(r)), sorted(set(r) - want)
                raise ValueError(
                    f"row {i} does not match table {self.name!r}: missing {missing}, "
                    f"unexpected {extra}"
                )
        return out


def _cols(*spec: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in spec)


#: E1 and E3 (Gauss-Markov source, ``n`` i.i.d. coordinates per frame): learned points and bounds.
GAUSS_MARKOV_POINTS = Table(
    "gauss_markov_points",
    _cols(
        ("rate_point", "int", "index into the config's rate points"),
        ("scenario", "str", "'equal' (R, R, R), 'eps_first' (eps, R, R) or 'custom'"),
        ("coding", "str", "'fixed' (fixed-length code) or 'entropy' (range-coded bitstream)"),
        ("variant", "str", "'mse', 'universal' (frozen MSE encoder) or 'e2e'"),
        ("plf", "str", "'mse' or a PLF name of rdp_theory.perception.PLF_NAMES"),
        ("lam", "float", "perception weight; nan for the MSE codec"),
        ("frame", "int", "1-based frame number"),
        ("rate_target", "float", "the frame's target (entropy) or fixed-length rate, bits/sample"),
        ("rate_bits", "float", "rate of the frame, bits per sample (entropy: the bitstream's)"),
        ("rate_estimate", "float", "entropy: the prior's code length, bits/sample (else = rate)"),
        ("distortion", "float", "MSE per sample on the held-out set"),
        ("distortion_se", "float", "standard error of distortion over sequences"),
        ("perception_fmd", "float", "Gaussian-fit W2^2 under PLF-FMD"),
        ("perception_jd", "float", "Gaussian-fit W2^2 under PLF-JD"),
        ("perception_sa", "float", "Gaussian-fit W2^2 under PLF-SA"),
        ("perception", "float", "the decoder's own PLF's perception (FMD for the MSE codec)"),
        ("critic_w1", "float", "the training critic's W1 estimate; nan for the MSE codec"),
        ("bound_fmd", "float", "information bound under FMD at the measured perception"),
        ("bound_plf", "float", "bound under the decoder's own PLF; nan when unavailable"),
        ("bound_best", "float", "the larger of the valid bounds"),
        ("db_to_bound", "float", "10 log10(distortion / bound_best)"),
        ("below_bound", "bool", "distortion significantly below bound_best (a bug if True)"),
        ("train_steps", "int", "training steps of the decoder's last stage"),
        ("bound_plf_source", "str", "how bound_plf was obtained"),
    ),
)

#: E1's classical baselines (closed-loop DPCM, :mod:`learned.baselines`) at E1's target rates.
BASELINE_POINTS = Table(
    "baseline_points",
    _cols(
        ("rate_point", "int", "the E1 rate point whose target rates were matched"),
        ("scenario", "str", "as in gauss_markov_points"),
        ("baseline", "str", "'dpcm-lloyd-max' (fixed rate) or 'dpcm-ecsq' (entropy coded)"),
        ("frame", "int", "1-based frame number"),
        ("rate_target", "float", "the frame's target rate, bits per sample"),
        ("rate_bits", "float", "rate spent: b bits (Lloyd-Max) or the bitstream's, side info incl."),
        ("step", "float", "ECSQ quantiser step (nan for Lloyd-Max)"),
        ("distortion", "float", "MSE per sample"),
        ("distortion_se", "float", "standard error of distortion"),
        ("bound_mse", "float", "the MMSE (P = inf) bound at rate_bits of frames 1..T"),
        ("db_to_bound", "float", "10 log10(distortion / bound_mse)"),
    ),
)

#: E1's universality comparison (the lam sweep): frozen MSE encoder vs end to end.
UNIVERSALITY_POINTS = Table(
    "universality_points",
    _cols(
        ("rate_point", "int", "the lam sweep's rate point"),
        ("plf", "str", "a PLF name"),
        ("lam", "float", "the frozen-encoder decoder's perception weight"),
        ("perception_total", "float", "its total perception, sum over frames of its PLF's W2^2"),
        ("rate_total_universal", "float", "its total rate (the frozen MSE encoder's), bits"),
        ("rate_total_e2e", "float", "the end-to-end curve's total rate interpolated there, bits"),
        ("distortion_total_universal", "float", "its total distortion, sum over frames"),
        ("distortion_total_e2e", "float", "the end-to-end curve interpolated at the same P"),
        ("gap", "float", "distortion_total_universal - distortion_total_e2e"),
        ("gap_se", "float", "paired standard error of gap (same held-out sequences)"),
        ("lam_e2e_low", "float", "the end-to-end weights bracketing the perception"),
        ("lam_e2e_high", "float", ""),
    ),
)

#: E2 (moving digits, conv codec): per-frame quality, perception and identity measures.
DIGITS_FRAMES = Table(
    "digits_frames",
    _cols(
        ("scenario", "str", "rate scenario, one of configs.E2_SCENARIOS"),
        ("decoder", "str", "'mse' or a PLF name"),
        ("frame", "int", "1-based frame number"),
        ("rate_bits_per_frame", "float", "bits of the frame (inf: lossless)"),
        ("rate_bits", "float", "bits per pixel"),
        ("mse", "float", "MSE per pixel"),
        ("mse_se", "float", "standard error of mse over sequences"),
        ("psnr_db", "float", "PSNR of mse"),
        ("critic_w1_joint", "float", "W1 of a fresh joint (JD) evaluation critic"),
        ("critic_w1_marginal", "float", "W1 of a fresh marginal (FMD) evaluation critic"),
        ("temporal_consistency", "float", "see learned.metrics.temporal_consistency"),
        ("identity_drift", "float", "see learned.metrics.identity_drift"),
        ("identity_drift_se", "float", "its standard error"),
        ("identity_drift_source", "float", "identity drift of the source"),
        ("digit_match", "float", "classifier agreement with the source; nan without classifier"),
        ("digit_match_se", "float", "its standard error"),
        ("digit_kept", "float", "classifier agreement with the frame-1 digit"),
        ("digit_kept_se", "float", "its standard error"),
    ),
)

#: Which table each result file follows, by file name.
FILES: dict[str, Table] = {
    "e1_points.csv": GAUSS_MARKOV_POINTS,
    "e1_baselines.csv": BASELINE_POINTS,
    "e1_universality.csv": UNIVERSALITY_POINTS,
    "e3_points.csv": GAUSS_MARKOV_POINTS,
    "e2_frames.csv": DIGITS_FRAMES,
}


#: The JSON file each run writes next to its CSV (configuration, source, environment).
RUN_FILES: dict[str, str] = {
    "e1_points.csv": "e1_config.json",
    "e1_baselines.csv": "e1_config.json",
    "e1_universality.csv": "e1_config.json",
    "e3_points.csv": "e3_summary.json",
    "e2_frames.csv": "e2_config.json",
}


def schema_for(path: str | os.PathLike[str]) -> Table:
    """The table of a result file, by its name (:data:`FILES`)."""
    name = Path(path).name
    if name not in FILES:
        raise ResultFileError(f"{os.fspath(path)}: not a known result file (one of {sorted(FILES)})")
    return FILES[name]


def read_table(path: str | os.PathLike[str], table: Table | None = None) -> list[dict[str, Any]]:
    """The rows of a result file, each cell parsed as its column's kind.

    Parameters
    ----------
    path : path
        A CSV file written by :mod:`learned.experiments`.
    table : Table, optional
        Default: :func:`schema_for` ``(path)``.

    Raises
    ------
    ResultFileError
        The file cannot be read, its header is not exactly ``table``'s columns in order, or a
        cell does not parse; the message names the file, and the column where one is at fault.
    """
    table = schema_for(path) if table is None else table
    where = os.fspath(path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            body = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ResultFileError(f"{where}: cannot be read as CSV ({exc})") from exc
    if header is None:
        raise ResultFileError(f"{where}: empty file, expected the columns of {table.name!r}")
    if tuple(header) != table.names:
        missing = [c for c in table.names if c not in header]
        extra = [c for c in header if c not in table.names]
        what = (
            f"missing column {missing[0]!r}" if missing
            else f"unexpected column {extra[0]!r}" if extra
            else "columns out of order"
        )
        raise ResultFileError(
            f"{where}: {what} (table {table.name!r} has columns {', '.join(table.names)})"
        )
    rows: list[dict[str, Any]] = []
    for line, cells in enumerate(body, start=2):
        if len(cells) != len(table.columns):
            raise ResultFileError(
                f"{where}, line {line}: {len(cells)} cells, expected {len(table.columns)}"
            )
        row: dict[str, Any] = {}
        for col, text in zip(table.columns, cells):
            try:
                row[col.name] = col.parse(text)
            except ValueError as exc:
                raise ResultFileError(
                    f"{where}, line {line}, column {col.name!r}: {text!r} is not a {col.kind}"
                ) from exc
        rows.append(row)
    return rows

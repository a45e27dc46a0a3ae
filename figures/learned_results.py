"""A tolerant reader for the learned codec's result files (``learned/results/*.csv``).

The learned-codec experiment (E1) writes CSV files of empirical (rate, distortion) points. This
reader does not insist on one exact layout; it accepts

* long files: one row per (point, frame), with a rate column (``rate``, ``rate_bits``,
  ``bits_per_sample``, ``bps``, ``R``), a distortion column (``distortion``, ``mse``, ``D``) and a
  frame column (``frame``, ``j``, ``t``; 1-based, or 0-based when a 0 occurs);
* wide files: one row per point with per-frame columns such as ``R_1``/``rate_1`` and
  ``D_1``/``mse_1``/``distortion_1``;

plus optional ``plf`` (``decoder``, ``loss``, ``perception_loss``), ``variant`` (``training``,
``mode``, ``setting``, ``encoder``) and ``perception`` (``w2``, ``P``) columns, and source
parameters (``sigma``, ``rho``, ``T`` columns, or a JSON file in the same folder with a
``source`` object holding ``sigmas``/``rhos`` or ``sigma``/``rho``/``T``). Rows that cannot be read
are skipped; nothing here raises on a malformed file.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rdp_theory as rt

__all__ = ["LearnedPoint", "find_results", "read_points"]

_RATE = ("rate", "rate_bits", "rate_bits_per_sample", "bits_per_sample", "bps", "r")
_DIST = ("distortion", "mse", "d", "distortion_mse")
_FRAME = ("frame", "j", "t", "frame_index")
_PLF = ("plf", "decoder", "loss", "perception_loss")
_VARIANT = ("variant", "training", "mode", "setting", "encoder")
_PERC = ("perception", "w2", "w2_sq", "perception_w2", "p")
_PREFERRED = ("e1_points.csv", "e1.csv")


@dataclass(frozen=True)
class LearnedPoint:
    """One empirical point of the learned codec for one frame.

    Attributes
    ----------
    frame : int
        1-based frame number.
    rate : float
        Achievable rate of that frame, bits/sample.
    distortion : float
        Empirical MSE of that frame.
    plf : str
        Decoder's PLF key (``jd``, ``fmd``, ``sa``, ``mse`` or as written).
    variant : str
        Training variant (e.g. ``universal``, ``end_to_end``).
    perception : float
        Measured perception (W2^2), NaN when absent.
    source_file : str
        File name it came from.
    """

    frame: int
    rate: float
    distortion: float
    plf: str
    variant: str
    perception: float
    source_file: str


def find_results(directory: Path) -> list[Path]:
    """The result CSVs under ``directory``: ``e1_points.csv`` (or ``e1.csv``) if present, else
    every ``*.csv`` whose name starts with ``e1``, else every ``*.csv``; sorted, possibly empty."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    for name in _PREFERRED:
        if (directory / name).is_file():
            return [directory / name]
    e1 = sorted(directory.glob("e1*.csv"))
    return e1 if e1 else sorted(directory.glob("*.csv"))


def _pick(fields: Mapping[str, str], names: Iterable[str]) -> str | None:
    for n in names:
        if n in fields:
            return fields[n]
    return None


def _float(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _normalise_plf(raw: str) -> str:
    key = raw.strip().lower()
    for k in ("jd", "fmd", "sa", "mse"):
        if key == k or key.startswith(k + "_") or key.endswith("_" + k) or key == f"plf-{k}":
            return k
    return key or "learned"


def _source_from(rows: Sequence[Mapping[str, str]], fields: Mapping[str, str],
                 directory: Path) -> rt.GaussMarkovSource | None:
    sig, rho, tt = (_pick(fields, ("sigma",)), _pick(fields, ("rho",)), _pick(fields, ("t_frames", "n_frames", "num_frames")))
    if sig and rho and rows:
        vals = {(r.get(sig), r.get(rho), r.get(tt) if tt else None) for r in rows}
        if len(vals) == 1:
            s, p, t = vals.pop()
            T = int(_float(t)) if t and math.isfinite(_float(t)) else None
            if T and math.isfinite(_float(s)) and math.isfinite(_float(p)):
                return _safe_source(T, _float(s), _float(p))
    for js in sorted(directory.glob("*.json")):
        try:
            obj = json.loads(js.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        src = obj.get("source") if isinstance(obj, dict) else None
        if not isinstance(src, dict):
            src = obj.get("config", {}).get("source") if isinstance(obj, dict) and isinstance(obj.get("config"), dict) else None
        if isinstance(src, dict):
            try:
                if "sigmas" in src and "rhos" in src:
                    return rt.GaussMarkovSource(tuple(src["sigmas"]), tuple(src["rhos"]))
                if {"sigma", "rho", "T"} <= set(src):
                    return _safe_source(int(src["T"]), float(src["sigma"]), float(src["rho"]))
            except (ValueError, TypeError):
                continue
    return None


def _safe_source(T: int, sigma: float, rho: float) -> rt.GaussMarkovSource | None:
    try:
        return rt.GaussMarkovSource.stationary(T=T, sigma=sigma, rho=rho)
    except ValueError:
        return None


def read_points(
    files: Sequence[Path], default_source: rt.GaussMarkovSource
) -> tuple[list[LearnedPoint], rt.GaussMarkovSource]:
    """Read every file; return the points (finite values only) and the source they refer to.

    Parameters
    ----------
    files : sequence of Path
        CSV files, e.g. from :func:`find_results`.
    default_source : GaussMarkovSource
        Used when the files do not name their source.

    Returns
    -------
    (list of LearnedPoint, GaussMarkovSource)
    """
    points: list[LearnedPoint] = []
    source: rt.GaussMarkovSource | None = None
    for path in files:
        try:
            with open(path, newline="", encoding="utf-8") as fh:
                reader = csv.DictReader(fh)
                rows = list(reader)
                header = reader.fieldnames or []
        except (OSError, UnicodeDecodeError, csv.Error):
            continue
        fields = {h.strip().lower(): h for h in header if h}
        source = source or _source_from(rows, fields, path.parent)
        plf_c, var_c, perc_c = _pick(fields, _PLF), _pick(fields, _VARIANT), _pick(fields, _PERC)
        rate_c, dist_c, frame_c = _pick(fields, _RATE), _pick(fields, _DIST), _pick(fields, _FRAME)
        wide: dict[int, tuple[str, str]] = {}
        for low, orig in fields.items():
            m = re.fullmatch(r"(d|mse|distortion)_(\d+)", low)
            if m:
                j = int(m.group(2))
                rate_orig = _pick(fields, (f"r_{j}", f"rate_{j}", f"rate_bits_{j}"))
                if rate_orig:
                    wide[j] = (rate_orig, orig)
        zero_based = bool(frame_c) and any(r.get(frame_c or "", "").strip() == "0" for r in rows)
        for row in rows:
            plf = _normalise_plf(row.get(plf_c, "") if plf_c else "")
            variant = (row.get(var_c, "") if var_c else "").strip() or "learned"
            perc = _float(row.get(perc_c)) if perc_c else math.nan
            entries: list[tuple[int, float, float]] = []
            if rate_c and dist_c and frame_c:
                f = _float(row.get(frame_c))
                if math.isfinite(f):
                    entries.append((int(f) + (1 if zero_based else 0), _float(row.get(rate_c)),
                                    _float(row.get(dist_c))))
            elif wide:
                for j, (rc, dc) in sorted(wide.items()):
                    entries.append((j, _float(row.get(rc)), _float(row.get(dc))))
            for frame, rate, dist in entries:
                if frame >= 1 and math.isfinite(rate) and math.isfinite(dist):
                    points.append(LearnedPoint(frame, rate, dist, plf, variant, perc, path.name))
    return points, (source or default_source)

"""The resumable store of a sweep: a zarr group holding the solver points' results by chunk.

Why zarr: it is chunked by design, so one chunk of solver points is one file per array, written
as the chunk completes (no rewrite of a growing file, as netCDF or Parquet would need); zarr-python
(3.1.3 and later) writes every file to a temporary name and renames it into place, so a killed
process leaves each file old or new, never torn; and the store is an ordinary zarr group that
any zarr reader opens.

Layout (``FORMAT`` 1)::

    store.zarr/
      zarr.json           attributes["rdp_theory_sweep"]: format, fingerprint, layout, provenance
      values/             (M, 3T + 4) float64, chunks (C, 3T + 4)    packed results (._results)
      codes/              (M, 3) int16, chunks (C, 3)                status, solver, attempts
      done/               (ceil(M / C),) uint8, chunks (1,)          1 once chunk k is written

``M`` solver points in the order of :func:`._solve.plan`, ``C`` points per chunk. A chunk's
``values`` and ``codes`` are written first and its ``done`` flag last, so a flag is never set
for a chunk whose data is incomplete: a sweep killed at any moment resumes by recomputing only
the chunks not flagged. Closed-form points are not stored (they are recomputed, vectorised, in
a fraction of a second). The store is created in a temporary folder and renamed into place, so
a half-created store never exists.

A path that holds anything else (not a zarr group, a group without our attribute, another
sweep's store (the fingerprint covers the perception measure and the KL order too), another package version's, or a chunk that cannot be read) is refused with a
:class:`~rdp_theory.exceptions.SweepStoreError`; nothing in it is changed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..exceptions import MissingDependencyError, SweepStoreError
from ..io import package_version, provenance
from ._results import STATUS_LABELS, columns

__all__ = ["ProgressStore", "FORMAT", "ATTRIBUTE"]

FORMAT = 1
ATTRIBUTE = "rdp_theory_sweep"


def _zarr() -> Any:
    try:
        import zarr
    except ImportError as exc:  # pragma: no cover - zarr is in the sweep and test extras
        raise MissingDependencyError(
            "store= needs zarr (>= 3.1.3): pip install 'rdp-theory[sweep]'"
        ) from exc
    return zarr


class ProgressStore:
    """The store at ``path`` for a sweep with ``M`` solver points of ``T`` frames in chunks of
    ``C``, identified by ``fingerprint`` (module docstring). Opening validates it."""

    def __init__(self, path: Path, fingerprint: str, M: int, T: int, C: int, summary: dict[str, Any]) -> None:
        self.path = path
        self.M, self.T, self.C = M, T, C
        self.n_chunks = -(-M // C) if M else 0
        self.layout = {"points": M, "frames": T, "chunk": C, "columns": columns(T)}
        zarr = _zarr()
        if path.exists() and not (path.is_dir() and not any(path.iterdir())):
            self.group = self._open(zarr, fingerprint, summary)
        else:
            self.group = self._create(zarr, fingerprint, summary)

    # ------------------------------------------------------------------ open / create
    def _refuse(self, why: str) -> SweepStoreError:
        return SweepStoreError(f"store {str(self.path)!r} {why}; nothing in it was changed")

    def _open(self, zarr: Any, fingerprint: str, summary: dict[str, Any]) -> Any:
        try:
            group = zarr.open_group(str(self.path), mode="r+")
            meta = dict(group.attrs).get(ATTRIBUTE)
        except Exception as exc:  # noqa: BLE001 - any failure to read it means "not ours"
            raise self._refuse(f"is not a sweep store (not a readable zarr group: {exc})") from exc
        if not isinstance(meta, dict):
            raise self._refuse(f"is not a sweep store (a zarr group without the {ATTRIBUTE!r} attribute)")
        if meta.get("format") != FORMAT:
            raise self._refuse(f"has store format {meta.get('format')!r}, this version reads {FORMAT}")
        if meta.get("package_version") != package_version():
            raise self._refuse(
                f"was written by rdp-theory {meta.get('package_version')!r}, this is "
                f"{package_version()!r}; use a new store (results of two versions are not mixed)"
            )
        if meta.get("fingerprint") != fingerprint:
            raise self._refuse(
                "holds a different sweep (other sources, axes, PLFs, objectives, values or "
                "perception measure): "
                f"it holds {meta.get('summary')}, this call is {summary}; use a new store or the "
                "same call"
            )
        if meta.get("layout") != self.layout:
            raise self._refuse(f"has layout {meta.get('layout')}, expected {self.layout}")
        expected = {
            "values": ((self.M, columns(self.T)), np.dtype("float64")),
            "codes": ((self.M, 3), np.dtype("int16")),
            "done": ((self.n_chunks,), np.dtype("uint8")),
        }
        for name, (shape, dtype) in expected.items():
            try:
                arr = group[name]
                ok = tuple(arr.shape) == shape and np.dtype(arr.dtype) == dtype
            except Exception as exc:  # noqa: BLE001
                raise self._refuse(f"is corrupt: array {name!r} cannot be opened ({exc})") from exc
            if not ok:
                raise self._refuse(
                    f"is corrupt: array {name!r} has shape {tuple(arr.shape)} and dtype {arr.dtype}, "
                    f"expected {shape} and {dtype}"
                )
        return group

    def _create(self, zarr: Any, fingerprint: str, summary: dict[str, Any]) -> Any:
        parent = self.path.parent
        parent.mkdir(parents=True, exist_ok=True)
        tmp = parent / f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            group = zarr.open_group(str(tmp), mode="w-")
            K = columns(self.T)
            group.create_array("values", shape=(self.M, K), chunks=(self.C, K), dtype="float64", fill_value=np.nan)
            group.create_array("codes", shape=(self.M, 3), chunks=(self.C, 3), dtype="int16", fill_value=0)
            group.create_array("done", shape=(self.n_chunks,), chunks=(1,), dtype="uint8", fill_value=0)
            group.attrs[ATTRIBUTE] = {
                "format": FORMAT, "fingerprint": fingerprint, "package_version": package_version(),
                "layout": self.layout, "summary": summary, "status_labels": list(STATUS_LABELS),
                "provenance": provenance(),
            }
            if self.path.exists():  # an empty folder: rename onto it (POSIX replaces it)
                self.path.rmdir()
            os.rename(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                shutil.rmtree(tmp)
            raise
        return zarr.open_group(str(self.path), mode="r+")

    # ------------------------------------------------------------------ chunks
    def completed(self) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.int16]]:
        """The chunks already written, and all ``values`` and ``codes`` (rows of chunks not
        written are NaN / 0). A chunk flagged done whose rows do not hold results is corruption."""
        if self.n_chunks == 0:
            return np.zeros(0, dtype=np.intp), np.zeros((0, columns(self.T))), np.zeros((0, 3), np.int16)
        try:
            done = np.flatnonzero(np.asarray(self.group["done"][:]) == 1)
            values = np.asarray(self.group["values"][:], dtype=np.float64)
            codes = np.asarray(self.group["codes"][:], dtype=np.int16)
        except Exception as exc:  # noqa: BLE001 - a chunk that does not decode
            raise self._refuse(f"is corrupt: a chunk cannot be read ({type(exc).__name__}: {exc})") from exc
        for k in done:
            status = codes[k * self.C:(k + 1) * self.C, 0]
            if not np.isin(status, (1, 2, 3)).all():
                raise self._refuse(f"is corrupt: chunk {k} is marked done but holds no results")
        return done, values, codes

    def write(self, k: int, values: NDArray[np.float64], codes: NDArray[np.int16]) -> None:
        """Write chunk ``k`` (data first, then its done flag: module docstring)."""
        a, b = k * self.C, k * self.C + values.shape[0]
        self.group["values"][a:b] = values
        self.group["codes"][a:b] = codes
        self.group["done"][k] = 1

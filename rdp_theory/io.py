"""Output files: the one atomic writer of the project, deterministic JSON, provenance.

Every file the package, the figures, the learned codec and the benchmarks write goes through
:func:`atomic_write`: the bytes go to a temporary file in the target's folder, are flushed to
disk, get the mode an ordinary ``open`` would give them (``0o666`` less the umask, so ``0644``
under the usual umask ``022``; :func:`tempfile.mkstemp` alone would leave ``0600``), and are moved
into place with :func:`os.replace`. A reader therefore sees the old file or the new one, never
half of one.

A run killed inside a write leaves its temporary file behind. Temporary files are named
``.NAME.PID.RANDOM.tmp``; every write to ``NAME`` first removes the temporaries of ``NAME`` whose
process is gone (:func:`remove_stale_temporaries`), so debris does not accumulate, and a folder
can be swept of all of them at once with the same function.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import platform
import re
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

__all__ = [
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "dumps_json",
    "write_json",
    "write_csv",
    "remove_stale_temporaries",
    "git_revision",
    "package_version",
    "provenance",
]

PathLike = str | os.PathLike[str]

_TMP_RE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp$")


def _umask() -> int:
    """The process umask (read without changing it where the platform allows)."""
    status = Path("/proc/self/status")
    with contextlib.suppress(OSError, ValueError):
        for line in status.read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # portable fallback: read by setting, then restore at once
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    except OSError:
        return False
    return True


def remove_stale_temporaries(folder: PathLike, name: str | None = None) -> list[Path]:
    """Delete temporary files left in ``folder`` by killed writers.

    Parameters
    ----------
    folder : path
        The folder to sweep (not recursive).
    name : str, optional
        Only the temporaries of this target file name; default: every target.

    Returns
    -------
    list of Path
        The files removed. A temporary whose writing process still runs is kept.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _TMP_RE.match(entry.name)
        if m is None or (name is not None and m["name"] != name):
            continue
        if _pid_alive(int(m["pid"])):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def atomic_write(path: PathLike, writer: Callable[[IO[bytes]], object]) -> Path:
    """Call ``writer(fileobj)`` on a temporary file beside ``path``, then move it into place.

    Parameters
    ----------
    path : path
        The target; its folder is created if missing.
    writer : callable
        Writes the content to the binary file object it is given.

    Returns
    -------
    Path
        ``path``. The file has mode ``0o666 & ~umask``. If ``writer`` raises (or the process is
        interrupted), the target keeps its previous content and the temporary file is removed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target.parent, target.name)
    tmp = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def atomic_write_bytes(path: PathLike, data: bytes) -> Path:
    """:func:`atomic_write` of ``data``."""
    return atomic_write(path, lambda fh: fh.write(data))


def atomic_write_text(path: PathLike, text: str) -> Path:
    """:func:`atomic_write` of ``text`` as UTF-8."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _jsonable(obj: Any) -> Any:
    """Plain JSON values; a non-finite float becomes the string ``"inf"``, ``"-inf"`` or ``"nan"``
    (JSON has no such numbers)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "tolist"):  # numpy scalars and arrays
        return _jsonable(obj.tolist())
    return obj


def dumps_json(obj: Any) -> str:
    """Deterministic JSON text: sorted keys, 2-space indent, UTF-8 kept, trailing newline;
    non-finite floats written as strings (see :func:`_jsonable`)."""
    return (
        json.dumps(_jsonable(obj), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
        + "\n"
    )


def write_json(path: PathLike, data: Any) -> Path:
    """Atomically write :func:`dumps_json` of ``data``."""
    return atomic_write_text(path, dumps_json(data))


def write_csv(
    path: PathLike, rows: Sequence[Mapping[str, Any]], columns: Iterable[str] | None = None
) -> Path:
    """Atomically write ``rows`` as CSV (``\\n`` line ends).

    Parameters
    ----------
    path : path
    rows : sequence of mappings
        One mapping per row.
    columns : iterable of str, optional
        The header, in order; default: the keys of the first row. A row with a key outside the
        header raises ``ValueError``.
    """
    cols = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    if not cols:
        raise ValueError("write_csv needs columns or at least one row")
    buf = io.StringIO()
    wr = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    wr.writeheader()
    for r in rows:
        wr.writerow(r)
    return atomic_write_text(path, buf.getvalue())


def package_version() -> str:
    """The installed version of ``rdp-theory`` (from its metadata: the one version source)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rdp-theory")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled checkout
        return "0+unknown"


def git_revision(repo: PathLike | None = None) -> str:
    """``git rev-parse HEAD`` in ``repo`` (default: this package's checkout), or ``"unknown"``."""
    where = Path(repo) if repo is not None else Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10,
            check=True,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(repo: PathLike | None = None) -> dict[str, str]:
    """Where a result came from: package version, git revision, Python, numpy and platform."""
    import numpy as np

    return {
        "rdp_theory": package_version(),
        "git_revision": git_revision(repo),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": platform.platform(),
    }

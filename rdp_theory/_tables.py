"""Readable forms of the result dataclasses: tidy pandas tables and small HTML tables.

pandas is optional (``pip install pandas``, or the ``docs`` extra): it is imported only when a
``to_dataframe()`` is called, and its absence is a :class:`~rdp_theory.exceptions.
MissingDependencyError` naming the install line. The HTML is what Jupyter shows for a result
(``_repr_html_``): a caption and one compact table, every text escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from numpy.typing import ArrayLike

from .exceptions import MissingDependencyError

if TYPE_CHECKING:
    import pandas

__all__ = ["data_frame", "html_table", "number"]


def data_frame(columns: Mapping[str, ArrayLike]) -> pandas.DataFrame:
    """A ``pandas.DataFrame`` with these columns (1-D arrays or lists of one length, in order);
    pandas imported here, lazily."""
    try:
        import pandas as pd
    except ImportError as exc:
        raise MissingDependencyError(
            "to_dataframe() needs pandas, which is not installed: python -m pip install pandas"
        ) from exc
    return pd.DataFrame(dict(columns))


def number(value: float) -> str:
    """A number for a table cell: 6 significant digits, ``inf`` and ``nan`` spelled out."""
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.6g}"


def html_table(
    caption: str, header: Sequence[str], rows: Sequence[tuple[str, Sequence[str]]]
) -> str:
    """One compact HTML table: ``caption`` above, ``header`` cells, then each row as a
    (row label, cells) pair. Every text is HTML-escaped."""
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        f"<tr><th style='text-align:left'>{esc(label)}</th>"
        + "".join(f"<td>{esc(c)}</td>" for c in cells)
        + "</tr>"
        for label, cells in rows
    )
    return (
        "<table style='border-collapse:collapse;font-family:monospace;font-size:90%'>"
        f"<caption style='text-align:left;caption-side:top'>{esc(caption)}</caption>"
        f"<thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>"
    )

"""Row iteration over pandas frames that holds no surprises and costs little.

``DataFrame.itertuples`` reads each column value by value through its array's own
iterator; for the Arrow-backed string columns pandas now uses, that is about a
microsecond a value, and the tables and briefings read millions of values (about
0.5-0.8 s of a run's report). :func:`itertuples` reads a string or numpy column once
with ``tolist()``, which gives the values its iterator gives (Python scalars; the
column's own missing value), and any other column through its iterator, so the rows
are the same, in the same named tuples. Use it wherever a frame is iterated by rows.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd


def itertuples(df: pd.DataFrame, index: bool = True, name: str | None = "Pandas") -> Iterator[Any]:
    """The rows of ``df`` as :meth:`pandas.DataFrame.itertuples` gives them (the index
    first as ``Index`` when ``index``; plain tuples when ``name`` is ``None``)."""
    columns: list[list[Any]] = [_values(df.iloc[:, k]) for k in range(df.shape[1])]
    fields = [str(c) for c in df.columns]
    if index:
        columns.insert(0, df.index.tolist())
        fields.insert(0, "Index")
    if name is None:
        return zip(*columns, strict=True)
    row = namedtuple(name, fields, rename=True)  # type: ignore[misc]
    return map(row._make, zip(*columns, strict=True))


def _values(column: pd.Series) -> list[Any]:
    """The values iterating ``column`` gives, read at once where that is the same."""
    if isinstance(column.dtype, np.dtype | pd.StringDtype):
        return column.tolist()
    return list(column)

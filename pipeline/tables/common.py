"""What every table shares: the output folder name, quote width and column types."""

from __future__ import annotations

import re

import pandas as pd

TABLES_DIR = "tables"
#: Longest quote kept in full in the evidence table; longer passages are trimmed
#: to the sentences around the evidence.
QUOTE_WIDTH = 400


def share(n: int, total: int) -> float:
    """``n / total`` rounded to 4 places; 0 when ``total`` is 0."""
    return round(n / total, 4) if total else 0.0


_INT_COLS = {
    "passages_tagged",
    "passages_in_doc",
    "passages_in_period",
    "documents",
    "documents_raising",
    "page",
}
_FLOAT_COLS = {"share", "score"}
_BOOL_COLS = {"counted", "negated"}


def column_dtype(col: str) -> str:
    """The dtype a table column is written with: int64, float64, bool or object (text)."""
    if col in _INT_COLS:
        return "int64"
    if col in _FLOAT_COLS:
        return "float64"
    if col in _BOOL_COLS:
        return "bool"
    return "object"


def typed(df: pd.DataFrame) -> pd.DataFrame:
    """Stable dtypes: ints, floats, bools, and text as plain strings (``""`` for missing)."""
    df = df.copy()
    for col in df.columns:
        kind = column_dtype(col)
        if kind == "object":
            df[col] = df[col].fillna("").astype(str)
        else:
            df[col] = df[col].astype(kind)
    return df


#: Where one sentence ends and the next begins.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")

"""pipeline.frames.itertuples gives exactly the rows of DataFrame.itertuples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.frames import itertuples


def _frame() -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "text": pd.Series(["a", None, "c"], dtype="str"),
            "n": [1, 2, 3],
            "score": [0.5, np.nan, 1.25],
            "ok": [True, False, True],
            "when": pd.to_datetime(["2024-01-01", "2024-02-01", None]),
            "maybe": pd.array([1, None, 3], dtype="Int64"),
            "2 bad name": ["x", "y", "z"],
            "na_text": pd.Series(["p", None, "q"], dtype="string"),
            "obj": ["u", None, 3],
        }
    )
    df.index = [10, 20, 30]
    return df


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    return (a is b) or a == b or bool(pd.isna(a) and pd.isna(b))


@pytest.mark.parametrize("index", [True, False])
@pytest.mark.parametrize("name", ["Pandas", "Row", None])
def test_rows_equal_pandas_rows(index: bool, name: str | None) -> None:
    df = _frame()
    mine = list(itertuples(df, index=index, name=name))
    theirs = list(df.itertuples(index=index, name=name))
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs, strict=True):
        assert type(a).__name__ == type(b).__name__
        if name is not None:
            assert a._fields == b._fields and a._asdict().keys() == b._asdict().keys()
        assert all(_same(x, y) for x, y in zip(a, b, strict=True)), (a, b)


def test_an_empty_frame_has_no_rows() -> None:
    assert list(itertuples(_frame().iloc[:0])) == []
    assert list(itertuples(pd.DataFrame())) == list(pd.DataFrame().itertuples())

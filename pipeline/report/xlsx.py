"""``briefing.xlsx``: every table as a formatted sheet, the evidence, and a read-me.

Each sheet has a bold frozen header row, filters on every column, widths that fit
the content, wrapped long text, and shares formatted as percentages. Document
text is written as text, never as a formula (a quote that starts with ``=`` stays
a quote). No current time is stored: document properties carry the latest
document date, and the ZIP entries a fixed time.

Written with :mod:`pipeline.report.xlsxfile`, a small streaming writer with the part
of XlsxWriter's API used here (openpyxl held every cell of the evidence sheet as an
object; XlsxWriter spent about 2 s of CPU in its per-cell machinery).
"""

from __future__ import annotations

import io
import math
import re
from datetime import datetime
from typing import Any

import pandas as pd

from pipeline.frames import itertuples
from pipeline.report.common import (
    headline,
    package_version,
    run_datetime,
    theme_matrix,
)
from pipeline.report.xlsxfile import Workbook, Worksheet
from pipeline.tables import COUNTING_NOTES, TABLE_NOTES, Tables

HEADER_FILL = "#1F4E8C"
HEADER_FONT = "#FFFFFF"
#: Columns holding running text: wide and wrapped.
TEXT_COLUMNS = {
    "quote",
    "text",
    "evidence",
    "action",
    "due_context",
    "title",
    "task",
    "error",
}
MAX_WIDTH = 60
WIDE_TEXT = 80
#: Excel's largest row height, in points.
MAX_ROW_HEIGHT = 409

SHEET_NOTES = {
    "read_me": "This sheet: what each sheet holds and how the counts were made.",
    "theme_x_document": (
        "Themes (rows) x documents (columns): passages raising each theme, ready to paste. "
        "Themes raised nowhere are left out; Total is the row sum."
    ),
    **TABLE_NOTES,
}
#: The sheet of ``changes.parquet`` (an Excel sheet name has at most 31 characters).
SINCE_SHEET = "Since the last briefing"
SHEET_NOTES[SINCE_SHEET] = TABLE_NOTES["changes"]

#: Characters XML 1.0 cannot hold (control characters other than tab, newline, return).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def new_workbook(target: io.BytesIO | str) -> Workbook:
    """A workbook written to ``target`` (text is always stored as text)."""
    return Workbook(target)


def _print_setup(ws: Worksheet, *, repeat_header: bool, fit_width: bool = True) -> None:
    """Landscape A4, one page wide (``fit_width``), the header row repeated on every page."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    if fit_width:
        ws.fit_to_pages(1, 0)
    if repeat_header:
        ws.repeat_rows(0)


def _clean(value: object) -> object:
    """A value as a cell holds it: text without illegal characters, plain Python numbers,
    ``None`` for a missing value or empty text (an empty cell, as spreadsheets keep it)."""
    if isinstance(value, str):
        return _ILLEGAL.sub("", value) or None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()  # type: ignore[union-attr]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _is_share(col: str) -> bool:
    return "share" in col or col.endswith("_pct")


class _Formats:
    """The workbook's cell formats, made once (XlsxWriter keeps one per distinct style)."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self.header = wb.add_format(
            {"bold": True, "font_color": HEADER_FONT, "bg_color": HEADER_FILL}
            | {"valign": "top", "text_wrap": True}
        )
        self._cache: dict[tuple[str | None, bool, bool], Any] = {}

    def cell(self, num_format: str | None, wrap: bool, top: bool) -> Any:
        """The format of a body cell: number format, wrapped, aligned to the top."""
        key = (num_format, wrap, top)
        if key not in self._cache:
            props: dict[str, Any] = {}
            if num_format:
                props["num_format"] = num_format
            if wrap:
                props["text_wrap"] = True
            if wrap or top:
                props["valign"] = "top"
            self._cache[key] = self.wb.add_format(props) if props else None
        return self._cache[key]


def _widths(df: pd.DataFrame, columns: list[str]) -> list[float]:
    """Column widths (characters) that fit the first 500 values, text capped."""
    widths = []
    for i, col in enumerate(columns):
        sample = df.iloc[:500, i].astype(str) if len(df) else pd.Series([], dtype=str)
        longest = max([len(col), *(len(s) for s in sample)]) if len(sample) else len(col)
        width = min(longest + 2, WIDE_TEXT if col in TEXT_COLUMNS else MAX_WIDTH)
        if len(df) and pd.api.types.is_numeric_dtype(df.iloc[:, i]):
            # numbers are short: a long header (a document title) wraps instead
            values = max(len(s) for s in sample) if len(sample) else 0
            width = max(values + 2, min(len(col) + 2, 16))
        widths.append(width)
    return widths


def _lines(text: object, width: float) -> int:
    """Lines a wrapped text cell of ``width`` characters needs."""
    if not isinstance(text, str) or not text:
        return 1
    return -(-len(text) // max(int(width) - 2, 10))


def write_sheet(
    wb: Workbook,
    name: str,
    df: pd.DataFrame,
    *,
    index: bool = False,
    formats: _Formats | None = None,
) -> Worksheet:
    """Add sheet ``name`` holding ``df`` with the house formatting (header, filter, widths,
    formats, row heights that show every line of wrapped text)."""
    fm = formats or _Formats(wb)
    ws = wb.add_worksheet(name)
    if index:
        df = df.reset_index()
    columns = [str(c) for c in df.columns]
    widths = _widths(df, columns)
    wrapped = [c in TEXT_COLUMNS for c in columns]
    number_formats = ["0.0%" if _is_share(c) else "0.00" if c == "score" else None for c in columns]
    for i, width in enumerate(widths):
        ws.set_column(i, i, width)
    header_lines = max(
        [-(-len(c) // max(int(widths[i]) - 2, 4)) for i, c in enumerate(columns)] or [1]
    )
    if header_lines > 1:
        ws.set_row(0, min(15 * header_lines, 120))
    for c, col in enumerate(columns):
        ws.write_string(0, c, col, fm.header)
    text_cols = [i for i, w in enumerate(wrapped) if w]
    # each column's format in a short row and in a tall one (aligned to the top), made
    # when first needed: the workbook numbers its styles in the order they are made
    row_formats: dict[bool, list[Any]] = {}
    # plain Python lists first: iterating Arrow-backed columns value by value is slow
    rows = zip(*(df.iloc[:, i].tolist() for i in range(len(columns))), strict=True)
    for r, row in enumerate(rows, start=1):
        values = [_clean(v) for v in row]
        lines = max([1, *(_lines(values[i], widths[i]) for i in text_cols)])
        tall = lines > 1
        if tall:
            ws.set_row(r, min(15 * lines, MAX_ROW_HEIGHT))
        if tall not in row_formats:
            row_formats[tall] = [
                fm.cell(number_formats[c], wrapped[c], tall) for c in range(len(columns))
            ]
        ws.write_row(r, values, row_formats[tall])
    ws.freeze_panes(1, 0)
    if columns:
        ws.autofilter(0, 0, max(len(df), 0), len(columns) - 1)
    # print one page wide where that stays legible; wide sheets print across pages
    _print_setup(ws, repeat_header=True, fit_width=sum(widths) <= 220)
    return ws


def write_read_me(wb: Workbook, tables: Tables, sheets: list[str]) -> Worksheet:
    """The ``read_me`` sheet: headline figures, what each sheet holds, how counts were made."""
    ws = wb.add_worksheet("read_me")
    wrap = wb.add_format({"valign": "top", "text_wrap": True})
    bold = wb.add_format({"valign": "top", "text_wrap": True, "bold": True})
    title = wb.add_format({"valign": "top", "text_wrap": True, "bold": True, "font_size": 14})
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 100)
    _print_setup(ws, repeat_header=False)
    rows: list[tuple[list[object], Any]] = [
        (["Safeguarding briefing"], title),
        (["Latest document date", tables.as_of or "no dated document"], wrap),
        (["Made by", f"safeguarding-pipeline {package_version()}"], wrap),
        ([], wrap),
    ]
    rows += [([what, value], wrap) for what, value in headline(tables)]
    rows += [([], wrap), (["Sheet", "What it holds"], bold)]
    rows += [([name, SHEET_NOTES.get(name, "")], wrap) for name in sheets]
    rows += [([], wrap), (["How counts were made"], bold)]
    rows += [(["", note], wrap) for note in COUNTING_NOTES + tables.notes]
    if len(tables.unread):
        rows += [([], wrap), (["Documents not counted"], bold)]
        rows += [
            ([r.path, f"{r.status}: {r.error}".strip(": ")], wrap)
            for r in itertuples(tables.unread)
        ]
    for r, (values, fmt) in enumerate(rows):
        values = [_clean(v) for v in values]
        lines = max([1, *(_lines(v, w) for v, w in zip(values, (30, 100), strict=False))])
        if lines > 1:
            ws.set_row(r, min(15 * lines, MAX_ROW_HEIGHT))
        ws.write_row(r, values, [fmt] * len(values))
    return ws


def build_xlsx(tables: Tables) -> bytes:
    """The workbook as bytes (reproducible: no current time inside)."""
    data: dict[str, tuple[pd.DataFrame, bool]] = {}
    matrix = theme_matrix(tables)
    if len(matrix):
        data["theme_x_document"] = (matrix, True)
    for name, df in tables.csv_tables().items():
        if name == "changes":  # first, under the name the briefings give the section
            data = {SINCE_SHEET: (df, False), **data}
        else:
            data[name] = (df, False)
    buf = io.BytesIO()
    wb = new_workbook(buf)
    when: datetime = run_datetime(tables)
    wb.set_properties(
        {"title": "Safeguarding briefing", "author": "safeguarding-pipeline", "created": when}
    )
    formats = _Formats(wb)
    write_read_me(wb, tables, ["read_me", *data])
    for name, (df, index) in data.items():
        write_sheet(wb, name, df, index=index, formats=formats)
    wb.close()
    return buf.getvalue()

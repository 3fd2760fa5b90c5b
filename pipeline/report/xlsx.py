"""``briefing.xlsx``: every table as a formatted sheet, the evidence, and a read-me.

Each sheet has a bold frozen header row, filters on every column, widths that fit
the content, wrapped long text, and shares formatted as percentages. Document
text is written as text, never as a formula (a quote that starts with ``=`` stays
a quote). No current time is stored: document properties carry the latest
document date, and the ZIP entries a fixed time.
"""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.report.common import (
    headline,
    normalize_zip,
    package_version,
    run_datetime,
    theme_matrix,
)
from pipeline.tables import COUNTING_NOTES, TABLE_NOTES, Tables

HEADER_FILL = PatternFill("solid", fgColor="1F4E8C")
HEADER_FONT = Font(bold=True, color="FFFFFF")
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

SHEET_NOTES = {
    "read_me": "This sheet: what each sheet holds and how the counts were made.",
    "theme_x_document": (
        "Themes (rows) x documents (columns): passages raising each theme, ready to paste. "
        "Themes raised nowhere are left out; Total is the row sum."
    ),
    **TABLE_NOTES,
}


def _clean(value: object) -> object:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()  # type: ignore[union-attr]
    return value


def _is_share(col: str) -> bool:
    return "share" in col or col.endswith("_pct")


def write_sheet(ws: Worksheet, df: pd.DataFrame, *, index: bool = False) -> None:
    """Write ``df`` to ``ws`` with the house formatting (header, filter, widths, formats)."""
    if index:
        df = df.reset_index()
    columns = [str(c) for c in df.columns]
    ws.append(columns)
    for row in df.itertuples(index=False):
        ws.append([_clean(v) for v in row])
    # text that looks like a formula stays text
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = "A2"
    if len(columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(df) + 1, 1)}"
    for i, col in enumerate(columns, start=1):
        letter = get_column_letter(i)
        sample = df.iloc[:500, i - 1].astype(str) if len(df) else pd.Series([], dtype=str)
        longest = max([len(col), *(len(s) for s in sample)]) if len(sample) else len(col)
        wide = col in TEXT_COLUMNS
        ws.column_dimensions[letter].width = min(longest + 2, WIDE_TEXT if wide else MAX_WIDTH)
        fmt = None
        if _is_share(col):
            fmt = "0.0%"
        elif col == "score":
            fmt = "0.00"
        if fmt or wide:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                if fmt:
                    cell.number_format = fmt
                if wide:
                    cell.alignment = Alignment(vertical="top", wrap_text=True)


def write_read_me(ws: Worksheet, tables: Tables, sheets: list[str]) -> None:
    """The ``read_me`` sheet: headline figures, what each sheet holds, how counts were made."""
    bold = Font(bold=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 100
    ws.append(["Safeguarding briefing"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["Latest document date", tables.as_of or "no dated document"])
    ws.append(["Made by", f"safeguarding-pipeline {package_version()}"])
    ws.append([])
    for what, value in headline(tables):
        ws.append([what, value])
    ws.append([])
    ws.append(["Sheet", "What it holds"])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for name in sheets:
        ws.append([name, SHEET_NOTES.get(name, "")])
    ws.append([])
    ws.append(["How counts were made"])
    ws.cell(ws.max_row, 1).font = bold
    for note in COUNTING_NOTES + tables.notes:
        ws.append(["", note])
    if len(tables.unread):
        ws.append([])
        ws.append(["Documents not counted"])
        ws.cell(ws.max_row, 1).font = bold
        for r in tables.unread.itertuples():
            ws.append([_clean(r.path), _clean(f"{r.status}: {r.error}".strip(": "))])
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = wrap
            if cell.data_type == "f":
                cell.data_type = "s"


def build_xlsx(tables: Tables) -> bytes:
    """The workbook as bytes (reproducible: no current time inside)."""
    wb = Workbook()
    data: dict[str, tuple[pd.DataFrame, bool]] = {}
    matrix = theme_matrix(tables)
    if len(matrix):
        data["theme_x_document"] = (matrix, True)
    for name, df in tables.csv_tables().items():
        data[name] = (df, False)
    sheets = ["read_me", *data]
    write_read_me(wb.active, tables, sheets)
    wb.active.title = "read_me"
    for name, (df, index) in data.items():
        write_sheet(wb.create_sheet(name), df, index=index)
    when = run_datetime(tables)
    wb.properties.creator = "safeguarding-pipeline"
    wb.properties.title = "Safeguarding briefing"
    wb.properties.created = when
    wb.properties.modified = when
    buf = io.BytesIO()
    wb.save(buf)
    return normalize_zip(buf.getvalue(), when=when)

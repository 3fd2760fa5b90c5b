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
from openpyxl.styles.cell_style import StyleArray
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
#: The sheet of ``changes.parquet`` (an Excel sheet name has at most 31 characters).
SINCE_SHEET = "Since the last briefing"
SHEET_NOTES[SINCE_SHEET] = TABLE_NOTES["changes"]


def _print_setup(ws: Worksheet, *, repeat_header: bool, fit_width: bool = True) -> None:
    """Landscape A4, one page wide (``fit_width``), the header row repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    if fit_width:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
    if repeat_header:
        ws.print_title_rows = "1:1"


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
    formula_like: list[tuple[int, int]] = []  # (row, column) of text openpyxl reads as a formula
    for r, row in enumerate(df.itertuples(index=False), start=2):
        values = [_clean(v) for v in row]
        ws.append(values)
        for c, v in enumerate(values, start=1):
            if isinstance(v, str) and v[:1] == "=":
                formula_like.append((r, c))
    # text that looks like a formula stays text
    for r, c in formula_like:
        cell = ws.cell(r, c)
        if cell.data_type == "f":
            cell.data_type = "s"
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = "A2"
    if len(columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(df) + 1, 1)}"
    widths: dict[int, float] = {}
    for i, col in enumerate(columns, start=1):
        letter = get_column_letter(i)
        sample = df.iloc[:500, i - 1].astype(str) if len(df) else pd.Series([], dtype=str)
        longest = max([len(col), *(len(s) for s in sample)]) if len(sample) else len(col)
        wide = col in TEXT_COLUMNS
        widths[i] = min(longest + 2, WIDE_TEXT if wide else MAX_WIDTH)
        if len(df) and pd.api.types.is_numeric_dtype(df.iloc[:, i - 1]):
            # numbers are short: a long header (a document title) wraps instead
            values = max(len(s) for s in sample) if len(sample) else 0
            widths[i] = max(values + 2, min(len(col) + 2, 16))
        ws.column_dimensions[letter].width = widths[i]
        fmt = None
        if _is_share(col):
            fmt = "0.0%"
        elif col == "score":
            fmt = "0.00"
        if fmt or wide:
            cells = [cell for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i)]
            if fmt:
                _style_all(cells, "number_format", fmt, "numFmtId")
            if wide:
                _style_all(cells, "alignment", Alignment(vertical="top", wrap_text=True))
    header_lines = max(
        [-(-len(c) // max(int(widths[i]) - 2, 4)) for i, c in enumerate(columns, start=1)] or [1]
    )
    if header_lines > 1:
        ws.row_dimensions[1].height = min(15 * header_lines, 120)
    _fit_rows(ws, [i for i, c in enumerate(columns, start=1) if c in TEXT_COLUMNS], widths)
    # print one page wide where that stays legible; wide sheets print across pages
    _print_setup(ws, repeat_header=True, fit_width=sum(widths.values()) <= 220)


#: The field of a cell's style array that each style attribute sets.
_STYLE_KEYS = {"alignment": "alignmentId", "font": "fontId", "fill": "fillId"}


def _style_all(cells: list, attr: str, value: object, key: str | None = None) -> None:
    """``cell.<attr> = value`` for every cell, fast: the first cell is set through openpyxl
    (which registers the style in the workbook, in the same order as setting each cell
    would), the others get the same style index. Setting each cell through openpyxl
    hashes and compares the style object every time: seconds on a large evidence sheet."""
    if not cells:
        return
    setattr(cells[0], attr, value)
    key = key or _STYLE_KEYS[attr]
    idx = getattr(cells[0]._style, key)
    for cell in cells[1:]:
        style = cell._style
        if style is None:
            cell._style = style = StyleArray()
        setattr(style, key, idx)


def _fit_rows(ws: Worksheet, wrapped: list[int], widths: dict[int, float]) -> None:
    """Give rows with wrapped text the height of their longest cell, so spreadsheet
    programs that do not re-measure rows on opening still show every line."""
    if not wrapped:
        return
    alignments = ws.parent._alignments
    unwrapped: list = []
    for row in ws.iter_rows(min_row=2):
        lines = 1
        for i in wrapped:
            text = row[i - 1].value
            if isinstance(text, str) and text:
                per_line = max(int(widths[i]) - 2, 10)
                lines = max(lines, -(-len(text) // per_line))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = min(15 * lines, 409)
            for cell in row:
                style = cell._style
                if style is None or not alignments[style.alignmentId].wrap_text:
                    unwrapped.append(cell)
    _style_all(unwrapped, "alignment", Alignment(vertical="top"))


def write_read_me(ws: Worksheet, tables: Tables, sheets: list[str]) -> None:
    """The ``read_me`` sheet: headline figures, what each sheet holds, how counts were made."""
    bold = Font(bold=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 100
    _print_setup(ws, repeat_header=False)
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
    _fit_rows(ws, [1, 2], {1: 30, 2: 100})


def build_xlsx(tables: Tables) -> bytes:
    """The workbook as bytes (reproducible: no current time inside)."""
    wb = Workbook()
    data: dict[str, tuple[pd.DataFrame, bool]] = {}
    matrix = theme_matrix(tables)
    if len(matrix):
        data["theme_x_document"] = (matrix, True)
    for name, df in tables.csv_tables().items():
        if name == "changes":  # first, under the name the briefings give the section
            data = {SINCE_SHEET: (df, False), **data}
        else:
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

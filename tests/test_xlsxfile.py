"""The streaming XLSX writer: what it writes reads back the same with openpyxl."""

from __future__ import annotations

import io
import xml.dom.minidom
import zipfile
from datetime import datetime

from openpyxl import load_workbook

from pipeline.report.xlsxfile import MAX_STRING, Workbook, column_letter


def _roundtrip(build) -> object:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    wb = Workbook(buf)
    build(wb)
    wb.close()
    return buf.getvalue()


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


def test_text_stays_text_whatever_it_holds() -> None:
    values = [
        "=SUM(A1:A2)",
        "5.10",
        " leading and trailing ",
        "a < b & c > d",
        "bell\x07here",
        "literal _x0041_ stays",
        'quote "marks"',
        "x" * (MAX_STRING + 10),
    ]

    def build(wb: Workbook) -> None:
        ws = wb.add_worksheet("t")
        for r, v in enumerate(values):
            ws.write_string(r, 0, v)

    data = _roundtrip(build)
    ws = load_workbook(io.BytesIO(data))["t"]
    got = [ws.cell(r + 1, 1).value for r in range(len(values))]
    assert got[:4] == values[:4] and got[6] == values[6]
    # what XML cannot hold takes Excel's _xHHHH_ escape, and a literal one is escaped in
    # turn (Excel reads both back; openpyxl leaves them as written)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "bell_x0007_here" in sheet and "literal _x005F_x0041_ stays" in sheet
    assert got[7] == "x" * MAX_STRING  # Excel's limit, as XlsxWriter cuts it
    assert all(ws.cell(r + 1, 1).data_type == "s" for r in range(len(values)))


def test_numbers_booleans_formats_and_layout() -> None:
    def build(wb: Workbook) -> None:
        head = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E8C"})
        pct = wb.add_format({"num_format": "0.0%"})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        ws = wb.add_worksheet("O'Brien's sheet")
        ws.set_column(0, 0, 80)
        ws.set_column(1, 2, 10)
        ws.set_row(1, 45)
        for c, name in enumerate(("text", "share", "flag")):
            ws.write_string(0, c, name, head)
        ws.write_string(1, 0, "long text", wrap)
        ws.write_number(1, 1, 0.125, pct)
        ws.write_boolean(1, 2, True)
        ws.write_blank(2, 0, None, wrap)
        ws.write_number(2, 1, 3)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, 2, 2)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        wb.add_worksheet("second").write_number(0, 0, 1e-20)
        wb.set_properties({"title": "T", "author": "me", "created": datetime(2025, 1, 15)})

    data = _roundtrip(build)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():  # every part is well-formed XML
            xml.dom.minidom.parseString(zf.read(name))
        assert {i.date_time[:3] for i in zf.infolist()} == {(2025, 1, 15)}
    wb = load_workbook(io.BytesIO(data))
    ws = wb["O'Brien's sheet"]
    assert [c.value for c in ws[1]] == ["text", "share", "flag"]
    assert all(c.font.b for c in ws[1])
    assert ws["A1"].fill.fgColor.rgb == "FF1F4E8C"
    assert ws["B2"].value == 0.125 and ws["B2"].number_format == "0.0%"
    assert ws["C2"].value is True
    assert ws["A2"].alignment.wrap_text and ws["A2"].alignment.vertical == "top"
    assert ws["B3"].value == 3
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:C3"
    assert ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.row_dimensions[2].height == 45
    assert 80 < ws.column_dimensions["A"].width < 81  # 80 characters plus the padding
    assert wb["second"]["A1"].value == 1e-20
    assert wb.properties.title == "T" and wb.properties.creator == "me"
    assert wb.properties.created == datetime(2025, 1, 15)


def test_cells_in_column_order_and_bad_values_refused() -> None:
    import pytest

    def build(wb: Workbook) -> None:
        ws = wb.add_worksheet("a")
        ws.write_string(0, 2, "c")
        ws.write_string(0, 0, "first")
        ws.write_string(0, 0, "a")  # written twice: the last value
        ws.write_string(1, 0, "line\r\nbreak")

    data = _roundtrip(build)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.index('r="A1"') < sheet.index('r="C1"') and sheet.count('r="A1"') == 1
    assert "line_x000D_\nbreak" in sheet
    ws = load_workbook(io.BytesIO(data))["a"]
    assert [ws["A1"].value, ws["C1"].value] == ["a", "c"]
    wb = Workbook(io.BytesIO())
    sheet = wb.add_worksheet("b")
    with pytest.raises(ValueError, match="finite"):
        sheet.write_number(0, 0, float("inf"))
    for bad in ("", "a/b", "x" * 32, "'q", "B"):
        with pytest.raises(ValueError, match="sheet name"):
            wb.add_worksheet(bad)


def test_same_content_same_bytes() -> None:
    def build(wb: Workbook) -> None:
        wb.add_worksheet("a").write_string(0, 0, "x")

    assert _roundtrip(build) == _roundtrip(build)


def test_a_row_at_once_is_the_same_as_cell_by_cell() -> None:
    values = [None, None, True, 3, 2.5, "text", " padded ", "x" * (MAX_STRING + 5), None]

    def by_cell(wb: Workbook) -> None:
        fmt = wb.add_format({"bold": True})
        formats = [None, fmt, None, fmt, None, fmt, None, None, None]
        ws = wb.add_worksheet("a")
        ws.write_string(0, 8, "kept")
        for col, (value, f) in enumerate(zip(values, formats, strict=True)):
            if value is None:
                ws.write_blank(0, col, None, f)
            elif isinstance(value, bool):
                ws.write_boolean(0, col, value, f)
            elif isinstance(value, int | float):
                ws.write_number(0, col, value, f)
            else:
                ws.write_string(0, col, value, f)
        ws.write_string(2, 0, "after an empty row")

    def by_row(wb: Workbook) -> None:
        fmt = wb.add_format({"bold": True})
        formats = [None, fmt, None, fmt, None, fmt, None, None, None]
        ws = wb.add_worksheet("a")
        ws.write_string(0, 8, "kept")
        ws.write_row(0, values, formats)
        ws.write_row(1, [None, None], [None, None])  # nothing written: no row
        ws.write_row(2, ["after an empty row"], [None])

    assert _roundtrip(by_row) == _roundtrip(by_cell)

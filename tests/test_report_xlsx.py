"""briefing.xlsx: opened with openpyxl, every sheet checked against its table."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from pipeline.report.xlsx import SHEET_NOTES, build_xlsx, new_workbook, write_sheet
from pipeline.tables import COUNTING_NOTES, Tables, build_tables

# As if pipeline.tracing.coverage were not installed, unless a test asks for `linking_stage`.
pytestmark = pytest.mark.usefixtures("without_linking_module")


@pytest.fixture()
def tables(stage_dir: Path) -> Tables:
    return build_tables(stage_dir)


@pytest.fixture()
def workbook(tables: Tables):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(build_xlsx(tables)))


def _frame(ws) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    rows = list(ws.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0], dtype=object)


def test_sheets(workbook) -> None:  # type: ignore[no-untyped-def]
    assert workbook.sheetnames == [
        "read_me",
        "theme_x_document",
        "theme_summary",
        "theme_by_document",
        "theme_by_date",
        "actions",
        "evidence",
    ]


@pytest.mark.parametrize(
    "name", ["theme_summary", "theme_by_document", "theme_by_date", "actions", "evidence"]
)
def test_sheet_holds_its_table(workbook, tables: Tables, name: str) -> None:  # type: ignore[no-untyped-def]
    ws = workbook[name]
    df = tables.csv_tables()[name]
    got = _frame(ws)
    assert list(got.columns) == list(df.columns)
    assert len(got) == len(df)
    for col in df.columns:
        expected = [None if v == "" else v for v in df[col].tolist()]
        values = got[col].tolist()
        if pd.api.types.is_float_dtype(df[col]):
            assert values == pytest.approx(expected), col
        else:
            assert values == expected, col


@pytest.mark.parametrize(
    "name", ["theme_x_document", "theme_summary", "theme_by_document", "actions", "evidence"]
)
def test_sheet_formatting(workbook, name: str) -> None:  # type: ignore[no-untyped-def]
    ws = workbook[name]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
    assert all(c.font.bold for c in ws[1])
    for cell in ws[1]:
        width = ws.column_dimensions[cell.column_letter].width
        values = [c.value for c in ws[cell.column_letter][1:]]
        if values and all(isinstance(v, int | float) for v in values):
            # numbers: wide enough for every value; a long header wraps
            assert width >= max(len(str(v)) for v in values) + 2
            assert cell.alignment.wrap_text
        else:
            assert width >= min(len(str(cell.value)), 60), cell.value


def test_percentages_are_percentages(workbook) -> None:  # type: ignore[no-untyped-def]
    for name in ("theme_summary", "theme_by_document", "theme_by_date"):
        ws = workbook[name]
        header = [c.value for c in ws[1]]
        col = header.index("share") + 1
        cells = [ws.cell(r, col) for r in range(2, ws.max_row + 1)]
        assert cells and all(c.number_format == "0.0%" for c in cells)
        assert all(isinstance(c.value, int | float) and 0 <= c.value <= 1 for c in cells)
        assert any(0 < c.value < 1 for c in cells)


def test_paragraph_numbers_stay_text(workbook) -> None:  # type: ignore[no-untyped-def]
    ev = _frame(workbook["evidence"])
    assert "5.10" in set(ev["ref"]), "5.10 must not become the number 5.1"
    assert set(ev["number"].dropna()) <= {"1", "2", "4"}


def test_long_text_wraps(workbook) -> None:  # type: ignore[no-untyped-def]
    ws = workbook["evidence"]
    header = [c.value for c in ws[1]]
    col = header.index("quote") + 1
    assert ws.cell(2, col).alignment.wrap_text
    # capped at 80 characters (the stored width adds the cell padding, under a character)
    assert ws.column_dimensions[ws.cell(1, col).column_letter].width < 81


def test_theme_x_document_matches_counts(workbook, tables: Tables) -> None:  # type: ignore[no-untyped-def]
    m = _frame(workbook["theme_x_document"]).set_index("Theme")
    summary = tables.theme_summary.set_index("label")
    raised = summary[summary["passages_tagged"] > 0]
    assert list(m.index) == list(raised.index)
    assert m["Total"].tolist() == raised["passages_tagged"].tolist()
    assert (m.drop(columns="Total").sum(axis=1) == m["Total"]).all()


def test_read_me(workbook, tables: Tables) -> None:  # type: ignore[no-untyped-def]
    text = "\n".join(
        " ".join(str(v) for v in row if v is not None)
        for row in workbook["read_me"].iter_rows(values_only=True)
    )
    for name in workbook.sheetnames:
        assert f"{name} {SHEET_NOTES[name]}" in text
    for note in COUNTING_NOTES:
        assert note in text
    assert "broken.pdf error: not a PDF" in text
    assert "Latest document date 2025-01-15" in text
    assert "not available" in text  # the missing coverage is said, not hidden


def test_formula_looking_text_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    wb = new_workbook(str(path))
    df = pd.DataFrame({"quote": ['=HYPERLINK("http://x","y")', "+44 20", "ok\x07bell"]})
    write_sheet(wb, "quotes", df)
    wb.close()
    ws = load_workbook(path).active
    assert [c.data_type for c in ws["A"][1:]] == ["s", "s", "s"]
    assert ws["A2"].value == '=HYPERLINK("http://x","y")'
    assert ws["A4"].value == "okbell"


def test_reproducible_and_no_current_time(tables: Tables) -> None:
    first, second = build_xlsx(tables), build_xlsx(tables)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert {i.date_time[:3] for i in zf.infolist()} == {(2025, 1, 15)}
        core = zf.read("docProps/core.xml").decode()
    assert "2025-01-15T00:00:00Z" in core
    props = load_workbook(io.BytesIO(first)).properties
    assert props.created.date().isoformat() == props.modified.date().isoformat() == "2025-01-15"


@pytest.mark.usefixtures("linking_stage")
def test_coverage_sheet(stage_dir: Path) -> None:
    t = build_tables(stage_dir)
    wb = load_workbook(io.BytesIO(build_xlsx(t)))
    assert (
        wb.sheetnames.index("recommendation_coverage") == wb.sheetnames.index("theme_by_date") + 1
    )
    got = _frame(wb["recommendation_coverage"])
    assert list(got.columns) == list(t.recommendation_coverage.columns)
    assert list(got["number"]) == ["1", "2", "4", "10", "1"]
    assert list(got["silent"]) == [False, False, False, True, True]

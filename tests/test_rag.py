"""RAG ratings read from table cells, and the analyst's mapping to statuses (pipeline.rag)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.documents import ManifestError, load_manifest
from pipeline.rag import (
    RagMappingError,
    apply_rag,
    colour_name,
    load_config,
    parse_mapping,
    rag_of,
)


@pytest.mark.parametrize(
    ("fill", "colour"),
    [
        ("FF0000", "red"),
        ("#C00000", "red"),
        ("FFC7CE", "red"),  # Excel's light red
        ("#FFC000", "amber"),
        ("FFFF00", "amber"),  # yellow is read as amber
        ("rgb(255, 191, 0)", "amber"),
        ("00B050", "green"),
        ("#92D050", "green"),
        ("C6EFCE", "green"),  # Excel's light green
        ("green", "green"),
        ("FFFFFF", ""),
        ("D9D9D9", ""),
        ("1F4E8C", ""),  # a header's blue
        ("auto", ""),
        ("", ""),
    ],
)
def test_colour_name(fill: str, colour: str) -> None:
    assert colour_name(fill) == colour


@pytest.mark.parametrize(
    ("text", "rag"),
    [
        ("4 | Children's Services | Work delayed | Amber", "amber"),
        ("4 | Children's Services | RAG: Green |", "green"),
        ("RAG status: Red. Work has stopped.", "red"),
        ("2 | Red Cross volunteers | In progress", ""),  # a word in a cell, not the cell
        ("The red flag was raised.", ""),
    ],
)
def test_rag_of(text: str, rag: str) -> None:
    assert rag_of(text) == rag


def test_parse_mapping_checks_colours_and_statuses() -> None:
    assert parse_mapping("Red = on_hold; amber=in_progress, GREEN=completed") == {
        "red": "on_hold",
        "amber": "in_progress",
        "green": "completed",
    }
    with pytest.raises(RagMappingError, match="not a status"):
        parse_mapping("red=stuck")
    with pytest.raises(RagMappingError, match="colour one of"):
        parse_mapping("blue=completed")


def test_no_mapping_no_status(tmp_path: Path) -> None:
    """A colour is recorded but means nothing until the analyst says what it means."""
    links = pd.DataFrame(
        {"passage_id": ["p1", "p2"], "doc_id": ["d", "e"], "status": ["", ""], "rec_id": "r"}
    )
    passages = pd.DataFrame(
        {"passage_id": ["p1", "p2"], "text": ["5 | Trust | Pilot extended | Amber"] * 2}
    )
    documents = pd.DataFrame({"doc_id": ["d", "e"], "rag_mapping": ["amber=in_progress", ""]})
    out = apply_rag(links, passages, documents)
    assert list(out["rag"]) == ["amber", "amber"]
    assert list(out["status"]) == ["in_progress", ""]


def test_words_win_over_the_colour() -> None:
    links = pd.DataFrame({"passage_id": ["p1"], "doc_id": ["d"], "status": ["on_hold"]})
    passages = pd.DataFrame({"passage_id": ["p1"], "text": ["4 | Council | On hold | Green"]})
    documents = pd.DataFrame({"doc_id": ["d"], "rag_mapping": ["green=completed"]})
    assert apply_rag(links, passages, documents)["status"].iloc[0] == "on_hold"


def test_the_mapping_in_the_manifest_and_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "manifest.csv").write_text(
        "path,rag\nupdate.html,green=completed;red=not_started\n", encoding="utf-8"
    )
    assert load_manifest(tmp_path)["update.html"]["rag"] == "red=not_started; green=completed"
    (tmp_path / "manifest.csv").write_text("path,rag\nupdate.html,red=late\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="line 2"):
        load_manifest(tmp_path)
    (tmp_path / "rag_mapping.csv").write_text(
        "colour,status\nRed,on_hold\nGreen,completed\n", encoding="utf-8"
    )
    assert load_config(tmp_path) == {"red": "on_hold", "green": "completed"}


def test_shaded_empty_cells_are_read_in_docx_and_html(tmp_path: Path) -> None:
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    from pipeline.extract.docx import read_docx
    from pipeline.extract.html import lines_from_html

    doc = Document()
    table = doc.add_table(rows=2, cols=3)
    for i, text in enumerate(["Rec", "Position", "RAG"]):
        table.cell(0, i).text = text
    table.cell(1, 0).text = "4"
    table.cell(1, 1).text = "Panel has not met"
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:fill"), "FFC000")
    table.cell(1, 2)._tc.get_or_add_tcPr().append(shd)
    doc.save(str(tmp_path / "t.docx"))
    lines = [line.text for line in read_docx(tmp_path / "t.docx").lines]
    assert "4 | Panel has not met | Amber" in lines

    markup = (
        "<table><tr><th>Rec</th><th>RAG</th></tr>"
        '<tr><td>4</td><td style="background-color: #00B050"></td></tr>'
        '<tr><td>5</td><td bgcolor="#D9D9D9"></td></tr></table>'
    )
    assert [line.text for line in lines_from_html(markup).lines] == [
        "Rec | RAG",
        "4 | Green",
        "5",
    ]


def _shaded_table_pdf(path: Path, header: str) -> None:
    """A fictional ruled table whose last column is empty cells shaded red, amber, green."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.text(20, 20, "Progress on the recommendations (fictional test document).")
    rows = [["Rec", "Position", header], ["4", "Panel has not met", ""]]
    rows += [["5", "Pilot extended", ""], ["8", "Governors to nominate", ""]]
    fills = [(255, 0, 0), (255, 192, 0), (0, 176, 80)]
    y = 30.0
    for i, row in enumerate(rows):
        x = 20.0
        for j, (width, value) in enumerate(zip([20, 80, 30], row, strict=True)):
            if i and j == 2:
                pdf.set_fill_color(*fills[i - 1])
                pdf.rect(x, y, width, 10, style="DF")
            else:
                pdf.rect(x, y, width, 10)
                pdf.text(x + 2, y + 7, value)
            x += width
        y += 10
    pdf.output(str(path))


def test_shaded_empty_cells_of_a_rag_column_are_read_in_pdf(tmp_path: Path) -> None:
    from pipeline.extract.pdfium import read_pdf_pdfium

    _shaded_table_pdf(tmp_path / "rag.pdf", "RAG")
    lines = [line.text for line in read_pdf_pdfium(tmp_path / "rag.pdf").lines]
    assert lines[1:] == [
        "Rec | Position | RAG",
        "4 | Panel has not met | Red",
        "5 | Pilot extended | Amber",
        "8 | Governors to nominate | Green",
    ]
    # a column not headed as a rating: shading there is design, not a RAG rating
    _shaded_table_pdf(tmp_path / "design.pdf", "Notes")
    lines = [line.text for line in read_pdf_pdfium(tmp_path / "design.pdf").lines]
    assert not any(w in " ".join(lines) for w in ("Red", "Amber", "Green"))

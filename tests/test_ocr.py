"""OCR of scanned PDF pages: a generated image-only PDF, and the message without tesseract."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import ExtractOptions
from pipeline.extract import ocr
from pipeline.passages import extract_document

PAGE_TEXT = [
    ["1. Introduction", "The safeguarding partnership reviewed", "the case of Child M in detail."],
    ["2. Findings", "Police and health shared information", "late in the year."],
]


@pytest.fixture(scope="module")
def scan_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-page PDF whose pages are images of text (no text layer)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=40)
    images = []
    for lines in PAGE_TEXT:
        img = Image.new("RGB", (1240, 1754), "white")
        draw = ImageDraw.Draw(img)
        for i, text in enumerate(lines):
            draw.text((150, 200 + 70 * i), text, fill="black", font=font)
        images.append(img)
    path = tmp_path_factory.mktemp("ocr") / "scan.pdf"
    images[0].save(path, save_all=True, append_images=images[1:], resolution=150)
    return path


@pytest.mark.parametrize("backend", ["pdfium", "pdfplumber"])
def test_scan_without_ocr_says_how_to_enable_it(scan_pdf: Path, backend: str) -> None:
    row, passages = extract_document(scan_pdf, "scan.pdf", "x", ExtractOptions(pdf_backend=backend))
    assert row["status"] == "no_text_layer" and passages == []
    assert "apt-get install tesseract-ocr" in row["error"] and "--ocr" in row["error"]


def test_ocr_without_tesseract_installed(scan_pdf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "tesseract_path", lambda: None)
    row, _ = extract_document(scan_pdf, "scan.pdf", "x", ExtractOptions(ocr=True))
    assert row["status"] == "no_text_layer"
    assert "not installed" in row["error"] and "apt-get install tesseract-ocr" in row["error"]


def test_ocr_reads_a_scanned_pdf(scan_pdf: Path) -> None:
    if ocr.tesseract_path() is None:
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr)")
    row, passages = extract_document(scan_pdf, "scan.pdf", "x", ExtractOptions(ocr=True))
    assert row["status"] == "ok" and row["pages"] == 2
    assert passages and all(p["ocr"] for p in passages)
    by_page: dict[int, str] = {}
    for p in passages:
        by_page[p["page"]] = by_page.get(p["page"], "") + " " + p["text"]
    assert set(by_page) == {1, 2}
    assert "safeguarding partnership reviewed" in by_page[1]
    assert "Child M" in by_page[1]
    assert "Police and health shared information" in by_page[2]


def test_tsv_to_lines_groups_words_with_boxes() -> None:
    cols = "level page_num block_num par_num line_num word_num left top width height conf text"
    header = cols.replace(" ", "\t")
    rows = [
        "5\t1\t1\t1\t1\t1\t100\t200\t80\t30\t95\tChild",
        "5\t1\t1\t1\t1\t2\t190\t200\t60\t30\t91\tL's",
        "5\t1\t1\t1\t2\t1\t100\t250\t90\t30\t5\t~~",  # noise: dropped
        "5\t1\t1\t2\t1\t1\t100\t300\t120\t30\t88\treview",
        "4\t1\t1\t2\t1\t0\t100\t300\t120\t30\t-1\t",
    ]
    lines = ocr.tsv_to_lines("\n".join([header, *rows]), 3, scale=2.0)
    assert [ln.text for ln in lines] == ["Child L's", "review"]
    first = lines[0]
    assert (first.page, first.x0, first.top, first.x1, first.bottom) == (3, 50, 100, 125, 115)
    assert first.ocr and lines[1].block_start
    assert first.size == lines[1].size > 0

"""Whatever an analyst drops into the input folder, the run survives and says what it
could not read. Every bad file is generated here; nothing binary is committed."""

from __future__ import annotations

import io
import os
import random
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import EXIT_STRICT, main
from tests.conftest import DEMO

TOPICS = [
    "school exclusions",
    "police attendance",
    "the voice of the child",
    "health visits",
    "information sharing",
    "parental consent",
    "training for staff",
    "governance",
]


def text_pdf(pages: int) -> bytes:
    """A generated report: running header, three numbered paragraphs a page, page numbers."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    for p in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("helvetica", size=8)
        pdf.cell(0, 6, "Generated test document - running header", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=11)
        for i in range(1, 4):
            topic = TOPICS[(p * 3 + i) % len(TOPICS)]
            pdf.multi_cell(
                0,
                6,
                f"{p}.{i} On page {p} the review considered {topic}. "
                + f"Agencies described their work on {topic} in detail. " * 3,
            )
            pdf.ln(4)
        pdf.set_y(-15)
        pdf.set_font("helvetica", size=8)
        pdf.cell(0, 6, f"Page {p} of {pages}", align="C")
    return bytes(pdf.output())


def image_only_pdf() -> bytes:
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (600, 200), "white")
    ImageDraw.Draw(img).text((20, 80), "A scanned page with no text layer", fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(buf, x=10, y=10, w=180)
    return bytes(pdf.output())


def encrypted_pdf(user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(2))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


NOISY_HTML = """<html><head><title>Minutes | Council</title>
<style>.a{color:red}</style><script>var x = "tracking code";</script></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
<div id="cookie-consent">We use cookies to improve the site</div>
<header><div class="masthead">Council logo</div></header>
<div class="content"><h1>Agenda item</h1><p>5.1 The Chair welcomed members to the meeting.</p>
<script>alert("inline")</script><p>5.2 Members noted the report on school exclusions.</p></div>
<footer><p>Copyright the Council</p></footer></body></html>"""

#: file name -> (expected status, words the error must contain)
EXPECTED = {
    "truncated.pdf": ("error", "damaged or truncated"),
    "encrypted.pdf": ("error", "encrypted and needs a password"),
    "owner-password-only.pdf": ("ok", ""),
    "zero.pdf": ("empty", "empty"),
    "random-bytes.pdf": ("error", "not a readable PDF"),
    "scan.pdf": ("no_text_layer", "--ocr"),
    "long-300-pages.pdf": ("ok", ""),
    "windows-1252.txt": ("ok", ""),
    "one-long-line.txt": ("ok", ""),
    "not-a-zip.docx": ("error", "not a DOCX"),
    "noisy.html": ("ok", ""),
    "minutes_copy of the report.txt": ("duplicate", "same content as"),
    "Sitzungsprotokoll März – Überblick.txt": ("ok", ""),
    "data.xlsx": ("unsupported", "unsupported file type"),
    "binary.txt": ("error", "binary"),
}


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("bad_inputs")
    good = text_pdf(3)
    (src / "good.pdf").write_bytes(good)
    (src / "truncated.pdf").write_bytes(good[: len(good) // 2])
    (src / "encrypted.pdf").write_bytes(encrypted_pdf("secret"))
    (src / "owner-password-only.pdf").write_bytes(encrypted_pdf(""))
    (src / "zero.pdf").write_bytes(b"")
    (src / "random-bytes.pdf").write_bytes(random.Random(7).randbytes(20_000))
    (src / "scan.pdf").write_bytes(image_only_pdf())
    (src / "long-300-pages.pdf").write_bytes(text_pdf(300))
    (src / "windows-1252.txt").write_bytes(
        "The Council\u2019s \u201csafeguarding\u201d budget is \u00a33m.".encode("cp1252")
    )
    (src / "one-long-line.txt").write_text(
        "The review found that agencies did not share. " * 110_000
    )
    (src / "not-a-zip.docx").write_text("this is not a Word document")
    (src / "noisy.html").write_text(NOISY_HTML)
    shutil.copy(DEMO / "hackney_minutes_child_q_2022.txt", src / "minutes.txt")
    shutil.copy(DEMO / "hackney_minutes_child_q_2022.txt", src / "minutes_copy of the report.txt")
    (src / "Sitzungsprotokoll März – Überblick.txt").write_text("11.1 Die Sitzung wurde eröffnet.")
    (src / "data.xlsx").write_bytes(b"PK\x03\x04 not really a spreadsheet")
    (src / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 100)
    return src


@pytest.fixture(scope="module")
def bad_run(bad_folder: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("bad_out")
    before = {p.name: p.read_bytes() for p in bad_folder.iterdir()}
    result = CliRunner().invoke(
        main, ["extract", "--input", str(bad_folder), "--output", str(out), "--jobs", "2"]
    )
    assert {p.name: p.read_bytes() for p in bad_folder.iterdir()} == before
    return result, pd.read_parquet(out / "documents.parquet").set_index("path"), out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_file_has_a_row_with_status_and_reason(bad_run, name: str) -> None:
    result, docs, _ = bad_run
    status, words = EXPECTED[name]
    row = docs.loc[name]
    assert row["status"] == status, row["error"]
    assert words in row["error"]
    if status != "ok":
        lines = [ln for ln in result.stderr.splitlines() if name in ln]
        assert len(lines) == 1 and words in lines[0], result.stderr


def test_the_run_goes_on(bad_run) -> None:
    result, docs, out = bad_run
    assert result.exit_code == 0
    passages = pd.read_parquet(out / "passages.parquet")
    per_doc = passages.groupby("doc_id").size()
    assert per_doc[docs.loc["good.pdf", "doc_id"]] >= 9
    assert per_doc[docs.loc["minutes.txt", "doc_id"]] > 30
    assert docs.loc["long-300-pages.pdf", "pages"] == 300
    assert docs.loc["minutes_copy of the report.txt", "duplicate_of"] == "minutes.txt"
    assert docs.loc["minutes_copy of the report.txt", "doc_id"] not in per_doc.index  # counted once


def test_text_content_of_awkward_files(bad_run) -> None:
    _, docs, out = bad_run
    passages = pd.read_parquet(out / "passages.parquet")

    def text(name: str) -> str:
        return " ".join(passages.loc[passages["doc_id"] == docs.loc[name, "doc_id"], "text"])

    assert text("windows-1252.txt") == 'The Council\'s "safeguarding" budget is \u00a33m.'
    noisy = text("noisy.html")
    assert "welcomed members" in noisy and "school exclusions" in noisy
    for junk in ("tracking", "cookies", "Home", "Copyright", "logo", "alert"):
        assert junk not in noisy
    long_line = passages[passages["doc_id"] == docs.loc["one-long-line.txt", "doc_id"]]
    assert len(long_line) > 400 and long_line["text"].str.len().max() <= 10_000
    assert docs.loc["Sitzungsprotokoll März – Überblick.txt", "doc_id"] == (
        "sitzungsprotokoll-m-rz-berblick-txt"
    )


def test_strict_mode_fails_the_run(bad_folder: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["extract", "--input", str(bad_folder), "--output", str(tmp_path), "--strict"]
    )
    assert result.exit_code == EXIT_STRICT


def test_unreadable_file_permissions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    shutil.copy(DEMO / "hackney_minutes_child_q_2022.txt", src / "minutes.txt")
    locked = src / "locked.txt"
    locked.write_text("private notes")
    locked.chmod(0)
    if os.geteuid() == 0:
        # root reads any file whatever its mode: make the operating system's refusal
        # happen where an ordinary user would meet it, when the file is opened
        import pipeline.store

        real = pipeline.store.sha256_file

        def refuse(path: str | os.PathLike[str]) -> str:
            if Path(path).name == "locked.txt":
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)

        monkeypatch.setattr(pipeline.store, "sha256_file", refuse)
    result = CliRunner().invoke(
        main, ["extract", "--input", str(src), "--output", str(out), "--jobs", "1"]
    )
    assert result.exit_code == 0, result.output
    docs = pd.read_parquet(out / "documents.parquet").set_index("path")
    assert docs.loc["locked.txt", "status"] == "error"
    assert "permission denied" in docs.loc["locked.txt", "error"]
    assert docs.loc["minutes.txt", "status"] == "ok"
    [line] = [ln for ln in result.stderr.splitlines() if "locked.txt" in ln]
    assert "permission denied" in line


def test_a_pdf_whose_pages_cannot_be_parsed_is_an_error_not_a_scan() -> None:
    """Byte-damaged PDFs whose pages fail to load were reported as scans (no_text_layer)."""
    from pipeline.extract.lines import Page, RawDocument
    from pipeline.passages import _structured

    raw = RawDocument(
        lines=[],
        pages=[Page(1, 595.0, 842.0)],
        paged=True,
        meta={},
        warnings=[f"page {n}: PdfiumError: Failed to load page." for n in (2, 3)],
    )
    row, passages = _structured(raw, "damaged.pdf", "0" * 64, "pdf", "")
    assert (row["status"], row["pages"], passages) == ("error", 3, [])
    assert row["error"].startswith("2 of 3 page(s) could not be parsed (PdfiumError: Failed")
    scan = RawDocument(lines=[], pages=[Page(1, 595.0, 842.0)], paged=True, meta={}, warnings=[])
    assert _structured(scan, "scan.pdf", "0" * 64, "pdf", "")[0]["status"] == "no_text_layer"

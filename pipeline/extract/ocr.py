"""OCR of PDF pages without a text layer (scans), with tesseract.

With ``--ocr``, every page of a PDF that carries (almost) no characters is
rendered with PDFium and read by the ``tesseract`` command line tool (Debian:
``apt-get install tesseract-ocr``). Its TSV output gives each word with its box and
confidence; words are grouped into tesseract's lines and become
:class:`~pipeline.extract.lines.Line` objects with ``ocr=True``, real boxes (in
points from the page's top-left) and page numbers, so structure detection works
on them as on any PDF page.

Font sizes are estimated from line heights: lines within a quarter of the page's
typical line height get the same size, so that structure sees one body size and
only clearly larger lines (headings) differ.
"""

from __future__ import annotations

import csv
import io
import logging
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

from pipeline.extract.lines import Line, RawDocument

log = logging.getLogger(__name__)

#: Render scan pages at this resolution for tesseract (dots per inch).
OCR_DPI = 300
#: Words tesseract is less sure of than this (0-100) are dropped as noise.
MIN_CONFIDENCE = 10
#: A page with fewer characters than this is taken to have no text layer.
MIN_PAGE_CHARS = 20
#: Seconds tesseract may take for one page.
TIMEOUT = 120
#: Printed type is about this fraction of a text line's height.
_SIZE_PER_LINE_HEIGHT = 0.8

HOW_TO_ENABLE = (
    "install tesseract (Debian/Ubuntu: apt-get install tesseract-ocr) and run with --ocr"
)


def tesseract_path() -> str | None:
    """The tesseract executable, or None where it is not installed."""
    return shutil.which("tesseract")


def ocr_missing_pages(path: str | Path, raw: RawDocument, *, lang: str = "eng") -> RawDocument:
    """OCR the pages of ``raw`` (read from the PDF at ``path``) that have no text layer.

    Returns ``raw`` with the OCR'd lines in page order. Without tesseract the
    document is returned unchanged with a warning saying how to install it.
    """
    chars: dict[int, int] = defaultdict(int)
    for line in raw.lines:
        chars[line.page] += len(line.text)
    todo = [p.number for p in raw.pages if chars[p.number] < MIN_PAGE_CHARS]
    if not todo:
        return raw
    exe = tesseract_path()
    if exe is None:
        raw.warnings.append(f"{len(todo)} page(s) without a text layer: --ocr needs tesseract")
        raw.meta["ocr_missing"] = "tesseract"
        return raw
    import pypdfium2 as pdfium

    new: dict[int, list[Line]] = {}
    doc = pdfium.PdfDocument(str(path))
    try:
        for number in todo:
            page = doc[number - 1]
            try:
                new[number] = ocr_page(page, number, exe=exe, lang=lang)
            except (subprocess.SubprocessError, OSError) as exc:
                raw.warnings.append(f"page {number}: OCR failed: {exc}")
                log.warning("%s: OCR of page %d failed: %s", Path(path).name, number, exc)
            finally:
                page.close()
    finally:
        doc.close()
    lines: list[Line] = []
    done: set[int] = set()
    for line in raw.lines:
        if line.page in new and line.page not in done:
            lines.extend(new[line.page])
            done.add(line.page)
        if line.page not in new:
            lines.append(line)
    for number in sorted(set(new) - done):
        lines.extend(new[number])
    lines.sort(key=lambda ln: ln.page)  # stable: reading order within a page is kept
    raw.lines = lines
    return raw


def ocr_page(page, number: int, *, exe: str = "tesseract", lang: str = "eng") -> list[Line]:
    """Render one PDFium page and read it with tesseract into lines (``ocr=True``)."""
    scale = OCR_DPI / 72
    bitmap = page.render(scale=scale)
    try:
        image = bitmap.to_pil()
        buf = io.BytesIO()
        image.save(buf, format="PNG", dpi=(OCR_DPI, OCR_DPI))
    finally:
        bitmap.close()
    proc = subprocess.run(
        [exe, "stdin", "stdout", "-l", lang, "--dpi", str(OCR_DPI), "tsv"],
        input=buf.getvalue(),
        capture_output=True,
        timeout=TIMEOUT,
        check=True,
    )
    return tsv_to_lines(proc.stdout.decode("utf-8", errors="replace"), number, scale=scale)


def tsv_to_lines(tsv: str, number: int, *, scale: float) -> list[Line]:
    """Tesseract's TSV (one row per word, with boxes in pixels) -> lines in reading order."""
    groups: dict[tuple[int, int, int], list[dict[str, str]]] = defaultdict(list)
    order: list[tuple[int, int, int]] = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        try:
            if float(row["conf"]) < MIN_CONFIDENCE:
                continue
        except (KeyError, ValueError):
            continue
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        if key not in groups:
            order.append(key)
        groups[key].append(row)
    lines: list[Line] = []
    prev_par: tuple[int, int] | None = None
    for key in order:
        words = groups[key]
        x0 = min(int(w["left"]) for w in words) / scale
        top = min(int(w["top"]) for w in words) / scale
        x1 = max(int(w["left"]) + int(w["width"]) for w in words) / scale
        bottom = max(int(w["top"]) + int(w["height"]) for w in words) / scale
        text = " ".join(w["text"].strip() for w in words)
        lines.append(
            Line(
                text=text,
                page=number,
                x0=x0,
                top=top,
                x1=x1,
                bottom=bottom,
                block_start=key[:2] != prev_par,
                ocr=True,
            )
        )
        prev_par = key[:2]
    _set_sizes(lines)
    return lines


def _set_sizes(lines: list[Line]) -> None:
    if not lines:
        return
    heights = sorted(ln.bottom - ln.top for ln in lines)
    typical = heights[len(heights) // 2]
    body = round(typical * _SIZE_PER_LINE_HEIGHT, 1)
    for ln in lines:
        h = ln.bottom - ln.top
        ln.size = (
            body if abs(h - typical) <= 0.25 * typical else round(h * _SIZE_PER_LINE_HEIGHT, 1)
        )

"""PDF reader on pdfplumber: characters and ruled tables -> backend-neutral lines."""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.extract.layout import (
    Char,
    TableBlock,
    chars_to_lines,
    is_bold_font,
    is_italic_font,
    table_block,
)
from pipeline.extract.lines import Line, Page, RawDocument, ReadError

log = logging.getLogger(__name__)

#: A page needs at least this many ruling lines/rectangle edges before table
#: detection is attempted (it is the expensive part of pdfplumber).
MIN_EDGES_FOR_TABLES = 8

_TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}


def _open(path: Path):
    import pdfplumber

    try:
        return pdfplumber.open(path)
    except Exception as exc:  # pdfminer raises many kinds of errors on broken files
        raise pdf_error(exc) from exc


def pdf_error(exc: BaseException) -> ReadError:
    """Turn a PDF library's exception into a :class:`ReadError` with a plain reason."""
    causes = [exc, *(a for a in getattr(exc, "args", ()) if isinstance(a, BaseException))]
    names = " ".join(type(c).__name__ for c in causes) + " " + " ".join(map(str, causes))
    if "Password" in names or "Encrypt" in names or "password" in names:
        return ReadError(
            "the PDF is encrypted and needs a password to open; save an unprotected copy "
            "(or ask the publisher for one) and add that instead"
        )
    if isinstance(exc, FileNotFoundError | PermissionError):
        return ReadError(f"cannot open the file: {exc.strerror}")
    detail = "; ".join(
        f"{type(c).__name__}: {c}" if str(c) else type(c).__name__ for c in causes[-1:]
    )
    return ReadError(f"not a readable PDF ({detail}); the file may be damaged or truncated")


def _page_chars(page) -> list[Char]:
    out = []
    for c in page.chars:
        if not c.get("upright", True):
            continue
        out.append(
            Char(
                c["text"],
                float(c["x0"]),
                float(c["top"]),
                float(c["x1"]),
                float(c["bottom"]),
                float(c.get("size") or 0.0),
                is_bold_font(c.get("fontname") or ""),
                is_italic_font(c.get("fontname") or ""),
            )
        )
    return out


def _page_tables(page) -> list[TableBlock]:
    edges = len(page.lines) + len(page.rects)
    if edges < MIN_EDGES_FOR_TABLES:
        return []
    blocks = []
    for table in page.find_tables(_TABLE_SETTINGS):
        block = table_block(table.bbox, table.extract())
        if block is not None:
            blocks.append(block)
    return blocks


def read_pdf(path: str | Path, *, tables: bool = True) -> RawDocument:
    """Read a PDF with pdfplumber into lines (one per printed line) in reading order.

    Raises :class:`ReadError` for files that are not PDFs, are broken or encrypted.
    A PDF whose pages carry no characters is returned with no lines; the caller
    reports it as ``no_text_layer``.
    """
    path = Path(path)
    lines: list[Line] = []
    pages: list[Page] = []
    warnings: list[str] = []
    with _open(path) as pdf:
        meta = {k.lower(): str(v) for k, v in (pdf.metadata or {}).items() if isinstance(v, str)}
        for number, page in enumerate(pdf.pages, start=1):
            try:
                width, height = float(page.width), float(page.height)
                pages.append(Page(number, width, height))
                blocks = _page_tables(page) if tables else []
                lines.extend(
                    chars_to_lines(
                        _page_chars(page), page=number, width=width, height=height, tables=blocks
                    )
                )
            except Exception as exc:  # one bad page must not lose the document
                warnings.append(f"page {number}: {type(exc).__name__}: {exc}")
                log.warning("%s: page %d could not be read: %s", path.name, number, exc)
            finally:
                page.close()
    return RawDocument(lines=lines, pages=pages, paged=True, meta=meta, warnings=warnings)

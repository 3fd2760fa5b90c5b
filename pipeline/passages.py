"""The extract stage's task: one file -> its documents.parquet row and its passages.

It stands above the readers (:mod:`pipeline.extract`, one module per format, which
know nothing of passages) and above :mod:`pipeline.structure` (lines -> passages),
:mod:`pipeline.speakers` and :mod:`pipeline.documents` (title, date, type).

:func:`extract_document` reads one file and returns its ``documents.parquet`` row
and its passages; it never raises for a bad file: the failure is recorded in the
row's ``status`` and ``error``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.config import PDF_BACKENDS, ExtractOptions
from pipeline.documents import clean_meta_title, find_date, find_title, infer_doc_type, make_doc_id
from pipeline.extract.lines import RawDocument, ReadError
from pipeline.speakers import assign_speakers
from pipeline.structure import Passage, structure

log = logging.getLogger(__name__)

#: Characters per page below which a PDF is taken to have no text layer.
MIN_CHARS_PER_PAGE = 20

FORMATS: dict[str, str] = {
    ".pdf": "pdf",
    ".txt": "txt",
    ".text": "txt",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
}


def reader_for(fmt: str, options: ExtractOptions) -> Callable[[Path], RawDocument]:
    """Return the reader function for a format name."""
    if fmt == "pdf":
        return _pdf_reader(options)
    if fmt == "txt":
        from pipeline.extract.text import read_text

        return read_text
    if fmt == "docx":
        from pipeline.extract.docx import read_docx

        return read_docx
    if fmt == "html":
        from pipeline.extract.html import read_html

        return read_html
    raise ReadError(f"unsupported format {fmt!r}", status="unsupported")


def _pdf_reader(options: ExtractOptions) -> Callable[[Path], RawDocument]:
    if options.pdf_backend == "pdfplumber":
        from pipeline.extract.pdf import read_pdf

        read = read_pdf
    elif options.pdf_backend == "pdfium":
        from pipeline.extract.pdfium import read_pdf_pdfium

        read = read_pdf_pdfium
    else:
        raise ValueError(f"unknown PDF backend {options.pdf_backend!r}: use one of {PDF_BACKENDS}")
    if not options.ocr:
        return read

    def read_with_ocr(path: Path) -> RawDocument:
        from pipeline.extract.ocr import ocr_missing_pages

        return ocr_missing_pages(path, read(path))

    return read_with_ocr


def document_row(relpath: str, sha256: str, fmt: str, **values: Any) -> dict[str, Any]:
    """A ``documents.parquet`` row with defaults for every contract column."""
    row: dict[str, Any] = {
        "doc_id": make_doc_id(relpath),
        "path": relpath,
        "sha256": sha256,
        "format": fmt,
        "doc_type": "other",
        "title": "",
        "date": "",
        "pages": 0,
        "words": 0,
        "status": "ok",
        "error": "",
        "date_source": "",
        "duplicate_of": "",
        "warnings": "",
    }
    row.update(values)
    return row


def extract_document(
    path: Path,
    relpath: str,
    sha256: str,
    options: ExtractOptions | None = None,
    *,
    doc_type: str = "",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read and structure one file; return its document row and passage rows.

    ``doc_type`` (from the manifest) replaces the inferred type; it decides whether
    minutes speakers are looked for.

    Never raises for a bad file: unreadable, empty, encrypted or scanned files get a
    row with ``status`` and a human-readable ``error`` and no passages.
    """
    options = options or ExtractOptions()
    fmt = FORMATS.get(path.suffix.lower(), path.suffix.lower().lstrip(".") or "unknown")
    if fmt not in FORMATS.values():
        return document_row(
            relpath,
            sha256,
            fmt,
            status="unsupported",
            error=f"unsupported file type '{path.suffix or '(none)'}': "
            f"supported are {', '.join(sorted(set(FORMATS)))}",
        ), []
    try:
        if path.stat().st_size == 0:
            raise ReadError("the file is empty (0 bytes)", status="empty")
        raw = reader_for(fmt, options)(path)
    except ReadError as exc:
        return document_row(relpath, sha256, fmt, status=exc.status, error=str(exc)), []
    except PermissionError as exc:
        return document_row(
            relpath, sha256, fmt, status="error", error=f"permission denied: {exc.strerror}"
        ), []
    except Exception as exc:  # a reader bug or a file no reader expected: report, go on
        log.debug("reader failed on %s", relpath, exc_info=True)
        return document_row(
            relpath,
            sha256,
            fmt,
            status="error",
            error=f"could not be read ({type(exc).__name__}: {exc})",
        ), []
    return _structured(raw, relpath, sha256, fmt, doc_type)


def extract_task(
    path: str, relpath: str, sha256: str, options: ExtractOptions, doc_type: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """:func:`extract_document` with plain arguments: the task a worker process runs.

    It lives here rather than in :mod:`pipeline.run` so that a worker started fresh
    (forkserver or spawn) imports extraction only, not pandas and the stage graph.
    """
    return extract_document(Path(path), relpath, sha256, options, doc_type=doc_type)


def _structured(
    raw: RawDocument, relpath: str, sha256: str, fmt: str, doc_type: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    pages = len(raw.pages)
    n_chars = sum(len(line.text) for line in raw.lines)
    warnings = "; ".join(raw.warnings)
    textless = (
        fmt == "pdf"
        and n_chars < MIN_CHARS_PER_PAGE * max(pages, 1)
        and not any(line.ocr for line in raw.lines)
    )
    if textless and (failed := failed_pages(raw)):
        # pages the parser could not read are damage, not a scan: say what the parser said
        total = len({p.number for p in raw.pages} | set(failed))
        first = next(iter(failed.values()))
        return document_row(
            relpath,
            sha256,
            fmt,
            pages=total,
            status="error",
            warnings=warnings,
            error=(
                f"{len(failed)} of {total} page(s) could not be parsed ({first}); "
                "the file may be damaged"
            ),
        ), []
    if textless:
        return document_row(
            relpath,
            sha256,
            fmt,
            pages=pages,
            status="no_text_layer",
            warnings=warnings,
            error=_no_text_layer_message(raw),
        ), []
    if not raw.lines:
        return document_row(
            relpath,
            sha256,
            fmt,
            pages=pages,
            status="empty",
            error="no text found in the file",
            warnings=warnings,
        ), []
    passages = structure(raw)
    doc_id = make_doc_id(relpath)
    opening = "\n".join(p.text for p in passages[:60])
    fallback = Path(relpath).stem.replace("_", " ")
    meta_title = clean_meta_title(raw.meta.get("title", ""), opening)
    if fmt == "html":  # a page's <title> ends with the site's name: "Minutes ... | Council"
        meta_title = clean_meta_title(re.split(r"\s+[|–—]\s+", raw.meta.get("title", ""))[0])
    title = meta_title or find_title(passages, fallback=fallback)
    doc_type = doc_type or infer_doc_type(title, opening)
    if doc_type == "minutes":
        assign_speakers(passages)
    iso, source = find_date(opening[:6000])
    if not iso and raw.meta.get("date"):
        iso, source = find_date(raw.meta["date"])[0], "metadata"
    row = document_row(
        relpath,
        sha256,
        fmt,
        doc_type=doc_type,
        title=title,
        date=iso,
        date_source=source,
        pages=pages,
        words=sum(len(p.text.split()) for p in passages),
        warnings=warnings,
    )
    return row, [_passage_row(doc_id, p) for p in passages]


_PAGE_FAILED = re.compile(r"^page (\d+): (?!OCR failed)(.+)$")


def failed_pages(raw: RawDocument) -> dict[int, str]:
    """Pages the PDF parser could not read (from ``raw.warnings``): number -> reason."""
    out: dict[int, str] = {}
    for warning in raw.warnings:
        if m := _PAGE_FAILED.match(warning):
            out.setdefault(int(m.group(1)), m.group(2))
    return out


def _no_text_layer_message(raw: RawDocument) -> str:
    from pipeline.extract.ocr import HOW_TO_ENABLE

    if raw.meta.get("ocr_missing") == "tesseract":
        return (
            "the PDF has no text layer (it is probably a scan) and --ocr needs tesseract, "
            "which is not installed: apt-get install tesseract-ocr (Debian/Ubuntu)"
        )
    return f"the PDF has no text layer (it is probably a scan); to read it, {HOW_TO_ENABLE}"


def _passage_row(doc_id: str, p: Passage) -> dict[str, Any]:
    return {
        "passage_id": f"{doc_id}:{p.seq:05d}",
        "doc_id": doc_id,
        "seq": p.seq,
        "page": p.page,
        "ref": p.ref,
        "parent_ref": p.parent_ref,
        "kind": p.kind,
        "speaker": p.speaker,
        "text": p.text,
        "page_end": p.page_end,
        "ocr": p.ocr,
        # minutes: each sentence's speaker where there are several, who is asked to act
        "speaker_spans": json.dumps(p.speaker_spans) if p.speaker_spans else "",
        "addressees": p.addressees,
        # share of the characters on italic lines (recommendations set apart by typeface)
        "italic": round(p.italic, 3),
        # underlined spans of the text (asks some reports underline inside prose)
        "underline_spans": json.dumps(p.underline_spans) if p.underline_spans else "",
    }

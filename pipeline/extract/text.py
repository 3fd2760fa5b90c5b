"""Plain-text reader: decode bytes robustly, one line per text line, blank lines as breaks."""

from __future__ import annotations

from pathlib import Path

from pipeline.extract.lines import Line, Page, RawDocument, ReadError
from pipeline.textnorm import normalize_chars, normalize_whitespace

#: Synthetic geometry for text lines: points per indentation character and per line.
CHAR_WIDTH = 5.0
LINE_STEP = 12.0


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a text file's bytes; return ``(text, encoding)``.

    UTF-8 (with or without BOM) first; then UTF-16 with a BOM; then Windows-1252, the
    encoding of older UK council web pages and Word exports (a superset of Latin-1
    for printable text, with curly quotes and the euro sign), when every byte is
    defined in it; otherwise the best guess of charset-normalizer.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    encoding = best.encoding if best is not None else "latin-1"
    return data.decode(encoding, errors="replace"), encoding


def looks_binary(data: bytes) -> bool:
    """True when the bytes are not text (NUL bytes in the first 8 KiB)."""
    return b"\x00" in data[:8192]


def read_text(path: str | Path) -> RawDocument:
    """Read a plain-text file into lines; a form feed starts a new page."""
    path = Path(path)
    data = path.read_bytes()
    if not data.strip():
        raise ReadError("the file is empty", status="empty")
    if looks_binary(data) and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReadError("the file is binary, not text")
    text, encoding = decode_bytes(data)
    return lines_from_text(text, meta={"encoding": encoding})


def lines_from_text(text: str, *, meta: dict[str, str] | None = None) -> RawDocument:
    """Turn text into lines: indentation as ``x0``, a blank line marks a new block."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines: list[Line] = []
    pages: list[Page] = []
    for pno, page_text in enumerate(text.split("\f"), start=1):
        pages.append(Page(pno, 595.0, 842.0))
        blank = True
        for i, raw in enumerate(page_text.split("\n")):
            norm = normalize_chars(raw)
            stripped = normalize_whitespace(norm)
            if not stripped:
                blank = True
                continue
            indent = len(norm) - len(norm.lstrip())
            x0 = indent * CHAR_WIDTH
            lines.append(
                Line(
                    text=stripped,
                    page=pno,
                    x0=x0,
                    top=i * LINE_STEP,
                    x1=x0 + len(stripped) * CHAR_WIDTH,
                    bottom=i * LINE_STEP + LINE_STEP * 0.8,
                    block_start=blank,
                )
            )
            blank = False
    return RawDocument(lines=lines, pages=pages, paged=False, meta=dict(meta or {}))

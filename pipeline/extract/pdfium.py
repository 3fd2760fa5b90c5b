"""PDF reader on PDFium (pypdfium2): characters and ruled tables -> backend-neutral lines.

PDFium parses a page about two orders of magnitude faster than pdfminer.six (under
pdfplumber), so this is the default PDF backend. It hands the same
:class:`~pipeline.extract.layout.Char` objects to :func:`~pipeline.extract.layout.chars_to_lines`
as the pdfplumber backend, so both produce the same line model.

Speed: a call into PDFium through ctypes costs about a microsecond, and a page
has two to four thousand characters, so asking for every character's box, size
and font would cost more than PDFium's own parsing. Instead the page's text is
read in one call (``FPDFText_GetText``) and cut into words at the spaces and
line ends PDFium puts in it; each word is one ``Char`` whose box comes from its
first and last character (``FPDFText_GetLooseCharBox``: advance width across,
font ascent to descent down, the same model as pdfminer's boxes). A word whose
first and last characters belong to different text objects (a footnote marker
set in a smaller font and glued to its word, a bold run that ends mid-word) is
split at every change of text object, character by character. Font size, weight
and orientation are read once per text object.

Tables: see :mod:`pipeline.extract.pdfium_tables`.
"""

from __future__ import annotations

import ctypes
import logging
import re
from pathlib import Path

from pipeline.extract.layout import SPACE_GAP, Char, TableBlock, chars_to_lines, is_bold_font
from pipeline.extract.lines import Line, Page, RawDocument, ReadError

log = logging.getLogger(__name__)

#: A font whose weight (from its descriptor) is at least this is bold.
BOLD_WEIGHT = 600

_WORD = re.compile(r"[^\s\ufffe\x02]+|[\ufffe\x02]")
_GLUED = re.compile(r"[.,;:)](?=[A-Z])")
#: PDFium marks a hyphen at a line end (a soft break) as U+0002 / U+FFFE in its text.
_HYPHEN_MARKS = ("\x02", "\ufffe")


class _Api:
    """The PDFium functions used per word or per text object, bound once.

    Functions that take or return a page object are re-bound with ``c_void_p`` so
    that objects are plain integer addresses (cheap to compare and to cache by).
    """

    def __init__(self) -> None:
        import pypdfium2.raw as raw

        self.raw = raw
        self.rect = raw.FS_RECTF()
        self.rect_ref = ctypes.byref(self.rect)
        self.matrix = raw.FS_MATRIX()
        self.matrix_ref = ctypes.byref(self.matrix)
        self.x, self.y = ctypes.c_double(), ctypes.c_double()
        self.x_ref, self.y_ref = ctypes.byref(self.x), ctypes.byref(self.y)
        self.descent = ctypes.c_float()
        self.descent_ref = ctypes.byref(self.descent)
        self.flags = ctypes.c_int()
        self.flags_ref = ctypes.byref(self.flags)
        self.name_buf = ctypes.create_string_buffer(256)
        vp, ci = ctypes.c_void_p, ctypes.c_int
        self.text_object = _rebind(raw.FPDFText_GetTextObject, vp, vp, ci)
        self.object_font = _rebind(raw.FPDFTextObj_GetFont, vp, vp)
        self.font_descent = _rebind(
            raw.FPDFFont_GetDescent, ci, vp, ctypes.c_float, ctypes.POINTER(ctypes.c_float)
        )
        self.font_weight = _rebind(raw.FPDFFont_GetWeight, ci, vp)


def _rebind(fn, restype, *argtypes):
    return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(fn, ctypes.c_void_p).value)


_API: _Api | None = None


def _api() -> _Api:
    global _API
    if _API is None:
        _API = _Api()
    return _API


def _open(path: Path):
    import pypdfium2 as pdfium

    from pipeline.extract.pdf import pdf_error

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code in (pdfium.raw.FPDF_ERR_PASSWORD, pdfium.raw.FPDF_ERR_SECURITY):
            # the same message as the pdfplumber backend
            raise pdf_error(PermissionError("Password required")) from exc
        raise ReadError(
            f"not a readable PDF ({exc}); the file may be damaged or truncated"
        ) from exc
    except OSError as exc:
        raise pdf_error(exc) from exc


def _page_text(tp, n: int) -> str:
    """The text page's characters as a string with one character per PDFium index."""
    api = _api()
    buf = (ctypes.c_ushort * (n + 1))()
    api.raw.FPDFText_GetText(tp, 0, n, buf)
    text = bytes(buf)[: 2 * n].decode("utf-16-le", errors="replace")
    if len(text) != n:  # characters outside the BMP: read them one by one
        get = api.raw.FPDFText_GetUnicode
        text = "".join(chr(get(tp, i)) for i in range(n))
    return text


class _ObjectInfo:
    __slots__ = ("bold", "descent", "size", "upright")

    def __init__(self, size: float, descent: float, bold: bool, upright: bool) -> None:
        self.size = size
        self.descent = descent
        self.bold = bold
        self.upright = upright


def _object_info(tp, index: int, obj: int) -> _ObjectInfo:
    """Font size (in points on the page), descent, boldness, orientation of a text object.

    ``index`` is one of the object's characters. The size is the font size times
    the vertical scale of the character's matrix, as pdfminer reports it.
    """
    api = _api()
    raw = api.raw
    scale, upright = 1.0, True
    if raw.FPDFText_GetMatrix(tp, index, api.matrix_ref):
        m = api.matrix
        scale = (m.c * m.c + m.d * m.d) ** 0.5
        upright = abs(m.b) <= 1e-3 * abs(m.a) and m.a > 0 and m.d > 0
    size = float(raw.FPDFText_GetFontSize(tp, index)) * scale
    n = raw.FPDFText_GetFontInfo(tp, index, api.name_buf, len(api.name_buf), api.flags_ref)
    name = api.name_buf.raw[: max(n - 1, 0)].decode("latin-1") if n else ""
    font = api.object_font(obj) if obj else None
    weight = api.font_weight(font) if font else -1
    descent = -0.2 * size
    if font and api.font_descent(font, size, api.descent_ref):
        descent = min(float(api.descent.value), 0.0)
    bold = weight >= BOLD_WEIGHT or is_bold_font(name)
    return _ObjectInfo(size, descent, bold, upright)


def page_chars(tp, page_top: float, page_left: float = 0.0) -> list[Char]:
    """Read one text page into word-level :class:`Char` objects (top-left coordinates).

    ``page_top`` is the y of the page's top edge in PDF coordinates (origin bottom-left).
    """
    api = _api()
    raw = api.raw
    n = raw.FPDFText_CountChars(tp)
    if n <= 0:
        return []
    text = _page_text(tp, n)
    tp_ptr = ctypes.cast(tp, ctypes.c_void_p)
    text_object = api.text_object
    loose = raw.FPDFText_GetLooseCharBox
    rect, rect_ref = api.rect, api.rect_ref
    origin = raw.FPDFText_GetCharOrigin
    x, y, x_ref, y_ref = api.x, api.y, api.x_ref, api.y_ref
    infos: dict[int, _ObjectInfo] = {}
    out: list[Char] = []

    def make(a: int, b: int, obj: int) -> Char | None:
        info = infos.get(obj)
        if info is None:
            info = infos[obj] = _object_info(tp, a, obj)
        if not info.upright:
            return None
        # pdfminer's box: from the baseline's descent up by the font size; across,
        # from the first character's origin to the last one's advance
        origin(tp, a, x_ref, y_ref)
        loose(tp, b, rect_ref)
        bottom = page_top - (y.value + info.descent)
        word = text[a : b + 1]
        if word[-1] in _HYPHEN_MARKS:
            word = word[:-1] + "-"
        return Char(
            word,
            x.value - page_left,
            bottom - info.size,
            rect.right - page_left,
            bottom,
            info.size,
            info.bold,
        )

    def emit(a: int, b: int, obj: int) -> None:
        ch = make(a, b, obj)
        if ch is not None:
            out.append(ch)

    for a, b, sep in _words(tp, text):
        before = len(out)
        obj_a = text_object(tp_ptr, a) or 0
        if a == b or obj_a == (text_object(tp_ptr, b) or 0):
            emit(a, b, obj_a)
        else:
            # the word spans text objects: split it at every change of object
            start, current = a, obj_a
            for i in range(a + 1, b + 1):
                obj = text_object(tp_ptr, i) or 0
                if obj != current:
                    emit(start, i - 1, current)
                    start, current = i, obj
            emit(start, b, current)
        if not before or len(out) == before or not sep:
            continue
        prev, new = out[before - 1], out[before]
        if sep == " " and new.x0 - prev.x1 > 2 * SPACE_GAP * max(prev.size, new.size):
            continue  # the gap shows the space
        # a space between two words on one line where the gap alone might not show it
        # (tight setting; PDFium's boxes include a glyph's overhang, pdfminer's do
        # not): keep it as a character, as pdfplumber does. A space from the PDF
        # gets its own box; one PDFium generated or dropped (no text object) spans
        # the gap.
        obj = text_object(tp_ptr, a - 1) or 0 if sep == " " else 0
        space = make(a - 1, a - 1, obj) if obj else None
        if space is None:
            x1 = max(new.x0, prev.x1 + 0.5)
            space = Char(" ", prev.x1, prev.top, x1, prev.bottom, prev.size, prev.bold)
        out.insert(before, space)
    return out


def _dropped_spaces(tp, text: str) -> set[int]:
    """Indices where PDFium dropped a space after punctuation: "2.10.Many" for "2.10. Many".

    PDFium leaves out a space character that overlaps the next glyph (a paragraph
    number followed by a tab-like space), gluing a number to the first word of its
    paragraph. Where punctuation is followed by a capital letter inside a word and
    the glyphs stand apart (a tenth of an em or more: "GOV.UK" does not), the word is
    cut there and the space put back.
    """
    api = _api()
    raw = api.raw
    out = set()
    for m in _GLUED.finditer(text):
        i = m.start()
        raw.FPDFText_GetLooseCharBox(tp, i, api.rect_ref)
        right = api.rect.right
        raw.FPDFText_GetCharOrigin(tp, i + 1, api.x_ref, api.y_ref)
        size = raw.FPDFText_GetFontSize(tp, i + 1)
        if raw.FPDFText_GetMatrix(tp, i + 1, api.matrix_ref):
            size *= (api.matrix.c**2 + api.matrix.d**2) ** 0.5
        if api.x.value - right >= 0.1 * size:
            out.add(i + 1)
    return out


def _words(tp, text: str):
    """(first, last, separator) of each word of the page text, in text order.

    The separator is what stood before the word: ``" "`` for a single space,
    ``"glued"`` where :func:`_dropped_spaces` found a space PDFium dropped, else
    ``""`` (line ends, several spaces, the start of the page).
    """
    cuts = _dropped_spaces(tp, text) if _GLUED.search(text) else set()
    prev_end = 0
    for m in _WORD.finditer(text):
        a, end = m.start(), m.end()
        sep = " " if text[prev_end:a] == " " else ""
        prev_end = end
        for cut in sorted(c for c in cuts if a < c < end):
            yield a, cut - 1, sep
            a, sep = cut, "glued"
        yield a, end - 1, sep


def _page_box(page) -> tuple[float, float, float, float]:
    """The page's visible box (left, bottom, right, top) in PDF coordinates.

    ``FPDF_GetPageBoundingBox`` resolves a media box inherited from the page tree
    (``FPDFPage_GetMediaBox`` reads only the page's own and falls back to Letter).
    """
    left, bottom, right, top = page.get_bbox()
    return float(left), float(bottom), float(right), float(top)


def read_pdf_pdfium(path: str | Path, *, tables: bool = True) -> RawDocument:
    """Read a PDF with PDFium into lines (one per printed line) in reading order.

    Raises :class:`ReadError` for files that are not PDFs, are broken or encrypted.
    A PDF whose pages carry no characters is returned with no lines; the caller
    reports it as ``no_text_layer``. Pages and text pages are closed as they are
    read, so memory stays flat however long the document is.
    """
    from pipeline.extract.pdfium_tables import page_tables

    path = Path(path)
    lines: list[Line] = []
    pages: list[Page] = []
    warnings: list[str] = []
    doc = _open(path)
    try:
        meta = {k.lower(): str(v) for k, v in doc.get_metadata_dict(skip_empty=True).items() if v}
        for index in range(len(doc)):
            number = index + 1
            page = tp = None
            try:
                page = doc[index]
                left, bottom, right, top = _page_box(page)
                width, height = right - left, top - bottom
                pages.append(Page(number, width, height))
                tp = page.get_textpage()
                chars = page_chars(tp.raw, top, left)
                blocks: list[TableBlock] = (
                    page_tables(page, chars, page_top=top, page_left=left) if tables else []
                )
                lines.extend(
                    chars_to_lines(chars, page=number, width=width, height=height, tables=blocks)
                )
            except Exception as exc:  # one bad page must not lose the document
                warnings.append(f"page {number}: {type(exc).__name__}: {exc}")
                log.warning("%s: page %d could not be read: %s", path.name, number, exc)
            finally:
                if tp is not None:
                    tp.close()
                if page is not None:
                    page.close()
    finally:
        doc.close()
    return RawDocument(lines=lines, pages=pages, paged=True, meta=meta, warnings=warnings)

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

Kept as one module: it is one reader, and its speed comes from keeping the
ctypes calls, the bulk text reads and the per-object loop that uses them in one
place (tables, which need none of that, are in their own module).
"""

from __future__ import annotations

import ctypes
import logging
import re
from pathlib import Path

import numpy as np

from pipeline.extract.layout import (
    SPACE_GAP,
    Char,
    PageChars,
    TableBlock,
    chars_to_lines,
    is_bold_font,
    is_italic_font,
)
from pipeline.extract.lines import Line, Page, RawDocument, ReadError
from pipeline.extract.underline import underline_rules, underlined_words

log = logging.getLogger(__name__)

#: A font whose weight (from its descriptor) is at least this is bold.
BOLD_WEIGHT = 600
#: The font descriptor flag of an italic face (PDF 32000, table 123: bit 7).
ITALIC_FLAG = 1 << 6

_WORD = re.compile(r"[^\s\ufffe\x02]+|[\ufffe\x02]")
_GLUED = re.compile(r"[.,;:)](?=[A-Z])")
#: PDFium marks a hyphen at a line end (a soft break) as U+0002 / U+FFFE in its text.
_HYPHEN_MARKS = ("\x02", "\ufffe")


class _Api:
    """The PDFium functions called per word or per text object, bound once.

    pypdfium2's bindings convert every argument through ``argtypes`` (about 0.6 us
    a call); the functions called per word are re-bound here without them, taking
    the text page as a prebuilt ``c_void_p`` and out-parameters by reference
    (about 0.13 us a call). Functions that return a page object or font return a
    plain integer address (cheap to compare and to cache by).
    """

    def box_calls(self) -> tuple:
        """What the word and space passes call per character, as local names:
        ``(text_object, char_origin, loose_box, x, y, rect, x_ref, y_ref, rect_ref)``."""
        return (self.text_object, self.char_origin, self.loose_box, self.x, self.y,
                self.rect, self.x_ref, self.y_ref, self.rect_ref)  # fmt: skip

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
        # per word: no argtypes (handle as c_void_p, index as int, pointers by reference)
        self.count_chars = _bare(raw.FPDFText_CountChars, ci)
        self.text_object = _bare(raw.FPDFText_GetTextObject, vp)
        self.char_origin = _bare(raw.FPDFText_GetCharOrigin, ci)
        self.loose_box = _bare(raw.FPDFText_GetLooseCharBox, ci)
        self.char_matrix = _bare(raw.FPDFText_GetMatrix, ci)
        self.font_size = _bare(raw.FPDFText_GetFontSize, ctypes.c_double)
        self.font_info = _bare(raw.FPDFText_GetFontInfo, ctypes.c_ulong)
        # per text object or font: typed
        self.object_font = _rebind(raw.FPDFTextObj_GetFont, vp, vp)
        self.font_descent = _rebind(
            raw.FPDFFont_GetDescent, ci, vp, ctypes.c_float, ctypes.POINTER(ctypes.c_float)
        )
        self.font_weight = _rebind(raw.FPDFFont_GetWeight, ci, vp)


def _rebind(fn, restype, *argtypes):
    return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(fn, ctypes.c_void_p).value)


def _bare(fn, restype):
    """``fn`` without argument conversion: callers pass exactly the C types it takes."""
    return ctypes.CFUNCTYPE(restype)(ctypes.cast(fn, ctypes.c_void_p).value)


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


#: What a text object's characters share: (size, descent, bold, upright, italic).
_ObjectInfo = tuple[float, float, bool, bool, bool]


class _Fonts:
    """Boldness and slant per font (from its name, weight and flags), descent per font
    and size, for one page.

    Fonts are shared by many text objects (a page has a handful of fonts and about a
    hundred text objects), so these are asked of PDFium once per font. The cache
    lives as long as the page, which keeps its fonts alive.
    """

    __slots__ = ("bold", "descent", "italic")

    def __init__(self) -> None:
        self.bold: dict[int, bool] = {}
        self.italic: dict[int, bool] = {}
        self.descent: dict[tuple[int, float], float] = {}


def _object_info(handle, index: int, obj: int, fonts: _Fonts) -> _ObjectInfo:
    """Font size (in points on the page), descent, boldness, orientation, slant of a
    text object.

    ``index`` is one of the object's characters. The size is the font size times
    the vertical scale of the character's matrix, as pdfminer reports it.
    """
    api = _api()
    scale, upright = 1.0, True
    if api.char_matrix(handle, index, api.matrix_ref):
        m = api.matrix
        scale = (m.c * m.c + m.d * m.d) ** 0.5
        upright = abs(m.b) <= 1e-3 * abs(m.a) and m.a > 0 and m.d > 0
    size = float(api.font_size(handle, index)) * scale
    font = api.object_font(obj) if obj else None
    if not font:  # a character PDFium generated: no text object, no font
        return size, -0.2 * size, False, upright, False
    bold = fonts.bold.get(font)
    if bold is None:
        buf = api.name_buf
        n = api.font_info(handle, index, buf, ctypes.c_ulong(len(buf)), api.flags_ref)
        name = buf.raw[: max(n - 1, 0)].decode("latin-1") if n else ""
        bold = fonts.bold[font] = api.font_weight(font) >= BOLD_WEIGHT or is_bold_font(name)
        fonts.italic[font] = bool(n and api.flags.value & ITALIC_FLAG) or is_italic_font(name)
    italic = fonts.italic[font]
    key = (font, size)
    descent = fonts.descent.get(key)
    if descent is None:
        descent = -0.2 * size
        if api.font_descent(font, size, api.descent_ref):
            descent = min(float(api.descent.value), 0.0)
        fonts.descent[key] = descent
    return size, descent, bold, upright, italic


class _PageReader:
    """Reads one text page's words (and the spaces layout needs) into columns.

    The words' raw PDFium values (first and last index, text object, origin, loose
    right edge) are collected in one tight pass over the page text; boxes are then
    computed with numpy for the whole page, and the spaces are decided and read in a
    second, shorter pass. The arithmetic and decisions are the same, operation for
    operation, as reading word by word.
    """

    def __init__(self, tp, text: str, page_top: float, page_left: float) -> None:
        api = _api()
        self.api = api
        self.tp = tp
        self.page_top, self.page_left = page_top, page_left
        self.handle = ctypes.c_void_p(ctypes.cast(tp, ctypes.c_void_p).value)
        self.text = text
        self.fonts = _Fonts()
        self.infos: dict[int, int] = {}  # text object -> row in the info lists
        self.sizes: list[float] = []
        self.descents: list[float] = []
        self.bolds: list[bool] = []
        self.italics: list[bool] = []
        self.uprights: list[bool] = []
        # one entry per word piece
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.kinds: list[int] = []  # row in the info lists
        self.xs: list[float] = []  # origin of the first character
        self.ys: list[float] = []
        self.rights: list[float] = []  # loose right edge of the last character
        # what stood before the piece: 0 nothing to consider (not a word's first piece,
        # a line end); i >= 1 a single space at i - 1; -1 a space PDFium dropped
        self.seps: list[int] = []

    def info(self, index: int, obj: int) -> int:
        """Row of the text object's facts in the info lists (read on first use)."""
        k = self.infos.get(obj)
        if k is None:
            size, descent, bold, upright, italic = _object_info(self.handle, index, obj, self.fonts)
            k = self.infos[obj] = len(self.sizes)
            self.sizes.append(size)
            self.descents.append(descent)
            self.bolds.append(bold)
            self.italics.append(italic)
            self.uprights.append(upright)
        return k

    def read_words(self) -> None:
        """The first pass: every word of the page text, split where its text object changes."""
        text, handle = self.text, self.handle
        api = self.api
        text_object, origin, loose, x, y, rect, x_ref, y_ref, rect_ref = api.box_calls()
        infos, uprights, info = self.infos, self.uprights, self.info
        starts, ends, kinds, xs, ys, rights, seps = (
            self.starts, self.ends, self.kinds, self.xs, self.ys, self.rights, self.seps
        )  # fmt: skip
        if _GLUED.search(text) and _dropped_spaces(self.tp, text):
            for a, b, sep in _words(self.tp, text):
                self.read_word(a, b, a if sep == " " else (-1 if sep else 0))
            return
        start_append, end_append, kind_append = starts.append, ends.append, kinds.append
        x_append, y_append, right_append, sep_append = (
            xs.append,
            ys.append,
            rights.append,
            seps.append,
        )
        first, last, before = _word_spans(text)
        for a, b, sep in zip(first, last, before, strict=True):
            obj = text_object(handle, a) or 0
            if a != b and obj != (text_object(handle, b) or 0):
                self.split_word(a, b, obj, sep)  # the word spans text objects
                continue
            k = infos.get(obj)
            if k is None:
                k = info(a, obj)
            if not uprights[k]:
                continue
            origin(handle, a, x_ref, y_ref)
            loose(handle, b, rect_ref)
            start_append(a)
            end_append(b)
            kind_append(k)
            x_append(x.value)
            y_append(y.value)
            right_append(rect.right)
            sep_append(sep)

    def read_word(self, a: int, b: int, sep: int) -> None:
        """One word: one piece when its first and last characters share a text object."""
        text_object, handle = self.api.text_object, self.handle
        obj = text_object(handle, a) or 0
        if a == b or obj == (text_object(handle, b) or 0):
            self.read_piece(a, b, obj, sep)
        else:
            self.split_word(a, b, obj, sep)

    def split_word(self, a: int, b: int, obj: int, sep: int) -> None:
        """A word that spans text objects: split at every change of object."""
        text_object, handle = self.api.text_object, self.handle
        start, current = a, obj
        for i in range(a + 1, b + 1):
            obj = text_object(handle, i) or 0
            if obj != current:
                if self.read_piece(start, i - 1, current, sep):
                    sep = 0
                start, current = i, obj
        self.read_piece(start, b, current, sep)

    def read_piece(self, a: int, b: int, obj: int, sep: int) -> bool:
        """Characters ``a`` to ``b`` of one text object; False when not upright (dropped)."""
        k = self.info(a, obj)
        if not self.uprights[k]:
            return False
        api = self.api
        api.char_origin(self.handle, a, api.x_ref, api.y_ref)
        api.loose_box(self.handle, b, api.rect_ref)
        self.starts.append(a)
        self.ends.append(b)
        self.kinds.append(k)
        self.xs.append(api.x.value)
        self.ys.append(api.y.value)
        self.rights.append(api.rect.right)
        self.seps.append(sep)
        return True

    def columns(self) -> PageChars:
        """The second pass: boxes of the words, and the spaces between them."""
        page_top, page_left = self.page_top, self.page_left
        if not self.starts:
            return PageChars.from_rows([])
        kinds = np.array(self.kinds, dtype=np.intp)
        size = np.array(self.sizes)[kinds]
        descent = np.array(self.descents)[kinds]
        bold = np.array(self.bolds, dtype=bool)[kinds]
        italic = np.array(self.italics, dtype=bool)[kinds]
        # pdfminer's box: from the baseline's descent up by the font size; across,
        # from the first character's origin to the last one's advance
        x0 = np.array(self.xs) - page_left
        x1 = np.array(self.rights) - page_left
        bottom = page_top - (np.array(self.ys) + descent)
        top = bottom - size
        text = self.text
        words = [text[a : b + 1] for a, b in zip(self.starts, self.ends, strict=True)]
        if "\x02" in text or "\ufffe" in text:
            words = [w[:-1] + "-" if w[-1] in _HYPHEN_MARKS else w for w in words]
        # a space between two words on one line where the gap alone might not show
        # it (tight setting; PDFium's boxes include a glyph's overhang, pdfminer's
        # do not) is kept as a character, as pdfplumber does
        seps = np.array(self.seps, dtype=np.int64)
        seps[0] = 0  # nothing before the page's first word
        wide = 2 * SPACE_GAP  # a gap wider than this many font sizes shows the space
        need = (seps < 0) | (
            (seps > 0) & (x0 - np.roll(x1, 1) <= wide * np.maximum(np.roll(size, 1), size))
        )
        at = np.flatnonzero(need)
        nchar = np.array(self.ends) - np.array(self.starts) + 1  # a word's letters
        if not len(at):
            blank = np.zeros(len(words), dtype=bool)
            return PageChars(
                words, x0, top, x1, bottom, size, bold, blank=blank, nchar=nchar, italic=italic
            )
        spaces = self.spaces(at, seps[at].tolist(), x0, top, x1, bottom, size, bold, italic)
        sx0, stop, sx1, sbottom, ssize, sbold, sitalic = spaces
        # each space goes just before the word it precedes
        n = len(words) + len(at)
        where = np.arange(len(words)) + np.cumsum(need)
        space_where = where[at] - 1
        out_text: list[str] = [" "] * n
        for i, w in zip(where.tolist(), words, strict=True):
            out_text[i] = w
        cols = []
        for word_col, space_col in (
            (x0, sx0), (top, stop), (x1, sx1), (bottom, sbottom), (size, ssize), (bold, sbold),
            (italic, sitalic), (nchar, 1), (False, True),
        ):  # fmt: skip
            col = np.empty(n, dtype=np.asarray(word_col).dtype)
            col[where] = word_col
            col[space_where] = space_col
            cols.append(col)
        *boxes, italic, nchar, blank = cols
        return PageChars(out_text, *boxes, blank=blank, nchar=nchar, italic=italic)

    def spaces(
        self,
        at: np.ndarray,
        seps: list[int],
        x0: np.ndarray,
        top: np.ndarray,
        x1: np.ndarray,
        bottom: np.ndarray,
        size: np.ndarray,
        bold: np.ndarray,
        italic: np.ndarray,
    ) -> tuple[np.ndarray, ...]:
        """Boxes of the spaces before the words ``at``: a space from the PDF gets its own
        box; one PDFium generated or dropped (no text object) spans the gap."""
        api = self.api
        handle = self.handle
        text_object, origin, loose, x, y, rect, x_ref, y_ref, rect_ref = api.box_calls()
        infos, info, uprights = self.infos, self.info, self.uprights
        kinds: list[int] = []  # row in the info lists, -1: no box of its own
        xs: list[float] = []
        ys: list[float] = []
        rights: list[float] = []
        for sep in seps:
            if sep > 0 and (obj := text_object(handle, sep - 1)):
                k = infos.get(obj)
                if k is None:
                    k = info(sep - 1, obj)
                if uprights[k]:
                    origin(handle, sep - 1, x_ref, y_ref)
                    loose(handle, sep - 1, rect_ref)
                    kinds.append(k)
                    xs.append(x.value)
                    ys.append(y.value)
                    rights.append(rect.right)
                    continue
            kinds.append(-1)
            xs.append(0.0)
            ys.append(0.0)
            rights.append(0.0)
        k = np.array(kinds, dtype=np.intp)
        own = k >= 0
        k[~own] = 0
        ssize = np.array(self.sizes)[k]
        sbottom = self.page_top - (np.array(ys) + np.array(self.descents)[k])
        stop = sbottom - ssize
        sx0 = np.array(xs) - self.page_left
        sx1 = np.array(rights) - self.page_left
        sbold = np.array(self.bolds, dtype=bool)[k]
        sitalic = np.array(self.italics, dtype=bool)[k]
        prev = at - 1
        return (
            np.where(own, sx0, x1[prev]),
            np.where(own, stop, top[prev]),
            np.where(own, sx1, np.maximum(x0[at], x1[prev] + 0.5)),
            np.where(own, sbottom, bottom[prev]),
            np.where(own, ssize, size[prev]),
            np.where(own, sbold, bold[prev]),
            np.where(own, sitalic, italic[prev]),
        )


def page_columns(tp, page_top: float, page_left: float = 0.0) -> PageChars:
    """Read one text page into word-level characters (top-left coordinates), as columns.

    ``page_top`` is the y of the page's top edge in PDF coordinates (origin bottom-left).
    Words come in PDFium's text order; a word whose characters belong to different
    text objects is split where the object changes; a space between two words on
    one line whose gap alone might not show it is kept as a character of its own.
    """
    api = _api()
    handle = ctypes.c_void_p(ctypes.cast(tp, ctypes.c_void_p).value)
    n = api.count_chars(handle)
    if n <= 0:
        return PageChars.from_rows([])
    reader = _PageReader(tp, _page_text(tp, n), page_top, page_left)
    reader.read_words()
    return reader.columns()


def page_chars(tp, page_top: float, page_left: float = 0.0) -> list[Char]:
    """Read one text page into word-level :class:`Char` objects (top-left coordinates).

    ``page_top`` is the y of the page's top edge in PDF coordinates (origin bottom-left).
    """
    return page_columns(tp, page_top, page_left).chars()


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


#: Per code point of the Basic Multilingual Plane: 0 whitespace, 1 part of a word,
#: 2 a soft-hyphen mark (a word alone), as ``_WORD`` classifies it; -1 not yet seen.
_CODE_CLASS = np.full(0x10000, -1, dtype=np.int8)


def _code_classes(codes: np.ndarray) -> np.ndarray:
    if len(codes) and int(codes.max()) >= 0x10000:  # beyond the BMP: classify each
        return np.array([_code_class(int(c)) for c in codes.tolist()], dtype=np.int8)
    cls = _CODE_CLASS[codes]
    if (cls < 0).any():
        for c in np.unique(codes[cls < 0]).tolist():
            _CODE_CLASS[c] = _code_class(c)
        cls = _CODE_CLASS[codes]
    return cls


def _code_class(code: int) -> int:
    ch = chr(code)
    return 2 if ch in _HYPHEN_MARKS else 1 if _WORD.fullmatch(ch) else 0


def _word_spans(text: str) -> tuple[list[int], list[int], list[int]]:
    """First and last index of each match of ``_WORD`` in ``text``, in order, and what
    stood before it: the index of the word when a single space separates it from the
    previous match (or from the start of the text), else 0.

    The same as iterating ``_WORD.finditer(text)``, computed with numpy over the
    page's code points (a word is a run of word characters; a mark is a word alone).
    """
    if not text:
        return [], [], []
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    cls = _code_classes(codes)
    word = cls == 1
    before = np.concatenate(([False], word[:-1]))
    after = np.concatenate((word[1:], [False]))
    mark = cls == 2
    first = np.flatnonzero((word & ~before) | mark)
    last = np.flatnonzero((word & ~after) | mark)
    prev_end = np.concatenate(([0], last[:-1] + 1))
    spaced = (first - prev_end == 1) & (codes[np.minimum(prev_end, len(codes) - 1)] == 32)
    return first.tolist(), last.tolist(), np.where(spaced, first, 0).tolist()


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


def _raw_page_box(raw, page) -> tuple[float, float, float, float]:
    """:func:`_page_box` of a raw ``FPDF_PAGE`` handle."""
    import pypdfium2 as pdfium

    rect = raw.FS_RECTF()
    if not raw.FPDF_GetPageBoundingBox(page, rect):
        raise pdfium.PdfiumError("Failed to get page bounding box.")
    return float(rect.left), float(rect.bottom), float(rect.right), float(rect.top)


def read_pdf_pdfium(path: str | Path, *, tables: bool = True) -> RawDocument:
    """Read a PDF with PDFium into lines (one per printed line) in reading order.

    Raises :class:`ReadError` for files that are not PDFs, are broken or encrypted.
    A PDF whose pages carry no characters is returned with no lines; the caller
    reports it as ``no_text_layer``. Pages and text pages are closed as they are
    read, so memory stays flat however long the document is.
    """
    import pypdfium2 as pdfium

    from pipeline.extract.pdfium_tables import handle_tables

    path = Path(path)
    lines: list[Line] = []
    pages: list[Page] = []
    warnings: list[str] = []
    doc = _open(path)
    try:
        meta = {k.lower(): str(v) for k, v in doc.get_metadata_dict(skip_empty=True).items() if v}
        # raw pages and text pages (pypdfium2's wrappers add a finalizer and
        # bookkeeping per page), closed as soon as the page is read
        raw = pdfium.raw
        for index in range(len(doc)):
            number = index + 1
            page = tp = None
            try:
                page = raw.FPDF_LoadPage(doc.raw, index)
                if not page:
                    raise pdfium.PdfiumError("Failed to load page.")
                left, bottom, right, top = _raw_page_box(raw, page)
                width, height = right - left, top - bottom
                pages.append(Page(number, width, height))
                tp = raw.FPDFText_LoadPage(page)
                if not tp:
                    raise pdfium.PdfiumError("Failed to load text page.")
                chars = page_columns(tp, top, left)
                rules = underline_rules(page, page_top=top, page_left=left)
                if len(rules) and len(chars):
                    chars.underline = underlined_words(
                        chars.x0, chars.x1, chars.bottom, chars.size, chars.blanks(), rules
                    )
                blocks: list[TableBlock] = []
                if tables:
                    blocks = handle_tables(
                        page, chars, page_top=top, page_left=left, width=width, height=height
                    )
                lines.extend(
                    chars_to_lines(chars, page=number, width=width, height=height, tables=blocks)
                )
            except Exception as exc:  # one bad page must not lose the document
                warnings.append(f"page {number}: {type(exc).__name__}: {exc}")
                log.warning("%s: page %d could not be read: %s", path.name, number, exc)
            finally:
                if tp:
                    raw.FPDFText_ClosePage(tp)
                if page:
                    raw.FPDF_ClosePage(page)
    finally:
        doc.close()
    return RawDocument(lines=lines, pages=pages, paged=True, meta=meta, warnings=warnings)

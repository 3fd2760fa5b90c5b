"""The backend-neutral line model that every reader produces and structure reads.

A reader (PDF on pdfplumber or PDFium, plain text, DOCX, HTML) turns its input into
a :class:`RawDocument`: a list of :class:`Line` objects in reading order plus the
page sizes. Structure detection (``pipeline.structure``) reads only these lines,
so a new backend or format never touches it.

Coordinates are in points from the top-left of the page, as in PDF viewers. Readers
of formats without geometry (text, DOCX, HTML) synthesise them: one line per text
line or paragraph, ``x0`` from the indentation, ``top`` increasing by a fixed step,
and they mark the block boundaries they know with ``block_start``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Reader hints for structure detection (``Line.role``).
ROLE_TEXT = ""
ROLE_HEADING = "heading"
ROLE_BULLET = "bullet"
ROLE_TABLE = "table"
ROLE_FOOTNOTE = "footnote"


@dataclass(slots=True)
class Line:
    """One printed line (or, for flowing formats, one paragraph) of a document.

    Attributes:
        text: The line's text, already Unicode-normalised by the reader.
        page: 1-based page number.
        x0, top, x1, bottom: The line's box in points from the page's top-left.
        size: Dominant font size in points; 0 when the format has none.
        bold: Whether most of the line's characters are bold.
        italic: Whether most of the line's characters are italic or oblique (the
            typeface some reports use to tell recommendations from conclusions).
        block_start: The reader knows that a new block starts here (a DOCX or HTML
            paragraph, a blank line in plain text). PDF readers leave it False and
            structure infers blocks from the layout.
        role: A reader hint: ``""`` (plain text), ``"heading"``, ``"bullet"``,
            ``"table"`` or ``"footnote"``.
        level: Heading level or list nesting depth when the reader knows it.
        ocr: The text came from optical character recognition.
        underline: Whether most of the line's characters are underlined (a PDF draws
            underlines as thin rules under the text: :mod:`pipeline.extract.underline`).
        underlined: The line's underlined runs of text, in order (empty when none), so
            that a partly underlined passage knows which of its words are.
    """

    text: str
    page: int
    x0: float = 0.0
    top: float = 0.0
    x1: float = 0.0
    bottom: float = 0.0
    size: float = 0.0
    bold: bool = False
    block_start: bool = False
    role: str = ROLE_TEXT
    level: int = 0
    ocr: bool = False
    italic: bool = False
    underline: bool = False
    underlined: tuple[str, ...] = ()

    @property
    def height(self) -> float:
        """Height of the line's box."""
        return self.bottom - self.top


@dataclass(slots=True)
class Page:
    """A page's number and size in points."""

    number: int
    width: float
    height: float


@dataclass(slots=True)
class RawDocument:
    """What a reader returns: lines in reading order, pages, and file metadata.

    ``paged`` is True for formats with real pages (PDF), where running headers and
    footers can be recognised by repetition across pages.
    """

    lines: list[Line]
    pages: list[Page]
    paged: bool = True
    meta: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class ReadError(Exception):
    """A file could not be read; ``status`` says how (``error``, ``empty``, ...)."""

    def __init__(self, message: str, *, status: str = "error") -> None:
        super().__init__(message)
        self.status = status

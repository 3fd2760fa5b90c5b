"""DOCX reader on python-docx: paragraphs and tables in body order, styles as hints.

Word's automatic numbering is not stored as text, so the printed numbers of
numbered paragraphs are rebuilt from the numbering part (``%1.%2`` patterns);
bulleted list paragraphs become bullet lines. Page numbers follow the page breaks
Word last rendered (``w:lastRenderedPageBreak``) and explicit page breaks.
"""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from pathlib import Path

from pipeline.extract.lines import (
    ROLE_BULLET,
    ROLE_HEADING,
    ROLE_TABLE,
    Line,
    Page,
    RawDocument,
    ReadError,
)
from pipeline.textnorm import normalize_chars, normalize_whitespace

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre)\s*(\d)$", re.I)


class _Numbering:
    """Render Word's automatic paragraph numbers from the numbering part."""

    def __init__(self, document) -> None:
        self.formats: dict[tuple[str, int], tuple[str, str, int]] = {}
        self.counters: dict[str, list[int]] = defaultdict(lambda: [0] * 9)
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for an in numbering.iter(f"{W}abstractNum"):
            levels = {}
            for lvl in an.iter(f"{W}lvl"):
                ilvl = int(lvl.get(f"{W}ilvl", "0"))
                fmt = lvl.find(f"{W}numFmt")
                txt = lvl.find(f"{W}lvlText")
                start = lvl.find(f"{W}start")
                levels[ilvl] = (
                    fmt.get(f"{W}val") if fmt is not None else "decimal",
                    txt.get(f"{W}val") if txt is not None else "",
                    int(start.get(f"{W}val")) if start is not None else 1,
                )
            abstract[an.get(f"{W}abstractNumId")] = levels
        for num in numbering.iter(f"{W}num"):
            ref = num.find(f"{W}abstractNumId")
            if ref is None:
                continue
            for ilvl, spec in abstract.get(ref.get(f"{W}val"), {}).items():
                self.formats[(num.get(f"{W}numId"), ilvl)] = spec

    def label(self, num_id: str, ilvl: int) -> tuple[str, bool]:
        """Advance the counter and return ``(printed label, is_bullet)``."""
        fmt, text, start = self.formats.get((num_id, ilvl), ("bullet", "", 1))
        if fmt in ("bullet", "none"):
            return "", True
        counters = self.counters[num_id]
        if counters[ilvl] == 0:
            counters[ilvl] = start - 1
        counters[ilvl] += 1
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0

        def render(m: re.Match[str]) -> str:
            lvl = int(m.group(1)) - 1
            value = max(counters[lvl], self.formats.get((num_id, lvl), ("", "", 1))[2])
            lfmt = self.formats.get((num_id, lvl), ("decimal", "", 1))[0]
            return _format_number(value, lfmt)

        return re.sub(r"%(\d)", render, text).strip(), False


def _format_number(value: int, fmt: str) -> str:
    if fmt == "lowerLetter":
        return chr(ord("a") + (value - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (value - 1) % 26)
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(value)
        return roman if fmt == "upperRoman" else roman.lower()
    return str(value)


def _roman(n: int) -> str:
    vals = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ]
    out = []
    for v, s in vals:
        while n >= v:
            out.append(s)
            n -= v
    return "".join(out)


def _fill_colour_word(tc) -> str:
    """ "Red", "Amber" or "Green" for an empty cell shaded in a RAG colour, else ``""``
    (see :mod:`pipeline.rag`)."""
    from pipeline.rag import colour_name

    shd = tc.find(f"{W}tcPr/{W}shd")
    colour = colour_name(shd.get(f"{W}fill", "")) if shd is not None else ""
    return colour.capitalize()


def read_docx(path: str | Path) -> RawDocument:
    """Read a DOCX file into one line per paragraph and per table row."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise ReadError("the file is empty", status="empty")
    if not zipfile.is_zipfile(path):
        raise ReadError("not a DOCX file (a DOCX is a zip archive, and this is not one)")
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises KeyError/ValueError on broken parts
        raise ReadError(f"not a readable DOCX ({type(exc).__name__}: {exc})") from exc
    numbering = _Numbering(document)
    lines: list[Line] = []
    page = 1
    y = 0.0

    def add(text: str, **kw: object) -> None:
        nonlocal y
        text = normalize_whitespace(normalize_chars(text))
        if text:
            lines.append(
                Line(text=text, page=page, top=y, bottom=y + 10, x1=500.0, block_start=True, **kw)
            )  # type: ignore[arg-type]
            y += 12.0

    for child in document.element.body.iterchildren():
        if child.tag == f"{W}p":
            para = Paragraph(child, document)
            breaks = len(child.findall(f".//{W}lastRenderedPageBreak")) + sum(
                1 for br in child.iter(f"{W}br") if br.get(f"{W}type") == "page"
            )
            text = para.text
            if breaks and not text.strip():
                page += breaks
                continue
            style = (para.style.name if para.style is not None else "") or ""
            role, level, label = "", 0, ""
            m = _HEADING_STYLE.match(style)
            if m or style.lower() in ("title", "subtitle"):
                role, level = ROLE_HEADING, int(m.group(1)) if m else 0
            num_pr = child.find(f"{W}pPr/{W}numPr")
            if num_pr is not None and role != ROLE_HEADING:
                num_id = num_pr.find(f"{W}numId")
                ilvl = num_pr.find(f"{W}ilvl")
                if num_id is not None:
                    label, is_bullet = numbering.label(
                        num_id.get(f"{W}val"), int(ilvl.get(f"{W}val")) if ilvl is not None else 0
                    )
                    if is_bullet:
                        role = ROLE_BULLET
                    level = int(ilvl.get(f"{W}val")) if ilvl is not None else 0
            elif "bullet" in style.lower():
                role = ROLE_BULLET
            runs = [r for r in para.runs if r.text.strip()]
            bold = bool(runs) and all(
                r.bold or (r.style is not None and r.style.font.bold) for r in runs
            )
            # italic: most of the paragraph's characters are in italic runs
            slanted = sum(
                len(r.text)
                for r in runs
                if r.italic or (r.style is not None and r.style.font.italic)
            )
            italic = 2 * slanted > sum(len(r.text) for r in runs)
            sizes = [r.font.size.pt for r in runs if r.font.size is not None]
            size = max(sizes) if sizes else 0.0
            if label:
                text = f"{label} {text}"
            add(text, role=role, level=level, bold=bold, size=size, x0=36.0 * level, italic=italic)
            page += breaks
        elif child.tag == f"{W}tbl":
            for row in Table(child, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    t = normalize_whitespace(cell.text) or _fill_colour_word(cell._tc)
                    if t and (not cells or cells[-1] != t):  # merged cells repeat
                        cells.append(t)
                add(" | ".join(cells), role=ROLE_TABLE)
    props = document.core_properties
    meta = {
        "title": props.title or "",
        "created": props.created.date().isoformat() if props.created else "",
    }
    return RawDocument(
        lines=lines,
        pages=[Page(n, 595.0, 842.0) for n in range(1, page + 1)],
        paged=False,
        meta=meta,
    )

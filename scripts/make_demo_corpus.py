"""Generate the fictional demo corpus in data/raw/ from the source texts in scripts/demo_corpus/.

    python scripts/make_demo_corpus.py [--out data/raw]

Writes (all documents are FICTIONAL, made for demonstrations and tests):

- northbridge_child_l_review_2024.pdf           (fpdf2)  the Child L practice review
- northbridge_progress_report_2024-11.docx      (python-docx) progress report on its recommendations
- northbridge_scrutiny_minutes_2025-01-15.html  (hand-written HTML) scrutiny commission minutes
- manifest.csv                                  metadata of the three documents and of the
                                                Hackney minutes (which review they discuss)
- recommendations.csv                           curated recommendations of a second fictional review
- hackney_minutes_child_q_2022.txt              real public minutes, copied byte for byte from
                                                ../shared/corpus/ when that folder is present

The output is deterministic: fixed creation dates, fixed ZIP timestamps in the DOCX, no random
identifiers. Running the script twice gives identical bytes on the same machine (same fpdf2,
fontTools and font file).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import html
import io
import logging
import re
import shutil
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("make_demo_corpus")

SCRIPTS = Path(__file__).resolve().parent
SOURCE_DIR = SCRIPTS / "demo_corpus"
REPO = SCRIPTS.parent
DEFAULT_OUT = REPO / "data" / "raw"
HACKNEY_NAME = "hackney_minutes_child_q_2022.txt"
HACKNEY_SOURCE = REPO.parent / "shared" / "corpus" / HACKNEY_NAME

REVIEW_SOURCE = "child_l_review.txt"
REPORT_SOURCE = "child_l_progress_report.txt"
MINUTES_SOURCE = "scrutiny_minutes_2025-01-15.txt"
UPDATE_SOURCE = "child_l_progress_update_2025-05.txt"
CURATED_SOURCE = "missing_education_recommendations.txt"

FIXED_DATES = {
    "review": dt.datetime(2024, 3, 12, 9, 0, 0, tzinfo=dt.UTC),
    "report": dt.datetime(2024, 11, 20, 9, 0, 0, tzinfo=dt.UTC),
}
ZIP_DATE = (2024, 11, 20, 9, 0, 0)

FONT_DIRS = [
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu (fonts-dejavu-core)
    Path("/usr/share/fonts/dejavu"),  # Fedora
    Path("/usr/share/fonts/TTF"),  # Arch
    Path("/Library/Fonts"),
]


# --------------------------------------------------------------------------- source parsing


@dataclass
class Block:
    """One structural unit of a source text."""

    kind: str  # heading, para, bullet, dot, subitem, table, action, doc, attendance
    text: str = ""
    level: int = 0  # heading level
    ref: str = ""  # paragraph number ("5.1") or sub-item label ("a")
    rows: list[list[str]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)


@dataclass
class Source:
    meta: dict[str, str]
    blocks: list[Block]
    footnotes: dict[str, str]


PARA_RE = re.compile(r"^(\d+\.\d+)\s+(.*)$", re.S)
SUBITEM_RE = re.compile(r"^\(([a-z])\)\s+(.*)$", re.S)
FOOTNOTE_DEF_RE = re.compile(r"^\[\^(\d+)\]:\s+(.*)$", re.S)
ITEM_MARKERS = ("- ", "· ")


def read_source(path: Path) -> Source:
    """Parse a source text: front matter up to '---', then blank-line separated blocks."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("%%")]
    sep = lines.index("---")
    meta = {}
    for ln in lines[:sep]:
        key, _, value = ln.partition(":")
        meta[key.strip()] = value.strip()
    blocks: list[Block] = []
    footnotes: dict[str, str] = {}
    chunk: list[str] = []
    in_table = False
    for ln in [*lines[sep + 1 :], ""]:
        if ln.startswith("[table"):
            in_table = True
        if in_table:
            chunk.append(ln)
            if ln.strip() == "[/table]":
                blocks.append(_parse_table(chunk))
                chunk, in_table = [], False
            continue
        if ln.strip():
            chunk.append(ln.rstrip())
            continue
        if chunk:
            _parse_chunk(chunk, blocks, footnotes)
            chunk = []
    return Source(meta, blocks, footnotes)


def _parse_table(chunk: list[str]) -> Block:
    spec = chunk[0].strip()[len("[table") : -1].strip()
    widths = [float(w) for w in spec.split(",")] if spec else []
    rows = [[c.strip() for c in ln.split("|")] for ln in chunk[1:-1] if ln.strip()]
    return Block("table", rows=rows, widths=widths)


def _parse_chunk(chunk: list[str], blocks: list[Block], footnotes: dict[str, str]) -> None:
    first = chunk[0]
    if first.startswith("#"):
        hashes, _, text = first.partition(" ")
        blocks.append(Block("heading", text=text.strip(), level=len(hashes)))
        rest = chunk[1:]
        if rest:
            _parse_chunk(rest, blocks, footnotes)
        return
    if first.startswith("[^"):
        for ln in chunk:
            m = FOOTNOTE_DEF_RE.match(ln)
            if m:
                footnotes[m.group(1)] = m.group(2)
        return
    if first.startswith(ITEM_MARKERS) or SUBITEM_RE.match(first):
        items: list[list[str]] = []
        for ln in chunk:
            if ln.startswith(ITEM_MARKERS) or SUBITEM_RE.match(ln):
                items.append([ln])
            else:
                items[-1].append(ln.strip())
        for item in items:
            text = " ".join(item)
            m = SUBITEM_RE.match(text)
            if m:
                blocks.append(Block("subitem", text=m.group(2), ref=m.group(1)))
            elif text.startswith("- "):
                blocks.append(Block("bullet", text=text[2:]))
            else:
                blocks.append(Block("dot", text=text[2:]))
        return
    text = " ".join(ln.strip() for ln in chunk)
    if text.startswith("Action:"):
        blocks.append(Block("action", text=text))
    elif text.startswith("[doc]"):
        blocks.append(Block("doc", text=text[len("[doc]") :].strip()))
    elif text.startswith("> "):
        blocks.append(Block("attendance", text=text[2:]))
    else:
        m = PARA_RE.match(text)
        if m:
            blocks.append(Block("para", text=m.group(2), ref=m.group(1)))
        else:
            blocks.append(Block("para", text=text))


def plain(text: str) -> str:
    """Strip the inline markup ('**', '{-}', footnote references) from a source string."""
    text = text.replace("**", "").replace("{-}", "")
    return re.sub(r"\[\^\d+\]", "", text)


# --------------------------------------------------------------------------- PDF (fpdf2)


def find_unicode_fonts() -> tuple[Path, Path] | None:
    """DejaVu Sans regular + bold: from the system, else the copy that matplotlib ships."""
    dirs = list(FONT_DIRS)
    try:
        import matplotlib

        dirs.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    except ImportError:
        pass
    for d in dirs:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


CORE_FONT_MAP = str.maketrans(
    {"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "•": chr(149), "·": chr(183)}
)

A4_W, A4_H = 210.0, 297.0
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 20.0, 20.0, 24.0, 24.0
BODY_SIZE, BODY_LH = 10.0, 5.0
FOOT_SIZE, FOOT_LH = 7.5, 3.6
INDENT_NUM = 12.0  # hanging indent of numbered paragraphs
INDENT_BULLET = 5.0  # from bullet to its text
INDENT_SUB = 8.0  # from "(a)" to its text
PARA_GAP = 2.2


@dataclass
class Piece:
    text: str
    style: str = ""  # "" regular, "B" bold, "sup" footnote marker


@dataclass
class Word:
    pieces: list[Piece]
    breaks: list[int] = field(default_factory=list)  # soft hyphen positions (single-piece words)
    footnotes: list[str] = field(default_factory=list)


def words_of(text: str, *, bold: bool = False) -> list[Word]:
    """Split inline-marked text into words made of styled pieces."""
    words = []
    for raw in text.split():
        pieces: list[Piece] = []
        notes: list[str] = []
        for tok in re.split(r"(\*\*|\[\^\d+\])", raw):
            if tok == "**":
                bold = not bold
            elif tok.startswith("[^"):
                notes.append(tok[2:-1])
                pieces.append(Piece(tok[2:-1], "sup"))
            elif tok:
                pieces.append(Piece(tok, "B" if bold else ""))
        breaks: list[int] = []
        if len(pieces) == 1 and "{-}" in pieces[0].text:
            parts = pieces[0].text.split("{-}")
            pos = 0
            for part in parts[:-1]:
                pos += len(part)
                breaks.append(pos)
            pieces[0].text = "".join(parts)
        words.append(Word(pieces, breaks, notes))
    return words


class DemoPDF:
    """A small hand-rolled layout engine on top of fpdf2, so that headers, footers, footnotes,
    hanging indents, hyphenation and tables behave like a typeset report."""

    def __init__(self, meta: dict[str, str], footnotes: dict[str, str]):
        from fpdf import FPDF

        self.meta = meta
        self.footnote_texts = footnotes
        fonts = find_unicode_fonts()
        self.unicode = fonts is not None
        outer = self

        class _PDF(FPDF):
            def header(self) -> None:
                outer._header()

            def footer(self) -> None:
                outer._footer()

        pdf = _PDF(orientation="P", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(MARGIN_L, MARGIN_T, MARGIN_R)
        if fonts:
            pdf.add_font("Body", "", str(fonts[0]))
            pdf.add_font("Body", "B", str(fonts[1]))
            self.family = "Body"
            log.info("PDF font: %s (+ bold), bullets drawn as U+2022", fonts[0])
        else:
            self.family = "Helvetica"
            log.warning("no DejaVu Sans found: using core Helvetica, bullets drawn as chr(149)")
        pdf.set_creation_date(FIXED_DATES["review"])
        pdf.set_title(meta["title"])
        pdf.set_author(meta["partnership"] + " (fictional)")
        pdf.set_subject(meta["notice"])
        pdf.set_keywords("fictional demonstration; safeguarding; practice review")
        pdf.set_creator("scripts/make_demo_corpus.py")
        pdf.set_lang("en-GB")
        self.pdf = pdf
        self.page_notes: list[str] = []
        self.y = MARGIN_T

    # -- text helpers
    def t(self, text: str) -> str:
        return text if self.unicode else text.translate(CORE_FONT_MAP)

    def font(self, style: str = "", size: float = BODY_SIZE) -> None:
        if style == "sup":
            self.pdf.set_font(self.family, "", size * 0.62)
        else:
            self.pdf.set_font(self.family, style, size)

    def width(self, piece: Piece, size: float) -> float:
        self.font(piece.style, size)
        return self.pdf.get_string_width(self.t(piece.text))

    def word_width(self, word: Word, size: float) -> float:
        return sum(self.width(p, size) for p in word.pieces)

    # -- page furniture
    def _header(self) -> None:
        pdf = self.pdf
        pdf.set_text_color(90, 90, 90)
        self.font("", 8)
        pdf.text(MARGIN_L, 13, self.t(self.meta["running_header"]))
        pdf.set_draw_color(150, 150, 150)
        pdf.set_line_width(0.2)
        pdf.line(MARGIN_L, 15, A4_W - MARGIN_R, 15)
        pdf.set_text_color(0, 0, 0)

    def _footer(self) -> None:
        pdf = self.pdf
        pdf.set_text_color(90, 90, 90)
        self.font("B", 7.5)
        notice = self.t(self.meta["notice"])
        pdf.text((A4_W - pdf.get_string_width(notice)) / 2, A4_H - 15, notice)
        self.font("", 8)
        # cell() (unlike text()) substitutes the total page count for the "{nb}" alias
        pdf.set_xy(MARGIN_L, A4_H - 13)
        pdf.cell(A4_W - MARGIN_L - MARGIN_R, 4, f"Page {pdf.page_no()} of {{nb}}", align="C")
        pdf.set_text_color(0, 0, 0)

    # -- footnotes and page breaks
    def footnote_lines(self, number: str) -> list[list[Word]]:
        words = words_of(self.footnote_texts[number])
        return self.wrap(words, A4_W - MARGIN_L - MARGIN_R - 4, FOOT_SIZE)

    def footnote_height(self, numbers: list[str]) -> float:
        if not numbers:
            return 0.0
        lines = sum(len(self.footnote_lines(n)) for n in numbers)
        return 4.0 + lines * FOOT_LH

    def limit(self, extra_notes: list[str] | None = None) -> float:
        notes = self.page_notes + (extra_notes or [])
        return A4_H - MARGIN_B - self.footnote_height(notes)

    def new_page(self) -> None:
        if self.pdf.page_no():
            self.draw_footnotes()
        self.pdf.add_page()
        self.page_notes = []
        self.y = MARGIN_T

    def ensure(self, height: float) -> None:
        if self.y + height > self.limit():
            self.new_page()

    def draw_footnotes(self) -> None:
        if not self.page_notes:
            return
        pdf = self.pdf
        y = A4_H - MARGIN_B - self.footnote_height(self.page_notes) + 2.0
        pdf.set_draw_color(0, 0, 0)
        pdf.set_line_width(0.2)
        pdf.line(MARGIN_L, y, MARGIN_L + 45, y)
        y += 1.2
        for number in self.page_notes:
            for i, line in enumerate(self.footnote_lines(number)):
                y += FOOT_LH
                if i == 0:
                    self.font("sup", FOOT_SIZE + 2)
                    pdf.text(MARGIN_L, y - 1.2, number)
                self.draw_line(line, MARGIN_L + 4, y, FOOT_SIZE)

    # -- line breaking and drawing
    def wrap(self, words: list[Word], width: float, size: float) -> list[list[Word]]:
        """Greedy line breaking with optional hyphenation at '{-}' points and real hyphens."""
        self.font("", size)
        space = self.pdf.get_string_width(" ")
        lines: list[list[Word]] = []
        line: list[Word] = []
        used = 0.0
        queue = list(words)
        while queue:
            word = queue.pop(0)
            w = self.word_width(word, size)
            gap = space if line else 0.0
            if used + gap + w <= width or not line:
                line.append(word)
                used += gap + w
                continue
            split = self.split_word(word, width - used - gap, size)
            if split:
                head, tail = split
                line.append(head)
                queue.insert(0, tail)
            else:
                queue.insert(0, word)
            lines.append(line)
            line, used = [], 0.0
        if line:
            lines.append(line)
        return lines

    def split_word(self, word: Word, room: float, size: float) -> tuple[Word, Word] | None:
        if len(word.pieces) != 1 or word.pieces[0].style == "sup":
            return None
        piece = word.pieces[0]
        text = piece.text
        points = [(b, True) for b in word.breaks]
        points += [(i + 1, False) for i, ch in enumerate(text[:-1]) if ch == "-" and i > 1]
        for pos, soft in sorted(points, reverse=True):
            head = text[:pos] + ("-" if soft else "")
            if len(text) - pos < 3:
                continue
            if self.width(Piece(head, piece.style), size) <= room:
                rest = [b - pos for b in word.breaks if b > pos]
                return (
                    Word([Piece(head, piece.style)]),
                    Word([Piece(text[pos:], piece.style)], rest, word.footnotes),
                )
        return None

    def draw_line(self, line: list[Word], x: float, y: float, size: float) -> None:
        pdf = self.pdf
        segments: list[Piece] = []
        for i, word in enumerate(line):
            if i:
                if segments and segments[-1].style != "sup":
                    segments[-1] = Piece(segments[-1].text + " ", segments[-1].style)
                else:
                    segments.append(Piece(" ", ""))
            for p in word.pieces:
                if segments and segments[-1].style == p.style:
                    segments[-1] = Piece(segments[-1].text + p.text, p.style)
                else:
                    segments.append(Piece(p.text, p.style))
        for seg in segments:
            self.font(seg.style, size)
            rise = size * 0.33 * 0.3528 if seg.style == "sup" else 0.0
            pdf.text(x, y - rise, self.t(seg.text))
            x += pdf.get_string_width(self.t(seg.text))

    def flow(
        self,
        words: list[Word],
        x: float,
        size: float = BODY_SIZE,
        lh: float = BODY_LH,
        lead: tuple[float, str] | None = None,
    ) -> None:
        """Lay out a paragraph from the cursor, breaking pages line by line.

        lead: (x, text) drawn on the first line's baseline, e.g. a paragraph number or bullet.
        """
        lines = self.wrap(words, A4_W - MARGIN_R - x, size)
        for i, line in enumerate(lines):
            notes = [n for w in line for n in w.footnotes]
            if self.y + lh > self.limit(notes):
                self.new_page()
            self.page_notes.extend(notes)
            self.y += lh
            baseline = self.y - 1.3
            if i == 0 and lead:
                self.font("", size)
                self.pdf.text(lead[0], baseline, self.t(lead[1]))
            self.draw_line(line, x, baseline, size)
        self.y += PARA_GAP

    # -- blocks
    def title_block(self) -> None:
        pdf, m = self.pdf, self.meta
        self.new_page()
        self.font("B", 11)
        pdf.set_text_color(40, 70, 120)
        pdf.text(MARGIN_L, 32, self.t(m["partnership"]))
        pdf.set_text_color(0, 0, 0)
        self.font("B", 20)
        pdf.text(MARGIN_L, 45, self.t(m["kicker"]))
        self.font("B", 26)
        pdf.text(MARGIN_L, 58, self.t(m["heading"]))
        self.font("", 11)
        pdf.text(MARGIN_L, 68, self.t(m["published"]))
        pdf.text(MARGIN_L, 74, self.t(m["reviewer"]))
        pdf.set_draw_color(170, 30, 30)
        pdf.set_line_width(0.6)
        pdf.rect(MARGIN_L, 80, A4_W - MARGIN_L - MARGIN_R, 11)
        self.font("B", 11)
        pdf.set_text_color(170, 30, 30)
        notice = self.t(m["notice"])
        pdf.text((A4_W - pdf.get_string_width(notice)) / 2, 87, notice)
        pdf.set_text_color(0, 0, 0)
        self.y = 97

    def heading(self, block: Block) -> None:
        size, before = {1: (14.0, 4.0), 2: (11.5, 2.5), 3: (10.5, 2.0)}[block.level]
        lh = size * 0.3528 * 1.45
        self.ensure(before + lh + 2 * BODY_LH)
        self.y += before + lh
        self.font("B", size)
        if block.level == 1:
            self.pdf.set_text_color(40, 70, 120)
        self.pdf.text(MARGIN_L, self.y - 1.5, self.t(block.text))
        self.pdf.set_text_color(0, 0, 0)
        self.y += 1.5

    def table(self, block: Block) -> None:
        pdf = self.pdf
        widths = block.widths or [(A4_W - MARGIN_L - MARGIN_R) / len(block.rows[0])] * len(
            block.rows[0]
        )
        size, lh, pad = 8.5, 4.0, 1.5

        def layout(row: list[str], bold: bool) -> tuple[list[list[list[Word]]], float]:
            cells = [
                self.wrap(words_of(c, bold=bold), w - 2 * pad, size)
                for c, w in zip(row, widths, strict=True)
            ]
            return cells, max(len(c) for c in cells) * lh + 2 * pad

        header = layout(block.rows[0], True)

        def draw(cells: list[list[list[Word]]], height: float, fill: bool) -> None:
            x = MARGIN_L
            pdf.set_draw_color(0, 0, 0)
            pdf.set_line_width(0.25)
            for cell, w in zip(cells, widths, strict=True):
                if fill:
                    pdf.set_fill_color(225, 232, 242)
                    pdf.rect(x, self.y, w, height, style="DF")
                else:
                    pdf.rect(x, self.y, w, height)
                for i, line in enumerate(cell):
                    self.draw_line(line, x + pad, self.y + pad + (i + 1) * lh - 1.0, size)
                x += w
            self.y += height

        self.ensure(header[1] + layout(block.rows[1], False)[1] + 1)
        self.y += 1
        draw(*header, True)
        for row in block.rows[1:]:
            cells, height = layout(row, False)
            if self.y + height > self.limit():
                self.new_page()
                self.y += 1
                draw(*header, True)
            draw(cells, height, False)
        self.y += PARA_GAP + 1

    def render(self, blocks: list[Block]) -> None:
        self.title_block()
        for block in blocks:
            if block.kind == "heading":
                self.heading(block)
            elif block.kind == "para" and block.ref:
                self.flow(words_of(block.text), MARGIN_L + INDENT_NUM, lead=(MARGIN_L, block.ref))
            elif block.kind == "para":
                self.flow(words_of(block.text), MARGIN_L)
            elif block.kind == "bullet":
                x = MARGIN_L + INDENT_NUM
                self.y -= PARA_GAP * 0.6
                self.flow(words_of(block.text), x + INDENT_BULLET, lead=(x + 0.8, "•"))
            elif block.kind == "subitem":
                x = MARGIN_L + INDENT_NUM
                self.y -= PARA_GAP * 0.6
                self.flow(words_of(block.text), x + INDENT_SUB, lead=(x, f"({block.ref})"))
            elif block.kind == "table":
                self.table(block)
            else:
                raise ValueError(f"block kind {block.kind!r} is not supported in the PDF")
        self.draw_footnotes()

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def make_review_pdf(source: Source) -> bytes:
    doc = DemoPDF(source.meta, source.footnotes)
    doc.render(source.blocks)
    return doc.output()


# --------------------------------------------------------------------------- DOCX (python-docx)


def make_report_docx(source: Source) -> bytes:
    from docx import Document
    from docx.shared import Pt

    meta = source.meta
    document = Document()
    created = FIXED_DATES["report"].replace(tzinfo=None)
    props = document.core_properties
    props.title = meta["title"]
    props.author = meta["author"]
    props.last_modified_by = meta["author"]
    props.subject = meta["notice"]
    props.keywords = "fictional demonstration; safeguarding; progress report"
    props.comments = "Generated by scripts/make_demo_corpus.py"
    props.created = created
    props.modified = created
    props.last_printed = created
    props.revision = 1

    section = document.sections[0]
    section.header.paragraphs[0].text = meta["notice"]
    section.footer.paragraphs[0].text = meta["running_footer"]

    document.add_heading(meta["title"], level=0)
    for block in source.blocks:
        if block.kind == "heading":
            document.add_heading(block.text, level=block.level)
        elif block.kind == "para":
            text = f"{block.ref} {block.text}" if block.ref else block.text
            paragraph = document.add_paragraph(text)
            if text == meta["notice"]:
                paragraph.runs[0].bold = True
        elif block.kind == "bullet":
            document.add_paragraph(block.text, style="List Bullet")
        elif block.kind == "table":
            table = document.add_table(rows=len(block.rows), cols=len(block.rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(block.rows):
                for c, value in enumerate(row):
                    cell = table.cell(r, c)
                    cell.text = value
                    if r == 0:
                        for run in cell.paragraphs[0].runs:
                            run.bold = True
                            run.font.size = Pt(10)
        else:
            raise ValueError(f"block kind {block.kind!r} is not supported in the DOCX")

    raw = io.BytesIO()
    document.save(raw)
    return normalise_zip(raw.getvalue())


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a ZIP with fixed timestamps and attributes (python-docx stamps the current time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            zout.writestr(info, zin.read(item.filename), compresslevel=9)
    return out.getvalue()


# --------------------------------------------------------------------------- HTML


HTML_PAGE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | Northbridge Council (fictional)</title>
<style>
  body {{ font-family: Arial, Helvetica, sans-serif; margin: 0; color: #1b1b1b; }}
  .site-header {{ background: #1d3f6e; color: #fff; padding: 12px 24px; }}
  .site-nav a {{ color: #1d3f6e; margin-right: 14px; }}
  .cookie-banner {{ position: fixed; bottom: 0; width: 100%; background: #ffd54f; padding: 10px; }}
  .fictional {{ border: 2px solid #a31e1e; color: #a31e1e; font-weight: bold; padding: 6px; }}
  .mgSubTitleTxt {{ font-weight: bold; margin-top: 1em; }}
</style>
<script>
  window.dataLayer = window.dataLayer || [];
  function acceptCookies() {{
    document.cookie = "nb_cookie_consent=yes; max-age=31536000; path=/";
    document.getElementById("cookie-banner").style.display = "none";
  }}
</script>
</head>
<body>
<div class="cookie-banner" id="cookie-banner" role="dialog" aria-label="Cookie consent">
  <p>We use cookies to make this website work and to understand how you use it.
  Essential cookies are always on. <a href="#cookies">Read our cookie policy</a>.</p>
  <button type="button" onclick="acceptCookies()">Accept all cookies</button>
  <button type="button">Reject optional cookies</button>
</div>
<header class="site-header">
  <a class="logo" href="#home">Northbridge Council</a>
  <form class="site-search" role="search"><input type="search" placeholder="Search this site">
  <button type="submit">Search</button></form>
</header>
<nav class="site-nav" aria-label="Main">
  <a href="#home">Home</a> <a href="#council">Council and democracy</a>
  <a href="#meetings">Meetings, agendas and minutes</a> <a href="#committees">Committees</a>
  <a href="#councillors">Your councillors</a> <a href="#contact">Contact us</a>
</nav>
<nav class="breadcrumb" aria-label="Breadcrumb">
  <a href="#home">Home</a> &gt; <a href="#committees">Committees</a> &gt;
  <a href="#cyp">{committee}</a> &gt; Minutes
</nav>
<main id="main-content">
<p class="fictional">{notice}</p>
<h1 class="mgMainTitleTxt">Minutes:</h1>
<h2 class="mgSubTitleTxt">{committee}</h2>
<p class="mgSubTitleTxt">Date and time of meeting: {meeting}</p>
<p>Venue: {venue}</p>
{body}
</main>
<footer class="site-footer">
  <p>{notice}</p>
  <p><a href="#accessibility">Accessibility statement</a> | <a href="#privacy">Privacy notice</a> |
  <a href="#cookies">Cookies</a> | <a href="#feedback">Give feedback on this page</a></p>
  <p>&copy; Northbridge Council (fictional), Town Hall, Northbridge</p>
</footer>
</body>
</html>
"""


def make_minutes_html(source: Source) -> bytes:
    meta = source.meta
    out: list[str] = []
    in_list = in_item = False

    def esc(text: str) -> str:
        return html.escape(text, quote=False)

    for block in source.blocks:
        if block.kind != "bullet" and in_list:
            out.append("</ul>")
            in_list = False
        if block.kind == "heading":
            number, _, title = block.text.partition(". ")
            if in_item:
                out.append("</div>")
            in_item = True
            out.append(f'<div class="mgAgendaItem" id="item{number}">')
            out.append(f'<h3 class="mgAgendaItemTitle">{number}. {esc(title)}</h3>')
            out.append('<p class="mgSubTitleTxt">Minutes:</p>')
        elif block.kind == "attendance":
            out.append(f'<p class="mgAttendance">{esc(block.text)}</p>')
        elif block.kind == "para" and block.ref:
            out.append(f"<p>{block.ref}&nbsp;&nbsp;{esc(block.text)}</p>")
        elif block.kind == "para":
            out.append(f"<p>{esc(block.text)}</p>")
        elif block.kind == "bullet":
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{esc(block.text)}</li>")
        elif block.kind == "dot":
            out.append(f'<p class="mgIndent">·&nbsp;&nbsp;{esc(block.text)}</p>')
        elif block.kind == "action":
            out.append(f"<p><strong>{esc(block.text)}</strong></p>")
        elif block.kind == "doc":
            out.append('<p class="mgSubTitleTxt">Supporting documents:</p>')
            out.append(f'<ul class="mgDocs"><li><a href="#doc">{esc(block.text)}</a></li></ul>')
        else:
            raise ValueError(f"block kind {block.kind!r} is not supported in the HTML")
    if in_list:
        out.append("</ul>")
    if in_item:
        out.append("</div>")
    page = HTML_PAGE.format(
        title=esc(meta["title"]),
        committee=esc(meta["committee"]),
        meeting=esc(meta["meeting"]),
        venue=esc(meta["venue"]),
        notice=esc(meta["notice"]),
        body="\n".join(out),
    )
    return page.encode("utf-8")


#: Fill colours of the RAG cells of the progress update ({red}, {amber}, {green} in its source).
RAG_FILLS = {"red": "#FF0000", "amber": "#FFC000", "green": "#00B050"}

REPORT_PAGE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{title} | Northbridge Safeguarding Children Partnership (fictional)</title>
<style>
  body {{ font-family: Arial, Helvetica, sans-serif; margin: 24px; color: #1b1b1b; }}
  .fictional {{ border: 2px solid #a31e1e; color: #a31e1e; font-weight: bold; padding: 6px; }}
  table {{ border-collapse: collapse; }}
  th, td {{ border: 1px solid #444; padding: 4px 8px; min-width: 3em; }}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
{body}
</main>
<footer><p>{notice}</p></footer>
</body>
</html>
"""


def make_update_html(source: Source) -> bytes:
    """The second progress report as an HTML page, its RAG column as shaded empty cells."""
    meta = source.meta

    def esc(text: str) -> str:
        return html.escape(text, quote=False)

    def cell(tag: str, value: str) -> str:
        colour = value.strip("{}")
        if value.startswith("{") and colour in RAG_FILLS:
            return f'<{tag} style="background-color: {RAG_FILLS[colour]}"></{tag}>'
        return f"<{tag}>{esc(value)}</{tag}>"

    out: list[str] = []
    for block in source.blocks:
        if block.kind == "heading":
            out.append(f"<h{block.level + 1}>{esc(block.text)}</h{block.level + 1}>")
        elif block.kind == "para" and block.text == meta["notice"]:
            out.append(f'<p class="fictional">{esc(block.text)}</p>')
        elif block.kind == "para":
            text = f"{block.ref} {block.text}" if block.ref else block.text
            out.append(f"<p>{esc(text)}</p>")
        elif block.kind == "table":
            out.append("<table>")
            head, *rows = block.rows
            out.append("<tr>" + "".join(cell("th", c) for c in head) + "</tr>")
            out += ["<tr>" + "".join(cell("td", c) for c in row) + "</tr>" for row in rows]
            out.append("</table>")
        else:
            raise ValueError(f"block kind {block.kind!r} is not supported in the update HTML")
    page = REPORT_PAGE.format(
        title=esc(meta["title"]), notice=esc(meta["notice"]), body="\n".join(out)
    )
    return page.encode("utf-8")


# --------------------------------------------------------------------------- CSV files


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


#: The manifest row of the real Hackney minutes: the item is the Child Q report (the
#: minutes carry no date of their own in the text).
HACKNEY_MANIFEST_ROW = [HACKNEY_NAME, "minutes", "Child Q Safeguarding Report", "", "Child Q", ""]


def make_manifest(sources: list[Source]) -> bytes:
    rows = []
    for s in sources:
        m = s.meta
        title = m["manifest_title"] if "manifest_title" in m else m["title"]
        rows.append([m["output"], m["doc_type"], title, m["date"], m["review"], m.get("rag", "")])
    rows.append(HACKNEY_MANIFEST_ROW)
    return csv_bytes(["path", "doc_type", "title", "date", "review", "rag"], rows)


def make_curated_recommendations(source: Source) -> bytes:
    rows = []
    for block in source.blocks:
        m = re.match(r"^Recommendation (\d+): (.*) Addressees: (.*)$", block.text)
        if not m:
            raise ValueError(f"cannot read curated recommendation: {block.text[:60]!r}")
        addressees = ";".join(a.strip() for a in m.group(3).split(";"))
        rows.append([source.meta["review"], m.group(1), m.group(2), addressees])
    return csv_bytes(["review", "number", "text", "addressees"], rows)


# --------------------------------------------------------------------------- main


def write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()[:16]
    log.info("wrote %-45s %7d bytes  sha256 %s", path.name, len(data), digest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (data/raw)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    review = read_source(SOURCE_DIR / REVIEW_SOURCE)
    report = read_source(SOURCE_DIR / REPORT_SOURCE)
    minutes = read_source(SOURCE_DIR / MINUTES_SOURCE)
    curated = read_source(SOURCE_DIR / CURATED_SOURCE)
    update = read_source(SOURCE_DIR / UPDATE_SOURCE)

    write(out / review.meta["output"], make_review_pdf(review))
    write(out / report.meta["output"], make_report_docx(report))
    write(out / minutes.meta["output"], make_minutes_html(minutes))
    write(out / update.meta["output"], make_update_html(update))
    write(out / "manifest.csv", make_manifest([review, report, minutes, update]))
    write(out / curated.meta["output"], make_curated_recommendations(curated))

    target = out / HACKNEY_NAME
    if HACKNEY_SOURCE.is_file():
        shutil.copyfile(HACKNEY_SOURCE, target)
        log.info("copied %s from %s", HACKNEY_NAME, HACKNEY_SOURCE.parent)
    elif target.is_file():
        log.info("kept %s (%s not found)", HACKNEY_NAME, HACKNEY_SOURCE.parent)
    else:
        log.warning("%s not found; the real Hackney minutes are not in %s", HACKNEY_SOURCE, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

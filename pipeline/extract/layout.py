"""Characters with boxes -> lines in reading order, shared by every PDF backend.

A PDF backend (pdfplumber, PDFium) hands this module the characters of one page
with their boxes, font sizes and weights. It returns :class:`~pipeline.extract.lines.Line`
objects in reading order:

* characters are grouped into horizontal bands by their vertical centre, so raised
  footnote markers and slightly offset bullet glyphs stay on their line;
* a band is cut into segments at wide horizontal gaps and at a column gutter, and a
  page with two columns is read column by column (full-width lines, such as
  headings across both columns, close the columns above them);
* raised small digits glued to a word (footnote reference markers: ``basis12``)
  are removed; raised letters (``14th``) are kept;
* spaces are inserted from the gaps between characters.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pipeline.extract.lines import ROLE_TABLE, Line
from pipeline.textnorm import normalize_chars

#: A gap wider than this many font sizes splits a band into separate segments.
SEGMENT_GAP = 2.5
#: A gap wider than this fraction of the font size is a space between words.
SPACE_GAP = 0.18
#: Footnote-marker characters that are dropped when raised and glued to a word.
MARKER_CHARS = set("0123456789*†‡§")

_BOLD_HINTS = ("bold", "black", "heavy", "semibold", "demi")


@dataclass(slots=True)
class Char:
    """One character with its box (points from the page's top-left) and font.

    A backend may hand over a run of characters of one font and baseline that
    touch each other (a word) as one ``Char`` whose ``text`` has several
    characters: every rule below counts characters, not ``Char`` objects, so a run
    weighs as much as its characters would.
    """

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    bold: bool

    @property
    def mid(self) -> float:
        """Vertical centre."""
        return (self.top + self.bottom) / 2


def is_bold_font(fontname: str) -> bool:
    """Guess boldness from a PDF font name such as ``ABCDEF+Arial-BoldMT``."""
    name = fontname.lower()
    return any(h in name for h in _BOLD_HINTS) or name.endswith((",b", "-b"))


@dataclass(slots=True)
class _Band:
    chars: list[Char]
    mid: float
    height: float


@dataclass(slots=True)
class TableBlock:
    """A table found by a backend: its box and its rows of cell texts."""

    x0: float
    top: float
    x1: float
    bottom: float
    rows: list[list[str]]


def table_block(
    bbox: tuple[float, float, float, float], rows: list[list[str | None]]
) -> TableBlock | None:
    """A :class:`TableBlock` from a table finder's box and rows, or None for a text frame.

    Empty rows are dropped. A ruled box whose rows hold one cell of text each is a
    text frame (a boxed quotation), not a table: its lines are read as ordinary text.
    """
    kept = [r for r in rows if any((c or "").strip() for c in r)]
    if len(kept) < 2 or max(sum(1 for c in r if (c or "").strip()) for r in kept) < 2:
        return None
    x0, top, x1, bottom = bbox
    return TableBlock(float(x0), float(top), float(x1), float(bottom), kept)


def _group_bands(chars: list[Char]) -> list[_Band]:
    """Group characters into bands of similar vertical centre (one band per printed line)."""
    bands: list[_Band] = []
    for ch in sorted(chars, key=lambda c: (c.mid, c.x0)):
        h = max(ch.bottom - ch.top, 0.1)
        if bands:
            band = bands[-1]
            tol = 0.42 * max(band.height, h)
            if abs(ch.mid - band.mid) <= tol:
                band.chars.append(ch)
                # the band's centre follows its full-size characters, not its markers
                if h >= 0.85 * band.height:
                    n = len(band.chars)
                    band.mid += (ch.mid - band.mid) / n
                    band.height = max(band.height, h)
                continue
        bands.append(_Band([ch], ch.mid, h))
    return bands


def find_gutter(chars: list[Char], width: float) -> float | None:
    """Return the x of a column gutter when the page is set in two columns, else None.

    The gutter is the widest run of empty 2-pt bins in the middle 30-70% of the page
    with substantial text on both sides. A few characters crossing it (a full-width
    heading) are tolerated.
    """
    total = sum(len(c.text) for c in chars)
    if total < 200 or width <= 0:
        return None
    nbins = int(width // 2) + 1
    cover = [0] * nbins
    for ch in chars:
        for b in range(max(int(ch.x0 // 2), 0), min(int(ch.x1 // 2) + 1, nbins)):
            cover[b] += 1
    lo, hi = int(nbins * 0.3), int(nbins * 0.7)
    peak = sorted(cover)[int(nbins * 0.9)]
    limit = max(1, peak * 0.04)
    best: tuple[int, int] | None = None
    start = None
    for b in range(lo, hi + 1):
        if cover[b] <= limit:
            if start is None:
                start = b
        else:
            if start is not None and (best is None or b - start > best[1] - best[0]):
                best = (start, b)
            start = None
    if start is not None and (best is None or hi + 1 - start > best[1] - best[0]):
        best = (start, hi + 1)
    if best is None or (best[1] - best[0]) * 2 < 8:
        return None
    gx = best[0] + best[1]  # bins are 2 pt wide: centre = (a + b) / 2 * 2
    left = sum(len(c.text) for c in chars if c.x1 <= gx)
    right = sum(len(c.text) for c in chars if c.x0 >= gx)
    if min(left, right) < 0.2 * total:
        return None
    return float(gx)


def _split_segments(band: _Band, gutter: float | None) -> list[list[Char]]:
    """Cut a band into segments at wide gaps and at the gutter."""
    chars = sorted(band.chars, key=lambda c: c.x0)
    segs: list[list[Char]] = [[chars[0]]]
    size = _dominant_size(chars)
    for prev_x1, ch in zip(_running_max_x1(chars), chars[1:], strict=False):
        gap = ch.x0 - prev_x1
        crosses = gutter is not None and prev_x1 <= gutter <= ch.x0
        if gap > SEGMENT_GAP * size or (crosses and gap > 0.5 * size):
            segs.append([ch])
        else:
            segs[-1].append(ch)
    return segs


def _running_max_x1(chars: list[Char]) -> list[float]:
    out, m = [], float("-inf")
    for c in chars:
        m = max(m, c.x1)
        out.append(m)
    return out


def _dominant_size(chars: list[Char]) -> float:
    sizes: Counter[float] = Counter()
    for c in chars:
        if c.text.strip():
            sizes[round(c.size, 1)] += len(c.text)
    if not sizes:
        return max((c.size for c in chars), default=10.0) or 10.0
    return sizes.most_common(1)[0][0] or 10.0


def _is_marker(text: str) -> bool:
    return all(ch in MARKER_CHARS for ch in text)


def segment_to_line(chars: list[Char], page: int) -> Line | None:
    """Build one line from a segment's characters: spaces from gaps, markers dropped."""
    chars = sorted(chars, key=lambda c: c.x0)
    size = _dominant_size(chars)
    full = [c for c in chars if c.text.strip() and c.size >= 0.85 * size]
    if not full:
        full = [c for c in chars if c.text.strip()]
        if not full:
            return None
    baseline = sorted(c.bottom for c in full)[len(full) // 2]
    parts: list[str] = []
    pending_space = False
    pending_start = 0.0
    last_x1: float | None = None
    seen_word = False  # a full-size character has been kept (markers at the start stay)
    in_marker = False  # the last kept character is a raised marker: its run stays whole
    kept: list[Char] = []
    for ch in chars:
        raised = ch.size < 0.85 * size and ch.bottom < baseline - 0.2 * size
        if not ch.text.strip():
            # a space overprinted by a neighbour (inside the previous glyph's box, or
            # with the next glyph starting where it starts) is no word gap; a raised
            # space belongs to the footnote marker after it
            if last_x1 is not None and ch.x1 > last_x1 + 0.1 and not raised:
                pending_space = True
                pending_start = ch.x0 + 0.25 * (ch.x1 - ch.x0)
            continue
        if pending_space and ch.x0 < pending_start:
            pending_space = False
        marker = raised and _is_marker(ch.text)
        if marker and seen_word and not pending_space and not in_marker:
            # a footnote reference glued to the preceding word: drop it; the gap to
            # the next character is measured from the marker's right edge
            last_x1 = max(last_x1, ch.x1)
            continue
        if last_x1 is not None and (pending_space or ch.x0 - last_x1 > SPACE_GAP * size):
            parts.append(" ")
        parts.append(ch.text)
        kept.append(ch)
        last_x1 = ch.x1
        pending_space = False
        seen_word = seen_word or not raised
        in_marker = marker
    text = normalize_chars("".join(parts)).strip()
    if not text:
        return None
    sized = [c for c in kept if abs(c.size - size) < 0.5] or kept
    bold = sum(len(c.text) for c in sized if c.bold) > sum(len(c.text) for c in sized) / 2
    return Line(
        text=text,
        page=page,
        x0=min(c.x0 for c in kept),
        top=min(c.top for c in full),
        x1=max(c.x1 for c in kept),
        bottom=max(c.bottom for c in full),
        size=float(size),
        bold=bold,
    )


def chars_to_lines(
    chars: list[Char],
    *,
    page: int,
    width: float,
    height: float,
    tables: list[TableBlock] | None = None,
) -> list[Line]:
    """Turn one page's characters (and any detected tables) into lines in reading order."""
    tables = tables or []
    if tables:
        chars = [c for c in chars if not any(_inside(c, t) for t in tables)]
    chars = [c for c in chars if c.x0 >= -1 and c.x1 <= width + 1 and -1 <= c.top <= height + 1]
    gutter = find_gutter(chars, width)
    items: list[tuple[float, int, Line]] = []  # (top, column 0/1/2=spanning, line)
    for band in _group_bands(chars):
        for seg in _split_segments(band, gutter):
            line = segment_to_line(seg, page)
            if line is None:
                continue
            if gutter is None or line.x1 <= gutter + 1:
                col = 0
            elif line.x0 >= gutter - 1:
                col = 1
            else:
                col = 2
            items.append((line.top, col, line))
    for t in tables:
        for i, row in enumerate(t.rows):
            cells = [normalize_chars(c or "").replace("\n", " ").strip() for c in row]
            text = " | ".join(c for c in cells if c)
            if not text:
                continue
            step = (t.bottom - t.top) / max(len(t.rows), 1)
            top = t.top + i * step
            line = Line(
                text=text,
                page=page,
                x0=t.x0,
                top=top,
                x1=t.x1,
                bottom=top + step,
                role=ROLE_TABLE,
                level=i,
            )
            items.append((top, 2, line))
    return _reading_order(items, gutter is not None)


def _reading_order(items: list[tuple[float, int, Line]], two_columns: bool) -> list[Line]:
    items.sort(key=lambda it: (it[0], it[2].x0))
    if not two_columns:
        return [it[2] for it in items]
    out: list[Line] = []
    left: list[Line] = []
    right: list[Line] = []
    for _top, col, line in items:
        if col == 2:
            out.extend(left)
            out.extend(right)
            left, right = [], []
            out.append(line)
        elif col == 0:
            left.append(line)
        else:
            right.append(line)
    out.extend(left)
    out.extend(right)
    return out


def _inside(ch: Char, t: TableBlock) -> bool:
    cx = (ch.x0 + ch.x1) / 2
    return t.x0 - 1 <= cx <= t.x1 + 1 and t.top - 1 <= ch.mid <= t.bottom + 1

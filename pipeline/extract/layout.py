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

Speed: a page has several hundred word-level characters, and layout runs on every
page, so the page is held as columns (:class:`PageChars`: a list of texts and numpy
arrays of boxes and sizes) rather than objects. Everything that is a per-page
computation (filters, the gutter, sorting, each band's and segment's dominant
font size, segment cuts, baselines, raised characters) is done with numpy over the
whole page at once; only the two steps that are sequential by nature (growing a
band whose centre follows its characters, and writing a line's text with its
spaces and markers) are Python loops over plain lists. A backend may hand over a
list of :class:`Char` (pdfplumber) or a :class:`PageChars` (PDFium); the rules and
results are the same.

Kept as one module: it is one algorithm (bands, segments, columns, lines) over one
character model, shared by every PDF backend; its steps exchange private
intermediate structures that no other module needs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.extract.lines import ROLE_TABLE, Line
from pipeline.textnorm import normalize_chars

#: A gap wider than this many font sizes splits a band into separate segments.
SEGMENT_GAP = 2.5
#: A gap wider than this fraction of the font size is a space between words.
SPACE_GAP = 0.18
#: Footnote-marker characters that are dropped when raised and glued to a word.
MARKER_CHARS = set("0123456789*†‡§")

_BOLD_HINTS = ("bold", "black", "heavy", "semibold", "demi")
#: An italic or oblique face: "Arial-ItalicMT", "Plantin-Italic", "Helvetica-Oblique",
#: "MinionPro-It", "MyriadPro-BoldIt", "Arial,BoldItalic", "Calibri-I".
_ITALIC_NAME = re.compile(
    r"italic|oblique|kursiv|[-,](?:bold|semibold|demi|black|heavy|medium|light|book|regular)?"
    r"(?:it|i)$"
)


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
    italic: bool = False

    @property
    def mid(self) -> float:
        """Vertical centre."""
        return (self.top + self.bottom) / 2


def is_bold_font(fontname: str) -> bool:
    """Guess boldness from a PDF font name such as ``ABCDEF+Arial-BoldMT``."""
    name = fontname.lower()
    return any(h in name for h in _BOLD_HINTS) or name.endswith((",b", "-b"))


def is_italic_font(fontname: str) -> bool:
    """Guess an italic or oblique face from a PDF font name such as ``ABCDEF+Plantin-Italic``."""
    return bool(_ITALIC_NAME.search(fontname.lower()))


class PageChars:
    """One page's characters as columns: the same data as a list of :class:`Char`.

    ``text`` is a list of strings; ``x0``, ``top``, ``x1``, ``bottom`` and ``size``
    are float64 arrays and ``bold``, ``italic`` and ``underline`` bool arrays (``italic``
    and ``underline`` all False when not given; a reader sets ``underline`` for the
    words a drawn rule underlines, :mod:`pipeline.extract.underline`), all of the same
    length. A backend
    that knows which characters are blank and how long each text is may pass
    ``blank`` and ``nchar``; else they are computed from the texts when needed.
    """

    __slots__ = ("_blank", "_nchar", "bold", "bottom", "italic", "size", "text", "top",
                 "underline", "x0", "x1")  # fmt: skip

    def __init__(
        self,
        text: list[str],
        x0: Sequence[float] | np.ndarray,
        top: Sequence[float] | np.ndarray,
        x1: Sequence[float] | np.ndarray,
        bottom: Sequence[float] | np.ndarray,
        size: Sequence[float] | np.ndarray,
        bold: Sequence[bool] | np.ndarray,
        *,
        blank: np.ndarray | None = None,
        nchar: np.ndarray | None = None,
        italic: Sequence[bool] | np.ndarray | None = None,
        underline: Sequence[bool] | np.ndarray | None = None,
    ) -> None:
        self.text = text
        self._blank = blank
        self._nchar = nchar
        self.x0 = np.asarray(x0, dtype=np.float64)
        self.top = np.asarray(top, dtype=np.float64)
        self.x1 = np.asarray(x1, dtype=np.float64)
        self.bottom = np.asarray(bottom, dtype=np.float64)
        self.size = np.asarray(size, dtype=np.float64)
        self.bold = np.asarray(bold, dtype=bool)
        self.italic = (
            np.zeros(len(text), dtype=bool) if italic is None else np.asarray(italic, dtype=bool)
        )
        self.underline = (
            np.zeros(len(text), dtype=bool)
            if underline is None
            else np.asarray(underline, dtype=bool)
        )

    @classmethod
    def from_chars(cls, chars: Sequence[Char]) -> PageChars:
        """Columns from a list of :class:`Char`."""
        return cls(
            [c.text for c in chars],
            [c.x0 for c in chars],
            [c.top for c in chars],
            [c.x1 for c in chars],
            [c.bottom for c in chars],
            [c.size for c in chars],
            [c.bold for c in chars],
            italic=[c.italic for c in chars],
        )

    @classmethod
    def from_rows(
        cls, rows: Sequence[tuple[str, float, float, float, float, float, bool]]
    ) -> PageChars:
        """Columns from ``(text, x0, top, x1, bottom, size, bold)`` tuples."""
        if not rows:
            return cls([], [], [], [], [], [], [])
        text, x0, top, x1, bottom, size, bold = zip(*rows, strict=True)
        return cls(list(text), x0, top, x1, bottom, size, bold)

    def __len__(self) -> int:
        return len(self.text)

    def blanks(self) -> np.ndarray:
        """Which characters are blank (whitespace only)."""
        if self._blank is None:
            self._blank = _blanks(self.text)
        return self._blank

    def lengths(self) -> np.ndarray:
        """How many characters each text holds (a word counts its letters)."""
        if self._nchar is None:
            self._nchar = _lengths(self.text)
        return self._nchar

    def take(self, index: np.ndarray) -> PageChars:
        """The characters at ``index`` (positions or a boolean mask), in that order."""
        if index.dtype == bool:
            index = np.flatnonzero(index)
        text = self.text
        return PageChars(
            [text[i] for i in index.tolist()],
            self.x0[index],
            self.top[index],
            self.x1[index],
            self.bottom[index],
            self.size[index],
            self.bold[index],
            blank=None if self._blank is None else self._blank[index],
            nchar=None if self._nchar is None else self._nchar[index],
            italic=self.italic[index],
            underline=self.underline[index],
        )

    def chars(self) -> list[Char]:
        """The characters as :class:`Char` objects."""
        return [
            Char(*row)
            for row in zip(
                self.text,
                self.x0.tolist(),
                self.top.tolist(),
                self.x1.tolist(),
                self.bottom.tolist(),
                self.size.tolist(),
                self.bold.tolist(),
                self.italic.tolist(),
                strict=True,
            )
        ]


def _columns(chars: Sequence[Char] | PageChars) -> PageChars:
    return chars if isinstance(chars, PageChars) else PageChars.from_chars(chars)


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


# --- per-page helpers on columns --------------------------------------------------------


def _lengths(texts: list[str]) -> np.ndarray:
    return np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def _blanks(texts: list[str]) -> np.ndarray:
    return np.fromiter((not t.strip() for t in texts), dtype=bool, count=len(texts))


def _rounded(size: np.ndarray) -> np.ndarray:
    """``round(size, 1)`` as Python rounds (numpy's ``round`` differs in the last digit)."""
    if not len(size):
        return size
    uniq, inverse = np.unique(size, return_inverse=True)
    return np.array([round(v, 1) for v in uniq.tolist()], dtype=np.float64)[inverse.ravel()]


def _dominant_sizes(
    group: np.ndarray,
    ngroups: int,
    rounded: np.ndarray,
    nchar: np.ndarray,
    blank: np.ndarray,
    size: np.ndarray,
) -> np.ndarray:
    """Each group's dominant font size: the rounded size carrying the most characters.

    ``group`` holds each character's group number (0 .. ngroups-1, ascending). Ties
    go to the size seen first in character order; a group of blank characters only
    gets its largest size; a size of 0 counts as 10 pt.
    """
    out = np.zeros(ngroups)
    found = np.zeros(ngroups, dtype=bool)
    pos = np.flatnonzero(~blank)
    if len(pos):
        g, v = group[pos], rounded[pos]
        o = np.lexsort((pos, v, g))  # by group, then size, then position
        g, v, w, p = g[o], v[o], nchar[pos][o], pos[o]
        starts = np.flatnonzero(np.concatenate(([True], (g[1:] != g[:-1]) | (v[1:] != v[:-1]))))
        total = np.add.reduceat(w, starts)
        first, pg, pv = p[starts], g[starts], v[starts]
        o = np.lexsort((first, -total, pg))  # by group, most characters, first seen
        pg, pv = pg[o], pv[o]
        lead = np.concatenate(([True], pg[1:] != pg[:-1]))
        out[pg[lead]] = pv[lead]
        found[pg[lead]] = True
    if not found.all():
        largest = np.full(ngroups, -np.inf)
        np.maximum.at(largest, group, size)
        out[~found] = largest[~found]
    out[out == 0] = 10.0
    return out


def _group_running_max(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running maximum of ``values`` restarting at each group (ascending group numbers).

    Exact: the maximum is taken over the values' ranks, offset by group.
    """
    uniq, rank = np.unique(values, return_inverse=True)
    k = len(uniq)
    key = group.astype(np.int64) * k + rank.ravel()
    return uniq[np.maximum.accumulate(key) - group * k]


def _band_ids(mids: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """Band number of each character (sorted by centre, then x0).

    A character joins the current band when its centre is within 0.42 of the larger
    of its height and the band's; the band's centre follows its full-size
    characters (a running mean), not its markers.

    Characters come in runs of equal centre and height (a line's words and spaces
    in one font). Every character of a run joins the band its first one joins or
    starts: the band's centre only moves towards the run's, and the band is at least
    as high as the run from then on. So the test is made once per run, and the
    running mean is updated character by character only while it differs from the
    run's centre (once equal, adding an equal value leaves it unchanged).
    """
    n = len(mids)
    new_run = np.concatenate(([True], (mids[1:] != mids[:-1]) | (heights[1:] != heights[:-1])))
    starts = np.flatnonzero(new_run)
    lengths = np.diff(np.append(starts, n))
    run_band: list[int] = []
    append = run_band.append
    band = -1
    bmid = bheight = 0.0
    count = 0
    for m, h, k in zip(mids[starts].tolist(), heights[starts].tolist(), lengths.tolist(),
                       strict=True):  # fmt: skip
        if band >= 0 and abs(m - bmid) <= 0.42 * (h if h > bheight else bheight):
            count += 1
            if h >= 0.85 * bheight:
                bmid += (m - bmid) / count
                if h > bheight:
                    bheight = h
        else:
            band += 1
            bmid, bheight, count = m, h, 1
        append(band)
        if k > 1:
            if h >= 0.85 * bheight and bmid != m:
                for _ in range(k - 1):
                    count += 1
                    bmid += (m - bmid) / count
            else:
                count += k - 1
    return np.repeat(np.array(run_band, dtype=np.int64), lengths)


def _find_gutter(pc: PageChars, nchar: np.ndarray, width: float) -> float | None:
    total = int(nchar.sum())
    if total < 200 or width <= 0:
        return None
    nbins = int(width // 2) + 1
    start = np.maximum(np.floor_divide(pc.x0, 2), 0).astype(np.int64)
    end = np.minimum(np.floor_divide(pc.x1, 2) + 1, nbins).astype(np.int64)
    ok = start < end
    cover = np.cumsum(
        np.bincount(start[ok], minlength=nbins + 1) - np.bincount(end[ok], minlength=nbins + 1)
    )[:nbins]
    lo, hi = int(nbins * 0.3), int(nbins * 0.7)
    peak = int(np.sort(cover)[int(nbins * 0.9)])
    limit = max(1, peak * 0.04)
    empty = np.concatenate(([0], (cover[lo : hi + 1] <= limit).astype(np.int8), [0]))
    edges = np.diff(empty)
    run_starts, run_ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if not len(run_starts):
        return None
    k = int(np.argmax(run_ends - run_starts))  # the widest run, the first of equals
    a, b = lo + int(run_starts[k]), lo + int(run_ends[k])
    if (b - a) * 2 < 8:
        return None
    gx = a + b  # bins are 2 pt wide: centre = (a + b) / 2 * 2
    left = int(nchar[pc.x1 <= gx].sum())
    right = int(nchar[pc.x0 >= gx].sum())
    if min(left, right) < 0.2 * total:
        return None
    return float(gx)


def find_gutter(chars: Sequence[Char] | PageChars, width: float) -> float | None:
    """Return the x of a column gutter when the page is set in two columns, else None.

    The gutter is the widest run of empty 2-pt bins in the middle 30-70% of the page
    with substantial text on both sides. A few characters crossing it (a full-width
    heading) are tolerated.
    """
    pc = _columns(chars)
    return _find_gutter(pc, pc.lengths(), width)


def _is_marker(text: str) -> bool:
    return all(ch in MARKER_CHARS for ch in text)


class _Segments:
    """The characters of a page's segments in reading order, with per-segment facts.

    Numpy arrays per character (``pc``, ``seg``, ``blank``, ``raised``, ``nchar``) and
    per segment (``bounds`` into the characters, ``has_text``, ``seg_size``,
    ``seg_top``, ``seg_bottom``); Python lists of the same for the character loop
    of :func:`_segment_line` are made on first use.
    """

    __slots__ = ("_lists", "blank", "bounds", "has_text", "nchar", "nseg", "pc", "raised", "seg",
                 "seg_bottom", "seg_size", "seg_top")  # fmt: skip

    def __init__(self) -> None:
        self._lists: tuple[list, ...] | None = None

    def lists(self) -> tuple[list, ...]:
        """(text, x0, x1, size, bold, blank, raised, italic, underline) as Python lists."""
        if self._lists is None:
            pc = self.pc
            self._lists = (pc.text, pc.x0.tolist(), pc.x1.tolist(), pc.size.tolist(),
                           pc.bold.tolist(), self.blank.tolist(), self.raised.tolist(),
                           pc.italic.tolist(), pc.underline.tolist())  # fmt: skip
        return self._lists


def _prepare_segments(
    pc: PageChars, seg: np.ndarray, nchar: np.ndarray, blank: np.ndarray, rounded: np.ndarray
) -> _Segments:
    """Per-segment dominant size, full-size characters, baseline and raised characters.

    ``pc`` is in reading order (segments contiguous, ascending, each sorted by x0).
    """
    nseg = int(seg[-1]) + 1
    size, bottom = pc.size, pc.bottom
    seg_size = _dominant_sizes(seg, nseg, rounded, nchar, blank, size)
    per_char = seg_size[seg]
    nonblank = ~blank
    full = nonblank & (size >= 0.85 * per_char)
    has_full = np.bincount(seg[full], minlength=nseg) > 0
    full |= nonblank & ~has_full[seg]
    fi = np.flatnonzero(full)
    fseg = seg[fi]
    count = np.bincount(fseg, minlength=nseg)
    has_text = count > 0
    first = (np.cumsum(count) - count)[has_text]
    fbottom = bottom[fi]
    baseline = np.zeros(nseg)
    seg_top = np.zeros(nseg)
    seg_bottom = np.zeros(nseg)
    if len(fi):
        by_bottom = fbottom[np.lexsort((fbottom, fseg))]
        baseline[has_text] = by_bottom[first + count[has_text] // 2]  # the median line
        seg_top[has_text] = np.minimum.reduceat(pc.top[fi], first)
        seg_bottom[has_text] = np.maximum.reduceat(fbottom, first)
    out = _Segments()
    out.pc, out.seg, out.nseg, out.blank, out.nchar = pc, seg, nseg, blank, nchar
    out.raised = (size < 0.85 * per_char) & (bottom < baseline[seg] - 0.2 * per_char)
    out.bounds = np.flatnonzero(np.concatenate(([True], seg[1:] != seg[:-1], [True])))
    out.has_text = has_text
    out.seg_size = seg_size
    out.seg_top = seg_top
    out.seg_bottom = seg_bottom
    return out


def _segment_line(sg: _Segments, s: int, page: int) -> Line | None:
    """Write segment ``s`` as a line: spaces from gaps, glued raised markers dropped.

    The reference, character by character; :func:`_segment_lines` does the same for
    segments without raised characters, a page at a time.
    """
    if not sg.has_text[s]:
        return None
    size = float(sg.seg_size[s])
    texts, xs0, xs1, sizes, bolds, blanks, raiseds, italics, unders = sg.lists()
    space_gap = SPACE_GAP * size
    parts: list[str] = []
    pending_space = False
    pending_start = 0.0
    last_x1: float | None = None
    seen_word = False  # a full-size character has been kept (markers at the start stay)
    in_marker = False  # the last kept character is a raised marker: its run stays whole
    kx0, kx1 = float("inf"), float("-inf")
    kept_len = kept_bold = sized_len = sized_bold = kept_italic = sized_italic = 0
    sized = False
    # underlined runs: lists of the parts they hold, and the characters underlined
    runs: list[list[str]] = []
    in_run = False
    under_len = 0
    for i in range(int(sg.bounds[s]), int(sg.bounds[s + 1])):
        x1 = xs1[i]
        if blanks[i]:
            # a space overprinted by a neighbour (inside the previous glyph's box, or
            # with the next glyph starting where it starts) is no word gap; a raised
            # space belongs to the footnote marker after it
            if last_x1 is not None and x1 > last_x1 + 0.1 and not raiseds[i]:
                pending_space = True
                x0 = xs0[i]
                pending_start = x0 + 0.25 * (x1 - x0)
            continue
        x0 = xs0[i]
        if pending_space and x0 < pending_start:
            pending_space = False
        raised = raiseds[i]
        text = texts[i]
        marker = raised and _is_marker(text)
        if marker and seen_word and not pending_space and not in_marker:
            # a footnote reference glued to the preceding word: drop it; the gap to
            # the next character is measured from the marker's right edge
            last_x1 = max(last_x1, x1)
            continue
        spaced = last_x1 is not None and (pending_space or x0 - last_x1 > space_gap)
        if spaced:
            parts.append(" ")
        parts.append(text)
        if unders[i]:
            if in_run:
                runs[-1].append(" " + text if spaced else text)
            else:
                runs.append([text])
            in_run = True
            under_len += len(text)
        else:
            in_run = False
        if x0 < kx0:
            kx0 = x0
        if x1 > kx1:
            kx1 = x1
        n = len(text)
        kept_len += n
        if bolds[i]:
            kept_bold += n
        if italics[i]:
            kept_italic += n
        if abs(sizes[i] - size) < 0.5:
            sized = True
            sized_len += n
            if bolds[i]:
                sized_bold += n
            if italics[i]:
                sized_italic += n
        last_x1 = x1
        pending_space = False
        seen_word = seen_word or not raised
        in_marker = marker
    bold = sized_bold > sized_len / 2 if sized else kept_bold > kept_len / 2
    italic = sized_italic > sized_len / 2 if sized else kept_italic > kept_len / 2
    line = _line(parts, page, kx0, float(sg.seg_top[s]), kx1, float(sg.seg_bottom[s]), size, bold,
                 italic)  # fmt: skip
    if line is not None and runs:
        texts_u = (normalize_chars("".join(r)).strip() for r in runs)
        line.underlined = tuple(t for t in texts_u if t)
        line.underline = 2 * under_len > kept_len
    return line


def _line(parts: list[str], page: int, x0: float, top: float, x1: float, bottom: float,
          size: float, bold: bool, italic: bool = False) -> Line | None:  # fmt: skip
    text = normalize_chars("".join(parts)).strip()
    if not text:
        return None
    return Line(text=text, page=page, x0=x0, top=top, x1=x1, bottom=bottom, size=size, bold=bold,
                italic=italic)  # fmt: skip


def _segment_lines(sg: _Segments, page: int, *, vectorised: bool = True) -> list[Line]:
    """Every segment of a page as a line, in order (segments without text give none).

    A segment without raised characters has no footnote markers, so the loop of
    :func:`_segment_line` comes down to: a character gets a space before it when a
    character precedes it in the segment and either the gap between them is wider
    than ``SPACE_GAP`` font sizes or a space character stands between them (not
    overprinted: reaching 0.1 pt past the previous character, and ending before the
    next one starts a quarter into it; the last such space counts). That is done here
    for all such segments of the page at once; the others go through the loop.
    """
    pc, seg, blank, raised = sg.pc, sg.seg, sg.blank, sg.raised
    nonblank = ~blank
    n = len(seg)
    special = np.bincount(seg[raised & nonblank], minlength=sg.nseg) > 0
    if pc.underline.any():  # underlined runs are collected by the character loop
        special |= np.bincount(seg[pc.underline], minlength=sg.nseg) > 0
    if not vectorised:
        special[:] = True
    lines: list[Line] = []
    if special.all():
        for s in range(sg.nseg):
            if (line := _segment_line(sg, s, page)) is not None:
                lines.append(line)
        return lines
    x0, x1 = pc.x0, pc.x1
    size_of = sg.seg_size[seg]
    pos = np.arange(n)
    seg_start = sg.bounds[seg]
    # the previous non-blank character in the segment (all are kept: no markers)
    prev_nb = np.concatenate(([-1], np.maximum.accumulate(np.where(nonblank, pos, -1))[:-1]))
    has_prev = prev_nb >= seg_start
    prev_x1 = x1[np.maximum(prev_nb, 0)]
    counts = blank & has_prev & ~raised & (x1 > prev_x1 + 0.1)
    starts = x0 + 0.25 * (x1 - x0)
    # the last counted space or non-blank character before each character
    event = np.concatenate(([-1], np.maximum.accumulate(np.where(counts | nonblank, pos, -1))[:-1]))
    last = np.maximum(event, 0)
    pending = (event >= seg_start) & counts[last] & ~(x0 < starts[last])
    space = has_prev & (pending | (x0 - prev_x1 > SPACE_GAP * size_of))
    keep = nonblank & ~special[seg]
    kept = np.flatnonzero(keep)
    texts = pc.text
    parts = [" " + texts[i] if sp else texts[i]
             for i, sp in zip(kept.tolist(), space[kept].tolist(), strict=True)]  # fmt: skip
    # per segment: where its kept characters are in ``parts``, their extent and weight
    kseg = seg[kept]
    nkept = np.bincount(kseg, minlength=sg.nseg)
    kend = np.cumsum(nkept)
    kfirst = kend - nkept
    has = nkept > 0
    kx0 = np.zeros(sg.nseg)
    kx1 = np.zeros(sg.nseg)
    if len(kept):
        kx0[has] = np.minimum.reduceat(x0[kept], kfirst[has])
        kx1[has] = np.maximum.reduceat(x1[kept], kfirst[has])
    nchar = sg.nchar.astype(np.float64)
    weight = nchar * keep
    bold_weight = weight * pc.bold
    sized = keep & (np.abs(pc.size - size_of) < 0.5)
    sized_len = np.bincount(seg, weights=nchar * sized, minlength=sg.nseg)
    sized_bold = np.bincount(seg, weights=nchar * (sized & pc.bold), minlength=sg.nseg)
    kept_len = np.bincount(seg, weights=weight, minlength=sg.nseg)
    kept_bold = np.bincount(seg, weights=bold_weight, minlength=sg.nseg)
    any_sized = np.bincount(seg[sized], minlength=sg.nseg) > 0
    bold = np.where(any_sized, sized_bold > sized_len / 2, kept_bold > kept_len / 2)
    italic_l = [False] * sg.nseg
    if pc.italic.any():
        sized_italic = np.bincount(seg, weights=nchar * (sized & pc.italic), minlength=sg.nseg)
        kept_italic = np.bincount(seg, weights=weight * pc.italic, minlength=sg.nseg)
        italic = np.where(any_sized, sized_italic > sized_len / 2, kept_italic > kept_len / 2)
        italic_l = italic.tolist()
    has_text, seg_size = sg.has_text.tolist(), sg.seg_size.tolist()
    seg_top, seg_bottom = sg.seg_top.tolist(), sg.seg_bottom.tolist()
    kfirst_l, kend_l, kx0_l, kx1_l = kfirst.tolist(), kend.tolist(), kx0.tolist(), kx1.tolist()
    bold_l, special_l = bold.tolist(), special.tolist()
    for s in range(sg.nseg):
        if not has_text[s]:
            continue
        if special_l[s]:
            line = _segment_line(sg, s, page)
        else:
            line = _line(parts[kfirst_l[s] : kend_l[s]], page, kx0_l[s], seg_top[s], kx1_l[s],
                         seg_bottom[s], seg_size[s], bold_l[s], italic_l[s])  # fmt: skip
        if line is not None:
            lines.append(line)
    return lines


def segment_to_line(chars: Sequence[Char], page: int) -> Line | None:
    """Build one line from a segment's characters: spaces from gaps, markers dropped."""
    if not chars:
        return None
    pc = PageChars.from_chars(sorted(chars, key=lambda c: c.x0))
    seg = np.zeros(len(pc), dtype=np.int64)
    sg = _prepare_segments(pc, seg, pc.lengths(), pc.blanks(), _rounded(pc.size))
    return _segment_line(sg, 0, page)


def _page_segments(pc: PageChars, gutter: float | None, page: int) -> list[Line]:
    """Bands -> segments -> lines of one page, in band order and left to right."""
    if not len(pc):
        return []
    x0, x1 = pc.x0, pc.x1
    mid = (pc.top + pc.bottom) / 2
    height = np.maximum(pc.bottom - pc.top, 0.1)
    order = np.lexsort((x0, mid))  # stable: by centre, then x0
    band = _band_ids(mid[order], height[order])
    within = np.lexsort((x0[order], band))  # each band left to right, stable
    band = band[within]
    pc = pc.take(order[within])
    x0, x1 = pc.x0, pc.x1
    nchar, blank = pc.lengths(), pc.blanks()
    rounded = _rounded(pc.size)
    band_size = _dominant_sizes(band, int(band[-1]) + 1, rounded, nchar, blank, pc.size)[band]
    # cut a band at a gap wider than SEGMENT_GAP font sizes (measured from the
    # rightmost edge so far), or at a gap across the gutter
    prev_x1 = _group_running_max(x1, band)[:-1]
    nxt, size = x0[1:], band_size[1:]
    gap = nxt - prev_x1
    cut = (band[1:] != band[:-1]) | (gap > SEGMENT_GAP * size)
    if gutter is not None:
        cut |= (prev_x1 <= gutter) & (gutter <= nxt) & (gap > 0.5 * size)
    seg = np.concatenate(([0], np.cumsum(cut)))
    return _segment_lines(_prepare_segments(pc, seg, nchar, blank, rounded), page)


def _inside(pc: PageChars, t: TableBlock) -> np.ndarray:
    cx = (pc.x0 + pc.x1) / 2
    mid = (pc.top + pc.bottom) / 2
    return (t.x0 - 1 <= cx) & (cx <= t.x1 + 1) & (t.top - 1 <= mid) & (mid <= t.bottom + 1)


def chars_to_lines(
    chars: Sequence[Char] | PageChars,
    *,
    page: int,
    width: float,
    height: float,
    tables: list[TableBlock] | None = None,
) -> list[Line]:
    """Turn one page's characters (and any detected tables) into lines in reading order."""
    tables = tables or []
    pc = _columns(chars)
    keep = (pc.x0 >= -1) & (pc.x1 <= width + 1) & (pc.top >= -1) & (pc.top <= height + 1)
    for t in tables:
        keep &= ~_inside(pc, t)
    if not keep.all():
        pc = pc.take(keep)
    if len(pc) == 1 and not tables:  # one word (most table cells): one line or none
        return _single_line(pc, page)
    gutter = _find_gutter(pc, pc.lengths(), width)
    items: list[tuple[float, int, Line]] = []  # (top, column 0/1/2=spanning, line)
    for line in _page_segments(pc, gutter, page):
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


def _single_line(pc: PageChars, page: int) -> list[Line]:
    """The lines of a page of one character: what the general path gives for it.

    One band, one segment: a blank character gives no line; else its own text
    (normalised), box, weight and its size rounded as the dominant size is.
    """
    text = pc.text[0]
    if not text.strip():
        return []
    size = round(float(pc.size[0]), 1) or 10.0
    line = _line([text], page, float(pc.x0[0]), float(pc.top[0]), float(pc.x1[0]),
                 float(pc.bottom[0]), size, bool(pc.bold[0]), bool(pc.italic[0]))  # fmt: skip
    return [] if line is None else [line]


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

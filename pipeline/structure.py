"""Lines -> passages: furniture removal, paragraphs, numbering, bullets, headings, actions.

This module reads only the backend-neutral lines of
:mod:`pipeline.extract.lines`, whatever format they came from. The steps:

1. :func:`strip_furniture` drops running headers/footers (lines in the top or bottom
   margin that repeat, digits aside, on many pages) and bare page numbers;
2. :func:`mark_footnotes` finds footnote bodies: small-font lines at the foot of a
   page that start with a number;
3. :func:`build_blocks` groups lines into blocks (paragraphs) from layout evidence:
   vertical gaps, font changes, bullets and numbers at the start of a line, short
   lines that end a sentence, page and column breaks (a paragraph that runs over a
   page break stays one block), and the reader's own block marks;
4. :func:`blocks_to_passages` classifies each block (heading, paragraph, bullet,
   action, recommendation, table, footnote), strips its printed label into ``ref``,
   links bullets and sub-items to their paragraph with ``parent_ref``, and joins
   the lines, rejoining words hyphenated at a line end.

Speakers (in minutes) are added by :mod:`pipeline.speakers`.

Kept as one module: the steps above are one ordered pass over the same line and
block objects, each relying on what the step before it marked; they are public
functions so that each can be tested on its own.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from pipeline.extract.lines import (
    ROLE_BULLET,
    ROLE_FOOTNOTE,
    ROLE_HEADING,
    ROLE_TABLE,
    Line,
    RawDocument,
)
from pipeline.extract.underline import locate_runs
from pipeline.textnorm import normalize_whitespace

# --- labels printed at the start of a block ------------------------------------------

_BULLET_GLYPHS = "•●▪■◦○‣⁃∙·▫□➢➤►▶✓✔§"
_BULLET = re.compile(rf"^(?:[{_BULLET_GLYPHS}]|[-–—*>](?=\s))\s*")
_O_BULLET = re.compile(r"^o\s+(?=\S)")  # Courier "o" sub-bullets in Word-made PDFs
_REC_LABEL = re.compile(
    r"^(?:Recommendation|Rec\.)\s+(?:(?P<num>\d{1,3}(?:\.\d{1,3})?)(?P<sub>[a-z])?\b|"
    r"(?P<letter>(?-i:[A-Z]))(?![\w'’]))\s*[:.\-–—)]?\s*",
    re.I,
)
_R_LABEL = re.compile(r"^R(?P<num>\d{1,3})(?P<sub>[a-z])?\s*[:.\-–—)]\s*")
#: "October 2024" after a number: the number is a day ("2 October 2024"), not a label.
_MONTH_YEAR = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?\s+\d{4}\b"
)
_NUM_LABEL = re.compile(
    r"^(?P<num>\d{1,3}(?:\.\d{1,3}){0,3})(?:(?P<sub>[a-z])|\((?P<psub>[a-z])\)(?=\s))?(?:\.|\))?"
    r"(?:\s+|(?=[\"'(]))(?=[\"'(\[A-Z])(?!" + _MONTH_YEAR + ")"
)
#: A minute's number: "26/02 Harrowmere Independent Inquiry", "45/24 Minutes of the last meeting".
_MINUTE_LABEL = re.compile(r"^(?P<num>\d{1,3}/\d{2,4})(?![/\d])\.?\s+(?=[A-Z])")
_SUB_LABEL = re.compile(
    r"^\(?(?P<sub>[a-z]|[ivx]{1,5}|[A-Z])\)\s+(?=\S)|^(?P<sub2>[a-z]|[ivx]{1,5})\.\s+(?=[A-Za-z\"'(])"
)
_ACTION = re.compile(r"^(?:Agreed\s+)?Actions?\b\s*(?:\([^)]{0,40}\))?\s*[:\-–—]\s*(?=\S)", re.I)
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]\s*)?(?:page\s+)?(?:\d{1,4}|[ivxlc]{1,7})(?:\s*(?:of|/)\s*\d{1,4})?(?:\s*[-–—])?$",
    re.I,
)
_FOOTNOTE_START = re.compile(r"^(?:\d{1,3}|[*†‡§])\s*(?=\S)")
_CLOSERS = "\"')]"
_GENERIC_HEADINGS = re.compile(
    r"^(agenda item|item \d+|minutes:?|contents|official(?: sensitive)?|public|draft|"
    r"supporting documents:?|appendix|annex)$",
    re.I,
)


@dataclass(slots=True)
class Block:
    """A run of lines that belong together (one paragraph, bullet, heading or table row)."""

    lines: list[Line]
    kind: str = "paragraph"
    ref: str = ""
    sub: str = ""
    text: str = ""
    continued: bool = False  # joined across a page or column break
    label: str = ""  # the label found at the block's start while building: bullet, number, ...
    rec_heading: bool = False  # a bare "Recommendation N" whose text follows in the next block

    @property
    def page(self) -> int:
        """The page where the block starts."""
        return self.lines[0].page


@dataclass(slots=True)
class Passage:
    """One structural unit of a document, as written to ``passages.parquet``."""

    seq: int
    page: int
    ref: str
    parent_ref: str
    kind: str
    text: str
    speaker: str = ""
    page_end: int = 0
    ocr: bool = False
    size: float = 0.0
    #: Minutes: each sentence's speaker where a paragraph has several (pipeline.speakers).
    speaker_spans: list[list[Any]] = field(default_factory=list)
    #: Minutes: who a sentence asks to act ("X and Y should ..."), ";"-separated.
    addressees: str = ""
    #: Share (0-1) of the passage's characters on italic lines (:func:`italic_share`).
    italic: float = 0.0
    #: ``[start, end)`` spans of ``text`` underlined in the PDF (:func:`underline_spans`).
    underline_spans: list[list[int]] = field(default_factory=list)


def _ends_sentence(text: str) -> bool:
    r"""Whether ``text`` ends a sentence (``re.search(r"[.!?:;][\"')\]]*$", text)``, or a
    full stop followed by a short bracketed reference, "... premises. (Paragraph 9.4)").

    The last character, after closing quotes and brackets (and before one final
    line break, where ``$`` also matches), is one of ``. ! ? : ;``. Testing the end
    is much cheaper than searching the whole text for that pattern.
    """
    if text.endswith("\n"):
        text = text[:-1]
    if text.endswith(")") and (m := _CLOSING_REFERENCE.search(text)):
        text = text[: m.start()]  # "... on school premises. (Paragraph 9.4)"
    text = text.rstrip(_CLOSERS)
    return bool(text) and text[-1] in ".!?:;"


#: A short bracketed reference after a full stop ends the sentence it follows.
_CLOSING_REFERENCE = re.compile(r"(?<=[.!?])\s*\([^()]{1,40}\)$")


# --- 1. running headers, footers and page numbers ----------------------------------


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", normalize_whitespace(text).lower())


def strip_furniture(doc: RawDocument) -> list[Line]:
    """Drop running headers/footers and page-number lines of a paged document.

    A line is a running header or footer when it stands among the top or bottom three
    lines of its page, in the outer 15% of the page, and the same text (digits
    ignored) stands at the same height (within 4 pt) on at least three pages (two in a
    document of up to four pages, whose cover often has none). A bare page number ("12",
    "Page 3 of 9", "iv") in those positions is dropped too.
    """
    if not doc.paged or not doc.lines:
        return list(doc.lines)
    heights = {p.number: p.height for p in doc.pages}
    by_page: dict[int, list[int]] = {}
    for i, line in enumerate(doc.lines):
        by_page.setdefault(line.page, []).append(i)
    candidates: dict[int, str] = {}
    for page, idx in by_page.items():
        height = heights.get(page, 842.0)
        ordered = sorted(idx, key=lambda i: doc.lines[i].top)
        for i in ordered[:3] + ordered[-3:]:
            line = doc.lines[i]
            if line.role == ROLE_TABLE:
                continue
            if line.top < 0.15 * height or line.bottom > 0.85 * height:
                candidates[i] = _furniture_key(line.text)
    # a running header repeats at (about) the same height on every page it stands on,
    # word for word or with a number that follows the page number ("Page 3 of 9",
    # "BEHAVIOUR CHANGE 11"); "Recommendation 8" heading page 12 and "Recommendation
    # 10" heading page 14 are labels, not a header
    places: dict[str, list[tuple[int, float, str]]] = {}
    for i, key in candidates.items():
        line = doc.lines[i]
        places.setdefault(key, []).append((line.page, line.top, line.text))
    settled: dict[str, tuple[float, _Repeats]] = {}
    for key, spots in places.items():
        tops = sorted(t for _, t, _ in spots)
        median = tops[len(tops) // 2]
        in_place = [(pg, text) for pg, t, text in spots if abs(t - median) <= 4]
        settled[key] = (median, _Repeats.of(in_place))
    n_pages = len(doc.pages)
    min_repeat = 3 if n_pages > 4 else 2  # a short document's cover has no header
    drop = set()
    for i, key in candidates.items():
        line = doc.lines[i]
        text = line.text.strip()
        median, repeats = settled[key]
        in_place = abs(line.top - median) <= 4
        if (
            (in_place and repeats.of_line(line.page, text) >= min_repeat)
            or _PAGE_NUMBER.match(text)
            or (n_pages > 1 and in_place and repeats.most >= 2 and len(key) <= 3)
        ):
            drop.add(i)
    return [line for i, line in enumerate(doc.lines) if i not in drop]


@dataclass(slots=True)
class _Repeats:
    """How a line that repeats (digits aside) at one height repeats across pages.

    ``exact`` counts pages per exact text; ``offsets`` counts pages on which a
    number of the line differs from the page number by a given offset; ``spots``
    is the number of pages the line stands on.
    """

    exact: Counter[str]
    offsets: Counter[int]
    spots: int

    @classmethod
    def of(cls, spots: list[tuple[int, str]]) -> _Repeats:
        exact = Counter(normalize_whitespace(t).lower() for _, t in spots)
        offsets: Counter[int] = Counter()
        for page, text in spots:
            for off in {int(n) - page for n in re.findall(r"\d{1,4}", text)}:
                offsets[off] += 1
        return cls(exact, offsets, len(spots))

    @property
    def most(self) -> int:
        """The most pages any one text, or any one page-tracking number, repeats on."""
        return max(max(self.exact.values(), default=0), max(self.offsets.values(), default=0))

    def of_line(self, page: int, text: str) -> int:
        """On how many pages this line repeats: word for word, or with its number
        following the page number the way it does on most of the pages the line
        stands on (three "Recommendation N" labels whose numbers happen to be seven
        more than their pages are not a running header among nine such labels)."""
        best = self.exact[normalize_whitespace(text).lower()]
        for off in {int(n) - page for n in re.findall(r"\d{1,4}", text)}:
            if 2 * self.offsets[off] > self.spots:
                best = max(best, self.offsets[off])
        return best


# --- 2. footnotes --------------------------------------------------------------------


def body_size(lines: list[Line]) -> float:
    """The document's body font size: the size that carries the most characters."""
    sizes: Counter[float] = Counter()
    for line in lines:
        if line.size:
            sizes[round(line.size, 1)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def mark_footnotes(
    lines: list[Line], heights: dict[int, float], *, size: float | None = None
) -> list[Line]:
    """Mark footnote bodies (small text at the foot of a page starting with a number).

    Working up from the bottom of each page, lines in a smaller font than the body
    and in the lower 40% of the page are footnote lines, provided the topmost of
    them starts with a footnote number or symbol. ``size`` is the body size when
    the caller knows it (:func:`body_size` of ``lines``).
    """
    if size is None:
        size = body_size(lines)
    if not size:
        return lines
    by_page: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        by_page.setdefault(line.page, []).append(i)
    for page, idx in by_page.items():
        height = heights.get(page, 842.0)
        zone: list[int] = []
        for i in sorted(idx, key=lambda i: lines[i].top, reverse=True):
            line = lines[i]
            small = 0 < line.size <= size - 0.9
            if small and line.top > 0.6 * height and line.role != ROLE_TABLE:
                zone.append(i)
            else:
                break
        # the zone must begin (at its top) with a numbered footnote
        while zone and not _FOOTNOTE_START.match(lines[zone[-1]].text):
            zone.pop()
        for i in zone:
            lines[i].role = ROLE_FOOTNOTE
    return lines


# --- 3. blocks -----------------------------------------------------------------------


def _label_kind(text: str, line: Line, *, paged: bool, left: float) -> str:
    """What kind of label, if any, starts this line: bullet, number, rec, sub, action, ''."""
    if line.role == ROLE_BULLET or _BULLET.match(text):
        return "bullet"
    if paged and _O_BULLET.match(text) and line.x0 > left + 10:
        return "bullet"
    if _REC_LABEL.match(text) or _R_LABEL.match(text):
        return "rec"
    if _ACTION.match(text):
        return "action"
    if _NUM_LABEL.match(text):
        return "number"
    if _SUB_LABEL.match(text):
        return "sub"
    return ""


@dataclass(slots=True)
class _PageGeometry:
    left: float
    right: float
    pitch: float


def _geometry(lines: list[Line], size: float) -> dict[int, _PageGeometry]:
    """Per page: body text's left edge, right edge and typical line pitch."""
    out: dict[int, _PageGeometry] = {}
    by_page: dict[int, list[Line]] = {}
    for line in lines:
        by_page.setdefault(line.page, []).append(line)
    pitches: list[float] = []
    for page_lines in by_page.values():
        body = [ln for ln in page_lines if not size or abs(ln.size - size) < 0.6]
        for a, b in itertools.pairwise(body):
            d = b.top - a.top
            if 0 < d < 3 * max(a.height, 1):
                pitches.append(d)
    default_pitch = sorted(pitches)[len(pitches) // 2] if pitches else 14.0
    for page, page_lines in by_page.items():
        body = [ln for ln in page_lines if not size or abs(ln.size - size) < 0.6] or page_lines
        xs0 = sorted(ln.x0 for ln in body)
        xs1 = sorted(ln.x1 for ln in body)
        out[page] = _PageGeometry(
            left=xs0[len(xs0) // 10], right=xs1[int(len(xs1) * 0.9)], pitch=default_pitch
        )
    return out


def build_blocks(lines: list[Line], *, paged: bool, size: float | None = None) -> list[Block]:
    """Group lines into blocks using the layout evidence described in the module doc.

    Footnote lines are set aside as their own blocks, placed after the body block
    that was open where they stand, so that a paragraph running over the page break
    (past the page's footnotes) stays one block. ``size`` is the body size when the
    caller knows it (:func:`body_size` of ``lines``).
    """
    if size is None:
        size = body_size(lines)
    geom = _geometry(lines, size) if paged else {}
    blocks: list[Block] = []
    notes: list[tuple[int, Block]] = []  # (insert after body block index, footnote block)
    prev: Line | None = None
    prev_note: Line | None = None
    note_no: int | None = None  # the number of the footnote being read
    for line in lines:
        if line.role == ROLE_FOOTNOTE:
            if prev_note is not None and notes and _continues_footnote(prev_note, line, note_no):
                notes[-1][1].lines.append(line)
            else:
                notes.append((len(blocks), Block([line])))
                num = re.match(r"\d+", line.text)
                note_no = int(num.group(0)) if num else None
            prev_note = line
            continue
        prev_note = None
        label = _label_kind(
            text=line.text, line=line, paged=paged, left=geom[line.page].left if paged else 0
        )
        if (
            prev is None
            or not blocks
            or _starts_block(prev, line, label, blocks[-1], geom, size, paged=paged)
        ):
            blocks.append(Block([line], label=label))
        else:
            if line.page != prev.page or line.top < prev.top - 1:
                blocks[-1].continued = True
            blocks[-1].lines.append(line)
        prev = line
    if not notes:
        return blocks
    out: list[Block] = []
    pending = list(notes)
    for i, block in enumerate(blocks):
        out.append(block)
        while pending and pending[0][0] <= i + 1:
            out.append(pending.pop(0)[1])
    out.extend(b for _, b in pending)
    return out


def _starts_block(
    prev: Line,
    line: Line,
    label: str,
    block: Block,
    geom: dict[int, _PageGeometry],
    size: float,
    *,
    paged: bool,
) -> bool:
    """Decide whether ``line`` starts a new block after ``prev``."""
    if line.role in (ROLE_TABLE, ROLE_HEADING) or prev.role in (ROLE_TABLE, ROLE_HEADING):
        return True
    if (line.role == ROLE_FOOTNOTE) != (prev.role == ROLE_FOOTNOTE):
        return True
    prev_ends = _ends_sentence(prev.text)
    if not paged:
        if line.block_start:
            return True
        # a soft line break (a <br>, a wrapped line): only a label starts a new block
        return label in ("bullet", "rec", "action") or (label in ("number", "sub") and prev_ends)
    if label == "bullet":
        return True
    g = geom[line.page]
    size_change = bool(line.size and prev.size and abs(line.size - prev.size) > 1.0)
    # a change of weight (a bold heading, a bold lead-in) ends a block, unless the
    # sentence plainly reads on into a lower-case continuation
    weight_change = line.bold != prev.bold and not (not prev_ends and line.text[:1].islower())
    same_flow = line.page == prev.page and line.top > prev.top - 1
    if same_flow:
        gap = line.top - prev.top
        if gap > 1.45 * g.pitch * max(1.0, line.size / size if size else 1.0):
            return True
        if block.label and not label and not size_change and line.x0 >= block.lines[0].x0 + 5:
            return False  # under the hanging indent of a numbered or lettered item
        if size_change or weight_change:
            return True
        if label in ("number", "rec", "action", "sub"):
            prev_short = prev.x1 < g.right - 0.12 * (g.right - g.left)
            return prev_ends or prev_short or gap > 1.2 * g.pitch
        if prev_ends and prev.x1 < g.right - 0.15 * (g.right - g.left):
            return True  # a short line that ends a sentence closes its paragraph
        if line.x0 < prev.x0 - 10 and (prev is not block.lines[0] or block.label):
            return True  # back out of a hanging indent (after a bullet or numbered item)
        # first-line indent (after a block's first line it is a hanging indent)
        return line.x0 > prev.x0 + 12 and prev_ends and prev is not block.lines[0]
    # a page or column break: continue the paragraph when it reads on
    if label or size_change or weight_change:
        return True
    return prev_ends and not line.text[:1].islower()


def _continues_footnote(prev: Line, line: Line, note_no: int | None) -> bool:
    """Whether a footnote line continues the footnote above it on the same page.

    A line that starts with the next footnote number (the previous note's number
    plus one) starts a new note; a line that starts with another number ("13 weeks")
    continues the note, as does any line without a leading number.
    """
    if line.page != prev.page:
        return False
    m = _FOOTNOTE_START.match(line.text)
    if not m:
        return True
    num = re.match(r"\d+", line.text)
    if num and note_no is not None:
        return int(num.group(0)) != note_no + 1
    return line.x0 > prev.x0 + 6


# --- 4. passages ---------------------------------------------------------------------


def join_lines(texts: list[str], vocabulary: AbstractSet[str] | None = None) -> str:
    """Join a block's lines into one string, rejoining words hyphenated at a line end.

    ``safe-`` + ``guarding`` becomes ``safeguarding``; a hyphen is kept when the
    hyphenated form is the usual one in this document (``vocabulary``) or the first
    part is a prefix usually written with a hyphen (``anti-``, ``multi-``, ``child-``).
    """
    out = ""
    for t in texts:
        t = t.strip()
        if not out:
            out = t
            continue
        first = (
            _word_before_hyphen(out)
            if t[:1].islower() and out.endswith("-") and not out.endswith("--")
            else None
        )
        if first is not None:
            second = _LEADING_WORD.match(t)
            rest = second.group(0) if second else ""
            out = out + t if _keep_hyphen(first, rest, vocabulary) else out[:-1] + t
        else:
            out = out + " " + t
    return normalize_whitespace(out)


_HYPHEN_END = re.compile(r"(\w+)-$")
_LEADING_WORD = re.compile(r"[\w']+")


def _word_before_hyphen(text: str) -> str | None:
    """The word before a line-end hyphen: group 1 of ``_HYPHEN_END.search(text)``.

    Searching the whole of a growing paragraph for every line would cost time
    quadratic in its length, so the last 64 characters are searched; only when the
    word reaches back to the start of that window is the whole text searched.
    """
    tail = text[-64:]
    m = _HYPHEN_END.search(tail)
    if m is not None and m.start() == 0 and len(tail) < len(text):
        m = _HYPHEN_END.search(text)
    return m.group(1) if m else None


def _keep_hyphen(first: str, rest: str, vocabulary: AbstractSet[str] | None) -> bool:
    """Whether ``first-`` + ``rest`` at a line end is a real hyphen, not hyphenation.

    The document's own usage decides when it has only one of the two spellings.
    Otherwise an English word list decides: a known joined word ("safe-" +
    "guarding") is joined; two known words ("middle-" + "management") keep the
    hyphen; a prefix usually written with a hyphen (``anti-``, ``non-``) keeps it.
    """
    joined, hyphened = f"{first}{rest}".lower(), f"{first}-{rest}".lower()
    if vocabulary is not None:
        if joined in vocabulary and hyphened not in vocabulary:
            return False
        if hyphened in vocabulary and joined not in vocabulary:
            return True
    words = english_words()
    if joined in words:
        return False
    if first.lower() in _HYPHEN_PREFIXES:
        return True
    return len(first) > 2 and len(rest) > 2 and first.lower() in words and rest.lower() in words


@functools.cache
def english_words() -> frozenset[str]:
    """English word forms from spacy-lookups-data's lemma table (offline, loaded once)."""
    import gzip
    import json
    from importlib import resources

    try:
        path = resources.files("spacy_lookups_data") / "data" / "en_lemma_lookup.json.gz"
        table = json.loads(gzip.decompress(path.read_bytes()))
    except (ModuleNotFoundError, OSError, ValueError):
        return frozenset()
    return frozenset(k.lower() for k in table) | frozenset(v.lower() for v in table.values())


_HYPHEN_PREFIXES = {
    "anti",
    "non",
    "multi",
    "self",
    "co",
    "cross",
    "pre",
    "post",
    "inter",
    "semi",
    "well",
    "child",
    "long",
    "short",
    "high",
    "low",
    "sub",
    "ex",
    "socio",
    "cyber",
    "online",
    "re",
    "full",
    "part",
    "face",
    "follow",
    "on",
    "off",
    "up",
    "one",
    "two",
    "three",
    "under",
    "over",
    "decision",
    "evidence",
    "trauma",
    "community",
    "family",
    "school",
    "age",
    "co-",
}


_VOCABULARY_WORD = re.compile(r"\w+(?:-\w+)*")


def _hyphen_vocabulary(lines: list[Line]) -> set[str]:
    # one pass over all the text: a word never spans the line breaks joining them
    return set(_VOCABULARY_WORD.findall("\n".join(line.text for line in lines).lower()))


def _strip_label(block: Block) -> None:
    """Classify the block and move its printed label (number, bullet) into ``ref``."""
    first = block.lines[0]
    text = block.text
    if first.role == ROLE_TABLE:
        block.kind = "table"
        return
    if first.role == ROLE_FOOTNOTE:
        block.kind = "footnote"
        m = re.match(r"^(\d{1,3}|[*†‡§])\s*", text)
        if m:
            block.ref, block.text = m.group(1), text[m.end() :]
        return
    if first.role == ROLE_BULLET:
        block.kind = "bullet"
        block.text = _BULLET.sub("", text, count=1)
        return
    if m := _BULLET.match(text):
        block.kind, block.text = "bullet", text[m.end() :]
        return
    if block.label == "bullet" and (m := _O_BULLET.match(text)):
        block.kind, block.text = "bullet", text[m.end() :]
        return
    if m := _ACTION.match(text):
        block.kind = "action"
        return
    if (m := _REC_LABEL.match(text)) or (m := _R_LABEL.match(text)):
        number = m.group("num") or m.groupdict().get("letter") or ""  # "Recommendation B"
        block.kind, block.ref, block.sub = "recommendation", number, m.group("sub") or ""
        block.text = text[m.end() :]
        if not block.text.strip():  # "Recommendation 4" as a heading, its text below
            block.kind, block.text, block.rec_heading = "heading", text, True
        return
    if m := _MINUTE_LABEL.match(text):
        block.ref, block.text = m.group("num"), text[m.end() :]
    elif m := _NUM_LABEL.match(text):
        block.ref, block.sub = m.group("num"), m.group("sub") or ""
        if m.group("psub"):  # "3(a) The Partnership should ...": the sub-part keeps its letter
            block.ref = f"{m.group('num')}({m.group('psub')})"
        block.text = text[m.end() :]
    elif m := _SUB_LABEL.match(text):
        block.sub = m.group("sub") or m.group("sub2")
        block.text = text[m.end() :]


def _is_heading_block(block: Block, size: float) -> bool:
    first = block.lines[0]
    if first.role == ROLE_HEADING:
        return True
    text = block.text
    words = len(text.split())
    if words == 0 or words > 20 or (_ends_sentence(text) and not text.endswith(":")):
        return False
    if first.size:
        return first.size >= size + 1.2 or all(ln.bold for ln in block.lines)
    # plain text and flowing formats: a short standalone unnumbered line without a full
    # stop ("Agenda item", "Minutes:"), or a longer one in title case; a longer line
    # ending in a colon introduces a list
    if (block.ref and "/" not in block.ref) or block.sub or len(block.lines) > 1:
        return False
    if text.endswith(","):
        return False
    if text.endswith(":"):
        return words <= 4
    return words <= 10 or (words <= 16 and title_case(text))


def _merge_soft_breaks(blocks: list[Block], size: float) -> list[Block]:
    """Rejoin paragraphs broken in the middle of a sentence (blank lines in pasted text).

    A block that is not a heading and does not end a sentence is continued by the
    next block when that one carries no label of its own (the seed minutes break
    "On 14th" / "March 2022 City and Hackney ..." over blank lines).
    """
    out: list[Block] = []
    for block in blocks:
        if out and _reads_on(out[-1], block, size):
            out[-1].lines.extend(block.lines)
            out[-1].text = out[-1].text + " " + block.text
            continue
        out.append(block)
    return out


def _reads_on(prev: Block, block: Block, size: float) -> bool:
    if prev.kind not in ("paragraph", "bullet", "recommendation") or block.kind != "paragraph":
        return False
    if block.ref or block.sub or block.lines[0].role or prev.lines[-1].role:
        return False
    if block.lines[0].size or prev.lines[0].size:
        return False  # paged layouts were joined from geometry already
    if _ends_sentence(prev.text) or prev.text.endswith(","):
        return block.text[:1].islower()
    if block.text[:1].islower() or (prev.ref and "/" not in prev.ref):
        return True  # (a minute's title, "26/02 Budget", does not run on)
    # a long line cut off mid-sentence reads on; a long title ("The Independent Inquiry
    # into the Care of Children at Fictional Hall") does not run into the next line
    return len(prev.text.split()) >= 8 and not title_case(prev.text)


#: Words a title leaves in lower case.
_TITLE_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "within",
        "without",
        "upon",
        "under",
        "over",
        "via",
        "vs",
    ]
)
_TITLE_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def title_case(text: str) -> bool:
    """Whether every word of ``text`` but the small ones starts with a capital."""
    words = [w for w in _TITLE_WORD.findall(text) if w.lower() not in _TITLE_SMALL_WORDS]
    return len(words) >= 2 and all(w[0].isupper() for w in words)


def blocks_to_passages(
    blocks: list[Block], lines: list[Line], *, size: float | None = None
) -> list[Passage]:
    """Classify blocks, strip labels into refs, link bullets to paragraphs.

    ``size`` is the body size when the caller knows it (:func:`body_size` of ``lines``).
    """
    if size is None:
        size = body_size(lines)
    vocab = _hyphen_vocabulary(lines)
    for block in blocks:
        raw = [ln.text for ln in block.lines]
        block.text = join_lines(raw, vocab)
        _strip_label(block)
    blocks = _merge_soft_breaks([b for b in blocks if b.text.strip()], size)
    for block in blocks:
        if block.kind == "paragraph" and _is_heading_block(block, size):
            block.kind = "heading"
    passages: list[Passage] = []
    para_ref = ""
    rec_heading = ""  # the number of a "Recommendation N" heading awaiting its text
    for block in blocks:
        kind = block.kind
        ref = block.ref
        parent = ""
        if rec_heading and kind == "paragraph" and not ref and not block.sub:
            kind, ref = "recommendation", rec_heading
        rec_heading = block.ref if block.rec_heading else ""
        if kind == "heading":
            para_ref = ref if rec_heading or "/" in ref else ""  # a minute's number covers its item
        elif kind in ("paragraph", "recommendation") and ref:
            para_ref = ref
        elif kind == "paragraph" and block.sub:
            ref, parent = f"({block.sub})", para_ref
        elif kind in ("bullet", "action"):
            parent = para_ref
        if kind == "recommendation" and block.sub:
            parent = ""
        text = normalize_whitespace(block.text)
        italic = italic_share(block.lines)
        runs = [r for ln in block.lines for r in ln.underlined]
        cursor = 0
        for piece in split_long_text(text):
            spans: list[list[int]] = []
            if runs:
                cursor = max(text.find(piece, cursor), cursor)
                spans = underline_spans(piece, text, cursor, runs)
            passages.append(
                Passage(
                    seq=len(passages),
                    page=block.page,
                    ref=ref,
                    parent_ref=parent,
                    kind=kind,
                    text=piece,
                    page_end=block.lines[-1].page,
                    ocr=any(ln.ocr for ln in block.lines),
                    size=block.lines[0].size,
                    italic=italic,
                    underline_spans=spans,
                )
            )
    return passages


def underline_spans(piece: str, text: str, offset: int, runs: list[str]) -> list[list[int]]:
    """The underlined ``runs`` of a block (its lines' :attr:`Line.underlined`) as spans
    of ``piece``, the part of the block's ``text`` that starts at ``offset``."""
    out = []
    for a, b in locate_runs(text, runs):
        a, b = max(a - offset, 0), min(b - offset, len(piece))
        if a < b:
            out.append([a, b])
    return out


def italic_share(lines: list[Line]) -> float:
    """The share (0-1) of the lines' characters that stand on italic lines.

    Emphasis some reports use to tell items apart (a select committee sets its
    recommendations in italic and its conclusions in roman, numbered in one run);
    a reference left in roman at the end of an italic item ("(Paragraph 46)") only
    lowers the share a little.
    """
    total = italic = 0
    for ln in lines:
        n = len(ln.text)
        total += n
        if ln.italic:
            italic += n
    return italic / total if total else 0.0


#: Longer blocks (a text file that is one 5 MB line, a table dumped as prose) are
#: split into passages of at most this many characters, at sentence ends if possible.
MAX_PASSAGE_CHARS = 10_000


def split_long_text(text: str, limit: int = MAX_PASSAGE_CHARS) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters.

    Cuts at the last sentence end before the limit, else the last space, else hard.
    Short texts come back as a one-item list (an empty text as an empty list).
    """
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind(". "), window.rfind("? "), window.rfind("! "))
        cut = cut + 1 if cut > limit // 2 else window.rfind(" ")
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        pieces.append(text)
    return pieces


def structure(doc: RawDocument) -> list[Passage]:
    """Run every structure step on one document's lines; return its passages in order."""
    lines = strip_furniture(doc)
    size = body_size(lines)  # marking footnotes changes roles, not sizes or texts
    if doc.paged:
        lines = mark_footnotes(lines, {p.number: p.height for p in doc.pages}, size=size)
    blocks = build_blocks(lines, paged=doc.paged, size=size)
    return blocks_to_passages(blocks, lines, size=size)


def is_generic_heading(text: str) -> bool:
    """True for headings such as "Agenda item" or "Minutes:" that are not a title."""
    return bool(_GENERIC_HEADINGS.match(text.strip()))

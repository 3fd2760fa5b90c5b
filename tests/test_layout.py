"""Characters -> lines: bands, spaces, footnote markers, columns."""

from __future__ import annotations

import pytest

from pipeline.extract.layout import (
    Char,
    chars_to_lines,
    find_gutter,
    is_bold_font,
    segment_to_line,
    table_block,
)


def word(
    text: str,
    x: float,
    top: float,
    *,
    size: float = 12.0,
    bold: bool = False,
    raise_by: float = 0.0,
) -> list[Char]:
    """Characters of one word laid out left to right, 0.55 * size wide each."""
    w = 0.55 * size
    return [
        Char(ch, x + i * w, top - raise_by, x + (i + 1) * w, top - raise_by + size, size, bold)
        for i, ch in enumerate(text)
    ]


def sentence(words: list[str], x: float, top: float, **kw: object) -> list[Char]:
    out: list[Char] = []
    for w in words:
        chars = word(w, x, top, **kw)  # type: ignore[arg-type]
        out.extend(chars)
        x = chars[-1].x1 + 4.0
    return out


def test_words_become_one_line_with_spaces() -> None:
    lines = chars_to_lines(
        sentence(["All", "staff", "should"], 50, 100), page=3, width=595, height=842
    )
    assert [ln.text for ln in lines] == ["All staff should"]
    assert lines[0].page == 3 and lines[0].size == 12.0 and not lines[0].bold


def test_glued_footnote_marker_is_removed_but_ordinal_kept() -> None:
    chars = word("basis", 50, 100)
    chars += word("12", chars[-1].x1, 100, size=7.0, raise_by=1.0)
    chars += word("and", chars[-1].x1 + 4, 100)
    chars += word("14", chars[-1].x1 + 4, 100)
    chars += word("th", chars[-1].x1, 100, size=7.0, raise_by=1.0)
    lines = chars_to_lines(chars, page=1, width=595, height=842)
    assert lines[0].text == "basis and 14th"


def test_footnote_number_at_start_of_line_is_kept() -> None:
    chars = word("7", 50, 700, size=6.0, raise_by=1.0)
    chars += sentence(["Detailed", "information"], chars[-1].x1 + 1, 700, size=10.0)
    assert chars_to_lines(chars, page=1, width=595, height=842)[0].text.startswith("7")


def test_offset_bullet_glyph_stays_on_its_line() -> None:
    # Word's Courier "o" sub-bullet sits 4 pt lower than the text it belongs to
    chars = word("o", 125, 183) + sentence(["bullying", "(including"], 143, 179)
    chars += sentence(["bullying)"], 143, 195.5)
    lines = chars_to_lines(chars, page=1, width=595, height=842)
    assert [ln.text for ln in lines] == ["o bullying (including", "bullying)"]


def test_two_columns_are_read_column_by_column() -> None:
    chars: list[Char] = []
    for i in range(20):
        chars += sentence(["left", f"line{i:02d}", "text"], 50, 100 + i * 15)
        chars += sentence(["right", f"line{i:02d}", "text"], 320, 100 + i * 15)
    lines = chars_to_lines(chars, page=1, width=595, height=842)
    texts = [ln.text for ln in lines]
    assert texts[:20] == [f"left line{i:02d} text" for i in range(20)]
    assert texts[20:] == [f"right line{i:02d} text" for i in range(20)]
    assert find_gutter(chars, 595) is not None


def test_full_width_heading_closes_the_columns_above() -> None:
    chars = sentence(
        ["A", "full", "width", "heading", "across", "both", "columns", "of", "the", "page", "here"],
        50,
        60,
        size=14.0,
    )
    for i in range(20):
        chars += sentence(["left", f"l{i:02d}", "words"], 50, 100 + i * 15)
        chars += sentence(["right", f"r{i:02d}", "words"], 320, 100 + i * 15)
    texts = [ln.text for ln in chars_to_lines(chars, page=1, width=595, height=842)]
    assert texts[0].startswith("A full width heading")
    assert texts[1] == "left l00 words" and texts[21] == "right r00 words"


def test_single_column_page_has_no_gutter() -> None:
    chars: list[Char] = []
    for i in range(30):
        chars += sentence(
            [
                "a",
                "long",
                "line",
                "of",
                "body",
                "text",
                "that",
                "crosses",
                "the",
                "middle",
                "of",
                "the",
                "page",
            ],
            50,
            100 + i * 15,
        )
    assert find_gutter(chars, 595) is None


def test_bold_lines_and_font_names() -> None:
    assert is_bold_font("ABCDEF+Arial-BoldMT") and is_bold_font("Helvetica-Bold")
    assert not is_bold_font("YRLYNX+ArialMT")
    lines = chars_to_lines(
        sentence(["Early", "help"], 50, 100, bold=True), page=1, width=595, height=842
    )
    assert lines[0].bold


# --- spaces, marker runs and word-level characters (PDFium backend) ---------------


def _word(text: str, x0: float, *, size: float = 10.0, raised: float = 0.0, width: float = 5.0):
    bottom = 100.0 - raised
    return Char(text, x0, bottom - size, x0 + width * len(text), bottom, size, False)


def _chars(text: str, x0: float = 50.0, width: float = 5.0) -> list[Char]:
    return [_word(c, x0 + i * width) for i, c in enumerate(text)]


@pytest.mark.parametrize(
    ("space_x0", "expected"),
    [
        (60.0, "Th e"),  # a real gap after "Th": a space
        (55.0, "The"),  # the space is drawn inside the "h": overprinted, no gap
    ],
)
def test_overprinted_space_is_no_word_gap(space_x0: float, expected: str) -> None:
    chars = [*_chars("Th"), Char(" ", space_x0, 90, space_x0 + 3, 100, 10, False)]
    chars.append(_word("e", max(space_x0 + 3, 60.0) if expected == "Th e" else 60.0))
    assert segment_to_line(chars, 1).text == expected


def test_raised_space_belongs_to_the_marker() -> None:
    chars = _chars("platforms.")
    end = chars[-1].x1
    chars.append(Char(" ", end, 92, end + 2, 96, 6.0, False))  # the marker's own space
    chars += [_word(d, end + 2 + 3 * i, size=6.0, raised=4.0, width=3) for i, d in enumerate("151")]
    chars += _chars(" Next", end + 14)
    assert segment_to_line(chars, 1).text == "platforms. Next"


def test_marker_run_is_kept_or_dropped_whole() -> None:
    # after a full-size space, raised digits are not a glued footnote marker: keep all
    chars = [
        *_chars("see "),
        *[_word(d, 70 + 3 * i, size=6.0, raised=4.0, width=3) for i, d in enumerate("12")],
    ]
    assert segment_to_line(chars, 1).text == "see 12"


@pytest.mark.parametrize("as_words", [False, True])
def test_word_level_chars_weigh_their_letters(as_words: bool) -> None:
    """A backend may hand over words as Chars; markers and sizes work the same."""
    if as_words:
        chars = [
            _word("basis", 50),
            _word("12", 75, size=6.0, raised=4.0, width=3),
            _word("for", 85),
        ]
    else:
        chars = [
            *_chars("basis"),
            *[_word(d, 75 + 3 * i, size=6.0, raised=4.0, width=3) for i, d in enumerate("12")],
            *_chars("for", 85),
        ]
    line = segment_to_line(chars, 1)
    assert line.text == "basis for"
    assert line.size == 10.0


def test_gutter_counts_letters_not_chars() -> None:
    # two columns of 40 word-level chars each: too few Char objects, enough letters
    chars = []
    for row in range(40):
        chars.append(Char("x" * 10, 50, row * 12, 250, row * 12 + 10, 10, False))
        chars.append(Char("x" * 10, 320, row * 12, 520, row * 12 + 10, 10, False))
    gutter = find_gutter(chars, 595)
    assert gutter is not None and 250 < gutter < 320


@pytest.mark.parametrize(
    ("rows", "kept"),
    [
        ([["a", "b"], ["c", "d"]], 2),
        ([["only one cell"], ["another line"]], None),  # a boxed text frame
        ([["a", "b"], ["", None]], None),  # one row left: no table
    ],
)
def test_table_block(rows, kept) -> None:
    block = table_block((0, 0, 10, 10), rows)
    assert (len(block.rows) if block else None) == kept


# --- the page-at-a-time computations agree with plain reference loops --------------


def _random_page(seed: int) -> list[Char]:
    """Words, spaces (some overprinted, some raised), markers and sizes, on random lines."""
    import random

    rng = random.Random(seed)
    chars: list[Char] = []
    columns = [(50.0, 280.0), (320.0, 550.0)] if seed % 3 == 0 else [(50.0, 550.0)]
    for row in range(rng.randint(5, 40)):
        for left, right in columns:
            top = 60 + row * rng.choice([12.0, 13.5, 14.0])
            size = rng.choice([9.0, 10.0, 10.0, 10.0, 11.0, 14.0])
            x = left + rng.choice([0.0, 0.0, 12.0, 20.0])
            while x < right - 40:
                n = rng.randint(1, 9)
                w = 0.5 * size * n
                bold = rng.random() < 0.1
                lift = rng.choice([0.0] * 8 + [0.3, 1.5])
                chars.append(Char("w" * n, x, top - lift, x + w, top + size - lift, size, bold))
                x += w
                if rng.random() < 0.1:  # a raised footnote marker, glued or not
                    m = rng.choice(["1", "12", "*", "a"])
                    chars.append(Char(m, x, top - 3, x + 3 * len(m), top + 3, 6.0, False))
                    x += 3 * len(m)
                gap = rng.choice([0.0, 0.5, 1.5, 2.5, 3.0, 4.0, 30.0])
                if rng.random() < 0.7:  # a space character, sometimes overprinted
                    sx = x - rng.choice([0.0, 0.0, 1.0, 3.0])
                    ssize = rng.choice([size, size, 6.0])
                    chars.append(Char(" ", sx, top, sx + rng.choice([0.05, 2.5, 3.0]),
                                      top + ssize, ssize, False))  # fmt: skip
                x += gap
    rng.shuffle(chars)
    return chars


def _reference_bands(mids: list[float], heights: list[float]) -> list[int]:
    ids, band, bmid, bheight, count = [], -1, 0.0, 0.0, 0
    for m, h in zip(mids, heights, strict=True):
        if band >= 0 and abs(m - bmid) <= 0.42 * max(bheight, h):
            count += 1
            ids.append(band)
            if h >= 0.85 * bheight:
                bmid += (m - bmid) / count
                bheight = max(bheight, h)
            continue
        band += 1
        ids.append(band)
        bmid, bheight, count = m, h, 1
    return ids


@pytest.mark.parametrize("seed", range(12))
def test_bands_by_runs_match_the_character_loop(seed: int) -> None:
    import numpy as np

    from pipeline.extract.layout import PageChars, _band_ids

    pc = PageChars.from_chars(_random_page(seed))
    mid = (pc.top + pc.bottom) / 2
    height = np.maximum(pc.bottom - pc.top, 0.1)
    order = np.lexsort((pc.x0, mid))
    got = _band_ids(mid[order], height[order]).tolist()
    assert got == _reference_bands(mid[order].tolist(), height[order].tolist())


@pytest.mark.parametrize("seed", range(12))
def test_page_at_a_time_lines_match_the_character_loop(seed: int, monkeypatch) -> None:
    from pipeline.extract import layout

    chars = _random_page(seed)
    fast = layout.chars_to_lines(chars, page=1, width=595, height=842)
    original = layout._segment_lines
    monkeypatch.setattr(
        layout, "_segment_lines", lambda sg, page: original(sg, page, vectorised=False)
    )
    slow = layout.chars_to_lines(chars, page=1, width=595, height=842)
    assert fast == slow
    assert len(fast) > 3


def _reference_gutter(chars: list[Char], width: float) -> float | None:
    total = sum(len(c.text) for c in chars)
    if total < 200 or width <= 0:
        return None
    nbins = int(width // 2) + 1
    cover = [0] * nbins
    for ch in chars:
        for b in range(max(int(ch.x0 // 2), 0), min(int(ch.x1 // 2) + 1, nbins)):
            cover[b] += 1
    lo, hi = int(nbins * 0.3), int(nbins * 0.7)
    limit = max(1, sorted(cover)[int(nbins * 0.9)] * 0.04)
    best, start = None, None
    for b in range(lo, hi + 1):
        if cover[b] <= limit:
            start = b if start is None else start
        else:
            if start is not None and (best is None or b - start > best[1] - best[0]):
                best = (start, b)
            start = None
    if start is not None and (best is None or hi + 1 - start > best[1] - best[0]):
        best = (start, hi + 1)
    if best is None or (best[1] - best[0]) * 2 < 8:
        return None
    gx = best[0] + best[1]
    left = sum(len(c.text) for c in chars if c.x1 <= gx)
    right = sum(len(c.text) for c in chars if c.x0 >= gx)
    return None if min(left, right) < 0.2 * total else float(gx)


@pytest.mark.parametrize("seed", range(12))
def test_gutter_matches_the_bin_loop(seed: int) -> None:
    chars = _random_page(seed)
    assert find_gutter(chars, 595) == _reference_gutter(chars, 595)


@pytest.mark.parametrize("seed", range(6))
def test_dominant_sizes_match_counter(seed: int) -> None:
    import random
    from collections import Counter

    import numpy as np

    from pipeline.extract.layout import _dominant_sizes, _rounded

    rng = random.Random(seed)
    n = 300
    group = np.sort(np.array([rng.randint(0, 20) for _ in range(n)]))
    group = np.unique(group, return_inverse=True)[1].ravel()  # numbered 0..k-1
    size = np.array([rng.choice([0.0, 6.04, 9.96, 10.0, 10.04, 11.05, 14.0]) for _ in range(n)])
    texts = [rng.choice([" ", "a", "abc", "abcdef"]) for _ in range(n)]
    blank = np.array([not t.strip() for t in texts])
    nchar = np.array([len(t) for t in texts])
    got = _dominant_sizes(group, int(group[-1]) + 1, _rounded(size), nchar, blank, size)
    for g in range(int(group[-1]) + 1):
        sizes: Counter[float] = Counter()
        members = [i for i in range(n) if group[i] == g]
        for i in members:
            if texts[i].strip():
                sizes[round(float(size[i]), 1)] += len(texts[i])
        want = (sizes.most_common(1)[0][0] if sizes else max(size[i] for i in members)) or 10.0
        assert got[g] == want


@pytest.mark.parametrize(
    "char",
    [
        Char("Completed", 10, 20, 60, 31, 10.96, False),
        Char("R1", 10, 20, 22, 31, 0.0, True),
        Char(" ", 10, 20, 13, 31, 10.0, False),
        Char("\ufb01le", 10, 20, 30, 31, 9.04, False),  # a ligature: normalised
        Char("\u200b", 10, 20, 12, 31, 9.0, False),  # nothing left once normalised
    ],
)
def test_one_character_page_matches_the_general_path(char: Char) -> None:
    from pipeline.extract.layout import PageChars, _page_segments

    fast = chars_to_lines([char], page=2, width=100, height=100)
    assert fast == _page_segments(PageChars.from_chars([char]), None, 2)

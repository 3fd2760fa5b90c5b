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

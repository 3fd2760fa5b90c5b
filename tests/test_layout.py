"""Characters -> lines: bands, spaces, footnote markers, columns."""

from __future__ import annotations

from pipeline.extract.layout import Char, chars_to_lines, find_gutter, is_bold_font


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

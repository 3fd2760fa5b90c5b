"""Characters -> lines: spaces, footnote markers and word-level characters."""

from __future__ import annotations

import pytest

from pipeline.extract.layout import Char, find_gutter, segment_to_line, table_block


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

"""Underlined text in PDFs: which drawn rules underline which words, runs kept per line,
spans per passage; a made PDF with an underlined sentence inside a paragraph."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.extract.layout import PageChars, chars_to_lines
from pipeline.extract.underline import locate_runs, spans_share, underlined_words
from pipeline.passages import extract_document

# --- geometry: words (top-left boxes, 10-pt text, box bottom at 100) and rules ----------


def _words() -> dict[str, np.ndarray]:
    # "Ensure" 50-80, "the" 83-95, "panel" 98-120, "meets" 123-148 on one line
    return {
        "x0": np.array([50.0, 83.0, 98.0, 123.0]),
        "x1": np.array([80.0, 95.0, 120.0, 148.0]),
        "bottom": np.full(4, 100.0),
        "size": np.full(4, 10.0),
        "blank": np.zeros(4, dtype=bool),
    }


def _under(rules: list[tuple[float, float, float, float]]) -> list[bool]:
    w = _words()
    return underlined_words(
        w["x0"], w["x1"], w["bottom"], w["size"], w["blank"], np.array(rules, dtype=float)
    ).tolist()


def test_a_thin_rule_just_under_words_underlines_them() -> None:
    # a 0.7-pt rule a point above the box bottom (the baseline is two points above it),
    # under the first three words only
    assert _under([(50.0, 120.0, 99.0, 0.7)]) == [True, True, True, False]


def test_rules_that_are_not_underlines() -> None:
    assert _under([(50.0, 148.0, 106.0, 0.7)]) == [False] * 4  # too far below the text
    assert _under([(50.0, 148.0, 95.0, 0.7)]) == [False] * 4  # through the words: struck
    assert _under([(50.0, 148.0, 99.0, 3.0)]) == [False] * 4  # a thick bar, not a rule
    # a table or heading rule reaching well past the words above it underlines nothing
    assert _under([(20.0, 400.0, 99.0, 0.5)]) == [False] * 4
    assert _under([]) == [False] * 4


def test_underlined_runs_are_kept_per_line() -> None:
    w = _words()
    pc = PageChars(
        ["Ensure", "the", "panel", "meets"],
        w["x0"],
        w["bottom"] - 10,
        w["x1"],
        w["bottom"],
        w["size"],
        [False] * 4,
        underline=[False, True, True, False],
    )
    (line,) = chars_to_lines(pc, page=1, width=600, height=800)
    assert line.text == "Ensure the panel meets"
    assert line.underlined == ("the panel",)
    assert not line.underline  # 8 of its 19 letters: not most of the line
    plain = PageChars(
        ["Ensure", "the", "panel", "meets"],
        w["x0"],
        w["bottom"] - 10,
        w["x1"],
        w["bottom"],
        w["size"],
        [False] * 4,
    )
    (line2,) = chars_to_lines(plain, page=1, width=600, height=800)
    assert line2.text == line.text and line2.underlined == () and not line2.underline


# --- spans of a passage ------------------------------------------------------------------


def test_runs_become_spans_of_the_passage_text() -> None:
    text = "Participants liked it. Ensure clear differentiation between elements. More."
    spans = locate_runs(text, ["Ensure clear differ-", "entiation between", "elements."])
    assert [text[a:b] for a, b in spans] == ["Ensure clear differentiation between elements."]
    assert locate_runs(text, ["not in the text"]) == []
    # each run is looked for after the previous one
    again = "Ensure it. Then ensure it. Ensure it."
    assert locate_runs(again, ["Ensure it.", "Ensure it."]) == [[0, 10], [27, 37]]


def test_spans_share_counts_non_space_characters() -> None:
    text = "ab cd ef"
    assert spans_share(text, [[0, 2]]) == pytest.approx(2 / 6)
    assert spans_share(text, [[0, 5]], 3, 5) == 1.0
    assert spans_share(text, []) == 0.0


# --- a made PDF ---------------------------------------------------------------------------


def _underlined_pdf(path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(0, 10, "User experience", new_x="LMARGIN", new_y="NEXT")
    # one paragraph, its middle sentence underlined (fpdf2 draws the rule as a filled
    # rectangle under the text, as word processors do)
    for style, text in (
        ("", "Timeline view. Participants were keen on the timeline of the case. "),
        ("U", "Make the dates in the timeline show when the event happened."),
        ("", " Some found the colours hard to tell apart."),
    ):
        pdf.set_font("helvetica", style, 11)
        pdf.write(6, text)
    pdf.ln(6)
    pdf.ln(4)
    pdf.multi_cell(
        0,
        6,
        "Search. Participants searched case notes quickly and found what they needed.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    pdf.cell(120, 8, "A boxed line with a border below it", border="B")
    pdf.output(str(path))


def test_underlined_sentence_inside_a_paragraph(tmp_path: Path) -> None:
    path = tmp_path / "ux.pdf"
    _underlined_pdf(path)
    _, passages = extract_document(path, "ux.pdf", "x")
    by_text = {p["text"]: p for p in passages}
    para = next(p for t, p in by_text.items() if t.startswith("Timeline view."))
    spans = json.loads(para["underline_spans"])
    assert [para["text"][a:b] for a, b in spans] == [
        "Make the dates in the timeline show when the event happened."
    ]
    plain = next(p for t, p in by_text.items() if t.startswith("Search."))
    assert plain["underline_spans"] == ""
    # a border drawn under a cell is longer than its text: not an underline
    boxed = next(p for t, p in by_text.items() if t.startswith("A boxed line"))
    assert boxed["underline_spans"] == ""

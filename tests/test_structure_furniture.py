"""Running headers and footers versus item labels at the top of a page."""

from __future__ import annotations

import pytest

from pipeline.extract.lines import Line, Page, RawDocument
from pipeline.structure import strip_furniture


def _doc(top_lines: dict[int, str], pages: int = 5) -> RawDocument:
    lines: list[Line] = []
    for page in range(1, pages + 1):
        lines.append(Line("Government response to the Committee", page, 72, 30, 400, 42, 10))
        if page in top_lines:
            lines.append(Line(top_lines[page], page, 72, 85, 200, 97, 12, bold=True))
        for k in range(4):
            top = 300 + 14 * k
            lines.append(
                Line(f"Body text line {k} of page {page}.", page, 72, top, 500, top + 12, 12)
            )
        lines.append(Line(str(page + 2), page, 300, 792, 310, 804, 12))
    return RawDocument(lines=lines, pages=[Page(n, 595, 842) for n in range(1, pages + 1)])


@pytest.mark.parametrize(
    "label", ["Recommendation {n}", "Recommendation {n}:", "R{n}", "Recommendation 8.{n}"]
)
def test_item_labels_at_page_tops_are_kept(label: str) -> None:
    doc = _doc({2: label.format(n=8), 3: label.format(n=10), 4: label.format(n=12)})
    kept = [ln.text for ln in strip_furniture(doc)]
    for n in (8, 10, 12):
        assert label.format(n=n) in kept
    assert "Government response to the Committee" not in kept  # the running header goes
    assert not any(t.isdigit() for t in kept)  # and so do the page numbers


def test_a_label_repeated_word_for_word_is_still_a_running_header() -> None:
    doc = _doc({p: "Recommendation 1" for p in range(1, 6)})
    assert "Recommendation 1" not in [ln.text for ln in strip_furniture(doc)]


def test_labels_whose_numbers_happen_to_track_a_few_pages_are_kept() -> None:
    # the Space Economy response: "Recommendation 35/36/40" head pages 28/29/33, seven
    # more than the page each time, among nine such labels that follow no page number
    labels = {12: 8, 13: 10, 14: 12, 15: 13, 18: 18, 21: 24, 28: 35, 29: 36, 33: 40}
    doc = _doc({page: f"Recommendation {n}" for page, n in labels.items()}, pages=34)
    kept = [ln.text for ln in strip_furniture(doc)]
    assert [t for t in kept if t.startswith("Recommendation")] == [
        f"Recommendation {n}" for n in labels.values()
    ]


def test_a_header_with_the_page_number_on_most_pages_is_still_dropped() -> None:
    doc = _doc({page: f"BEHAVIOUR CHANGE {page + 9}" for page in range(1, 11)}, pages=10)
    assert not any(ln.text.startswith("BEHAVIOUR") for ln in strip_furniture(doc))


def test_a_short_document_whose_cover_has_no_header() -> None:
    """Three pages, the header on pages 2 and 3 only (the cover has none): dropped."""
    lines = [Line("Keeping Pupils Safe", 1, 72, 300, 400, 320, 24, bold=True)]
    for page in (2, 3):
        lines.append(Line("Eastmoor guide for schools - OFFICIAL", page, 72, 30, 400, 42, 9))
        lines.append(Line(f"Body text of page {page}.", page, 72, 300, 500, 312, 12))
    doc = RawDocument(lines=lines, pages=[Page(n, 595, 842) for n in (1, 2, 3)])
    kept = [ln.text for ln in strip_furniture(doc)]
    assert "Eastmoor guide for schools - OFFICIAL" not in kept
    assert kept == ["Keeping Pupils Safe", "Body text of page 2.", "Body text of page 3."]

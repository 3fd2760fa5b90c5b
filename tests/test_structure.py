"""Lines -> passages, on hand-built lines of known layout."""

from __future__ import annotations

import re

import pytest

from pipeline.extract.lines import ROLE_BULLET, ROLE_HEADING, ROLE_TABLE, Line, Page, RawDocument
from pipeline.structure import join_lines, structure


def L(
    text: str,
    page: int = 1,
    top: float = 100,
    *,
    x0: float = 57,
    x1: float = 520,
    size: float = 12.0,
    bold: bool = False,
    **kw: object,
) -> Line:
    return Line(
        text=text, page=page, x0=x0, top=top, x1=x1, bottom=top + size, size=size, bold=bold, **kw
    )  # type: ignore[arg-type]


def paged(lines: list[Line], pages: int | None = None) -> RawDocument:
    n = pages or max(ln.page for ln in lines)
    return RawDocument(lines=lines, pages=[Page(i, 595, 842) for i in range(1, n + 1)])


def flowing(texts: list[str | tuple[str, dict]]) -> RawDocument:
    lines = []
    for i, t in enumerate(texts):
        text, kw = (t, {}) if isinstance(t, str) else t
        lines.append(Line(text=text, page=1, top=i * 12.0, block_start=kw.pop("start", True), **kw))
    return RawDocument(lines=lines, pages=[Page(1, 595, 842)], paged=False)


def body_page(page: int, first: list[Line]) -> list[Line]:
    """A page with a running header, the given lines, and a page-number footer."""
    return [
        L("Keeping children safe in education 2025", page, 30, size=9.0),
        *first,
        L(str(page), page, 800, x0=290, x1=300, size=9.0),
    ]


def test_running_headers_and_page_numbers_are_removed() -> None:
    lines: list[Line] = []
    words = ["one", "two", "three", "four"]
    for p in range(1, 5):
        lines += body_page(p, [L(f"{p}. Paragraph {words[p - 1]} ends here.", p, 100 + 7 * p)])
    passages = structure(paged(lines))
    assert [p.text for p in passages] == [f"Paragraph {w} ends here." for w in words]
    assert [p.ref for p in passages] == ["1", "2", "3", "4"]


def test_paragraph_running_over_a_page_break_is_one_passage() -> None:
    lines = body_page(
        1,
        [
            L("17. All staff should be aware that children may not feel ready or know how", 1, 600),
            L("to tell someone that they are being abused, exploited, or neglected, and", 1, 617),
            L("7 Detailed information on statutory assessments", 1, 716, size=10.0),
        ],
    ) + body_page(
        2,
        [
            L("recognise their experiences as harmful.", 2, 100, x1=300),
            L("18. Any child may benefit from early help.", 2, 140, x1=320),
        ],
    )
    lines += body_page(3, [L("19. Another paragraph on page three.", 3, 100, x1=300)])
    passages = structure(paged(lines))
    texts = {p.ref: p for p in passages}
    assert texts["17"].text.endswith("and recognise their experiences as harmful.")
    assert texts["17"].page == 1 and texts["17"].page_end == 2
    note = next(p for p in passages if p.kind == "footnote")
    assert note.ref == "7" and note.text == "Detailed information on statutory assessments"


def test_bullets_belong_to_their_paragraph_and_a_dedent_ends_them() -> None:
    lines = [
        L("18. Any child may benefit from early help, for a child who:", 1, 100, x1=400),
        L(
            "• is disabled or has certain health conditions and has specific additional",
            1,
            117,
            x0=94,
        ),
        L("needs", 1, 134, x0=112, x1=160),
        L("• is a young carer", 1, 151, x0=94, x1=200),
        L("Copies of policies should be provided to all staff at induction.", 1, 168, x1=420),
    ]
    passages = structure(paged(lines, 1))
    kinds = [(p.kind, p.ref, p.parent_ref, p.text) for p in passages]
    assert kinds == [
        ("paragraph", "18", "", "Any child may benefit from early help, for a child who:"),
        (
            "bullet",
            "",
            "18",
            "is disabled or has certain health conditions and has specific additional needs",
        ),
        ("bullet", "", "18", "is a young carer"),
        ("paragraph", "", "", "Copies of policies should be provided to all staff at induction."),
    ]


def test_headings_by_size_and_weight() -> None:
    lines = [
        L("Child-on-child abuse", 1, 80, size=14.0, bold=True, x1=200),
        L("156. All staff should recognise that children are capable of abusing", 1, 110),
        L("other children.", 1, 127, x1=160),
        L("Early help", 1, 150, bold=True, x1=130),
        L("157. Governing bodies should ensure this.", 1, 170, x1=300),
    ]
    passages = structure(paged(lines, 1))
    assert [(p.kind, p.ref) for p in passages] == [
        ("heading", ""),
        ("paragraph", "156"),
        ("heading", ""),
        ("paragraph", "157"),
    ]


def test_vertical_gap_separates_unnumbered_paragraphs() -> None:
    lines = [
        L("The first paragraph runs across the whole width of the text column and", 1, 100),
        L("ends here", 1, 117, x1=150),
        L("The second paragraph starts after a blank line and runs on to the end", 1, 160),
        L("of its own line.", 1, 177, x1=200),
    ]
    assert len(structure(paged(lines, 1))) == 2


def test_hyphenated_line_ends_are_rejoined() -> None:
    assert join_lines(["the safe-", "guarding partnership"]) == "the safeguarding partnership"
    assert join_lines(["an anti-", "racist approach"]) == "an anti-racist approach"
    assert join_lines(["a trauma-", "informed response"]) == "a trauma-informed response"
    assert join_lines(["children's well-", "being"], {"wellbeing"}) == "children's wellbeing"
    assert join_lines(["a multi-", "agency team"], {"multi-agency"}) == "a multi-agency team"
    assert join_lines(["a multi-", "agency team"], {"multiagency"}) == "a multiagency team"
    assert join_lines(["in middle-", "management positions"]) == "in middle-management positions"
    assert join_lines(["consis-", "tently"]) == "consistently"


@pytest.mark.parametrize(
    "text",
    ["Done.", "Done", "He said \"stop.\"", "(see 3.2)", "list:", "ok.\n", "ok.\n\n", "", ".",
     "x'])", "Why?)\n", "a; b", "end ."],
)  # fmt: skip
def test_sentence_end_test_matches_the_pattern(text: str) -> None:
    from pipeline.structure import _ends_sentence

    assert _ends_sentence(text) == bool(re.search(r"[.!?:;][\"')\]]*$", text))


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("on school premises. (Paragraph 9.4)", True),
        ("as the review found. (para 5.21)", True),
        ("the Local Authority (see paragraph 3.2)", False),
        ("Children's Services (CSC)", False),
    ],
)
def test_a_bracketed_reference_after_a_full_stop_ends_the_sentence(text: str, ends: bool) -> None:
    from pipeline.structure import _ends_sentence

    assert _ends_sentence(text) is ends


@pytest.mark.parametrize(
    "text",
    ["safe-", "the safe-", "a " * 40 + "x" * 70 + "-", "x" * 200 + "-", "y " + "z" * 63 + "-",
     "well--", "no hyphen", "-", "é" * 80 + "-", "trauma-informed multi-"],
)  # fmt: skip
def test_word_before_hyphen_matches_the_pattern(text: str) -> None:
    from pipeline.structure import _word_before_hyphen

    m = re.search(r"(\w+)-$", text)
    assert _word_before_hyphen(text) == (m.group(1) if m else None)


@pytest.mark.parametrize(
    ("text", "kind", "ref", "body"),
    [
        (
            "16. All staff should be able to reassure victims",
            "paragraph",
            "16",
            "All staff should be able to reassure victims",
        ),
        ("3.2 The review found that", "paragraph", "3.2", "The review found that"),
        (
            "Recommendation 7: The Department for Education should",
            "recommendation",
            "7",
            "The Department for Education should",
        ),
        ("R5. The police should review", "recommendation", "5", "The police should review"),
        (
            "Action: Director of Children's Social Care",
            "action",
            "",
            "Action: Director of Children's Social Care",
        ),
        ("• Working with schools", "bullet", "", "Working with schools"),
        ("· Hackney inclusion charter", "bullet", "", "Hackney inclusion charter"),
        ("- Public affairs and campaigns work", "bullet", "", "Public affairs and campaigns work"),
    ],
)
def test_printed_labels(text: str, kind: str, ref: str, body: str) -> None:
    [p] = structure(flowing([text]))
    assert (p.kind, p.ref, p.text) == (kind, ref, body)


def test_years_and_counts_are_not_paragraph_numbers() -> None:
    [p] = structure(flowing(["2022 was the year the review was published."]))
    assert p.ref == ""
    [p] = structure(flowing(["14 recommendations were made."]))
    assert p.ref == ""


def test_sub_items_and_recommendation_headings() -> None:
    passages = structure(
        flowing(
            [
                "Recommendation 4",
                "Children's Services should make sure that children's views shape practice, and:",
                "(a) establish a Young Advisers panel;",
                "(b) record the child's own account.",
                "Recommendation 5: Health partners should offer a wellbeing check.",
            ]
        )
    )
    assert [(p.kind, p.ref, p.parent_ref) for p in passages] == [
        ("heading", "4", ""),
        ("recommendation", "4", ""),
        ("paragraph", "(a)", "4"),
        ("paragraph", "(b)", "4"),
        ("recommendation", "5", ""),
    ]


def test_reader_hints_for_tables_headings_and_bullets() -> None:
    passages = structure(
        flowing(
            [
                ("Progress on recommendations", {"role": ROLE_HEADING}),
                ("2 | Northbridge Police | In progress", {"role": ROLE_TABLE}),
                ("A bullet without a glyph", {"role": ROLE_BULLET}),
            ]
        )
    )
    assert [p.kind for p in passages] == ["heading", "table", "bullet"]


def test_sentence_broken_over_blank_lines_is_repaired() -> None:
    passages = structure(
        flowing(
            [
                "11.1 The Director introduced the report. On 14th",
                "March 2022 City and Hackney Safeguarding Children Partnership",
                "(CHSCP) published a review.",
                "11.2 Since May 2022, a group has met.",
            ]
        )
    )
    assert [p.ref for p in passages] == ["11.1", "11.2"]
    assert "On 14th March 2022 City and Hackney" in passages[0].text


def test_soft_line_breaks_continue_a_block() -> None:
    passages = structure(
        flowing(
            [
                "6.1 The Director introduced",
                ("the update report.", {"start": False}),
                ("• a bullet after a line break", {"start": False}),
            ]
        )
    )
    assert [p.text for p in passages] == [
        "The Director introduced the update report.",
        "a bullet after a line break",
    ]


def test_a_long_title_is_a_heading_and_does_not_run_on() -> None:
    """A title-case line without a full stop is a heading even when long, and is not
    joined to the next block; a long line cut off mid-sentence still is."""
    passages = structure(
        flowing(
            [
                "The Independent Inquiry into the Care of Children at Fictional Hall",
                "Report of the Inquiry",
                "The panel heard evidence from the officers who attended the school on",
                "Monday and from the staff who were present during the search.",
            ]
        )
    )
    assert [(p.kind, p.text) for p in passages] == [
        ("heading", "The Independent Inquiry into the Care of Children at Fictional Hall"),
        ("heading", "Report of the Inquiry"),
        (
            "paragraph",
            "The panel heard evidence from the officers who attended the school on "
            "Monday and from the staff who were present during the search.",
        ),
    ]


def test_minute_numbers_are_refs_of_their_items() -> None:
    passages = structure(
        flowing(
            [
                "26/02 Harrowmere Independent Inquiry: progress report",
                "The Head of Service reported that Recommendation 2 had been completed.",
                "Action: Head of Service to report back in March 2026.",
                "26/03 Any other business",
            ]
        )
    )
    assert [(p.kind, p.ref, p.parent_ref) for p in passages] == [
        ("heading", "26/02", ""),
        ("paragraph", "", ""),
        ("action", "", "26/02"),
        ("heading", "26/03", ""),
    ]
    assert passages[0].text == "Harrowmere Independent Inquiry: progress report"


def test_a_date_on_a_cover_is_not_a_numbered_paragraph() -> None:
    passages = structure(flowing(["Autumn Briefing", "2 October 2024", "3 The Forum met."]))
    assert [(p.ref, p.text) for p in passages][1:] == [
        ("", "2 October 2024"),
        ("3", "The Forum met."),
    ]

"""Text, DOCX and HTML readers: lines with the right hints, bad files refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.extract.docx import read_docx
from pipeline.extract.html import lines_from_html, read_html
from pipeline.extract.lines import ROLE_BULLET, ROLE_HEADING, ROLE_TABLE, ReadError
from pipeline.extract.text import decode_bytes, read_text
from pipeline.passages import extract_document
from pipeline.structure import structure


def test_text_blank_lines_and_indentation(tmp_path: Path) -> None:
    f = tmp_path / "m.txt"
    f.write_text("Agenda item\n\n  11.1  First line\ncontinues here.\n\n\fPage two text.\n")
    doc = read_text(f)
    assert [(ln.text, ln.page, ln.block_start) for ln in doc.lines] == [
        ("Agenda item", 1, True),
        ("11.1 First line", 1, True),
        ("continues here.", 1, False),
        ("Page two text.", 2, True),
    ]
    assert doc.lines[1].x0 > doc.lines[2].x0


def test_text_in_windows_1252_is_decoded(tmp_path: Path) -> None:
    f = tmp_path / "old.txt"
    f.write_bytes("The Council\u2019s budget of \u00a35m \u201cprotected\u201d".encode("cp1252"))
    doc = read_text(f)
    assert doc.lines[0].text == 'The Council\'s budget of \u00a35m "protected"'
    assert doc.meta["encoding"] == "cp1252"


@pytest.mark.parametrize("data", [b"", b"   \n\n  "])
def test_empty_text_is_reported_as_empty(tmp_path: Path, data: bytes) -> None:
    f = tmp_path / "e.txt"
    f.write_bytes(data)
    with pytest.raises(ReadError) as err:
        read_text(f)
    assert err.value.status == "empty"


def test_binary_named_txt_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "b.txt"
    f.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(ReadError, match="binary"):
        read_text(f)


def test_utf8_bom_is_dropped() -> None:
    assert decode_bytes("hello".encode("utf-8-sig")) == ("hello", "utf-8-sig")


def make_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("Progress Report", level=1)
    d.add_paragraph("3.1 The protocol has been rewritten.")
    d.add_paragraph("a point in a bulleted list", style="List Bullet")
    d.add_paragraph("first numbered item", style="List Number")
    d.add_paragraph("second numbered item", style="List Number")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Recommendation", "Status"
    table.cell(1, 0).text, table.cell(1, 1).text = "3", "Completed"
    d.add_page_break()
    d.add_paragraph("On the second page.")
    d.save(str(path))


def test_docx_styles_become_hints(tmp_path: Path) -> None:
    f = tmp_path / "r.docx"
    make_docx(f)
    doc = read_docx(f)
    got = [(ln.text, ln.role, ln.page) for ln in doc.lines]
    assert got[0] == ("Progress Report", ROLE_HEADING, 1)
    assert got[1] == ("3.1 The protocol has been rewritten.", "", 1)
    assert got[2] == ("a point in a bulleted list", ROLE_BULLET, 1)
    assert got[3][0].endswith("first numbered item")
    assert ("Recommendation | Status", ROLE_TABLE, 1) in got
    assert got[-1] == ("On the second page.", "", 2)
    passages = structure(doc)
    assert [p.kind for p in passages][:3] == ["heading", "paragraph", "bullet"]


def test_docx_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "fake.docx"
    f.write_text("this is not a word document")
    with pytest.raises(ReadError, match="not a DOCX"):
        read_docx(f)


PAGE = """<!doctype html><html><head><title>Minutes of the Commission | Council</title>
<style>body {color: red}</style><script>var tracking = 1;</script></head>
<body><nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
<div class="cookie-banner">We use cookies</div>
<header><p>Site header</p></header>
<main>
<h1>Child L Safeguarding Review - Update</h1>
<p>6.1 The Director introduced the report. On 12th<br>March 2024 the review was published.</p>
<p>6.2 The Director highlighted the following:</p>
<ul><li>Recommendation 1 had been completed</li><li>Work on anti-racism continues</li></ul>
<table><tr><th>Rec</th><th>Status</th></tr><tr><td>1</td><td>Completed</td></tr></table>
<p>Action: Head of Education Safeguarding</p>
</main>
<footer>Contact us</footer><script>document.write("x")</script></body></html>"""


def test_html_keeps_content_and_drops_furniture() -> None:
    doc = lines_from_html(PAGE)
    text = " ".join(ln.text for ln in doc.lines)
    for junk in ("tracking", "Home", "cookies", "Site header", "Contact us", "color"):
        assert junk not in text
    assert doc.meta["title"] == "Minutes of the Commission | Council"
    passages = structure(doc)
    kinds = [(p.kind, p.ref, p.parent_ref) for p in passages]
    assert kinds == [
        ("heading", "", ""),
        ("paragraph", "6.1", ""),
        ("paragraph", "6.2", ""),
        ("bullet", "", "6.2"),
        ("bullet", "", "6.2"),
        ("table", "", ""),
        ("table", "", ""),
        ("action", "", "6.2"),
    ]
    assert "On 12th March 2024 the review" in passages[1].text


def test_html_file_in_latin1(tmp_path: Path) -> None:
    f = tmp_path / "p.html"
    f.write_bytes("<html><body><p>Caf\u00e9 costs \u00a35</p></body></html>".encode("latin-1"))
    assert read_html(f).lines[0].text == "Caf\u00e9 costs \u00a35"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (
            "Brackenford Safeguarding Children Partnership\n\nRapid Practice Review: Child R\n\n"
            "1. Child R was 14 when she went missing.\n",
            "Rapid Practice Review: Child R",
        ),
        (
            "Thornbury Safeguarding Children Partnership\n\nDate: 10 March 2025\n\n"
            "Child V review: update to the Board\n\n1. Recommendation 1 has been completed.\n",
            "Child V review: update to the Board",
        ),
    ],
)
def test_a_letterhead_or_a_date_line_is_not_the_title(
    tmp_path: Path, text: str, title: str
) -> None:
    path = tmp_path / "doc.txt"
    path.write_text(text, encoding="utf-8")
    row, _ = extract_document(path, "doc.txt", "sha")
    assert row["title"] == title


@pytest.mark.parametrize(
    ("text", "date", "source"),
    [
        # a cover's own date beats a cued date that is another document's
        (
            "Government Response to the Review of Child P\nSeptember 2024\nIntroduction\n"
            "The review was published by the Partnership on 14 March 2024.",
            "2024-09-01",
            "text:cover",
        ),
        ("Autumn Briefing\n2 October 2024\nThe next meeting will be held on 4 December 2024.",
         "2024-10-02", "text:cover"),
        # no date line of its own: the cued date
        ("Minutes of the meeting held on 12 November 2024 at the Town Hall.", "2024-11-12",
         "text:cue"),
        # a date line far from the top is not a cover
        ("\n".join(["Heading"] * 15) + "\n3 May 2023\nPublished 1 June 2024.", "2024-06-01",
         "text:cue"),
    ],
)  # fmt: skip
def test_document_date(text: str, date: str, source: str) -> None:
    from pipeline.documents import find_date

    assert find_date(text) == (date, source)


# --- typographic emphasis: Line.italic and the passages' italic share ---------------------


def emphasis_pdf(items: list[tuple[str, bool]], heading: str) -> bytes:
    """A made PDF: a bold heading, then numbered paragraphs, each set in italic or roman
    (``(text, italic)``), each ending with a roman "(Paragraph n)" reference."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for i, (text, italic) in enumerate(items, start=1):
        pdf.set_font("helvetica", "I" if italic else "", 11)
        pdf.write(6, f"{i}. {text} ")
        pdf.set_font("helvetica", "", 11)
        pdf.write(6, f"(Paragraph {10 * i})")
        pdf.ln(10)
    return bytes(pdf.output())


def test_italic_font_names() -> None:
    from pipeline.extract.layout import is_italic_font

    for name in ("ABCDEF+Plantin-Italic", "Helvetica-Oblique", "Arial,BoldItalic",
                 "MinionPro-It", "MyriadPro-BoldIt", "Calibri-I"):  # fmt: skip
        assert is_italic_font(name), name
    for name in ("ABCDEF+Plantin", "Helvetica-Bold", "Arial,Bold", "Lato-Light", "Wingdings"):
        assert not is_italic_font(name), name


@pytest.mark.parametrize("backend", ["pdfium", "pdfplumber"])
def test_pdf_lines_know_italic_and_passages_their_share(tmp_path: Path, backend: str) -> None:
    from pipeline.config import ExtractOptions
    from pipeline.passages import reader_for

    long = "The Council should fund an advocate for every child who is searched at school."
    f = tmp_path / "e.pdf"
    f.write_bytes(emphasis_pdf([(long, True), (long.replace("should", "did not"), False)], "H"))
    doc = reader_for("pdf", ExtractOptions(pdf_backend=backend))(f)
    italic = {ln.text[:2]: ln.italic for ln in doc.lines}
    assert italic["1."] and not italic["2."]
    assert not any(ln.italic for ln in doc.lines if ln.bold)  # the heading is roman
    shares = {p.ref: p.italic for p in structure(doc)}
    # most of item 1 is italic, its roman "(Paragraph 10)" aside; item 2 is roman
    assert 0.7 < shares["1"] <= 1.0
    assert shares["2"] == 0.0


def test_italic_share_counts_characters() -> None:
    from pipeline.extract.lines import Line
    from pipeline.structure import italic_share

    lines = [Line("a" * 30, 1, italic=True), Line("b" * 10, 1)]
    assert italic_share(lines) == 0.75
    assert italic_share([]) == 0.0


def test_html_and_docx_italic(tmp_path: Path) -> None:
    import docx

    html = "<main><p><em>The Board should act now.</em> (Para 3)</p><p>Plain <i>x</i></p></main>"
    lines = lines_from_html(html).lines
    assert [ln.italic for ln in lines] == [True, False]
    d = docx.Document()
    d.add_paragraph().add_run("The Board should act now.").italic = True
    d.add_paragraph("A plain paragraph.")
    d.save(str(tmp_path / "i.docx"))
    assert [ln.italic for ln in read_docx(tmp_path / "i.docx").lines] == [True, False]


def test_passages_table_has_the_italic_column(tmp_path: Path) -> None:
    f = tmp_path / "e.pdf"
    f.write_bytes(emphasis_pdf([("We recommend that the Board act now.", True)], "H"))
    _, plist = extract_document(f, "e.pdf", "sha")
    assert all(0.0 <= row["italic"] <= 1.0 for row in plist)
    assert max(row["italic"] for row in plist) > 0.5

"""briefing.docx: the theme table, coverage, actions and the strongest quotes with provenance."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest

from pipeline.report.docx import build_docx
from pipeline.tables import Tables, build_tables, provenance_line, top_quotes

# As if pipeline.tracing.coverage were not installed, unless a test asks for `linking_stage`.
pytestmark = pytest.mark.usefixtures("without_linking_module")


@pytest.fixture()
def tables(stage_dir: Path) -> Tables:
    return build_tables(stage_dir)


@pytest.fixture()
def document(tables: Tables):  # type: ignore[no-untyped-def]
    return docx.Document(io.BytesIO(build_docx(tables)))


def _headings(document, level: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def test_sections(document) -> None:  # type: ignore[no-untyped-def]
    assert _headings(document, 1) == [
        "Since the last briefing",
        "Themes",
        "Recommendation coverage",
        "Actions from minutes",
        "What the documents say: strongest quotes by theme",
        "How counts were made",
    ]
    title = [p.text for p in document.paragraphs if p.style.name == "Title"]
    assert title == ["Safeguarding briefing: themes and recommendations"]


def test_theme_table_matches_summary(document, tables: Tables) -> None:  # type: ignore[no-untyped-def]
    table = document.tables[0]
    header = [c.text for c in table.rows[0].cells]
    assert header[:4] == ["Theme", "Passages", "Documents", "Share"]
    types_ = [h.removeprefix("In ") for h in header[4:]]
    assert sorted(types_) == sorted(tables.theme_by_document["doc_type"].unique())
    raised = tables.theme_summary[tables.theme_summary["passages_tagged"] > 0]
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert [r[0] for r in rows] == list(raised["label"])
    assert [int(r[1]) for r in rows] == list(raised["passages_tagged"])
    tbd = tables.theme_by_document
    for r in rows:
        theme = raised.loc[raised["label"] == r[0], "theme"].iloc[0]
        by_type = [int(x) for x in r[4:]]
        assert sum(by_type) == int(r[1])
        for t, n in zip(types_, by_type, strict=True):
            sel = tbd[(tbd["theme"] == theme) & (tbd["doc_type"] == t)]
            assert sel["passages_tagged"].sum() == n
    share = raised.iloc[0]["share"]
    assert rows[0][3] == f"{share * 100:.1f}%"


def test_three_strongest_quotes_per_theme_with_provenance(document, tables: Tables) -> None:  # type: ignore[no-untyped-def]
    paragraphs = document.paragraphs
    start = next(i for i, p in enumerate(paragraphs) if p.text.startswith("What the documents say"))
    expected = top_quotes(tables.evidence, n=3)
    got: dict[str, list[tuple[str, str]]] = {}
    theme = None
    for i in range(start + 1, len(paragraphs)):
        p = paragraphs[i]
        if p.style.name == "Heading 1":
            break
        if p.style.name == "Heading 2":
            theme = p.text
            got[theme] = []
        elif p.style.name == "Quote":
            got[theme].append((p.text, paragraphs[i + 1].text))
    labels = list(dict.fromkeys(expected["label"]))
    assert list(got) == labels
    for label, quotes in got.items():
        exp = expected[expected["label"] == label]
        assert 1 <= len(quotes) <= 3
        assert [q for q, _ in quotes] == [f"“{x}”" for x in exp["quote"]]
        assert [s for _, s in quotes] == ["— " + provenance_line(r) for r in exp.to_dict("records")]
    labels = {t.id: t.label for t in tables.catalog}  # the codebook's, where installed
    police = got[labels["police"]]
    assert len(police) == 3
    assert police[0] == (
        "“This Local Child Safeguarding Practice Review considers how agencies in Northbridge "
        "responded to Child L, a fourteen-year-old Black British boy, after he was searched by "
        "police officers at school.”",
        "— Local Child Safeguarding Practice Review: Child L (2024-03-12), p. 1, para 1.1",
    )
    voice = got[labels["voice_of_child"]]
    assert voice[0][1].endswith("p. 4, para 5.8")


def test_header_rows_repeat_on_every_page(document) -> None:  # type: ignore[no-untyped-def]
    for table in document.tables:
        assert table.rows[0]._tr.xml.count("<w:tblHeader") == 1
        assert all("<w:tblHeader" not in r._tr.xml for r in table.rows[1:])


def test_actions_table(document, tables: Tables) -> None:  # type: ignore[no-untyped-def]
    table = document.tables[1]
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0] == ["Meeting", "Date", "Item", "Owner", "Due", "Where the due date is stated"]
    assert rows[1][2:5] == ["6.7", "Head of Education Safeguarding", "April 2025"]
    assert len(rows) == len(tables.actions) + 1


@pytest.mark.usefixtures("linking_stage")
def test_coverage_table_when_the_linking_stage_is_there(stage_dir: Path) -> None:
    document = docx.Document(io.BytesIO(build_docx(build_tables(stage_dir))))
    cov = document.tables[1]
    rows = [[c.text for c in r.cells] for r in cov.rows]
    assert rows[0] == [
        "Review",
        "No.",
        "Recommendation",
        "Passages",
        "Docs",
        "First",
        "Last",
        "Latest status",
    ]
    assert rows[1] == [
        "Child L", "1", "Jointly revise the protocol", "2", "2", "2024-11-20", "2025-01-15",
        "completed",
    ]  # fmt: skip
    assert rows[2][-1] == "in progress"
    assert rows[4][-1] == "silent: no later mention"
    assert len(rows) == 6


def test_missing_coverage_is_said(document) -> None:  # type: ignore[no-untyped-def]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "coverage table is not available" in text
    assert "broken.pdf: error not a PDF" in text


def test_reproducible(tables: Tables) -> None:
    first = build_docx(tables)
    assert first == build_docx(tables)
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert {i.date_time[:3] for i in zf.infolist()} == {(2025, 1, 15)}
    props = docx.Document(io.BytesIO(first)).core_properties
    assert props.created.date().isoformat() == "2025-01-15"
    assert props.modified.date().isoformat() == "2025-01-15"

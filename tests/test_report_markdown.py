"""briefing.md: the tables as Markdown, rendered back with markdown-it to check them."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.report.markdown import md_escape, md_table, render_markdown
from pipeline.tables import Tables, build_tables

# As if pipeline.tracing.coverage were not installed, unless a test asks for `linking_stage`.
pytestmark = pytest.mark.usefixtures("without_linking_module")

markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py comes with jupytext")


class Cells(HTMLParser):
    """Tables (as lists of rows of cell text) and every tag of rendered HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.tags: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _render(text: str) -> Cells:
    html = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    parsed = Cells()
    parsed.feed(html)
    return parsed


@pytest.fixture()
def tables(stage_dir: Path) -> Tables:
    return build_tables(stage_dir)


@pytest.fixture()
def rendered(tables: Tables) -> Cells:
    return _render(render_markdown(tables))


@pytest.mark.parametrize(
    "text",
    [
        "a | b",
        "<script>alert(1)</script>",
        'Notes on <b>practice</b> & "quotes"',
        "*not emphasis* and _not either_",
        "[a link](http://example.org)",
        "`code` \\ backslash # hash",
        "voice_of_child",
        "line\nbreak",
    ],
)
def test_md_escape_round_trips_as_text(text: str) -> None:
    parsed = _render(md_table_one(text))
    assert parsed.tables[0][1] == [" ".join(text.split())]
    assert set(parsed.tags) == {"table", "thead", "tr", "th", "tbody", "td"}


def md_table_one(text: str) -> str:
    import pandas as pd

    return md_table(pd.DataFrame({"h": [text]}), ["h"])


def test_md_escape_keeps_ids_readable() -> None:
    assert md_escape("voice_of_child") == "voice_of_child"
    assert md_escape("a|b") == "a\\|b"


def test_document_html_never_becomes_markup(tables: Tables, rendered: Cells) -> None:
    text = render_markdown(tables)
    assert "<script>" not in text and "<b>" not in text
    allowed = {
        "h1", "h2", "h3", "ul", "li", "strong", "p", "table", "thead", "tbody", "tr", "th",
        "td", "blockquote", "em", "br",
    }  # fmt: skip
    assert set(rendered.tags) <= allowed


def test_theme_table(tables: Tables, rendered: Cells) -> None:
    themes = rendered.tables[0]
    assert themes[0] == [
        "Theme",
        "Passages",
        "Documents",
        "Share of passages",
        "First raised",
        "Last raised",
    ]
    raised = tables.theme_summary[tables.theme_summary["passages_tagged"] > 0]
    assert [r[0] for r in themes[1:]] == list(raised["label"])
    assert [int(r[1]) for r in themes[1:]] == list(raised["passages_tagged"])
    assert [int(r[2]) for r in themes[1:]] == list(raised["documents"])


def test_matrix_and_dates_add_up(tables: Tables, rendered: Cells) -> None:
    matrix = rendered.tables[1]
    header = matrix[0]
    assert header[0] == "Theme" and header[-1] == "Total"
    assert "Notes on <b>practice</b> &…" in " ".join(header), "titles shown as text"
    summary = tables.theme_summary.set_index("label")
    for row in matrix[1:]:
        counts = [int(x) for x in row[1:]]
        assert sum(counts[:-1]) == counts[-1] == summary.at[row[0], "passages_tagged"]
    over_time = rendered.tables[2]
    assert over_time[0] == ["Theme", "2024-03", "2024-11", "2025-01"]
    tbd = tables.theme_by_date
    for row in over_time[1:]:
        assert (
            sum(int(x) for x in row[1:]) == tbd.loc[tbd["label"] == row[0], "passages_tagged"].sum()
        )


def test_actions_and_evidence(tables: Tables, rendered: Cells) -> None:
    actions = rendered.tables[3]
    assert actions[1][3:5] == ["Head of Education Safeguarding", "April 2025"]
    evidence = rendered.tables[4]
    assert len(evidence) == len(tables.evidence) + 1
    assert any("<script>alert(1)</script>" in cell for row in evidence for cell in row)


def test_sections_and_notes(tables: Tables) -> None:
    text = render_markdown(tables)
    heads = re.findall(r"^## (.+)$", text, re.M)
    assert heads == [
        "Since the last briefing",
        "Themes",
        "Themes by document (passages)",
        "Themes over time (passages, dated documents by month)",
        "Recommendation coverage",
        "Actions from minutes",
        "Strongest quotes by theme",
        "Evidence",
        "How counts were made",
    ]
    assert "coverage table is not available" in text
    assert "broken.pdf: error not a PDF" in text
    assert render_markdown(tables) == text


@pytest.mark.usefixtures("linking_stage")
def test_coverage_table(stage_dir: Path) -> None:
    t = build_tables(stage_dir)
    rendered = _render(render_markdown(t))
    cov = rendered.tables[3]
    assert cov[0][:3] == ["Review", "No.", "Recommendation"]
    assert [r[1] for r in cov[1:]] == ["1", "2", "4", "10", "1"]
    assert cov[4][2] == "Write to the Department <for> Education"
    assert cov[4][-1] == "silent: no later mention"
    assert "b" not in rendered.tags and "for" not in rendered.tags


def test_coverage_view_shows_the_response_stance_where_a_response_answers() -> None:
    import pandas as pd

    from pipeline.report.common import RESPONSE_HEADING, coverage_view

    cov = pd.DataFrame(
        {
            "review": ["Child L", "Child L"],
            "number": ["1", "2"],
            "short_text": ["Revise the protocol", "Commission learning"],
            "linked_passages": [2, 0],
            "linked_documents": [1, 0],
            "first_mentioned": ["2024-11-20", ""],
            "last_mentioned": ["2024-11-20", ""],
            "latest_status": ["", ""],
            "silent": [False, True],
            "stance_status": ["accepted_in_principle", ""],
        }
    )
    view = coverage_view(cov)
    assert list(view[RESPONSE_HEADING]) == ["accepted in principle", ""]
    assert list(view["Latest status"]) == ["no status stated", "silent: no later mention"]
    # no response answers any: no empty column
    assert RESPONSE_HEADING not in coverage_view(cov.assign(stance_status=""))


@pytest.mark.parametrize(
    "text",
    [
        "a | b <script> [link](x) `code` *em* #h !img ~s \\ back",
        "voice_of_child _lead trail_ a__b _ __init__",
        "  spaced\tout \n lines  ",
        "\\|\\",
        "",
    ],
)
def test_markdown_escape_marks_every_special_character_once(text: str) -> None:
    # the escape as a regex would write it: each special character, then lone underscores
    expected = re.sub(r"([\\`*\[\]<>|#!~])", r"\\\1", " ".join(text.split()))
    expected = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", expected)
    assert md_escape(text) == expected

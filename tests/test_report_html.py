"""report.html: self-contained, escaped, and rendered by headless Chromium without errors."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sys
import types
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from pipeline import schema, store
from pipeline.config import RunConfig
from pipeline.report import charts
from pipeline.report.common import headline
from pipeline.report.html import SCRIPT, STYLE, highlight, render_html, select_evidence
from pipeline.report.markdown import render_markdown
from pipeline.run import STAGES, run_all
from pipeline.tables import build_tables
from tests.chromium import Browser, find_chromium
from tests.stage_outputs import HOSTILE_TEXT, HOSTILE_TITLE, coverage_double

# As if pipeline.tracing.link were not installed, unless a test asks for the `linking_stage` double.
pytestmark = pytest.mark.usefixtures("without_linking_module")


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of script elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def _parse(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    return parser


@pytest.fixture()
def page(stage_dir: Path) -> str:
    return render_html(build_tables(stage_dir))


def test_document_text_is_escaped(page: str, stage_dir: Path) -> None:
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>practice</b>" not in page
    assert "Notes on &lt;b&gt;practice&lt;/b&gt; &amp; &quot;quotes&quot;" in page
    parsed = _parse(page)
    assert [t for t, _ in parsed.tags].count("script") == 1
    assert parsed.scripts == [SCRIPT]
    # no element comes from document text: the only <b> are the headline figures and
    # the evidence row counter
    bold = [t for t, _ in parsed.tags if t == "b"]
    assert len(bold) == len(headline(build_tables(stage_dir))) + 1
    for _tag, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs), attrs


def test_page_is_self_contained(page: str) -> None:
    parsed = _parse(page)
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "action", "srcset", "poster"):
            value = attrs.get(name)
            if value is None:
                continue
            assert value.startswith(("data:", "#")), (tag, name, value[:60])
        assert tag not in ("link", "iframe", "object", "embed")
    assert "@import" not in page and "url(" not in STYLE


def test_content_security_policy_pins_our_script_and_style(page: str) -> None:
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    for text in (SCRIPT, STYLE):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"sha256-{digest}" in csp
    assert "default-src &#x27;none&#x27;" in csp and "unsafe-inline" not in csp


def _images(page: str) -> list[tuple[str, str]]:
    out = []
    for tag, attrs in _parse(page).tags:
        if tag == "img":
            src = attrs["src"] or ""
            assert src.startswith("data:image/svg+xml;base64,")
            out.append((attrs.get("alt") or "", base64.b64decode(src.split(",", 1)[1]).decode()))
    return out


def test_charts_are_embedded_svg_with_labels(page: str, stage_dir: Path) -> None:
    labels = {t.id: t.label for t in build_tables(stage_dir).catalog}
    images = dict(_images(page))
    assert set(images) == {
        "Heatmap of themes by document",
        "Timeline of recommendation mentions by status",
    }
    heat = ET.fromstring(images["Heatmap of themes by document"])
    text = " ".join("".join(el.itertext()) for el in heat.iter() if el.tag.endswith("text"))
    assert labels["police"] in text and labels["voice_of_child"] in text
    assert "Notes on <b>practice</b>" in text, "titles are drawn as text, not markup"
    assert not any(el.tag.endswith("script") for el in heat.iter())
    timeline = ET.fromstring(images["Timeline of recommendation mentions by status"])
    words = " ".join("".join(el.itertext()) for el in timeline.iter() if el.tag.endswith("text"))
    assert "Child L 10" in words and "no later mention" in words
    assert "Missing Education 1" in words


def test_charts_are_reproducible(stage_dir: Path) -> None:
    t = build_tables(stage_dir)
    assert charts.heatmap_svg(t.theme_by_document, t.catalog) == charts.heatmap_svg(
        t.theme_by_document, t.catalog
    )
    assert render_html(t) == render_html(t)


def test_charts_need_data() -> None:
    empty = pd.DataFrame(columns=["doc_id", "theme", "share", "passages_tagged"])
    assert charts.heatmap_svg(empty, []) is None
    assert (
        charts.timeline_svg(
            schema.RECOMMENDATIONS.empty(), pd.DataFrame(), schema.DOCUMENTS.empty()
        )
        is None
    )


def test_dollar_in_title_is_not_mathtext() -> None:
    label = charts.short_title("Costs of $5 and $6 per child", "2024-01-01")
    assert "$5 and $6" in label


@pytest.mark.parametrize(
    ("quote", "evidence", "expected"),
    [
        ("Police searched him.", "searched", "Police <mark>searched</mark> him."),
        ("a <b> searched", "searched", "a &lt;b&gt; <mark>searched</mark>"),
        ("<script>x</script>", "<script>", "<mark>&lt;script&gt;</mark>x&lt;/script&gt;"),
        ("nothing here", "absent", "nothing here"),
    ],
)
def test_highlight_escapes(quote: str, evidence: str, expected: str) -> None:
    assert highlight(quote, evidence) == expected


def test_tables_and_evidence_rows(stage_dir: Path, page: str) -> None:
    t = build_tables(stage_dir)
    rows = re.search(r'<table id="evidence-table">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    assert rows.count("<tr ") == len(t.evidence)
    assert 'data-theme="police"' in rows and 'data-kind="link"' in rows
    assert "Head of Education Safeguarding" in page and "April 2025" in page
    assert "Recommendation coverage table not available" in page
    assert "broken.pdf" in page


# --------------------------------------------------------------------------- in a browser

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium not installed (Debian: apt-get install chromium; .ci/run installs it)",
)


def _save_screenshot(png: bytes, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SGPIPE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(png)
    return path


def _not_blank(png_path: Path) -> bool:
    import matplotlib.image as mpimg

    pixels = mpimg.imread(png_path)
    return float(pixels[..., :3].std()) > 0.02


@needs_chromium
def test_report_renders_in_chromium(stage_dir: Path, tmp_path: Path) -> None:
    t = build_tables(stage_dir)
    html_path = tmp_path / "report.html"
    store.write_text(render_html(t), html_path)
    with Browser(CHROMIUM) as browser:  # type: ignore[arg-type]
        result = browser.load(html_path)
        assert result.errors == [], result.errors
        assert result.dialogs == []
        shot = _save_screenshot(result.screenshot, "report.png", tmp_path)
        assert shot.stat().st_size > 20_000 and _not_blank(shot)
        # both charts decoded and drawn
        sizes = browser.evaluate(
            "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
        )
        assert len(sizes) == 2 and all(ok and w > 300 and h > 100 for ok, w, h in sizes)
        # hostile text shows as text
        body = browser.evaluate("document.body.innerText")
        assert "<script>alert(1)</script>" in body
        assert HOSTILE_TITLE in body
        # the filters work: theme select, then free-text search
        total = len(t.evidence)
        assert browser.evaluate("document.getElementById('ev-shown').textContent") == str(total)
        police = int((t.evidence["theme"] == "police").sum())
        shown = browser.evaluate(
            """(() => { const s = document.querySelector('select[data-filter="theme"]');
            s.value = 'police'; s.dispatchEvent(new Event('change'));
            return Array.from(document.querySelectorAll('#evidence-table tbody tr'))
              .filter(r => !r.hidden).length; })()"""
        )
        assert shown == police
        shown = browser.evaluate(
            """(() => { const s = document.querySelector('select[data-filter="theme"]');
            s.value = ''; s.dispatchEvent(new Event('change'));
            const q = document.getElementById('ev-search');
            q.value = 'alert(1)'; q.dispatchEvent(new Event('input'));
            return Array.from(document.querySelectorAll('#evidence-table tbody tr'))
              .filter(r => !r.hidden).map(r => r.innerText); })()"""
        )
        assert len(shown) == 2 and all("<script>alert(1)</script>" in r for r in shown)
        assert browser.problems() == []


@needs_chromium
def test_hostile_document_through_the_whole_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document whose title and text carry HTML, run through every stage."""
    monkeypatch.delitem(
        sys.modules, "pipeline.tracing.coverage"
    )  # the real stages, whatever is installed
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "hostile.txt").write_text(
        f"{HOSTILE_TITLE}\n\n1. {HOSTILE_TEXT} The police officers strip searched the child "
        "at school and no appropriate adult was present.\n",
        encoding="utf-8",
    )
    (raw / "manifest.csv").write_text(
        "path,doc_type,title,date,review\nhostile.txt,review,,2024-05-01,Child <i>X</i>\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    run_all(RunConfig(input_dir=raw, output_dir=out, jobs=1, progress=False))
    if "themes" not in STAGES:
        # stand-in for the theme tagger until it is merged: tag every paragraph
        passages = store.read_table(schema.PASSAGES, out)
        para = passages[passages["text"].str.contains("alert", regex=False)]
        tags = para.assign(theme="police", method="rule", score=0.9, evidence="police officers")
        store.write_table(tags, schema.THEMES, out)
        STAGES["tables"](RunConfig(input_dir=raw, output_dir=out))
        STAGES["report"](RunConfig(input_dir=raw, output_dir=out))
    html_path = out / "report" / "report.html"
    page = html_path.read_text(encoding="utf-8")
    docs = store.read_table(schema.DOCUMENTS, out)
    assert "<b>" in docs.at[0, "title"], "the title inferred from the text keeps its markup"
    assert "<script>alert(1)</script>" not in page and "<b>practice" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    with Browser(CHROMIUM) as browser:  # type: ignore[arg-type]
        result = browser.load(html_path)
        _save_screenshot(result.screenshot, "hostile.png", tmp_path)
        assert result.dialogs == [] and result.errors == []
        body = browser.evaluate("document.body.innerText")
        assert "<script>alert(1)</script>" in body and "<b>practice</b>" in body
        bold = browser.evaluate(
            "Array.from(document.querySelectorAll('b')).map(b => b.textContent)"
        )
        assert "practice" not in bold
        assert browser.evaluate("document.scripts.length") == 1


def test_evidence_on_the_page_is_capped(stage_dir: Path) -> None:
    t = build_tables(stage_dir)
    page = render_html(t, max_evidence=10)
    rows = re.search(r'<table id="evidence-table">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    kinds = re.findall(r'<tr data-kind="(\w+)"', rows)
    assert len(kinds) == 10 and kinds.count("link") == int((t.evidence["kind"] == "link").sum())
    assert f"the 10 strongest of {len(t.evidence)} evidence rows" in page
    kept = select_evidence(t.evidence, 10)
    assert list(kept.index) == sorted(kept.index), "the table's order is kept"
    themes = kept[kept["kind"] == "theme"]
    dropped = t.evidence.drop(kept.index)
    assert themes["score"].min() >= dropped["score"].max()


def test_heatmap_rows_are_the_raised_themes(stage_dir: Path) -> None:
    t = build_tables(stage_dir)
    svg = ET.fromstring(charts.heatmap_svg(t.theme_by_document, t.catalog))
    words = " ".join("".join(el.itertext()) for el in svg.iter() if el.tag.endswith("text"))
    raised = t.theme_summary[t.theme_summary["passages_tagged"] > 0]["label"]
    assert all(label in words for label in raised)
    negated_only = {x.id: x.label for x in t.catalog}["safeguarding_first"]
    assert negated_only not in words, "a theme raised only in a negated tag is left out"


def test_timeline_without_the_linking_stage(stage_dir: Path) -> None:
    (stage_dir / "links.parquet").unlink()
    t = build_tables(stage_dir)
    assert any("links.parquet not found" in n for n in t.notes)
    page = render_html(t)
    images = dict(_images(page))
    svg = ET.fromstring(images["Timeline of recommendation mentions by status"])
    words = " ".join("".join(el.itertext()) for el in svg.iter() if el.tag.endswith("text"))
    assert "not traced yet" in words and "no later mention" not in words


@pytest.mark.usefixtures("linking_stage")
def test_coverage_table_in_the_page(stage_dir: Path) -> None:
    page = render_html(build_tables(stage_dir))
    section = re.search(r'<section id="recommendations">(.*?)</section>', page, re.S).group(1)
    assert "<th>Latest status</th>" in section
    assert '<span class="st st-completed">completed</span>' in section
    assert '<span class="st st-silent">silent: no later mention</span>' in section
    assert "Department &lt;for&gt; Education" in section
    assert "not available" not in section


def test_empty_coverage_says_no_recommendations(
    stage_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = types.ModuleType("pipeline.tracing.coverage")
    fake.coverage = lambda *a, **k: coverage_double(*a).iloc[0:0]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pipeline.tracing.coverage", fake)
    t = build_tables(stage_dir)
    assert t.recommendation_coverage is not None and t.recommendation_coverage.empty
    assert "No recommendations were found in this run." in render_html(t)
    assert "No recommendations were found in this run." in render_markdown(t)

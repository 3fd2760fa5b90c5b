"""``report.html``: one self-contained page with the charts and filterable evidence.

Everything is inline (CSS, a few lines of JavaScript, charts as base64 SVG
images), so the page opens from a USB stick or an e-mail attachment with no
network. Document text is untrusted input: every title, quote, name and value
taken from the outputs goes through :func:`html.escape`, and a Content Security
Policy allows only this page's own script and style (by hash), so a document that
contains ``<script>`` shows it as text and can never run it.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Callable, Sequence

import pandas as pd

from pipeline.frames import itertuples
from pipeline.report import charts
from pipeline.report.common import (
    SINCE_TITLE,
    changes_view,
    coverage_view,
    headline,
    package_version,
    pct,
)
from pipeline.tables import COUNTING_NOTES, TABLE_NOTES, Tables, locate_evidence, provenance_line

Formatter = Callable[[object], str]

STYLE = """
:root { --ink: #1d2433; --muted: #5b6472; --line: #d8dce3; --band: #f4f6f9; --accent: #1f4e8c; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink); margin: 0; }
header, main, footer { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-bottom: 4px;
  border-bottom: 2px solid var(--accent); }
nav a { margin-right: 14px; color: var(--accent); }
.muted { color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0; padding: 0; list-style: none; }
.cards li { background: var(--band); border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.cards b { display: block; font-size: 20px; }
.note { background: #fff6e0; border-left: 4px solid #e0a100; padding: 6px 12px; margin: 8px 0; }
figure { margin: 12px 0; overflow-x: auto; }
figure img { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0 16px; }
th, td { border: 1px solid var(--line); padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: var(--band); position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.quote { min-width: 320px; }
mark { background: #ffe680; padding: 0 1px; }
.st { font-weight: 600; white-space: nowrap; }
.st-completed { color: #1a7a3c; } .st-in_progress { color: #b25e00; }
.st-planned { color: #2c5aa0; } .st-not_accepted { color: #b3202a; }
.st-on_hold { color: #762a83; } .st-not_started { color: #a3195f; }
.st-silent { color: #b3202a; font-style: italic; }
.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin: 8px 0; }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
.filters input, .filters select { font: inherit; font-size: 13px; padding: 3px 4px;
  max-width: 260px; }
.scroll { max-height: 80vh; overflow: auto; border: 1px solid var(--line); }
.scroll table { margin: 0; }
footer { margin: 40px auto 24px; font-size: 12px; color: var(--muted); }
@media print { .filters, nav { display: none; } .scroll { max-height: none; overflow: visible; } }
"""

SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("evidence-table");
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var search = document.getElementById("ev-search");
  var shown = document.getElementById("ev-shown");
  function apply() {
    var needle = search.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (row) {
      var ok = selects.every(function (s) {
        return !s.value || row.getAttribute("data-" + s.getAttribute("data-filter")) === s.value;
      });
      if (ok && needle) { ok = row.textContent.toLowerCase().indexOf(needle) !== -1; }
      row.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }
  selects.forEach(function (s) { s.addEventListener("change", apply); });
  search.addEventListener("input", apply);
  apply();
})();
"""

STATUS_LABELS = {
    "completed": "completed",
    "in_progress": "in progress",
    "planned": "planned",
    "not_accepted": "not accepted",
    "on_hold": "on hold",
    "not_started": "not started",
}


def e(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


def _num(value: object) -> str:
    return e(value)


def _pct(value: object) -> str:
    return e(pct(float(value)))  # type: ignore[arg-type]


def _status(value: object) -> str:
    value = str(value or "")
    key = {v: k for k, v in STATUS_LABELS.items()}.get(value, value)
    if key in STATUS_LABELS:
        return f'<span class="st st-{key}">{e(STATUS_LABELS[key])}</span>'
    if value.startswith("silent"):
        return f'<span class="st st-silent">{e(value)}</span>'
    return e(value)


def table_html(
    df: pd.DataFrame,
    columns: Sequence[tuple[str, str]] | None = None,
    *,
    formats: dict[str, Formatter] | None = None,
    numeric: Sequence[str] = (),
    table_id: str = "",
) -> str:
    """An HTML table of ``df``: ``columns`` are (column, header) pairs (all by default).

    Every cell is escaped, unless a formatter in ``formats`` produces it (the
    formatters here escape what they print).
    """
    columns = list(columns) if columns is not None else [(c, c) for c in df.columns]
    formats = formats or {}
    head = "".join(f"<th>{e(h)}</th>" for _, h in columns)
    body = []
    names = [col for col, _ in columns]
    present = [c for c in names if c in df.columns]
    for values in itertuples(df[present], index=False, name=None):
        rec = dict(zip(present, values, strict=True))
        cells = []
        for col in names:
            value = rec.get(col, "")
            text = formats[col](value) if col in formats else e(value)
            cls = ' class="num"' if col in numeric else ""
            cells.append(f"<td{cls}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    ident = f' id="{e(table_id)}"' if table_id else ""
    return (
        f"<table{ident}><thead><tr>{head}</tr></thead><tbody>" + "".join(body) + "</tbody></table>"
    )


def generic_table_html(df: pd.DataFrame) -> str:
    """Any table (such as recommendation coverage) with numbers right-aligned,
    shares as percentages and statuses coloured."""
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    formats: dict[str, Formatter] = {}
    for c in df.columns:
        if "share" in c or c.endswith("_pct"):
            formats[c] = _pct
        elif "status" in c.lower():
            formats[c] = _status
    return table_html(df, formats=formats, numeric=numeric)


def highlight(quote: str, evidence: str) -> str:
    """``quote`` escaped, with the evidence words marked."""
    spans = locate_evidence(quote, evidence)
    out, pos = [], 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(e(quote[pos:start]))
        out.append(f"<mark>{e(quote[start:end])}</mark>")
        pos = end
    out.append(e(quote[pos:]))
    return "".join(out)


def _svg_img(svg: str | None, alt: str) -> str:
    if not svg:
        return f'<p class="muted">{e(alt)}: nothing to draw yet.</p>'
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img alt="{e(alt)}" src="data:image/svg+xml;base64,{data}">'


def _options(values: Sequence[tuple[str, str]], label: str, key: str) -> str:
    opts = "".join(f'<option value="{e(v)}">{e(t)}</option>' for v, t in values)
    return (
        f'<label>{e(label)}<select data-filter="{e(key)}">'
        f'<option value="">all</option>{opts}</select></label>'
    )


#: Most evidence rows the page holds; beyond it the strongest are kept (the full
#: audit trail is in briefing.xlsx and tables/evidence.csv).
MAX_EVIDENCE_ROWS = 5000


def select_evidence(evidence: pd.DataFrame, limit: int) -> pd.DataFrame:
    """At most ``limit`` rows, in the table's order: every link first in priority,
    then counted theme tags by score."""
    if len(evidence) <= limit:
        return evidence
    rank = evidence.assign(
        _link=evidence["kind"] != "link",
        _counted=~evidence["counted"],
        _score=-evidence["score"],
        _pos=range(len(evidence)),
    ).sort_values(["_link", "_counted", "_score", "_pos"], kind="stable")
    keep = sorted(rank["_pos"].head(limit))
    return evidence.iloc[keep]


def evidence_section(tables: Tables, *, limit: int = MAX_EVIDENCE_ROWS) -> str:
    """The evidence table with its filter boxes."""
    full = tables.evidence
    if full.empty:
        return '<p class="muted">No theme tags or recommendation links yet.</p>'
    ev = select_evidence(full, limit)
    cut = (
        f'<p class="note">The page holds the {len(ev)} strongest of {len(full)} evidence rows '
        "(every recommendation link, then theme tags by score); briefing.xlsx and "
        "tables/evidence.csv hold them all.</p>"
        if len(ev) < len(full)
        else ""
    )
    themes = [(t.id, t.label) for t in tables.catalog if t.id in set(ev["theme"])]
    docs = ev.drop_duplicates("doc_id")[["doc_id", "title", "date"]]
    doc_opts = [(r.doc_id, f"{r.title} ({r.date or 'undated'})") for r in itertuples(docs)]
    recs = ev[ev["kind"] == "link"].drop_duplicates("rec_id")
    rec_opts = [(r.rec_id, f"{r.review} {r.number}".strip()) for r in itertuples(recs)]
    speakers = sorted({s for s in ev["speaker"] if s})
    types = sorted({t for t in ev["doc_type"] if t})
    filters = [
        '<label>Search<input id="ev-search" type="search" placeholder="words in any column">'
        "</label>",
        _options([("theme", "theme tag"), ("link", "recommendation link")], "Kind", "kind"),
        _options(themes, "Theme", "theme"),
        _options(rec_opts, "Recommendation", "rec"),
        _options([(t, t) for t in types], "Document type", "doctype"),
        _options(doc_opts, "Document", "doc"),
        _options([(s, s) for s in speakers], "Speaker", "speaker"),
        _options([("yes", "counted"), ("no", "not counted (negated)")], "Counted", "counted"),
    ]
    rows = []
    for r in itertuples(ev, index=False):
        what = r.label if r.kind == "theme" else f"{r.review} {r.number}".strip()
        attrs = {
            "kind": r.kind,
            "theme": r.theme,
            "rec": r.rec_id,
            "doctype": r.doc_type,
            "doc": r.doc_id,
            "speaker": r.speaker,
            "counted": "yes" if r.counted else "no",
        }
        data = " ".join(f'data-{k}="{e(v)}"' for k, v in attrs.items())
        rows.append(
            f"<tr {data}><td>{e('theme' if r.kind == 'theme' else 'link')}</td>"
            f"<td>{e(what)}</td><td>{_status(r.status)}</td>"
            f'<td class="num">{r.score:.2f}</td><td>{e(r.method)}</td>'
            f'<td class="quote">{highlight(r.quote, r.evidence)}</td>'
            f"<td>{e(provenance_line(r._asdict()))}</td>"
            f"<td>{'yes' if r.counted else 'no'}</td></tr>"
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "Kind",
            "Theme / recommendation",
            "Status",
            "Score",
            "Method",
            "Quote (evidence marked)",
            "Source",
            "Counted",
        )
    )
    return (
        f'{cut}<div class="filters">{"".join(filters)}</div>'
        f'<p class="muted">Showing <b id="ev-shown">{len(ev)}</b> of {len(ev)} rows.</p>'
        f'<div class="scroll"><table id="evidence-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def render_html(
    tables: Tables,
    *,
    title: str = "Safeguarding briefing",
    max_evidence: int = MAX_EVIDENCE_ROWS,
) -> str:
    """The whole report page as a string (at most ``max_evidence`` evidence rows)."""
    cards = "".join(f"<li>{e(k)}<b>{e(v)}</b></li>" for k, v in headline(tables))
    notes = "".join(f'<p class="note">{e(n)}</p>' for n in tables.notes)
    summary = tables.theme_summary[tables.theme_summary["passages_tagged"] > 0]
    theme_table = (
        table_html(
            summary,
            [
                ("label", "Theme"),
                ("passages_tagged", "Passages"),
                ("documents", "Documents"),
                ("share", "Share of all passages"),
                ("first_date", "First raised"),
                ("last_date", "Last raised"),
            ],
            formats={"share": _pct},
            numeric=["passages_tagged", "documents", "share"],
        )
        if len(summary)
        else '<p class="muted">No theme is counted yet.</p>'
    )
    heatmap = charts.heatmap_svg(tables.theme_by_document, tables.catalog)
    timeline = charts.timeline_svg(
        tables.recommendations,
        tables.evidence,
        tables.documents,
        traced="links" in tables.present,
    )
    if tables.recommendation_coverage is None:
        coverage = '<p class="muted">Recommendation coverage table not available in this run.</p>'
    elif tables.recommendation_coverage.empty:
        coverage = '<p class="muted">No recommendations were found in this run.</p>'
    else:
        coverage = generic_table_html(coverage_view(tables.recommendation_coverage))
    acts = tables.actions
    actions_html = (
        table_html(
            acts,
            [
                ("title", "Meeting"),
                ("date", "Date"),
                ("item", "Item"),
                ("owner", "Owner"),
                ("task", "Task"),
                ("due", "Due"),
                ("due_context", "Where the due date is stated"),
            ],
        )
        if len(acts)
        else '<p class="muted">No action lines found.</p>'
    )
    unread = tables.unread
    unread_html = (
        "<ul>"
        + "".join(f"<li>{e(r.path)}: {e(r.status)} {e(r.error)}</li>" for r in itertuples(unread))
        + "</ul>"
        if len(unread)
        else "<p>Every document was read.</p>"
    )
    method = "".join(f"<li>{e(n)}</li>" for n in COUNTING_NOTES)
    tables_list = "".join(
        f"<li><code>{e(k)}.csv</code>: {e(v)}</li>" for k, v in TABLE_NOTES.items()
    )
    as_of = tables.as_of or "undated documents"
    intro, changes = changes_view(tables)
    changes_html = f"<p>{e(intro)}</p>" + (generic_table_html(changes) if len(changes) else "")
    body = f"""
<header>
<h1>{e(title)}</h1>
<p class="muted">Themes and recommendation tracking across {e(len(tables.documents))} documents,
latest dated {e(as_of)}. Every number links back to quotes in the evidence table below.</p>
<nav><a href="#changes">{e(SINCE_TITLE)}</a>
<a href="#themes">Themes</a><a href="#heatmap">Heatmap</a>
<a href="#recommendations">Recommendations</a><a href="#actions">Actions</a>
<a href="#evidence">Evidence</a><a href="#method">How counts were made</a></nav>
<ul class="cards">{cards}</ul>
{notes}
</header>
<main>
<section id="changes"><h2>{e(SINCE_TITLE)}</h2>{changes_html}</section>
<section id="themes"><h2>Themes</h2>{theme_table}</section>
<section id="heatmap"><h2>Themes by document</h2>
<figure>{_svg_img(heatmap, "Heatmap of themes by document")}
<figcaption>Colour: share of the document's passages that raise the theme; number: passages.
</figcaption></figure></section>
<section id="recommendations"><h2>Recommendations</h2>
<figure>{_svg_img(timeline, "Timeline of recommendation mentions by status")}
<figcaption>Each row is a recommendation; markers are later documents reporting on it, placed at
the document's date, coloured and shaped by the status they state.</figcaption></figure>
{coverage}</section>
<section id="actions"><h2>Actions from minutes</h2>{actions_html}</section>
<section id="evidence"><h2>Evidence</h2>{evidence_section(tables, limit=max_evidence)}</section>
<section id="method"><h2>How counts were made</h2><ul>{method}</ul>
<h3>Tables</h3><ul>{tables_list}</ul><h3>Documents not counted</h3>{unread_html}</section>
</main>
<footer>Made by safeguarding-pipeline {e(package_version())} from the stage outputs; no network is
needed to view this page.</footer>
"""
    csp = (
        "default-src 'none'; img-src data:; "
        f"style-src {_csp_hash(STYLE)}; script-src {_csp_hash(SCRIPT)}; "
        "base-uri 'none'; form-action 'none'"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{e(csp)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n"
        f"<style>{STYLE}</style></head>\n<body>{body}<script>{SCRIPT}</script></body></html>\n"
    )

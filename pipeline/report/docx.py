"""``briefing.docx``: a short Word report to paste from.

The theme table (with passage counts by document type), the recommendation
coverage table, the actions from minutes, and for each theme its three strongest
quotes with their provenance (document, date, page, paragraph, speaker). Built
with python-docx's default template and plain table styles, so it pastes cleanly
into a council or partnership template. No current time is stored.
"""

from __future__ import annotations

import io
import re

import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Inches, Pt
from docx.table import Table as DocxTable

from pipeline.frames import itertuples
from pipeline.report.common import (
    COVERAGE_VIEW,
    SINCE_TITLE,
    changes_view,
    coverage_view,
    normalize_zip,
    package_version,
    pct,
    run_datetime,
    theme_by_type,
)
from pipeline.tables import COUNTING_NOTES, Tables, provenance_line, top_quotes

_XML_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
#: Longest cell text in a table before it is cut (the full text is in the xlsx).
CELL_WIDTH = 160
#: Width of the text between the margins (A4, 2 cm margins), inches.
TEXT_WIDTH = 6.65


def _t(value: object, *, width: int | None = None) -> str:
    text = _XML_ILLEGAL.sub("", "" if value is None else str(value))
    if width and len(text) > width:
        text = text[: width - 1].rsplit(" ", 1)[0] + "…"
    return text


def add_table(
    doc: object,
    df: pd.DataFrame,
    headers: list[str],
    *,
    numeric: set[int],
    widths: list[float] | None = None,
) -> DocxTable:
    """A plain grid table with a bold header row; columns in ``numeric`` right-aligned.

    ``widths`` are column widths in inches (default: the text width shared out,
    numeric columns narrow).
    """
    table = doc.add_table(rows=1, cols=len(headers))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.autofit = False
    header = table.rows[0]._tr.get_or_add_trPr()  # repeat the header row on every page
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header.append(repeat)
    for cell, head in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(_t(head))
        run.bold = True
    for row in itertuples(df, index=False):
        cells = table.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, row, strict=True)):
            cell.text = _t(value, width=CELL_WIDTH)
            if i in numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if widths is None:
        weights = [0.6 if i in numeric else 1.4 for i in range(len(headers))]
        widths = [TEXT_WIDTH * w / sum(weights) for w in weights]
    for i, width in enumerate(widths):
        table.columns[i].width = Inches(width)
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            cell.width = Inches(widths[i])
            for par in cell.paragraphs:
                for run in par.runs:
                    run.font.size = Pt(9)
    return table


def _coverage_frame(coverage: pd.DataFrame) -> tuple[pd.DataFrame, list[str], set[int]]:
    df = coverage_view(coverage)
    for col in df.columns:
        if "share" in col or col.endswith("_pct"):
            df[col] = df[col].map(lambda v: pct(float(v)))
    numeric = {i for i, c in enumerate(df.columns) if pd.api.types.is_numeric_dtype(df[c])}
    return df, [str(c) for c in df.columns], numeric


def build_docx(tables: Tables) -> bytes:
    """The Word briefing as bytes (reproducible: no current time inside)."""
    doc = Document()
    when = run_datetime(tables)
    props = doc.core_properties
    props.title = "Safeguarding briefing"
    props.author = "safeguarding-pipeline"
    props.last_modified_by = "safeguarding-pipeline"
    props.comments = f"Made by safeguarding-pipeline {package_version()} from the stage outputs."
    props.created = when
    props.modified = when
    props.revision = 1

    for section in doc.sections:  # A4 with 2 cm margins, as UK briefings are printed
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2)
        section.top_margin = section.bottom_margin = Cm(2)
    doc.add_heading("Safeguarding briefing: themes and recommendations", level=0)
    read = int((tables.documents["status"] == "ok").sum())
    dates = sorted(d for d in tables.documents.loc[tables.documents["status"] == "ok", "date"] if d)
    span = f", dated {dates[0]} to {dates[-1]}" if dates else ""
    doc.add_paragraph(
        f"This briefing covers {read} documents{span}. Counts are of passages (numbered "
        "paragraphs, bullets and table rows as printed); every figure can be traced to its "
        "quotes in the evidence sheet of briefing.xlsx."
    )
    for note in tables.notes:
        doc.add_paragraph(_t(note), style="List Bullet")

    doc.add_heading(SINCE_TITLE, level=1)
    intro, changes = changes_view(tables)
    doc.add_paragraph(_t(intro))
    if len(changes):
        add_table(doc, changes, list(changes.columns), numeric=set())

    doc.add_heading("Themes", level=1)
    themes = theme_by_type(tables)
    if themes.empty:
        doc.add_paragraph("No theme is counted yet.")
    else:
        types = [
            c
            for c in themes.columns
            if c not in {"theme", "label", "passages_tagged", "documents", "share"}
        ]
        view = themes[["label", "passages_tagged", "documents", "share", *types]].copy()
        view["share"] = view["share"].map(pct)
        rest = (TEXT_WIDTH - 1.7) / (3 + len(types))
        add_table(
            doc,
            view,
            ["Theme", "Passages", "Documents", "Share", *[f"In {t}" for t in types]],
            numeric=set(range(1, 4 + len(types))),
            widths=[1.7] + [rest] * (3 + len(types)),
        )
        doc.add_paragraph(
            "Passages: passages raising the theme. Documents: documents with at least one. "
            "Share: of all passages read. In <type>: passages in documents of that type "
            "(review, minutes, report, ...)."
        ).runs[0].italic = True

    doc.add_heading("Recommendation coverage", level=1)
    if tables.recommendation_coverage is None:
        doc.add_paragraph("The recommendation coverage table is not available in this run.")
    elif tables.recommendation_coverage.empty:
        doc.add_paragraph("No recommendations were found in this run.")
    else:
        df, headers, numeric = _coverage_frame(tables.recommendation_coverage)
        widths = None
        if headers[: len(COVERAGE_VIEW)] == list(COVERAGE_VIEW.values()):
            # short headings: the page is narrow
            extra = headers[len(COVERAGE_VIEW) :]
            headers = ["Review", "No.", "Recommendation", "Passages", "Docs", "First", "Last"]
            headers += ["Latest status", *extra]
            widths = [0.85, 0.44, 1.34, 0.8, 0.5, 0.9, 0.9, 0.92]
            if extra:  # the response's stance: narrower date and recommendation columns
                widths = [0.8, 0.4, 1.1, 0.65, 0.45, 0.8, 0.8, 0.8, 0.85]
        add_table(doc, df, headers, numeric=numeric, widths=widths)
        if widths:
            doc.add_paragraph(
                "Passages and Docs: later passages and documents that report on the "
                "recommendation. First and Last: the dates of the first and last of those "
                "documents. Latest status: as the most recent of them states it."
                + (
                    " Response: the stance of the response that answers it, read over its "
                    "whole reply."
                    if len(headers) > len(COVERAGE_VIEW)
                    else ""
                )
            ).runs[0].italic = True

    doc.add_heading("Actions from minutes", level=1)
    acts = tables.actions
    if acts.empty:
        doc.add_paragraph("No action lines were found in the minutes.")
    else:
        view = acts[["title", "date", "item", "owner", "due", "due_context"]]
        add_table(
            doc,
            view,
            ["Meeting", "Date", "Item", "Owner", "Due", "Where the due date is stated"],
            numeric=set(),
            widths=[1.75, 0.85, 0.5, 1.35, 0.9, 1.3],
        )

    doc.add_heading("What the documents say: strongest quotes by theme", level=1)
    quotes = top_quotes(tables.evidence, n=3)
    if quotes.empty:
        doc.add_paragraph("No quotes yet.")
    for _theme, grp in quotes.groupby("theme", sort=False):
        doc.add_heading(_t(grp["label"].iloc[0]), level=2)
        for q in itertuples(grp, index=False):
            doc.add_paragraph(f"“{_t(q.quote)}”", style="Quote")
            source = doc.add_paragraph()
            run = source.add_run("— " + _t(provenance_line(q._asdict())))
            run.italic = True
            run.font.size = Pt(9)

    doc.add_heading("How counts were made", level=1)
    for note in COUNTING_NOTES:
        doc.add_paragraph(note, style="List Bullet")
    if len(tables.unread):
        doc.add_paragraph("Documents not counted:")
        for r in itertuples(tables.unread):
            doc.add_paragraph(_t(f"{r.path}: {r.status} {r.error}".strip()), style="List Bullet")

    buf = io.BytesIO()
    doc.save(buf)
    return normalize_zip(buf.getvalue(), when=when)

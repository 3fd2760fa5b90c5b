"""Theme tables: per document, per theme across documents, per period; the theme catalogue."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.counting import counted_tags
from pipeline.frames import itertuples
from pipeline.tables.common import (
    column_dtype,
    share,
    typed,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ThemeInfo:
    """One theme of the codebook as the briefings show it."""

    id: str
    label: str
    description: str = ""


def humanize_theme(theme_id: str) -> str:
    """A readable label for a theme id that the codebook does not describe.

    >>> humanize_theme("voice_of_child")
    'Voice of child'
    """
    words = theme_id.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def theme_infos(path: str | Path | None = None) -> list[ThemeInfo]:
    """The codebook's themes (the default one, or the YAML at ``path``) in codebook
    order, or ``[]`` where the theme tagger (``pipeline.themes``) is not installed."""
    try:
        from pipeline.themes import codebook as cb
    except ImportError:
        return []
    try:  # labels only: the tagger checks the patterns, the tables need not load spaCy
        book = cb.load_codebook(path or None, check_patterns=False)
    except Exception as exc:  # a broken codebook must not stop the tables
        log.warning("codebook could not be loaded for labels: %s", exc)
        return []
    themes = getattr(book, "themes", book)
    out = []
    for theme in themes:
        get = theme.get if isinstance(theme, dict) else lambda k, t=theme: getattr(t, k, "")
        tid = str(get("id") or "")
        if tid:
            out.append(
                ThemeInfo(
                    tid, str(get("label") or humanize_theme(tid)), str(get("description") or "")
                )
            )
    return out


def theme_catalog(themes: pd.DataFrame, codebook: Sequence[ThemeInfo] = ()) -> list[ThemeInfo]:
    """Themes to report on: the codebook's, in its order, then any other theme id
    found in ``themes`` (sorted), labelled from its id."""
    out = list(codebook)
    known = {t.id for t in out}
    extra = sorted(set(themes["theme"].astype(str)) - known) if len(themes) else []
    out.extend(ThemeInfo(t, humanize_theme(t)) for t in extra if t)
    return out


def readable_documents(documents: pd.DataFrame) -> pd.DataFrame:
    """Documents that were read (``status == "ok"``): dated ones by date, then undated."""
    docs = documents[documents["status"] == "ok"].copy()
    docs["_undated"] = docs["date"] == ""
    docs = docs.sort_values(["_undated", "date", "doc_id"], kind="stable")
    return docs.drop(columns="_undated").reset_index(drop=True)


def theme_order(catalog: Sequence[ThemeInfo]) -> dict[str, int]:
    return {t.id: i for i, t in enumerate(catalog)}


def theme_by_document(
    documents: pd.DataFrame,
    passages: pd.DataFrame,
    themes: pd.DataFrame,
    *,
    catalog: Sequence[ThemeInfo] | None = None,
    include_negated: bool = False,
) -> pd.DataFrame:
    """Documents x themes: passages tagged with each theme and their share of the document.

    One row per (readable document, catalogued theme), zeros included, so the
    table is the complete matrix. Columns: ``doc_id, title, doc_type, date,
    theme, label, passages_tagged, passages_in_doc, share`` (0 to 1).
    """
    catalog = list(catalog) if catalog is not None else theme_catalog(themes)
    docs = readable_documents(documents)
    cols = [
        "doc_id",
        "title",
        "doc_type",
        "date",
        "theme",
        "label",
        "passages_tagged",
        "passages_in_doc",
        "share",
    ]
    if docs.empty or not catalog:
        return pd.DataFrame({c: pd.Series([], dtype=column_dtype(c)) for c in cols})
    totals = passages.groupby("doc_id")["passage_id"].nunique()
    tags = counted_tags(themes, include_negated=include_negated)
    tagged = tags.groupby(["doc_id", "theme"])["passage_id"].nunique()
    rows = []
    for doc in itertuples(docs, index=False):
        total = int(totals.get(doc.doc_id, 0))
        for theme in catalog:
            n = int(tagged.get((doc.doc_id, theme.id), 0))
            rows.append(
                {
                    "doc_id": doc.doc_id,
                    "title": doc.title,
                    "doc_type": doc.doc_type,
                    "date": doc.date,
                    "theme": theme.id,
                    "label": theme.label,
                    "passages_tagged": n,
                    "passages_in_doc": total,
                    "share": share(n, total),
                }
            )
    return typed(pd.DataFrame(rows, columns=cols))


def theme_summary(
    documents: pd.DataFrame,
    passages: pd.DataFrame,
    themes: pd.DataFrame,
    *,
    catalog: Sequence[ThemeInfo] | None = None,
    include_negated: bool = False,
    by_document: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per theme over the whole corpus, in codebook order.

    Columns: ``theme, label, passages_tagged, documents`` (documents with at least
    one tagged passage), ``share`` (tagged passages / all passages of readable
    documents), ``first_date, last_date`` (of the dated documents that raise it).
    """
    by_doc = by_document
    if by_doc is None:  # (``build_tables`` passes the one it computed for the same arguments)
        by_doc = theme_by_document(
            documents, passages, themes, catalog=catalog, include_negated=include_negated
        )
    cols = ["theme", "label", "passages_tagged", "documents", "share", "first_date", "last_date"]
    if by_doc.empty:
        return pd.DataFrame({c: pd.Series([], dtype=column_dtype(c)) for c in cols})
    total = int(by_doc.drop_duplicates("doc_id")["passages_in_doc"].sum())
    rows = []
    for theme, grp in by_doc.groupby("theme", sort=False):
        raised = grp[grp["passages_tagged"] > 0]
        dates = sorted(d for d in raised["date"] if d)
        n = int(grp["passages_tagged"].sum())
        rows.append(
            {
                "theme": theme,
                "label": grp["label"].iloc[0],
                "passages_tagged": n,
                "documents": len(raised),
                "share": share(n, total),
                "first_date": dates[0] if dates else "",
                "last_date": dates[-1] if dates else "",
            }
        )
    return typed(pd.DataFrame(rows, columns=cols))


def theme_by_date(
    documents: pd.DataFrame,
    passages: pd.DataFrame,
    themes: pd.DataFrame,
    *,
    catalog: Sequence[ThemeInfo] | None = None,
    include_negated: bool = False,
    by_document: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Themes over time: dated documents grouped by month (``period`` = ``YYYY-MM``).

    Month, not day, because many documents are dated only to the month. One row
    per (period, theme), zeros included. Columns: ``period, theme, label,
    documents`` (dated documents in the month), ``documents_raising``,
    ``passages_tagged, passages_in_period, share, doc_types, doc_ids``.
    Undated documents are left out (their counts are in ``theme_by_document``).
    """
    by_doc = by_document
    if by_doc is None:  # (``build_tables`` passes the one it computed for the same arguments)
        by_doc = theme_by_document(
            documents, passages, themes, catalog=catalog, include_negated=include_negated
        )
    cols = [
        "period",
        "theme",
        "label",
        "documents",
        "documents_raising",
        "passages_tagged",
        "passages_in_period",
        "share",
        "doc_types",
        "doc_ids",
    ]
    dated = by_doc[by_doc["date"].str.match(r"^\d{4}-\d{2}")] if len(by_doc) else by_doc
    if dated.empty:
        return pd.DataFrame({c: pd.Series([], dtype=column_dtype(c)) for c in cols})
    dated = dated.assign(period=dated["date"].str.slice(0, 7))
    order = {t: i for i, t in enumerate(dict.fromkeys(dated["theme"]))}
    rows = []
    for (period, theme), grp in dated.groupby(["period", "theme"], sort=False):
        n = int(grp["passages_tagged"].sum())
        total = int(grp["passages_in_doc"].sum())
        rows.append(
            {
                "period": period,
                "theme": theme,
                "label": grp["label"].iloc[0],
                "documents": int(grp["doc_id"].nunique()),
                "documents_raising": int((grp["passages_tagged"] > 0).sum()),
                "passages_tagged": n,
                "passages_in_period": total,
                "share": share(n, total),
                "doc_types": ";".join(sorted(set(grp["doc_type"]))),
                "doc_ids": ";".join(sorted(set(grp["doc_id"]))),
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    out["_o"] = out["theme"].map(order)
    out = out.sort_values(["period", "_o"], kind="stable").drop(columns="_o")
    return typed(out.reset_index(drop=True))

"""Helpers the notebooks call: load a run's outputs, look at themes, trace recommendations.

The notebooks in ``notebooks/`` stay short by calling these; everything here is
also usable from a Python prompt::

    from pipeline import explore
    t = explore.load()                      # $SGPIPE_OUTPUT, else data/processed
    explore.filter_evidence(t, doc_type="minutes", theme="police")
    explore.recommendation_timeline(t, "Child L")
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from pipeline.recnumbers import number_key
from pipeline.report import charts
from pipeline.report.common import headline, theme_matrix
from pipeline.tables import Tables, build_tables, provenance_line, top_quotes

#: Environment variable naming the output folder the notebooks read.
OUTPUT_ENV = "SGPIPE_OUTPUT"
DEFAULT_OUTPUT = Path("data/processed")


def output_dir(folder: str | os.PathLike[str] | None = None) -> Path:
    """The output folder to read: ``folder``, else ``$SGPIPE_OUTPUT``, else
    ``data/processed`` (looked for from the current folder and its parent, so a
    notebook started in ``notebooks/`` finds it)."""
    if folder is not None:
        return Path(folder)
    if os.environ.get(OUTPUT_ENV):
        return Path(os.environ[OUTPUT_ENV])
    for base in (Path.cwd(), Path.cwd().parent):
        if (base / DEFAULT_OUTPUT / "documents.parquet").exists():
            return base / DEFAULT_OUTPUT
    return DEFAULT_OUTPUT


def load(folder: str | os.PathLike[str] | None = None) -> Tables:
    """Every table of a run (see :class:`pipeline.tables.Tables`)."""
    path = output_dir(folder)
    if not (path / "documents.parquet").exists():
        raise FileNotFoundError(
            f"no pipeline outputs in {path}: run `make all` (or set {OUTPUT_ENV})"
        )
    return build_tables(path)


def overview(tables: Tables) -> pd.DataFrame:
    """The headline figures as a two-column table."""
    return pd.DataFrame(headline(tables), columns=["what", "value"])


def heatmap_table(tables: Tables, *, value: str = "passages_tagged") -> pd.DataFrame:
    """Themes x documents (``passages_tagged`` or ``share``), themes raised somewhere only."""
    return theme_matrix(tables, value=value)


def heatmap_svg(tables: Tables) -> str | None:
    """The report's theme x document heatmap, as SVG text (``None`` if empty)."""
    return charts.heatmap_svg(tables.theme_by_document, tables.catalog)


def show_svg(svg: str | None, empty: str = "Nothing to draw yet.") -> object:
    """An object a notebook displays: the SVG, or a short note when there is none."""
    from IPython.display import SVG, Markdown

    return SVG(svg) if svg else Markdown(f"*{empty}*")


def _with_source(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(source=[provenance_line(r) for r in df.to_dict("records")])


def top_evidence(tables: Tables, *, n: int = 3, theme: str | None = None) -> pd.DataFrame:
    """The ``n`` strongest quotes per theme (or for one theme), with a source line."""
    top = top_quotes(tables.evidence, n=n)
    if theme is not None:
        top = top[top["theme"] == theme]
    cols = ["label", "score", "method", "evidence", "quote", "source"]
    if top.empty:
        return pd.DataFrame(columns=cols)
    return _with_source(top)[cols].reset_index(drop=True)


def doc_types(tables: Tables) -> list[str]:
    """Document types present among the evidence, sorted."""
    return sorted({t for t in tables.evidence["doc_type"] if t})


def speakers(tables: Tables) -> pd.Series:
    """Speakers of tagged passages, with how many counted tags each, most first."""
    ev = tables.evidence
    ev = ev[(ev["kind"] == "theme") & ev["counted"] & (ev["speaker"] != "")]
    counts = ev["speaker"].value_counts()
    return counts.sort_index().sort_values(ascending=False, kind="stable")


def filter_evidence(
    tables: Tables,
    *,
    theme: str | None = None,
    doc_type: str | None = None,
    speaker: str | None = None,
    counted_only: bool = True,
) -> pd.DataFrame:
    """Theme evidence narrowed by theme id, document type and/or speaker."""
    ev = tables.evidence[tables.evidence["kind"] == "theme"]
    if counted_only:
        ev = ev[ev["counted"]]
    if theme is not None:
        ev = ev[ev["theme"] == theme]
    if doc_type is not None:
        ev = ev[ev["doc_type"] == doc_type]
    if speaker is not None:
        ev = ev[ev["speaker"] == speaker]
    cols = ["label", "score", "speaker", "evidence", "quote", "source"]
    if ev.empty:
        return pd.DataFrame(columns=cols)
    return _with_source(ev)[cols].reset_index(drop=True)


def reviews(tables: Tables) -> list[str]:
    """Reviews with recommendations, the one with most recommendations first."""
    counts = tables.recommendations["review"].value_counts()
    return sorted(counts.index, key=lambda r: (-counts[r], r))


def recommendations(tables: Tables, review: str) -> pd.DataFrame:
    """The review's recommendations in number order, with how many later passages
    are linked to each (the linking stage's coverage table, where installed, says
    more: see :func:`coverage`)."""
    recs = tables.recommendations[tables.recommendations["review"] == review]
    recs = recs.assign(_n=recs["number"].map(number_key)).sort_values(["_n", "rec_id"])
    linked = tables.links["rec_id"].value_counts()
    out = recs.assign(mentions=[int(linked.get(r, 0)) for r in recs["rec_id"]])
    cols = ["number", "text", "addressees", "mentions", "rec_id"]
    return out[cols].rename(columns={"text": "recommendation"}).reset_index(drop=True)


def coverage(tables: Tables, review: str) -> pd.DataFrame | None:
    """The linking stage's coverage table for one review, or ``None`` where it is
    not available."""
    cov = tables.recommendation_coverage
    if cov is None:
        return None
    if "review" in cov.columns:
        return cov[cov["review"] == review].reset_index(drop=True)
    return cov


def recommendation_timeline(tables: Tables, review: str) -> pd.DataFrame:
    """Every later passage linked to one of the review's recommendations, by
    recommendation and date: status, quote and source."""
    ev = tables.evidence
    ev = ev[(ev["kind"] == "link") & (ev["review"] == review)]
    cols = ["number", "date", "status", "quote", "source", "rec_id", "doc_id"]
    if ev.empty:
        return pd.DataFrame(columns=cols)
    ev = _with_source(ev).assign(_n=ev["number"].map(number_key), _undated=ev["date"] == "")
    ev = ev.sort_values(["_n", "_undated", "date", "doc_id"], kind="stable")
    return ev[cols].reset_index(drop=True)


def timeline_svg(tables: Tables, review: str) -> str | None:
    """The report's recommendation timeline, for one review."""
    recs = tables.recommendations[tables.recommendations["review"] == review]
    return charts.timeline_svg(
        recs, tables.evidence, tables.documents, traced="links" in tables.present
    )


def silent_recommendations(tables: Tables, review: str) -> pd.DataFrame:
    """The review's recommendations that no later passage reports on."""
    recs = recommendations(tables, review)
    return recs[recs["mentions"] == 0][["number", "recommendation", "addressees"]].reset_index(
        drop=True
    )

"""All tables of a run built at once (:class:`Tables`), written to ``<output>/tables/``
with their notes; the tables stage."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import schema, store
from pipeline.frames import itertuples
from pipeline.tables.actions import actions
from pipeline.tables.common import (
    TABLES_DIR,
)
from pipeline.tables.evidence import evidence
from pipeline.tables.themes import (
    ThemeInfo,
    theme_by_date,
    theme_by_document,
    theme_catalog,
    theme_infos,
    theme_summary,
)

log = logging.getLogger(__name__)


def recommendation_coverage(
    recommendations: pd.DataFrame,
    links: pd.DataFrame,
    passages: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    cache_dir: Path | None = None,
) -> tuple[pd.DataFrame | None, str]:
    """``pipeline.tracing.coverage.coverage`` where the tracing stage is installed: ``(table, "")``;
    else ``(None, reason)``. This module does not compute coverage itself. ``cache_dir``:
    where the replies' readings are kept across runs."""
    try:
        from pipeline.tracing.coverage import coverage
    except ImportError:
        return None, (
            "Recommendation coverage is not available: the tracing stage (pipeline.tracing) "
            "is not installed, so recommendation_coverage.csv was not written."
        )
    return coverage(recommendations, links, passages, documents, cache_dir=cache_dir), ""


@dataclass
class Tables:
    """Every table of a run, computed from the stage outputs, plus what a reader
    must know to trust them (``notes``)."""

    documents: pd.DataFrame
    passages: pd.DataFrame
    themes: pd.DataFrame
    recommendations: pd.DataFrame
    links: pd.DataFrame
    catalog: list[ThemeInfo]
    theme_summary: pd.DataFrame
    theme_by_document: pd.DataFrame
    theme_by_date: pd.DataFrame
    recommendation_coverage: pd.DataFrame | None
    actions: pd.DataFrame
    evidence: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: Names of the stage outputs found in the folder ("themes", "links", ...).
    present: frozenset[str] = frozenset()
    #: What changed since the last run (``changes.parquet``, :mod:`pipeline.changes`),
    #: or ``None`` when no run has compared itself with a previous one here.
    changes: pd.DataFrame | None = None

    def csv_tables(self) -> dict[str, pd.DataFrame]:
        """The tables written to ``tables/``, by file stem, in briefing order."""
        out = {} if self.changes is None else {"changes": self.changes}
        out |= {
            "theme_summary": self.theme_summary,
            "theme_by_document": self.theme_by_document,
            "theme_by_date": self.theme_by_date,
        }
        if self.recommendation_coverage is not None:
            out["recommendation_coverage"] = self.recommendation_coverage
        out["actions"] = self.actions
        out["evidence"] = self.evidence
        return out

    @property
    def unread(self) -> pd.DataFrame:
        """Documents that are not counted (errors, empty files, duplicates)."""
        return self.documents[self.documents["status"] != "ok"]

    @property
    def as_of(self) -> str:
        """The latest document date (ISO), or ``""``: the date the briefing speaks for."""
        dates = [d for d in self.documents.get("date", []) if isinstance(d, str) and d]
        return max(dates) if dates else ""


def build_tables(
    folder: str | Path,
    *,
    codebook: Sequence[ThemeInfo] | None = None,
    include_negated: bool = False,
    cache_dir: Path | None = None,
) -> Tables:
    """Read the stage outputs in ``folder`` and compute every table. ``cache_dir``: where
    the replies' readings are kept across runs (the ``tables`` stage passes
    ``<output>/.cache``; readers of a folder pass nothing and write nothing)."""
    folder = Path(folder)
    documents = store.read_table(schema.DOCUMENTS, folder)
    passages = store.read_table(schema.PASSAGES, folder)
    themes = store.read_table(schema.THEMES, folder)
    recommendations = store.read_table(schema.RECOMMENDATIONS, folder)
    links = store.read_table(schema.LINKS, folder)
    notes = []
    present = frozenset(t.name for t in schema.TABLES.values() if (folder / t.filename).exists())
    if "themes" not in present:
        notes.append(
            "themes.parquet not found: the theme stage has not run, so no theme is counted."
        )
    if "recommendations" in present and "links" not in present:
        notes.append(
            "links.parquet not found: the linking stage has not run, so no later mention "
            "of a recommendation is traced."
        )
    catalog = theme_catalog(themes, theme_infos() if codebook is None else codebook)
    kw: dict[str, Any] = {"catalog": catalog, "include_negated": include_negated}
    by_doc = theme_by_document(documents, passages, themes, **kw)
    coverage, reason = recommendation_coverage(
        recommendations, links, passages, documents, cache_dir=cache_dir
    )
    if reason:
        notes.append(reason)
    changes = store.read_table(schema.CHANGES, folder) if "changes" in present else None
    return Tables(
        changes=changes,
        documents=documents,
        passages=passages,
        themes=themes,
        recommendations=recommendations,
        links=links,
        catalog=catalog,
        theme_summary=theme_summary(documents, passages, themes, by_document=by_doc, **kw),
        theme_by_document=by_doc,
        theme_by_date=theme_by_date(documents, passages, themes, by_document=by_doc, **kw),
        recommendation_coverage=coverage,
        actions=actions(documents, passages),
        evidence=evidence(documents, passages, themes, recommendations, links, **kw),
        notes=notes,
        present=present,
    )


#: What each table holds and how it was counted: tables/README.md, the xlsx read_me.
TABLE_NOTES: dict[str, str] = {
    "changes": (
        "Since the last briefing: what changed since the previous run (or the snapshot "
        "named by --since): new and removed documents, recommendations with a new or "
        "changed status (old -> new, with the quote and page), first mentions, "
        "recommendations gone silent, theme counts that moved. The first row says what "
        "was compared with."
    ),
    "theme_summary": (
        "One row per theme: passages tagged with it across all documents, how many "
        "documents raise it, its share of all passages, and the first and last dates "
        "of the documents that raise it."
    ),
    "theme_by_document": (
        "Documents x themes: passages of each document tagged with each theme "
        "(passages_tagged), all passages of the document (passages_in_doc) and the "
        "share. Every pair is listed, zeros included."
    ),
    "theme_by_date": (
        "Themes over time: dated documents grouped by month (period). Sum "
        "passages_tagged over periods to get a theme's total in dated documents."
    ),
    "recommendation_coverage": (
        "Each recommendation: whether, when and how later documents report on it "
        "(from the linking stage), and the stance of the reply that answers it "
        "(accept, partial, reject, noted; read over the whole reply) with the "
        "sentence that decides it and its page; progress is a separate column."
    ),
    "actions": (
        "Action lines in minutes ('Action: ...'): the owner, the minute they belong "
        "to, and a due date found in the action or the paragraph before it."
    ),
    "evidence": (
        "The audit trail: every theme tag and recommendation link with its quote, "
        "document, page, paragraph number and speaker. Rows with counted = False "
        "(negated tags) are not in any count."
    ),
}

COUNTING_NOTES = [
    "The unit counted is a passage: a numbered paragraph, bullet, heading or table row "
    "as printed. A passage that raises a theme several times counts once.",
    "Share = passages tagged with the theme / all passages of the document(s).",
    "Tags marked negated (the passage says the theme is absent) are listed in evidence "
    "with counted = False and left out of every count.",
    "Only documents read successfully are counted; documents that could not be read "
    "are listed below.",
]


def tables_markdown_readme(tables: Tables, written: Iterable[str]) -> str:
    """``tables/README.md``: what each CSV holds and how the counts were made."""
    lines = ["# Tables", "", "Written by `sgpipe tables` from the stage outputs.", ""]
    lines += [f"- `{name}.csv`: {TABLE_NOTES[name]}" for name in written]
    lines += ["", "## How counts were made", ""]
    lines += [f"- {n}" for n in COUNTING_NOTES]
    lines += [f"- {n}" for n in tables.notes]
    unread = tables.unread
    if len(unread):
        lines += ["", "## Documents not counted", ""]
        lines += [f"- {r.path}: {r.status} {r.error}".rstrip() for r in itertuples(unread)]
    return "\n".join(lines) + "\n"


def write_tables(tables: Tables, out_dir: str | Path) -> list[Path]:
    """Write every CSV table and ``README.md`` to ``out_dir``; remove a stale
    ``recommendation_coverage.csv`` when coverage could not be computed."""
    out_dir = Path(out_dir)
    written = []
    csvs = tables.csv_tables()
    for name, df in csvs.items():
        written.append(store.write_csv(df, out_dir / f"{name}.csv"))
    stale = out_dir / "recommendation_coverage.csv"
    if tables.recommendation_coverage is None and stale.exists():
        stale.unlink()
        log.info("removed stale %s", stale)
    written.append(store.write_text(tables_markdown_readme(tables, csvs), out_dir / "README.md"))
    return written


def run_codebook(cfg: Any) -> list[ThemeInfo] | None:
    """The themes of the codebook the run tagged with (``cfg.themes.codebook``, when
    the run names one), else ``None`` (the default codebook)."""
    path = getattr(getattr(cfg, "themes", None), "codebook", None)
    return theme_infos(path) if path else None


#: The tables last built by :func:`tables_stage` in this process, with the signature of
#: the stage outputs they were built from (see :func:`stage_tables`).
_LAST_BUILT: tuple[tuple[Any, ...], Tables] | None = None


def _outputs_signature(folder: Path, codebook: Sequence[ThemeInfo] | None) -> tuple[Any, ...]:
    """What the tables depend on: each stage output's identity (inode, size, modification
    time; an output is always replaced by a rename, never edited in place) and the
    codebook."""
    sig: list[Any] = [str(folder.resolve())]
    for table in schema.TABLES.values():
        try:
            st = (folder / table.filename).stat()
            sig.append((table.name, st.st_ino, st.st_size, st.st_mtime_ns))
        except OSError:
            sig.append((table.name, None))
    sig.append(None if codebook is None else tuple(codebook))
    return tuple(sig)


def stage_tables(folder: str | Path, *, codebook: Sequence[ThemeInfo] | None = None) -> Tables:
    """:func:`build_tables` for the briefing stages: when the ``tables`` stage of this
    process built the tables from the same stage outputs (``sgpipe run`` runs ``tables``
    then ``report``), those are returned instead of being computed again."""
    folder = Path(folder)
    if _LAST_BUILT is not None and _LAST_BUILT[0] == _outputs_signature(folder, codebook):
        return _LAST_BUILT[1]
    return build_tables(folder, codebook=codebook)


def tables_stage(cfg: Any) -> Tables:
    """The ``tables`` stage: read the stage outputs of ``cfg.output_dir``, write ``tables/``."""
    global _LAST_BUILT
    out = Path(cfg.output_dir)
    codebook = run_codebook(cfg)
    signature = _outputs_signature(out, codebook)
    tables = build_tables(out, codebook=codebook, cache_dir=out / ".cache")
    _LAST_BUILT = (signature, tables)
    for note in tables.notes:
        log.info("%s", note)
    write_tables(tables, out / TABLES_DIR)
    return tables

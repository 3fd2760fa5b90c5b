"""What every briefing export shares: pivots for pasting, headline figures,
percent formatting, and reproducible ZIP containers (xlsx, docx, qdpx)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime

import pandas as pd

from pipeline.frames import itertuples
from pipeline.report.charts import short_title
from pipeline.tables import Tables

#: Timestamp written into ZIP entries and document properties when the corpus has
#: no dated document: a fixed value, so that exports are reproducible.
EPOCH = datetime(2000, 1, 1)


def package_version() -> str:
    """The installed version of safeguarding-pipeline (``"unknown"`` when not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("safeguarding-pipeline")
    except PackageNotFoundError:
        return "unknown"


def pct(value: float, *, digits: int = 1) -> str:
    """A share as a percentage for text exports.

    >>> pct(0.125)
    '12.5%'
    >>> pct(0)
    '0%'
    """
    if not value:
        return "0%"
    return f"{value * 100:.{digits}f}%"


def doc_labels(tables: Tables, *, width: int = 32) -> dict[str, str]:
    """A short, unique column label per document: its title (cut) and date."""
    docs = tables.theme_by_document.drop_duplicates("doc_id")
    out: dict[str, str] = {}
    for r in itertuples(docs):
        label = short_title(r.title, r.date, width=width).replace("\n", " (") + ")"
        while label in out.values():
            label = f"{label} [{r.doc_id}]"
        out[r.doc_id] = label
    return out


def theme_matrix(tables: Tables, *, value: str = "passages_tagged") -> pd.DataFrame:
    """Themes (rows, by label, codebook order) x documents (columns): for pasting.

    Only themes raised somewhere are kept, plus a ``Total`` column.
    """
    tbd = tables.theme_by_document
    if tbd.empty:
        return pd.DataFrame()
    labels = doc_labels(tables)
    wide = tbd.pivot(index="theme", columns="doc_id", values=value)
    order = [t.id for t in tables.catalog if t.id in wide.index]
    wide = wide.loc[order, list(labels)]
    totals = tbd.groupby("theme")["passages_tagged"].sum()
    wide = wide[totals.loc[order] > 0]
    wide.columns = [labels[c] for c in wide.columns]
    names = {t.id: t.label for t in tables.catalog}
    wide.index = [names.get(t, t) for t in wide.index]
    wide.index.name = "Theme"
    if value == "passages_tagged":
        wide["Total"] = wide.sum(axis=1)
    return wide


def theme_by_type(tables: Tables) -> pd.DataFrame:
    """The theme summary with one column of passage counts per document type."""
    tbd = tables.theme_by_document
    summary = tables.theme_summary
    if summary.empty:
        return pd.DataFrame()
    by_type = tbd.pivot_table(
        index="theme", columns="doc_type", values="passages_tagged", aggfunc="sum", fill_value=0
    )
    out = summary[summary["passages_tagged"] > 0][
        ["theme", "label", "passages_tagged", "documents", "share"]
    ]
    out = out.join(by_type, on="theme")
    return out.reset_index(drop=True)


#: The linking stage's coverage columns a briefing shows, and their headings.
COVERAGE_VIEW = {
    "review": "Review",
    "number": "No.",
    "short_text": "Recommendation",
    "linked_passages": "Passages",
    "linked_documents": "Documents",
    "first_mentioned": "First mentioned",
    "last_mentioned": "Last mentioned",
    "latest_status": "Latest status",
}
STATUS_WORDS = {
    "completed": "completed",
    "in_progress": "in progress",
    "planned": "planned",
    "not_accepted": "not accepted",
    "on_hold": "on hold",
    "not_started": "not started",
    "accepted": "accepted",
    "partially_accepted": "partially accepted",
    "accepted_in_principle": "accepted in principle",
    "noted": "noted",
}
#: The heading of the response's stance towards a recommendation (coverage ``stance_status``,
#: read over the whole reply), shown after the latest status where a response answers.
RESPONSE_HEADING = "Response"


def coverage_view(coverage: pd.DataFrame) -> pd.DataFrame:
    """The coverage table as a briefing shows it: the columns of :data:`COVERAGE_VIEW`
    under readable headings, statuses in words, silent recommendations said so.

    A coverage table without those columns is shown as it is.
    """
    if not set(COVERAGE_VIEW) <= set(coverage.columns):
        return coverage
    view = coverage[list(COVERAGE_VIEW)].copy()
    status = view["latest_status"].map(lambda s: STATUS_WORDS.get(s, s or "no status stated"))
    if "silent" in coverage.columns:
        status = status.where(~coverage["silent"].astype(bool), "silent: no later mention")
    view["latest_status"] = status
    view = view.rename(columns=COVERAGE_VIEW)
    if "stance_status" in coverage.columns and coverage["stance_status"].fillna("").ne("").any():
        view[RESPONSE_HEADING] = [
            STATUS_WORDS.get(s, str(s).replace("_", " ")) if isinstance(s, str) else ""
            for s in coverage["stance_status"]
        ]
    return view.reset_index(drop=True)


def headline(tables: Tables) -> list[tuple[str, str]]:
    """The figures a briefing opens with: (what, how many)."""
    docs = tables.documents
    counted = tables.evidence[(tables.evidence["kind"] == "theme") & tables.evidence["counted"]]
    raised = int((tables.theme_summary["passages_tagged"] > 0).sum())
    read = int((docs["status"] == "ok").sum())
    dated = docs.loc[docs["status"] == "ok", "date"]
    span = sorted(d for d in dated if d)
    out = [
        ("Documents read", str(read)),
        ("Documents not read", str(len(tables.unread))),
        ("Passages", str(len(tables.passages))),
        ("Theme tags counted", str(len(counted))),
        ("Themes raised", f"{raised} of {len(tables.catalog)}"),
        ("Recommendations", str(len(tables.recommendations))),
        ("Passages linked to a recommendation", str(tables.links["passage_id"].nunique())),
    ]
    if span:
        out.insert(2, ("Dated from", f"{span[0]} to {span[-1]}"))
    return out


def run_datetime(tables: Tables) -> datetime:
    """The date the briefing speaks for (the latest document date), else :data:`EPOCH`.

    Used for document properties instead of the current time, so two runs over the
    same outputs give the same file.
    """
    as_of = tables.as_of
    try:
        return datetime.fromisoformat(as_of[:10]) if as_of else EPOCH
    except ValueError:
        return EPOCH


_CORE_TIME = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def write_zip(entries: Iterable[tuple[str, bytes]], *, when: datetime = EPOCH) -> bytes:
    """A ZIP of ``(path, body)`` entries in that order, each stamped with ``when``
    (deflated, mode 644): the bytes depend only on the content and ``when``."""
    if when.year < 1980:  # the earliest time a ZIP entry can carry
        when = EPOCH
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for path, body in entries:
            fixed = zipfile.ZipInfo(path, date_time=when.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, body)
    return out.getvalue()


def normalize_zip(data: bytes, *, when: datetime = EPOCH) -> bytes:
    """Rewrite a ZIP (xlsx, docx) with fixed entry times and core-property dates.

    Entry order and contents are kept, except that ``docProps/core.xml``'s created
    and modified dates become ``when``. The result depends only on the content.
    """
    if when.year < 1980:
        when = EPOCH
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()

    def entries() -> Iterator[tuple[str, bytes]]:
        with zipfile.ZipFile(io.BytesIO(data)) as src:
            for info in src.infolist():
                body = src.read(info.filename)
                if info.filename == "docProps/core.xml":
                    body = _CORE_TIME.sub(rb"\g<1>" + stamp + rb"\g<2>", body)
                yield info.filename, body

    return write_zip(entries(), when=when)


# --------------------------------------------------------------------------- changes

SINCE_TITLE = "Since the last briefing"
#: How each kind of change (``changes.parquet``, column ``change``) is named in a briefing.
CHANGE_WORDS = {
    "new_document": "New document",
    "removed_document": "Document no longer in the corpus",
    "status_changed": "Status changed",
    "first_mention": "First mention",
    "silent": "Gone silent",
    "theme_count": "Theme count moved",
}
CHANGES_VIEW = ["What", "Recommendation, document or theme", "Before", "Now", "Quote", "Where"]


def changes_view(tables: Tables) -> tuple[str, pd.DataFrame]:
    """The "Since the last briefing" section: a sentence saying what this run was
    compared with (or that there was nothing to compare with, or that nothing changed),
    and one row per change under the headings of :data:`CHANGES_VIEW`."""
    empty = pd.DataFrame({c: pd.Series([], dtype="object") for c in CHANGES_VIEW})
    changes = tables.changes
    if changes is None or changes.empty:
        return (
            "No earlier run to compare with: `sgpipe run` compares each run with the last.",
            empty,
        )
    head = changes[changes["change"] == "compared_with"]
    intro = str(head["detail"].iloc[0]) if len(head) else ""
    rows = changes[changes["change"] != "compared_with"]
    if rows.empty and len(head) and "nothing to compare" not in intro:
        intro += " Nothing has changed since then."
    labels = {t.id: t.label for t in tables.catalog}
    out = []
    for r in itertuples(rows, index=False):
        if r.rec_id:
            subject = f"{r.review} recommendation {r.number}"
        elif r.theme:
            subject = labels.get(r.theme, r.theme)
        else:
            subject = r.title or r.doc_id
        where = r.detail
        if r.change in ("status_changed", "first_mention"):
            where = f"{r.title} ({r.date})" + (f", p. {r.page}" if int(r.page) > 0 else "")
        elif r.change in ("new_document", "removed_document"):
            where = f"{r.date}, {r.detail}" if r.date else r.detail
        out.append(
            {
                "What": CHANGE_WORDS.get(r.change, r.change),
                "Recommendation, document or theme": subject,
                "Before": STATUS_WORDS.get(r.old, r.old),
                "Now": STATUS_WORDS.get(r.new, r.new),
                "Quote": r.quote,
                "Where": where,
            }
        )
    return intro, pd.DataFrame(out, columns=CHANGES_VIEW) if out else empty

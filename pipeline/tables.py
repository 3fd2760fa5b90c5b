"""Theme, action and evidence tables: the numbers analysts paste into briefings.

Pure functions turn the stage outputs (documents, passages, themes,
recommendations, links) into the tables below; :func:`tables_stage` writes them
to ``<output>/tables/*.csv``. How the counts are made (also written to
``tables/README.md`` and the ``read_me`` sheet of ``briefing.xlsx``):

* the unit counted is a **passage** (a numbered paragraph, bullet, heading,
  table row, ...): a passage that raises a theme three times counts once;
* a tag marked ``negated`` (the passage says the theme is absent) is listed in
  ``evidence.csv`` with ``counted = False`` and is left out of every count;
* a document's share is its passages tagged with the theme divided by all its
  passages (every kind), so long and short documents can be compared;
* only documents read successfully (``status == "ok"``) are counted.

Every table is sorted and carries no timestamps, so two runs over the same
outputs write the same bytes.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import schema, store
from pipeline.counting import counted_tags
from pipeline.documents import MONTHS
from pipeline.recnumbers import number_key

log = logging.getLogger(__name__)

TABLES_DIR = "tables"
#: Statuses a link may carry, in the order a briefing lists them.
STATUSES = (
    "completed",
    "in_progress",
    "planned",
    "not_accepted",
    "on_hold",
    "not_started",
    "",
)
#: Longest quote kept in full in the evidence table; longer passages are trimmed
#: to the sentences around the evidence.
QUOTE_WIDTH = 400


# --------------------------------------------------------------------------- themes


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


def load_codebook(path: str | Path | None = None) -> list[ThemeInfo]:
    """The codebook's themes (the default one, or the YAML at ``path``) in codebook
    order, or ``[]`` where the theme tagger (``pipeline.themes``) is not installed."""
    try:
        from pipeline.themes import codebook as cb
    except ImportError:
        return []
    loader = getattr(cb, "load_codebook", None)
    if loader is None:
        return []
    try:
        book = loader(path) if path else loader()
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


def _order(catalog: Sequence[ThemeInfo]) -> dict[str, int]:
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
        return pd.DataFrame({c: pd.Series([], dtype=_dtype(c)) for c in cols})
    totals = passages.groupby("doc_id")["passage_id"].nunique()
    tags = counted_tags(themes, include_negated=include_negated)
    tagged = tags.groupby(["doc_id", "theme"])["passage_id"].nunique()
    rows = []
    for doc in docs.itertuples(index=False):
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
                    "share": _share(n, total),
                }
            )
    return _typed(pd.DataFrame(rows, columns=cols))


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
        return pd.DataFrame({c: pd.Series([], dtype=_dtype(c)) for c in cols})
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
                "share": _share(n, total),
                "first_date": dates[0] if dates else "",
                "last_date": dates[-1] if dates else "",
            }
        )
    return _typed(pd.DataFrame(rows, columns=cols))


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
        return pd.DataFrame({c: pd.Series([], dtype=_dtype(c)) for c in cols})
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
                "share": _share(n, total),
                "doc_types": ";".join(sorted(set(grp["doc_type"]))),
                "doc_ids": ";".join(sorted(set(grp["doc_id"]))),
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    out["_o"] = out["theme"].map(order)
    out = out.sort_values(["period", "_o"], kind="stable").drop(columns="_o")
    return _typed(out.reset_index(drop=True))


# --------------------------------------------------------------------------- actions

_ACTION_LABEL = re.compile(
    r"^\s*(?:agreed\s+)?actions?\b\s*(?:\((?P<paren>[^)]{1,60})\))?\s*[:\-–—]?\s*", re.I
)
_OWNER_TASK = re.compile(r"^(?P<owner>[A-Z][^.;:]{1,80}?)\s+to\s+(?P<task>[a-z].*)$", re.S)
_MONTH_RX = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "day",
        re.compile(
            rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH_RX})\.?,?\s+{_YEAR}\b",
            re.I,
        ),
    ),
    (
        "day",
        re.compile(
            rf"\b(?P<month>{_MONTH_RX})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,\s+{_YEAR}\b", re.I
        ),
    ),
    ("day", re.compile(rf"\b{_YEAR}-(?P<month>\d\d)-(?P<day>\d\d)\b")),
    ("day", re.compile(rf"\b(?P<day>\d{{1,2}})/(?P<month>\d{{1,2}})/{_YEAR}\b")),
    ("month", re.compile(rf"\b(?P<month>{_MONTH_RX})\.?\s+{_YEAR}\b", re.I)),
]
_DUE_CUE = re.compile(
    r"\b(?:by|before|until|no later than|deadline|due|in|at|for|during|from|next|update)\s+"
    r"(?:the\s+)?(?:(?:early|mid|late|end of|beginning of|start of)\s+)?(?:the\s+)?$",
    re.I,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass(frozen=True)
class DateMention:
    """A date written in a text: where it stands and what it means."""

    start: int
    end: int
    text: str
    value: str  # ISO yyyy-mm-dd, or yyyy-mm for a month
    cued: bool  # preceded by "by", "in", "before", "deadline", ...


def find_dates(text: str) -> list[DateMention]:
    """Every full date or "Month YYYY" in ``text``, in reading order (no overlaps).

    >>> [d.value for d in find_dates("an update report in January 2023, by 31 March 2023")]
    ['2023-01', '2023-03-31']
    """
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for precision, rx in _DATE_PATTERNS:
        for m in rx.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            month_s = m.group("month")
            month = int(month_s) if month_s.isdigit() else MONTHS.get(month_s.lower().rstrip("."))
            if not month or not 1 <= month <= 12:
                continue
            value = f"{m.group('year')}-{month:02d}"
            if precision == "day":
                day = int(m.group("day"))
                if not 1 <= day <= 31:
                    continue
                value += f"-{day:02d}"
            cued = bool(_DUE_CUE.search(text[max(0, m.start() - 40) : m.start()]))
            found.append(DateMention(m.start(), m.end(), m.group(0), value, cued))
            taken.append((m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)


def sentence_at(text: str, pos: int) -> str:
    """The sentence of ``text`` that contains character ``pos``."""
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() >= pos:
            return text[start : m.start()].strip()
        start = m.end()
    return text[start:].strip()


def find_due(texts: Sequence[str], *, not_before: str = "") -> tuple[str, str, str]:
    """The due date of an action: ``(as_written, value, sentence)`` or empty strings.

    ``texts`` are searched in order (the action line first, then the paragraph
    before it); the first text with a usable date wins. Dates before
    ``not_before`` (the meeting's own date) are history, not deadlines. Within a
    text a date after a cue ("by", "in", "before", "deadline") is preferred, else
    the last date.
    """
    floor = not_before[:7] if not_before else ""
    for text in texts:
        dates = [d for d in find_dates(text) if not floor or d.value[:7] >= floor]
        if not dates:
            continue
        cued = [d for d in dates if d.cued]
        best = cued[-1] if cued else dates[-1]
        return best.text, best.value, sentence_at(text, best.start)
    return "", "", ""


def split_action(text: str) -> tuple[str, str]:
    """``(owner, task)`` of an action line.

    >>> split_action("Action: Director of Children's Social Care")
    ("Director of Children's Social Care", '')
    >>> split_action("ACTION: Head of Service to circulate the protocol")
    ('Head of Service', 'circulate the protocol')
    >>> split_action("Action (Chair): write to the Home Office")
    ('Chair', 'write to the Home Office')
    """
    m = _ACTION_LABEL.match(text)
    rest = text[m.end() :].strip() if m else text.strip()
    if m and m.group("paren"):
        return m.group("paren").strip(), rest.rstrip(".")
    ot = _OWNER_TASK.match(rest)
    if ot and len(ot.group("owner").split()) <= 10:
        return ot.group("owner").strip(), ot.group("task").strip().rstrip(".")
    return rest.rstrip("."), ""


def actions(documents: pd.DataFrame, passages: pd.DataFrame) -> pd.DataFrame:
    """Action lines ("Action: Director of Children's Social Care") with owner and due date.

    Every passage of kind ``action`` in a readable document. The due date is looked
    for in the action line, then in the paragraph just before it ("He asked for an
    update report in January 2023"). Columns: ``doc_id, title, doc_type, date,
    page, item`` (the numbered minute it belongs to), ``owner, task, due,
    due_date`` (ISO date, or ``YYYY-MM`` for a month), ``due_context, action,
    passage_id``.
    """
    cols = [
        "doc_id",
        "title",
        "doc_type",
        "date",
        "page",
        "item",
        "owner",
        "task",
        "due",
        "due_date",
        "due_context",
        "action",
        "passage_id",
    ]
    docs = readable_documents(documents).set_index("doc_id")
    rows = []
    for doc_id, grp in passages[passages["doc_id"].isin(docs.index)].groupby("doc_id"):
        grp = grp.sort_values("seq")
        doc = docs.loc[doc_id]
        texts = grp[grp["kind"] != "heading"]
        for i, p in enumerate(texts.itertuples(index=False)):
            if p.kind != "action":
                continue
            owner, task = split_action(p.text)
            before = texts.iloc[i - 1]["text"] if i > 0 else ""
            due, due_date, context = find_due([p.text, before], not_before=str(doc["date"]))
            rows.append(
                {
                    "doc_id": doc_id,
                    "title": doc["title"],
                    "doc_type": doc["doc_type"],
                    "date": doc["date"],
                    "page": int(p.page),
                    "item": p.parent_ref or p.ref,
                    "owner": owner,
                    "task": task,
                    "due": due,
                    "due_date": due_date,
                    "due_context": context,
                    "action": p.text,
                    "passage_id": p.passage_id,
                    "_seq": int(p.seq),
                }
            )
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=_dtype(c)) for c in cols})
    out = pd.DataFrame(rows)
    out["_undated"] = out["date"] == ""
    out = out.sort_values(["_undated", "date", "doc_id", "_seq"], kind="stable")
    return _typed(out[cols].reset_index(drop=True))


# --------------------------------------------------------------------------- evidence


def parse_spans(value: Any) -> list[tuple[int, int, str]]:
    """``evidence_spans`` (JSON ``[[start, end, text], ...]``) as tuples; ``[]`` when
    absent or malformed."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return []
    try:
        spans = json.loads(value) if isinstance(value, str) else list(value)
    except (TypeError, ValueError):
        return []
    out = []
    for span in spans:
        try:
            start, end = int(span[0]), int(span[1])
            text = str(span[2]) if len(span) > 2 else ""
        except (TypeError, ValueError, IndexError):
            continue
        if 0 <= start < end:
            out.append((start, end, text))
    return out


_EVIDENCE_SPLIT = re.compile(r"\s*(?:;|\||…|\.\.\.)\s*")


def locate_evidence(text: str, evidence: str, spans: Any = None) -> list[tuple[int, int]]:
    """Character ranges of ``text`` that carry a tag's evidence.

    The tagger's ``evidence_spans`` are used where they fit the text; else the
    evidence string is searched for (exactly, then ignoring case, then each of its
    ``;``-separated parts, then allowing any spacing or hyphenation between its
    words). Returns ``[]`` when nothing is found.
    """
    found = []
    for start, end, words in parse_spans(spans):
        if end <= len(text) and (not words or text[start:end].casefold() == words.casefold()):
            found.append((start, end))
        elif words and (hit := _find(text, words)):  # offsets off: trust the words
            found.append(hit)
    if found:
        return sorted(set(found))
    evidence = (evidence or "").strip()
    if not evidence:
        return []
    hit = _find(text, evidence)
    if hit:
        return [hit]
    parts = [p for p in _EVIDENCE_SPLIT.split(evidence) if p]
    if len(parts) > 1:
        hits = [h for h in (_find(text, p) for p in parts) if h]
        if hits:
            return sorted(set(hits))
    return []


def _find(text: str, needle: str) -> tuple[int, int] | None:
    i = text.find(needle)
    if i >= 0:
        return i, i + len(needle)
    i = text.casefold().find(needle.casefold())
    if i >= 0 and len(text.casefold()) == len(text):
        return i, i + len(needle)
    rx = _loose_pattern(needle)
    if rx is None:
        return None
    m = rx.search(text)
    return (m.start(), m.end()) if m else None


@functools.lru_cache(maxsize=16384)
def _loose_pattern(needle: str) -> re.Pattern[str] | None:
    """``needle``'s words with any spacing, punctuation or hyphenation between them
    (compiled once per needle: the tables and the HTML report look up thousands)."""
    words = re.findall(r"\w+", needle)
    if not words:
        return None
    return re.compile(r"[\W_]*".join(re.escape(w) for w in words), re.I)


def trim_quote(text: str, at: int | None = None, *, width: int = QUOTE_WIDTH) -> str:
    """The passage text, or the sentences around character ``at`` when it is long.

    Whole sentences are kept, growing outwards from the one that holds ``at``
    while they fit in ``width`` characters; cut text is marked with ``…``.

    >>> trim_quote("One. Two is here. Three.", 6, width=14)
    '… Two is here. …'
    """
    if len(text) <= width:
        return text
    at = 0 if at is None else max(0, min(at, len(text) - 1))
    bounds = [0, *[m.end() for m in _SENTENCE_END.finditer(text)], len(text)]
    lo = max(i for i in range(len(bounds) - 1) if bounds[i] <= at)
    hi = lo + 1
    while True:
        if hi + 1 < len(bounds) and bounds[hi + 1] - bounds[lo] <= width:
            hi += 1
        elif lo > 0 and bounds[hi] - bounds[lo - 1] <= width:
            lo -= 1
        else:
            break
    start, end = bounds[lo], bounds[hi]
    if end - start > width:  # one very long sentence: a window of words around ``at``
        start = max(start, at - width // 3)
        end = min(end, start + width)
        if start > 0:
            start = text.find(" ", start) + 1 or start
        if end < len(text):
            cut = text.rfind(" ", start, end)
            end = cut if cut > start else end
    quote = text[start:end].strip()
    return ("… " if start > 0 else "") + quote + (" …" if end < len(text) else "")


EVIDENCE_COLUMNS = [
    "kind",
    "theme",
    "label",
    "rec_id",
    "review",
    "number",
    "status",
    "rag",
    "score",
    "method",
    "evidence",
    "counted",
    "negated",
    "quote",
    "doc_id",
    "title",
    "doc_type",
    "date",
    "page",
    "ref",
    "parent_ref",
    "speaker",
    "passage_kind",
    "passage_id",
]


def evidence(
    documents: pd.DataFrame,
    passages: pd.DataFrame,
    themes: pd.DataFrame,
    recommendations: pd.DataFrame,
    links: pd.DataFrame,
    *,
    catalog: Sequence[ThemeInfo] | None = None,
    include_negated: bool = False,
) -> pd.DataFrame:
    """Every theme tag and recommendation link with its quote and provenance.

    The audit trail behind each count: ``kind`` (theme or link), ``theme,
    label`` or ``rec_id, review, number, status, rag`` (the RAG colour the passage
    states, :mod:`pipeline.rag`), ``score, method, evidence``,
    ``counted`` (whether the row is in the counts), ``negated``, ``quote`` (the
    passage, or the sentences around the evidence when it is long), and the
    passage's ``doc_id, title, doc_type, date, page, ref, parent_ref, speaker,
    passage_kind, passage_id``. Sorted by kind, theme or recommendation, date, document, order.
    """
    catalog = list(catalog) if catalog is not None else theme_catalog(themes)
    labels = {t.id: t.label for t in catalog}
    order = _order(catalog)
    prov = _provenances(passages, documents)
    counted_keys = set(
        map(
            tuple,
            counted_tags(themes, include_negated=include_negated)[["passage_id", "theme"]].values,
        )
    )
    rows: list[dict[str, Any]] = []
    has_neg = "negated" in themes.columns
    has_spans = "evidence_spans" in themes.columns
    for t in themes.itertuples(index=False):
        found = prov.get(t.passage_id)
        if found is None:
            continue
        text, where = found
        hits = locate_evidence(
            text, t.evidence, getattr(t, "evidence_spans", None) if has_spans else None
        )
        where = _speaker_at(where, hits[0][0] if hits else None)
        negated = bool(getattr(t, "negated", False)) if has_neg else False
        rows.append(
            {
                "kind": "theme",
                "theme": t.theme,
                "label": labels.get(t.theme, humanize_theme(t.theme)),
                "rec_id": "",
                "review": "",
                "number": "",
                "status": "",
                "rag": "",
                "score": float(t.score),
                "method": t.method,
                "evidence": t.evidence,
                "counted": (t.passage_id, t.theme) in counted_keys and not negated,
                "negated": negated,
                "quote": trim_quote(text, hits[0][0] if hits else None),
                **where,
            }
        )
    recs: dict[str, tuple[Any, Any]] = {}
    if len(recommendations):
        for rec_id, review, number in zip(
            recommendations["rec_id"],
            recommendations["review"],
            recommendations["number"],
            strict=True,
        ):
            recs.setdefault(rec_id, (review, number))  # the first row, as ``.loc`` gives it
    for lk in links.itertuples(index=False):
        found = prov.get(lk.passage_id)
        if found is None:
            continue
        text, where = found
        hits = locate_evidence(text, lk.evidence)
        cue = str(getattr(lk, "status_cue", "") or "")
        at = text.lower().find(cue.lower()) if cue else -1
        # the speaker of the sentence stating the status (a minute's answer, not its question)
        where = _speaker_at(where, at if at >= 0 else (hits[0][0] if hits else None))
        rec = recs.get(lk.rec_id)
        rows.append(
            {
                "kind": "link",
                "theme": "",
                "label": "",
                "rec_id": lk.rec_id,
                "review": "" if rec is None else rec[0],
                "number": "" if rec is None else rec[1],
                "status": lk.status,
                "rag": str(getattr(lk, "rag", "") or ""),
                "score": float(lk.score),
                "method": lk.method,
                "evidence": lk.evidence,
                "counted": True,
                "negated": False,
                "quote": trim_quote(text, hits[0][0] if hits else None),
                **where,
            }
        )
    if not rows:
        return _typed(pd.DataFrame({c: pd.Series([], dtype=_dtype(c)) for c in EVIDENCE_COLUMNS}))
    out = pd.DataFrame(rows)
    out["_kind"] = out["kind"].map({"theme": 0, "link": 1})
    out["_theme"] = out["theme"].map(order).fillna(len(order))
    out["_rec"] = out["number"].map(number_key)
    out["_undated"] = out["date"] == ""
    keys = ["_kind", "_theme", "theme", "review", "_rec", "rec_id", "_undated", "date"]
    out = out.sort_values([*keys, "doc_id", "_seq"], kind="stable")
    return _typed(out[EVIDENCE_COLUMNS].reset_index(drop=True))


def _speaker_at(where: dict[str, Any], pos: int | None) -> dict[str, Any]:
    """``where`` with ``speaker`` set to the speaker of the sentence at ``pos`` when the
    passage has several (``speaker_spans``); unchanged otherwise."""
    spans = where.get("_spans") or []
    if pos is None or not spans:
        return where
    for start, end, speaker in spans:
        if start <= pos < end:
            return {**where, "speaker": speaker}
    return where


def _provenances(
    passages: pd.DataFrame, documents: pd.DataFrame
) -> dict[str, tuple[str, dict[str, Any]]]:
    """``passage_id -> (text, provenance columns)`` for every passage, built in one pass
    over the columns (a ``.loc`` per evidence row cost seconds on a large corpus)."""
    docs: dict[str, tuple[Any, Any, Any]] = {}
    for doc_id, title, doc_type, date in zip(
        documents["doc_id"],
        documents["title"],
        documents["doc_type"],
        documents["date"],
        strict=True,
    ):
        docs.setdefault(doc_id, (title, doc_type, date))
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    cols = ["passage_id", "doc_id", "text", "page", "ref", "parent_ref", "speaker", "kind", "seq"]
    spans_col = (
        passages["speaker_spans"] if "speaker_spans" in passages.columns else [""] * len(passages)
    )
    for pid, doc_id, text, page, ref, parent_ref, speaker, kind, seq, spans in zip(
        *(passages[c] for c in cols), spans_col, strict=True
    ):
        if pid in out:  # ``.loc`` on a repeated id would not give one row either
            continue
        doc = docs.get(doc_id)
        out[pid] = (
            str(text),
            {
                "doc_id": doc_id,
                "title": "" if doc is None else doc[0],
                "doc_type": "" if doc is None else doc[1],
                "date": "" if doc is None else doc[2],
                "page": int(page),
                "ref": ref,
                "parent_ref": parent_ref,
                "speaker": speaker,
                "passage_kind": kind,
                "passage_id": pid,
                "_seq": int(seq),
                "_spans": json.loads(spans) if isinstance(spans, str) and spans else [],
            },
        )
    return out


def top_quotes(evidence_table: pd.DataFrame, *, n: int = 3) -> pd.DataFrame:
    """The ``n`` strongest counted quotes of each theme, in codebook order.

    Strongest: text passages before headings (a heading is a weak quote), then
    the highest score, then tags both the rules and the model found, then the
    evidence table's order. A passage
    quoted once per theme; identical quotes (a sentence repeated in two documents)
    once.
    """
    ev = evidence_table[(evidence_table["kind"] == "theme") & evidence_table["counted"]].copy()
    if ev.empty:
        return ev
    ev["_m"] = ev["method"].map({"both": 0, "rule": 1, "model": 2}).fillna(3)
    ev["_h"] = ev["passage_kind"] == "heading"
    ev["_pos"] = range(len(ev))
    ev = ev.sort_values(
        ["_h", "score", "_m", "_pos"], ascending=[True, False, True, True], kind="stable"
    )
    ev = ev.drop_duplicates(["theme", "quote"])
    theme_order = list(
        dict.fromkeys(evidence_table.loc[evidence_table["kind"] == "theme", "theme"])
    )
    out = [ev[ev["theme"] == t].head(n) for t in theme_order]
    return pd.concat(out).drop(columns=["_m", "_h", "_pos"]).reset_index(drop=True)


def provenance_line(row: Any) -> str:
    """Where a quote comes from, for a briefing.

    >>> provenance_line({"title": "Child L review", "date": "2024-03-12", "page": 3,
    ...                  "ref": "5.2", "parent_ref": "", "speaker": ""})
    'Child L review (2024-03-12), p. 3, para 5.2'
    """
    get = row.get if hasattr(row, "get") else lambda k, r=row: getattr(r, k, "")
    title, date = str(get("title") or ""), str(get("date") or "")
    parts = [f"{title} ({date})" if date else title]
    if int(get("page") or 0) > 0:
        parts.append(f"p. {get('page')}")
    if get("ref") and get("passage_kind") == "recommendation":
        parts.append(f"recommendation {get('ref')}")
    elif get("ref"):
        parts.append(f"para {get('ref')}")
    elif get("parent_ref"):
        parts.append(f"under para {get('parent_ref')}")
    if get("speaker"):
        parts.append(str(get("speaker")))
    return ", ".join(parts)


# --------------------------------------------------------------------------- coverage


def recommendation_coverage(
    recommendations: pd.DataFrame,
    links: pd.DataFrame,
    passages: pd.DataFrame,
    documents: pd.DataFrame,
) -> tuple[pd.DataFrame | None, str]:
    """``pipeline.tracing.link.coverage`` where the linking stage is installed: ``(table, "")``;
    else ``(None, reason)``. This module does not compute coverage itself."""
    try:
        from pipeline.tracing.coverage import coverage
    except ImportError:
        return None, (
            "Recommendation coverage is not available: the linking stage (pipeline.tracing.link) "
            "is not installed, so recommendation_coverage.csv was not written."
        )
    return coverage(recommendations, links, passages, documents), ""


# --------------------------------------------------------------------------- stage


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
) -> Tables:
    """Read the stage outputs in ``folder`` and compute every table."""
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
    catalog = theme_catalog(themes, load_codebook() if codebook is None else codebook)
    kw: dict[str, Any] = {"catalog": catalog, "include_negated": include_negated}
    by_doc = theme_by_document(documents, passages, themes, **kw)
    coverage, reason = recommendation_coverage(recommendations, links, passages, documents)
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
        lines += [f"- {r.path}: {r.status} {r.error}".rstrip() for r in unread.itertuples()]
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
    return load_codebook(path) if path else None


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
    tables = build_tables(out, codebook=codebook)
    _LAST_BUILT = (signature, tables)
    for note in tables.notes:
        log.info("%s", note)
    write_tables(tables, out / TABLES_DIR)
    return tables


# --------------------------------------------------------------------------- helpers


def _share(n: int, total: int) -> float:
    return round(n / total, 4) if total else 0.0


_INT_COLS = {
    "passages_tagged",
    "passages_in_doc",
    "passages_in_period",
    "documents",
    "documents_raising",
    "page",
}
_FLOAT_COLS = {"share", "score"}
_BOOL_COLS = {"counted", "negated"}


def _dtype(col: str) -> str:
    if col in _INT_COLS:
        return "int64"
    if col in _FLOAT_COLS:
        return "float64"
    if col in _BOOL_COLS:
        return "bool"
    return "object"


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Stable dtypes: ints, floats, bools, and text as plain strings (``""`` for missing)."""
    df = df.copy()
    for col in df.columns:
        kind = _dtype(col)
        if kind == "object":
            df[col] = df[col].fillna("").astype(str)
        else:
            df[col] = df[col].astype(kind)
    return df

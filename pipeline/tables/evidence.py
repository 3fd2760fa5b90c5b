"""The evidence table: every counted tag with its quote, page, paragraph and speaker;
the top quotes and provenance lines the briefings print."""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from pipeline.counting import counted_tags
from pipeline.frames import itertuples
from pipeline.recnumbers import number_key
from pipeline.tables.common import (
    QUOTE_WIDTH,
    SENTENCE_END,
    column_dtype,
    typed,
)
from pipeline.tables.themes import ThemeInfo, humanize_theme, theme_catalog, theme_order

log = logging.getLogger(__name__)


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
    if _cannot_match(text, needle):
        return None
    rx = _loose_pattern(needle)
    if rx is None:
        return None
    m = rx.search(text)
    return (m.start(), m.end()) if m else None


_WORD = re.compile(r"\w+")
#: What the loose pattern allows between two words.
_SEPARATORS = re.compile(r"[\W_]*")

#: The characters that ``re.I`` takes for an ASCII letter although their lower case is
#: not that one letter: dotless i, long s, and dotted capital I, which lowers to two
#: characters (checked over every code point by a test).
UNLOWERED = frozenset("\u0131\u017f\u0130")


def _cannot_match(text: str, needle: str) -> bool:
    """Whether :func:`_loose_pattern` surely finds nothing, without compiling it.

    Decided only for an ASCII needle and a text without :data:`UNLOWERED` characters,
    where ``re.I`` matches a character of the needle exactly where ``str.lower`` does:
    no match when one of the needle's words is not in the lower-cased text; and, when
    lower-casing keeps every character in place and each later word starts with a
    letter or digit, none when no occurrence of the first word is followed by the
    others across the pattern's own separators (which stop only where a letter or
    digit begins, so there is one place to try). Otherwise ``False``: the regex
    decides. Compiling a pattern per evidence string cost seconds in the tables and
    the HTML report; most (link evidence, "police; school" read as one phrase) match
    nowhere."""
    if not needle.isascii() or not UNLOWERED.isdisjoint(text):
        return False
    low = text.lower()
    words = [w.lower() for w in _WORD.findall(needle)]
    if any(w not in low for w in words):
        return True
    if not words or len(low) != len(text) or not all(w[0].isalnum() for w in words[1:]):
        return False
    first = words[0]
    at = low.find(first)
    while at >= 0:
        end = at + len(first)
        for w in words[1:]:
            end = _SEPARATORS.match(text, end).end()
            if not low.startswith(w, end):
                break
            end += len(w)
        else:
            return False
        at = low.find(first, at + 1)
    return True


@functools.lru_cache(maxsize=16384)
def _loose_pattern(needle: str) -> re.Pattern[str] | None:
    """``needle``'s words with any spacing, punctuation or hyphenation between them
    (compiled once per needle: the tables and the HTML report look up thousands)."""
    words = _WORD.findall(needle)
    if not words:
        return None
    return re.compile(_SEPARATORS.pattern.join(re.escape(w) for w in words), re.I)


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
    bounds = [0, *[m.end() for m in SENTENCE_END.finditer(text)], len(text)]
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
    order = theme_order(catalog)
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
    for t in itertuples(themes, index=False):
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
    for lk in itertuples(links, index=False):
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
        return typed(
            pd.DataFrame({c: pd.Series([], dtype=column_dtype(c)) for c in EVIDENCE_COLUMNS})
        )
    out = pd.DataFrame(rows)
    out["_kind"] = out["kind"].map({"theme": 0, "link": 1})
    out["_theme"] = out["theme"].map(order).fillna(len(order))
    out["_rec"] = out["number"].map(number_key)
    out["_undated"] = out["date"] == ""
    keys = ["_kind", "_theme", "theme", "review", "_rec", "rec_id", "_undated", "date"]
    out = out.sort_values([*keys, "doc_id", "_seq"], kind="stable")
    return typed(out[EVIDENCE_COLUMNS].reset_index(drop=True))


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

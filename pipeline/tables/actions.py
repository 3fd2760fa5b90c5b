"""The actions table: owner, task and due date of the action items in minutes and plans."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from pipeline.documents import MONTHS
from pipeline.frames import itertuples
from pipeline.tables.common import (
    SENTENCE_END,
    column_dtype,
    typed,
)
from pipeline.tables.themes import readable_documents

log = logging.getLogger(__name__)

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
    for m in SENTENCE_END.finditer(text):
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
        for i, p in enumerate(itertuples(texts, index=False)):
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
        return pd.DataFrame({c: pd.Series([], dtype=column_dtype(c)) for c in cols})
    out = pd.DataFrame(rows)
    out["_undated"] = out["date"] == ""
    out = out.sort_values(["_undated", "date", "doc_id", "_seq"], kind="stable")
    return typed(out[cols].reset_index(drop=True))

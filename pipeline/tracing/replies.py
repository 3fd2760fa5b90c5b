"""A response's replies: which run of passages answers which recommendation.

A government response (or an action plan, or a progress report) prints each
recommendation it answers, or a heading that names it, and then its reply. A
**reply** is the run of passages from such a marker to the next one, across page
breaks and section headings:

Markers (where a reply starts)
    * a restated recommendation the structure stage marks ``kind ==
      "recommendation"`` ("Recommendation 4: That the government ...",
      "Recommendation 4" with its text below);
    * a short heading that names a recommendation, with or without a number
      ("Recommendation 14:", "Recommendation", "Committee recommendation");
    * a paragraph that opens with "Recommendation:" or "Recommendation 3 -";
    * a row of a table whose first cell is a recommendation number.

    A marker whose number the document has already answered, and that is lower than
    the last one answered, is a cross-reference inside a reply ("... see the
    response to recommendation 47.") and not a new reply. A section number
    ("1. Social media") is never a marker: only the word "recommendation" or the
    structure stage's ``recommendation`` kind makes one.

Asks and answer
    The passages right after a marker that are numbered (``ref`` "8.3", "(a)"),
    bullets, sub-items or short titles are the recommendation as restated (the
    **asks**: several numbered restatements under one heading are answered
    together); the reply proper (the **answer**) starts at the first un-numbered
    sentence, or at a paragraph that opens with "Response:".

Which recommendation
    :func:`map_replies` gives each reply the recommendations of the report it
    answers, from the links of its asks (a restatement link wins; the linker reads
    a response that numbers the recommendations its own way through the map its
    restatements give), else from the explicit links of its marker, else by order
    between two mapped replies, else from the link most of its answer passages share.
    A reply whose review has no recommendations here (the report is not in the
    corpus) keeps the number the response prints, so an analyst still gets one
    coverage row per restated recommendation (:func:`response_recommendations`).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline import store
from pipeline.frames import itertuples
from pipeline.recnumbers import number_order
from pipeline.tracing.stance import (
    StanceModel,
    decide,
    deciding_sentence,
    opening_decision,
    progress_status,
    stance_status,
)

log = logging.getLogger(__name__)

#: A recommendation number as printed ("4", "8.14", "113.6"); letters stay apart.
_NUMBER = re.compile(r"^\(?(\d{1,3}(?:\.\d{1,3})?)\)?[a-z]?\.?$")
#: A short heading that names a recommendation ("Recommendation 14:", "HoL Inquiry
#: Recommendation", "Committee's recommendation").
_REC_HEADING = re.compile(
    r"^\W*(?:[A-Za-z'’]+\s+){0,3}recommendation(?:\s+(?:no\.?\s*)?(?P<num>\d{1,3}(?:\.\d{1,3})?))?"
    r"\s*[:.\-–—]?\s*$",
    re.I,
)
#: A paragraph that opens as a restated recommendation ("Recommendation:", "Recommendation
#: 3 -", "Recommendation 12:").
_REC_OPENING = re.compile(
    r"^\s*recommendation(?:\s+(?P<num>\d{1,3}(?:\.\d{1,3})?))?\s*[:.\-–—]\s+\S", re.I
)
#: A paragraph that opens the reply proper ("Response:", "Government response -").
_RESPONSE_OPENING = re.compile(
    r"^\s*(?:(?:the\s+)?(?:government|council|department|our)(?:['’]s)?\s+)?response\s*[:.\-–—]",
    re.I,
)
#: A heading that closes the run of replies ("Chapter 2: Action taken since 2017", "Annex A").
_PART_HEADING = re.compile(
    r"^\s*(?:chapter|part|annex|annexe|appendix|appendices|glossary|references)\b", re.I
)
#: The last reply of a document ends after this many times the median answer length
#: (at least :data:`_MIN_LAST`), so a response's closing chapters are not its reply.
_LAST_FACTOR = 3
_MIN_LAST = 8
_TERMINAL = re.compile(r"[.!?:;][\"')\]’”]*$")
#: Table column headers that hold recommendation numbers.
_NUMBER_HEADER = re.compile(
    r"^(?:(?:recommendations?|rec\.?|ref\.?)(?:\s*(?:no\.?|number|ref\.?))?|no\.?|number)$", re.I
)


@dataclass
class Reply:
    """One reply of a response: its marker, the restated asks, the answer passages."""

    doc_id: str
    number: str  #: the number the response prints for it ("" when none)
    numbers: list[str] = field(default_factory=list)  #: numbers printed on its asks
    marker_id: str = ""
    ask_ids: list[str] = field(default_factory=list)
    answer_ids: list[str] = field(default_factory=list)
    page: int = 0
    page_end: int = 0
    ask_text: str = ""
    answer_text: str = ""
    #: (passage_id, page, text) of each answer passage, in reading order
    answer_passages: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def passage_ids(self) -> list[str]:
        """Every passage of the reply: marker, asks and answer, in reading order."""
        ids = [self.marker_id] if self.marker_id else []
        return list(dict.fromkeys([*ids, *self.ask_ids, *self.answer_ids]))


def _number(ref: str) -> str:
    m = _NUMBER.match(str(ref or "").strip())
    return m.group(1) if m else ""


def _marker(p) -> tuple[bool, str]:
    """Whether a passage starts a reply, and the number it prints."""
    text = str(p.text).strip()
    if p.kind == "recommendation":
        return True, _number(p.ref)
    if p.kind == "heading" and len(text.split()) <= 8 and (m := _REC_HEADING.match(text)):
        return True, m.group("num") or _number(p.ref)
    if p.kind in ("paragraph", "bullet") and (m := _REC_OPENING.match(text)):
        return True, m.group("num") or ""
    if p.kind == "paragraph" and len(text.split()) <= 4 and (m := _REC_HEADING.match(text)):
        return True, m.group("num") or ""  # "Recommendation 4" read as a line of its own (OCR)
    return False, ""


def restated_ids(links: pd.DataFrame | None) -> set[str]:
    """The passages the linker found to restate a recommendation (``restatement`` links)."""
    if links is None or links.empty:
        return set()
    return set(links.loc[links["method"].str.contains("restatement", na=False), "passage_id"])


def _is_title(text: str) -> bool:
    """A short line without a closing stop (a sub-heading inside the ask)."""
    return len(text.split()) <= 10 and not _TERMINAL.search(text.strip())


def segment_replies(doc_passages: pd.DataFrame, *, restated: Collection[str] = ()) -> list[Reply]:
    """The replies of one document, in reading order (see the module docstring).

    ``doc_passages`` holds one document's passages (``passage_id``, ``seq``,
    ``page``, ``ref``, ``parent_ref``, ``kind``, ``text``). ``restated`` names
    passages that restate a recommendation (:func:`restated_ids` of the links): such
    a passage starts a reply too, or joins the asks of the reply just started. A
    document with fewer than two replies has none (a passing "Recommendation 4" is a
    mention).
    """
    restated = set(restated)
    if doc_passages.empty:
        return []
    rows = list(itertuples(doc_passages.sort_values("seq"), index=False))
    doc_id = str(rows[0].doc_id)
    replies: list[Reply] = []
    seen: set[str] = set()
    last = ""
    cur: Reply | None = None
    asking = False
    table_numbers = False
    for p in rows:
        text = str(p.text).strip()
        page = int(p.page)
        if p.kind == "table":
            first = text.split("|")[0].strip()
            if _NUMBER_HEADER.match(first):
                table_numbers = True
                continue
            if table_numbers and (num := _number(first)):
                # number | recommendation | response | status ...: the cells after the
                # recommendation's are the answer (with two cells, the second)
                cells = [c.strip() for c in text.split("|")]
                answer = " | ".join(cells[2:] if len(cells) >= 3 else cells[1:])
                cur = Reply(doc_id, num, [num], p.passage_id, page=page, page_end=page)
                cur.ask_text = cells[1] if len(cells) >= 3 else text
                cur.answer_text = answer
                cur.answer_ids.append(p.passage_id)
                cur.answer_passages.append((p.passage_id, page, answer))
                replies.append(cur)
                seen.add(num)
                last, asking = num, False
                continue
        else:
            table_numbers = False
        is_marker, num = _marker(p)
        if not is_marker and p.passage_id in restated and p.kind != "heading":
            if asking and cur is not None:  # one of a group of restatements
                cur.ask_ids.append(p.passage_id)
                cur.ask_text = f"{cur.ask_text} {text}".strip()
                if n := _number(p.ref):
                    cur.numbers.append(n)
                continue
            is_marker, num = True, _number(p.ref)  # a restated text starts a reply
        if is_marker and num and num in seen and last and number_order(num) < number_order(last):
            is_marker = False  # "... see the response to recommendation 47."
        if is_marker and cur is not None and asking and num and num == cur.number:
            is_marker = False  # "Recommendation 1" heading, then "Recommendation 1: ..." text
            cur.ask_ids.append(p.passage_id)
            cur.ask_text = f"{cur.ask_text} {text}".strip()
            continue
        if is_marker:
            cur = Reply(doc_id, num, [num] if num else [], p.passage_id, page=page, page_end=page)
            if p.kind != "heading":
                cur.ask_ids.append(p.passage_id)
                cur.ask_text = text
            replies.append(cur)
            if num:
                seen.add(num)
                last = num
            asking = True
            continue
        if p.kind == "heading" and _PART_HEADING.match(text):
            cur, asking = None, False  # a new chapter: no reply runs on into it
            continue
        if cur is None or p.kind == "footnote":
            continue
        cur.page_end = max(cur.page_end, int(getattr(p, "page_end", page) or page))
        num = _number(p.ref)
        sub = bool(p.parent_ref) or str(p.ref).startswith("(")
        # an item that states a decision ("(a) Accepted. ...") answers the part it names
        answers_part = sub and bool(opening_decision(text))
        if asking and not _RESPONSE_OPENING.match(text) and not answers_part:
            if num and p.kind in ("paragraph", "recommendation") and not sub:
                cur.numbers.append(num)
                if not cur.number:
                    cur.number = num
                seen.add(num)
                last = num if not last or number_order(num) > number_order(last) else last
                cur.ask_ids.append(p.passage_id)
                cur.ask_text = f"{cur.ask_text} {text}".strip()
                continue
            if sub or p.kind in ("bullet", "heading") or _is_title(text):
                cur.ask_ids.append(p.passage_id)
                cur.ask_text = f"{cur.ask_text} {text}".strip()
                continue
        asking = False
        if p.kind == "heading" and _is_title(text):
            continue  # a section heading between replies belongs to neither
        cur.answer_ids.append(p.passage_id)
        cur.answer_passages.append((p.passage_id, page, text))
        cur.answer_text = f"{cur.answer_text} {text}".strip()
    replies = [r for r in replies if r.answer_ids]
    if len(replies) < 2:
        return []
    for r in replies:
        r.numbers = list(dict.fromkeys(r.numbers))
    lengths = sorted(len(r.answer_ids) for r in replies)
    cap = max(_MIN_LAST, _LAST_FACTOR * lengths[len(lengths) // 2])
    last_reply = replies[-1]
    if len(last_reply.answer_ids) > cap:
        last_reply.answer_ids = last_reply.answer_ids[:cap]
        last_reply.answer_passages = last_reply.answer_passages[:cap]
        last_reply.answer_text = " ".join(t for _, _, t in last_reply.answer_passages)
        last_reply.page_end = max(pg for _, pg, _ in last_reply.answer_passages)
    return replies


def map_replies(
    replies: list[Reply], links: pd.DataFrame | None, *, order: list[str] | None = None
) -> dict[int, list[str]]:
    """For each reply (by position), the ``rec_id`` s it answers, from ``links``.

    1. the restatement links of its asks, else the explicit links of its marker;
    2. by order: a reply between two replies mapped by 1, where as many replies as
       recommendations lie between them in ``order`` (the review's ``rec_id`` s in the
       report's order), takes the recommendation at its place ("1, ?, 3" -> 2);
    3. else the recommendation most of its answer passages are linked to (at least
       half of them).
    """
    out: dict[int, list[str]] = {}
    if links is None or links.empty:
        links = pd.DataFrame(columns=["passage_id", "rec_id", "method", "rank", "score"])
    by_passage = {pid: g for pid, g in links.groupby("passage_id", sort=False)}
    for k, r in enumerate(replies):
        found: list[str] = []
        for pid in r.ask_ids:
            g = by_passage.get(pid)
            if g is None:
                continue
            rs = g[g["method"].str.contains("restatement", na=False)]
            found += list(rs.sort_values("score", ascending=False)["rec_id"][:1])
        if not found and r.marker_id in by_passage:
            g = by_passage[r.marker_id]
            found = list(g[g["method"].str.contains("explicit", na=False)]["rec_id"])
        out[k] = list(dict.fromkeys(found))
    if order:
        _fill_by_order(out, order)
    for k, r in enumerate(replies):
        if out[k] or not r.answer_ids:
            continue
        tops: Counter[str] = Counter()
        for pid in r.answer_ids:
            g = by_passage.get(pid)
            if g is not None and len(g):
                tops[str(g.sort_values("score", ascending=False)["rec_id"].iloc[0])] += 1
        if tops:
            rid, n = tops.most_common(1)[0]
            if n >= max(1, len(r.answer_ids) / 2):
                out[k] = [rid]
    return out


def _fill_by_order(out: dict[int, list[str]], order: list[str]) -> None:
    """Step 2 of :func:`map_replies`, in place: unmapped replies between two replies of
    one recommendation each, where the gap in replies equals the gap in ``order``."""
    pos = {rid: i for i, rid in enumerate(order)}
    anchors = [(k, pos[v[0]]) for k, v in sorted(out.items()) if len(v) == 1 and v[0] in pos]
    for (k1, p1), (k2, p2) in itertools.pairwise(anchors):
        if k2 - k1 > 1 and p2 - p1 == k2 - k1 and all(not out[k] for k in range(k1 + 1, k2)):
            for k in range(k1 + 1, k2):
                out[k] = [order[p1 + (k - k1)]]


def response_recommendations(doc: pd.Series, replies: list[Reply], review: str) -> pd.DataFrame:
    """The recommendations a response restates, as rows shaped like
    ``recommendations.parquet``, for a review whose report is not in the corpus.

    One row per distinct printed number, ``rec_id`` ``"<doc_id>#<number>"``, the
    text as the response restates it and ``source`` ``"response"``.
    """
    rows = []
    done: set[str] = set()
    for r in replies:
        if not r.number or r.number in done:
            continue
        done.add(r.number)
        rows.append(
            {
                "rec_id": f"{doc['doc_id']}#{r.number}",
                "doc_id": doc["doc_id"],
                "review": review,
                "number": r.number,
                "text": r.ask_text,
                "addressees": "",
                "themes": "",
                "source": "response",
            }
        )
    return pd.DataFrame(rows)


_RESPONSE_TO = re.compile(
    r"^\s*(?:the\s+)?(?:[\w’'&]+\s+){0,4}?response\s+(?:to|on)\s+(?:the\s+)?", re.I
)


def reviewed_name(title: str) -> str:
    """The name of what a response answers, from its title ("UK Government Response to
    the Grenfell Tower Inquiry Phase 2 Report" -> "Grenfell Tower Inquiry Phase 2
    Report"); the title itself when it does not read "... response to ..."."""
    name = _RESPONSE_TO.sub("", title, count=1).strip(" :")
    return name or title


def review_order(recs: pd.DataFrame, doc_links: pd.DataFrame | None) -> list[str]:
    """The ``rec_id`` s of the review a document's links mostly name, in report order."""
    if doc_links is None or doc_links.empty or recs.empty or "review" not in doc_links:
        return []
    review = doc_links["review"].mode().iloc[0]
    mine = recs[recs["review"] == review]
    pairs = sorted(
        zip(mine["number"].astype(str), mine["rec_id"], strict=True),
        key=lambda t: number_order(t[0]),
    )
    return [rid for _, rid in pairs]


#: The columns :func:`reply_stances` adds to ``recommendation_coverage.csv``.
STANCE_COLUMNS = [
    "stance",
    "stance_status",
    "stance_quote",
    "stance_page",
    "stance_doc",
    "reply_passages",
    "progress",
]

#: Document types whose replies are read for a stance.
REPLY_DOC_TYPES = ("response", "action_plan", "report")
#: The file of ``<output>/.cache/`` that keeps each reply's reading across runs.
READINGS_CACHE = "reply_readings.json"


class _Readings:
    """Each reply's reading: its stance, the sentence that decides it, the stance's
    status word and the progress it reports. A reading depends only on the reply's
    text, the recommendation's text and the stance model, so with the shipped model
    the readings are kept in ``cache_dir`` (:data:`READINGS_CACHE`) under the
    package's code key (:func:`pipeline.store.package_code_key`, which covers the
    shipped model) and a run reads again only the replies it has not read before."""

    def __init__(self, model: StanceModel | None, cache_dir: Path | None) -> None:
        self.model = model
        self.path = Path(cache_dir) / READINGS_CACHE if cache_dir is not None else None
        kept = store.read_keyed(self.path, store.package_code_key()) if self.path else None
        self.kept: dict[str, list[str]] = kept if isinstance(kept, dict) else {}
        self.used: dict[str, list[str]] = {}

    def read(self, answer: str, ask: str) -> tuple[str, str, str, str]:
        """``(stance, deciding sentence, stance status, progress)`` of one reply."""
        key = hashlib.sha256(f"{answer}\x1f{ask}".encode()).hexdigest()[:32]
        got = self.used.get(key) or self.kept.get(key)
        if not (isinstance(got, list) and len(got) == 4 and all(isinstance(x, str) for x in got)):
            stance, _ = decide(answer, ask, model=self.model)
            got = [
                stance,
                deciding_sentence(answer, stance),
                stance_status(stance, answer),
                progress_status(answer),
            ]
        self.used[key] = got
        stance, quote, status, progress = got
        return stance, quote, status, progress

    def save(self) -> None:
        """Keep this run's readings (only these: the file does not grow) when they
        differ from those kept."""
        if self.path is None or self.used == self.kept:
            return
        try:
            store.write_keyed(self.used, self.path, store.package_code_key())
        except OSError as exc:  # a read-only output folder: read again next time
            log.info("reply readings not cached (%s)", exc)


def reply_stances(
    recommendations: pd.DataFrame,
    links: pd.DataFrame,
    passages: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    model: StanceModel | None = None,
    cache_dir: str | Path | None = None,
) -> pd.DataFrame:
    """One row per (reply, recommendation): the stance the reply takes, read over the
    whole reply (:func:`pipeline.tracing.stance.decide`), the sentence that decides it and its
    page, and the progress it reports (a separate reading).

    Columns: ``rec_id``, ``review``, ``number``, ``text`` (of the recommendation),
    ``doc_id``, ``doc_type``, ``date``, ``seq`` (of the reply's first passage) and
    :data:`STANCE_COLUMNS`. Replies of a document whose review has no recommendations
    here (the report is not in the corpus) get the recommendations the response
    restates (:func:`response_recommendations`), ``rec_id`` ``"<doc_id>#<number>"``.
    ``model`` defaults to the shipped stance model (rule reading without one); with
    it, ``cache_dir`` keeps each reply's reading across runs (:class:`_Readings`).
    """
    cols = [
        "rec_id",
        "review",
        "number",
        "text",
        "doc_id",
        "doc_type",
        "date",
        "seq",
        *STANCE_COLUMNS,
    ]
    if passages.empty:
        return pd.DataFrame(columns=cols)
    readings = _Readings(model, None)
    if model is None:
        readings = _Readings(StanceModel.load(), Path(cache_dir) if cache_dir else None)
    recs = recommendations if recommendations is not None else pd.DataFrame()
    rec_info = {
        rid: (str(rv), str(n), str(t))
        for rid, rv, n, t in zip(
            recs.get("rec_id", []),
            recs.get("review", []),
            recs.get("number", []),
            recs.get("text", []),
            strict=True,
        )
    }
    links = links if links is not None else pd.DataFrame()
    ok = documents[(documents["status"] == "ok") & documents["doc_type"].isin(REPLY_DOC_TYPES)]
    by_doc = {d: g for d, g in passages.groupby("doc_id", sort=False)}
    link_docs = {d: g for d, g in links.groupby("doc_id", sort=False)} if len(links) else {}
    out = []
    for doc in itertuples(ok.sort_values("doc_id"), index=False):
        doc_links = link_docs.get(doc.doc_id)
        replies = segment_replies(
            by_doc.get(doc.doc_id, passages.iloc[0:0]), restated=restated_ids(doc_links)
        )
        if not replies:
            continue
        mapping = map_replies(replies, doc_links, order=review_order(recs, doc_links))
        own = not any(mapping.values())
        if own and doc.doc_type != "response":
            continue  # only a response restating them stands in for a missing report
        if own:
            name = reviewed_name(str(doc.title))
            extra = response_recommendations(pd.Series(doc._asdict()), replies, name)
            ids = dict(zip(extra.get("number", []), extra.get("rec_id", []), strict=True))
            for rid, n, t in zip(
                extra.get("rec_id", []), extra.get("number", []), extra.get("text", []), strict=True
            ):
                rec_info[rid] = (name, str(n), str(t))
            mapping = {k: [ids[r.number]] if r.number in ids else [] for k, r in enumerate(replies)}
        seqs = dict(zip(by_doc[doc.doc_id]["passage_id"], by_doc[doc.doc_id]["seq"], strict=True))
        for k, reply in enumerate(replies):
            for rid in mapping.get(k, []):
                review, number, text = rec_info.get(rid, ("", "", ""))
                stance, quote, status, progress = readings.read(
                    reply.answer_text, text or reply.ask_text
                )
                page = next(
                    (pg for _, pg, t in reply.answer_passages if quote and quote[:60] in t),
                    reply.page,
                )
                out.append(
                    {
                        "rec_id": rid,
                        "review": review,
                        "number": number,
                        "text": text,
                        "doc_id": doc.doc_id,
                        "doc_type": doc.doc_type,
                        "date": doc.date if isinstance(doc.date, str) else "",
                        "seq": int(seqs.get(reply.passage_ids[0], 0)),
                        "stance": stance,
                        "stance_status": status,
                        "stance_quote": quote,
                        "stance_page": int(page),
                        "stance_doc": doc.doc_id,
                        "reply_passages": len(reply.passage_ids),
                        "progress": progress,
                    }
                )
    readings.save()
    return pd.DataFrame(out, columns=cols)

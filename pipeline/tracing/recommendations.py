"""Numbered recommendations from reviews and reports, and from a curated CSV.

Which documents are mined
    Documents of type ``review``, ``report`` or ``other`` (``documents.doc_type``; the
    manifest may set it) that read as the source of a review's recommendations:
    a document whose title calls it a progress report, update, response or action
    plan reports *on* recommendations and is not mined; where the manifest names
    the same review for several documents and one of them is of type ``review``,
    only that one is mined. A document must yield at least
    :data:`MIN_PER_DOCUMENT` distinct numbers, so guidance that says "we
    recommend that schools ..." in passing yields none.

What counts as a recommendation
    A learned decision over generous candidates. :mod:`pipeline.tracing.candidates`
    makes every numbered paragraph, labelled item ("Recommendation 3: ...",
    "R3"), bullet, table row and paragraph of the document a candidate, with its
    sub-parts ("(a)", "i.", "4a", "8.1.2", the bullets after a line ending in
    ":") under it in ``parts``, and describes it by general features (the
    heading path above it, modal verbs and addressees, imperative openings,
    "(Recommendation, Paragraph 17)" tags, numbering runs, contents-page signs,
    position, repeated copies). :mod:`pipeline.tracing.recmodel` scores each with a
    logistic regression trained on the real gold (weights shipped in
    ``pipeline/data/rec_model.json``); candidates scoring at least
    :data:`pipeline.tracing.recmodel.THRESHOLD` are recommendations, with the score as
    ``confidence``.

Lists, numbers, titles
    Where the document labels an item itself ("Recommendation 3: ...", "(Recommendation,
    Paragraph 17)", "(Conclusion, Paragraph 25)"), the label decides
    (:func:`apply_labels`). So does the typeface where a numbered run under a
    heading naming conclusions and recommendations mixes italic and roman items
    (the select-committee convention: recommendations in italic;
    :func:`pipeline.tracing.candidates.mark_typeface`).

    Numbered items keep their printed number; a number that does not follow the
    previous one (a second list that starts at 1 again) opens a new ``list``, and
    its ``rec_id`` becomes ``<doc>#list<k>-<number>`` where ``<doc>#<number>`` is
    taken. Unnumbered items (bullets under "Implications") get their ordinal
    among the document's unnumbered items as ``number`` and one ``list`` per
    heading ("For DfE", "For local areas"; ``list_title``). ``title`` is the
    item's own run-in label ("FGC Timing: ...", "Recommendation 1: Protocol for
    police") or its opening words, never a heading or a running header.

Repeated listings
    A report that prints a recommendation more than once (in the body and again
    in a summary list) yields it once: copies whose wording is nearly the same
    (:data:`DUPLICATE_SIMILARITY`) are merged, keeping the number of the copy in
    the chapter that holds more recommendations and the fullest text. ``pages``
    and ``passage_ids`` record every place the recommendation appears.

Review names
    ``documents.review`` (from the manifest) when set, else a short name from the
    title (:func:`review_name`).

The curated file
    ``<input>/recommendations.csv`` with columns ``review``, ``number``, ``text``
    and optionally ``addressees`` (semicolon-separated) and ``date`` (yyyy-mm-dd,
    when the review was published) supplies recommendations of reviews that are
    not in the corpus. Its rows replace extracted ones with the same review and
    number.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipeline import schema, store
from pipeline.frames import itertuples
from pipeline.recnumbers import number_order
from pipeline.textnorm import normalize_for_match
from pipeline.textsim import containment
from pipeline.tracing.addressees import asks_action, find_addressees
from pipeline.tracing.candidates import (
    Candidate,
    candidate_features,
    document_candidates,
    explicit_label,
    strip_label,
)
from pipeline.tracing.curated import CURATED_FILE, empty_recommendations, load_curated
from pipeline.tracing.recmodel import THRESHOLD, RecModel, load_model
from pipeline.tracing.reviews import review_name

if TYPE_CHECKING:
    from pipeline.config import RunConfig

log = logging.getLogger(__name__)

#: A document yields recommendations only when it has at least this many numbers.
MIN_PER_DOCUMENT = 2
#: Two items under different numbers are one recommendation when one quotes the
#: other this completely (see :func:`pipeline.textsim.containment`).
DUPLICATE_SIMILARITY = 0.9
#: ... or this completely when both open with the same words (the first 60 characters,
#: compared normalised): a summary copy that leaves out a clause of the body's.
OPENING_COPY_SIMILARITY = 0.8

SOURCE_TYPES = ("review", "report", "other")
_FOLLOW_UP_TITLE = re.compile(
    r"\b(?:progress|update|response|action plan|implementation (?:report|update|plan)|"
    r"annual report)\b",
    re.I,
)

# --- extraction ------------------------------------------------------------------------


@dataclass
class _Item:
    """One recommendation the classifier kept (one printed copy, or merged copies)."""

    number: str
    text: str
    labelled: bool
    passage_ids: list[str]
    pages: list[int]
    parts: list[str] = field(default_factory=list)
    confidence: float = 0.0
    seq: int = 0
    numbered: bool = True
    heading: str = ""
    chapter: str = ""
    title: str = ""
    list_no: int = 1
    list_title: str = ""

    @property
    def full_text(self) -> str:
        return " ".join([self.text, *self.parts]).strip()


@functools.lru_cache(maxsize=1)
def _default_model() -> RecModel:
    return load_model()


def score_candidates(
    doc_passages: pd.DataFrame, model: RecModel | None = None
) -> tuple[list[Candidate], np.ndarray]:
    """The candidates of one document and the model's probability for each."""
    cands = document_candidates(doc_passages)
    model = model if model is not None else _default_model()
    return cands, model.predict(candidate_features(cands))


def document_items(
    doc_passages: pd.DataFrame, model: RecModel | None = None, threshold: float = THRESHOLD
) -> list[_Item]:
    """The recommendations of one document: candidates the model keeps, copies merged,
    lists and numbers assigned (see :func:`decide`)."""
    cands, prob = score_candidates(doc_passages, model)
    return decide(cands, prob, threshold)


#: The folder of ``<output>/.cache/`` that keeps each document's recommendations.
CACHE_FOLDER = "recommendations"


def items_key(doc_passages: pd.DataFrame) -> str:
    """Hash of everything :func:`document_items` reads of one document (every column of
    its passages, in order) and of the code and model that read it."""
    rows = pd.util.hash_pandas_object(doc_passages, index=False).to_numpy().tobytes()
    head = "\x1f".join([store.package_code_key(), *map(str, doc_passages.columns)]).encode()
    return hashlib.sha256(head + rows).hexdigest()


def cached_document_items(doc_passages: pd.DataFrame, doc_id: str, cache_dir: Path) -> list[_Item]:
    """:func:`document_items` with the default model, read from ``cache_dir`` when the
    document's passages and the code are unchanged since it was cached there."""
    key = items_key(doc_passages)
    path = Path(cache_dir) / f"{doc_id}.json"
    hit = store.read_keyed(path, key)
    if isinstance(hit, list):
        return [_Item(**item) for item in hit]
    items = document_items(doc_passages)
    store.write_keyed([asdict(item) for item in items], path, key)
    return items


def _title(cand: Candidate) -> str:
    """A label printed before the text ("Recommendation 1: Protocol for police",
    "FGC Timing: ..."), else the opening words. Taken from the item itself, never
    from a heading above it, so a running header cannot become a title."""
    if cand.kind == "recommendation" and ". " in cand.text:
        first = cand.text.split(". ", 1)[0]
        if len(first.split()) <= 12:
            return first.strip()
    label, _ = strip_label(cand.text)
    if label:
        return label
    words = cand.text.split()
    return " ".join(words[:8]) + (" ..." if len(words) > 8 else "")


#: The confidence given to an item the document labels itself (see :func:`apply_labels`).
LABEL_CONFIDENCE = 0.9


def apply_labels(cands: list[Candidate], prob: np.ndarray) -> np.ndarray:
    """Where the document labels an item itself, the label decides: "Recommendation 3"
    or "(Recommendation, Paragraph 17)" raises its confidence to at least
    :data:`LABEL_CONFIDENCE`, "(Conclusion, Paragraph 25)" lowers it to at most
    ``1 - LABEL_CONFIDENCE``. Typeface counts as such a label where a numbered run
    under a heading naming conclusions and recommendations mixes italic and roman
    items (:func:`pipeline.tracing.candidates.mark_typeface`): italic ones are raised,
    roman ones lowered. The shared gold holds no report that labels its items in
    words and one that does so by typeface, so the model cannot learn what a label
    weighs (as features, the typeface made leave-one-document-out worse); the label
    is the report's own statement, as the gold brief reads it."""
    out = prob.copy()
    for i, cand in enumerate(cands):
        label = explicit_label(cand)
        if label > 0:
            out[i] = max(out[i], LABEL_CONFIDENCE)
        elif label < 0:
            out[i] = min(out[i], 1 - LABEL_CONFIDENCE)
    return out


def decide(cands: list[Candidate], prob: np.ndarray, threshold: float = THRESHOLD) -> list[_Item]:
    """Keep the candidates at or above ``threshold``; merge copies; assign lists.

    A kept sentence-level candidate (a sentence set off inside a paragraph) replaces
    its paragraph's candidate.

    Copies (one text printed twice, in the body and in a summary) are merged by
    their words; the copy kept is the one in the chapter holding more of the
    document's recommendations (the summary list), its text the fullest.
    Numbered items form lists by their numbering: a number that does not follow
    the previous one (a second list starting at 1) opens a new list. Unnumbered
    items form one list per heading ("For DfE", "For local areas") and get their
    ordinal among the document's unnumbered items as ``number``.
    """
    prob = apply_labels(cands, prob)
    # a paragraph whose set-off sentence is kept gives way to the sentence: the
    # recommendation's text is the sentence, its provenance the paragraph's passage
    superseded = {
        c.parent for c, p in zip(cands, prob, strict=True) if c.sentence and p >= threshold
    }
    items: list[_Item] = []
    for i, (cand, p) in enumerate(zip(cands, prob, strict=True)):
        if p < threshold or i in superseded:
            continue
        items.append(
            _Item(
                number=cand.number,
                text=cand.text,
                labelled=cand.kind == "recommendation",
                passage_ids=list(cand.passage_ids),
                pages=list(cand.pages),
                parts=list(cand.parts),
                confidence=float(p),
                seq=cand.seq,
                numbered=bool(cand.number),
                heading=cand.headings[-1] if cand.headings else "",
                chapter=cand.headings[0] if cand.headings else "",
                title=_title(cand),
            )
        )
    items = merge_copies(items)
    _record_copies(items, cands, prob, threshold)
    _assign_lists(items)
    return items


def _record_copies(
    items: list[_Item], cands: list[Candidate], prob: np.ndarray, threshold: float
) -> None:
    """Add the pages and passages of copies the model did not keep (a recommendation
    printed again in the body: same opening words) to the item they repeat."""
    by_opening: dict[str, _Item] = {}
    for item in items:
        key = normalize_for_match(item.text)[:60]
        if len(key) >= 30:
            by_opening.setdefault(key, item)
    if not by_opening:
        return
    for cand, p in zip(cands, prob, strict=True):
        if p >= threshold:
            continue
        item = by_opening.get(normalize_for_match(cand.text)[:60])
        if item is not None and cand.passage_ids[0] not in item.passage_ids:
            item.passage_ids.extend(cand.passage_ids)
            item.pages.extend(cand.pages)


def merge_copies(items: list[_Item]) -> list[_Item]:
    """Merge copies of one recommendation printed in several places (nearly the same
    words, :data:`DUPLICATE_SIMILARITY`); see :func:`decide`. Reading order is kept."""
    # "Recommendation 3" names one recommendation in the whole document: its copies
    # (a summary table of titles, the text in the body) are one item
    labelled: dict[str, _Item] = {}
    unique: list[_Item] = []
    for item in items:
        twin = labelled.get(item.number) if item.labelled and item.number else None
        if twin is None:
            unique.append(item)
            if item.labelled and item.number:
                labelled[item.number] = item
        else:
            _absorb(twin, item)
    items = unique
    per_chapter: dict[str, int] = {}
    for item in items:
        per_chapter[item.chapter] = per_chapter.get(item.chapter, 0) + 1
    kept: list[_Item] = []
    words: list[set[str]] = []
    openings: list[str] = []
    for item in items:
        mine = set(re.findall(r"\w+", item.full_text.lower()))
        # the same opening words (as :func:`_record_copies` reads a copy): a copy printed
        # much shorter than the other (a summary that leaves out a clause) is compared
        # too, though the lengths differ; the longer must still quote most of it
        opening = normalize_for_match(item.text)[:60]
        twin = None
        for k, (other, theirs) in enumerate(zip(kept, words, strict=True)):
            same_opening = len(opening) >= 30 and opening == openings[k]
            if not same_opening and not _may_repeat(other, item, mine, theirs):
                continue
            short, long_ = _shorter(other, item), _longer(other, item)
            needed = OPENING_COPY_SIMILARITY if same_opening else DUPLICATE_SIMILARITY
            if containment(short.full_text, long_.full_text) >= needed:
                twin = k
                break
        if twin is None:
            kept.append(item)
            words.append(mine)
            openings.append(opening)
            continue
        other = kept[twin]
        if per_chapter[item.chapter] > per_chapter[other.chapter]:
            winner, loser = item, other
        else:
            winner, loser = other, item
        log.info("recommendation %s repeats %s; merged", loser.number, winner.number)
        _absorb(winner, loser)
        kept[twin] = winner
        words[twin] = words[twin] | mine
    return sorted(kept, key=lambda it: it.seq)


def _may_repeat(a: _Item, b: _Item, wa: set[str], wb: set[str]) -> bool:
    """Cheap test before the fuzzy one: similar length and mostly the same words."""
    la, lb = len(a.full_text), len(b.full_text)
    if min(la, lb) <= 40 or not 0.5 <= la / max(1, lb) <= 2.0:
        return False
    return len(wa & wb) >= 0.7 * min(len(wa), len(wb))


def _shorter(a: _Item, b: _Item) -> _Item:
    return a if len(a.full_text) <= len(b.full_text) else b


def _longer(a: _Item, b: _Item) -> _Item:
    return b if len(a.full_text) <= len(b.full_text) else a


def _absorb(kept: _Item, other: _Item) -> None:
    if len(other.full_text) > len(kept.full_text):
        kept.text, kept.parts = other.text, list(other.parts)
    kept.labelled = kept.labelled or other.labelled
    kept.confidence = max(kept.confidence, other.confidence)
    kept.passage_ids.extend(pid for pid in other.passage_ids if pid not in kept.passage_ids)
    kept.pages.extend(other.pages)


def _assign_lists(items: list[_Item]) -> None:
    """Set ``list_no`` and, for unnumbered items, ``number`` (see :func:`decide`)."""
    lists = 0
    numbers: set[str] = set()
    last: tuple[int, ...] | None = None
    heading_list: dict[str, int] = {}
    ordinal = 0
    list_title = ""
    for item in items:
        if item.numbered:
            key = number_order(item.number)
            if lists == 0 or item.number in numbers or (last is not None and key < last):
                lists += 1
                numbers = set()
                list_title = item.heading
            numbers.add(item.number)
            last = key
            item.list_no, item.list_title = lists, list_title
        else:
            ordinal += 1
            item.number = str(ordinal)
            if item.heading not in heading_list:
                lists += 1
                heading_list[item.heading] = lists
                last, numbers = None, set()
            item.list_no, item.list_title = heading_list[item.heading], item.heading


def source_documents(documents: pd.DataFrame) -> pd.DataFrame:
    """The documents that are read for recommendations (see the module docstring)."""
    docs = documents[(documents["status"] == "ok") & documents["doc_type"].isin(SOURCE_TYPES)]
    docs = docs[~docs["title"].fillna("").str.contains(_FOLLOW_UP_TITLE)]
    if "review" in docs.columns:
        keep = []
        for row in itertuples(docs, index=False):
            review = str(getattr(row, "review", "") or "")
            siblings = documents[
                (documents.get("review", pd.Series(dtype=str)).fillna("") == review)
                & (documents["doc_type"] == "review")
            ]
            keep.append(not review or row.doc_type == "review" or siblings.empty)
        docs = docs[keep]
    return docs


#: Words that ask someone to act: what makes a numbered item a recommendation rather
#: than a conclusion that only states a finding.
def _rec_ids(doc_id: str, items: list[_Item]) -> list[str]:
    """Unique ids: ``<doc>#<number>``; a number already taken in the document (a second
    list that starts at 1 again) gets ``<doc>#list<k>-<number>``."""
    out, taken = [], set()
    for item in items:
        rid = f"{doc_id}#{item.number}"
        if rid in taken:
            rid = f"{doc_id}#list{item.list_no}-{item.number}"
        taken.add(rid)
        out.append(rid)
    return out


def extract_recommendations(
    passages: pd.DataFrame,
    documents: pd.DataFrame,
    model: RecModel | None = None,
    *,
    cache_dir: Path | None = None,
) -> pd.DataFrame:
    """Recommendations of every source document, one row per top-level number.

    Returns the ``recommendations.parquet`` columns (``themes`` empty) plus
    ``confidence``, ``list``, ``list_title``, ``numbered``, ``title`` (the
    recommendation's own label or opening words), ``doc_title``, ``date``,
    ``pages``, ``passage_ids``, ``parts``, ``ordinal`` (the position in the
    document), ``asks_action`` (see :func:`asks_action`) and ``source``
    (``document``).

    ``cache_dir`` (with the default model): each document's items are kept there and
    reused while its passages and the code are unchanged (:func:`cached_document_items`),
    so a run that adds one document reads only that one.
    """
    rows = []
    grouped = dict(tuple(passages.groupby("doc_id", sort=False))) if len(passages) else {}
    sources = source_documents(documents)
    if cache_dir is not None and model is None:
        store.prune_cache(cache_dir, sources["doc_id"].astype(str))
    for doc in itertuples(sources, index=False):
        if doc.doc_id not in grouped:
            continue
        if cache_dir is not None and model is None:
            items = cached_document_items(grouped[doc.doc_id], str(doc.doc_id), cache_dir)
        else:
            items = document_items(grouped[doc.doc_id], model)
        if len(items) < MIN_PER_DOCUMENT:
            if items:
                log.info("%s: %d recommendation(s) only; not a review", doc.doc_id, len(items))
            continue
        review = str(getattr(doc, "review", "") or "") or review_name(str(doc.title))
        for ordinal, (item, rid) in enumerate(
            zip(items, _rec_ids(str(doc.doc_id), items), strict=True), start=1
        ):
            text = item.full_text
            rows.append(
                {
                    "rec_id": rid,
                    "doc_id": doc.doc_id,
                    "review": review,
                    "number": item.number,
                    "text": text,
                    "addressees": ";".join(find_addressees(text)),
                    "themes": "",
                    "confidence": round(item.confidence, 4),
                    "list": item.list_no,
                    "list_title": item.list_title,
                    "numbered": item.numbered,
                    "title": item.title,
                    "doc_title": str(doc.title),
                    "date": str(doc.date or ""),
                    "pages": ";".join(str(x) for x in sorted(set(item.pages))),
                    "passage_ids": ";".join(item.passage_ids),
                    "parts": "\n".join(item.parts),
                    "ordinal": ordinal,
                    "asks_action": asks_action(text),
                    "source": "document",
                }
            )
    if not rows:
        return empty_recommendations()
    return pd.DataFrame(rows)


def combine(extracted: pd.DataFrame, curated: pd.DataFrame) -> pd.DataFrame:
    """Extracted and curated recommendations together; curated rows win on (review, number)."""
    if curated.empty:
        return extracted
    key = curated["review"].str.lower() + "#" + curated["number"]
    ext_key = extracted["review"].str.lower() + "#" + extracted["number"]
    replaced = extracted[ext_key.isin(set(key))]
    if len(replaced):
        log.info("curated file replaces %d extracted recommendation(s)", len(replaced))
    out = pd.concat([extracted[~ext_key.isin(set(key))], curated], ignore_index=True)
    return out


def attach_themes(recs: pd.DataFrame, themes: pd.DataFrame) -> pd.DataFrame:
    """Fill ``themes`` with the codebook ids of the passages a recommendation is printed in."""
    recs = recs.copy()
    if themes.empty or recs.empty:
        return recs
    from pipeline.counting import counted  # negated-only mentions are not the theme

    by_passage = {pid: set(g) for pid, g in counted(themes).groupby("passage_id")["theme"]}
    out = []
    for pids in recs["passage_ids"].fillna(""):
        ids: set[str] = set()
        for pid in filter(None, str(pids).split(";")):
            ids |= by_passage.get(pid, set())
        out.append(";".join(sorted(ids)))
    recs["themes"] = out
    return recs


def build_recommendations(
    passages: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    curated: pd.DataFrame | None = None,
    themes: pd.DataFrame | None = None,
    cache_dir: Path | None = None,
) -> pd.DataFrame:
    """Extract, add the curated rows, attach themes: the ``recommendations.parquet`` frame
    (``cache_dir``: see :func:`extract_recommendations`)."""
    recs = extract_recommendations(passages, documents, cache_dir=cache_dir)
    if curated is not None:
        recs = combine(recs, curated)
    if themes is not None:
        recs = attach_themes(recs, themes)
    if recs.empty:
        return empty_recommendations()
    recs["ordinal"] = recs["ordinal"].astype("int64")
    return recs.reset_index(drop=True)


def recommendations_stage(cfg: RunConfig) -> pd.DataFrame:
    """Read passages, documents, the curated file and themes; write ``recommendations.parquet``."""
    out = Path(cfg.output_dir)
    documents = store.read_table(schema.DOCUMENTS, out)
    passages = store.read_table(schema.PASSAGES, out)
    curated_path = Path(cfg.input_dir) / CURATED_FILE
    curated = load_curated(curated_path) if curated_path.exists() else None
    themes = store.read_table(schema.THEMES, out)
    recs = build_recommendations(
        passages,
        documents,
        curated=curated,
        themes=themes,
        cache_dir=out / ".cache" / CACHE_FOLDER,
    )
    store.write_table(recs, schema.RECOMMENDATIONS, out)
    log.info("%d recommendations of %d review(s)", len(recs), recs["review"].nunique())
    return recs

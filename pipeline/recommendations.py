"""Numbered recommendations from reviews and reports, and from a curated CSV.

Which documents are mined
    Documents of type ``review`` or ``report`` (``documents.doc_type``; the
    manifest may set it) that read as the source of a review's recommendations:
    a document whose title calls it a progress report, update, response or action
    plan reports *on* recommendations and is not mined; where the manifest names
    the same review for several documents and one of them is of type ``review``,
    only that one is mined. A document must yield at least
    :data:`MIN_PER_DOCUMENT` distinct numbers, so guidance that says "we
    recommend that schools ..." in passing yields none.

What counts as a recommendation
    * a labelled item: "Recommendation 3: ...", "R3 ...", or a "Recommendation 3"
      heading with its text below (the structure stage marks these
      ``kind == "recommendation"`` with the number in ``ref``);
    * where a document has no labelled items, the numbered paragraphs ("8.14",
      "12.") of a section whose heading names recommendations ("Recommendations",
      "Summary of conclusions and recommendations", "Chapter 8: Conclusions and
      recommendations"), up to the next appendix, annex, chapter or the end.

    Sub-parts (bullets, "(a)" items, "4a") stay with their top-level number:
    their texts are appended to ``text`` and listed in ``parts``. Unnumbered
    paragraphs that continue an item inside the section are appended to it.

Repeated listings
    A report that prints a recommendation more than once (in the body and again
    in a summary list) yields it once: copies with the same number are merged,
    keeping the fullest text, and copies under a different number whose wording is
    nearly the same (:data:`DUPLICATE_SIMILARITY`) are merged too. ``pages`` and
    ``passage_ids`` record every place the recommendation appears.

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

import csv
import io
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pipeline import schema, store
from pipeline.textsim import containment

if TYPE_CHECKING:
    from pipeline.run import RunConfig

log = logging.getLogger(__name__)

#: A document yields recommendations only when it has at least this many numbers.
MIN_PER_DOCUMENT = 2
#: Two items under different numbers are one recommendation when one quotes the
#: other this completely (see :func:`pipeline.textsim.containment`).
DUPLICATE_SIMILARITY = 0.9
CURATED_FILE = "recommendations.csv"
CURATED_DOC_ID = "curated"
CURATED_COLUMNS = ("review", "number", "text", "addressees", "date")

SOURCE_TYPES = ("review", "report")
_FOLLOW_UP_TITLE = re.compile(
    r"\b(?:progress|update|response|action plan|implementation|annual report)\b", re.I
)
_SECTION_HEADING = re.compile(r"\brecommendations\b", re.I)
_CONTENTS_LINE = re.compile(r"\s\d{1,4}$")
_SECTION_END = re.compile(
    r"^(?:appendix|appendices|annex|annexe|glossary|references|bibliography|"
    r"acknowledg\w*|abbreviations|endnotes|terms of reference|list of (?!recommendations)|"
    r"(?:chapter|part|section)\s+[\dIVX]+\b)",
    re.I,
)
_NUMBER = re.compile(r"^\d{1,3}(?:\.\d{1,3})?(?:\([a-z]\))?$")
_DEEP_NUMBER = re.compile(r"^(\d{1,3}\.\d{1,3})\.\d{1,3}$")
_TERMINAL = re.compile(r"(?:[.!?:;][\"')\]]*|\((?:paragraphs?|para\.?)\s[\d.,\s–-]+\))$", re.I)
_REC_LABEL_ONLY = re.compile(
    r"^(?:(?:recommendation|rec\.?|r)\s*\d{1,3}(?:\.\d{1,3})?[a-z]?|"
    r"(?:recommendation|rec\.)\s+(?-i:[A-Z]))\s*[:.]?$",
    re.I,
)

# --- review names --------------------------------------------------------------------

_CASE_NAME = re.compile(
    r"\b(?:Child|Children|Adult|Family|Baby|Sibling|Young Person|Learner|Patient)s?"
    r"\s+[A-Z]{1,2}\d{0,2}(?:\s+(?:and|&)\s+[A-Z]{1,2}\d{0,2})?\b(?!['’-])"
)
_GENERIC_WORDS = {
    "a",
    "an",
    "and",
    "annual",
    "case",
    "child",
    "children's",
    "childrens",
    "committee",
    "commons",
    "cspr",
    "executive",
    "final",
    "for",
    "government",
    "house",
    "independent",
    "inquiry",
    "interim",
    "into",
    "lcspr",
    "local",
    "lords",
    "national",
    "of",
    "on",
    "practice",
    "public",
    "rapid",
    "report",
    "response",
    "review",
    "safeguarding",
    "scr",
    "select",
    "serious",
    "session",
    "summary",
    "thematic",
    "the",
    "to",
    "volume",
}


def review_name(title: str) -> str:
    """A short name for a review or report, from its title.

    A case name wins ("Local Child Safeguarding Practice Review: Child L" ->
    "Child L"); otherwise the first part of the title (split at ":", " – ", " - ")
    that is not only generic words ("The Space Economy: Act Now or Lose Out" ->
    "The Space Economy").

    >>> review_name("Child Q Safeguarding Report")
    'Child Q'
    >>> review_name("The Space Economy: Act Now or Lose Out")
    'The Space Economy'
    """
    title = re.sub(r"\s+", " ", title or "").strip()
    if m := _CASE_NAME.search(title):
        return m.group(0)
    parts = [p.strip(" .,'\"") for p in re.split(r":|\s[–—-]\s|\|", title) if p.strip()]
    for part in parts:
        words = re.findall(r"[\w'’]+", part.lower())
        if words and not all(w in _GENERIC_WORDS or w.isdigit() for w in words):
            return part[:80]
    return parts[0][:80] if parts else ""


# --- addressees ----------------------------------------------------------------------

_NOT_ACTORS = {
    "a",
    "all",
    "although",
    "an",
    "any",
    "as",
    "each",
    "every",
    "for",
    "furthermore",
    "given",
    "however",
    "if",
    "in",
    "it",
    "moreover",
    "therefore",
    "thus",
    "accordingly",
    "additionally",
    "finally",
    "secondly",
    "similarly",
    "then",
    "our",
    "such",
    "that",
    "their",
    "there",
    "these",
    "this",
    "those",
    "they",
    "we",
    "when",
    "where",
    "whilst",
    "while",
    "you",
}
_LOWER_ACTORS = (
    "ministers",
    "departments",
    "local authorities",
    "schools",
    "partners",
    "agencies",
    "commissioners",
    "policy makers",
    "governors",
    "headteachers",
    "head teachers",
)
_CONNECTORS = {"of", "for", "on", "in", "&", "the", "and"}
#: Last words of a complete organisation name: "Police and the ..." is a list,
#: "Science and Technology Committee" is one name.
_HEAD_NOUNS = {
    "adviser",
    "advisers",
    "advisor",
    "director",
    "minister",
    "ministers",
    "officer",
    "scientist",
    "secretary",
    "agency",
    "authority",
    "authorities",
    "board",
    "cabinet",
    "commission",
    "committee",
    "council",
    "department",
    "executive",
    "forum",
    "government",
    "group",
    "hub",
    "nhs",
    "office",
    "partnership",
    "police",
    "schools",
    "service",
    "services",
    "team",
    "trust",
}
_TOKEN = re.compile(r"[\w'’&()-]+(?:\.\w+)*|[,.;:]")
_MODAL = re.compile(
    r"^\s*(?:,[^,]{0,100},\s*)?(?:should|must|ought to|needs? to|is asked to|are asked to|"
    r"will need to|shall)\b"
)
_ASK_ANCHOR = re.compile(
    r"\b(?:recommend(?:s|ed)?\s+(?:further\s+|also\s+)?that\s*(?:,[^,]{0,60},\s*)?|"
    r"(?:urge|urges|invite|invites|encourage|encourages|call on|calls on|ask|asks)\s+)",
    re.I,
)
_SENTENCE_START = re.compile(r"(?:^|[.;:,]\s+|\(\w{1,4}\)\s+|•\s*|(?<=\s)(?=The\s+[A-Z]))")


def _read_actor(tokens: list[re.Match[str]], i: int) -> tuple[str, int]:
    """Read one organisation-like phrase starting at token ``i``; return it and the next index."""
    start = i
    words: list[str] = []
    if i < len(tokens) and tokens[i].group(0).lower() == "the":
        i += 1
    lowered = " ".join(t.group(0).lower() for t in tokens[i : i + 2])
    for actor in _LOWER_ACTORS:
        if lowered == actor or lowered.split(" ")[0] == actor:
            n = len(actor.split())
            return " ".join(t.group(0) for t in tokens[i : i + n]), i + n
    while i < len(tokens):
        tok = tokens[i].group(0)
        if tok == ",":
            break
        first = tok.lstrip("(")[:1]
        if words and tok.lower() == "the" and tok[0].isupper():
            return "", start  # "Compensation The Treasury": a title glued to a sentence
        if first.isupper() or (first.isdigit() and words):
            if not words and tok.lower() in _NOT_ACTORS:
                return "", start
            words.append(tok)
        elif tok.lower() in _CONNECTORS and words:
            if tok.lower() == "and" and i + 1 < len(tokens):
                nxt = tokens[i + 1].group(0)
                # "Police and the Schools Partnership": a list, not one name
                last = words[-1]
                if nxt.lower() == "the" or last.isupper() or last.lower() in _HEAD_NOUNS:
                    break
            words.append(tok)
        else:
            break
        i += 1
    while words and words[-1].lower() in _CONNECTORS:
        words.pop()
        i -= 1
    if not words or len(words) > 10:
        return "", start
    name = re.sub(r"\s*\([^)]*\)?$", "", " ".join(words)).strip("(),. ")
    if re.search(r"['’]s?$", name):
        return "", start  # "the Government's current approach": a possessive, not an addressee
    return name, i


_SEPARATORS = (
    (",", "together", "with"),
    (",", "in", "consultation", "with"),
    (",", "jointly", "with"),
    (",", "working", "with"),
    (",", "and"),
    (",",),
    ("and",),
)


def _read_actor_list(text: str, pos: int) -> tuple[list[str], int]:
    """Read "X", "X and Y", "X, together with Y" at ``pos``; return the names and the end."""
    tokens = list(_TOKEN.finditer(text, pos))
    actors: list[str] = []
    end = pos
    i = 0
    while i < len(tokens):
        actor, j = _read_actor(tokens, i)
        if not actor:
            break
        actors.append(actor)
        end = tokens[j - 1].end()
        i = j
        words = [t.group(0).lower() for t in tokens[i : i + 4]]
        for sep in _SEPARATORS:
            if tuple(words[: len(sep)]) == sep:
                i += len(sep)
                break
        else:
            break
    return actors, end


def find_addressees(text: str) -> list[str]:
    """The bodies a recommendation is addressed to, in order of appearance.

    Read from "X (and Y) should/must ...", "we recommend that X ...", "we urge /
    invite / encourage X to ...": capitalised names (and a few plural actors such
    as "ministers" or "local authorities"), without a leading "the".

    >>> find_addressees("The Metropolitan Police and the CHSCP should review the policy.")
    ['Metropolitan Police', 'CHSCP']
    """
    found: list[str] = []
    for m in _ASK_ANCHOR.finditer(text):
        actors, _ = _read_actor_list(text, m.end())
        found.extend(actors)
    for m in _SENTENCE_START.finditer(text):
        actors, end = _read_actor_list(text, m.end())
        if actors and _MODAL.match(text[end:]):
            found.extend(actors)
    out: list[str] = []
    seen: set[str] = set()
    for actor in found:
        key = actor.lower()
        if key not in seen:
            seen.add(key)
            out.append(actor)
    return out


# --- extraction ------------------------------------------------------------------------


@dataclass
class _Item:
    """One printed copy of a recommendation."""

    number: str
    text: str
    labelled: bool
    passage_ids: list[str]
    pages: list[int]
    parts: list[str] = field(default_factory=list)

    @property
    def full_text(self) -> str:
        return " ".join([self.text, *self.parts]).strip()


def number_order(number: str) -> tuple[int, ...]:
    """Sort key of a recommendation number: "2" < "8.2" < "8.14" < "10" < "B".

    Lettered recommendations follow the numbered ones, in letter order.
    """
    if _LETTER.fullmatch(number):
        return (10_000 + ord(number),)
    return tuple(int(x) for x in re.findall(r"\d+", number))


#: A lettered recommendation's number ("Recommendation B").
_LETTER = re.compile(r"[A-Z]")


def _words(text: str) -> int:
    return len(re.findall(r"[^\W\d_]{2,}", text))


def _top_number(ref: str) -> str:
    ref = ref.strip()
    if m := _DEEP_NUMBER.match(ref):
        return m.group(1)
    m = re.match(r"^(\d{1,3}(?:\.\d{1,3})?)(?![\d/])", ref)  # "26/02" is a minute's number
    if m:
        return m.group(1)
    return ref if _LETTER.fullmatch(ref) else ""


def _is_section_heading(text: str) -> bool:
    return bool(_SECTION_HEADING.search(text)) and not _CONTENTS_LINE.search(text.strip())


def _sentence_like(text: str) -> bool:
    return bool(_TERMINAL.search(text.strip())) or _words(text) >= 15


def document_items(doc_passages: pd.DataFrame) -> list[_Item]:
    """Every printed recommendation item of one document, before merging copies.

    Labelled items ("Recommendation N") win: when a document has any, numbered
    paragraphs of recommendation sections are not read as recommendations.
    """
    labelled = _scan(doc_passages, labelled_only=True)
    return labelled if labelled else _scan(doc_passages, labelled_only=False)


def _scan(doc_passages: pd.DataFrame, *, labelled_only: bool) -> list[_Item]:
    items: list[_Item] = []
    in_section = False
    current: _Item | None = None
    title_like = False  # the current item's text is a title; its body follows
    body_paragraphs, skipped, body_ref = 0, 0, ""  # body paragraphs taken, findings passed
    for p in doc_passages.sort_values("seq").itertuples(index=False):
        kind, ref, text = p.kind, str(p.ref), str(p.text)
        parent = str(p.parent_ref)
        if kind == "heading":
            if _REC_LABEL_ONLY.match(text.strip()):
                current = None  # the text follows as a "recommendation" passage
            elif _is_section_heading(text):
                in_section, current = True, None
            elif in_section and _SECTION_END.match(text.strip()):
                in_section, current = False, None
            else:
                current = None
            continue
        if kind == "footnote":
            continue
        if kind == "recommendation" and _top_number(ref):
            if current is not None and current.number == _top_number(ref):
                # "4a ... 4b ...": a sub-part right after its sibling belongs to the same number
                current.parts.append(text)
                current.passage_ids.append(p.passage_id)
                current.pages.append(int(p.page))
                continue
            if labelled_only or in_section:
                current = _Item(_top_number(ref), text, True, [p.passage_id], [int(p.page)])
                items.append(current)
                title_like = not _sentence_like(text) and _words(text) <= 25
                body_paragraphs, skipped, body_ref = 0, 0, ""
            continue
        number = _top_number(ref) if _NUMBER.match(ref) or _DEEP_NUMBER.match(ref) else ""
        if (
            not labelled_only
            and in_section
            and kind == "paragraph"
            and number
            and _words(text) >= 3
        ):
            if (
                current is not None
                and current.number == number
                and (_DEEP_NUMBER.match(ref) or "(" in ref)
            ):
                current.parts.append(text)
                current.passage_ids.append(p.passage_id)
                continue
            current = _Item(number, text, False, [p.passage_id], [int(p.page)])
            items.append(current)
            title_like = False
            continue
        if current is None:
            continue
        is_part = kind == "bullet" or (kind == "paragraph" and ref.startswith("("))
        if is_part and parent in ("", current.number, body_ref):
            current.parts.append(text)
            current.passage_ids.append(p.passage_id)
            current.pages.append(int(p.page))
            continue
        if (
            title_like
            and body_paragraphs == 0
            and kind == "paragraph"
            and ref
            and not ref.startswith("(")
            and _sentence_like(text)
        ):
            # "Recommendation 1: Protocol for police" over "4.3 I recommend that ...": the
            # titled recommendation's text is the numbered paragraph that asks for action,
            # after at most two that state findings
            if asks_action(text):
                current.text = _join_title(current.text, text)
                current.passage_ids.append(p.passage_id)
                current.pages.append(int(p.page))
                body_paragraphs += 1
                body_ref = ref
                continue
            skipped += 1
            if skipped <= 2:
                continue
        if kind == "paragraph" and not ref and _sentence_like(text):
            continues = (
                in_section
                or (title_like and body_paragraphs < 3)
                or (not _TERMINAL.search(current.full_text) and text[:1].islower())
            )
            if continues:
                if current.parts:
                    current.parts.append(text)
                elif title_like and body_paragraphs == 0:
                    current.text = _join_title(current.text, text)
                else:
                    current.text = f"{current.text} {text}".strip()
                current.passage_ids.append(p.passage_id)
                current.pages.append(int(p.page))
                body_paragraphs += 1
                continue
        current = None
    return items


def _join_title(title: str, body: str) -> str:
    """A recommendation's title and the text below it, as one text: a title without
    closing punctuation gets a full stop, so that the body reads as a sentence of its
    own (its addressees are found at the start of a sentence)."""
    title = title.strip()
    if title and not _TERMINAL.search(title):
        title += "."
    return f"{title} {body}".strip()


def merge_copies(items: list[_Item]) -> list[_Item]:
    """Merge copies of one recommendation: same number, or nearly the same words.

    The fullest text is kept; pages and passage ids of every copy are recorded.
    Order: by number.
    """
    by_number: dict[str, _Item] = {}
    for item in items:
        kept = by_number.get(item.number)
        if kept is None:
            by_number[item.number] = _copy(item)
            continue
        _absorb(kept, item)
    merged: list[_Item] = []
    words: list[set[str]] = []
    for item in sorted(by_number.values(), key=lambda it: number_order(it.number)):
        mine = set(re.findall(r"\w+", item.full_text.lower()))
        twin = None
        for m, theirs in zip(merged, words, strict=True):
            if not _may_repeat(m, item, mine, theirs):
                continue
            short, long_ = _shorter(m, item), _longer(m, item)
            if containment(short.full_text, long_.full_text) >= DUPLICATE_SIMILARITY:
                twin = m
                break
        if twin is not None:
            log.info("recommendation %s repeats %s; merged", item.number, twin.number)
            _absorb(twin, item, keep_number=not (item.labelled and not twin.labelled))
            continue
        merged.append(item)
        words.append(mine)
    return merged


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


def _copy(item: _Item) -> _Item:
    return _Item(
        item.number,
        item.text,
        item.labelled,
        list(item.passage_ids),
        list(item.pages),
        list(item.parts),
    )


def _absorb(kept: _Item, other: _Item, *, keep_number: bool = True) -> None:
    if len(other.full_text) > len(kept.full_text):
        kept.text, kept.parts = other.text, list(other.parts)
    if not keep_number:
        kept.number = other.number
    kept.labelled = kept.labelled or other.labelled
    kept.passage_ids.extend(pid for pid in other.passage_ids if pid not in kept.passage_ids)
    kept.pages.extend(other.pages)


def source_documents(documents: pd.DataFrame) -> pd.DataFrame:
    """The documents that are read for recommendations (see the module docstring)."""
    docs = documents[(documents["status"] == "ok") & documents["doc_type"].isin(SOURCE_TYPES)]
    docs = docs[~docs["title"].fillna("").str.contains(_FOLLOW_UP_TITLE)]
    if "review" in docs.columns:
        keep = []
        for row in docs.itertuples(index=False):
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
_ASKS_ACTION = re.compile(
    r"\b(?:should|must|shall|ought to|needs? to|is required to|"
    r"(?:we|i) (?:\w+ )?(?:recommend|urge|call on|invite|ask|encourage|expect)|"
    r"it is (?:essential|important|vital|crucial|imperative) that)\b",
    re.I,
)


def asks_action(text: str) -> bool:
    """Whether a recommendation's text asks someone to act ("should", "we recommend").

    Reports number their conclusions and recommendations in one list; an item that
    only states a finding ("The evidence supports the conclusion that ...") is kept,
    so counts follow the report's numbering, but marked ``asks_action=False``.
    """
    return bool(_ASKS_ACTION.search(text))


def extract_recommendations(passages: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Recommendations of every source document, one row per top-level number.

    Returns the ``recommendations.parquet`` columns (``themes`` empty) plus
    ``title``, ``date``, ``pages``, ``passage_ids``, ``parts``, ``ordinal`` (the
    position in the document's list), ``asks_action`` (see :func:`asks_action`) and
    ``source`` (``document``).
    """
    rows = []
    for doc in source_documents(documents).itertuples(index=False):
        items = merge_copies(document_items(passages[passages["doc_id"] == doc.doc_id]))
        if len(items) < MIN_PER_DOCUMENT:
            if items:
                log.info("%s: %d recommendation(s) only; not a review", doc.doc_id, len(items))
            continue
        review = str(getattr(doc, "review", "") or "") or review_name(str(doc.title))
        for ordinal, item in enumerate(items, start=1):
            text = item.full_text
            rows.append(
                {
                    "rec_id": f"{doc.doc_id}#{item.number}",
                    "doc_id": doc.doc_id,
                    "review": review,
                    "number": item.number,
                    "text": text,
                    "addressees": ";".join(find_addressees(text)),
                    "themes": "",
                    "title": str(doc.title),
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
        return _empty()
    return pd.DataFrame(rows)


def _empty() -> pd.DataFrame:
    df = schema.RECOMMENDATIONS.empty()
    for col in ("title", "date", "pages", "passage_ids", "parts", "source"):
        df[col] = pd.Series([], dtype="string")
    df["ordinal"] = pd.Series([], dtype="int64")
    df["asks_action"] = pd.Series([], dtype="bool")
    return df


# --- the curated file ---------------------------------------------------------------------


class RecommendationsFileError(ValueError):
    """The curated recommendations file is malformed; the message names file, line and problem."""


def slugify(text: str) -> str:
    """Lower-case ``text`` with runs of other characters than letters and digits as ``-``."""
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-")


def load_curated(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a curated recommendations CSV (see the module docstring); validate every row.

    Raises :class:`RecommendationsFileError` naming the file, the line and the
    problem: missing or unknown columns, an empty review, number or text, a number
    that is not "7", "8.14" or "4a", a malformed date, a repeated (review, number).
    """
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RecommendationsFileError(f"{path}: cannot be read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise RecommendationsFileError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    reader = csv.DictReader(io.StringIO(content, newline=""))
    cols = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in ("review", "number", "text") if c not in cols]
    if missing:
        raise RecommendationsFileError(
            f"{path}, line 1: missing column(s) {missing}; the header must have "
            f"review, number, text (optional: addressees, date)"
        )
    unknown = [c for c in cols if c not in CURATED_COLUMNS]
    if unknown:
        raise RecommendationsFileError(
            f"{path}, line 1: unknown column(s) {unknown}; allowed: {', '.join(CURATED_COLUMNS)}"
        )
    rows = []
    seen: dict[tuple[str, str], int] = {}
    for raw in reader:
        line = reader.line_num
        if None in raw:
            raise RecommendationsFileError(
                f"{path}, line {line}: more cells than columns (quote text that has commas)"
            )
        row = {k.strip(): re.sub(r"\s+", " ", v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        for col in ("review", "number", "text"):
            if not row.get(col):
                raise RecommendationsFileError(f"{path}, line {line}: empty '{col}'")
        number = row["number"]
        if not re.fullmatch(r"\d{1,3}(?:\.\d{1,3})?[a-z]?|[A-Z]", number):
            raise RecommendationsFileError(
                f"{path}, line {line}: number {number!r} is not like 7, 8.14, 4a or B"
            )
        if row.get("date") and not re.fullmatch(r"\d{4}-\d\d-\d\d", row["date"]):
            raise RecommendationsFileError(
                f"{path}, line {line}: date {row['date']!r} is not yyyy-mm-dd"
            )
        top = _top_number(number)
        key = (row["review"].lower(), top)
        if key in seen:
            raise RecommendationsFileError(
                f"{path}, line {line}: {row['review']} recommendation {top} repeats "
                f"line {seen[key]}"
            )
        seen[key] = line
        addressees = [a.strip() for a in (row.get("addressees") or "").split(";") if a.strip()]
        rows.append(
            {
                "rec_id": f"curated#{slugify(row['review'])}#{top}",
                "doc_id": CURATED_DOC_ID,
                "review": row["review"],
                "number": top,
                "text": row["text"],
                "addressees": ";".join(addressees or find_addressees(row["text"])),
                "themes": "",
                "title": row["review"],
                "date": row.get("date") or "",
                "pages": "",
                "passage_ids": "",
                "parts": "",
                "ordinal": len(rows) + 1,
                "asks_action": asks_action(row["text"]),
                "source": f"curated:{path.name}:{line}",
            }
        )
    return pd.DataFrame(rows) if rows else _empty()


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
    from pipeline.themes.tagger import counted  # negated-only mentions are not the theme

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
) -> pd.DataFrame:
    """Extract, add the curated rows, attach themes: the ``recommendations.parquet`` frame."""
    recs = extract_recommendations(passages, documents)
    if curated is not None:
        recs = combine(recs, curated)
    if themes is not None:
        recs = attach_themes(recs, themes)
    if recs.empty:
        return _empty()
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
    recs = build_recommendations(passages, documents, curated=curated, themes=themes)
    store.write_table(recs, schema.RECOMMENDATIONS, out)
    log.info("%d recommendations of %d review(s)", len(recs), recs["review"].nunique())
    return recs

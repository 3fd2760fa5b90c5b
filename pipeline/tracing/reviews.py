"""Names of reviews: a review's short name from its title, the names a title gives it,
and which review a later document answers (see :mod:`pipeline.tracing.link`)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from pipeline.textnorm import normalize_for_match

_CASE_NAME = re.compile(
    r"\b(?:Child|Children|Adult|Family|Baby|Sibling|Young Person|Learner|Patient)s?"
    r"\s+[A-Z]{1,2}\d{0,2}(?:\s+(?:and|&)\s+[A-Z]{1,2}\d{0,2})?\b(?!['’-])"
)
GENERIC_TITLE_WORDS = {
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
        if words and not all(w in GENERIC_TITLE_WORDS or w.isdigit() for w in words):
            return _cut(part)
    return _cut(parts[0]) if parts else ""


def _cut(name: str, width: int = 80) -> str:
    """``name`` cut to at most ``width`` characters at a word boundary.

    >>> _cut("Reimagining Case Management in Children's Social Care Pilot North Yorkshire Council")
    "Reimagining Case Management in Children's Social Care Pilot North Yorkshire"
    """
    if len(name) <= width:
        return name
    return name[: width + 1].rsplit(" ", 1)[0].rstrip(" ,;:")


_REVIEW_CUE = re.compile(
    r"\b(?:review|reviews|report|inquiry|response|recommendations?|committee|panel|"
    r"findings|action plan|lcspr|cspr|scr)\b",
    re.I,
)
_CASE_ALIAS = re.compile(r"^(?:child|children|adult|family|baby|sibling)s? [a-z]{1,2}\d{0,2}$")
_TITLE_CASE_ALIAS = re.compile(r"\b(?:Child|Children|Adult|Family|Baby)\s+[A-Z]{1,2}\b(?!['’-])")


_NAME_END = re.compile(
    r"\s(?:into|on|of the|following|concerning|about|regarding|for|in respect of)\s|,"
)


def title_names(title: str) -> set[str]:
    """Shorter names a title gives its review, normalised: each part of the title (split
    at ":" and dashes) up to the words that say what it is about, without "The" ("The
    Harrowmere Independent Inquiry into the death of Child T" -> "harrowmere independent
    inquiry"), where at least one word is not generic ("Local Child Safeguarding
    Practice Review" names no review in particular)."""
    out: set[str] = set()
    for part in re.split(r":|\s[–—-]\s|\|", title or ""):
        head = _NAME_END.split(f" {part.strip()} ", maxsplit=1)[0]
        norm = re.sub(r"^the ", "", normalize_for_match(head))
        words = norm.split()
        if 2 <= len(words) <= 8 and any(w not in GENERIC_TITLE_WORDS for w in words):
            out.add(norm)
    return out


@dataclass
class ReviewIndex:
    """The reviews that have recommendations, the words that name them, their documents."""

    aliases: dict[str, list[str]]  # review -> normalised names
    recs: dict[str, pd.DataFrame]  # review -> its recommendations
    source_docs: dict[str, set[str]]
    dates: dict[str, str]

    @classmethod
    def build(cls, recs: pd.DataFrame) -> ReviewIndex:
        """Index the reviews of a recommendations frame."""
        aliases: dict[str, list[str]] = {}
        by_review: dict[str, pd.DataFrame] = {}
        sources: dict[str, set[str]] = {}
        dates: dict[str, str] = {}
        for review, group in recs.groupby("review", sort=True):
            names = {normalize_for_match(review)}
            names.add(re.sub(r"^the ", "", normalize_for_match(review)))
            # the document's title (``doc_title``; frames of older outputs call it ``title``)
            column = "doc_title" if "doc_title" in group.columns else "title"
            for title in group.get(column, pd.Series(dtype=str)).fillna("").unique():
                norm = normalize_for_match(title)
                if 3 <= len(norm.split()) <= 14:
                    names.add(norm)
                names.update(title_names(title))
            aliases[review] = sorted((n for n in names if len(n) >= 3), key=len, reverse=True)
            by_review[review] = group
            sources[review] = {d for d in group["doc_id"] if d != "curated"}
            valid = [d for d in group.get("date", pd.Series(dtype=str)).fillna("") if d]
            dates[review] = min(valid) if valid else ""
        return cls(aliases, by_review, sources, dates)

    def resolve(self, name: str) -> str:
        """The known review called ``name`` (case and punctuation ignored), else ``name``."""
        norm = normalize_for_match(name)
        for review, names in self.aliases.items():
            if norm in names or norm == normalize_for_match(review):
                return review
        return name

    def mentioned(self, text: str, *, need_cue: bool = True) -> list[str]:
        """Reviews named in ``text``; with ``need_cue`` only where a review word stands near."""
        norm = f" {normalize_for_match(text)} "
        found: list[str] = []
        for review, names in self.aliases.items():
            for name in names:
                if f" {name} " not in norm:  # (most texts name no review: skip the regex)
                    continue
                for m in re.finditer(rf" {re.escape(name)} ", norm):
                    window = norm[max(0, m.start() - 60) : m.end() + 60]
                    if not need_cue or _CASE_ALIAS.match(name) or _REVIEW_CUE.search(window):
                        found.append(review)
                        break
                if review in found:
                    break
        return found


def document_review(
    doc: pd.Series, doc_passages: pd.DataFrame, index: ReviewIndex
) -> tuple[str, str]:
    """Which review a document answers and how that was decided (see the module docstring).

    Returns ``(review, how)``; ``review`` is ``""`` when unknown. A review named
    only by a case name in the title ("Child Q") is returned even when it has no
    recommendations here.
    """
    manifest = str(doc.get("review", "") or "").strip()
    if manifest:
        return index.resolve(manifest), "manifest"
    title = str(doc.get("title", "") or "")
    named = index.mentioned(title, need_cue=False)
    if named:
        return named[0], "title"
    opening = doc_passages[doc_passages["page"] <= 3].head(40)
    counts: dict[str, int] = defaultdict(int)
    for text in opening["text"]:
        for review in index.mentioned(str(text)):
            counts[review] += 1
    if counts:
        return max(sorted(counts), key=lambda r: counts[r]), "opening text"
    if m := _TITLE_CASE_ALIAS.search(title):
        return m.group(0), "case name in title"
    return "", ""

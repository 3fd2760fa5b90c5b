"""Linking one document: the evidence that a passage answers a recommendation, and
the reply scopes that carry it from a restatement or heading to the passages below
(the kinds of evidence and how they combine: :mod:`pipeline.tracing.link`)."""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipeline.frames import itertuples
from pipeline.recnumbers import top_number
from pipeline.status import detect_status, leading_label
from pipeline.structure import is_generic_heading
from pipeline.textnorm import normalize_for_match
from pipeline.textsim import TermWeights, containment
from pipeline.tracing.references import (
    NUMBER_HEADER,
    REC_LABEL,
    REC_WORD,
    Reference,
    expand_reference,
    find_references,
)
from pipeline.tracing.reviews import ReviewIndex

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkParams:
    """Weights and thresholds of the linker (chosen on development data; see the README)."""

    threshold: float = 0.5  #: a link needs at least this score
    explicit: float = 0.85  #: "Recommendation 3" in the passage
    cross_reference: float = 0.35  #: the same inside the reply to another recommendation
    restatement_min: float = 0.85  #: containment for a passage to restate a recommendation
    reply: float = 0.6  #: a passage in the reply to a restated recommendation
    group_ratio: float = 0.35  #: reply -> group member scoring >= this x the best member
    group_floor: float = 0.02  #: below this best member score a reply goes to the whole group
    sim_full: float = 0.27  #: cosine at which similarity evidence is full (linear below)
    sim_weight: float = 0.9  #: full similarity evidence (0.5, a link on its own, at cosine 0.15)
    sim_margin: float = 0.35  #: (best - second) / best needed for a similarity-only link
    unknown_review: float = 0.6  #: similarity weight factor when the review is not known
    addressee: float = 0.1  #: the passage names an addressee of the recommendation
    theme: float = 0.1  #: x Jaccard of passage and recommendation themes
    min_words: int = 4  #: passages with fewer words are not linked (except explicit refs)
    sim_min_lemmas: int = 6  #: similarity-only links need this many content lemmas


PARAMS = LinkParams()


@dataclass
class _Evidence:
    explicit: float = 0.0
    restatement: float = 0.0
    heading: float = 0.0
    similarity: float = 0.0
    support: float = 0.0
    notes: list[str] = field(default_factory=list)

    def score(self) -> float:
        primary = [self.explicit, self.restatement, self.heading, self.similarity]
        parts = [*primary, self.support if any(primary) else 0.0]
        return float(1 - np.prod([1 - p for p in parts]))

    def method(self) -> str:
        kinds = [
            name
            for name in ("explicit", "restatement", "heading", "similarity")
            if getattr(self, name) > 0
        ]
        return "+".join(kinds)


@dataclass
class LinkContext:
    """Everything linking one document needs: the recommendations' side is computed
    once for all documents, the passages' side (``passage_pos``, ``pmat``, ``sims``) for
    the document being linked."""

    recs: pd.DataFrame
    index: ReviewIndex
    rec_pos: dict[str, int]
    passage_pos: dict[str, int]
    sims: np.ndarray  # passages x recs cosine
    terms: list[str]
    pmat: object
    rmat: object
    rec_ids: list[str]
    rec_numbers: list[str]
    rec_reviews: list[str]
    rec_texts: list[str]
    rec_addressees: list[list[str]]
    rec_themes: list[set[str]]
    passage_themes: dict[str, set[str]]
    params: LinkParams
    review_names: list[str] = field(default_factory=list)  # removed from the texts compared
    weights: TermWeights | None = None  # the IDF of the recommendations' words


def _words(text: str) -> int:
    return len(re.findall(r"[^\W\d_]{2,}", text))


def _lemma_count(text: str) -> int:
    from pipeline.textsim import content_lemmas

    return len(content_lemmas(text))


_TERMINAL = re.compile(r"[.!?:;][\"')\]]*$")
_SCOPE_END = re.compile(
    r"^(?:annex|annexe|appendix|appendices|glossary|references|bibliography|conclusion|"
    r"conclusions|next steps|contact|further information)\b",
    re.I,
)


def strip_names(text: str, names: list[str]) -> str:
    """``text`` without the review names ``names`` (a name in every text weighs nothing)."""
    out = text
    low = out.lower() if out.isascii() else None
    for name in names:
        if low is not None and name.isascii() and name.lower() not in low:
            continue  # ASCII: a text without the name in any case cannot match (checked cheaply)
        new = re.sub(rf"\b{re.escape(name)}\b", " ", out, flags=re.I)
        if new != out:
            out = new
            low = out.lower() if out.isascii() else None
    return out


def _shared_terms(ctx: LinkContext, p: int, r: int, k: int = 4) -> list[str]:
    """The ``k`` terms that weigh most in the passage's similarity to the recommendation
    (equal weights in the order of the terms)."""
    return [ctx.terms[i] for i in _top_shared(ctx.pmat[p], ctx.rmat[r], k)]


def _top_shared(a, b, k: int) -> list[int]:
    """The columns of the ``k`` largest positive products of two sparse rows, largest
    first, equal products in column order (computed on the few shared terms)."""
    shared, ia, ib = np.intersect1d(a.indices, b.indices, assume_unique=True, return_indices=True)
    prod = a.data[ia] * b.data[ib]
    keep = prod > 0
    shared, prod = shared[keep], prod[keep]
    order = np.argsort(-prod, kind="stable")
    return [int(i) for i in shared[order[:k]]]


def _group_members(ctx: LinkContext, pi: int, group: list[str]) -> dict[str, float]:
    """Which members of a group of restated recommendations a reply speaks of.

    Each member is scored by the TF-IDF weight the reply shares with the words
    only that member uses (not the other members). Members scoring at least
    :attr:`LinkParams.group_ratio` of the best are returned with their share of
    the best; when even the best is below :attr:`LinkParams.group_floor` the reply
    is about the group as a whole and every member is returned.
    """
    prm = ctx.params
    rows = [ctx.rec_pos[rid] for rid in group]
    pvec = ctx.pmat[pi]
    terms = [set(ctx.rmat[r].nonzero()[1]) for r in rows]
    pv = pvec.toarray().ravel() if hasattr(pvec, "toarray") else np.asarray(pvec).ravel()
    scores = []
    for k, r in enumerate(rows):
        others = set().union(*(terms[q] for q in range(len(rows)) if q != k))
        own = sorted(terms[k] - others)
        rv = ctx.rmat[r]
        rv = rv.toarray().ravel() if hasattr(rv, "toarray") else np.asarray(rv).ravel()
        scores.append(float(sum(pv[t] * rv[t] for t in own)))
    best = max(scores)
    if best < prm.group_floor:
        return dict.fromkeys(group, 1.0)
    return {
        rid: sc / best
        for rid, sc in zip(group, scores, strict=True)
        if sc >= prm.group_ratio * best
    }


def _rec_ids_for(
    ctx: LinkContext, numbers: list[str], rows: list[int], mapping: dict[str, str]
) -> list[str]:
    """The candidate recommendations that ``numbers`` name (through the document's numbering)."""
    allowed = {ctx.rec_ids[r] for r in rows}
    by_number = {ctx.rec_numbers[r]: ctx.rec_ids[r] for r in rows}
    out = []
    for n in numbers:
        rid = mapping.get(n) if mapping else by_number.get(n)
        if rid and rid in allowed:
            out.append(rid)
    return list(dict.fromkeys(out))


def _numbering_map(pairs: list[tuple[str, str, str]]) -> dict[str, str]:
    """From (printed number, rec number, rec_id) of restatements: the document's own numbering.

    Empty when the document uses the report's numbers (most printed numbers agree).
    """
    if len(pairs) < 3:
        return {}
    differ = sum(1 for printed, number, _ in pairs if printed != number)
    if differ / len(pairs) <= 0.5:
        return {}
    return {printed: rid for printed, _, rid in pairs}


def _restatement(
    ctx: LinkContext, p, cand: list[int], printed: str = ""
) -> tuple[str, float] | None:
    """The recommendation a passage quotes (nearly) word for word, with the containment.

    When the recommendation with the ``printed`` number is quoted nearly as
    completely as the best match (recommendations that share boilerplate), it wins.
    A label the passage opens with ("Recommendation:", "Recommendation 4 -") is not
    part of the quote.
    """
    prm = ctx.params
    text = REC_LABEL.sub("", str(p.text), count=1)
    n_words = _words(text)
    if not cand or n_words < 8 or p.kind in ("footnote", "table", "heading"):
        return None
    pi = ctx.passage_pos[p.passage_id]
    # the three most similar (ties in candidate order, as a stable sort by -similarity)
    rows = [cand[k] for k in np.argsort(-ctx.sims[pi, cand], kind="stable")[:3]]
    rows += [r for r in cand if printed and ctx.rec_numbers[r] == printed and r not in rows]
    scores = {
        r: containment(text, ctx.rec_texts[r])
        for r in rows
        if ctx.sims[pi, r] >= 0.2 or ctx.rec_numbers[r] == printed
    }
    if not scores:
        return None
    best = max(scores, key=lambda r: scores[r])
    need = prm.restatement_min if n_words >= 15 else max(prm.restatement_min, 0.95)
    if scores[best] < need:
        return None
    same = [r for r in scores if printed and ctx.rec_numbers[r] == printed]
    if same and scores[same[0]] >= need and scores[same[0]] >= scores[best] - 0.05:
        best = same[0]
    if scores[best] < 0.98:
        # a close paraphrase that states a status the recommendation does not ("has
        # commissioned the review ...") reports on it rather than quoting it
        cue = detect_status(text).cue
        if cue and normalize_for_match(cue) not in normalize_for_match(ctx.rec_texts[best]):
            return None
    return ctx.rec_ids[best], scores[best]


@dataclass
class _Scope:
    """The recommendation(s) the passages being read reply to."""

    members: list[str] = field(default_factory=list)
    from_heading: bool = False
    page: int = 0
    open: bool = False  # a restatement here joins the current group

    def open_heading(self, rec_ids: list[str], page: int) -> None:
        self.members, self.from_heading, self.page, self.open = list(rec_ids), True, page, True

    def close(self, *, expect_restatement: bool = False) -> None:
        self.members, self.from_heading, self.open = [], False, expect_restatement

    def add_restatement(self, rid: str, page: int) -> None:
        if self.open and self.from_heading and len(self.members) == 1:
            self.members = [rid]  # the restated text wins over the heading's number
        elif self.open and not self.from_heading:
            if rid not in self.members:
                self.members = [*self.members, rid]
        elif not (self.open and rid in self.members):
            self.members = [rid]
        self.from_heading, self.page, self.open = False, page, True

    def reply_seen(self) -> None:
        self.open = False

    def describe(self) -> str:
        how = "headed" if self.from_heading else "restated"
        return f"reply under the {how} recommendation (p{self.page})"


def _support(ctx: LinkContext, p, r: int, ev: _Evidence) -> float:
    """Supporting evidence: the passage names an addressee, or shares themes with it."""
    prm = ctx.params
    support = 0.0
    norm = f" {normalize_for_match(str(p.text))} "
    addressed = [a for a in ctx.rec_addressees[r] if a and f" {normalize_for_match(a)} " in norm]
    if addressed:
        support += prm.addressee
        ev.notes.append(f"addressee {addressed[0]}")
    ptheme = ctx.passage_themes.get(p.passage_id, set())
    rtheme = ctx.rec_themes[r]
    if ptheme and rtheme:
        shared = ptheme & rtheme
        if shared:
            support += prm.theme * len(shared) / len(ptheme | rtheme)
            ev.notes.append(f"themes {';'.join(sorted(shared))}")
    return support


def link_document(
    doc: pd.Series, doc_passages: pd.DataFrame, ctx: LinkContext, default_review: str
) -> list[dict]:
    """Links of one later document (see the module docstring)."""
    prm = ctx.params
    index = ctx.index
    passages = doc_passages.sort_values("seq").reset_index(drop=True)
    rows_of = list(itertuples(passages, index=False))  # read once, used by every pass below
    doc_date = str(doc.get("date", "") or "")

    def allowed(review: str) -> bool:
        if doc.doc_id in index.source_docs.get(review, set()):
            return False
        rdate = index.dates.get(review, "")
        return not (doc_date and rdate and doc_date < rdate)

    # 1. review context of every passage
    reviews: list[list[str]] = []
    section = ""
    for p in rows_of:
        text = str(p.text)
        named = index.mentioned(text)
        if p.kind == "heading" and not is_generic_heading(text):
            section = named[0] if named else ""
        if named:
            reviews.append(named)
        elif section:
            reviews.append([section])
        else:
            reviews.append([default_review] if default_review else [])
    all_reviews = sorted(index.recs)

    cache: dict[tuple[str, ...], list[int]] = {}

    def candidates_of(i: int) -> tuple[list[int], bool]:
        names = tuple(reviews[i]) or tuple(all_reviews)
        if names not in cache:
            cache[names] = [
                ctx.rec_pos[rid]
                for r in names
                if r in index.recs and allowed(r)
                for rid in index.recs[r]["rec_id"]
            ]
        return cache[names], bool(reviews[i])

    cands = [candidates_of(i) for i in range(len(passages))]

    # 2. restatements, and the numbers printed on them
    restated: dict[int, tuple[str, float]] = {}
    pairs: list[tuple[str, str, str]] = []
    heading_number = ""
    for i, p in enumerate(rows_of):
        text = str(p.text)
        if p.kind == "heading":
            refs = find_references(text)
            heading_number = refs[0].numbers[0] if refs else ""
            continue
        printed = top_number(str(p.ref)) if p.kind in ("recommendation", "paragraph") else ""
        printed = printed or heading_number
        found = _restatement(ctx, p, cands[i][0], printed)
        if found is not None:
            rid, c = found
            restated[i] = found
            if printed and p.kind != "bullet":
                pairs.append((printed, ctx.rec_numbers[ctx.rec_pos[rid]], rid))
        heading_number = ""
    if not default_review and len(restated) >= 2:
        # a document that quotes several recommendations of one review answers that review
        counts: dict[str, int] = defaultdict(int)
        for rid, _ in restated.values():
            counts[ctx.rec_reviews[ctx.rec_pos[rid]]] += 1
        top = max(sorted(counts), key=lambda r: counts[r])
        if counts[top] >= 2 and counts[top] > len(restated) / 2:
            default_review = top
            reviews = [names or [top] for names in reviews]
            cands = [candidates_of(i) for i in range(len(passages))]
    mapping = _numbering_map(pairs)

    # 3. explicit references, scopes (restatement groups, "Recommendation N" headings)
    evidence: dict[int, dict[str, _Evidence]] = defaultdict(dict)
    scope = _Scope()
    in_scope: set[int] = set()
    parent_refs: dict[str, list[str]] = {}
    table_numbers = False  # inside a table whose first column holds recommendation numbers
    for i, p in enumerate(rows_of):
        text = str(p.text)
        cand, known = cands[i]
        own_review = reviews[i] == ([default_review] if default_review else [])
        existing = [ctx.rec_numbers[r] for r in cand]
        refs = find_references(text)
        if p.kind == "table":
            first = text.split("|")[0].strip()
            if NUMBER_HEADER.match(first):
                table_numbers = True
            elif table_numbers and re.fullmatch(r"\d{1,3}(?:\.\d{1,3})?[a-z]?", first):
                refs = [Reference((top_number(first),), first, 0), *refs]
        else:
            table_numbers = False
            own = top_number(str(p.ref)) if p.kind == "recommendation" else ""
            if own and leading_label(text).status:
                # "Recommendation 2 - Accepted. ...": a reply under the number it answers
                refs = [Reference((own,), f"Recommendation {p.ref}", 0), *refs]
        numbers = [n for r in refs for n in expand_reference(r, existing)]
        explicit_ids = _rec_ids_for(ctx, numbers, cand, mapping if own_review else {})
        words = next((r.words.strip() for r in refs if r.words), "")
        if p.kind == "heading":
            if explicit_ids and known:
                scope.open_heading(explicit_ids, int(p.page))
            elif explicit_ids:
                # "Recommendation 14" in a document whose review is unknown: the number
                # names no review, so it opens no reply to one (it may be another's 14)
                scope.close()
            elif REC_WORD.search(text) or _SCOPE_END.match(text.strip()):
                scope.close(expect_restatement=True)
            elif index.mentioned(text) and not own_review:
                scope.close()
            for rid in explicit_ids:
                ev = evidence[i].setdefault(rid, _Evidence())
                ev.explicit = prm.explicit if known else prm.cross_reference
                ev.notes.append(f"heading '{text[:40]}'")
            continue
        if i in restated:
            rid, c = restated[i]
            scope.add_restatement(rid, int(p.page))
            ev = evidence[i].setdefault(rid, _Evidence())
            ev.restatement = c
            printed = f"; printed {p.ref}" if p.ref and top_number(str(p.ref)) else ""
            ev.notes.append(f"restates the recommendation ({c:.0%} of its words{printed})")
            continue
        label_first = bool(refs) and refs[0].start <= 2 and p.kind != "table"
        if label_first and explicit_ids:
            scope.close()  # "Recommendation 6 has not been accepted ...": its own statement
        scope.reply_seen()
        if p.ref and explicit_ids:
            parent_refs[str(p.ref)] = explicit_ids
        if p.kind == "footnote" or (_words(text) < prm.min_words and not explicit_ids):
            continue
        for rid in explicit_ids:
            ev = evidence[i].setdefault(rid, _Evidence())
            cross = bool(scope.members) and rid not in scope.members
            weak = cross or not known
            ev.explicit = prm.cross_reference if weak else prm.explicit
            kind = "cross-reference " if cross else "unattributed " if not known else ""
            ev.notes.append(f"{kind}'{words}'")
        members = list(scope.members)
        where = scope.describe()
        if not members and p.kind == "bullet" and str(p.parent_ref) in parent_refs:
            members = parent_refs[str(p.parent_ref)]
            where = f"item under paragraph {p.parent_ref}"
        sentence_like = _TERMINAL.search(text) or _words(text) >= 10 or p.kind == "bullet"
        if members and sentence_like and not label_first:
            in_scope.add(i)
            pi = ctx.passage_pos[p.passage_id]
            chosen = {members[0]: 1.0} if len(members) == 1 else _group_members(ctx, pi, members)
            note = where
            if len(chosen) < len(members):
                note += f", the one(s) of {len(members)} it speaks of"
            for rid, share in chosen.items():
                ev = evidence[i].setdefault(rid, _Evidence())
                ev.heading = prm.reply * (0.7 + 0.3 * share)
                ev.notes.append(note)

    # 4. similarity (and addressees, themes)
    for i, p in enumerate(rows_of):
        cand, known = cands[i]
        text = str(p.text)
        if not cand or i in restated or p.kind in ("heading", "footnote"):
            continue
        pi = ctx.passage_pos[p.passage_id]
        rows = cand
        sims = ctx.sims[pi, rows]
        factor = 1.0 if known else prm.unknown_review
        have = evidence.get(i, {})
        targets: list[int] = [r for r in rows if ctx.rec_ids[r] in have]
        if not targets and i not in in_scope and _lemma_count(text) >= prm.sim_min_lemmas:
            order = np.argsort(-sims)
            best = sims[order[0]]
            second = sims[order[1]] if len(order) > 1 else 0.0
            if best > 0 and (best - second) >= prm.sim_margin * best:
                targets = [rows[order[0]]]
        for r in targets:
            rid = ctx.rec_ids[r]
            c = float(ctx.sims[pi, r])
            ev = evidence[i].setdefault(rid, _Evidence())
            ev.similarity = float(np.clip(c / prm.sim_full, 0, 1) * prm.sim_weight * factor)
            if c > 0:
                ev.notes.append(f"similarity {c:.2f} ({', '.join(_shared_terms(ctx, pi, r))})")
            ev.support = _support(ctx, p, r, ev)

    # 5. links
    out: list[dict] = []
    for i, evs in evidence.items():
        p = rows_of[i]
        status = detect_status(str(p.text)) if i not in restated and p.kind != "heading" else None
        scored = sorted(((ev.score(), rid, ev) for rid, ev in evs.items()), key=lambda t: -t[0])
        rank = 0
        for score, rid, ev in scored:
            if score < prm.threshold:
                continue
            rank += 1
            pos = ctx.rec_pos[rid]
            out.append(
                {
                    "passage_id": p.passage_id,
                    "doc_id": p.doc_id,
                    "rec_id": rid,
                    "score": round(score, 4),
                    "method": ev.method(),
                    "status": status.status if status else "",
                    "evidence": "; ".join(ev.notes),
                    "review": ctx.rec_reviews[pos],
                    "number": ctx.rec_numbers[pos],
                    "status_cue": status.cue if status else "",
                    "rank": rank,
                }
            )
    return out

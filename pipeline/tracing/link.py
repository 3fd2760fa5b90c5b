"""Passage -> recommendation links: which review a document answers, evidence, score, status.

Which review
    A document's review is ``documents.review`` (the manifest) when set; else the
    review whose short name or full title its title names; else one its opening
    pages name next to a word such as "response", "report", "review" or
    "recommendations"; else a case name in its title ("Child Q ...") names a
    review that has no recommendations here. Inside a document, a heading that
    names a review switches to it until the next heading that names none (an
    agenda item of minutes), and a passage that names a review ("Recommendation 4
    of the Missing Education thematic review") speaks of that one. A passage is
    linked only to its review's recommendations when the review is known, and
    to every review's otherwise. A review's own documents, and documents dated
    before it, are not linked to it.

Evidence (each with a weight in :class:`LinkParams`, combined as a noisy-OR into
``score``; ``method`` names the kinds that contributed, ``evidence`` the words)
    ``explicit``
        "Recommendation 3", "recommendations 3 and 4", "8.14-8.16", "R3", "rec. 3"
        ("paragraph 7.41" is not a recommendation number). Inside the reply to
        another recommendation such a mention is a cross-reference and weighs
        less.
    ``restatement``
        the passage quotes a recommendation (nearly) word for word. It wins over
        a printed number that disagrees (a response that prints "8.32" twice).
        When most of a document's restatements carry a printed number that
        differs from the report's, the document numbers the recommendations its
        own way ("Recommendation 1" of a government response = paragraph 4 of the
        report's summary), and its explicit numbers are read through that map.
    ``heading``
        a passage after a restatement or a "Recommendation N" heading replies to
        it until the next one. Replies after a group of restatements link to the
        members they resemble (:attr:`LinkParams.group_ratio` of the best), or to
        all when they resemble none.
    ``similarity``
        TF-IDF cosine over lemmas between the passage and the recommendation
        (the review's own name removed from both), counted only when the best
        match stands out from the second (:attr:`LinkParams.sim_margin`), so an
        introduction that shares vocabulary with many recommendations links to
        none; shared addressees and shared themes (``themes.parquet``, when it
        exists) add a little.

``status`` comes from the passage's own words (:mod:`pipeline.status`);
restatements state none.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipeline import schema, store
from pipeline.rag import apply_rag
from pipeline.recnumbers import top_number
from pipeline.status import detect_status, leading_label
from pipeline.structure import is_generic_heading
from pipeline.textnorm import normalize_for_match
from pipeline.textsim import containment, cosine, tfidf_matrix
from pipeline.tracing.coverage import coverage
from pipeline.tracing.references import (
    NUMBER_HEADER,
    REC_LABEL,
    REC_WORD,
    Reference,
    expand_reference,
    find_references,
)
from pipeline.tracing.reviews import ReviewIndex, document_review

if TYPE_CHECKING:
    from pipeline.config import RunConfig

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

# --- linking one document ----------------------------------------------------------------


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
class _Context:
    """Everything linking needs, computed once for all documents."""

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


def _strip_names(text: str, names: list[str]) -> str:
    out = text
    for name in names:
        out = re.sub(rf"\b{re.escape(name)}\b", " ", out, flags=re.I)
    return out


def _shared_terms(ctx: _Context, p: int, r: int, k: int = 4) -> list[str]:
    """The ``k`` terms that weigh most in the passage's similarity to the recommendation."""
    a, b = ctx.pmat[p], ctx.rmat[r]
    if hasattr(a, "indices") and hasattr(b, "indices"):
        top = _top_shared(a, b, k)
        if top is not None:
            return [ctx.terms[i] for i in top]
    # the whole vocabulary, sorted (also where equal weights make the order above ambiguous)
    prod = a.multiply(b) if hasattr(a, "multiply") else a * b
    prod = prod.toarray().ravel() if hasattr(prod, "toarray") else np.asarray(prod).ravel()
    top = np.argsort(-prod)[:k]
    return [ctx.terms[i] for i in top if prod[i] > 0]


def _top_shared(a, b, k: int) -> list[int] | None:
    """The columns of the ``k`` largest positive products of two sparse rows, largest
    first: what sorting the dense product of the whole vocabulary gives, computed on the
    few shared terms. ``None`` when two of the products that decide the order are equal
    (the dense sort is not stable, so only it can say which comes first)."""
    shared, ia, ib = np.intersect1d(a.indices, b.indices, assume_unique=True, return_indices=True)
    prod = a.data[ia] * b.data[ib]
    keep = prod > 0
    shared, prod = shared[keep], prod[keep]
    order = np.argsort(-prod, kind="stable")
    vals = prod[order]
    m = min(len(vals), k + 1)
    if m > 1 and np.any(vals[: m - 1] == vals[1:m]):
        return None
    return [int(i) for i in shared[order[:k]]]


def _group_members(ctx: _Context, pi: int, group: list[str]) -> dict[str, float]:
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
    ctx: _Context, numbers: list[str], rows: list[int], mapping: dict[str, str]
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


def _restatement(ctx: _Context, p, cand: list[int], printed: str = "") -> tuple[str, float] | None:
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


def _support(ctx: _Context, p, r: int, ev: _Evidence) -> float:
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
    doc: pd.Series, doc_passages: pd.DataFrame, ctx: _Context, default_review: str
) -> list[dict]:
    """Links of one later document (see the module docstring)."""
    prm = ctx.params
    index = ctx.index
    passages = doc_passages.sort_values("seq").reset_index(drop=True)
    rows_of = list(passages.itertuples(index=False))  # read once, used by every pass below
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


def link_passages(
    passages: pd.DataFrame,
    documents: pd.DataFrame,
    recommendations: pd.DataFrame,
    *,
    themes: pd.DataFrame | None = None,
    params: LinkParams = PARAMS,
    jobs: int = 1,
) -> pd.DataFrame:
    """Link every passage of every later document to the recommendations it answers.

    Returns the ``links.parquet`` columns plus ``review``, ``number`` (of the
    recommendation), ``status_cue`` (the words that gave the status) and ``rank``
    (1 for the passage's strongest link). The similarities are computed once over
    every text; then each document is linked on its own, in ``jobs`` processes when
    there are several (forked, so they share the similarities), with the same rows.
    """
    if recommendations.empty or passages.empty:
        return _empty_links()
    recs = recommendations.reset_index(drop=True)
    index = ReviewIndex.build(recs)
    docs = documents[documents["status"] == "ok"]
    raw_names = list(recs["review"].unique())
    cand_passages = passages[passages["doc_id"].isin(set(docs["doc_id"]))].reset_index(drop=True)
    texts = [_strip_names(t, raw_names) for t in cand_passages["text"].astype(str)]
    rec_texts = [_strip_names(t, raw_names) for t in recs["text"].astype(str)]
    matrix, vocab = tfidf_matrix([*rec_texts, *texts], return_vocabulary=True)
    rmat, pmat = matrix[: len(recs)], matrix[len(recs) :]
    sims = cosine(pmat, rmat)
    theme_map: dict[str, set[str]] = {}
    if themes is not None and not themes.empty:
        from pipeline.counting import counted  # negated-only mentions are not the theme

        theme_map = {pid: set(g) for pid, g in counted(themes).groupby("passage_id")["theme"]}
    ctx = _Context(
        recs=recs,
        index=index,
        rec_pos={rid: i for i, rid in enumerate(recs["rec_id"])},
        passage_pos={pid: i for i, pid in enumerate(cand_passages["passage_id"])},
        sims=sims,
        terms=list(vocab),
        pmat=pmat,
        rmat=rmat,
        rec_ids=list(recs["rec_id"]),
        rec_numbers=list(recs["number"]),
        rec_reviews=list(recs["review"]),
        rec_texts=list(recs["text"].astype(str)),
        rec_addressees=[[a for a in str(x).split(";") if a] for x in recs["addressees"].fillna("")],
        rec_themes=[set(filter(None, str(x).split(";"))) for x in recs["themes"].fillna("")],
        passage_themes=theme_map,
        params=params,
    )
    work = []
    by_doc = {d: grp for d, grp in cand_passages.groupby("doc_id", sort=False)}
    for _, doc in docs.sort_values("doc_id").iterrows():
        doc_passages = by_doc.get(doc["doc_id"])
        if doc_passages is not None and not doc_passages.empty:
            work.append((doc, doc_passages))
    rows: list[dict] = []
    for doc_rows in _link_documents(work, ctx, jobs):
        rows.extend(doc_rows)
    if not rows:
        return _empty_links()
    return pd.DataFrame(rows)


def _link_one(doc: pd.Series, doc_passages: pd.DataFrame, ctx: _Context) -> list[dict]:
    review, how = document_review(doc, doc_passages, ctx.index)
    log.debug("%s: review %r (%s)", doc["doc_id"], review, how)
    return link_document(doc, doc_passages, ctx, review)


#: The context forked workers of :func:`_link_documents` inherit.
_FORK_CONTEXT: _Context | None = None


def _link_forked(doc: pd.Series, doc_passages: pd.DataFrame) -> list[dict]:
    assert _FORK_CONTEXT is not None
    return _link_one(doc, doc_passages, _FORK_CONTEXT)


def _link_documents(
    work: list[tuple[pd.Series, pd.DataFrame]], ctx: _Context, jobs: int
) -> list[list[dict]]:
    """The links of each document of ``work``, in its order; in forked processes (Linux)
    when ``jobs`` > 1 and there is enough to share."""
    import sys

    total = sum(len(p) for _, p in work)
    if jobs < 2 or len(work) < 2 or total < 2000 or not sys.platform.startswith("linux"):
        return [_link_one(doc, p, ctx) for doc, p in work]
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    global _FORK_CONTEXT
    _FORK_CONTEXT = ctx
    try:
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(work)), mp_context=mp.get_context("fork")
        ) as pool:
            # the longest documents first; results are put back in document order
            order = sorted(range(len(work)), key=lambda i: -len(work[i][1]))
            futures = {i: pool.submit(_link_forked, *work[i]) for i in order}
            return [futures[i].result() for i in range(len(work))]
    finally:
        _FORK_CONTEXT = None


def _empty_links() -> pd.DataFrame:
    df = schema.LINKS.empty()
    for col in ("review", "number", "status_cue"):
        df[col] = pd.Series([], dtype="string")
    df["rank"] = pd.Series([], dtype="int64")
    return df


# --- the stage ------------------------------------------------------------------------------

COVERAGE_CSV = Path("tables") / "recommendation_coverage.csv"


def link_stage(cfg: RunConfig) -> pd.DataFrame:
    """Read passages, documents, recommendations and themes; write ``links.parquet``
    and ``tables/recommendation_coverage.csv``."""
    out = Path(cfg.output_dir)
    documents = store.read_table(schema.DOCUMENTS, out)
    passages = store.read_table(schema.PASSAGES, out)
    recs = store.read_table(schema.RECOMMENDATIONS, out)
    themes = store.read_table(schema.THEMES, out)
    links = link_passages(passages, documents, recs, themes=themes, jobs=getattr(cfg, "n_jobs", 1))
    links = apply_rag(links, passages, documents)  # the rag column, mapped statuses
    store.write_table(links, schema.LINKS, out)
    store.write_csv(coverage(recs, links, passages, documents), out / COVERAGE_CSV)
    log.info("%d links to %d recommendation(s)", len(links), links["rec_id"].nunique())
    return links

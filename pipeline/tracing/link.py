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
        (every review's name removed from both; the IDF is that of the
        recommendations' words, so a document's similarities change only when the
        recommendations do, not when another document is added), counted only when
        the best
        match stands out from the second (:attr:`LinkParams.sim_margin`), so an
        introduction that shares vocabulary with many recommendations links to
        none; shared addressees and shared themes (``themes.parquet``, when it
        exists) add a little.

``status`` comes from the passage's own words (:mod:`pipeline.status`);
restatements state none.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipeline import schema, store
from pipeline.rag import apply_rag
from pipeline.textsim import cosine, fit_idf, weighted_rows
from pipeline.tracing.document_links import (
    PARAMS,
    LinkContext,
    LinkParams,
    link_document,
    strip_names,
)
from pipeline.tracing.reviews import ReviewIndex, document_review

if TYPE_CHECKING:
    from pipeline.config import RunConfig

log = logging.getLogger(__name__)

#: The folder of ``<output>/.cache/`` that keeps each document's links.
CACHE_FOLDER = "links"


def link_passages(
    passages: pd.DataFrame,
    documents: pd.DataFrame,
    recommendations: pd.DataFrame,
    *,
    themes: pd.DataFrame | None = None,
    params: LinkParams = PARAMS,
    jobs: int = 1,
    cache_dir: Path | None = None,
) -> pd.DataFrame:
    """Link every passage of every later document to the recommendations it answers.

    Returns the ``links.parquet`` columns plus ``review``, ``number`` (of the
    recommendation), ``status_cue`` (the words that gave the status) and ``rank``
    (1 for the passage's strongest link). Each document is linked on its own, in
    ``jobs`` processes when there are several (forked), with the same rows: its
    similarities to the recommendations are weighed by the IDF of the recommendations'
    own words (:func:`~pipeline.textsim.fit_idf`), so they depend on that document and
    the recommendations only. With ``cache_dir`` a document's links are kept there
    (``<doc_id>.json``) and reused while its row, passages and themes, the
    recommendations, the parameters and the code are unchanged.
    """
    if recommendations.empty or passages.empty:
        return _empty_links()
    recs = recommendations.reset_index(drop=True)
    docs = documents[documents["status"] == "ok"]
    theme_map: dict[str, set[str]] = {}
    if themes is not None and not themes.empty:
        from pipeline.counting import counted  # negated-only mentions are not the theme

        theme_map = {pid: set(g) for pid, g in counted(themes).groupby("passage_id")["theme"]}
    ctx = _context(recs, theme_map, params)
    work = []
    cand_passages = passages[passages["doc_id"].isin(set(docs["doc_id"]))]
    by_doc = {
        d: grp.reset_index(drop=True) for d, grp in cand_passages.groupby("doc_id", sort=False)
    }
    for _, doc in docs.sort_values("doc_id").iterrows():
        doc_passages = by_doc.get(doc["doc_id"])
        if doc_passages is not None and not doc_passages.empty:
            work.append((doc, doc_passages))
    found: dict[int, list[dict]] = {}
    keys: dict[int, str] = {}
    if cache_dir is not None:
        base = _links_key_base(recs, params)
        for i, (doc, doc_passages) in enumerate(work):
            keys[i] = _document_key(base, doc, doc_passages, theme_map)
            hit = store.read_keyed(Path(cache_dir) / f"{doc['doc_id']}.json", keys[i])
            cached = _cached_rows(hit)
            if cached is not None:
                found[i] = cached
    todo = [i for i in range(len(work)) if i not in found]
    for i, doc_rows in zip(todo, _link_documents([work[i] for i in todo], ctx, jobs), strict=True):
        found[i] = doc_rows
        if cache_dir is not None:
            pairs = [list(row.items()) for row in doc_rows]
            store.write_keyed(pairs, Path(cache_dir) / f"{work[i][0]['doc_id']}.json", keys[i])
    if cache_dir is not None:
        store.prune_cache(cache_dir, {str(doc["doc_id"]) for doc, _ in work})
        n_cached = len(work) - len(todo)
        log.info("links: %d document(s) linked, %d from the cache", len(todo), n_cached)
    rows = [row for i in range(len(work)) for row in found[i]]
    if not rows:
        return _empty_links()
    return pd.DataFrame(rows)


def _cached_rows(payload: object) -> list[dict] | None:
    """Link rows read back from a cache payload (each row kept as pairs, for the column
    order); ``None`` when the payload is not one (a damaged file is a miss)."""
    if not isinstance(payload, list):
        return None
    try:
        return [dict(pairs) for pairs in payload]
    except (TypeError, ValueError):
        return None


def _context(recs: pd.DataFrame, theme_map: dict[str, set[str]], params: LinkParams) -> LinkContext:
    """What linking any document needs: the recommendations, their review index, their
    TF-IDF rows and the IDF fitted on them (the passages' side is added per document,
    :func:`_document_context`)."""
    raw_names = list(recs["review"].unique())
    rec_texts = [strip_names(t, raw_names) for t in recs["text"].astype(str)]
    weights = fit_idf(rec_texts)
    return LinkContext(
        recs=recs,
        index=ReviewIndex.build(recs),
        rec_pos={rid: i for i, rid in enumerate(recs["rec_id"])},
        passage_pos={},
        sims=np.zeros((0, len(recs))),
        terms=weights.terms,
        pmat=None,
        rmat=weighted_rows(rec_texts, weights),
        rec_ids=list(recs["rec_id"]),
        rec_numbers=list(recs["number"]),
        rec_reviews=list(recs["review"]),
        rec_texts=list(recs["text"].astype(str)),
        rec_addressees=[[a for a in str(x).split(";") if a] for x in recs["addressees"].fillna("")],
        rec_themes=[set(filter(None, str(x).split(";"))) for x in recs["themes"].fillna("")],
        passage_themes=theme_map,
        params=params,
        review_names=raw_names,
        weights=weights,
    )


def _document_context(ctx: LinkContext, doc_passages: pd.DataFrame) -> LinkContext:
    """``ctx`` with one document's passages: their rows and cosines to the recommendations."""
    texts = [strip_names(t, ctx.review_names) for t in doc_passages["text"].astype(str)]
    assert ctx.weights is not None
    pmat = weighted_rows(texts, ctx.weights)
    return replace(
        ctx,
        passage_pos={pid: i for i, pid in enumerate(doc_passages["passage_id"])},
        pmat=pmat,
        sims=cosine(pmat, ctx.rmat),
    )


def _links_key_base(recs: pd.DataFrame, params: LinkParams) -> str:
    """Hash of what every document's links depend on besides the document: the
    recommendations (every column), the parameters and the code."""
    digest = hashlib.sha256()
    head = [store.package_code_key(), repr(params), *map(str, recs.columns)]
    digest.update("\x1f".join(head).encode())
    digest.update(pd.util.hash_pandas_object(recs, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _document_key(
    base: str, doc: pd.Series, doc_passages: pd.DataFrame, theme_map: dict[str, set[str]]
) -> str:
    """Hash of what one document's links depend on: ``base``, its row in the documents
    table, its passages (every column) and their themes."""
    digest = hashlib.sha256(base.encode())
    digest.update(json.dumps({k: str(v) for k, v in doc.items()}, sort_keys=True).encode())
    digest.update("\x1f".join(map(str, doc_passages.columns)).encode())
    digest.update(pd.util.hash_pandas_object(doc_passages, index=False).to_numpy().tobytes())
    themes = [sorted(theme_map.get(pid, ())) for pid in doc_passages["passage_id"]]
    digest.update(json.dumps(themes).encode())
    return digest.hexdigest()


def _link_one(doc: pd.Series, doc_passages: pd.DataFrame, ctx: LinkContext) -> list[dict]:
    ctx = _document_context(ctx, doc_passages)
    review, how = document_review(doc, doc_passages, ctx.index)
    log.debug("%s: review %r (%s)", doc["doc_id"], review, how)
    return link_document(doc, doc_passages, ctx, review)


#: The context forked workers of :func:`_link_documents` inherit.
_FORK_CONTEXT: LinkContext | None = None


def _link_forked(doc: pd.Series, doc_passages: pd.DataFrame) -> list[dict]:
    assert _FORK_CONTEXT is not None
    return _link_one(doc, doc_passages, _FORK_CONTEXT)


def _link_documents(
    work: list[tuple[pd.Series, pd.DataFrame]], ctx: LinkContext, jobs: int
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


def link_stage(cfg: RunConfig) -> pd.DataFrame:
    """Read passages, documents, recommendations and themes; write ``links.parquet``.

    The coverage table is written by the tables stage of a run (and by ``sgpipe link``
    on its own, :func:`pipeline.tracing.coverage.write_coverage`), not here: computing
    it twice per run cost about 1.5 s."""
    out = Path(cfg.output_dir)
    documents = store.read_table(schema.DOCUMENTS, out)
    passages = store.read_table(schema.PASSAGES, out)
    recs = store.read_table(schema.RECOMMENDATIONS, out)
    themes = store.read_table(schema.THEMES, out)
    links = link_passages(
        passages,
        documents,
        recs,
        themes=themes,
        jobs=getattr(cfg, "n_jobs", 1),
        cache_dir=out / ".cache" / CACHE_FOLDER,
    )
    links = apply_rag(links, passages, documents)  # the rag column, mapped statuses
    store.write_table(links, schema.LINKS, out)
    log.info("%d links to %d recommendation(s)", len(links), links["rec_id"].nunique())
    return links

"""The themes stage: tag every passage of a run, with a per-document cache keyed on the
passages, the codebook, the model, the reviews and the tagging code, in ``--jobs``
processes; writes ``themes.parquet`` (the tagging itself: :mod:`pipeline.themes.tagger`)."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline import schema, store
from pipeline.config import ThemeOptions
from pipeline.counting import counted
from pipeline.themes.tagger import Tagger, assemble

if TYPE_CHECKING:
    from pipeline.config import RunConfig

log = logging.getLogger(__name__)

_PKG = Path(__file__).resolve().parent


def _code_hash() -> str:
    from pipeline.store import code_hash

    return code_hash([*sorted(_PKG.glob("*.py")), _PKG.parent / "nlp.py"])


def stage_key(cfg: RunConfig, options: ThemeOptions) -> str:
    """Hash of everything the theme stage's output depends on (inputs, settings, code)."""
    from pipeline.themes.codebook import load_codebook

    out = Path(cfg.output_dir)
    parts = {
        "passages": _file_sha(out / schema.PASSAGES.filename),
        "documents": _file_sha(out / schema.DOCUMENTS.filename),
        "codebook": load_codebook(options.codebook).sha256,
        "model": _file_sha(options.model),
        "reviews": _file_sha(options.reviews),
        "options": json.dumps(asdict(options), default=str, sort_keys=True),
        "code": _code_hash(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def tagging_key(options: ThemeOptions) -> str:
    """Hash of what the tags of one document depend on besides its text: codebook,
    model, options and code. Review decisions are not in it: they are applied to the
    cached tags (:func:`assemble`), so a new decision re-tags nothing."""
    from pipeline.themes.codebook import load_codebook

    settings = {k: v for k, v in asdict(options).items() if k != "reviews"}
    parts = {
        "codebook": load_codebook(options.codebook).sha256,
        "model": _file_sha(options.model),
        "options": json.dumps(settings, default=str, sort_keys=True),
        "code": _code_hash(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _file_sha(path: Path | str | None) -> str:
    if path is None or not Path(path).is_file():
        return ""
    return store.sha256_file_cached(path)


@dataclass
class TaggingResult:
    """The rows of every passage (aligned with the passages given) and what was done."""

    found: list[list[dict[str, Any]]]
    tagged: list[str]  # documents tagged in this call
    cached: list[str]  # documents whose tags came from the cache


def tag_documents(
    passages: pd.DataFrame,
    options: ThemeOptions,
    *,
    cache_dir: Path | None = None,
    jobs: int = 1,
    progress: bool = False,
) -> TaggingResult:
    """Tag every document of ``passages``, each as one unit, reusing cached tags.

    A document whose passage texts are unchanged under the same :func:`tagging_key`
    is read from ``cache_dir/<doc_id>.json``; the others are tagged (in ``jobs``
    processes when there are several) and cached. The spaCy pipeline and the model
    are loaded only when some document needs tagging. The result is the same
    whatever ``jobs`` and whatever the cache held: each document is tagged alone.
    """
    options = options.resolved()
    texts = passages["text"].astype(str).tolist()
    kinds = passages["kind"].astype(str).tolist() if "kind" in passages else [""] * len(texts)
    members: dict[str, list[int]] = {}
    for i, doc_id in enumerate(passages["doc_id"].astype(str)):
        members.setdefault(doc_id, []).append(i)
    found: list[list[dict[str, Any]]] = [[] for _ in texts]
    base = tagging_key(options) if cache_dir is not None else ""
    keys: dict[str, str] = {}
    todo: list[str] = []
    cached: list[str] = []
    for doc_id, idx in members.items():
        doc_texts = [texts[i] for i in idx]
        doc_kinds = [kinds[i] for i in idx]
        keys[doc_id] = hashlib.sha256(
            json.dumps([base, doc_texts, doc_kinds], ensure_ascii=False).encode()
        ).hexdigest()
        hit = _read_doc_cache(cache_dir, doc_id, keys[doc_id], len(idx)) if cache_dir else None
        if hit is None:
            todo.append(doc_id)
            continue
        cached.append(doc_id)
        for i, rows in zip(idx, hit, strict=True):
            found[i] = rows
    if todo:
        work = {d: ([texts[i] for i in members[d]], [kinds[i] for i in members[d]]) for d in todo}
        model_cache = model_cache_dir(options)
        for doc_id, rows in _tag_in_processes(work, options, model_cache, jobs, progress):
            for i, r in zip(members[doc_id], rows, strict=True):
                found[i] = r
            if cache_dir is not None:
                store.write_keyed(rows, cache_dir / f"{doc_id}.json", keys[doc_id])
    if cache_dir is not None:
        store.prune_cache(cache_dir, members)
    log.info("themes: %d document(s) tagged, %d from the cache", len(todo), len(cached))
    return TaggingResult(found=found, tagged=todo, cached=cached)


def _read_doc_cache(
    cache_dir: Path, doc_id: str, key: str, n: int
) -> list[list[dict[str, Any]]] | None:
    rows = store.read_keyed(cache_dir / f"{doc_id}.json", key)
    if not isinstance(rows, list) or len(rows) != n:
        return None
    return rows


#: The tagger that forked workers inherit (set just before the pool starts).
_WORKER_TAGGER: Tagger | None = None


def _init_worker(options: ThemeOptions, model_cache: Path | None) -> None:
    """Load the tagger in a worker that was not forked from a process holding one."""
    global _WORKER_TAGGER
    if _WORKER_TAGGER is None:
        _WORKER_TAGGER = Tagger.from_options(options, model_cache=model_cache)


def _tag_one(
    doc_id: str, texts: list[str], kinds: list[str] | None = None
) -> tuple[str, list[list[dict[str, Any]]]]:
    assert _WORKER_TAGGER is not None
    return doc_id, _WORKER_TAGGER.tag_texts(texts, kinds=kinds)


def _tag_in_processes(
    work: dict[str, tuple[list[str], list[str]]],
    options: ThemeOptions,
    model_cache: Path | None,
    jobs: int,
    progress: bool,
) -> list[tuple[str, list[list[dict[str, Any]]]]]:
    """Tag each document of ``work`` (``doc_id -> (texts, kinds)``) alone, in ``jobs`` processes.

    On Linux the tagger is loaded once, here, and the workers are forked from this
    process, so they share it instead of each loading their own; elsewhere each
    worker loads it. spaCy's own ``n_process`` is not used: for a pipeline this light
    its per-document transfer costs more than the tagging.
    """
    import sys

    from tqdm import tqdm

    global _WORKER_TAGGER
    bar = tqdm(
        total=len(work),
        desc="themes",
        unit="doc",
        file=sys.stderr,
        disable=not progress or len(work) < 4,
        mininterval=0.5,
    )
    jobs = min(max(1, jobs), len(work))
    # the longest documents first, so that no worker is left with one at the end
    order = sorted(work, key=lambda d: -sum(len(t) for t in work[d][0]))
    results = []
    fork = sys.platform.startswith("linux")
    if jobs == 1 or fork:
        _WORKER_TAGGER = Tagger.from_options(options, model_cache=model_cache)
    try:
        if jobs == 1:
            for doc_id in order:
                results.append(_tag_one(doc_id, *work[doc_id]))
                bar.update()
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            ctx = mp.get_context("fork") if fork else mp.get_context()
            with ProcessPoolExecutor(
                max_workers=jobs,
                mp_context=ctx,
                initializer=_init_worker,
                initargs=(options, model_cache),
            ) as pool:
                futures = [pool.submit(_tag_one, d, *work[d]) for d in order]
                for fut in as_completed(futures):
                    results.append(fut.result())
                    bar.update()
    finally:
        _WORKER_TAGGER = None
        bar.close()
    return results


def model_cache_dir(options: ThemeOptions) -> Path | None:
    """Where the fast-loading form of the model is kept: ``.cache/`` beside the model
    file (``models/`` is not in git), so that it is made once per model rather than
    once per output folder. ``None`` without a model."""
    if not options.model:
        return None
    return Path(options.model).parent / ".cache"


def tag_stage(cfg: RunConfig) -> pd.DataFrame:
    """The stage: read ``passages.parquet``, write ``themes.parquet``.

    Skipped when passages, codebook, model, review decisions, options and code are
    unchanged (:func:`stage_key`); otherwise only the documents whose text changed
    (or that are new) are tagged (:func:`tag_documents`, in ``cfg.n_jobs``
    processes), the others are taken from ``<output>/.cache/themes/``.
    """
    from pipeline.themes.labels import read_reviews, review_decisions

    options = (getattr(cfg, "themes", None) or ThemeOptions()).resolved()
    out = Path(cfg.output_dir)
    key = stage_key(cfg, options)
    cache = out / ".cache" / "themes.json"
    target = out / schema.THEMES.filename
    if target.exists() and cache.exists():
        try:
            if json.loads(cache.read_text(encoding="utf-8")).get("key") == key:
                log.info("themes: inputs unchanged, %s kept", target)
                return pd.read_parquet(target)
        except (OSError, ValueError):
            pass
    passages = store.read_table(schema.PASSAGES, out)
    documents = store.read_table(schema.DOCUMENTS, out)
    decisions = review_decisions(read_reviews(options.reviews), passages, documents)
    result = tag_documents(
        passages,
        options,
        cache_dir=out / ".cache" / "themes",
        jobs=getattr(cfg, "n_jobs", 1),
        progress=bool(getattr(cfg, "progress", False)),
    )
    themes = assemble(passages, result.found, decisions=decisions)
    store.write_table(themes, schema.THEMES, out)
    store.write_json({"key": key}, cache)
    n_counted = len(counted(themes))
    log.info(
        "themes: %d tags (%d negated) on %d passages -> %s",
        n_counted,
        len(themes) - n_counted,
        themes["passage_id"].nunique(),
        target,
    )
    return themes

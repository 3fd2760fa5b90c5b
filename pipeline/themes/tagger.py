"""The theme stage: rules and model combined into ``themes.parquet``, one row per (passage, theme).

Every passage is tagged, whatever its ``kind``: headings ("Working with schools")
and contents lines carry themes as much as paragraphs do, and bibliographic
references are recognised by the rules (their themes are a cited title's) rather
than skipped by kind. ``kind`` and ``page`` are copied into the output so that a
table can leave out headings or footnotes when it needs to. The model is applied
to passages of at least :data:`MIN_MODEL_WORDS` words; shorter ones have too few
words for word statistics and are left to the rules.

Without a model a theme is tagged when the rules tag it (``method`` ``rule``). With
a model (which reads the rule matches as features, see
:mod:`pipeline.themes.features`), the model decides the themes it was trained for,
on passages of at least :data:`MIN_MODEL_WORDS` words: a rule tag stays unless the
model's probability is below the theme's ``keep`` threshold, and a theme the rules
did not tag is added at its ``add`` threshold (both chosen by document-grouped
cross-validation when the model was trained; ``add`` above 1 means never). A kept
rule tag is ``both`` when the model alone would also tag it, else ``rule``; an
added one is ``model``. Other themes, and shorter passages, are the rules'.
``score`` is the rule score for ``rule`` (the noisy-OR of the codebook weights of
the matched patterns, see the codebook), the model probability for ``model``, and
the larger of the two for ``both``; ``rule_score`` and ``model_score`` keep both.
Themes whose every rule mention is negated are kept with ``negated`` true when
``include_negated`` is set: they are not the theme, and every count must leave
them out (:func:`counted`).

The rules know context the model does not, so a context decision vetoes a
model-only tag of the same theme: a negated mention, or a mention the rules
dropped because it stands in an organisation's name, an address, a citation or an
exclusion; and no model tag is given to a bibliographic reference. Every tag
carries evidence words with character offsets into the passage text: the rule
matches, or for a model-only tag the words that weighed most
(:meth:`~pipeline.themes.model.ThemeModel.evidence`).

Analysts' review decisions override the tagger for the passages they name:
``reject`` removes the row, ``accept`` keeps it with ``reviewed`` "accepted" and
score 1, ``add`` adds a row with ``method`` "review" and score 1.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipeline import schema, store
from pipeline.config import ThemeOptions
from pipeline.counting import counted

if TYPE_CHECKING:
    from spacy.language import Language

    from pipeline.config import RunConfig
    from pipeline.themes.codebook import Codebook
    from pipeline.themes.model import ThemeModel
    from pipeline.themes.rules import ThemeRules, ThemeTag

log = logging.getLogger(__name__)

MIN_MODEL_WORDS = 3
#: What the rules give each text: tags, the themes whose model tags are vetoed, and
#: the rule features the model reads.
RuleResult = tuple["dict[str, ThemeTag]", set[str], dict[str, float]]
BATCH_SIZE = 256
#: Columns written after the contract columns of themes.parquet.
EXTRA_COLUMNS = [
    "negated",
    "evidence_spans",
    "rule_score",
    "model_score",
    "reviewed",
    "kind",
    "page",
]
_PKG = Path(__file__).resolve().parent


@dataclass
class Tagger:
    """The loaded pieces of the theme stage: codebook, spaCy pipeline, optional model."""

    codebook: Codebook
    nlp: Language
    model: ThemeModel | None
    options: ThemeOptions

    @classmethod
    def from_options(cls, options: ThemeOptions, *, model_cache: Path | None = None) -> Tagger:
        """Load the codebook, build the shared pipeline and load the model (if any).

        ``model_cache``: a folder where the model is kept in a form that loads fast
        (:meth:`ThemeModel.load`).
        """
        from pipeline.themes.rules import theme_nlp

        options = options.resolved()
        from pipeline.themes.codebook import load_codebook

        codebook = load_codebook(options.codebook)
        nlp = theme_nlp(str(options.codebook) if options.codebook else None, options.spacy_pipeline)
        model = None
        if options.model:  # scikit-learn is imported only when there is a model
            from pipeline.themes.model import ThemeModel

            model = ThemeModel.load(options.model, cache_dir=model_cache)
        if model is not None:
            unknown = [t for t in model.classes if t not in codebook.ids]
            if unknown:
                log.warning("model themes not in the codebook are ignored: %s", unknown)
        return cls(codebook=codebook, nlp=nlp, model=model, options=options)

    def rule_tags(self, texts: list[str]) -> list[dict[str, ThemeTag]]:
        """The rule tags of each text (``{theme: ThemeTag}``), negated-only themes included."""
        return [r[0] for r in self.rule_results(texts)]

    def rule_results(
        self,
        texts: list[str],
        *,
        groups: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[RuleResult]:
        """Rule tags of each text, the themes whose model tags its context vetoes, and
        the rule features the model reads (:func:`~pipeline.themes.features.rule_features`;
        ``kinds``: each text's passage kind, e.g. ``heading``).

        The veto set holds the themes with a negated mention or a mention dropped by
        context; ``"*"`` in it stands for every theme (a bibliographic reference).

        ``groups`` (one value per text, e.g. its document) makes the texts of each
        group one unit: misspellings are learnt from that group alone, as if it were
        tagged first, so a document's tags never depend on the other documents of a
        run or on their order. Without it the texts are read in batches of
        :data:`BATCH_SIZE`, learning misspellings as they come.
        """
        kinds = list(kinds) if kinds is not None else [""] * len(texts)
        if groups is None:
            return self._rule_results(texts, kinds, BATCH_SIZE)
        members: dict[str, list[int]] = {}
        for i, g in enumerate(groups):
            members.setdefault(g, []).append(i)
        out: list[RuleResult] = [({}, set(), {})] * len(texts)
        rules = self.rules
        for idx in members.values():
            rules.forget_variants()
            for i, result in zip(
                idx,
                self._rule_results([texts[i] for i in idx], [kinds[i] for i in idx], len(idx)),
                strict=True,
            ):
                out[i] = result
        return out

    @property
    def rules(self) -> ThemeRules:
        """The ``theme_rules`` component of the pipeline."""
        from pipeline.themes.rules import THEME_COMPONENT

        return self.nlp.get_pipe(THEME_COMPONENT)

    def _rule_results(
        self, texts: list[str], kinds: Sequence[str], batch_size: int
    ) -> list[RuleResult]:
        from pipeline.themes.features import rule_features
        from pipeline.themes.rules import THEME_COMPONENT

        out: list[RuleResult] = []
        with self.nlp.select_pipes(enable=[THEME_COMPONENT]):
            for doc, kind in zip(
                self.nlp.pipe(texts, batch_size=max(1, batch_size)), kinds, strict=True
            ):
                veto = {m.theme for m in doc._.theme_matches if m.negated}
                for m, reason in doc._.theme_dropped:
                    veto.add("*" if reason == "reference" else m.theme)
                out.append((doc._.theme_tags, veto, rule_features(doc, kind)))
        return out

    def model_probabilities(
        self,
        texts: list[str],
        *,
        kinds: Sequence[str] | None = None,
        rules: Sequence[dict[str, float]] | None = None,
    ) -> list[dict[str, float]]:
        """Model probabilities per text, for the codebook themes the model knows
        (``kinds`` and ``rules``: each text's passage kind and rule features)."""
        if self.model is None:
            return [{} for _ in texts]
        use = [i for i, t in enumerate(texts) if len(t.split()) >= MIN_MODEL_WORDS]
        probs = self.model.predict_proba(
            [texts[i] for i in use],
            kinds=[kinds[i] for i in use] if kinds is not None else None,
            rules=[rules[i] for i in use] if rules is not None else None,
        )
        classes = [(j, t) for j, t in enumerate(self.model.classes) if t in self.codebook.ids]
        out: list[dict[str, float]] = [{} for _ in texts]
        for row, i in enumerate(use):
            out[i] = {t: float(probs[row, j]) for j, t in classes}
        return out

    def tag(
        self, passages: pd.DataFrame, *, decisions: dict[str, dict[str, str]] | None = None
    ) -> pd.DataFrame:
        """Tag ``passages``; return the themes table (contract columns, then extras).

        Each document is tagged as one unit (see :meth:`rule_results`).
        """
        texts = passages["text"].astype(str).tolist()
        found = self.tag_texts(
            texts,
            groups=passages["doc_id"].astype(str).tolist(),
            kinds=passages["kind"].astype(str).tolist() if "kind" in passages else None,
        )
        return assemble(passages, found, decisions=decisions)

    def tag_texts(
        self,
        texts: list[str],
        *,
        groups: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[list[dict[str, Any]]]:
        """The theme rows of each text (before review decisions): rules and model combined.

        ``groups`` as in :meth:`rule_results`; the theme stage calls this once per
        document with no groups, which is the same as one group. ``kinds``: the
        passage kind of each text (``heading``, ``bullet``, ...), which the model reads.
        """
        results = self.rule_results(texts, groups=groups or [""] * len(texts), kinds=kinds)
        probs = self.model_probabilities(
            texts, kinds=kinds, rules=[r[2] for r in results] if self.model else None
        )
        return [
            self._combine(texts[i], results[i][0], results[i][1], probs[i])
            for i in range(len(texts))
        ]

    def thresholds(self, theme: str) -> tuple[float, float]:
        """``(keep, add)`` of ``theme``: a rule tag whose model probability is below
        ``keep`` is overruled; a tag the rules did not give needs ``add``. The model's
        own (chosen by cross-validation when it was trained); a model without them
        keeps every rule tag and adds at the option's threshold."""
        chosen = self.model.threshold_set(theme) if self.model is not None else {}
        return chosen.get("keep", 0.0), chosen.get("add", self.options.model_threshold)

    def _combine(
        self, text: str, rule: dict[str, ThemeTag], veto: set[str], prob: dict[str, float]
    ) -> list[dict[str, Any]]:
        out = []
        for theme in self.codebook.ids:
            tag = rule.get(theme)
            p = prob.get(theme)
            rule_hit = tag is not None and not tag.negated
            vetoed = "*" in veto or theme in veto
            keep, add = self.thresholds(theme)
            model_hit = (
                p is not None and p >= (keep if rule_hit else add) and not (vetoed and not rule_hit)
            )
            model_alone = (
                p is not None
                and self.model is not None
                and p >= self.model.threshold(theme, self.options.model_threshold)
            )
            if rule_hit and model_hit and model_alone:  # the model would tag it alone too
                method, score, spans = "both", max(tag.score, p), tag.spans
            elif model_hit and not rule_hit:
                method, score = "model", p
                spans = self.model.evidence(text, theme) if self.model else []
            elif (rule_hit and (model_hit or p is None)) or (
                tag is not None and not rule_hit and self.options.include_negated
            ):  # a rule tag kept (or not the model's to decide), or a negated mention
                method, score, spans = "rule", tag.score, tag.spans
            else:  # no mention, or the model read the rule's mention and overruled it
                continue
            out.append(
                {
                    "theme": theme,
                    "method": method,
                    "score": round(float(score), 4),
                    "evidence": "; ".join(dict.fromkeys(s[2] for s in spans)),
                    "negated": bool(tag is not None and tag.negated and not model_hit),
                    "evidence_spans": json.dumps(spans, ensure_ascii=False),
                    "rule_score": round(tag.score, 4) if tag is not None else np.nan,
                    "model_score": round(p, 4) if p is not None else np.nan,
                    "reviewed": "",
                }
            )
        return out


def combine_themes(
    rules: set[str],
    veto: set[str] | frozenset[str],
    probs: dict[str, float],
    thresholds: dict[str, dict[str, float]],
) -> set[str]:
    """The themes tagging gives a passage (:meth:`Tagger._combine` on theme sets).

    ``rules``: the counted rule tags; ``veto``: the themes whose model-only tags the
    rules' context vetoes (``"*"``: all); ``probs``: the model's probability of each
    theme it decides for this passage; ``thresholds``: per theme, ``keep`` (a rule tag
    whose probability is below it is overruled) and ``add`` (a tag the rules did not
    give needs it). Themes the model does not decide are the rules'.
    """
    out = set()
    for theme in rules | set(probs):
        p = probs.get(theme)
        if p is None:
            out.add(theme)
            continue
        thr = thresholds.get(theme, {})
        if theme in rules:
            if p >= thr.get("keep", 0.0):
                out.add(theme)
        elif p >= thr.get("add", 1.01) and not ("*" in veto or theme in veto):
            out.add(theme)
    return out


def _apply_decisions(
    found: list[dict[str, Any]], decisions: dict[str, str]
) -> list[dict[str, Any]]:
    if not decisions:
        return found
    out = []
    seen = set()
    for row in found:
        decision = decisions.get(row["theme"])
        seen.add(row["theme"])
        if decision == "reject":
            continue
        if decision in ("accept", "add"):
            row = {**row, "score": 1.0, "negated": False, "reviewed": "accepted"}
        out.append(row)
    for theme, decision in sorted(decisions.items()):
        if decision in ("accept", "add") and theme not in seen:
            out.append(
                {
                    "theme": theme,
                    "method": "review",
                    "score": 1.0,
                    "evidence": "",
                    "negated": False,
                    "evidence_spans": "[]",
                    "rule_score": np.nan,
                    "model_score": np.nan,
                    "reviewed": "added",
                }
            )
    return out


def assemble(
    passages: pd.DataFrame,
    found: Sequence[list[dict[str, Any]]],
    *,
    decisions: dict[str, dict[str, str]] | None = None,
) -> pd.DataFrame:
    """The themes table from the rows of each passage (:meth:`Tagger.tag_texts`, aligned
    with ``passages``) with the analysts' decisions applied."""
    decisions = decisions or {}
    rows: list[dict[str, Any]] = []
    for i, (pid, doc_id, kind, page) in enumerate(
        zip(
            passages["passage_id"],
            passages["doc_id"],
            passages["kind"],
            passages["page"],
            strict=True,
        )
    ):
        base = {"passage_id": pid, "doc_id": doc_id, "kind": kind, "page": int(page)}
        for row in _apply_decisions(found[i], decisions.get(pid, {})):
            rows.append({**base, **row})
    if not rows:
        return _empty()
    return schema.conform(pd.DataFrame(rows), schema.THEMES)[_columns()]


def _columns() -> list[str]:
    return [*schema.THEMES.columns, *EXTRA_COLUMNS]


def _empty() -> pd.DataFrame:
    df = schema.THEMES.empty()
    df["negated"] = pd.Series([], dtype="bool")
    df["evidence_spans"] = pd.Series([], dtype="string")
    df["rule_score"] = pd.Series([], dtype="float64")
    df["model_score"] = pd.Series([], dtype="float64")
    df["reviewed"] = pd.Series([], dtype="string")
    df["kind"] = pd.Series([], dtype="string")
    df["page"] = pd.Series([], dtype="int64")
    return df


def tag_passages(
    passages: pd.DataFrame,
    *,
    options: ThemeOptions | None = None,
    decisions: dict[str, dict[str, str]] | None = None,
) -> pd.DataFrame:
    """Tag a passages table (pure: no files read but the codebook and model)."""
    return Tagger.from_options(options or ThemeOptions()).tag(passages, decisions=decisions)


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
                store.write_json(
                    {"key": keys[doc_id], "rows": rows}, cache_dir / f"{doc_id}.json", indent=None
                )
    if cache_dir is not None and cache_dir.is_dir():
        for f in cache_dir.glob("*.json"):
            if f.stem not in members:
                f.unlink(missing_ok=True)
    log.info("themes: %d document(s) tagged, %d from the cache", len(todo), len(cached))
    return TaggingResult(found=found, tagged=todo, cached=cached)


def _read_doc_cache(
    cache_dir: Path, doc_id: str, key: str, n: int
) -> list[list[dict[str, Any]]] | None:
    try:
        data = json.loads((cache_dir / f"{doc_id}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    rows = data.get("rows") if isinstance(data, dict) else None
    if data.get("key") != key or not isinstance(rows, list) or len(rows) != n:
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

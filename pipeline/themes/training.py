"""Training data for the theme model, grouped cross-validation, and `sgpipe train`.

Training passages come from four sources, in this order of precedence:

1. gold-format label files (``../shared/labels/themes_*.csv``, ``data/labels/themes_*.csv``):
   every theme of the passage was assigned by a person; weight 1;
2. review decisions (``data/labels/themes_reviewed.csv``): the rule tags of the
   passage with the analyst's accepts, rejects and additions applied; weight 1;
3. weak labels (off by default; leave-one-document-out did not show that they
   help, see the README): the rule tags (counted, not negated) of every other
   passage of at least :data:`~pipeline.themes.tagger.MIN_MODEL_WORDS` words;
   weight ``weak_weight``. They are marked ``weak`` in the training metadata and
   are never evaluated on.

Cross-validation is grouped by document: a fold holds out every passage of its
documents, weak labels included, so no text of a held-out document is seen in
training. The per-theme thresholds are chosen by a second, inner grouped
cross-validation over the training documents only (:func:`fit_with_thresholds`),
so the held-out document plays no part in them either.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline import schema, store
from pipeline.config import DEFAULT_MODEL_PATH, ThemeOptions
from pipeline.metrics import Score, set_counts
from pipeline.themes.choice import (
    DEFAULT_THRESHOLDS,
    RULES_MARGIN,
    choose_thresholds,
    predict_passages,
)
from pipeline.themes.domain import CHILDREN, DOMAINS, document_domains
from pipeline.themes.labels import (
    read_gold_labels,
    read_reviews,
    review_decisions,
)
from pipeline.themes.model import WEAK, ThemeModel, TrainingData, fit_model
from pipeline.themes.tagger import MIN_MODEL_WORDS, Tagger

log = logging.getLogger(__name__)

WEAK_WEIGHT = 0.3
REVIEWED = "reviewed"


@dataclass
class Corpus:
    """A run's passages and documents, with the rule tags of every passage."""

    passages: pd.DataFrame
    documents: pd.DataFrame
    rule_themes: dict[str, frozenset[str]]
    vetoes: dict[str, frozenset[str]] = field(default_factory=dict)
    rule_features: dict[str, dict[str, float]] = field(default_factory=dict)

    def combine(
        self, pid: str, probs: dict[str, float], thresholds: dict[str, dict[str, float]]
    ) -> set[str]:
        """Rules and model for one passage as tagging combines them
        (:func:`~pipeline.themes.tagger.combine_themes`), with its context vetoes."""
        from pipeline.themes.tagger import combine_themes

        return combine_themes(
            set(self.rule_themes.get(pid, ())),
            set(self.vetoes.get(pid, frozenset())),
            probs,
            thresholds,
        )

    def domains(self) -> dict[str, str]:
        """``doc_id -> kind`` of every document, judged from all its passages as the
        theme stage judges it (:func:`~pipeline.themes.domain.document_domains`)."""
        return document_domains(self.passages["doc_id"], self.passages["text"].astype(str))

    @classmethod
    def from_output(cls, output_dir: Path, *, tagger: Tagger) -> Corpus:
        """Read ``passages.parquet`` and ``documents.parquet`` and tag every passage by rules."""
        passages = store.read_table(schema.PASSAGES, output_dir)
        documents = store.read_table(schema.DOCUMENTS, output_dir)
        if passages.empty:
            raise FileNotFoundError(
                f"{output_dir}: no passages.parquet (run `sgpipe extract` or `sgpipe run` first)"
            )
        return cls.from_frames(passages, documents, tagger=tagger)

    @classmethod
    def from_frames(
        cls, passages: pd.DataFrame, documents: pd.DataFrame, *, tagger: Tagger
    ) -> Corpus:
        """Tag ``passages`` by rules (counted tags, and the context vetoes of model tags),
        each document as one unit, as the theme stage tags them."""
        results = tagger.rule_results(
            passages["text"].astype(str).tolist(),
            groups=passages["doc_id"].astype(str).tolist(),
            kinds=passages["kind"].astype(str).tolist(),
        )
        rule_themes, vetoes, features = {}, {}, {}
        for pid, (tags, veto, feats) in zip(passages["passage_id"], results, strict=True):
            rule_themes[pid] = frozenset(t for t, tag in tags.items() if not tag.negated)
            vetoes[pid] = frozenset(veto)
            features[pid] = feats
        return cls(
            passages=passages,
            documents=documents,
            rule_themes=rule_themes,
            vetoes=vetoes,
            rule_features=features,
        )


def rules_only(options: ThemeOptions) -> ThemeOptions:
    """The same codebook and spaCy pipeline, with no model and no review overrides."""
    return ThemeOptions(
        codebook=options.codebook,
        model=None,
        reviews=None,
        spacy_pipeline=options.spacy_pipeline,
    )


def collect_training_data(
    corpus: Corpus,
    *,
    gold_files: Sequence[Path],
    reviews: pd.DataFrame | None,
    known_themes: Iterable[str],
    weak: bool = False,
    weak_weight: float = WEAK_WEIGHT,
    max_weak: int | None = None,
    seed: int = 0,
) -> TrainingData:
    """Labelled and weakly labelled passages of ``corpus`` (see the module docstring).

    ``max_weak`` caps the weak passages by a seeded random sample (for quick runs).
    """
    known = list(known_themes)
    gold = read_gold_labels(gold_files, corpus.passages, corpus.documents, known_themes=known)
    decisions = (
        review_decisions(reviews, corpus.passages, corpus.documents) if reviews is not None else {}
    )
    data = TrainingData()
    weak_rows: list[tuple[str, str, str]] = []
    kinds = dict(
        zip(corpus.passages["passage_id"], corpus.passages["kind"].astype(str), strict=True)
    )

    def extra(pid: str) -> dict[str, Any]:
        return {"kind": kinds.get(pid, ""), "rules": corpus.rule_features.get(pid, {})}

    for pid, doc_id, text in zip(
        corpus.passages["passage_id"],
        corpus.passages["doc_id"],
        corpus.passages["text"].astype(str),
        strict=True,
    ):
        if pid in gold:
            lab = gold[pid]
            data.add(
                text, lab.themes, weight=1.0, group=doc_id, source=lab.source, pid=pid, **extra(pid)
            )
        elif pid in decisions:
            themes = set(corpus.rule_themes.get(pid, ()))
            for theme, decision in decisions[pid].items():
                if decision == "reject":
                    themes.discard(theme)
                else:
                    themes.add(theme)
            data.add(text, themes, weight=1.0, group=doc_id, source=REVIEWED, pid=pid, **extra(pid))
        elif weak and len(text.split()) >= MIN_MODEL_WORDS:
            weak_rows.append((pid, doc_id, text))
    if max_weak is not None and len(weak_rows) > max_weak:
        weak_rows = random.Random(seed).sample(weak_rows, max_weak)
    for pid, doc_id, text in weak_rows:
        themes = corpus.rule_themes.get(pid, frozenset()) & set(known)
        data.add(text, themes, weight=weak_weight, group=doc_id, source=WEAK, pid=pid, **extra(pid))
    return data


@dataclass
class CrossValidation:
    """Held-out model probabilities of labelled passages, from document-grouped folds,
    and the thresholds each fold's model chose (without the held-out documents)."""

    probabilities: dict[str, dict[str, float]] = field(default_factory=dict)
    folds: list[list[str]] = field(default_factory=list)
    thresholds: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    modelled: dict[str, list[str]] = field(default_factory=dict)

    def predicted(self, pid: str, which: str = "model") -> set[str]:
        """The model's themes for a passage, each at its fold's ``which`` threshold."""
        thr = self.thresholds.get(pid, {})
        return {
            t
            for t, p in self.probabilities.get(pid, {}).items()
            if p >= thr.get(t, DEFAULT_THRESHOLDS)[which]
        }

    def combined(self, pid: str, rules: set[str], veto: Iterable[str]) -> set[str]:
        """Rules and model combined for a passage, as tagging combines them."""
        from pipeline.themes.tagger import combine_themes

        thr = self.thresholds.get(pid, {})
        return combine_themes(rules, set(veto), self.probabilities.get(pid, {}), thr)


def fit_with_thresholds(
    data: TrainingData,
    *,
    themes: Sequence[str],
    blind_sources: Collection[str] = (),
    domains: Mapping[str, str] | None = None,
    min_positive: int = 5,
    seed: int = 0,
    inner_splits: int = 0,
    **fit_args: Any,
) -> ThemeModel:
    """Fit the model on all of ``data`` with per-theme thresholds, and whether the model
    or the rules decide each theme in each kind of document, chosen by an inner
    document-grouped cross-validation on ``data`` (:func:`choose_thresholds`)."""
    thresholds = choose_thresholds(
        data,
        themes=themes,
        blind_sources=blind_sources,
        domains=domains,
        n_splits=inner_splits,
        min_positive=min_positive,
        seed=seed,
        **fit_args,
    )
    model = fit_model(data, themes=themes, min_positive=min_positive, seed=seed, **fit_args)
    model.thresholds = {t: dict(thresholds.get(t, DEFAULT_THRESHOLDS)) for t in model.classes}
    model.metadata["thresholds"] = dict(model.thresholds)
    model.metadata["threshold_selection"] = (
        "F1-maximising per theme over out-of-fold probabilities of a document-grouped "
        f"inner cross-validation ({inner_splits or 'leave one document out'}); the model "
        "decides a theme unless the rules beat it by at least "
        f"{RULES_MARGIN} F1 on the out-of-fold passages of the "
        f"rule-blind label sets ({', '.join(sorted(blind_sources)) or 'none'})"
        + (", in documents about children and families and in others apart" if domains else "")
    )
    model.metadata["decided_by_model"] = {
        domain: sorted(t for t in model.thresholds if model.threshold_set(t, domain)["add"] <= 1.0)
        for domain in DOMAINS
    }
    if domains:
        model.metadata["training_domains"] = dict(sorted(domains.items()))
    return model


def grouped_cross_validation(
    data: TrainingData,
    *,
    eval_pids: Iterable[str],
    themes: Sequence[str],
    blind_sources: Collection[str] = (),
    domains: Mapping[str, str] | None = None,
    n_splits: int = 0,
    min_positive: int = 5,
    seed: int = 0,
    inner_splits: int = 0,
    **fit_args: Any,
) -> CrossValidation:
    """Predict every passage of ``eval_pids`` with a model that never saw its document.

    Folds are ``GroupKFold`` over the documents of the evaluated passages
    (``n_splits`` 0: leave one document out). Each fold's model is trained on
    ``data`` minus every passage of the held-out documents, weak labels included,
    and chooses its thresholds by an inner cross-validation on that training part
    alone (:func:`fit_with_thresholds`). ``domains`` (``document -> kind``): each
    passage is combined with the thresholds its fold chose for its document's kind.
    """
    from sklearn.model_selection import GroupKFold

    wanted = set(eval_pids)
    idx = [i for i, pid in enumerate(data.passage_ids) if pid in wanted]
    groups = [data.groups[i] for i in idx]
    n_groups = len(set(groups))
    if n_groups < 2:
        raise ValueError(
            "grouped cross-validation needs labelled passages from at least 2 documents"
        )
    folds = GroupKFold(n_splits=min(n_splits or n_groups, n_groups))
    out = CrossValidation()
    for _, test in folds.split(idx, groups=groups):
        held = sorted({groups[k] for k in test})
        out.folds.append(held)
        model = fit_with_thresholds(
            data.without_groups(held),
            themes=themes,
            blind_sources=blind_sources,
            domains=domains,
            min_positive=min_positive,
            seed=seed,
            inner_splits=inner_splits,
            **fit_args,
        )
        test_idx = [idx[k] for k in test]
        probs = predict_passages(model, data, test_idx)
        tables = {d: model.threshold_table(d) for d in DOMAINS}
        for i in test_idx:
            pid = data.passage_ids[i]
            row = probs.get(i)
            out.probabilities[pid] = (
                {t: float(row[j]) for j, t in enumerate(model.classes)} if row is not None else {}
            )
            out.thresholds[pid] = dict(tables[(domains or {}).get(data.groups[i], CHILDREN)])
            out.modelled[pid] = list(model.classes) if row is not None else []
        log.info("cross-validation fold: held out %s", ", ".join(held))
    return out


def model_themes(probs: dict[str, float], threshold: float | dict[str, float]) -> set[str]:
    """Themes whose probability reaches ``threshold`` (one for all, or one per theme)."""
    if isinstance(threshold, dict):
        return {t for t, p in probs.items() if p >= threshold.get(t, 0.5)}
    return {t for t, p in probs.items() if p >= threshold}


def evaluation_themes(codebook_core: Sequence[str], codebook_ids: Sequence[str]) -> list[str]:
    """The themes scored against labels: the core themes (the gold scheme), else all."""
    return list(codebook_core) or list(codebook_ids)


@dataclass
class TrainResult:
    """What `sgpipe train` did."""

    model: ThemeModel
    path: Path
    data: TrainingData


def train(
    output_dir: Path,
    *,
    gold_files: Sequence[Path],
    reviews_path: Path | None,
    options: ThemeOptions,
    model_path: Path = DEFAULT_MODEL_PATH,
    weak: bool = False,
    weak_weight: float = WEAK_WEIGHT,
    max_weak: int | None = None,
    cv: bool = True,
    seed: int = 0,
    blind_sources: Collection[str] = (),
) -> TrainResult:
    """Fit the model from a run's passages and the labels; save it with its metadata.
    ``blind_sources``: the rule-blind label sets, on which the model or the rules are
    chosen for each theme (:func:`choose_thresholds`)."""
    tagger = Tagger.from_options(rules_only(options))
    corpus = Corpus.from_output(output_dir, tagger=tagger)
    reviews = read_reviews(reviews_path)
    data = collect_training_data(
        corpus,
        gold_files=gold_files,
        reviews=reviews,
        known_themes=tagger.codebook.ids,
        weak=weak,
        weak_weight=weak_weight,
        max_weak=max_weak,
        seed=seed,
    )
    labelled = [pid for pid, s in zip(data.passage_ids, data.sources, strict=True) if s != WEAK]
    if not labelled and not weak:
        raise ValueError("no labelled passages found and weak labels are off: nothing to learn")
    themes = tagger.codebook.ids
    metadata: dict[str, Any] = {
        "codebook": {"name": tagger.codebook.name, "sha256": tagger.codebook.sha256},
        "label_files": [str(f) for f in gold_files],
        "rule_blind_sets": sorted(blind_sources),
        "reviews_file": str(reviews_path) if reviews_path and reviews_path.is_file() else "",
        "weak_weight": weak_weight if weak else 0.0,
    }
    domains = corpus.domains()
    if cv:
        docs = {g for g, s in zip(data.groups, data.sources, strict=True) if s != WEAK}
        if len(docs) >= 2:
            result = grouped_cross_validation(
                data,
                eval_pids=labelled,
                themes=themes,
                blind_sources=blind_sources,
                domains=domains,
                seed=seed,
            )
            metadata["cross_validation"] = summarise_cv(
                data,
                result,
                corpus=corpus,
                themes=evaluation_themes(tagger.codebook.core_ids, themes),
            )
        else:
            log.warning("cross-validation skipped: labelled passages of fewer than 2 documents")
    model = fit_with_thresholds(
        data, themes=themes, blind_sources=blind_sources, domains=domains, seed=seed
    )
    model.metadata.update(metadata)
    model.save(model_path)
    return TrainResult(model=model, path=model_path, data=data)


def summarise_cv(
    data: TrainingData,
    result: CrossValidation,
    *,
    corpus: Corpus,
    themes: Sequence[str],
) -> dict[str, Any]:
    """Micro precision, recall and F1 of rules, model and combined over the CV passages."""
    scope = set(themes)
    gold, rules, model, both = [], [], [], []
    for pid, lab, src in zip(data.passage_ids, data.labels, data.sources, strict=True):
        if src == WEAK or pid not in result.probabilities:
            continue
        m = result.predicted(pid) & scope
        r = set(corpus.rule_themes.get(pid, ())) & scope
        gold.append(set(lab) & scope)
        rules.append(r)
        model.append(m)
        both.append(
            corpus.combine(pid, result.probabilities[pid], result.thresholds.get(pid, {})) & scope
        )

    def row(score: Score) -> dict[str, float]:
        return {
            "precision": round(score.precision, 4),
            "recall": round(score.recall, 4),
            "f1": round(score.f1, 4),
            "tp": score.tp,
            "fp": score.fp,
            "fn": score.fn,
        }

    return {
        "grouping": "document",
        "folds": result.folds,
        "passages": len(gold),
        "themes": list(themes),
        "thresholds": "per theme and fold, by inner grouped cross-validation",
        "rules": row(set_counts(gold, rules)),
        "model": row(set_counts(gold, model)),
        "combined": row(set_counts(gold, both)),
    }


def positives_matrix(labels: Sequence[Iterable[str]], themes: Sequence[str]) -> np.ndarray:
    """0/1 matrix of ``labels`` (rows) over ``themes`` (columns)."""
    return np.array([[t in set(lab) for t in themes] for lab in labels], dtype=bool).reshape(
        len(labels), len(themes)
    )

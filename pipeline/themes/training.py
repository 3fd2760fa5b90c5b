"""Training data for the theme model, grouped cross-validation, and `sgpipe train`.

Training passages come from four sources, in this order of precedence:

1. gold-format label files (``../shared/labels/themes_*.csv``, ``data/labels/themes_*.csv``):
   every theme of the passage was assigned by a person; weight 1;
2. review decisions (``data/labels/themes_reviewed.csv``): the rule tags of the
   passage with the analyst's accepts, rejects and additions applied; weight 1;
3. weak labels: the rule tags (counted, not negated) of every other passage of at
   least :data:`~pipeline.themes.tagger.MIN_MODEL_WORDS` words; weight ``weak_weight``.
   They are marked ``weak`` in the training metadata and are never evaluated on.

Cross-validation is grouped by document: a fold holds out every passage of its
documents, weak labels included, so no text of a held-out document is seen in
training.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline import schema, store
from pipeline.evaluate.metrics import Score, set_counts
from pipeline.themes import DEFAULT_MODEL_PATH, ThemeOptions
from pipeline.themes.labels import (
    read_gold_labels,
    read_reviews,
    review_decisions,
)
from pipeline.themes.model import ThemeModel, TrainingData, fit_model
from pipeline.themes.tagger import MIN_MODEL_WORDS, Tagger

log = logging.getLogger(__name__)

WEAK_WEIGHT = 0.3
WEAK = "weak"
REVIEWED = "reviewed"


@dataclass
class Corpus:
    """A run's passages and documents, with the rule tags of every passage."""

    passages: pd.DataFrame
    documents: pd.DataFrame
    rule_themes: dict[str, frozenset[str]]
    vetoes: dict[str, frozenset[str]] = field(default_factory=dict)

    def combine(self, pid: str, model: set[str]) -> set[str]:
        """Rules or model for one passage, with the tagger's context vetoes applied."""
        rules = set(self.rule_themes.get(pid, ()))
        veto = self.vetoes.get(pid, frozenset())
        kept = {t for t in model if t in rules or not ("*" in veto or t in veto)}
        return rules | kept

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
        """Tag ``passages`` by rules (counted tags, and the context vetoes of model tags)."""
        results = tagger.rule_results(passages["text"].astype(str).tolist())
        rule_themes, vetoes = {}, {}
        for pid, (tags, veto) in zip(passages["passage_id"], results, strict=True):
            rule_themes[pid] = frozenset(t for t, tag in tags.items() if not tag.negated)
            vetoes[pid] = frozenset(veto)
        return cls(passages=passages, documents=documents, rule_themes=rule_themes, vetoes=vetoes)


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
    weak: bool = True,
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
    for pid, doc_id, text in zip(
        corpus.passages["passage_id"],
        corpus.passages["doc_id"],
        corpus.passages["text"].astype(str),
        strict=True,
    ):
        if pid in gold:
            lab = gold[pid]
            data.add(text, lab.themes, weight=1.0, group=doc_id, source=lab.source, pid=pid)
        elif pid in decisions:
            themes = set(corpus.rule_themes.get(pid, ()))
            for theme, decision in decisions[pid].items():
                if decision == "reject":
                    themes.discard(theme)
                else:
                    themes.add(theme)
            data.add(text, themes, weight=1.0, group=doc_id, source=REVIEWED, pid=pid)
        elif weak and len(text.split()) >= MIN_MODEL_WORDS:
            weak_rows.append((pid, doc_id, text))
    if max_weak is not None and len(weak_rows) > max_weak:
        weak_rows = random.Random(seed).sample(weak_rows, max_weak)
    for pid, doc_id, text in weak_rows:
        themes = corpus.rule_themes.get(pid, frozenset()) & set(known)
        data.add(text, themes, weight=weak_weight, group=doc_id, source=WEAK, pid=pid)
    return data


@dataclass
class CrossValidation:
    """Held-out model probabilities of labelled passages, from document-grouped folds."""

    probabilities: dict[str, dict[str, float]] = field(default_factory=dict)
    folds: list[list[str]] = field(default_factory=list)


def grouped_cross_validation(
    data: TrainingData,
    *,
    eval_pids: Iterable[str],
    themes: Sequence[str],
    n_splits: int = 5,
    min_positive: int = 5,
    seed: int = 0,
) -> CrossValidation:
    """Predict every passage of ``eval_pids`` with a model that never saw its document.

    Folds are ``GroupKFold`` over the documents of the evaluated passages (with two
    documents: leave one document out). Each fold's model is trained on ``data``
    minus every passage of the held-out documents, weak labels included.
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
    folds = GroupKFold(n_splits=min(n_splits, n_groups))
    out = CrossValidation()
    for _, test in folds.split(idx, groups=groups):
        held = sorted({groups[k] for k in test})
        out.folds.append(held)
        model = fit_model(
            data.without_groups(held), themes=themes, min_positive=min_positive, seed=seed
        )
        test_idx = [idx[k] for k in test]
        usable = [i for i in test_idx if len(data.texts[i].split()) >= MIN_MODEL_WORDS]
        probs = model.predict_proba([data.texts[i] for i in usable])
        for row, i in enumerate(usable):
            out.probabilities[data.passage_ids[i]] = {
                t: float(probs[row, j]) for j, t in enumerate(model.classes)
            }
        for i in test_idx:
            out.probabilities.setdefault(data.passage_ids[i], {})
        log.info("cross-validation fold: held out %s", ", ".join(held))
    return out


def model_themes(probs: dict[str, float], threshold: float) -> set[str]:
    """Themes whose probability reaches ``threshold``."""
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
    weak: bool = True,
    weak_weight: float = WEAK_WEIGHT,
    max_weak: int | None = None,
    cv: bool = True,
    seed: int = 0,
) -> TrainResult:
    """Fit the model from a run's passages and the labels; save it with its metadata."""
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
        "reviews_file": str(reviews_path) if reviews_path and reviews_path.is_file() else "",
        "weak_weight": weak_weight if weak else 0.0,
        "model_threshold": options.model_threshold,
    }
    if cv:
        docs = {g for g, s in zip(data.groups, data.sources, strict=True) if s != WEAK}
        if len(docs) >= 2:
            result = grouped_cross_validation(data, eval_pids=labelled, themes=themes, seed=seed)
            metadata["cross_validation"] = summarise_cv(
                data,
                result,
                corpus=corpus,
                themes=evaluation_themes(tagger.codebook.core_ids, themes),
                threshold=options.model_threshold,
            )
        else:
            log.warning("cross-validation skipped: labelled passages of fewer than 2 documents")
    model = fit_model(data, themes=themes, seed=seed)
    model.metadata.update(metadata)
    model.save(model_path)
    return TrainResult(model=model, path=model_path, data=data)


def summarise_cv(
    data: TrainingData,
    result: CrossValidation,
    *,
    corpus: Corpus,
    themes: Sequence[str],
    threshold: float,
) -> dict[str, Any]:
    """Micro precision, recall and F1 of rules, model and combined over the CV passages."""
    scope = set(themes)
    gold, rules, model, both = [], [], [], []
    for pid, lab, src in zip(data.passage_ids, data.labels, data.sources, strict=True):
        if src == WEAK or pid not in result.probabilities:
            continue
        m = model_themes(result.probabilities[pid], threshold) & scope
        r = set(corpus.rule_themes.get(pid, ())) & scope
        gold.append(set(lab) & scope)
        rules.append(r)
        model.append(m)
        both.append(corpus.combine(pid, m) & scope)

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
        "model_threshold": threshold,
        "rules": row(set_counts(gold, rules)),
        "model": row(set_counts(gold, model)),
        "combined": row(set_counts(gold, both)),
    }


def positives_matrix(labels: Sequence[Iterable[str]], themes: Sequence[str]) -> np.ndarray:
    """0/1 matrix of ``labels`` (rows) over ``themes`` (columns)."""
    return np.array([[t in set(lab) for t in themes] for lab in labels], dtype=bool).reshape(
        len(labels), len(themes)
    )

"""The scikit-learn transformers that turn passage records into the model's features.

The model's input is one *record* per passage (:func:`pipeline.themes.passage_features.record`).
Three blocks of features are made from it:

- **words**: TF-IDF of word 1-2-grams of the text (:class:`TextOf` feeds the vectoriser);
- **rules**: the rule matches as features rather than as final tags
  (:func:`pipeline.themes.passage_features.rule_features`, fed by :class:`RulesOf`);
- **meaning**: a static sentence embedding (:class:`Meaning`), so that a passage that
  says a theme in other words than the codebook's is near the passages that say it in
  its words; optionally **likeness** to each theme's description (:class:`Likeness`).

Every transformer here is stateless or stores only plain arrays, so a fitted model
is saved with ``skops`` and in the compact form of :mod:`pipeline.themes.model`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from pipeline.themes.passage_features import EMBEDDING_CONFIG, EMBEDDING_DIM, unit_embeddings


class TextOf(TransformerMixin, BaseEstimator):
    """The texts of records (the input of the words block)."""

    def fit(self, X: Iterable[dict[str, Any]], y: Any = None) -> TextOf:
        """Nothing to learn."""
        return self

    def transform(self, X: Iterable[dict[str, Any]]) -> list[str]:
        """``record["text"]`` of each record."""
        return [r["text"] for r in X]


class RulesOf(TransformerMixin, BaseEstimator):
    """The rule features of records (the input of the rules block)."""

    def fit(self, X: Iterable[dict[str, Any]], y: Any = None) -> RulesOf:
        """Nothing to learn."""
        return self

    def transform(self, X: Iterable[dict[str, Any]]) -> list[dict[str, float]]:
        """``record["rules"]`` of each record."""
        return [r["rules"] for r in X]


class Meaning(TransformerMixin, BaseEstimator):
    """A unit-length static embedding of each record's text, times ``weight``."""

    def __init__(
        self, config: str = EMBEDDING_CONFIG, dim: int = EMBEDDING_DIM, weight: float = 1.0
    ) -> None:
        self.config = config
        self.dim = dim
        self.weight = weight

    def fit(self, X: Iterable[dict[str, Any]], y: Any = None) -> Meaning:
        """Nothing to learn (the embedding is fixed)."""
        return self

    def transform(self, X: Iterable[dict[str, Any]]) -> np.ndarray:
        """``(n, dim)`` embeddings."""
        texts = [r["text"] if isinstance(r, dict) else str(r) for r in X]
        return self.embed(texts)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length embeddings of ``texts`` times ``weight``, ``(n, dim)`` float64."""
        return unit_embeddings(texts, self.config, self.dim, self.weight)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``meaning0`` ... ``meaning<dim-1>``."""
        return np.array([f"meaning{i}" for i in range(self.dim)], dtype=object)


class Likeness(TransformerMixin, BaseEstimator):
    """How near each record's text is to each theme's description in the codebook:
    the cosine similarity of their embeddings, standardised on the training texts.

    A handful of features with a strong prior (the codebook says what each theme
    is), where the 256 embedding dimensions would have to be learnt from a few
    hundred labels.
    """

    def __init__(
        self,
        prototypes: Sequence[str] = (),
        config: str = EMBEDDING_CONFIG,
        dim: int = EMBEDDING_DIM,
    ) -> None:
        self.prototypes = prototypes
        self.config = config
        self.dim = dim

    def _similarities(self, X: Iterable[dict[str, Any]]) -> np.ndarray:
        meaning = Meaning(self.config, self.dim)
        texts = [r["text"] if isinstance(r, dict) else str(r) for r in X]
        if not texts or not len(self.prototypes):
            return np.zeros((len(texts), len(self.prototypes)))
        protos = meaning.embed(list(self.prototypes))
        return meaning.embed(texts) @ protos.T

    def fit(self, X: Iterable[dict[str, Any]], y: Any = None) -> Likeness:
        """Learn the mean and spread of each similarity on the training texts."""
        sims = self._similarities(X)
        self.mean_ = sims.mean(axis=0) if len(sims) else np.zeros(len(self.prototypes))
        scale = sims.std(axis=0) if len(sims) else np.ones(len(self.prototypes))
        self.scale_ = np.where(scale > 1e-6, scale, 1.0)
        return self

    def transform(self, X: Iterable[dict[str, Any]]) -> np.ndarray:
        """``(n, len(prototypes))`` standardised similarities."""
        return (self._similarities(X) - self.mean_) / self.scale_

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``likeness0`` ... one per prototype."""
        return np.array([f"likeness{i}" for i in range(len(self.prototypes))], dtype=object)


def theme_prototypes(codebook: Any, themes: Sequence[str] | None = None) -> list[str]:
    """The text each theme is compared with: its label and description."""
    by_id = {t.id: t for t in codebook.themes}
    ids = list(themes) if themes is not None else [t.id for t in codebook.themes]
    return [f"{by_id[t].label}. {by_id[t].description}".strip() for t in ids if t in by_id]

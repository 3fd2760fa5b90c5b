"""What both forms of the theme model share: the word pattern, thresholds, evidence words.

The scikit-learn model (:class:`pipeline.themes.model.ThemeModel`) and its linear form
(:class:`pipeline.themes.linear.LinearThemeModel`) hold the same per-theme thresholds
(:class:`Thresholds`) and give the same evidence for a model-only tag
(:func:`evidence_words`); they differ only in how they compute a passage's TF-IDF row
and embeddings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import numpy as np

from pipeline.themes.domain import CHILDREN

#: Words of two or more letters (no digits: page numbers and years carry no theme).
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"


class Thresholds:
    """The decision thresholds of a model's themes, read from ``self.thresholds``
    (``{theme: {"model": p, "keep": p, "add": p, "other_keep": p, "other_add": p}}``,
    chosen when it was trained; ``other_*`` for documents not about children, see
    :mod:`pipeline.themes.domain`)."""

    thresholds: dict[str, dict[str, float]]

    def threshold_set(self, theme: str, domain: str = CHILDREN) -> dict[str, float]:
        """The thresholds chosen for ``theme`` in documents of ``domain`` (``model``,
        ``keep``, ``add``; see :func:`pipeline.themes.choice.choose_thresholds`),
        empty when none were. A model trained before the domains were told apart has
        one ``keep`` and ``add`` for every document."""
        chosen = self.thresholds.get(theme, {})
        out = {k: float(chosen[k]) for k in ("model", "keep", "add") if k in chosen}
        if domain != CHILDREN:
            for k in ("keep", "add"):
                if f"{domain}_{k}" in chosen:
                    out[k] = float(chosen[f"{domain}_{k}"])
        return out

    def threshold_table(self, domain: str = CHILDREN) -> dict[str, dict[str, float]]:
        """:meth:`threshold_set` of every theme that has thresholds, for ``domain``."""
        return {theme: self.threshold_set(theme, domain) for theme in self.thresholds}

    def threshold(self, theme: str, default: float = 0.5) -> float:
        """The probability a tag of the model alone needs for ``theme``."""
        return float(self.thresholds.get(theme, {}).get("model", default))


def evidence_words(
    text: str,
    coef: np.ndarray,
    *,
    stop_words: Collection[str],
    vocabulary: Mapping[str, int] | None = None,
    row: Any = None,
    word_cols: slice | None = None,
    embed: Callable[[Sequence[str]], np.ndarray] | None = None,
    meaning_cols: slice | None = None,
    top: int = 3,
) -> list[list[Any]]:
    """``[start, end, words]`` of the words of ``text`` that raise a theme most.

    ``coef``: the theme's coefficients over every feature. A word scores its TF-IDF
    weight (``row``, the passage's sparse TF-IDF row over ``vocabulary``, whose
    coefficients are ``coef[word_cols]``) times its coefficient, and the same for the
    two-word n-grams it starts (shared by the two words), plus its share of the
    passage embedding times the embedding coefficients (``embed`` of each word,
    ``coef[meaning_cols]``). Function words ("of", "for") are not evidence. Offsets
    index into ``text``. When no word raises the theme, the word that lowers it least
    is given, so that a model tag always shows the words it was read from.
    """
    words = [
        (m.start(), m.end(), m.group())
        for m in re.finditer(TOKEN_PATTERN, text)
        if m.group().lower() not in stop_words
    ]
    if not words:  # only function words, or no words: any of them
        words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\w+|\S+", text)]
    if not words:
        return []
    scores = np.zeros(len(words))
    if row is not None and vocabulary is not None and word_cols is not None:
        weight = {
            int(j): float(v) * coef[word_cols][j]
            for j, v in zip(row.indices, row.data, strict=True)
        }
        lower = [w.lower() for _, _, w in words]
        for i, w in enumerate(lower):
            j = vocabulary.get(w)
            if j is not None:
                scores[i] += weight.get(j, 0.0)
            if i + 1 < len(lower):
                j = vocabulary.get(f"{w} {lower[i + 1]}")
                if j is not None:  # a bigram's weight is shared by its two words
                    scores[i] += weight.get(j, 0.0) / 2
                    scores[i + 1] += weight.get(j, 0.0) / 2
    if embed is not None and meaning_cols is not None:
        vecs = embed([w for _, _, w in words])
        scores += vecs @ coef[meaning_cols] / len(words)
    order = np.argsort(-scores, kind="stable")
    chosen = [k for k in order[:top] if scores[k] > 0] or [int(order[0])]
    return sorted([list(words[k]) for k in chosen])

"""The features of a passage the theme model reads, made without scikit-learn.

The model's input is one *record* per passage: ``{"text": ..., "kind": ..., "rules":
{feature: value}}`` (:func:`record`). Its rule features (:func:`rule_features`) are the
rule matches as features rather than as final tags: which theme the rules tagged and
with which score, which pattern fired, whether the mention was negated, dropped by its
context (a name, an address, a citation, an exclusion, a bibliographic reference),
made in a heading, or made inside a list of agencies ("police, health and education"),
plus the passage's kind and length. Its meaning is a static sentence embedding
(:func:`unit_embeddings`: WordLlama ``l2_supercat``, 256 dimensions, shipped inside the
``wordllama`` wheel and loaded from the installed package with downloads disabled).

Tagging reads these with the rules alone or with a model in linear form
(:mod:`pipeline.themes.linear`), so it never imports scikit-learn; the scikit-learn
transformers that wrap them for training are in :mod:`pipeline.themes.features`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.themes.rules import listed_matches

if TYPE_CHECKING:
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

#: The WordLlama configuration and dimension the meaning block uses.
EMBEDDING_CONFIG = "l2_supercat"
EMBEDDING_DIM = 256

_EMBEDDERS: dict[tuple[str, int], Any] = {}


def record(text: str, kind: str = "", rules: dict[str, float] | None = None) -> dict[str, Any]:
    """One passage as the model reads it."""
    return {"text": text, "kind": kind or "", "rules": rules or {}}


def records(
    texts: Sequence[str],
    kinds: Sequence[str] | None = None,
    rules: Sequence[dict[str, float]] | None = None,
) -> list[dict[str, Any]]:
    """Records of parallel lists (missing kinds and rule features are empty)."""
    return [
        record(t, kinds[i] if kinds else "", rules[i] if rules else None)
        for i, t in enumerate(texts)
    ]


def rule_features(doc: Doc, kind: str = "") -> dict[str, float]:
    """The features of one passage that the rule tagger found (``doc`` tagged by
    ``theme_rules``), see the module docstring. Feature names are
    ``<what>:<theme>[|<detail>]``."""
    out: dict[str, float] = {}
    tags = doc._.theme_tags or {}
    matches = doc._.theme_matches or []
    dropped = doc._.theme_dropped or []
    for theme, tag in tags.items():
        if tag.negated:
            out[f"neg:{theme}"] = 1.0
        else:
            out[f"tag:{theme}"] = float(tag.score)
            if kind == "heading":
                out[f"head:{theme}"] = 1.0
    live = [m for m in matches if not m.negated]
    for m in matches:
        if m.negated:
            out[f"negmatch:{m.theme}"] = 1.0
        else:
            out[f"pat:{m.theme}|{m.pattern}"] = 1.0
            out[f"role:{m.theme}|{m.role}"] = 1.0
    for m, reason in dropped:
        what = reason.split(":", 1)[0]
        if what == "reference":
            out["reference"] = 1.0
        else:
            out[f"drop:{m.theme}|{what}"] = 1.0
    listed = listed_matches(doc, live)
    for theme in {m.theme for m in live}:
        ms = [m for m in live if m.theme == theme]
        if any(id(m) in listed for m in ms):
            out[f"list:{theme}"] = 1.0
            if all(id(m) in listed for m in ms):
                out[f"onlylist:{theme}"] = 1.0
    n_themes = sum(1 for t in tags.values() if not t.negated)
    if n_themes:
        out["n_themes"] = min(n_themes, 6) / 6.0
    if kind:
        out[f"kind:{kind}"] = 1.0
    out["length"] = min(math.log1p(len(doc)) / 6.0, 1.0)
    return out


def load_embedder(config: str = EMBEDDING_CONFIG, dim: int = EMBEDDING_DIM) -> Any:
    """The WordLlama model shipped in the ``wordllama`` package (never downloaded;
    loaded once per process)."""
    key = (config, dim)
    if key not in _EMBEDDERS:
        from pathlib import Path

        import wordllama
        from wordllama import WordLlama

        folder = Path(wordllama.__file__).resolve().parent
        _EMBEDDERS[key] = WordLlama.load(config, cache_dir=folder, dim=dim, disable_download=True)
    return _EMBEDDERS[key]


def unit_embeddings(
    texts: Sequence[str],
    config: str = EMBEDDING_CONFIG,
    dim: int = EMBEDDING_DIM,
    weight: float = 1.0,
) -> np.ndarray:
    """Unit-length embeddings of ``texts`` times ``weight``, ``(n, dim)`` float64."""
    if not len(texts):
        return np.zeros((0, dim))
    vecs = np.asarray(load_embedder(config, dim).embed(list(texts)), dtype=float)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vecs / norms * weight

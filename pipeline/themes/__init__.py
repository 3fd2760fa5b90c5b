"""Theme tagging: the codebook, the spaCy rule tagger, the scikit-learn model, and the
stage that combines them into ``themes.parquet``.

This module stays light (no spaCy or scikit-learn import) so that the CLI and the
stage graph can name :class:`ThemeOptions` without loading the models.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Where `sgpipe review import` keeps analysts' decisions, and where tagging and
#: training look for them by default.
DEFAULT_REVIEWS_PATH = Path("data/labels/themes_reviewed.csv")
#: A model-only tag needs at least this calibrated probability (see the README,
#: "Themes": chosen by grouped cross-validation on the labelled passages).
DEFAULT_MODEL_THRESHOLD = 0.8


@dataclass(frozen=True)
class ThemeOptions:
    """Settings of the theme stage.

    ``codebook``: a YAML codebook (``None``: the shipped one). ``model``: a model
    file from `sgpipe train` (``None``: rules only). ``reviews``: analysts'
    decisions from `sgpipe review import` (``None``: none). ``model_threshold``:
    the probability a model-only tag needs. ``include_negated``: keep themes whose
    every mention is negated, marked ``negated`` (they never count as the theme).
    ``spacy_pipeline``: an installed spaCy pipeline to build on instead of the
    blank English one (never downloaded).
    """

    codebook: Path | None = None
    model: Path | None = None
    reviews: Path | None = None
    model_threshold: float = DEFAULT_MODEL_THRESHOLD
    include_negated: bool = True
    spacy_pipeline: str | None = None

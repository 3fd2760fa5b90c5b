"""Theme tagging: the codebook, the spaCy rule tagger, the scikit-learn model, and the
stage that combines them into ``themes.parquet``.

This module stays light (no spaCy or scikit-learn import) so that the CLI and the
stage graph can name :class:`ThemeOptions` without loading the models.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

#: Where `sgpipe review import` keeps analysts' decisions, and where tagging and
#: training look for them by default.
DEFAULT_REVIEWS_PATH = Path("data/labels/themes_reviewed.csv")
#: A model-only tag needs at least this calibrated probability (see the README,
#: "Themes": chosen by grouped cross-validation on the labelled passages).
DEFAULT_MODEL_THRESHOLD = 0.8


#: ``ThemeOptions.model`` / ``.reviews`` value: the default file when it exists, else none.
AUTO = "auto"
#: Where `sgpipe train` saves the model, and where tagging looks for it by default.
DEFAULT_MODEL_PATH = Path("models/themes.skops")


@dataclass(frozen=True)
class ThemeOptions:
    """Settings of the theme stage.

    ``codebook``: a YAML codebook (``None``: the shipped one). ``model``: a model
    file from `sgpipe train`; ``None``: rules only; ``"auto"`` (the default):
    ``models/themes.skops`` when it exists, as the command line does. ``reviews``:
    analysts' decisions from `sgpipe review import`; ``None``: none; ``"auto"``:
    ``data/labels/themes_reviewed.csv`` when it exists. ``model_threshold``: the
    probability a model-only tag needs. ``include_negated``: keep themes whose every
    mention is negated, marked ``negated`` (they never count as the theme).
    ``spacy_pipeline``: an installed spaCy pipeline to build on instead of the blank
    English one (never downloaded).
    """

    codebook: Path | None = None
    model: Path | str | None = AUTO
    reviews: Path | str | None = AUTO
    model_threshold: float = DEFAULT_MODEL_THRESHOLD
    include_negated: bool = True
    spacy_pipeline: str | None = None

    def resolved(self) -> ThemeOptions:
        """These options with ``"auto"`` replaced by the default file or ``None``."""
        return replace(
            self,
            model=_resolve(self.model, DEFAULT_MODEL_PATH),
            reviews=_resolve(self.reviews, DEFAULT_REVIEWS_PATH),
        )


def _resolve(value: Path | str | None, default: Path) -> Path | None:
    if value is None:
        return None
    if value == AUTO:
        return default if default.is_file() else None
    return Path(value)

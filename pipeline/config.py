"""Options of a run and of each stage: plain dataclasses, nothing loaded.

The ground floor of the package (see CONTRIBUTING.md, "The house"): the runner
builds a :class:`RunConfig`, and each stage reads the fields it needs from it
(:class:`ExtractOptions` for extraction, :class:`ThemeOptions` for tagging), so
no stage imports the runner and the command line can name every option without
importing a stage.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

#: PDF backends: ``pdfium`` (fast, the default) and ``pdfplumber`` (pure Python).
PDF_BACKENDS = ("pdfium", "pdfplumber")


@dataclass(frozen=True)
class ExtractOptions:
    """Settings that change what extraction produces (part of the cache key)."""

    pdf_backend: str = "pdfium"
    ocr: bool = False

    def key(self) -> str:
        """A string that changes whenever an option that affects the output changes."""
        return f"pdf={self.pdf_backend};ocr={int(self.ocr)}"


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


@dataclass
class RunConfig:
    """Options of a pipeline run."""

    input_dir: Path
    output_dir: Path
    jobs: int | None = None
    options: ExtractOptions = field(default_factory=ExtractOptions)
    progress: bool = True
    themes: ThemeOptions = field(default_factory=ThemeOptions)
    #: Wait for another run that holds the output folder's lock (else stop at once).
    wait: bool = False
    #: The snapshot to compare with (a snapshot file or a yyyy-mm-dd date); "" = the last run.
    since: str = ""
    #: A recommendation with no mention for more than this many months is reported silent.
    silent_months: int = 6

    @property
    def n_jobs(self) -> int:
        """Worker processes to use (default: all cores)."""
        return max(1, self.jobs or os.cpu_count() or 1)

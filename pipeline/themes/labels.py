"""Theme labels made by people: gold-format CSVs and analysts' review decisions.

Two kinds of file, both kept under ``data/labels/`` (and ``../shared/labels/``):

- **gold format** (``themes_*.csv``): ``doc``, ``quote``, ``page``, ``themes``, as
  described in DESIGN.md; every theme of the passage is listed (empty: none);
- **review decisions** (``themes_reviewed.csv``, written by `sgpipe review import`):
  one row per (passage, theme) decision, ``accept``, ``reject`` or ``add``, with the
  passage's document, opening words, page and a hash of its normalised text.

A decision belongs to a passage by document file name and text hash, so it still
applies when passage ids change, and is ignored when the passage text changed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from pipeline.gold import GoldError, load_gold, locate_quotes
from pipeline.store import sha256_text
from pipeline.textnorm import normalize_for_match

log = logging.getLogger(__name__)

GOLD_COLUMNS = ("doc", "quote", "page", "themes")
REVIEW_COLUMNS = (
    "doc",
    "quote",
    "page",
    "text_sha",
    "passage_id",
    "theme",
    "decision",
    "note",
    "source",
)
DECISIONS = ("accept", "reject", "add")
REVIEWS_FILENAME = "themes_reviewed.csv"


#: The file of a label folder that lists its rule-blind label sets (see
#: :func:`rule_blind_sources`).
RULE_BLIND_FILENAME = "rule_blind_sets.txt"


class LabelError(ValueError):
    """A label file is malformed; the message names the file, the row and the problem."""


def text_sha(text: str) -> str:
    """A short hash of a passage's comparison form (NFKC, case, punctuation, spaces)."""
    return sha256_text(normalize_for_match(text))[:16]


def opening_words(text: str, n: int = 12) -> str:
    """The first ``n`` words of a passage: the ``quote`` of a label row."""
    return " ".join(text.split()[:n])


def gold_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Gold-format label files: files given directly, and ``themes_*.csv`` in folders.

    The review-decisions file is not a gold file and is left out of folders.
    """
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out += sorted(f for f in p.glob("themes_*.csv") if f.name != REVIEWS_FILENAME)
        elif p.is_file():
            out.append(p)
        else:
            raise LabelError(f"{p}: label file or folder not found")
    return list(dict.fromkeys(out))


def rule_blind_sources(paths: Iterable[str | os.PathLike[str]]) -> frozenset[str]:
    """The rule-blind label sets of the label folders of ``paths`` (a folder, or the
    folder of a label file): the file stems (``themes_handlabelled12``) listed one per
    line in each folder's :data:`RULE_BLIND_FILENAME` (``#`` starts a comment). These
    are the sets whose errors were never read when the rules were written; the choice
    between rules and model is made on them
    (:func:`pipeline.themes.choice.choose_thresholds`). Training and evaluation call
    this with every label path they train on, so both find the same sets.

    Raises :class:`LabelError` naming the file and line of a set that is not a gold
    ``themes_*.csv`` file of that folder.
    """
    out: set[str] = set()
    folders = {Path(p) if Path(p).is_dir() else Path(p).parent for p in paths}
    for folder in sorted(folders):
        listing = folder / RULE_BLIND_FILENAME
        if not listing.is_file():
            continue
        lines = listing.read_text(encoding="utf-8-sig").splitlines()
        for n, line in enumerate(lines, start=1):
            stem = line.split("#", 1)[0].strip()
            if not stem:
                continue
            gold = (
                stem.startswith("themes_")
                and f"{stem}.csv" != REVIEWS_FILENAME
                and (folder / f"{stem}.csv").is_file()
            )
            if not gold:
                raise LabelError(
                    f"{listing}, line {n}: {stem!r} is not a label set of {folder} "
                    f"(expected the stem of a themes_*.csv file there)"
                )
            out.add(stem)
    return frozenset(out)


@dataclass(frozen=True)
class PassageLabel:
    """The themes people gave one passage, and the file they came from."""

    passage_id: str
    themes: frozenset[str]
    source: str


def read_gold_labels(
    files: Sequence[Path],
    passages: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    known_themes: Iterable[str],
) -> dict[str, PassageLabel]:
    """Labels of every located gold row, by passage id (an earlier file wins a tie).

    Rows whose quote is not found in ``passages`` are skipped with a warning (their
    document may not be in this run). Unknown theme ids raise :class:`LabelError`.
    """
    known = set(known_themes)
    out: dict[str, PassageLabel] = {}
    for f in files:
        try:
            gold = load_gold(f, GOLD_COLUMNS)
        except GoldError as exc:
            raise LabelError(str(exc)) from exc
        check_theme_ids(gold, f, known)
        located = locate_quotes(gold, passages, documents)
        missing = 0
        for loc, themes in zip(located, gold["themes"], strict=True):
            if not loc.passage_id:
                missing += 1
                continue
            ids = frozenset(t.strip() for t in themes.split(";") if t.strip())
            out.setdefault(loc.passage_id, PassageLabel(loc.passage_id, ids, f.stem))
        if missing:
            log.warning("%s: %d of %d rows not found in these passages", f, missing, len(gold))
    return out


def check_theme_ids(gold: pd.DataFrame, path: Path, known: set[str]) -> None:
    """Raise :class:`LabelError` naming the first row with a theme id not in ``known``."""
    for i, themes in enumerate(gold["themes"], start=2):
        bad = [t.strip() for t in themes.split(";") if t.strip() and t.strip() not in known]
        if bad:
            raise LabelError(f"{path}: row {i}: unknown theme id(s) {bad}")


def read_reviews(path: str | os.PathLike[str] | None) -> pd.DataFrame:
    """The review-decisions file (an empty frame when there is none)."""
    empty = pd.DataFrame({c: pd.Series([], dtype="string") for c in REVIEW_COLUMNS})
    if path is None or not Path(path).is_file():
        return empty
    try:
        df = load_gold(path, REVIEW_COLUMNS)
    except GoldError as exc:
        raise LabelError(str(exc)) from exc
    bad = df[~df["decision"].isin(DECISIONS)]
    if len(bad):
        row = int(bad.index[0]) + 2
        raise LabelError(f"{path}: row {row}: decision must be one of {list(DECISIONS)}")
    return df[list(REVIEW_COLUMNS)]


def document_names(documents: pd.DataFrame) -> dict[str, str]:
    """``doc_id -> file name`` (what label files call ``doc``)."""
    return {
        d: PurePosixPath(p).name
        for d, p in zip(documents["doc_id"], documents["path"], strict=True)
    }


def passage_keys(passages: pd.DataFrame, documents: pd.DataFrame) -> dict[tuple[str, str], str]:
    """``(document file name, text hash) -> passage_id`` for matching review decisions."""
    names = document_names(documents)
    out: dict[tuple[str, str], str] = {}
    for pid, doc_id, text in zip(
        passages["passage_id"], passages["doc_id"], passages["text"], strict=True
    ):
        out.setdefault((names.get(doc_id, doc_id), text_sha(text)), pid)
    return out


def review_decisions(
    reviews: pd.DataFrame, passages: pd.DataFrame, documents: pd.DataFrame
) -> dict[str, dict[str, str]]:
    """``passage_id -> {theme: decision}`` for the decisions whose passage is in this run.

    A later row overrides an earlier one for the same passage and theme.
    """
    if reviews.empty:
        return {}
    keys = passage_keys(passages, documents)
    out: dict[str, dict[str, str]] = {}
    unmatched = 0
    for doc, sha, theme, decision in zip(
        reviews["doc"], reviews["text_sha"], reviews["theme"], reviews["decision"], strict=True
    ):
        pid = keys.get((PurePosixPath(doc).name, sha))
        if pid is None:
            unmatched += 1
            continue
        out.setdefault(pid, {})[theme] = decision
    if unmatched:
        log.info("%d review decisions are for passages not in this run (or changed)", unmatched)
    return out

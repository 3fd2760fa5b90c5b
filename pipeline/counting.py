"""Which theme tags count as the theme: the one rule every stage and table follows.

A tag whose every mention is negated ("no concerns about racism were raised") is
kept in ``themes.parquet`` with ``negated`` set, so that an analyst can see it, but
it never counts: not in the links' shared themes, not in the recommendations'
themes, not in any table or briefing.
"""

from __future__ import annotations

import pandas as pd


def counted(themes: pd.DataFrame) -> pd.DataFrame:
    """The rows that count as the theme (drops negated-only mentions)."""
    if "negated" not in themes.columns:
        return themes
    return themes[~themes["negated"].astype(bool)]


def counted_tags(themes: pd.DataFrame, *, include_negated: bool = False) -> pd.DataFrame:
    """The theme tags that count: one row per (passage, theme), negated tags dropped.

    Where the tagger wrote a (passage, theme) pair twice, the higher score is kept.
    """
    tags = themes
    if not include_negated and "negated" in tags.columns:
        tags = tags[~tags["negated"].fillna(False).astype(bool)]
    tags = tags.sort_values(["passage_id", "theme", "score"], ascending=[True, True, False])
    return tags.drop_duplicates(["passage_id", "theme"]).reset_index(drop=True)

"""Gold labels: load them and find the passage each gold quote stands in.

A gold item names a document (its file name), a quote (the opening words of a
passage) and the page where the quote stands. The item's passage is the passage
of that document whose text contains the quote, compared after
:func:`pipeline.textnorm.normalize_for_match`; where several passages contain it
(a heading repeated in a contents page), the one on the gold page wins.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from pipeline.textnorm import normalize_for_match


class GoldError(ValueError):
    """A gold file is malformed; the message names the file and the problem."""


def load_gold(path: str | os.PathLike[str], required: tuple[str, ...]) -> pd.DataFrame:
    """Read a gold CSV as strings (empty cells as ``""``) and check its columns."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise GoldError(f"{path}: cannot be read as CSV ({exc})") from exc
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise GoldError(f"{path}: missing column(s) {missing}; found {list(df.columns)}")
    return df


@dataclass(frozen=True)
class Located:
    """Where a gold quote was found.

    ``passage_id`` is ``""`` when no passage contains the quote; ``candidates`` counts
    the passages that contain it; ``on_page`` counts those left after the gold page
    decided (1 means the quote identifies exactly one passage).
    """

    passage_id: str
    candidates: int
    on_page: int

    @property
    def unique(self) -> bool:
        """The quote (with its page) identifies exactly one passage."""
        return self.on_page == 1


def locate_quotes(
    gold: pd.DataFrame, passages: pd.DataFrame, documents: pd.DataFrame
) -> list[Located]:
    """Find each gold row's passage (see the module docstring); one result per row."""
    name_to_doc: dict[str, str] = {}
    for doc_id, path in zip(documents["doc_id"], documents["path"], strict=True):
        name_to_doc.setdefault(PurePosixPath(path).name, doc_id)
        name_to_doc.setdefault(path, doc_id)
    by_doc: dict[str, list[tuple[str, int, int, str]]] = {}
    wanted = {name_to_doc.get(d, "") for d in gold["doc"]}
    cols = passages[passages["doc_id"].isin(wanted)]
    page_end = cols["page_end"] if "page_end" in cols.columns else cols["page"]
    for pid, doc_id, page, end, text in zip(
        cols["passage_id"], cols["doc_id"], cols["page"], page_end, cols["text"], strict=True
    ):
        by_doc.setdefault(doc_id, []).append((pid, int(page), int(end), normalize_for_match(text)))
    out: list[Located] = []
    for doc, quote, page in zip(gold["doc"], gold["quote"], gold["page"], strict=True):
        q = normalize_for_match(quote)
        hits = [p for p in by_doc.get(name_to_doc.get(doc, ""), []) if q and q in p[3]]
        if not hits:
            out.append(Located("", 0, 0))
            continue
        if len(hits) > 1 and str(page).strip().isdigit():
            pg = int(page)
            # a passage that starts on the gold page, else one that runs over it
            on_page = [h for h in hits if h[1] == pg] or [h for h in hits if h[1] <= pg <= h[2]]
            if on_page:
                out.append(Located(on_page[0][0], len(hits), len(on_page)))
                continue
        out.append(Located(hits[0][0], len(hits), len(hits)))
    return out

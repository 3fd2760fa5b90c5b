"""The review loop: export tags for an analyst to check, import the decisions as labels.

`sgpipe review export` writes a CSV of the tags of a run, lowest score first, with
the passage text and the evidence. The analyst fills ``decision`` with ``accept``
or ``reject`` and may list missing themes in ``add_themes`` (semicolon-separated
ids); a row may be added for any passage id. `sgpipe review import FILE` checks the
file and merges its decisions into ``data/labels/themes_reviewed.csv``
(:mod:`pipeline.themes.labels`), where tagging (overrides) and training (labels)
find them. A later decision on the same passage and theme replaces an earlier one.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline import schema, store
from pipeline.themes.labels import (
    REVIEW_COLUMNS,
    LabelError,
    document_names,
    opening_words,
    read_reviews,
    text_sha,
)

log = logging.getLogger(__name__)

EXPORT_COLUMNS = [
    "passage_id",
    "doc",
    "page",
    "kind",
    "theme",
    "method",
    "score",
    "negated",
    "evidence",
    "text",
    "decision",
    "add_themes",
    "note",
]
_ACCEPT = {"accept", "accepted", "yes", "y", "ok", "correct"}
_REJECT = {"reject", "rejected", "no", "n", "wrong"}


def export_review(
    output_dir: str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    limit: int | None = None,
    include_negated: bool = True,
) -> int:
    """Write the tags of ``output_dir`` to check, lowest score first; return the row count."""
    out = Path(output_dir)
    themes = store.read_table(schema.THEMES, out)
    if themes.empty and not (out / schema.THEMES.filename).exists():
        raise FileNotFoundError(f"{out}: no themes.parquet (run `sgpipe tag` first)")
    passages = store.read_table(schema.PASSAGES, out)
    documents = store.read_table(schema.DOCUMENTS, out)
    if not include_negated and "negated" in themes.columns:
        themes = themes[~themes["negated"].astype(bool)]
    names = document_names(documents)
    info = passages[["passage_id", "page", "kind", "text"]]
    df = themes.merge(info, on="passage_id", how="left", suffixes=("", "_passage"))
    df["doc"] = df["doc_id"].map(names).fillna(df["doc_id"])
    for col in ("page", "kind"):
        if f"{col}_passage" in df.columns:
            df[col] = df[f"{col}_passage"]
    if "negated" not in df.columns:
        df["negated"] = False
    df = df.sort_values(["score", "doc", "passage_id", "theme"], kind="stable")
    if limit is not None:
        df = df.head(limit)
    for col in ("decision", "add_themes", "note"):
        df[col] = ""
    store.write_csv(df[EXPORT_COLUMNS], path)
    return len(df)


@dataclass(frozen=True)
class ImportResult:
    """Counts of an import."""

    accepted: int
    rejected: int
    added: int
    skipped: int
    path: Path


def import_review(
    path: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    *,
    reviews_path: str | os.PathLike[str],
    known_themes: set[str],
) -> ImportResult:
    """Check an analyst's review file and merge its decisions into ``reviews_path``.

    Raises :class:`LabelError` naming the file, the row and the problem.
    """
    path, out = Path(path), Path(output_dir)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise LabelError(f"{path}: cannot be read as CSV ({exc})") from exc
    for col in ("passage_id", "theme", "decision"):
        if col not in df.columns:
            raise LabelError(f"{path}: missing column '{col}'")
    passages = store.read_table(schema.PASSAGES, out).set_index("passage_id")
    documents = store.read_table(schema.DOCUMENTS, out)
    names = document_names(documents)
    rows: list[dict[str, str]] = []
    counts = {"accept": 0, "reject": 0, "add": 0}
    skipped = 0
    for i, rec in enumerate(df.to_dict("records"), start=2):
        decision = _decision(rec.get("decision", ""), path, i)
        adds = [t.strip() for t in rec.get("add_themes", "").split(";") if t.strip()]
        if not decision and not adds:
            skipped += 1
            continue
        pid = rec["passage_id"].strip()
        if pid not in passages.index:
            raise LabelError(f"{path}: row {i}: passage '{pid}' is not in {out}")
        theme = rec["theme"].strip()
        for t in ([theme] if decision else []) + adds:
            if t not in known_themes:
                raise LabelError(f"{path}: row {i}: unknown theme id '{t}'")
        p = passages.loc[pid]
        base = {
            "doc": names.get(p["doc_id"], p["doc_id"]),
            "quote": opening_words(p["text"]),
            "page": str(p["page"]),
            "text_sha": text_sha(p["text"]),
            "passage_id": pid,
            "note": rec.get("note", ""),
            "source": path.name,
        }
        if decision:
            rows.append({**base, "theme": theme, "decision": decision})
            counts[decision] += 1
        for t in adds:
            rows.append({**base, "theme": t, "decision": "add"})
            counts["add"] += 1
    merged = pd.concat([read_reviews(reviews_path), pd.DataFrame(rows, columns=REVIEW_COLUMNS)])
    merged = merged.drop_duplicates(["doc", "text_sha", "theme"], keep="last")
    store.write_csv(merged[list(REVIEW_COLUMNS)], reviews_path)
    return ImportResult(
        counts["accept"], counts["reject"], counts["add"], skipped, Path(reviews_path)
    )


def _decision(value: str, path: Path, row: int) -> str:
    v = value.strip().lower()
    if not v:
        return ""
    if v in _ACCEPT:
        return "accept"
    if v in _REJECT:
        return "reject"
    raise LabelError(f"{path}: row {row}: decision '{value}' is not accept or reject")

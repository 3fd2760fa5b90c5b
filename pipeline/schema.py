"""The output contract as code: the tables every stage writes, their columns and dtypes.

Other tools, notebooks and evaluations read these files, so each table is checked
on write: the contract columns must be present (in this order, first), extra
columns are allowed after them, and dtypes are coerced so that an empty table
still has the right schema. A table's ``optional`` columns are part of the contract
too: written by the current pipeline, but not required of older outputs or other
writers; when present they are coerced to their dtype (after the contract columns,
with the other extras).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

STRING = "string"
INT = "int64"
FLOAT = "float64"
BOOL = "bool"


@dataclass(frozen=True)
class Table:
    """One output table: its file name and its ordered contract columns."""

    name: str
    filename: str
    columns: dict[str, str]
    key: tuple[str, ...]
    optional: dict[str, str] = field(default_factory=dict)

    def empty(self) -> pd.DataFrame:
        """Return an empty frame with the contract columns and dtypes."""
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in self.columns.items()})


DOCUMENTS = Table(
    "documents",
    "documents.parquet",
    {
        "doc_id": STRING,
        "path": STRING,
        "sha256": STRING,
        "format": STRING,
        "doc_type": STRING,
        "title": STRING,
        "date": STRING,
        "pages": INT,
        "words": INT,
        "status": STRING,
        "error": STRING,
    },
    key=("doc_id",),
    # what the document's RAG colours mean ("red=not_started; amber=in_progress"), from
    # manifest.csv (column rag) or rag_mapping.csv; "" when the analyst set none
    optional={"rag_mapping": STRING},
)

PASSAGES = Table(
    "passages",
    "passages.parquet",
    {
        "passage_id": STRING,
        "doc_id": STRING,
        "seq": INT,
        "page": INT,
        "ref": STRING,
        "parent_ref": STRING,
        "kind": STRING,
        "speaker": STRING,
        "text": STRING,
    },
    key=("doc_id", "seq"),
    # share (0-1) of the passage's characters on italic lines; 0 where the format or
    # the reader knows no italic; underline_spans: JSON list of [start, end) character
    # spans of ``text`` underlined in the PDF (rules drawn under the words), "" when none
    optional={"italic": FLOAT, "underline_spans": STRING},
)

THEMES = Table(
    "themes",
    "themes.parquet",
    {
        "passage_id": STRING,
        "doc_id": STRING,
        "theme": STRING,
        "method": STRING,
        "score": FLOAT,
        "evidence": STRING,
    },
    key=("doc_id", "passage_id", "theme"),
)

RECOMMENDATIONS = Table(
    "recommendations",
    "recommendations.parquet",
    {
        "rec_id": STRING,
        "doc_id": STRING,
        "review": STRING,
        "number": STRING,
        "text": STRING,
        "addressees": STRING,
        "themes": STRING,
        "confidence": FLOAT,
        "list": INT,
        "title": STRING,
    },
    key=("rec_id",),
)

LINKS = Table(
    "links",
    "links.parquet",
    {
        "passage_id": STRING,
        "doc_id": STRING,
        "rec_id": STRING,
        "score": FLOAT,
        "method": STRING,
        "status": STRING,
        "evidence": STRING,
    },
    key=("doc_id", "passage_id", "rec_id"),
    # the RAG colour the passage states ("red", "amber", "green" or ""; pipeline.rag);
    # status_cue says "RAG amber, mapped to in_progress" when the status came from it
    optional={"rag": STRING, "status_cue": STRING},
)

CHANGES = Table(
    "changes",
    "changes.parquet",
    {
        "change": STRING,
        "review": STRING,
        "number": STRING,
        "rec_id": STRING,
        "theme": STRING,
        "doc_id": STRING,
        "title": STRING,
        "date": STRING,
        "old": STRING,
        "new": STRING,
        "page": INT,
        "quote": STRING,
        "detail": STRING,
    },
    # rows stay in the order pipeline.changes gives them: the compared_with row first
    key=(),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (DOCUMENTS, PASSAGES, THEMES, RECOMMENDATIONS, LINKS, CHANGES)
}
#: The kinds of change in ``changes.parquet`` (column ``change``), in the order listed.
CHANGE_KINDS = (
    "compared_with",
    "new_document",
    "removed_document",
    "status_changed",
    "first_mention",
    "silent",
    "theme_count",
)

#: The statuses a link may state (``links.status``; ``""`` when none): see
#: :mod:`pipeline.status`. ``not_started`` and ``on_hold`` were added with RAG ratings.
LINK_STATUSES = (
    "accepted",
    "accepted_in_principle",
    "partially_accepted",
    "not_accepted",
    "under_consideration",
    "completed",
    "in_progress",
    "planned",
    "not_started",
    "on_hold",
)
RAG_COLOURS = ("red", "amber", "green")

DOC_STATUSES = ("ok", "error", "empty", "no_text_layer", "duplicate", "unsupported")
DOC_TYPES = ("review", "minutes", "response", "action_plan", "report", "guidance", "other")
PASSAGE_KINDS = (
    "heading",
    "paragraph",
    "bullet",
    "action",
    "recommendation",
    "table",
    "footnote",
    "other",
)


class SchemaError(ValueError):
    """A frame does not satisfy the output contract."""


def conform(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Return ``df`` with the contract columns first, coerced to their dtypes.

    Raises :class:`SchemaError` naming the missing columns. Extra columns are kept
    after the contract columns, sorted by name. Missing values in string
    columns become empty strings, so readers never meet a mix of ``None`` and ``""``.
    """
    missing = [c for c in table.columns if c not in df.columns]
    if missing:
        raise SchemaError(f"{table.filename}: missing columns {missing}")
    # extra columns in name order, so that output bytes do not depend on dict order
    extras = sorted(c for c in df.columns if c not in table.columns)
    out = df[list(table.columns) + extras].copy()
    for col, dtype in table.columns.items():
        if dtype == STRING:
            out[col] = out[col].astype("string").fillna("")
        elif dtype == INT:
            out[col] = pd.to_numeric(out[col], errors="raise").fillna(0).astype(INT)
        elif dtype == FLOAT:
            out[col] = pd.to_numeric(out[col], errors="raise").astype(FLOAT)
        elif dtype == BOOL:
            out[col] = out[col].fillna(False).astype(BOOL)
    for col, dtype in table.optional.items():
        if col in out.columns and dtype == STRING:
            out[col] = out[col].astype("string").fillna("")
        elif col in out.columns and dtype == FLOAT:
            out[col] = pd.to_numeric(out[col], errors="raise").fillna(0.0).astype(FLOAT)
    return out.reset_index(drop=True)

"""An analyst's own ``recommendations.csv`` in the input folder: read, checked, combined
with the recommendations found in the documents."""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from pathlib import Path

import pandas as pd

from pipeline import schema
from pipeline.recnumbers import top_number
from pipeline.tracing.addressees import asks_action, find_addressees

log = logging.getLogger(__name__)

CURATED_FILE = "recommendations.csv"
CURATED_DOC_ID = "curated"
CURATED_COLUMNS = ("review", "number", "text", "addressees", "date")


class RecommendationsFileError(ValueError):
    """The curated recommendations file is malformed; the message names file, line and problem."""


def slugify(text: str) -> str:
    """Lower-case ``text`` with runs of other characters than letters and digits as ``-``."""
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-")


def load_curated(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a curated recommendations CSV (see the module docstring); validate every row.

    Raises :class:`RecommendationsFileError` naming the file, the line and the
    problem: missing or unknown columns, an empty review, number or text, a number
    that is not "7", "8.14" or "4a", a malformed date, a repeated (review, number).
    """
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RecommendationsFileError(f"{path}: cannot be read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise RecommendationsFileError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    reader = csv.DictReader(io.StringIO(content, newline=""))
    cols = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in ("review", "number", "text") if c not in cols]
    if missing:
        raise RecommendationsFileError(
            f"{path}, line 1: missing column(s) {missing}; the header must have "
            f"review, number, text (optional: addressees, date)"
        )
    unknown = [c for c in cols if c not in CURATED_COLUMNS]
    if unknown:
        raise RecommendationsFileError(
            f"{path}, line 1: unknown column(s) {unknown}; allowed: {', '.join(CURATED_COLUMNS)}"
        )
    rows = []
    seen: dict[tuple[str, str], int] = {}
    for raw in reader:
        line = reader.line_num
        if None in raw:
            raise RecommendationsFileError(
                f"{path}, line {line}: more cells than columns (quote text that has commas)"
            )
        row = {k.strip(): re.sub(r"\s+", " ", v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        for col in ("review", "number", "text"):
            if not row.get(col):
                raise RecommendationsFileError(f"{path}, line {line}: empty '{col}'")
        number = row["number"]
        if not re.fullmatch(r"\d{1,3}(?:\.\d{1,3})?[a-z]?|[A-Z]", number):
            raise RecommendationsFileError(
                f"{path}, line {line}: number {number!r} is not like 7, 8.14, 4a or B"
            )
        if row.get("date") and not re.fullmatch(r"\d{4}-\d\d-\d\d", row["date"]):
            raise RecommendationsFileError(
                f"{path}, line {line}: date {row['date']!r} is not yyyy-mm-dd"
            )
        top = top_number(number)
        key = (row["review"].lower(), top)
        if key in seen:
            raise RecommendationsFileError(
                f"{path}, line {line}: {row['review']} recommendation {top} repeats "
                f"line {seen[key]}"
            )
        seen[key] = line
        addressees = [a.strip() for a in (row.get("addressees") or "").split(";") if a.strip()]
        rows.append(
            {
                "rec_id": f"curated#{slugify(row['review'])}#{top}",
                "doc_id": CURATED_DOC_ID,
                "review": row["review"],
                "number": top,
                "text": row["text"],
                "addressees": ";".join(addressees or find_addressees(row["text"])),
                "themes": "",
                "confidence": 1.0,
                "list": 1,
                "list_title": "",
                "numbered": True,
                "title": " ".join(row["text"].split()[:8]),
                "doc_title": row["review"],
                "date": row.get("date") or "",
                "pages": "",
                "passage_ids": "",
                "parts": "",
                "ordinal": len(rows) + 1,
                "asks_action": asks_action(row["text"]),
                "source": f"curated:{path.name}:{line}",
            }
        )
    return pd.DataFrame(rows) if rows else empty_recommendations()


def empty_recommendations() -> pd.DataFrame:
    """An empty recommendations frame with every column the stage writes."""
    df = schema.RECOMMENDATIONS.empty()
    for col in ("doc_title", "date", "pages", "passage_ids", "parts", "source"):
        df[col] = pd.Series([], dtype="string")
    df["ordinal"] = pd.Series([], dtype="int64")
    df["asks_action"] = pd.Series([], dtype="bool")
    return df

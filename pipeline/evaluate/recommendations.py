"""Evaluate extracted recommendations against a gold CSV (``recs_*.csv``).

Each gold row is one top-level recommendation of a report: ``doc`` (file name),
``review``, ``number`` and ``opening`` (its first words). A gold row is found when
the report yields a recommendation with that number whose text contains the
opening (compared after :func:`~pipeline.textnorm.normalize_for_match`; a short
difference at the start, such as a dropped label, is tolerated by fuzzy
containment). Reported per report and overall: gold and predicted counts,
recall (gold found), precision (predictions that are gold), duplicates (numbers
predicted more than once, or two predictions with the same opening) and review
name agreement.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from pipeline import schema, store
from pipeline.evaluate.gold import load_gold
from pipeline.textnorm import normalize_for_match
from pipeline.textsim import containment

GOLD_COLUMNS = ("doc", "review", "number", "opening")
#: How completely the gold opening must be found in the first part of the text.
OPENING_MATCH = 0.9


@dataclass(frozen=True)
class RecScores:
    """Per-report figures (``metrics``, one row per report plus ``all``) and per-item rows."""

    metrics: pd.DataFrame
    items: pd.DataFrame


def _opening_found(opening: str, text: str) -> bool:
    head = text[: max(len(opening) * 3, 400)]
    norm_o, norm_t = normalize_for_match(opening), normalize_for_match(head)
    return bool(norm_o) and (norm_o in norm_t or containment(opening, head) >= OPENING_MATCH)


def evaluate_recommendations(
    gold: pd.DataFrame, recommendations: pd.DataFrame, documents: pd.DataFrame
) -> RecScores:
    """Score ``recommendations`` against ``gold`` (see the module docstring)."""
    name_to_doc: dict[str, str] = {}
    for doc_id, path in zip(documents["doc_id"], documents["path"], strict=True):
        name_to_doc.setdefault(PurePosixPath(str(path)).name, doc_id)
        name_to_doc.setdefault(str(path), doc_id)
    items = []
    metric_rows = []
    totals = {"gold": 0, "predicted": 0, "found": 0, "correct": 0, "duplicates": 0}
    for doc, g in gold.groupby("doc", sort=True):
        doc_id = name_to_doc.get(doc, "")
        pred = (
            recommendations[recommendations["doc_id"] == doc_id] if doc_id else recommendations[:0]
        )
        by_number: dict[str, list[pd.Series]] = {}
        for _, rec in pred.iterrows():
            by_number.setdefault(str(rec["number"]), []).append(rec)
        duplicates = sum(len(v) - 1 for v in by_number.values())
        openings = pred["text"].map(lambda t: normalize_for_match(str(t))[:60])
        duplicates += int(openings.duplicated().sum())
        matched: set[str] = set()
        for row in g.itertuples(index=False):
            recs = by_number.get(str(row.number), [])
            ok = any(_opening_found(row.opening, str(r["text"])) for r in recs)
            if ok:
                matched.add(str(row.number))
            items.append(
                {
                    "doc": doc,
                    "review": row.review,
                    "number": row.number,
                    "found": ok,
                    "predicted_review": recs[0]["review"] if recs else "",
                    "predicted_opening": str(recs[0]["text"])[:80] if recs else "",
                }
            )
        extra = sorted(set(by_number) - set(g["number"].astype(str)))
        for number in extra:
            items.append(
                {
                    "doc": doc,
                    "review": "",
                    "number": number,
                    "found": False,
                    "predicted_review": by_number[number][0]["review"],
                    "predicted_opening": str(by_number[number][0]["text"])[:80],
                }
            )
        reviews = set(pred["review"])
        row = {
            "doc": doc,
            "gold": len(g),
            "predicted": len(pred),
            "found": len(matched),
            "recall": len(matched) / len(g) if len(g) else 0.0,
            "precision": len(matched) / len(pred) if len(pred) else 0.0,
            "duplicates": duplicates,
            "extra_numbers": ";".join(extra),
            "review_agrees": bool(reviews)
            and {normalize_for_match(r) for r in reviews}
            == {normalize_for_match(r) for r in g["review"]},
        }
        metric_rows.append(row)
        for key in ("gold", "predicted", "found", "duplicates"):
            totals[key] += row[key]
    all_row = {
        "doc": "all",
        "gold": totals["gold"],
        "predicted": totals["predicted"],
        "found": totals["found"],
        "recall": totals["found"] / totals["gold"] if totals["gold"] else 0.0,
        "precision": totals["found"] / totals["predicted"] if totals["predicted"] else 0.0,
        "duplicates": totals["duplicates"],
        "extra_numbers": "",
        "review_agrees": all(r["review_agrees"] for r in metric_rows),
    }
    return RecScores(pd.DataFrame([*metric_rows, all_row]), pd.DataFrame(items))


def evaluate_recommendations_folder(
    gold_path: str | os.PathLike[str], output_dir: str | os.PathLike[str]
) -> RecScores:
    """Evaluate the recommendations of a pipeline output folder against a gold file."""
    out = Path(output_dir)
    return evaluate_recommendations(
        load_gold(gold_path, GOLD_COLUMNS),
        store.read_table(schema.RECOMMENDATIONS, out),
        store.read_table(schema.DOCUMENTS, out),
    )

"""Evaluate extracted recommendations against gold CSVs (``recs_*.csv``).

Each gold row is one top-level recommendation of a report: ``doc`` (file name),
``review``, ``number``, ``opening`` (its first words) and optionally ``shape``
(which says "unnumbered" for items printed without a number; their ``number`` is
their position among the document's unnumbered items). A gold row is found by
one prediction of the same document, each prediction matching at most one row:
with the same number and the opening in its text where the gold is numbered, by
the opening alone where it is not (compared after
:func:`~pipeline.textnorm.normalize_for_match`, fuzzy containment tolerating a
short difference). Per report and overall: gold, predicted, ``found``,
``missed``, ``extra`` (predictions matching no gold row), recall, precision,
duplicates (two predictions with the same opening) and review-name agreement.

:func:`leave_one_document_out` measures the learned decision across documents:
for each training document, the model is fitted on every other document and
scored on that one (the whole decision: threshold, merging copies, lists, and the
document-type gate of :func:`pipeline.tracing.recommendations.source_documents`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from pipeline import schema, store
from pipeline.frames import itertuples
from pipeline.gold import load_gold
from pipeline.textnorm import normalize_for_match
from pipeline.tracing.recmodel import document_data, fit_on, gold_is_numbered, opening_found

GOLD_COLUMNS = ("doc", "review", "number", "opening")


@dataclass(frozen=True)
class RecScores:
    """Per-report figures (``metrics``, one row per report plus ``all``) and per-item rows."""

    metrics: pd.DataFrame
    items: pd.DataFrame


def match_document(
    gold: pd.DataFrame, numbers: Sequence[str], texts: Sequence[str]
) -> tuple[list[int], set[int]]:
    """For each gold row, the index of the prediction that finds it (-1: missed); and the
    set of predictions used. Numbered gold first, each prediction used once."""
    numbered = list(gold_is_numbered(gold))
    found = [-1] * len(gold)
    used: set[int] = set()
    order = sorted(range(len(gold)), key=lambda i: not numbered[i])
    rows = list(itertuples(gold, index=False))
    for gi in order:
        row = rows[gi]
        for pi, (num, text) in enumerate(zip(numbers, texts, strict=True)):
            if pi in used:
                continue
            if numbered[gi] and str(num) != str(row.number):
                continue
            if opening_found(str(row.opening), str(text)):
                found[gi] = pi
                used.add(pi)
                break
    return found, used


def evaluate_recommendations(
    gold: pd.DataFrame, recommendations: pd.DataFrame, documents: pd.DataFrame
) -> RecScores:
    """Score ``recommendations`` against ``gold`` (see the module docstring)."""
    name_to_doc: dict[str, str] = {}
    for doc_id, path in zip(documents["doc_id"], documents["path"], strict=True):
        name_to_doc.setdefault(PurePosixPath(str(path)).name, doc_id)
        name_to_doc.setdefault(str(path), doc_id)
    items: list[dict[str, object]] = []
    metric_rows = []
    for doc, g in gold.groupby("doc", sort=True):
        doc_id = name_to_doc.get(str(doc), "")
        pred = (
            recommendations[recommendations["doc_id"] == doc_id] if doc_id else recommendations[:0]
        )
        numbers = [str(n) for n in pred["number"]]
        texts = [str(t) for t in pred["text"]]
        found, used = match_document(g, numbers, texts)
        for (_, row), pi in zip(g.iterrows(), found, strict=True):
            items.append(
                {
                    "doc": doc,
                    "review": row["review"],
                    "number": row["number"],
                    "found": pi >= 0,
                    "predicted_review": pred["review"].iloc[pi] if pi >= 0 else "",
                    "predicted_opening": texts[pi][:80] if pi >= 0 else "",
                }
            )
        extra = [i for i in range(len(pred)) if i not in used]
        for pi in extra:
            items.append(
                {
                    "doc": doc,
                    "review": "",
                    "number": numbers[pi],
                    "found": False,
                    "predicted_review": pred["review"].iloc[pi],
                    "predicted_opening": texts[pi][:80],
                }
            )
        openings = pd.Series([normalize_for_match(t)[:60] for t in texts], dtype=str)
        reviews = set(pred["review"])
        metric_rows.append(
            _metric_row(
                str(doc),
                len(g),
                len(pred),
                len(used),
                int(openings.duplicated().sum()),
                ";".join(numbers[i] for i in extra),
                bool(reviews)
                and {normalize_for_match(r) for r in reviews}
                == {normalize_for_match(r) for r in g["review"]},
            )
        )
    return RecScores(_with_total(metric_rows), pd.DataFrame(items))


def _metric_row(
    doc: str, gold: int, predicted: int, found: int, duplicates: int, extra: str, agrees: bool
) -> dict[str, object]:
    return {
        "doc": doc,
        "gold": gold,
        "predicted": predicted,
        "found": found,
        "missed": gold - found,
        "extra": predicted - found,
        "recall": found / gold if gold else 0.0,
        "precision": found / predicted if predicted else (1.0 if not gold else 0.0),
        "duplicates": duplicates,
        "extra_numbers": extra,
        "review_agrees": agrees,
    }


def _with_total(rows: list[dict[str, object]]) -> pd.DataFrame:
    total = {k: sum(int(r[k]) for r in rows) for k in ("gold", "predicted", "found", "duplicates")}  # type: ignore[call-overload]
    all_row = _metric_row(
        "all",
        total["gold"],
        total["predicted"],
        total["found"],
        total["duplicates"],
        "",
        all(bool(r["review_agrees"]) for r in rows),
    )
    return pd.DataFrame([*rows, all_row])


def load_recs_gold(paths: Sequence[str | os.PathLike[str]]) -> pd.DataFrame:
    """Several ``recs_*.csv`` files as one frame (``shape`` empty where a file has none)."""
    frames = [load_gold(p, GOLD_COLUMNS) for p in paths]
    gold = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=GOLD_COLUMNS)
    if "shape" not in gold.columns:
        gold["shape"] = ""
    gold["shape"] = gold["shape"].fillna("")
    return gold


def evaluate_recommendations_folder(
    gold_path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
) -> RecScores:
    """Evaluate the recommendations of a pipeline output folder against gold file(s)."""
    out = Path(output_dir)
    paths = [gold_path] if isinstance(gold_path, (str, os.PathLike)) else list(gold_path)
    return evaluate_recommendations(
        load_recs_gold(paths),
        store.read_table(schema.RECOMMENDATIONS, out),
        store.read_table(schema.DOCUMENTS, out),
    )


def leave_one_document_out(
    passages: pd.DataFrame, documents: pd.DataFrame, gold: pd.DataFrame, *, emphasis: bool = False
) -> RecScores:
    """The leave-one-document-out figure of the recommendation model (module docstring).

    Every training document (gold documents and documents that make none) is held
    out in turn; documents without gold are scored against an empty gold list, so
    everything found there is ``extra``. ``emphasis`` adds the typographic features
    (:data:`pipeline.tracing.candidates.EMPHASIS_FEATURES`, an experiment).
    """
    from pipeline.tracing.recommendations import MIN_PER_DOCUMENT, decide, source_documents

    docs = document_data(passages, documents, gold, emphasis=emphasis)
    sources = set(source_documents(documents)["doc_id"])
    by_doc = dict(zip(documents["doc_id"], documents["path"], strict=True))
    pred_rows = []
    for held in docs:
        model = fit_on([d for d in docs if d.doc_id != held.doc_id], source="lodo")
        items = decide(held.candidates, model.predict(held.x))
        if held.doc_id not in sources or len(items) < MIN_PER_DOCUMENT:
            items = []
        pred_rows.extend(
            {"doc_id": held.doc_id, "number": it.number, "text": it.full_text, "review": ""}
            for it in items
        )
    preds = pd.DataFrame(pred_rows, columns=["doc_id", "number", "text", "review"])
    names = {d.doc_id: PurePosixPath(str(by_doc[d.doc_id])).name for d in docs}
    scored = gold[gold["doc"].isin(set(names.values()))]
    scores = evaluate_recommendations(scored.assign(review=""), preds, documents)
    metrics = scores.metrics[scores.metrics["doc"] != "all"].to_dict("records")
    gold_docs = set(scored["doc"])
    for d in docs:
        if names[d.doc_id] in gold_docs:
            continue
        n = int((preds["doc_id"] == d.doc_id).sum())
        metrics.append(_metric_row(names[d.doc_id], 0, n, 0, 0, "", True))
    metrics.sort(key=lambda r: str(r["doc"]))
    return RecScores(_with_total(metrics), scores.items)

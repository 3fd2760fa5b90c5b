"""Evaluate links against a gold CSV (``links_*.csv``, see DESIGN.md "Gold data format").

Each gold row names a passage (document, quote, page), the review, the
recommendation numbers it reports on (empty: none) and the status it states for
each number. A link is compared as (review, number):

* link precision and recall: micro-averaged over gold passages, every predicted
  link of a gold passage is a prediction (a link to another review is wrong);
* top-1 accuracy: over gold passages that have at least one number, whether the
  passage's strongest link (``rank`` 1, else the highest score) is one of them;
* status accuracy: over (passage, number) pairs whose gold status is stated,
  whether the link to that number carries that status (no link counts as wrong);
* none accuracy: over gold passages with no number, whether nothing is linked.

Each figure comes with a 95% percentile bootstrap interval over its own units
(gold passages; passages with a number; stated statuses; passages with none).

Gold quotes that match no passage are counted as unlinked (recall and top-1
suffer) and reported in ``unlocated``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import schema, store
from pipeline.frames import itertuples
from pipeline.gold import load_gold, locate_quotes
from pipeline.metrics import bootstrap_interval, set_counts
from pipeline.textnorm import normalize_for_match

GOLD_COLUMNS = ("doc", "quote", "review", "numbers", "status")


@dataclass(frozen=True)
class LinkScores:
    """The figures of one evaluation, with the per-item table behind them."""

    metrics: pd.DataFrame  # metric, value, ci_low, ci_high, n
    items: pd.DataFrame  # one row per gold item: gold and predicted numbers and statuses

    def value(self, metric: str) -> float:
        """One metric's value."""
        return float(self.metrics.set_index("metric").loc[metric, "value"])


def _key(review: str, number: str) -> str:
    return f"{normalize_for_match(review)}#{number.strip()}"


def evaluate_links(
    gold: pd.DataFrame,
    links: pd.DataFrame,
    passages: pd.DataFrame,
    documents: pd.DataFrame,
) -> LinkScores:
    """Score ``links`` against ``gold`` (see the module docstring)."""
    gold = gold.copy()
    if "page" not in gold.columns:
        gold["page"] = ""
    located = locate_quotes(gold, passages, documents)
    by_passage: dict[str, pd.DataFrame] = {pid: g for pid, g in links.groupby("passage_id")}
    rows = []
    for g, loc in zip(itertuples(gold, index=False), located, strict=True):
        numbers = [n.strip() for n in str(g.numbers).split(";") if n.strip()]
        statuses = [s.strip() for s in str(g.status).split(";")] if str(g.status).strip() else []
        statuses += [""] * (len(numbers) - len(statuses))
        gold_set = {_key(g.review, n) for n in numbers}
        pl = by_passage.get(loc.passage_id, links.iloc[0:0]) if loc.passage_id else links.iloc[0:0]
        if "rank" in pl.columns:
            pl = pl.sort_values(["rank", "score"], ascending=[True, False])
        else:
            pl = pl.sort_values("score", ascending=False)
        pred = [_key(r, n) for r, n in zip(pl["review"], pl["number"], strict=True)]
        pred_status = dict(zip(pred, pl["status"], strict=True))
        rows.append(
            {
                "doc": g.doc,
                "quote": g.quote,
                "passage_id": loc.passage_id,
                "gold": ";".join(numbers),
                "predicted": ";".join(pl["number"]),
                "gold_status": ";".join(statuses),
                "predicted_status": ";".join(pl["status"]),
                "top1_correct": bool(pred) and pred[0] in gold_set if gold_set else None,
                "status_pairs": [
                    (s, pred_status.get(_key(g.review, n), ""))
                    for n, s in zip(numbers, statuses, strict=True)
                    if s
                ],
                "_gold": gold_set,
                "_pred": set(pred),
            }
        )
    items = pd.DataFrame(rows)
    gold_sets = list(items["_gold"]) if len(items) else []
    pred_sets = list(items["_pred"]) if len(items) else []
    n = len(items)

    def counts(idx: np.ndarray):
        return set_counts([gold_sets[i] for i in idx], [pred_sets[i] for i in idx])

    all_idx = np.arange(n)
    score = counts(all_idx)
    with_gold = np.array([i for i in range(n) if gold_sets[i]], dtype=int)
    without = np.array([i for i in range(n) if not gold_sets[i]], dtype=int)
    pairs = [(i, p) for i in range(n) for p in items["status_pairs"].iloc[i]]

    top1_hits = [bool(items["top1_correct"].iloc[i]) for i in with_gold]
    none_hits = [not pred_sets[i] for i in without]
    status_hits = [g == p for _, (g, p) in pairs]

    def mean_of(values: list[bool]):
        return lambda idx: float(np.mean([values[i] for i in idx])) if len(idx) else 0.0

    stats = {
        # name: (statistic over resampled unit indices, number of units, value)
        "link_precision": (lambda idx: counts(idx).precision, n, score.precision),
        "link_recall": (lambda idx: counts(idx).recall, n, score.recall),
        "link_f1": (lambda idx: counts(idx).f1, n, score.f1),
        "top1_accuracy": (mean_of(top1_hits), len(top1_hits), _mean(top1_hits)),
        "status_accuracy": (mean_of(status_hits), len(status_hits), _mean(status_hits)),
        "none_accuracy": (mean_of(none_hits), len(none_hits), _mean(none_hits)),
    }
    metric_rows = []
    for name, (fn, count, value) in stats.items():
        low, high = bootstrap_interval(count, fn) if count else (float("nan"), float("nan"))
        metric_rows.append(
            {"metric": name, "value": value, "ci_low": low, "ci_high": high, "n": count}
        )
    metric_rows.append(
        {
            "metric": "unlocated",
            "value": float(sum(1 for loc in located if not loc.passage_id)),
            "ci_low": float("nan"),
            "ci_high": float("nan"),
            "n": n,
        }
    )
    items = items.drop(columns=["_gold", "_pred"])
    items["status_pairs"] = items["status_pairs"].map(
        lambda ps: ";".join(f"{g}->{p or '-'}" for g, p in ps)
    )
    return LinkScores(pd.DataFrame(metric_rows), items)


def _mean(values: list[bool]) -> float:
    return float(np.mean(values)) if values else 0.0


def evaluate_links_folder(
    gold_path: str | os.PathLike[str], output_dir: str | os.PathLike[str]
) -> LinkScores:
    """Evaluate the links of a pipeline output folder against a gold file."""
    out = Path(output_dir)
    gold = load_gold(gold_path, GOLD_COLUMNS)
    return evaluate_links(
        gold,
        store.read_table(schema.LINKS, out),
        store.read_table(schema.PASSAGES, out),
        store.read_table(schema.DOCUMENTS, out),
    )


def write_scores(scores: LinkScores, folder: str | os.PathLike[str], *, stem: str) -> list[Path]:
    """Write ``<stem>_metrics.csv`` and ``<stem>_items.csv`` into ``folder``."""
    folder = Path(folder)
    return [
        store.write_csv(scores.metrics, folder / f"{stem}_metrics.csv"),
        store.write_csv(scores.items, folder / f"{stem}_items.csv"),
    ]

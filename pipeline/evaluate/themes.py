"""Theme evaluation against gold labels: rules alone, model alone, rules + model.

Each gold row is an item: its document, its quote (found in a passage with
:func:`pipeline.gold.locate_quotes`) and its set of themes. A system's
prediction for the item is the set of themes it gives that passage; an item whose
quote is found nowhere is predicted empty (and reported).

- **rules**: the rule tagger, which learns nothing from labels.
- **model**: the statistical model (which reads the rule matches as features)
  under leave-one-document-out: each item is predicted by a model trained without
  any passage of its document (gold, other label files, reviewed and weak labels of
  that document all left out), at per-theme thresholds chosen by an inner
  leave-one-document-out on the training documents alone. This is the honest
  figure for documents the model has never seen, and a pessimistic one for the
  final model, trained on all.
- **combined**: rules and model as tagging combines them: for a theme the model
  decides, a rule tag stays unless the model's probability is below the theme's
  ``keep`` threshold, and the model adds a tag at its ``add`` threshold unless the
  rules' context vetoes it; other themes are the rules'.

Scores are per theme (precision, recall, F1, with support), micro (pooled counts)
and macro (mean F1 over the themes the gold uses), each with a percentile
bootstrap 95% interval over items. Themes scored: the codebook's core themes plus
any theme the gold file uses; predictions of other themes are outside the gold's
scheme and not counted.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline import store
from pipeline.config import ThemeOptions
from pipeline.gold import load_gold, locate_quotes
from pipeline.metrics import bootstrap_intervals
from pipeline.themes.labels import GOLD_COLUMNS, check_theme_ids, read_reviews

log = logging.getLogger(__name__)

SYSTEMS = ("rules", "model", "combined")
TABLE_COLUMNS = [
    "system",
    "theme",
    "support",
    "tp",
    "fp",
    "fn",
    "precision",
    "precision_low",
    "precision_high",
    "recall",
    "recall_low",
    "recall_high",
    "f1",
    "f1_low",
    "f1_high",
]


@dataclass
class ThemeEvaluation:
    """The scores table, the per-item predictions, and notes on what was done."""

    table: pd.DataFrame
    items: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def score(self, system: str, theme: str = "micro") -> pd.Series:
        """One row of the table."""
        rows = self.table[(self.table["system"] == system) & (self.table["theme"] == theme)]
        if rows.empty:
            raise KeyError(f"no row for {system}/{theme}")
        return rows.iloc[0]


def evaluate_themes(
    output_dir: str | os.PathLike[str],
    gold_path: str | os.PathLike[str],
    *,
    options: ThemeOptions | None = None,
    label_paths: Sequence[str | os.PathLike[str]] = (),
    reviews_path: str | os.PathLike[str] | None = None,
    systems: Sequence[str] = SYSTEMS,
    weak: bool = False,
    max_weak: int | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
) -> ThemeEvaluation:
    """Evaluate the theme tagger on ``gold_path`` over the passages of ``output_dir``.

    ``label_paths`` (gold-format files or folders) and ``reviews_path`` add training
    data for the model's cross-validation; the gold file itself is always part of it
    (its other documents' items train each fold).
    """
    results = evaluate_label_sets(
        output_dir,
        [gold_path],
        options=options,
        label_paths=label_paths,
        reviews_path=reviews_path,
        systems=systems,
        weak=weak,
        max_weak=max_weak,
        n_resamples=n_resamples,
        seed=seed,
        pooled=False,
    )
    return results[Path(gold_path).stem]


#: The name of the evaluation of every label set together.
POOLED = "all"


def evaluate_label_sets(
    output_dir: str | os.PathLike[str],
    gold_paths: Sequence[str | os.PathLike[str]],
    *,
    options: ThemeOptions | None = None,
    label_paths: Sequence[str | os.PathLike[str]] = (),
    reviews_path: str | os.PathLike[str] | None = None,
    systems: Sequence[str] = SYSTEMS,
    weak: bool = False,
    max_weak: int | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    pooled: bool = True,
) -> dict[str, ThemeEvaluation]:
    """Evaluate the theme tagger on each gold file of ``gold_paths`` (and, with
    ``pooled``, on all of them together as :data:`POOLED`), by file stem.

    The pooled evaluation scores the codebook's core themes only (the scheme every
    label set shares; some sets also label further themes). The model is
    cross-validated once, leaving one document out: every labelled
    passage of every file (``gold_paths`` and ``label_paths``) is predicted by a
    model trained on the labelled passages of the other documents only, with its
    per-theme thresholds chosen by an inner cross-validation on those documents.
    """
    from pipeline.themes.labels import gold_files, rule_blind_sources
    from pipeline.themes.tagger import Tagger
    from pipeline.themes.training import (
        Corpus,
        collect_training_data,
        grouped_cross_validation,
        rules_only,
    )

    options = options or ThemeOptions()
    output_dir = Path(output_dir)
    gold_paths = [Path(g) for g in gold_paths]
    tagger = Tagger.from_options(rules_only(options))
    book = tagger.codebook
    corpus = Corpus.from_output(output_dir, tagger=tagger)
    golds: dict[str, tuple[pd.DataFrame, list[str], list[set[str]]]] = {}
    for path in gold_paths:
        gold = load_gold(path, GOLD_COLUMNS)
        check_theme_ids(gold, path, set(book.ids))
        located = locate_quotes(gold, corpus.passages, corpus.documents)
        pids = [loc.passage_id for loc in located]
        sets = [{t.strip() for t in s.split(";") if t.strip()} for s in gold["themes"]]
        golds[path.stem] = (gold, pids, sets)
    cv = None
    cv_note = ""
    if "model" in systems or "combined" in systems:
        resolved = {g.resolve() for g in gold_paths}
        files = [*gold_paths, *[f for f in gold_files(label_paths) if f.resolve() not in resolved]]
        data = collect_training_data(
            corpus,
            gold_files=files,
            reviews=read_reviews(reviews_path),
            known_themes=book.ids,
            weak=weak,
            max_weak=max_weak,
            seed=seed,
        )
        wanted = sorted({p for _, pids, _ in golds.values() for p in pids if p})
        blind = rule_blind_sources([*label_paths, *gold_paths])
        cv = grouped_cross_validation(
            data,
            eval_pids=wanted,
            themes=book.ids,
            blind_sources=blind,
            domains=corpus.domains(),
            seed=seed,
        )
        cv_note = (
            f"model: leave one document out ({len(cv.folds)} folds: "
            + "; ".join("+".join(f) for f in cv.folds)
            + "); per-theme thresholds, and whether the model or the rules decide each "
            "theme in documents about children and in others, by inner "
            "leave-one-document-out on each fold's training documents "
            f"(rule-blind sets: {', '.join(sorted(blind)) or 'none'}); training sources "
            + ", ".join(f"{k} {v}" for k, v in data.source_counts().items())
        )
    names = list(golds)
    if pooled and len(golds) > 1:
        golds[POOLED] = (
            pd.concat([golds[n][0] for n in names], ignore_index=True),
            [p for n in names for p in golds[n][1]],
            [s for n in names for s in golds[n][2]],
        )
    out: dict[str, ThemeEvaluation] = {}
    for name, (gold, pids, gold_sets) in golds.items():
        out[name] = _evaluate_set(
            corpus,
            book,
            gold,
            pids,
            gold_sets,
            cv,
            cv_note,
            systems,
            n_resamples,
            seed,
            core_only=name == POOLED,
        )
    return out


def _evaluate_set(
    corpus: Any,
    book: Any,
    gold: pd.DataFrame,
    pids: list[str],
    gold_sets: list[set[str]],
    cv: Any,
    cv_note: str,
    systems: Sequence[str],
    n_resamples: int,
    seed: int,
    core_only: bool = False,
) -> ThemeEvaluation:
    scope = list(dict.fromkeys([*book.core_ids, *sorted(set().union(*gold_sets))]))
    if core_only and book.core_ids:  # label sets that differ beyond the core: the core
        scope = list(book.core_ids)
    if not book.core_ids:
        scope = list(dict.fromkeys([*book.ids]))
    notes = [f"{len(gold)} gold items; themes scored: {', '.join(scope)}"]
    missing = sum(1 for p in pids if not p)
    if missing:
        notes.append(f"{missing} gold quotes not found in the passages (predicted empty)")
    preds: dict[str, list[set[str]]] = {}
    preds["rules"] = [set(corpus.rule_themes.get(p, ())) for p in pids]
    if cv is not None:
        preds["model"] = [cv.predicted(p) if p else set() for p in pids]
        preds["combined"] = [
            cv.combined(p, set(corpus.rule_themes.get(p, ())), corpus.vetoes.get(p, ()))
            if p
            else set()
            for p in pids
        ]
        notes.append(cv_note)
    table = score_table(
        gold_sets,
        {s: preds[s] for s in systems if s in preds},
        scope,
        n_resamples=n_resamples,
        seed=seed,
    )
    items = pd.DataFrame(
        {
            "doc": gold["doc"],
            "quote": gold["quote"],
            "page": gold["page"],
            "passage_id": pids,
            "gold": [";".join(sorted(g & set(scope))) for g in gold_sets],
            **{
                s: [";".join(sorted(p & set(scope))) for p in preds[s]]
                for s in systems
                if s in preds
            },
        }
    )
    return ThemeEvaluation(table=table, items=items, notes=notes)


def score_table(
    gold: Sequence[set[str]],
    systems: dict[str, Sequence[set[str]]],
    themes: Sequence[str],
    *,
    n_resamples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Per-theme, micro and macro P/R/F1 with bootstrap intervals, for each system."""
    k = len(themes)
    G = np.array([[t in g for t in themes] for g in gold], dtype=bool).reshape(len(gold), k)
    support = G.sum(axis=0)
    used = support > 0
    rows = []
    for system, pred in systems.items():
        P = np.array([[t in p for t in themes] for p in pred], dtype=bool).reshape(len(pred), k)
        tp, fp, fn = (G & P).astype(int), (~G & P).astype(int), (G & ~P).astype(int)

        def stats(idx: np.ndarray, tp=tp, fp=fp, fn=fn) -> np.ndarray:
            return _scores(tp[idx].sum(0), fp[idx].sum(0), fn[idx].sum(0), used)

        point = stats(np.arange(len(gold)))
        low, high = bootstrap_intervals(len(gold), stats, n_resamples=n_resamples, seed=seed)
        counts = np.vstack([tp.sum(0), fp.sum(0), fn.sum(0)])
        names = [*themes, "micro", "macro"]
        for j, name in enumerate(names):
            if j < k:
                c = counts[:, j]
                sup = int(support[j])
            elif name == "micro":
                c = counts.sum(axis=1)
                sup = int(support.sum())
            else:
                c = counts[:, used].sum(axis=1)
                sup = int(support.sum())
            row = {
                "system": system,
                "theme": name,
                "support": sup,
                "tp": int(c[0]),
                "fp": int(c[1]),
                "fn": int(c[2]),
            }
            for m, metric in enumerate(("precision", "recall", "f1")):
                row[metric] = point[j, m]
                row[f"{metric}_low"] = low[j, m]
                row[f"{metric}_high"] = high[j, m]
            rows.append(row)
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    for col in TABLE_COLUMNS[6:]:
        table[col] = table[col].astype(float).round(4)
    return table


def _scores(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, used: np.ndarray) -> np.ndarray:
    """``(k + 2, 3)`` precision, recall, F1 per theme, then micro, then macro.

    A per-theme score with nothing to count (no gold, no prediction) is NaN; macro
    averages the precision, recall and F1 of the themes the gold uses.
    """
    with np.errstate(all="ignore"):
        p = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        r = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
        empty = tp + fp + fn == 0
        per = np.column_stack([p, r, f]).astype(float)
        per[empty] = np.nan
        TP, FP, FN = tp.sum(), fp.sum(), fn.sum()
        mp = TP / (TP + FP) if TP + FP else 0.0
        mr = TP / (TP + FN) if TP + FN else 0.0
        mf = 2 * mp * mr / (mp + mr) if mp + mr else 0.0
        macro = np.nanmean(per[used], axis=0) if used.any() else np.full(3, np.nan)
    return np.vstack([per, [mp, mr, mf], macro])


def write_evaluation(result: ThemeEvaluation, folder: str | os.PathLike[str], stem: str) -> Path:
    """Write ``<stem>.csv`` (the scores) and ``<stem>_items.csv`` (predictions) to ``folder``."""
    folder = Path(folder)
    path = store.write_csv(result.table, folder / f"{stem}.csv")
    store.write_csv(result.items, folder / f"{stem}_items.csv")
    return path


def format_table(table: pd.DataFrame) -> str:
    """A plain-text table: one line per theme, P/R/F1 with intervals for each system."""
    systems = list(dict.fromkeys(table["system"]))
    themes = list(dict.fromkeys(table["theme"]))
    head = f"{'theme':20s} {'n':>4s}  " + "  ".join(
        f"{s + ' P / R / F1 [F1 95% CI]':>37s}" for s in systems
    )
    lines = [head, "-" * len(head)]
    for theme in themes:
        sub = table[table["theme"] == theme].set_index("system")
        n = int(sub["support"].iloc[0])
        cells = []
        for s in systems:
            r = sub.loc[s]
            if np.isnan(r["f1"]):
                cells.append(f"{'-':>37s}")
                continue
            cells.append(
                f"{r['precision']:.2f} / {r['recall']:.2f} / {r['f1']:.2f} "
                f"[{r['f1_low']:.2f}-{r['f1_high']:.2f}]".rjust(37)
            )
        lines.append(f"{theme:20s} {n:4d}  " + "  ".join(cells))
    return "\n".join(lines)


def document_table(
    result: ThemeEvaluation, *, n_resamples: int = 300, seed: int = 0
) -> pd.DataFrame:
    """Micro precision, recall and F1 of each system on each document's items (with
    bootstrap intervals over that document's items): under leave-one-document-out
    each row is a model that never saw the document."""
    items = result.items
    systems = [s for s in SYSTEMS if s in items.columns]
    rows = []
    for doc, sub in items.groupby("doc", sort=True):
        gold = [set(filter(None, str(g).split(";"))) for g in sub["gold"].fillna("")]
        preds = {
            s: [set(filter(None, str(p).split(";"))) for p in sub[s].fillna("")] for s in systems
        }
        scope = sorted(set().union(*gold, *[x for s in systems for x in preds[s]]))
        table = score_table(gold, preds, scope, n_resamples=n_resamples, seed=seed)
        micro = table[table["theme"] == "micro"].set_index("system")
        row: dict[str, Any] = {"doc": doc, "items": len(sub), "labels": sum(map(len, gold))}
        for s in systems:
            for col in ("precision", "recall", "f1", "f1_low", "f1_high"):
                row[f"{s}_{col}"] = float(micro.loc[s, col]) if s in micro.index else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def format_document_table(table: pd.DataFrame) -> str:
    """One line per document: micro F1 [95% CI] of each system."""
    systems = [s for s in SYSTEMS if f"{s}_f1" in table.columns]
    head = f"{'document':48s} {'items':>5s} {'labels':>6s}  " + "  ".join(
        f"{s + ' F1 [95% CI]':>22s}" for s in systems
    )
    lines = [head, "-" * len(head)]
    for _, r in table.iterrows():
        cells = [
            f"{r[f'{s}_f1']:.2f} [{r[f'{s}_f1_low']:.2f}-{r[f'{s}_f1_high']:.2f}]".rjust(22)
            for s in systems
        ]
        lines.append(
            f"{str(r['doc'])[:48]:48s} {r['items']:5d} {r['labels']:6d}  " + "  ".join(cells)
        )
    return "\n".join(lines)

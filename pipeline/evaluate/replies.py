"""Evaluate replies and stances against the per-recommendation status keys.

For each ``status_keys/<name>.csv`` (``number``, ``status`` accept / partial /
reject) the response it keys is the corpus document of type ``response`` whose file
name contains the key's name (``behaviour_change`` -> ``Behaviour-Change-Response.pdf``).
Each key row is matched to the reply that answers it:

* where the response's review has recommendations in the run, the key's number is
  the report's; where a ``recs_*.csv`` of that report has a ``response_number``
  column, the key is numbered as the response numbers them and is read through it
  (Space Economy: response 1 = report paragraph 4);
* where the review has no recommendations in the run (its report is not in the
  corpus), the key's number is the number the response prints on its reply.

Figures per pair: ``linked`` (key rows that have a reply mapped to them),
``link_precision`` (of the reply -> recommendation mappings whose gold is known
from the ``recs_*.csv`` openings the reply restates, the share that are right),
``stance_accuracy`` (the stance the run gives each key row, no reply = wrong) of
the shipped model and of the rule reading, and the leave-one-document-out accuracy
(:func:`lodo`: the model fitted on the other responses' keys only).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from pipeline import schema, store
from pipeline.frames import itertuples
from pipeline.gold import load_gold
from pipeline.metrics import bootstrap_interval
from pipeline.textnorm import normalize_for_match
from pipeline.tracing.replies import map_replies, restated_ids, review_order, segment_replies
from pipeline.tracing.stance import (
    STANCE_OF_STATUS,
    StanceModel,
    decide,
    opening_decision,
    reply_features,
    rule_stance,
)


@dataclass
class Run:
    """The stage outputs an evaluation reads."""

    documents: pd.DataFrame
    passages: pd.DataFrame
    links: pd.DataFrame
    recommendations: pd.DataFrame

    @classmethod
    def read(cls, output_dir: str | os.PathLike[str]) -> Run:
        """Read a pipeline output folder."""
        out = Path(output_dir)
        return cls(
            store.read_table(schema.DOCUMENTS, out),
            store.read_table(schema.PASSAGES, out),
            store.read_table(schema.LINKS, out),
            store.read_table(schema.RECOMMENDATIONS, out),
        )


def _squash(text: str) -> str:
    return "".join(ch for ch in normalize_for_match(text) if ch.isalnum())


def response_for_key(key_name: str, documents: pd.DataFrame) -> str:
    """The ``doc_id`` of the response a key file names, or ``""``."""
    want = _squash(key_name.replace("_", " "))
    ok = documents[documents["status"] == "ok"]
    hits = [
        (str(t) != "response", d)
        for d, p, t in zip(ok["doc_id"], ok["path"], ok["doc_type"], strict=True)
        if want and want in _squash(PurePosixPath(str(p)).stem)
    ]
    return sorted(hits)[0][1] if hits else ""


def keyed_rows(labels_dir: str | os.PathLike[str], run: Run) -> pd.DataFrame:
    """One row per key row of every status key: its reply (text, ask, pages), the
    recommendation the key means and whether a reply is mapped to it."""
    labels = Path(labels_dir)
    recs_gold = _recs_gold(labels)
    rows = []
    for key_path in sorted((labels / "status_keys").glob("*.csv")):
        key = load_gold(key_path, ("number", "status"))
        doc_id = response_for_key(key_path.stem, run.documents)
        if not doc_id:
            continue
        doc_passages = run.passages[run.passages["doc_id"] == doc_id]
        doc_links = run.links[run.links["doc_id"] == doc_id]
        replies = segment_replies(doc_passages, restated=restated_ids(doc_links))
        review = doc_links["review"].mode().iloc[0] if len(doc_links) else ""
        recs = run.recommendations[run.recommendations["review"] == review]
        number_of = dict(zip(recs["rec_id"], recs["number"].astype(str), strict=True))
        text_of = dict(zip(recs["rec_id"], recs["text"].astype(str), strict=True))
        mapping = map_replies(replies, doc_links, order=review_order(recs, doc_links))
        source_files = _source_files(recs, run.documents)
        gold = recs_gold[recs_gold["doc"].isin(source_files)] if len(recs_gold) else recs_gold
        via = {}
        if "response_number" in gold.columns:
            via = {
                str(r): str(n)
                for r, n in zip(gold["response_number"], gold["number"], strict=True)
                if str(r).strip()
            }
        for k in itertuples(key, index=False):
            number = str(k.number).strip()
            target = via.get(number, number) if len(recs) else number
            found, ask = None, ""
            for idx, r in enumerate(replies):
                if len(recs):
                    hit = [rid for rid in mapping[idx] if number_of.get(rid) == target]
                    if hit:
                        found, ask = idx, text_of[hit[0]]
                        break
                elif r.number == target:
                    found, ask = idx, r.ask_text
                    break
            r = replies[found] if found is not None else None
            label = str(getattr(k, "label_sentence", "") or "")
            rows.append(
                {
                    "opens_with_label": (
                        bool(r) and _squash(r.answer_text).startswith(_squash(label))
                        if label
                        else None
                    ),
                    "key": key_path.stem,
                    "doc_id": doc_id,
                    "number": number,
                    "report_number": target if len(recs) else "",
                    "gold": str(k.status).strip(),
                    "linked": r is not None,
                    "reply_number": r.number if r else "",
                    "page": r.page if r else 0,
                    "answer": r.answer_text if r else "",
                    "ask": ask,
                }
            )
    return pd.DataFrame(rows)


def _source_files(recs: pd.DataFrame, documents: pd.DataFrame) -> set[str]:
    paths = dict(zip(documents["doc_id"], documents["path"], strict=True))
    return {PurePosixPath(str(paths.get(d, ""))).name for d in recs["doc_id"].unique()}


def _recs_gold(labels: Path) -> pd.DataFrame:
    frames = []
    for path in sorted(labels.glob("recs_*.csv")):
        df = load_gold(path, ("doc", "number", "opening"))
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def link_precision(labels_dir: str | os.PathLike[str], run: Run, doc_id: str) -> tuple[int, int]:
    """(right, judged) reply -> recommendation mappings of one response: a mapping is
    judged where the reply's asks contain the opening of a recommendation of the
    report's ``recs_*.csv`` and the recommendation it names has an opening that some
    reply restates; it is right where it names one of the openings its asks contain."""
    recs_gold = _recs_gold(Path(labels_dir))
    doc_links = run.links[run.links["doc_id"] == doc_id]
    if doc_links.empty or recs_gold.empty:
        return 0, 0
    review = doc_links["review"].mode().iloc[0]
    recs = run.recommendations[run.recommendations["review"] == review]
    number_of = dict(zip(recs["rec_id"], recs["number"].astype(str), strict=True))
    gold = recs_gold[recs_gold["doc"].isin(_source_files(recs, run.documents))]
    openings = [(_squash(o), str(n)) for o, n in zip(gold["opening"], gold["number"], strict=True)]
    replies = segment_replies(
        run.passages[run.passages["doc_id"] == doc_id], restated=restated_ids(doc_links)
    )
    asks = [_squash(r.ask_text) for r in replies]
    # numbers whose recorded opening some reply restates (the others cannot be judged)
    findable = {n for o, n in openings if o and any(o in a for a in asks)}
    right = judged = 0
    for idx, rids in map_replies(replies, doc_links, order=review_order(recs, doc_links)).items():
        want = {n for o, n in openings if o and o in asks[idx]}
        if not want:
            continue
        for rid in rids:
            if number_of.get(rid) not in findable:
                continue
            judged += 1
            right += number_of.get(rid) in want
    return right, judged


#: The regularisation strengths tried; the one chosen is picked by leave-one-response-out
#: inside the training responses.
C_GRID = (0.03, 0.1, 0.3, 1.0)


def _training_rows(rows: pd.DataFrame) -> tuple[list[dict], list[str], list[str]]:
    """Features, stances and keys of the rows the model decides: replies with text and
    a keyed stance whose first sentence states no decision (:func:`opening_decision`)."""
    if rows.empty:
        return [], [], []
    use = rows[rows["linked"] & rows["gold"].isin(["accept", "partial", "reject"])]
    use = use[[not opening_decision(a) and bool(str(a).strip()) for a in use["answer"]]]
    feats = [reply_features(a, q) for a, q in zip(use["answer"], use["ask"], strict=True)]
    return feats, list(use["gold"]), list(use["key"])


def passage_rows(labels_dir: str | os.PathLike[str], run: Run) -> pd.DataFrame:
    """Training rows from ``links_*.csv`` passages that state a status (one number
    each), grouped with the key of the same response."""
    labels = Path(labels_dir)
    out = []
    for path in sorted(labels.glob("links_*.csv")):
        gold = load_gold(path, ("doc", "quote", "numbers", "status"))
        for g in itertuples(gold, index=False):
            statuses = [s.strip() for s in str(g.status).split(";") if s.strip()]
            if len(statuses) != 1 or statuses[0] not in STANCE_OF_STATUS:
                continue
            key = next(
                (
                    k.stem
                    for k in (labels / "status_keys").glob("*.csv")
                    if _squash(k.stem.replace("_", " ")) in _squash(str(g.doc))
                ),
                path.stem,
            )
            out.append(
                {
                    "key": key,
                    "answer": str(g.quote),
                    "ask": "",
                    "gold": STANCE_OF_STATUS[statuses[0]],
                    "linked": True,
                }
            )
    return pd.DataFrame(out, columns=["key", "answer", "ask", "gold", "linked"])


def _accuracy(model: StanceModel, feats: list[dict], labels: list[str]) -> float:
    return float(np.mean([p == g for p, g in zip(model.predict(feats), labels, strict=True)]))


def choose_c(rows: pd.DataFrame) -> float:
    """The ``C`` of :data:`C_GRID` with the best leave-one-response-out accuracy over
    ``rows`` (ties: the smallest); the middle of the grid when there is one response."""
    feats, labels, keys = _training_rows(rows)
    groups = sorted(set(keys))
    if len(groups) < 2:
        return 0.1
    best, best_acc = C_GRID[0], -1.0
    for C in C_GRID:
        hits = n = 0
        for g in groups:
            tr = [i for i, k in enumerate(keys) if k != g]
            te = [i for i, k in enumerate(keys) if k == g]
            if len({labels[i] for i in tr}) < 2 or not te:
                continue
            model = StanceModel(C=C).fit([feats[i] for i in tr], [labels[i] for i in tr])
            hits += _accuracy(model, [feats[i] for i in te], [labels[i] for i in te]) * len(te)
            n += len(te)
        acc = hits / n if n else 0.0
        if acc > best_acc:
            best, best_acc = C, acc
    return best


def fit_model(rows: pd.DataFrame, *, C: float | None = None) -> StanceModel:
    """Fit the stance model on key rows (and passage rows) that have a reply; ``C``
    by :func:`choose_c` unless given."""
    feats, labels, _ = _training_rows(rows)
    return StanceModel(C=choose_c(rows) if C is None else C).fit(feats, labels)


def lodo(rows: pd.DataFrame, extra: pd.DataFrame | None = None) -> pd.Series:
    """Leave-one-document-out stances: each key's rows decided with a model fitted
    (``C`` chosen inside) on the other keys' rows and the ``extra`` passage rows of
    the other responses only."""
    pred = pd.Series("noted", index=rows.index, dtype=object)
    extra = extra if extra is not None else pd.DataFrame(columns=rows.columns)
    for key in rows["key"].unique():
        train = pd.concat([rows[rows["key"] != key], extra[extra["key"] != key]], ignore_index=True)
        _, labels, _ = _training_rows(train)
        model = fit_model(train) if len(set(labels)) >= 2 else None
        for i in rows.index[rows["key"] == key]:
            if rows.at[i, "linked"]:
                pred[i] = decide(rows.at[i, "answer"], rows.at[i, "ask"], model=model)[0]
    return pred


def evaluate_replies(
    labels_dir: str | os.PathLike[str], run: Run, *, model: StanceModel | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per pair figures and the per-key-row table (see the module docstring)."""
    rows = keyed_rows(labels_dir, run)
    if rows.empty:
        return pd.DataFrame(), rows
    extra = passage_rows(labels_dir, run)
    rows["lodo"] = lodo(rows, extra)
    rows["rule"] = [
        rule_stance(a) if ok else "noted"
        for a, ok in zip(rows["answer"], rows["linked"], strict=True)
    ]
    rows["shipped"] = [
        decide(a, q, model=model)[0] if ok else "noted"
        for a, q, ok in zip(rows["answer"], rows["ask"], rows["linked"], strict=True)
    ]
    figures = []
    for key, grp in [*rows.groupby("key", sort=True), ("all", rows)]:
        right, judged = (0, 0)
        if key != "all":
            right, judged = link_precision(labels_dir, run, str(grp["doc_id"].iloc[0]))
        else:
            for d in rows["doc_id"].unique():
                r_, j_ = link_precision(labels_dir, run, str(d))
                right, judged = right + r_, judged + j_
        n = len(grp)
        row = {
            "pair": key,
            "recommendations": n,
            "linked": int(grp["linked"].sum()),
            "linked_share": float(grp["linked"].mean()),
            "link_precision": right / judged if judged else float("nan"),
            "links_judged": judged,
            # where the key copies each reply's label sentence: the share of replies
            # found that open with it (the reply was cut at the right place)
            "opens_with_label": (
                float(grp["opens_with_label"].dropna().astype(bool).mean())
                if grp["opens_with_label"].notna().any()
                else float("nan")
            ),
        }
        for col in ("lodo", "shipped", "rule"):
            hits = (grp[col] == grp["gold"]).to_numpy()
            row[f"stance_{col}"] = float(hits.mean())
            lo, hi = bootstrap_interval(n, lambda idx, h=hits: float(np.mean(h[idx])))
            row[f"stance_{col}_ci"] = f"{lo:.2f}-{hi:.2f}"
        figures.append(row)
    return pd.DataFrame(figures), rows

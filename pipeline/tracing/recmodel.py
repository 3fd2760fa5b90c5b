"""The learned decision of recommendation finding: gradient-boosted decision trees
over :data:`pipeline.tracing.candidates.FEATURES` (trees, because the signs combine:
"should" means little in guidance and much under a Recommendations heading).

How the model reaches users
    The trees are shipped in ``pipeline/data/rec_model.json`` (100 trees of depth 3 as
    plain arrays, about 100 KB), written by ``scripts/train_rec_model.py``
    (``make rec-model``) from the real gold in ``../shared/labels`` (``recs_*.csv``)
    and the passages of ``../shared/corpus``. The pipeline reads the file with
    numpy alone, so a fresh machine without ``../shared`` finds recommendations
    with the committed weights; :func:`load_model` falls back to
    :data:`FALLBACK_WEIGHTS` (hand-set weights of the strongest features) only
    when the file is missing or does not name the current features.

Training data
    Every candidate (:func:`pipeline.tracing.candidates.document_candidates`) of each
    gold document is labelled: positive when it is a gold recommendation (same
    number where the gold is numbered, and the gold opening in its text; for
    unnumbered gold, the opening alone); a copy of a gold recommendation printed
    under another number (the body copy of a summary item) is left out of
    training; every other candidate is negative. Where a sentence-level candidate
    (a sentence set off inside a paragraph) holds a gold recommendation, it is the
    positive and its paragraph is left out. Documents of the corpus judged to
    make no recommendations (``data/labels/recs_none.csv``: ADCS, Keeping Children
    Safe in Education, the National Framework, the Hackney minutes) add their
    candidates as negatives. Government responses are left out: they restate every
    recommendation word for word, so their restatements would be negatives that
    read exactly like positives, and they are never mined
    (:data:`pipeline.tracing.recommendations.SOURCE_TYPES`). A document in neither list is
    left out, so an unlabelled report never teaches the model that its
    recommendations are not ones.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from pipeline.frames import itertuples
from pipeline.textnorm import normalize_for_match
from pipeline.textsim import containment
from pipeline.tracing.candidates import (
    EMPHASIS_FEATURES,
    FEATURES,
    Candidate,
    candidate_features,
    document_candidates,
    emphasis_features,
)

log = logging.getLogger(__name__)

MODEL_FILE = Path(__file__).parent.parent / "data" / "rec_model.json"
#: A candidate is a recommendation when its probability is at least this.
THRESHOLD = 0.5
#: The boosted trees: how many, how deep, the learning rate, the weight of a positive.
N_TREES = 100
DEPTH = 3
RATE = 0.1
POSITIVE_WEIGHT = 5.0
#: Documents judged to make no recommendations (``doc`` = file name); their candidates
#: are negatives. A document neither in gold nor here is left out of training.
NONE_FILE = Path(__file__).resolve().parents[2] / "data" / "labels" / "recs_none.csv"
#: How completely a gold opening must be found in a candidate's text.
OPENING_MATCH = 0.9

#: Used only when ``rec_model.json`` is missing: the strongest signs, hand-set.
FALLBACK_WEIGHTS = {
    "modal": 1.5,
    "imperative": 1.0,
    "we_ask": 1.5,
    "tag_recommendation": 4.0,
    "tag_conclusion": -4.0,
    "labelled": 2.0,
    "h_recommend": 2.0,
    "rec_path_asks": 1.5,
    "contents_line": -4.0,
    "h_contents": -3.0,
    "h_back": -1.5,
    "short": -2.0,
    "reported_speech": -1.0,
}
FALLBACK_INTERCEPT = -4.5


@dataclass(frozen=True)
class RecModel:
    """Gradient-boosted decision trees over :data:`FEATURES`, as plain arrays.

    ``raw = base + rate * sum(tree leaf values)``, probability ``1 / (1 + e^-raw)``.
    Each tree is ``(left, right, feature, threshold, value)`` in scikit-learn's node
    order (``left == -1`` at a leaf; go left when ``x[feature] <= threshold``).
    """

    features: tuple[str, ...]
    base: float
    rate: float
    trees: tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]
    source: str = ""

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability that each row of ``x`` (columns :data:`FEATURES`) is a recommendation."""
        if not len(x):
            return np.zeros(0)
        raw = np.full(len(x), self.base)
        rows = np.arange(len(x))
        for left, right, feature, threshold, value in self.trees:
            node = np.zeros(len(x), dtype=int)
            while True:
                inner = left[node] >= 0
                if not inner.any():
                    break
                go_left = x[rows, np.maximum(feature[node], 0)] <= threshold[node]
                node = np.where(inner, np.where(go_left, left[node], right[node]), node)
            raw += self.rate * value[node]
        return 1.0 / (1.0 + np.exp(-raw))

    def to_json(self) -> dict[str, object]:
        """The model as a JSON-ready dict."""
        return {
            "features": list(self.features),
            "base": round(self.base, 8),
            "rate": self.rate,
            "trees": [
                {
                    "left": t[0].tolist(),
                    "right": t[1].tolist(),
                    "feature": t[2].tolist(),
                    "threshold": [round(float(v), 6) for v in t[3]],
                    "value": [round(float(v), 6) for v in t[4]],
                }
                for t in self.trees
            ],
            "source": self.source,
        }


def _tree(
    left: list[int],
    right: list[int],
    feature: list[int],
    threshold: list[float],
    value: list[float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.array(left, dtype=int),
        np.array(right, dtype=int),
        np.array(feature, dtype=int),
        np.array(threshold, dtype=float),
        np.array(value, dtype=float),
    )


def fallback_model() -> RecModel:
    """The hand-set model used when no trained weights are found: one stump per weight."""
    trees = []
    for name, weight in FALLBACK_WEIGHTS.items():
        j = FEATURES.index(name)
        trees.append(_tree([1, -1, -1], [2, -1, -1], [j, -2, -2], [0.5, 0, 0], [0, 0, weight]))
    return RecModel(FEATURES, FALLBACK_INTERCEPT, 1.0, tuple(trees), "fallback")


def load_model(path: str | os.PathLike[str] | None = None) -> RecModel:
    """Read the shipped model (``pipeline/data/rec_model.json``), else :func:`fallback_model`."""
    path = Path(path) if path is not None else MODEL_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("%s not readable; recommendations use the fallback weights", path)
        return fallback_model()
    if tuple(data.get("features", ())) != FEATURES:
        log.warning("%s was made for other features; using the fallback weights", path)
        return fallback_model()
    trees = tuple(
        _tree(t["left"], t["right"], t["feature"], t["threshold"], t["value"])
        for t in data["trees"]
    )
    return RecModel(FEATURES, float(data["base"]), float(data["rate"]), trees, data["source"])


def fit_model(
    x: np.ndarray, y: np.ndarray, *, source: str = "", features: tuple[str, ...] = FEATURES
) -> RecModel:
    """Fit gradient-boosted trees (:data:`N_TREES` of depth :data:`DEPTH`; positives
    weighted :data:`POSITIVE_WEIGHT`, as they are rare) and convert them to arrays.
    ``features`` names the columns of ``x``."""
    from sklearn.ensemble import GradientBoostingClassifier

    weight = np.where(y == 1, POSITIVE_WEIGHT, 1.0)
    clf = GradientBoostingClassifier(
        n_estimators=N_TREES,
        max_depth=DEPTH,
        learning_rate=RATE,
        subsample=0.8,
        random_state=0,
    )
    clf.fit(x, y, sample_weight=weight)
    trees = []
    for est in clf.estimators_[:, 0]:
        t = est.tree_
        trees.append(
            _tree(
                t.children_left.tolist(),
                t.children_right.tolist(),
                t.feature.tolist(),
                t.threshold.tolist(),
                t.value[:, 0, 0].tolist(),
            )
        )
    probe = x[:1]
    model = RecModel(features, 0.0, RATE, tuple(trees), source)
    offset = float(clf.decision_function(probe)[0]) - float(
        np.log(model.predict(probe)[0] / (1 - model.predict(probe)[0]))
    )
    return RecModel(features, offset, RATE, tuple(trees), source)


# --- training data ----------------------------------------------------------------------


def opening_found(opening: str, text: str) -> bool:
    """Whether a gold opening is in ``text`` (normalised; fuzzy at 0.9 in the first part)."""
    norm_o, norm_t = normalize_for_match(opening), normalize_for_match(text)
    if not norm_o:
        return False
    if norm_o in norm_t:
        return True
    head = text[: max(len(opening) * 3, 400)]
    return containment(opening, head) >= OPENING_MATCH


def gold_is_numbered(gold: pd.DataFrame) -> pd.Series:
    """Per gold row: whether its number is printed (``shape`` does not say unnumbered)."""
    shape = gold["shape"] if "shape" in gold.columns else pd.Series("", index=gold.index)
    return ~shape.fillna("").str.contains("unnumbered", case=False)


@dataclass
class DocData:
    """One document's candidates, features and (where gold exists) labels and weights."""

    doc_id: str
    name: str
    candidates: list[Candidate]
    x: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    has_gold: bool


def label_candidates(cands: list[Candidate], gold: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Labels (1 = gold recommendation) and training weights (0 = a copy under another
    number, left out) of one document's candidates; see the module docstring."""
    y = np.zeros(len(cands))
    w = np.ones(len(cands))
    numbered = gold_is_numbered(gold)
    for (_, row), is_num in zip(gold.iterrows(), numbered, strict=True):
        opening = str(row["opening"])
        for i, c in enumerate(cands):
            if not opening_found(opening, c.full_text):
                continue
            if not is_num or c.number == str(row["number"]):
                y[i] = 1.0
            else:
                w[i] = 0.0
    w[y == 1] = 1.0
    # a paragraph whose set-off sentence is the recommendation: the sentence is the
    # positive, the paragraph (which holds the same words) is left out
    for c, label in zip(cands, y.tolist(), strict=True):
        if c.sentence and label and c.parent >= 0:
            y[c.parent], w[c.parent] = 0.0, 0.0
    return y, w


def documents_without_recommendations(path: str | os.PathLike[str] | None = None) -> set[str]:
    """File names listed in ``recs_none.csv`` (:data:`NONE_FILE`); empty when it is missing."""
    path = Path(path) if path is not None else NONE_FILE
    if not path.exists():
        return set()
    return set(pd.read_csv(path, dtype=str, keep_default_na=False)["doc"])


def document_data(
    passages: pd.DataFrame,
    documents: pd.DataFrame,
    gold: pd.DataFrame,
    negatives: set[str] | None = None,
    *,
    emphasis: bool = False,
) -> list[DocData]:
    """Candidates and features of every training document: those named in ``gold`` and
    those named in ``negatives`` (file names; default :func:`documents_without_recommendations`).
    Every other document (the government responses among them) is left out. With
    ``emphasis`` the :data:`EMPHASIS_FEATURES` follow :data:`FEATURES` (an experiment:
    the shipped model does not use them)."""
    negatives = documents_without_recommendations() if negatives is None else negatives
    by_name: dict[str, str] = {}
    for doc_id, path in zip(documents["doc_id"], documents["path"], strict=True):
        by_name[PurePosixPath(str(path)).name] = doc_id
    gold_by_doc = {by_name.get(str(d), ""): g for d, g in gold.groupby("doc")}
    out = []
    grouped = dict(tuple(passages.groupby("doc_id", sort=False)))
    for doc in itertuples(documents.sort_values("doc_id"), index=False):
        if doc.status != "ok" or doc.doc_id not in grouped:
            continue
        g = gold_by_doc.get(doc.doc_id)
        if g is None and PurePosixPath(str(doc.path)).name not in negatives:
            continue
        cands = document_candidates(grouped[doc.doc_id])
        x = candidate_features(cands)
        if emphasis:
            x = np.hstack([x, emphasis_features(cands)])
        if g is None:
            y, w = np.zeros(len(cands)), np.ones(len(cands))
        else:
            y, w = label_candidates(cands, g)
        name = PurePosixPath(str(doc.path)).name
        out.append(DocData(doc.doc_id, name, cands, x, y, w, g is not None))
    return out


def fit_on(docs: list[DocData], *, source: str = "") -> RecModel:
    """Fit the model on the labelled candidates of ``docs`` (weight-0 rows left out)."""
    x = np.vstack([d.x for d in docs])
    y = np.concatenate([d.y for d in docs])
    w = np.concatenate([d.weight for d in docs])
    keep = w > 0
    features = FEATURES if x.shape[1] == len(FEATURES) else FEATURES + EMPHASIS_FEATURES
    return fit_model(x[keep], y[keep], source=source, features=features)


def save_model(model: RecModel, path: str | os.PathLike[str]) -> None:
    """Write the model as JSON (sorted, stable)."""
    Path(path).write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")

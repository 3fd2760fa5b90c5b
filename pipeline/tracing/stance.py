"""The stance a reply takes towards the recommendation it answers, read over the whole reply.

Stances (the three-way keys of ``../shared/labels/status_keys/`` plus one):
``accept``, ``partial``, ``reject`` and ``noted`` (the reply takes no stance, or
there is no reply text).

Features (:func:`reply_features`, all general: no document's wording)
    * the rule reading (:func:`pipeline.status.detect_status`) of the reply's first
      sentence and of each of its sentences, mapped to stances
      (:data:`STATUS_TO_STANCE`) and counted;
    * cue lexicon counts: agreement ("agrees", "accepts", "supports", "welcomes"),
      hedges ("in principle", "broadly", "the aim", "will consider", "explore",
      "recognises the importance"), contrast ("but", "however", "although"),
      negation and refusal ("not", "no plans", "not appropriate", "a matter
      for", "local decision"), commitments ("will" + verb, "is committed to") and
      commitments with a date ("by March 2025", "later this year", "in 2026");
    * whether the first sentence agrees with the recommendation itself or only with
      its aim, and whether a contrast follows an agreement;
    * the reply's TF-IDF similarity to the recommendation it answers, and its length.

Decision (:func:`decide`)
    A reply whose first sentence states its decision in so many words ("The
    government accepts this recommendation in principle.", "The Government does not
    agree with ...") takes it (:func:`opening_decision`; on the keys these are right
    on 52 of 57 Grenfell and 11 of 11 Behaviour Change replies that have one). Every
    other reply (most replies state no label) is read by the model over the whole
    reply.

Model (:class:`StanceModel`)
    A multinomial logistic regression (scikit-learn, ``class_weight="balanced"``,
    standardised features), kept small because there are only three keyed
    responses. Its coefficients are shipped as JSON
    (``pipeline/data/stance_model.json``, written by ``scripts/train_stance.py``
    from ``../shared/labels`` and a run over ``../shared/corpus``) and applied with
    numpy at run time, so running needs neither scikit-learn nor the shared labels;
    without the file the rule reading (:func:`rule_stance`) is used. It is fitted
    only on replies without an opening decision (the ones it decides), with ``C``
    chosen by leave-one-response-out inside the training responses.

Mapping to the status vocabulary (:func:`stance_status`)
    ``accept`` -> ``accepted``; ``partial`` -> ``accepted_in_principle`` when the
    reply says "in principle" (or agrees with the aim only), else
    ``partially_accepted``; ``reject`` -> ``not_accepted``; ``noted`` ->
    ``under_consideration`` when the reply says it will consider, else ``""``.
    Progress (completed, in progress, planned) is a separate reading
    (:func:`progress_status`), not a stance.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.status import detect_status, leading_label, status_label

log = logging.getLogger(__name__)

STANCES = ("accept", "partial", "reject", "noted")

#: The rule reading's status -> stance (the keys' own mapping, with consideration as
#: a hedge rather than "wrong").
STATUS_TO_STANCE = {
    "accepted": "accept",
    "completed": "accept",
    "in_progress": "accept",
    "planned": "accept",
    "partially_accepted": "partial",
    "accepted_in_principle": "partial",
    "under_consideration": "partial",
    "not_accepted": "reject",
}

#: The statuses the keys' evaluation accepts for each stance (see status_keys/README.md).
STANCE_OF_STATUS = {
    "accepted": "accept",
    "completed": "accept",
    "in_progress": "accept",
    "planned": "accept",
    "partially_accepted": "partial",
    "accepted_in_principle": "partial",
    "not_accepted": "reject",
}

PROGRESS = ("completed", "in_progress", "planned")

MODEL_PATH = Path(__file__).parent.parent / "data" / "stance_model.json"


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=[A-Z\"'(‘“])")
_AGREE = _rx(
    r"\b(?:accept|accepts|accepted|agree|agrees|agreed|support|supports|endorse|endorses|"
    r"welcome|welcomes)\b"
)
_AGREE_REC = _rx(
    r"\b(?:accept|accepts|accepted|agree|agrees|agreed|support|supports|endorse|endorses)\s+"
    r"(?:with\s+)?(?:the|this|these|all|that)\s+(?:\w+['’]s\s+|\w+\s+)?"
    r"(?:recommendations?|conclusions?|proposals?)\b"
)
_HEDGE = _rx(
    r"\bin principle\b",
    r"\bbroadly\b",
    r"\b(?:the\s+)?(?:principle|aim|aims|spirit|intent|intention|premise|objective)\s+(?:of|behind)\b",
    r"\b(?:will|would|to)\s+(?:carefully\s+|further\s+)?consider\b",
    r"\bconsider(?:ing)?\s+(?:whether|how)\b",
    r"\b(?:explore|exploring|look at|looking at|examine|examining)\b",
    r"\brecognises?\s+(?:the\s+)?(?:importance|value|need|vital)\b",
    r"\b(?:acknowledge|acknowledges|note|notes|noted)\b",
    r"\bwhere\s+(?:appropriate|possible|practicable)\b",
    r"\bkeep\s+under\s+review\b",
)
#: Deferring instead of deciding: "will consider", "is exploring", "in due course", "not yet".
_DEFER = _rx(
    r"\b(?:will|would|to)\s+(?:carefully\s+|further\s+)?consider\b",
    r"\bconsider(?:ing)?\s+(?:whether|how)\b",
    r"\b(?:explore|exploring|explores)\b",
    r"\bin\s+due\s+course\b",
    r"\bnot\s+yet\b",
    r"\b(?:unable|not\s+in\s+a\s+position)\s+to\b",
    r"\bsubject\s+to\b",
    r"\b(?:remain|remains)\s+(?:unknown|unclear|under\s+review)\b",
    r"\bwhere\s+(?:appropriate|possible|practicable)\b",
)
_CONTRAST = _rx(
    r"\bbut\b", r"\bhowever\b", r"\balthough\b", r"^\s*(?:while|whilst)\b", r"\bnevertheless\b"
)
_NEGATION = _rx(r"\bnot\b", r"n['’]t\b", r"\bnever\b", r"\bcannot\b", r"\bno\b")
_REFUSAL = _rx(
    r"\bno\s+(?:current\s+)?plans?\b",
    r"\b(?:not|no longer)\s+(?:be\s+)?(?:appropriate|necessary|needed|required|feasible)\b",
    r"\b(?:a\s+)?(?:matter|decision|question)\s+for\b",
    r"\blocal\s+decision\b",
    r"\boperationally\s+independent\b",
    r"\bdo(?:es)?\s+not\s+(?:agree|accept|believe|think|consider)\b",
    r"\bwith\s+two\s+exceptions\b|\bwith\s+the\s+exception\b",
    r"\bnot\s+(?:intend|propose|plan)\b",
    r"\brather\s+than\b",
)
_COMMIT = _rx(
    r"\bwill\s+(?!consider|look|explore|continue|keep|seek|not\b)\w+",
    r"\b(?:is|are|remain|remains)\s+committed\s+to\b",
    r"\bwe\s+(?:intend|plan)\s+to\b",
)
_CONTINUE = _rx(r"\bwill\s+continue\b", r"\bcontinues?\s+to\b", r"\balready\b")
_DATE = _rx(
    r"\b(?:by|in|from|before|during|later|early|end of)\s+(?:the\s+)?(?:end\s+of\s+)?"
    r"(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|spring|summer|autumn|winter|20\d\d)\b",
    r"\blater\s+this\s+year\b",
    r"\bnext\s+year\b",
)


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (a stop followed by a capital)."""
    return [s.strip() for s in _SENTENCE.split(str(text or "")) if s.strip()]


def rule_stance(text: str) -> str:
    """The stance the rule reading gives the first sentence that states one (else
    ``noted``): the baseline the model is compared with."""
    for sentence in split_sentences(text):
        status = detect_status(sentence).status
        if status in STATUS_TO_STANCE:
            return STATUS_TO_STANCE[status]
    return "noted"


def _cosine(a: str, b: str) -> float:
    from pipeline.textsim import cosine, tfidf_matrix

    if not a.strip() or not b.strip():
        return 0.0
    m = tfidf_matrix([a, b])
    if m.shape[1] == 0:
        return 0.0
    return float(cosine(m[0], m[1])[0, 0])


def reply_features(answer: str, ask: str = "") -> dict[str, float]:
    """The features of one reply (``answer``) to one recommendation (``ask``)."""
    sentences = split_sentences(answer)
    n = max(1, len(sentences))
    f: dict[str, float] = {}
    first = sentences[0] if sentences else ""
    first_status = detect_status(first).status if first else ""
    for stance in ("accept", "partial", "reject"):
        f[f"first_{stance}"] = float(STATUS_TO_STANCE.get(first_status) == stance)
    f["first_none"] = float(first_status not in STATUS_TO_STANCE)
    counts = dict.fromkeys(("accept", "partial", "reject"), 0)
    for s in sentences:
        st = STATUS_TO_STANCE.get(detect_status(s).status)
        if st:
            counts[st] += 1
    for stance, c in counts.items():
        f[f"rule_{stance}"] = math.log1p(c)
    f["first_agree_rec"] = float(bool(_AGREE_REC.search(first)))
    f["first_in_principle"] = float(
        bool(re.search(r"\bin principle\b|\b(?:aim|principle|spirit|premise)\b", first, re.I))
    )
    f["defer"] = math.log1p(sum(len(_DEFER.findall(s)) for s in sentences))
    f["first_hedge"] = float(bool(_HEDGE.search(first)))
    f["agree"] = math.log1p(sum(len(_AGREE.findall(s)) for s in sentences))
    f["hedge"] = math.log1p(sum(len(_HEDGE.findall(s)) for s in sentences))
    f["in_principle"] = float(bool(re.search(r"\bin principle\b", answer, re.I)))
    f["contrast"] = math.log1p(sum(len(_CONTRAST.findall(s)) for s in sentences))
    f["negation_rate"] = sum(len(_NEGATION.findall(s)) for s in sentences) / n
    f["refusal"] = math.log1p(sum(len(_REFUSAL.findall(s)) for s in sentences))
    f["commit"] = math.log1p(sum(len(_COMMIT.findall(s)) for s in sentences))
    f["commit_dated"] = math.log1p(
        sum(1 for s in sentences if _COMMIT.search(s) and _DATE.search(s))
    )
    f["continue"] = math.log1p(sum(len(_CONTINUE.findall(s)) for s in sentences))
    agreed_at = next((k for k, s in enumerate(sentences) if _AGREE.search(s)), None)
    f["agree_then_contrast"] = float(
        agreed_at is not None and any(_CONTRAST.search(s) for s in sentences[agreed_at:])
    )
    f["similarity"] = _cosine(answer, ask)
    f["sentences"] = math.log1p(len(sentences))
    return f


FEATURES = tuple(reply_features("The Government agrees.", "x"))


@dataclass
class StanceModel:
    """A linear stance model: standardisation and multinomial logistic coefficients.

    ``fit`` needs scikit-learn; ``predict_proba`` is numpy only, so a shipped model
    (:meth:`save` / :meth:`load`, JSON) runs anywhere.
    """

    C: float = 0.3
    classes_: tuple[str, ...] = ()
    mean_: np.ndarray | None = None
    scale_: np.ndarray | None = None
    coef_: np.ndarray | None = None
    intercept_: np.ndarray | None = None

    def _matrix(self, rows: list[dict[str, float]]) -> np.ndarray:
        return np.array([[r.get(k, 0.0) for k in FEATURES] for r in rows], dtype=float)

    def fit(self, rows: list[dict[str, float]], labels: list[str]) -> StanceModel:
        """Fit on feature rows (:func:`reply_features`) and their stances."""
        from sklearn.linear_model import LogisticRegression

        X = self._matrix(rows)
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        clf = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000)
        clf.fit((X - self.mean_) / self.scale_, labels)
        self.classes_ = tuple(str(c) for c in clf.classes_)
        coef, icpt = clf.coef_, clf.intercept_
        if len(self.classes_) == 2:  # binary: one row of coefficients for the second class
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            icpt = np.array([-icpt[0] / 2, icpt[0] / 2])
        self.coef_, self.intercept_ = coef, icpt
        return self

    def predict_proba(self, rows: list[dict[str, float]]) -> np.ndarray:
        """Class probabilities, one row per feature row, columns in ``classes_`` order."""
        assert self.coef_ is not None and self.mean_ is not None and self.scale_ is not None
        X = (self._matrix(rows) - self.mean_) / self.scale_
        z = X @ self.coef_.T + self.intercept_
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, rows: list[dict[str, float]]) -> list[str]:
        """The most probable stance of each row."""
        if not rows:
            return []
        proba = self.predict_proba(rows)
        return [self.classes_[i] for i in proba.argmax(axis=1)]

    def to_json(self) -> dict:
        """The model as plain JSON data."""
        assert self.coef_ is not None and self.mean_ is not None and self.scale_ is not None
        assert self.intercept_ is not None
        return {
            "features": list(FEATURES),
            "classes": list(self.classes_),
            "C": self.C,
            "mean": [round(float(x), 8) for x in self.mean_],
            "scale": [round(float(x), 8) for x in self.scale_],
            "coef": [[round(float(x), 8) for x in row] for row in self.coef_],
            "intercept": [round(float(x), 8) for x in self.intercept_],
        }

    @classmethod
    def from_json(cls, data: dict) -> StanceModel:
        """A model from :meth:`to_json` data; features are matched by name."""
        names = list(data["features"])
        idx = {k: i for i, k in enumerate(names)}
        pick = [idx.get(k) for k in FEATURES]

        def take(vec, default):
            return np.array([vec[i] if i is not None else default for i in pick], dtype=float)

        coef = np.array(data["coef"], dtype=float)
        return cls(
            C=float(data.get("C", 0.3)),
            classes_=tuple(data["classes"]),
            mean_=take(data["mean"], 0.0),
            scale_=take(data["scale"], 1.0),
            coef_=np.array([take(row, 0.0) for row in coef]),
            intercept_=np.array(data["intercept"], dtype=float),
        )

    @classmethod
    def load(cls, path: str | Path = MODEL_PATH) -> StanceModel | None:
        """The shipped model, or ``None`` (with a log line) where there is none."""
        path = Path(path)
        if not path.exists():
            log.info("no stance model at %s: the rule reading decides stances", path)
            return None
        return cls.from_json(json.loads(path.read_text(encoding="utf-8"))["model"])


_DECISIONS = ("accepted", "accepted_in_principle", "partially_accepted", "not_accepted")
_IMPLIED_AGREEMENT = re.compile(r"\b(?:agree|agrees|agreed|accept|accepts|accepted)\s+that\b", re.I)


_QUALIFIED = re.compile(
    r"\b(?:broadly|largely|generally|partly|in part|in principle|with (?:some )?"
    r"(?:caveats|reservations|qualifications))\b",
    re.I,
)


_ITEM_MARK = re.compile(r"^\s*(?:\d{1,3})?\(?[a-z]{1,3}\)\s*", re.I)


def _decision(sentence: str) -> str:
    """The stance one sentence states in so many words, else ``""`` (see
    :func:`opening_decision`)."""
    sentence = _ITEM_MARK.sub("", sentence, count=1)  # "(a) Accepted." answers part (a)
    found = detect_status(sentence)
    if found.status not in _DECISIONS or _IMPLIED_AGREEMENT.search(found.cue):
        return ""
    stance = STATUS_TO_STANCE[found.status]
    if stance == "accept" and (
        _QUALIFIED.search(sentence)
        or (
            _CONTRAST.search(sentence) and (_NEGATION.search(sentence) or _REFUSAL.search(sentence))
        )
    ):
        return "partial"  # "broadly accepts ...", "accepts ..., but will not ..."
    return stance


def opening_decision(answer: str) -> str:
    """The stance the reply's first sentence states in so many words ("The government
    accepts this recommendation in principle.", "We do not agree with ...") , else
    ``""``. Agreement with a premise only ("agrees that more should be done") is not
    a decision and is left to the model; an acceptance qualified in the same sentence
    ("broadly accepts", "accepts ... but will not ...") is ``partial``, and so is a
    reply that accepts one part and rejects another in so many words ("(a) Accepted.
    ... (b) Not accepted.")."""
    sentences = split_sentences(answer)
    if not sentences:
        return ""
    first = _decision(sentences[0])
    if first == "" and "|" in answer:  # a table row: the status its cells give
        first = STATUS_TO_STANCE.get(status_label(answer).status, "")
        if first == "partial" and status_label(answer).status == "under_consideration":
            first = ""
    if first in ("accept", "reject"):
        others = {_decision(s) for s in sentences[1:]}
        if len((others - {""}) | {first}) > 1:
            return "partial"  # different answers for different parts or governments
    return first


#: A reply that says the recommendation is someone else's to answer takes no stance.
_NOT_OURS = re.compile(
    r"\bnot\s+(?:a\s+matter\s+)?for\s+(?:the\s+)?(?:uk\s+)?(?:government|department|us)\s+"
    r"to\s+(?:respond|answer|comment)\b",
    re.I,
)


def decide(
    answer: str, ask: str = "", *, model: StanceModel | None = None
) -> tuple[str, dict[str, float]]:
    """The stance of one reply and its features.

    No reply text, or a first sentence saying it is not for the government to respond
    to, is ``noted``; a reply whose first sentence states its decision in
    so many words takes it (:func:`opening_decision`); one that opens with a progress
    label ("Completed.", "In progress") is ``accept`` (the keys' own mapping); any
    other reply is read by the
    model over the whole reply where one is given, else by the rule reading
    (:func:`rule_stance`).
    """
    feats = reply_features(answer, ask)
    if not answer.strip():
        return "noted", feats
    first = split_sentences(answer)[0]
    if _NOT_OURS.search(first):
        return "noted", feats  # "This is not for the UK Government to respond to."
    if opening := opening_decision(answer):
        return opening, feats
    label = leading_label(first).status or (status_label(answer).status if "|" in answer else "")
    if label in PROGRESS:
        return "accept", feats  # "Completed. ...", "In progress": it is being done
    stance = model.predict([feats])[0] if model is not None else rule_stance(answer)
    return stance, feats


def deciding_sentence(answer: str, stance: str) -> str:
    """The sentence that decides ``stance``: the first whose rule reading gives that
    stance, else the first that states any, else the first sentence."""
    sentences = split_sentences(answer)
    stated = [(s, STATUS_TO_STANCE.get(detect_status(s).status)) for s in sentences]
    for s, st in stated:
        if st == stance:
            return s
    if stance == "partial":
        for s in sentences:
            if _HEDGE.search(s) or _CONTRAST.search(s) or _REFUSAL.search(s):
                return s
    for s, st in stated:
        if st:
            return s
    return sentences[0] if sentences else ""


def stance_status(stance: str, answer: str) -> str:
    """The status-vocabulary word for a stance (see the module docstring)."""
    if stance == "accept":
        return "accepted"
    if stance == "reject":
        return "not_accepted"
    if stance == "partial":
        first = split_sentences(answer)[:1]
        if re.search(r"\bin principle\b", answer, re.I) or (
            first and detect_status(first[0]).status == "accepted_in_principle"
        ):
            return "accepted_in_principle"
        return "partially_accepted"
    if re.search(r"\b(?:will|to)\s+consider\b|\bunder\s+consideration\b", answer, re.I):
        return "under_consideration"
    return ""


def progress_status(answer: str) -> str:
    """What the reply says has happened (completed, in_progress, planned), read apart
    from its stance: the strongest such status any sentence states, else any other
    status that is neither a decision nor "under consideration" (progress words
    :mod:`pipeline.status` may add, such as not started or on hold), else ``""``."""
    found = [detect_status(s).status for s in split_sentences(answer)]
    if strongest := next((p for p in PROGRESS if p in found), ""):
        return strongest
    other = [f for f in found if f and f not in _DECISIONS and f != "under_consideration"]
    return other[0] if other else ""

"""Stance of a whole reply: opening decisions, qualified acceptances, the model and its
JSON form, the status mapping and the separate progress reading."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.tracing.stance import (
    FEATURES,
    MODEL_PATH,
    StanceModel,
    decide,
    deciding_sentence,
    opening_decision,
    progress_status,
    reply_features,
    stance_status,
)


@pytest.mark.parametrize(
    ("answer", "stance"),
    [
        ("The government accepts this recommendation. We will legislate.", "accept"),
        ("The government accepts this recommendation in principle. We will consult.", "partial"),
        ("The Department broadly accepts this recommendation, but will not fund it.", "partial"),
        ("DBT accepts this recommendation and will report in 2026.", "accept"),
        ("The Government does not accept this recommendation.", "reject"),
        ("The Government rejects this recommendation.", "reject"),
        ("(a) Accepted. A register opens in 2026. (b) Not accepted. It is for ports.", "partial"),
        # agreement with a premise only is left to the model
        ("The Government agrees that more should be done to train crews.", ""),
        ("Departments use space in many ways. Decisions are for each department.", ""),
    ],
)
def test_opening_decision(answer: str, stance: str) -> None:
    assert opening_decision(answer) == stance


def _rows() -> tuple[list[dict], list[str]]:
    accept = [
        "We will publish the plan by March 2026. Work has started with ports.",
        "The Government is committed to delivering this and will set out funding later this year.",
        "We will appoint a lead officer in spring 2026 and report to Parliament.",
    ]
    partial = [
        "We will consider whether this is needed. Decisions are a matter for local areas.",
        "The Government recognises the importance of this. However, there are no plans to "
        "change the rules at this time.",
        "We are exploring options and will set out more in due course, subject to funding.",
    ]
    texts = accept + partial
    return [reply_features(t) for t in texts], ["accept"] * 3 + ["partial"] * 3


def test_the_model_separates_commitments_from_deferrals() -> None:
    feats, labels = _rows()
    model = StanceModel(C=1.0).fit(feats, labels)
    assert model.predict(feats) == labels
    again = StanceModel.from_json(json.loads(json.dumps(model.to_json())))
    assert np.allclose(again.predict_proba(feats), model.predict_proba(feats))
    # a reply with no opening decision is read by the model
    stance, _ = decide(
        "We will consider this in due course; it is a matter for ports.", model=model
    )
    assert stance == "partial"
    assert decide("", model=model)[0] == "noted"


def test_features_are_named_and_finite() -> None:
    f = reply_features("The Government agrees. But it will not fund this before 2027.", "fund")
    assert tuple(f) == FEATURES
    assert all(np.isfinite(v) for v in f.values())
    assert f["agree_then_contrast"] == 1.0 and f["commit"] == 0.0


def test_the_shipped_model_loads_and_carries_its_card() -> None:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert set(data["card"]["lodo_accuracy"]) >= {"behaviour_change", "space_economy"}
    model = StanceModel.load()
    assert model is not None and set(model.classes_) >= {"accept", "partial"}
    assert StanceModel.load(MODEL_PATH.with_name("missing.json")) is None


@pytest.mark.parametrize(
    ("stance", "answer", "status"),
    [
        ("accept", "We agree.", "accepted"),
        ("partial", "We accept this in principle.", "accepted_in_principle"),
        ("partial", "We accept part of it.", "partially_accepted"),
        ("reject", "We do not accept it.", "not_accepted"),
        ("noted", "We will consider it.", "under_consideration"),
        ("noted", "Thank you.", ""),
    ],
)
def test_stance_status(stance: str, answer: str, status: str) -> None:
    assert stance_status(stance, answer) == status


def test_progress_is_a_separate_reading() -> None:
    answer = "The government accepts this recommendation. The register has been completed."
    assert decide(answer)[0] == "accept"
    assert progress_status(answer) == "completed"
    assert progress_status("We accept it.") == ""


def test_deciding_sentence() -> None:
    answer = "Ports differ. The Department broadly accepts this, but will not fund it. Thanks."
    assert deciding_sentence(answer, "partial").startswith("The Department broadly")


@pytest.mark.parametrize(
    ("answer", "stance"),
    [
        ("Completed. The protocol was signed in May.", "accept"),
        ("In progress - the panel first met in July.", "accept"),
        ("This is not for the UK Government to respond to. It is devolved.", "noted"),
    ],
)
def test_progress_labels_and_answers_for_others(answer: str, stance: str) -> None:
    assert decide(answer)[0] == stance

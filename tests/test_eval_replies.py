"""The status-key evaluation: which response a key names, leave-one-response-out."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.evaluate.replies import C_GRID, choose_c, lodo, response_for_key


@pytest.mark.parametrize(
    ("key", "doc_id"),
    [
        ("behaviour_change", "bc-response"),
        ("space_economy", "space-response"),
        ("grenfell_phase2", ""),  # no such document
    ],
)
def test_response_for_key(key: str, doc_id: str) -> None:
    docs = pd.DataFrame(
        {
            "doc_id": ["bc-report", "bc-response", "space-response"],
            "path": [
                "Behaviour-Change-Report.pdf",
                "Behaviour-Change-Response.pdf",
                "TheSpaceEconomyResponse.pdf",
            ],
            "doc_type": ["report", "response", "response"],
            "status": ["ok", "ok", "ok"],
        }
    )
    assert response_for_key(key, docs) == doc_id


def _rows() -> pd.DataFrame:
    accept = "We will publish the plan by March 2026 and appoint a lead."
    partial = "We will consider this in due course; it is a matter for local areas."
    rows = []
    for key in ("a", "b", "c"):
        rows += [{"key": key, "answer": accept, "ask": "", "gold": "accept", "linked": True}] * 3
        rows += [{"key": key, "answer": partial, "ask": "", "gold": "partial", "linked": True}] * 2
    rows.append({"key": "c", "answer": "", "ask": "", "gold": "accept", "linked": False})
    return pd.DataFrame(rows)


def test_lodo_predicts_each_response_from_the_others_only() -> None:
    rows = _rows()
    pred = lodo(rows)
    linked = rows["linked"]
    assert (pred[linked] == rows.loc[linked, "gold"]).all()
    assert pred[~linked].tolist() == ["noted"]  # no reply: counted wrong
    assert choose_c(rows) in C_GRID

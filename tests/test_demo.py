"""The shipped demo corpus runs end to end and reads as intended."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def test_demo_documents(demo_run: Path) -> None:
    docs = pd.read_parquet(demo_run / "documents.parquet").set_index("path")
    assert set(docs["status"]) == {"ok"}
    review = docs.loc["northbridge_child_l_review_2024.pdf"]
    assert (review["doc_type"], review["date"], review["review"], review["pages"]) == (
        "review",
        "2024-03-12",
        "Child L",
        6,
    )
    minutes = docs.loc["northbridge_scrutiny_minutes_2025-01-15.html"]
    assert minutes["doc_type"] == "minutes" and minutes["title"].startswith("Minutes of Children")
    assert docs.loc["northbridge_progress_report_2024-11.docx", "doc_type"] == "report"


def test_demo_review_structure(demo_run: Path) -> None:
    p = pd.read_parquet(demo_run / "passages.parquet")
    review = p[p["doc_id"] == "northbridge-child-l-review-2024-pdf"]
    recs = review[review["kind"] == "recommendation"]
    assert list(recs["ref"]) == [str(n) for n in range(1, 11)]
    assert not review["text"].str.contains("Page \\d+ of 6").any()
    assert not review["text"].str.contains("LCSPR Child L$").any()
    sub = review[review["parent_ref"] == "4"]
    assert list(sub["ref"]) == ["(a)", "(b)", "(c)"]
    assert (review["kind"] == "table").sum() >= 5
    assert (review["kind"] == "footnote").sum() == 2


def test_demo_minutes_speakers_and_action(demo_run: Path) -> None:
    p = pd.read_parquet(demo_run / "passages.parquet")
    m = p[p["doc_id"] == "northbridge-scrutiny-minutes-2025-01-15-html"]
    assert "Councillor Okafor" in set(m["speaker"])
    assert "tracking" not in " ".join(m["text"]).lower()
    [action] = m.loc[m["kind"] == "action", "text"]
    assert action == "Action: Head of Education Safeguarding"

"""The shipped demo corpus runs end to end and reads as intended."""

from __future__ import annotations

import subprocess
import sys
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


def test_generator_reproduces_the_committed_demo_corpus(tmp_path: Path) -> None:
    """scripts/make_demo_corpus.py writes the demo corpus as committed: the text files
    byte for byte (the PDF and DOCX depend on the fpdf2 and python-docx versions, so
    only their presence is checked), and the manifest keeps the Hackney minutes' row."""
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, str(root / "scripts" / "make_demo_corpus.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    raw = root / "data" / "raw"
    for name in (
        "manifest.csv",
        "recommendations.csv",
        "northbridge_scrutiny_minutes_2025-01-15.html",
        "northbridge_progress_update_2025-05.html",
    ):
        assert (tmp_path / name).read_bytes() == (raw / name).read_bytes(), name
    for name in ("northbridge_child_l_review_2024.pdf", "northbridge_progress_report_2024-11.docx"):
        assert (tmp_path / name).stat().st_size > 1000, name
    assert "hackney_minutes_child_q_2022.txt,minutes,Child Q Safeguarding Report,,Child Q" in (
        (tmp_path / "manifest.csv").read_text()
    )

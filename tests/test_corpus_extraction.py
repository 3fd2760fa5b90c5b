"""End-to-end extraction facts on the real documents of ../shared/corpus."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from pipeline.gold import load_gold, locate_quotes
from tests.conftest import FIGURES

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def outputs(corpus_run: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (
        pd.read_parquet(corpus_run / "documents.parquet"),
        pd.read_parquet(corpus_run / "passages.parquet"),
    )


def doc_passages(outputs: tuple[pd.DataFrame, pd.DataFrame], name: str) -> pd.DataFrame:
    docs, passages = outputs
    [doc_id] = docs.loc[docs["path"] == name, "doc_id"]
    return passages[passages["doc_id"] == doc_id]


KCSIE = "Keeping_children_safe_in_education_2025.pdf"


def test_every_pdf_is_read(outputs: tuple[pd.DataFrame, pd.DataFrame], corpus_dir: Path) -> None:
    docs, _ = outputs
    pdfs = docs[docs["format"] == "pdf"]
    # every PDF of the shared corpus, however many it holds, is read with a text layer
    assert sorted(pdfs["path"]) == sorted(p.name for p in corpus_dir.glob("*.pdf"))
    assert set(pdfs["status"]) == {"ok"}
    assert (pdfs["pages"] > 0).all() and (pdfs["words"] > 1000).all()


def test_kcsie_paragraph_16(outputs: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    p = doc_passages(outputs, KCSIE)
    [text] = p.loc[(p["ref"] == "16") & (p["kind"] == "paragraph") & (p["page"] == 9), "text"]
    assert text.startswith("All staff should be able to reassure victims")
    assert text.endswith("Nor should a victim ever be made to feel ashamed for making a report.")


def test_no_running_headers_or_page_numbers(outputs: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, passages = outputs
    # chart labels may be bare numbers; a page's own number may not
    numbers = passages["text"].str.extract(r"(?i)^(?:page\s+)?(\d{1,3})(?:\s+of\s+\d+)?$")[0]
    own = numbers.notna() & (numbers.astype("float") == passages["page"])
    assert not own.any(), passages.loc[own, ["doc_id", "page", "text"]]
    bc = doc_passages(outputs, "Behaviour-Change-Report-Recomm.pdf")
    assert not bc["text"].str.contains(r"^BEHAVIOUR CHANGE \d+", regex=True).any()
    assert not bc["text"].str.contains(r"BEHAVIOUR CHANGE \d+ ", regex=True).any()


def test_no_glued_footnote_markers(outputs: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    p = doc_passages(outputs, KCSIE)
    body = p[p["kind"] != "footnote"]["text"]
    glued = {m.group(0) for t in body for m in re.finditer(r"\b[a-z]{2,}[.,;:)]?\d{1,3}\b", t)}
    # "section128" is printed without a space in the source PDF itself (page 64)
    assert glued <= {"section128"}, glued
    text = " ".join(body)
    assert "upskirting12" not in text and "upskirting" in text


def test_footnotes_are_their_own_passages(outputs: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    p = doc_passages(outputs, KCSIE)
    notes = p[p["kind"] == "footnote"]
    assert len(notes) > 100
    seven = notes[notes["ref"] == "7"]
    assert seven["text"].iloc[0].startswith("Detailed information on statutory assessments")


def test_paragraph_over_a_page_break_is_one_passage(
    outputs: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    p = doc_passages(outputs, KCSIE)
    [row] = p[(p["ref"] == "17") & (p["page"] == 9)].itertuples()
    assert row.page == 9 and row.page_end == 10
    assert "recognise their experiences as harmful" in row.text


def test_bullets_belong_to_paragraphs(outputs: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    p = doc_passages(outputs, KCSIE)
    b = p[(p["kind"] == "bullet") & (p["parent_ref"] == "18")]
    assert len(b[b["page"] == 10]) == 14
    assert b["text"].iloc[0] == (
        "is disabled or has certain health conditions and has specific additional needs"
    )


def test_behaviour_change_response_pages(outputs: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    p = doc_passages(outputs, "Behaviour-Change-Response.pdf")
    assert p["page"].nunique() > 15
    restated = set(p.loc[p["kind"] == "paragraph", "ref"])
    # the response restates 8.1 to 8.32 (it prints the report's 8.33 as a second "8.32")
    assert {f"8.{n}" for n in range(1, 33)} <= restated


def test_no_cid_or_odd_unicode(outputs: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, passages = outputs
    text = " ".join(passages["text"])
    for bad in ("(cid:", "\u00a0", "\ufb01", "\ufb02", "\u25cf", "\u2019", "\u201c"):
        assert bad not in text, bad


def test_gold_quotes_are_found_in_one_passage(
    outputs: tuple[pd.DataFrame, pd.DataFrame], labels_dir: Path
) -> None:
    docs, passages = outputs
    total = found = unique = 0
    missing = []
    for name in ("themes_dev.csv", "links_dev.csv"):
        gold = load_gold(labels_dir / name, ("doc", "quote", "page"))
        for row, loc in zip(gold.itertuples(), locate_quotes(gold, passages, docs), strict=True):
            total += 1
            if loc.passage_id:
                found += 1
                # several passages may hold the words (a contents page); the gold page decides
                unique += loc.unique
            else:
                missing.append(f"{row.doc} p{row.page}: {row.quote}")
    share = unique / total
    FIGURES["gold quotes in one passage"] = f"{unique}/{total} = {share:.1%} (found {found})"
    assert share >= 0.95, missing

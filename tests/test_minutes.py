"""The seed document: Hackney Council minutes on the Child Q safeguarding report."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.extract.extractor import extract_document
from pipeline.speakers import find_speaker
from pipeline.store import sha256_file
from tests.conftest import CORPUS, DEMO

SEED = DEMO / "hackney_minutes_child_q_2022.txt"


@pytest.fixture(scope="module")
def seed() -> tuple[dict, list[dict]]:
    return extract_document(SEED, SEED.name, sha256_file(SEED))


def test_demo_copy_is_the_shared_seed_byte_for_byte() -> None:
    shared = CORPUS / SEED.name
    if not shared.exists():
        pytest.skip("shared corpus absent")
    assert sha256_file(shared) == sha256_file(SEED)


def test_document_row(seed: tuple[dict, list[dict]]) -> None:
    row, _ = seed
    assert row["status"] == "ok"
    assert row["title"] == "Child Q Safeguarding Report"
    assert row["doc_type"] == "minutes"


def test_numbered_paragraphs(seed: tuple[dict, list[dict]]) -> None:
    _, passages = seed
    refs = [p["ref"] for p in passages if p["kind"] == "paragraph" and p["ref"]]
    assert refs == ["11.1", "11.2", "11.3", "11.4", "11.5", "11.6", "11.7"]


def test_bullets_with_their_paragraphs(seed: tuple[dict, list[dict]]) -> None:
    _, passages = seed
    bullets = [p for p in passages if p["kind"] == "bullet"]
    assert len(bullets) == 24
    by_parent = {
        r: sum(1 for b in bullets if b["parent_ref"] == r) for r in ("11.3", "11.4", "11.5")
    }
    assert by_parent == {"11.3": 4, "11.4": 15, "11.5": 5}
    assert bullets[0]["text"].startswith("Ensuring that partners implement")
    assert bullets[-1]["text"] == (
        "Working collaboratively with partners and engaging the children in the community;"
    )


def test_sentence_broken_over_lines_is_repaired(seed: tuple[dict, list[dict]]) -> None:
    _, passages = seed
    first = next(p for p in passages if p["ref"] == "11.1")
    assert (
        "On 14th March 2022 City and Hackney Safeguarding Children Partnership (CHSCP) "
        "published a Local Child Safeguarding Practice Review" in first["text"]
    )
    assert first["text"].endswith("made 14 recommendations for change.")


def test_speakers(seed: tuple[dict, list[dict]]) -> None:
    _, passages = seed
    by_ref = {p["ref"]: p["speaker"] for p in passages if p["ref"]}
    assert by_ref["11.1"] == "Director of Children's Social Care"
    assert by_ref["11.4"] == "Director of Children's Social Care"
    assert by_ref["11.5"] == "Senior Professional Adviser"
    assert by_ref["11.6"] == "Chair"
    assert by_ref["11.7"] == "Deputy Mayor Bramble"
    assert by_ref["11.2"] == "" and by_ref["11.3"] == ""
    bullets = [p for p in passages if p["kind"] == "bullet"]
    speakers = {
        p["parent_ref"]: {b["speaker"] for b in bullets if b["parent_ref"] == p["parent_ref"]}
        for p in bullets
    }
    assert speakers == {
        "11.3": {""},
        "11.4": {"Director of Children's Social Care"},
        "11.5": {"Senior Professional Adviser"},
    }


def test_action_line(seed: tuple[dict, list[dict]]) -> None:
    _, passages = seed
    [action] = [p for p in passages if p["kind"] == "action"]
    assert action["text"] == "Action: Director of Children's Social Care"
    assert action["parent_ref"] == "11.6"


def test_page_numbers_and_ids(seed: tuple[dict, list[dict]]) -> None:
    _, passages = seed
    assert {p["page"] for p in passages} == {1}
    assert [p["seq"] for p in passages] == list(range(len(passages)))
    assert len({p["passage_id"] for p in passages}) == len(passages)


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("The Chair stressed that the health system played a crucial role", "Chair"),
        (
            "Deputy Mayor Bramble thanked officers for their work in this area.",
            "Deputy Mayor Bramble",
        ),
        ("Cllr Fajana Thomas asked about the timetable.", "Cllr Fajana Thomas"),
        (
            "The Director of Children's Services, Ms Adebayo, reported that",
            "Director of Children's Services",
        ),
        ("The Council is not named in any of the 14 recommendations", ""),
        ("Since May 2022, a Strategic Response Group has met", ""),
        ("The report highlighted significant concern", ""),
    ],
)
def test_find_speaker(text: str, speaker: str) -> None:
    assert find_speaker(text) == speaker


def test_unknown_input_path_is_an_error_row(tmp_path: Path) -> None:
    f = tmp_path / "notes.xyz"
    f.write_text("hello")
    row, passages = extract_document(f, f.name, sha256_file(f))
    assert row["status"] == "unsupported" and "unsupported file type '.xyz'" in row["error"]
    assert passages == []

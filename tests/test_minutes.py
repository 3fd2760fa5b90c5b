"""The seed document: Hackney Council minutes on the Child Q safeguarding report."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.passages import extract_document
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


def test_a_question_and_its_answer_give_each_sentence_its_speaker() -> None:
    from pipeline.speakers import sentence_speakers

    text = (
        "Councillor Tiernan asked about Recommendation 6. The Head of Education Safeguarding "
        "said that it had not been accepted as written. She added that figures would follow."
    )
    spans = sentence_speakers(text, "Councillor Tiernan")
    assert [s for _, _, s in spans] == [
        "Councillor Tiernan",
        "Head of Education Safeguarding",
        "Head of Education Safeguarding",  # "She added": the speaker before
    ]
    assert text[spans[1][0] : spans[1][1]].startswith("The Head of Education Safeguarding said")


def test_x_and_y_should_names_both_addressees() -> None:
    from pipeline.speakers import minute_addressees

    assert minute_addressees(
        "The Commission noted the update. Northbridge Police and the Schools Partnership "
        "should report back in March."
    ) == ["Northbridge Police", "Schools Partnership"]
    assert minute_addressees(
        "The Director of Children's Services and the Head of Education Safeguarding are asked "
        "to circulate the plan."
    ) == ["Director of Children's Services", "Head of Education Safeguarding"]
    # one body whose name holds "and"; a sentence that asks nobody
    assert minute_addressees(
        "The Children and Young People Scrutiny Commission should see it."
    ) == ["Children and Young People Scrutiny Commission"]
    assert minute_addressees("It should be noted that the plan was late.") == []


def test_demo_minutes_speaker_spans_and_evidence_speaker(demo_run: Path) -> None:
    """In the demo minutes, 6.5 is Councillor Tiernan's question and the Head of Education
    Safeguarding's answer; the not accepted status is the answer's, and so is its speaker."""
    import json

    import pandas as pd

    p = pd.read_parquet(demo_run / "passages.parquet")
    [row] = p[
        (p["doc_id"] == "northbridge-scrutiny-minutes-2025-01-15-html") & (p["ref"] == "6.5")
    ][["speaker", "speaker_spans"]].itertuples(index=False)
    assert row.speaker == "Councillor Tiernan"
    assert [s for _, _, s in json.loads(row.speaker_spans)] == [
        "Councillor Tiernan",
        "Head of Education Safeguarding",
    ]
    ev = pd.read_csv(demo_run / "tables" / "evidence.csv", dtype=str, keep_default_na=False)
    link = ev[(ev["kind"] == "link") & (ev["ref"] == "6.5") & (ev["number"] == "6")]
    assert list(link["speaker"]) == ["Head of Education Safeguarding"]

"""Reply segmentation and per-recommendation stances on made responses of each shape,
and on the shared report / response pairs. The made texts are fictional: they test a
shape, never that the method works on real responses (the shared pairs do that)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.tracing.coverage import coverage
from pipeline.tracing.link import link_passages
from pipeline.tracing.replies import map_replies, reply_stances, reviewed_name, segment_replies
from tests.frames import docs_frame, passages_frame, recs_frame


def _passages(doc_id: str, rows: list[tuple]) -> pd.DataFrame:
    return passages_frame(doc_id, rows, per_page=6)


def _docs(*rows: dict) -> pd.DataFrame:
    return docs_frame(*({**r, "review": ""} for r in rows), doc_type="response")


def _recs(texts: dict[str, str], review: str, doc_id: str = "report-pdf") -> pd.DataFrame:
    return recs_frame(texts, review, doc_id=doc_id, title=f"{review}: report")


# --- shape 1: "Recommendation N" headings, prose replies over pages and section headings


PROSE = [
    ("heading", "", "Government response to the Harbour Safety Committee"),
    ("paragraph", "", "The Government welcomes the Committee's report."),
    ("heading", "1", "Recommendation 1"),
    ("recommendation", "1", "The Government should publish a harbour safety plan within a year."),
    ("paragraph", "", "The Government agrees with the Committee's recommendation."),
    ("paragraph", "", "We will publish the plan by March 2026 after consulting ports."),
    ("heading", "", "Funding for harbour pilots"),
    ("paragraph", "", "The plan will set out funding for pilots in every region."),
    ("heading", "2", "Recommendation 2"),
    ("recommendation", "2", "Every port should appoint a safety officer reporting to its board."),
    (
        "paragraph",
        "",
        "Staffing is a matter for each port authority. We do not believe it is "
        "appropriate for the Government to require a particular post.",
    ),
    ("heading", "3", "Recommendation 3"),
    ("recommendation", "3", "The Government should fund training for all harbour crews."),
    (
        "paragraph",
        "",
        "The Department broadly accepts this recommendation, but will not fund "
        "training for private crews.",
    ),
    ("paragraph", "", "As set out in the response to recommendation 1, the plan covers this."),
    ("heading", "", "Chapter 2: What has been done since 2020"),
    ("paragraph", "22", "Since 2020 the ports have modernised their radios."),
]


def test_prose_replies_run_from_heading_to_heading() -> None:
    replies = segment_replies(_passages("resp", PROSE))
    assert [r.number for r in replies] == ["1", "2", "3"]
    first = replies[0]
    # across a section heading and a page break, up to the next recommendation
    assert "funding for pilots in every region" in first.answer_text
    assert first.page == 1 and first.page_end == 2
    # a cross-reference inside a reply is not a new reply; a new chapter ends the last one
    assert "response to recommendation 1" in replies[2].answer_text
    assert "radios" not in replies[2].answer_text


def test_prose_replies_take_the_stance_of_the_whole_reply() -> None:
    docs = _docs(
        {"doc_id": "report-pdf", "doc_type": "report", "title": "Harbour Safety"},
        {
            "doc_id": "resp",
            "title": "Government response to the Harbour Safety report",
            "date": "2021-01-01",
        },
    )
    recs = _recs({str(k): PROSE[3 + 5 * (k - 1)][2] for k in (1, 2, 3)}, "Harbour Safety")
    recs.loc[1, "text"], recs.loc[2, "text"] = PROSE[9][2], PROSE[12][2]
    passages = _passages("resp", PROSE)
    links = link_passages(passages, docs, recs)
    cov = coverage(recs, links, passages, docs).set_index("number")
    assert cov.loc["1", "stance"] == "accept" and cov.loc["1", "stance_status"] == "accepted"
    assert cov.loc["2", "stance"] in ("reject", "partial")  # a refusal, in prose
    assert cov.loc["3", "stance"] == "partial"  # "broadly accepts ... but will not ..."
    assert cov.loc["3", "stance_status"] == "partially_accepted"
    assert "broadly accepts" in cov.loc["3", "stance_quote"]
    assert cov.loc["1", "stance_page"] == "1"


# --- shape 2: "Recommendation:" / "Response:" blocks inside numbered section headings

BLOCKS = [
    ("heading", "1", "1. Social media and young people"),
    ("paragraph", "", "Recommendation: Platforms should verify the age of every user at sign-up."),
    (
        "paragraph",
        "",
        "Response: The Government accepts this recommendation. Ofcom will "
        "consult on age checks in 2026.",
    ),
    ("heading", "2", "2. Schools"),
    ("paragraph", "", "Recommendation: Schools should teach online safety in every year group."),
    (
        "paragraph",
        "",
        "Response: The Government accepts this recommendation in principle and "
        "will consider how to fit it in the curriculum review.",
    ),
    ("paragraph", "", "Recommendation: Parents should be offered free online safety classes."),
    ("paragraph", "", "Response: The Government does not accept this recommendation."),
]


def test_section_numbers_are_not_recommendation_numbers() -> None:
    replies = segment_replies(_passages("resp", BLOCKS))
    assert len(replies) == 3
    assert all(r.number == "" for r in replies)
    assert replies[1].answer_text.startswith("Response: The Government accepts")
    assert "Schools should teach" in replies[1].ask_text


def test_blocks_are_mapped_to_the_report_by_restatement() -> None:
    """The report numbers its recommendations 4, 9 and 12; the response prints none."""
    docs = _docs(
        {"doc_id": "report-pdf", "doc_type": "report", "title": "Online Lives"},
        {"doc_id": "resp", "title": "Government response to Online Lives", "date": "2021-01-01"},
    )
    recs = _recs(
        {
            "4": "Platforms should verify the age of every user at sign-up.",
            "9": "Schools should teach online safety in every year group.",
            "12": "Parents should be offered free online safety classes.",
        },
        "Online Lives",
    )
    passages = _passages("resp", BLOCKS)
    links = link_passages(passages, docs, recs)
    mapping = map_replies(segment_replies(passages), links)
    assert mapping == {0: ["report-pdf#4"], 1: ["report-pdf#9"], 2: ["report-pdf#12"]}
    cov = coverage(recs, links, passages, docs).set_index("number")
    assert list(cov["stance"]) == ["accept", "partial", "reject"]
    assert list(cov["stance_status"]) == ["accepted", "accepted_in_principle", "not_accepted"]


def test_restated_texts_without_a_label_start_replies() -> None:
    """A response that quotes each recommendation (no "Recommendation" word, no number)
    and answers under it: the linker's restatements are the markers."""
    recs = _recs(
        {
            "2": "Every port should appoint a safety officer reporting to its board each quarter.",
            "5": "The Government should fund accredited training for all harbour crews by 2027.",
        },
        "Harbour Safety",
    )
    rows = [
        ("heading", "", "Government response to the Harbour Safety report"),
        ("paragraph", "", recs.loc[0, "text"]),
        ("paragraph", "", "We agree with the recommendation and will write to ports in May."),
        ("paragraph", "", recs.loc[1, "text"]),
        ("paragraph", "", "We do not accept this recommendation."),
        ("paragraph", "", "Training budgets are a matter for employers."),
    ]
    docs = _docs(
        {"doc_id": "report-pdf", "doc_type": "report", "title": "Harbour Safety"},
        {
            "doc_id": "resp",
            "title": "Government response to the Harbour Safety report",
            "date": "2021-01-01",
        },
    )
    passages = _passages("resp", rows)
    links = link_passages(passages, docs, recs)
    cov = coverage(recs, links, passages, docs).set_index("number")
    assert cov.loc["2", "stance"] == "accept" and cov.loc["5", "stance"] == "reject"
    assert cov.loc["5", "reply_passages"] == "3"


# --- shape 3: sub-parts answered one by one

SUBPARTS = [
    ("recommendation", "5", "Recommendation 5: The four governments should each:"),
    ("paragraph", "(a)", "(a) set up a register of harbour pilots;", "5"),
    ("paragraph", "(b)", "(b) fund a national pilot school.", "5"),
    ("paragraph", "(a)", "(a) Accepted. The register will open in 2026.", "5"),
    ("paragraph", "(b)", "(b) Not accepted. Training is a matter for the ports.", "5"),
    ("recommendation", "6", "Recommendation 6: Ports should publish incident data each year."),
    ("paragraph", "", "Accepted. Ports already publish incident data."),
]


def test_sub_parts_answered_one_by_one() -> None:
    replies = segment_replies(_passages("resp", SUBPARTS))
    assert [r.number for r in replies] == ["5", "6"]
    five = replies[0]
    assert "register of harbour pilots" in five.ask_text  # the restated parts
    assert five.answer_text.startswith("(a) Accepted.")  # the answers, part by part
    docs = _docs({"doc_id": "resp", "title": "Response to the Harbour Inquiry"})
    table = reply_stances(pd.DataFrame(), pd.DataFrame(), _passages("resp", SUBPARTS), docs)
    stance = dict(zip(table["number"], table["stance"], strict=True))
    assert stance == {"5": "partial", "6": "accept"}  # one part accepted, one not


TABLE = [
    ("heading", "", "Action plan: response to the Harbour Inquiry"),
    ("table", "", "Rec no | Recommendation | Response | Status"),
    (
        "table",
        "",
        "1 | Publish a harbour safety plan. | Agreed. The plan was published in May. | Complete",
    ),
    (
        "table",
        "",
        "2 | Appoint a safety officer in every port. | Not agreed: staffing is a "
        "matter for each port. |",
    ),
    (
        "table",
        "",
        "3 | Fund training for all crews. | We will consider funding in the next "
        "budget round. | Under consideration",
    ),
]


def test_a_table_row_is_a_reply() -> None:
    replies = segment_replies(_passages("plan", TABLE))
    assert [r.number for r in replies] == ["1", "2", "3"]
    assert replies[1].ask_text == "Appoint a safety officer in every port."
    assert replies[1].answer_text.startswith("Not agreed")
    docs = _docs({"doc_id": "plan", "title": "Response to the Harbour Inquiry"})
    table = reply_stances(pd.DataFrame(), pd.DataFrame(), _passages("plan", TABLE), docs)
    got = dict(
        zip(table["number"], zip(table["stance"], table["progress"], strict=True), strict=True)
    )
    assert got["1"] == ("accept", "completed")  # progress is read apart from the stance
    assert got["2"][0] == "reject"
    assert got["3"][0] != "accept"


def test_different_answers_for_different_governments_are_partial() -> None:
    rows = [
        ("heading", "7", "Recommendation 7"),
        ("recommendation", "7", "Each government should publish waiting times for pilots."),
        (
            "paragraph",
            "",
            "The UK Government accepts this recommendation and will publish "
            "waiting times from April 2026.",
        ),
        ("paragraph", "", "The Scottish Government does not accept this recommendation."),
        ("heading", "8", "Recommendation 8"),
        ("recommendation", "8", "Each government should review pilot pay."),
        ("paragraph", "", "All four governments accept this recommendation."),
    ]
    docs = _docs({"doc_id": "resp", "title": "Response to the Harbour Inquiry"})
    table = reply_stances(pd.DataFrame(), pd.DataFrame(), _passages("resp", rows), docs)
    assert dict(zip(table["number"], table["stance"], strict=True)) == {
        "7": "partial",
        "8": "accept",
    }


# --- readings kept across runs


def test_reply_readings_are_kept_across_runs(tmp_path: Path, monkeypatch) -> None:
    """A second run reads nothing again and gives the same table; a reply whose text
    changed is read again; the cache holds only the last run's replies."""
    import pipeline.tracing.replies as replies

    docs = _docs({"doc_id": "plan", "title": "Response to the Harbour Inquiry"})
    first = reply_stances(
        pd.DataFrame(), pd.DataFrame(), _passages("plan", TABLE), docs, cache_dir=tmp_path
    )
    kept = tmp_path / replies.READINGS_CACHE
    assert kept.exists()

    def no_reading(*args, **kwargs):
        raise AssertionError("a kept reading was read again")

    monkeypatch.setattr(replies, "decide", no_reading)
    again = reply_stances(
        pd.DataFrame(), pd.DataFrame(), _passages("plan", TABLE), docs, cache_dir=tmp_path
    )
    pd.testing.assert_frame_equal(first, again)
    monkeypatch.undo()

    changed = [(kind, ref, text.replace("Not agreed:", "Agreed:")) for kind, ref, text in TABLE]
    table = reply_stances(
        pd.DataFrame(), pd.DataFrame(), _passages("plan", changed), docs, cache_dir=tmp_path
    )
    assert dict(zip(table["number"], table["stance"], strict=True))["2"] == "accept"
    assert len(replies.store.read_keyed(kept, replies.store.package_code_key())) == len(table)


def test_a_damaged_reading_is_read_again(tmp_path: Path) -> None:
    """A kept entry that is not a reading (a file edited by hand) is read again."""
    import pipeline.tracing.replies as replies

    docs = _docs({"doc_id": "plan", "title": "Response to the Harbour Inquiry"})
    plain = reply_stances(pd.DataFrame(), pd.DataFrame(), _passages("plan", TABLE), docs)
    reply_stances(
        pd.DataFrame(), pd.DataFrame(), _passages("plan", TABLE), docs, cache_dir=tmp_path
    )
    kept = tmp_path / replies.READINGS_CACHE
    key = replies.store.package_code_key()
    damaged = {k: ["accept"] for k in replies.store.read_keyed(kept, key)}
    replies.store.write_keyed(damaged, kept, key)
    table = reply_stances(
        pd.DataFrame(), pd.DataFrame(), _passages("plan", TABLE), docs, cache_dir=tmp_path
    )
    pd.testing.assert_frame_equal(table, plain)


def test_reply_readings_without_a_writable_cache(tmp_path: Path) -> None:
    """A cache folder that cannot be written loses nothing: the readings are made."""
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the cache folder would be")
    docs = _docs({"doc_id": "plan", "title": "Response to the Harbour Inquiry"})
    table = reply_stances(
        pd.DataFrame(), pd.DataFrame(), _passages("plan", TABLE), docs, cache_dir=blocker
    )
    plain = reply_stances(pd.DataFrame(), pd.DataFrame(), _passages("plan", TABLE), docs)
    pd.testing.assert_frame_equal(table, plain)


# --- a response that restates the recommendations of a report that is not here


def test_a_response_stands_in_for_a_missing_report() -> None:
    docs = _docs(
        {"doc_id": "resp", "title": "Response to the Harbour Inquiry", "date": "2025-02-01"}
    )
    cov = coverage(
        pd.DataFrame(columns=["rec_id", "review", "number", "text", "addressees"]),
        pd.DataFrame(),
        _passages("resp", SUBPARTS),
        docs,
    )
    assert list(cov["number"]) == ["5", "6"]
    assert set(cov["review"]) == {"Harbour Inquiry"}
    assert list(cov["rec_id"]) == ["resp#5", "resp#6"]
    assert list(cov["first_mentioned"]) == ["2025-02-01"] * 2


def test_a_passing_mention_is_no_reply() -> None:
    rows = [
        ("paragraph", "", "Recommendation 4 of the review is under way."),
        ("paragraph", "", "The board noted the update."),
    ]
    assert segment_replies(_passages("minutes", rows)) == []


# --- the shared pairs


def test_shared_pairs_replies_and_stances(corpus_run: Path, labels_dir: Path) -> None:
    from pipeline.evaluate.replies import Run, evaluate_replies
    from pipeline.tracing.stance import StanceModel

    figures, items = evaluate_replies(labels_dir, Run.read(corpus_run), model=StanceModel.load())
    fig = figures.set_index("pair")
    assert {"behaviour_change", "space_economy", "grenfell_phase2"} <= set(fig.index)
    assert (fig["linked_share"] >= 0.95).all()
    assert fig.loc["all", "link_precision"] >= 0.9
    assert fig.loc["grenfell_phase2", "opens_with_label"] >= 0.95
    # leave one response out: trained on the other two only
    assert fig.loc["all", "stance_lodo"] >= 0.8
    assert fig.loc["all", "stance_lodo"] > fig.loc["all", "stance_rule"]
    assert len(items) == fig.loc["all", "recommendations"]


def test_shared_coverage_has_a_stance_for_every_keyed_recommendation(corpus_run: Path) -> None:
    cov = pd.read_csv(
        corpus_run / "tables" / "recommendation_coverage.csv", dtype=str, keep_default_na=False
    )
    grenfell = cov[cov["rec_id"].str.startswith("grenfell")]
    assert len(grenfell) == 58 and (grenfell["stance"] != "").all()
    bc = cov[cov["review"] == "Behaviour Change"]
    assert (bc["stance"] != "").sum() >= 32
    assert (bc["stance_quote"] != "").sum() >= 32


@pytest.mark.parametrize("n", [1, 2])
def test_reply_ids_are_in_reading_order(n: int) -> None:
    replies = segment_replies(_passages("resp", PROSE))
    ids = replies[n].passage_ids
    assert ids == sorted(ids)


def test_a_recommendation_line_read_as_a_paragraph_still_starts_a_reply() -> None:
    """OCR often gives a "Recommendation 4" heading as a paragraph of its own."""
    rows = [(k if k != "heading" else "paragraph", ref, text) for k, ref, text in PROSE[2:15]]
    rows = [(k, "" if k == "paragraph" else ref, t) for k, ref, t in rows]
    replies = segment_replies(_passages("scan", rows))
    assert [r.number for r in replies] == ["1", "2", "3"]


def test_a_reply_between_two_mapped_ones_is_mapped_by_order() -> None:
    rows = [
        ("heading", "1", "Recommendation 1"),
        ("paragraph", "", "We agree and will act."),
        ("heading", "2", "Recommendation 2"),
        ("paragraph", "", "We agree in part."),
        ("heading", "3", "Recommendation 3"),
        ("paragraph", "", "We do not agree."),
    ]
    replies = segment_replies(_passages("resp", rows))
    links = pd.DataFrame(
        {
            "passage_id": ["resp:00000", "resp:00004"],
            "rec_id": ["r#10", "r#12"],
            "method": ["explicit", "explicit"],
            "score": [0.9, 0.9],
        }
    )
    order = ["r#9", "r#10", "r#11", "r#12", "r#13"]
    assert map_replies(replies, links, order=order) == {0: ["r#10"], 1: ["r#11"], 2: ["r#12"]}
    assert map_replies(replies, links, order=["r#10", "r#12"])[1] == []  # the gap disagrees


@pytest.mark.parametrize(
    ("title", "name"),
    [
        (
            "UK Government Response to the Grenfell Tower Inquiry Phase 2 Report",
            "Grenfell Tower Inquiry Phase 2 Report",
        ),
        (
            "Government response to the House of Lords Committee report: 'The Space Economy'",
            "House of Lords Committee report: 'The Space Economy'",
        ),
        ("Harbour Safety Action Plan", "Harbour Safety Action Plan"),
    ],
)
def test_reviewed_name(title: str, name: str) -> None:
    assert reviewed_name(title) == name

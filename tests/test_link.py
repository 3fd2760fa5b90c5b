"""Linking: explicit references, restatements and the replies under them, similarity,
review resolution, coverage and trace; end to end on the shared corpus and the demo."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline import schema, store
from pipeline.evaluate.links import evaluate_links
from pipeline.gold import load_gold
from pipeline.tracing.coverage import coverage, find_review, trace_review
from pipeline.tracing.link import link_passages
from pipeline.tracing.references import expand_reference, find_references
from pipeline.tracing.reviews import ReviewIndex, document_review, title_names
from tests.frames import docs_frame, passages_frame, recs_frame

ROOT = Path(__file__).resolve().parents[1]

# --- explicit references ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Recommendation 3 has been completed.", [("3",)]),
        ("Recommendations 4 and 5 are in progress:", [("4", "5")]),
        ("recommendations 3, 4 and 7", [("3", "4", "7")]),
        ("As set out under R3, the police will act.", [("3",)]),
        ("See rec. 12 above.", [("12",)]),
        ("Recommendation 4(c)(ii) is not accepted.", [("4",)]),
        ("Recommendation 4a and recommendation 9", [("4", "9")]),
        ("Recommendation 8.30 identifies how we will act.", [("8.30",)]),
        ("Recommendation 4 of the Missing Education thematic review", [("4",)]),
        ("Bearing in mind our concern (see paragraph 5.14 above)", []),
        ("the Rocketry Research Teaching and Training (R2T2) PhD programme", []),
        ("The Council is not named in any of the 14 recommendations.", []),
        ("the recommendations in 2024 were", []),
    ],
)
def test_find_references(text: str, numbers: list[tuple[str, ...]]) -> None:
    assert [r.numbers for r in find_references(text)] == numbers


@pytest.mark.parametrize(
    ("text", "expanded"),
    [
        ("Recommendations 8.14-8.16", ["8.14", "8.15", "8.16"]),
        ("recommendations 8.14 to 8.16", ["8.14", "8.15", "8.16"]),
        ("Recommendations 2–4", ["2", "3", "4"]),
        ("Recommendations 8.14 and 8.16", ["8.14", "8.16"]),
    ],
)
def test_ranges_expand_to_the_numbers_that_exist(text: str, expanded: list[str]) -> None:
    existing = ["2", "3", "4", "8.13", "8.14", "8.15", "8.16", "8.17"]
    (ref,) = find_references(text)
    assert expand_reference(ref, existing) == expanded


# --- small hand-built corpora -----------------------------------------------------------

REC_TEXTS = {
    "8.1": "We recommend that the Department of Health commission a review of weight "
    "management services, including the Health Trainers programme, across the country.",
    "8.2": "We urge the Department for Transport to prioritise funding for research into "
    "reducing car use for longer journeys and to run pilots of the most promising schemes.",
    "8.3": "Voluntary agreements with commercial organisations should be independently "
    "evaluated against measurable and time-limited outcomes.",
    "8.4": "The Public Health Responsibility Deal pledges on salt and alcohol should be "
    "reviewed against the evidence of what changes behaviour.",
    "8.5": "We recommend that the Government publish targets for a reduction in carbon "
    "emissions from car travel and an estimate of the reduction each policy will achieve.",
}


def _recs(texts: dict[str, str], review: str = "Healthy Travel", doc_id: str = "report-pdf"):
    return recs_frame(texts, review, doc_id=doc_id)


def _links_by_seq(links: pd.DataFrame) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for row in links.sort_values(["passage_id", "rank"]).itertuples(index=False):
        out.setdefault(int(row.passage_id.split(":")[1]), []).append(row.number)
    return out


RESPONSE = [
    ("heading", "", "Government response to the Healthy Travel report"),
    (
        "paragraph",
        "",
        "The Government welcomes the report on healthy travel, weight management "
        "services, car use, voluntary agreements and carbon targets, and the recommendations.",
    ),
    ("heading", "", "Committee recommendation"),
    ("paragraph", "8.1", REC_TEXTS["8.1"]),
    ("paragraph", "", "The Government accepts this recommendation."),
    ("paragraph", "", "NICE will publish guidance on weight management and trainers next year."),
    ("heading", "", "Committee recommendation"),
    ("paragraph", "8.3", REC_TEXTS["8.3"]),
    ("paragraph", "8.4", REC_TEXTS["8.4"]),
    ("paragraph", "", "The salt pledges of the Responsibility Deal have already cut salt intake."),
    ("paragraph", "", "We agree with the Committee that every voluntary agreement is evaluated."),
    ("heading", "", "Committee recommendation"),
    ("paragraph", "8.4", REC_TEXTS["8.5"]),  # misprinted number: the words are 8.5's
    (
        "paragraph",
        "",
        "The Government does not accept this. Our response under recommendation "
        "8.2 sets out how we will cut emissions from cars.",
    ),
]


def test_restatements_and_the_replies_under_them() -> None:
    docs = docs_frame(
        {"doc_id": "report-pdf", "doc_type": "report"},
        {"doc_id": "resp", "title": "Government response to the Healthy Travel report"},
    )
    links = link_passages(passages_frame("resp", RESPONSE), docs, _recs(REC_TEXTS))
    by_seq = _links_by_seq(links)
    assert 1 not in by_seq  # the introduction shares words with every recommendation
    assert by_seq[3] == ["8.1"] and by_seq[4] == ["8.1"] and by_seq[5] == ["8.1"]
    assert by_seq[7] == ["8.3"] and by_seq[8] == ["8.4"]
    assert by_seq[9] == ["8.4"]  # the reply speaks of the salt pledges only
    assert by_seq[10] == ["8.3"]  # ... and this one of voluntary agreements only
    assert by_seq[12] == ["8.5"]  # restated words win over the misprinted "8.4"
    assert by_seq[13] == ["8.5"]  # "recommendation 8.2" here is a cross-reference
    status = links.set_index("passage_id")["status"]
    assert status["resp:00004"] == "accepted"
    assert status["resp:00013"] == "not_accepted"
    assert status["resp:00003"] == ""  # a restatement states no status
    methods = links.set_index("passage_id")["method"]
    assert methods["resp:00003"] == "restatement"
    assert "heading" in methods["resp:00004"]


def test_a_response_that_numbers_the_recommendations_its_own_way() -> None:
    texts = {str(n): t for n, t in zip((2, 4, 7, 9, 11), REC_TEXTS.values(), strict=True)}
    rows = []
    for k, t in enumerate(texts.values(), start=1):
        rows += [
            ("heading", str(k), f"Recommendation {k}"),
            ("recommendation", str(k), t),
            ("paragraph", "", "The Government will set out its plans in the spring publication."),
        ]
    rows.append(("heading", "", "Annex: the fund"))
    rows.append(("paragraph", "", "As explained under Recommendation 3, the fund is open now."))
    docs = docs_frame(
        {"doc_id": "report-pdf", "doc_type": "report"}, {"doc_id": "resp", "title": "Response"}
    )
    links = link_passages(passages_frame("resp", rows), docs, _recs(texts))
    by_seq = _links_by_seq(links)
    assert by_seq[0] == ["2"] and by_seq[1] == ["2"] and by_seq[2] == ["2"]
    assert by_seq[3] == ["4"] and by_seq[6] == ["7"]  # "Recommendation 3" heading = report's 7
    assert by_seq[16] == ["7"]  # the response's "Recommendation 3" read through its numbering


MINUTES = [
    ("heading", "6", "Healthy Travel review: update"),
    (
        "paragraph",
        "6.1",
        "The Director introduced the report on healthy travel and said that "
        "weight management, car use, voluntary agreements and carbon targets were all covered.",
    ),
    ("paragraph", "6.2", "Recommendation 8.2 had been completed."),
    (
        "paragraph",
        "6.3",
        "Officers said the review of weight management services and of the Health "
        "Trainers programme was now in progress.",
    ),
    ("paragraph", "6.4", "Recommendations 8.3 and 8.4 were in progress:"),
    (
        "bullet",
        "",
        "independent evaluation of voluntary agreements against measurable outcomes had begun;",
        "6.4",
    ),
    ("bullet", "", "the salt pledges of the Responsibility Deal were being reviewed.", "6.4"),
    ("heading", "7", "Cycling Strategy – recommendations"),
    (
        "paragraph",
        "7.1",
        "Recommendation 1 of the Cycling Strategy, more cycle lanes in every "
        "town centre, was planned for next year.",
    ),
    ("paragraph", "7.2", "The Chair thanked officers for the update."),
]


def test_minutes_number_paraphrase_bullets_and_another_review() -> None:
    recs = pd.concat(
        [
            _recs(REC_TEXTS),
            _recs(
                {"1": "The council should build more cycle lanes in every town centre."},
                review="Cycling Strategy",
                doc_id="cycling-pdf",
            ),
        ]
    )
    docs = docs_frame(
        {"doc_id": "report-pdf", "doc_type": "report"},
        {"doc_id": "cycling-pdf", "doc_type": "report"},
        {
            "doc_id": "minutes",
            "doc_type": "minutes",
            "review": "Healthy Travel",
            "date": "2021-03-01",
        },
    )
    links = link_passages(passages_frame("minutes", MINUTES), docs, recs)
    by_seq = _links_by_seq(links)
    assert 1 not in by_seq and 9 not in by_seq
    assert by_seq[2] == ["8.2"]
    assert by_seq[3] == ["8.1"]  # by paraphrase
    assert sorted(by_seq[4]) == ["8.3", "8.4"]
    assert by_seq[5] == ["8.3"] and by_seq[6] == ["8.4"]
    cyc = links[links["passage_id"] == "minutes:00008"]
    assert list(cyc["rec_id"]) == ["cycling-pdf#1"]  # the passage names its review
    status = dict(zip(links["passage_id"] + "#" + links["number"], links["status"], strict=True))
    assert status["minutes:00002#8.2"] == "completed"
    assert status["minutes:00003#8.1"] == "in_progress"
    assert status["minutes:00008#1"] == "planned"


def test_a_table_with_a_recommendation_column() -> None:
    rows = [
        ("table", "", "Recommendation | Lead | Status"),
        ("table", "", "8.2 | Department for Transport | Completed"),
        ("table", "", "8.5 | Treasury | Not accepted"),
    ]
    docs = docs_frame(
        {"doc_id": "report-pdf", "doc_type": "report"},
        {"doc_id": "upd", "review": "Healthy Travel"},
    )
    links = link_passages(passages_frame("upd", rows), docs, _recs(REC_TEXTS))
    assert list(zip(links["number"], links["status"], strict=True)) == [
        ("8.2", "completed"),
        ("8.5", "not_accepted"),
    ]


@pytest.mark.parametrize(
    ("doc", "linked"),
    [
        ({"doc_id": "report-pdf", "doc_type": "report"}, False),  # the review itself
        ({"doc_id": "old", "review": "Healthy Travel", "date": "2019-05-01"}, False),  # earlier
        ({"doc_id": "other", "review": "Child Q"}, False),  # about a review with none here
        ({"doc_id": "later", "review": "Healthy Travel", "date": "2021-05-01"}, True),
    ],
)
def test_which_documents_are_linked(doc: dict, linked: bool) -> None:
    rows = [("paragraph", "", "Recommendation 8.2 had been completed in full.")]
    docs = (
        docs_frame({"doc_id": "report-pdf", "doc_type": "report"}, doc)
        if doc["doc_id"] != "report-pdf"
        else docs_frame(doc)
    )
    links = link_passages(passages_frame(doc["doc_id"], rows), docs, _recs(REC_TEXTS))
    assert (len(links) > 0) == linked


@pytest.mark.parametrize(
    ("doc", "opening", "review", "how"),
    [
        ({"review": "Healthy Travel"}, "", "Healthy Travel", "manifest"),
        (
            {"title": "Government Response to the Report on Healthy Travel"},
            "",
            "Healthy Travel",
            "title",
        ),
        (
            {"title": "CP 1478"},
            "This is the response to the committee's Healthy Travel report.",
            "Healthy Travel",
            "opening text",
        ),
        ({"title": "Child Q Safeguarding Report"}, "", "Child Q", "case name in title"),
        (
            {"title": "Keeping children safe in education"},
            "Healthy travel to school helps.",
            "",
            "",
        ),
    ],
)
def test_document_review(doc: dict, opening: str, review: str, how: str) -> None:
    index = ReviewIndex.build(_recs(REC_TEXTS))
    row = pd.Series({"doc_id": "d", "title": "", "review": "", **doc})
    passages = passages_frame("d", [("paragraph", "", opening)] if opening else [])
    if passages.empty:
        passages = pd.DataFrame(columns=["page", "text"])
    assert document_review(row, passages, index) == (review, how)


def test_coverage_and_trace() -> None:
    docs = docs_frame(
        {"doc_id": "report-pdf", "doc_type": "report", "title": "Healthy Travel"},
        {
            "doc_id": "minutes",
            "title": "Board minutes",
            "review": "Healthy Travel",
            "date": "2021-03-01",
        },
        {
            "doc_id": "later",
            "title": "Board minutes (June)",
            "review": "Healthy Travel",
            "date": "2021-06-01",
        },
    )
    passages = pd.concat(
        [
            passages_frame(
                "minutes", [("paragraph", "6.2", "Recommendation 8.2 was in progress.")]
            ),
            passages_frame(
                "later", [("paragraph", "3.1", "Recommendation 8.2 has been completed.")]
            ),
        ]
    )
    recs = _recs(REC_TEXTS)
    links = link_passages(passages, docs, recs)
    cov = coverage(recs, links, passages, docs).set_index("number")
    assert cov.loc["8.2", "linked_passages"] == 2 and cov.loc["8.2", "linked_documents"] == 2
    assert cov.loc["8.2", "first_mentioned"] == "2021-03-01"
    assert cov.loc["8.2", "last_mentioned"] == "2021-06-01"
    assert cov.loc["8.2", "latest_status"] == "completed"
    assert not cov.loc["8.2", "silent"] and cov.loc["8.1", "silent"]
    assert list(cov.index) == ["8.1", "8.2", "8.3", "8.4", "8.5"]
    text = trace_review(
        "Healthy Travel", recommendations=recs, links=links, passages=passages, documents=docs
    )
    assert "Board minutes (June) (2021-06-01), p1 ¶3.1: completed" in text
    assert "Silent: 8.1, 8.3, 8.4, 8.5" in text
    one = trace_review(
        "Healthy Travel",
        recommendations=recs,
        links=links,
        passages=passages,
        documents=docs,
        number="8.2",
    )
    assert "Recommendation 8.1" not in one and "Recommendation 8.2" in one
    assert find_review(recs, "healthy travel") == "Healthy Travel"
    with pytest.raises(KeyError, match="known reviews: Healthy Travel"):
        find_review(recs, "Child Z")


def test_no_recommendations_no_links() -> None:
    links = link_passages(
        passages_frame("d", [("paragraph", "", "Recommendation 1 is done.")]),
        docs_frame({"doc_id": "d"}),
        schema.RECOMMENDATIONS.empty(),
    )
    assert links.empty and list(links.columns[:7]) == list(schema.LINKS.columns)


# --- end to end ---------------------------------------------------------------------------


@pytest.mark.corpus
def test_links_dev_targets(corpus_run: Path, labels_dir: Path) -> None:
    gold = load_gold(labels_dir / "links_dev.csv", ("doc", "quote", "review", "numbers", "status"))
    scores = evaluate_links(
        gold,
        store.read_table(schema.LINKS, corpus_run),
        store.read_table(schema.PASSAGES, corpus_run),
        store.read_table(schema.DOCUMENTS, corpus_run),
    )
    assert scores.value("unlocated") == 0
    assert scores.value("top1_accuracy") >= 0.90
    assert scores.value("link_precision") >= 0.85
    assert scores.value("status_accuracy") >= 0.85


@pytest.mark.corpus
def test_space_economy_response_is_traced_through_its_own_numbering(corpus_run: Path) -> None:
    links = store.read_table(schema.LINKS, corpus_run)
    passages = store.read_table(schema.PASSAGES, corpus_run).set_index("passage_id")
    resp = links[links["doc_id"] == "thespaceeconomyresponse-pdf"]
    restated = resp[resp["method"] == "restatement"]
    # the response restates 40 of the report's 79 numbered conclusions and recommendations
    assert restated["number"].nunique() == 40
    headings = resp[passages.loc[resp["passage_id"], "kind"].to_numpy() == "heading"]
    texts = passages.loc[headings["passage_id"], "text"]
    pairs = dict(zip(texts, headings["number"], strict=True))
    # "Recommendation 1" of the response is paragraph 4 of the report's summary, 40 is 79
    assert pairs["Recommendation 1"] == "4"
    assert pairs["Recommendation 40"] == "79"
    assert set(headings["number"]) == set(restated["number"])


@pytest.mark.corpus
def test_documents_about_no_review_are_not_linked(corpus_run: Path) -> None:
    links = store.read_table(schema.LINKS, corpus_run)
    docs = store.read_table(schema.DOCUMENTS, corpus_run).set_index("doc_id")
    # guidance, a survey report and minutes of another review answer no recommendation
    for path in (
        "Keeping_children_safe_in_education_2025.pdf",
        "Childrens_Social_Care_National_Framework__Dec_2023.pdf",
        "ADCS_Safeguarding_Pressures_Phase9_FINAL.pdf",
        "hackney_minutes_child_q_2022.txt",
    ):
        [doc_id] = docs.index[docs["path"] == path]
        assert doc_id not in set(links["doc_id"]), path
    assert {"behaviour-change-response-pdf", "thespaceeconomyresponse-pdf"} <= set(links["doc_id"])
    cov = pd.read_csv(corpus_run / "tables" / "recommendation_coverage.csv")
    assert (cov["review"] == "Behaviour Change").sum() == 33
    # the summary's 40 recommendations (the finder may keep a few of its conclusions)
    assert 40 <= (cov["review"] == "The Space Economy").sum() <= 79
    bc = cov[cov["review"] == "Behaviour Change"]
    assert not bc["silent"].any()  # the response answers every one of 8.1-8.33


def _answer_key() -> pd.DataFrame:
    return pd.read_csv(
        ROOT / "scripts" / "demo_corpus" / "answer_key.csv", dtype=str, keep_default_na=False
    )


def test_demo_every_reported_recommendation_is_linked(demo_run: Path) -> None:
    links = store.read_table(schema.LINKS, demo_run)
    passages = store.read_table(schema.PASSAGES, demo_run)
    documents = store.read_table(schema.DOCUMENTS, demo_run)
    key = _answer_key()
    scores = evaluate_links(key, links, passages, documents)
    items = scores.items.assign(review=key["review"])
    for row in items[items["gold"] != ""].itertuples(index=False):
        predicted = set(row.predicted.split(";"))
        missing = set(row.gold.split(";")) - predicted
        assert not missing or row.quote.startswith("Superintendent Rahman"), (row.quote, missing)
    assert scores.value("link_precision") >= 0.9
    assert scores.value("status_accuracy") >= 0.9
    assert scores.value("none_accuracy") == 1.0
    numbered = links[links["method"].str.contains("explicit")]
    paraphrased = links[~links["method"].str.contains("explicit")]
    reported = {("Child L", n) for n in "12345678"} | {
        ("Child L", "9"),
        ("Missing Education", "1"),
        ("Missing Education", "4"),
    }
    got = set(zip(links["review"], links["number"], strict=True))
    assert reported <= got
    # 10 is silent in every document; 8 was until the May 2025 update ("has not yet started")
    assert ("Child L", "10") not in got
    by_number = set(zip(numbered["review"], numbered["number"], strict=True))
    by_words = set(zip(paraphrased["review"], paraphrased["number"], strict=True))
    assert {("Child L", n) for n in ("1", "2", "3", "6", "7")} <= by_number
    assert {("Child L", n) for n in ("1", "2", "4", "5", "7", "9")} <= by_words
    assert ("Missing Education", "1") in by_words and ("Missing Education", "4") in by_number


def test_demo_hackney_minutes_are_not_linked_to_child_l(demo_run: Path) -> None:
    links = store.read_table(schema.LINKS, demo_run)
    assert "hackney-minutes-child-q-2022-txt" not in set(links["doc_id"])
    cov = pd.read_csv(demo_run / "tables" / "recommendation_coverage.csv", dtype=str)
    silent = cov[cov["silent"] == "True"]
    assert set(zip(silent["review"], silent["number"], strict=True)) == {
        ("Child L", "10"),  # 8 is reported on by the May 2025 update
        ("Missing Education", "2"),
        ("Missing Education", "3"),
        ("Missing Education", "5"),
    }


def test_a_manifest_review_name_is_matched_ignoring_case() -> None:
    rows = [("paragraph", "", "Recommendation 8.2 had been completed in full.")]
    docs = docs_frame(
        {"doc_id": "report-pdf", "doc_type": "report"},
        {"doc_id": "upd", "review": "healthy travel"},
    )
    links = link_passages(passages_frame("upd", rows), docs, _recs(REC_TEXTS))
    assert list(links["rec_id"]) == ["report-pdf#8.2"]


@pytest.mark.parametrize("printed", ["1", "2"])
def test_the_printed_number_decides_between_recommendations_that_share_words(printed: str) -> None:
    common = (
        "The UK government and the devolved administrations should work together to "
        "strengthen the preparedness of the whole system for civil emergencies"
    )
    texts = {
        "1": common + ", and should publish a strategy every three years.",
        "2": common + ", and should hold an exercise every three years.",
    }
    rows = [
        ("heading", printed, f"Recommendation {printed}"),
        ("recommendation", printed, common + "."),
        ("paragraph", "", "The government accepts this recommendation."),
    ]
    docs = docs_frame(
        {"doc_id": "report-pdf", "doc_type": "report"},
        {"doc_id": "resp", "review": "Healthy Travel"},
    )
    links = link_passages(passages_frame("resp", rows), docs, _recs(texts))
    assert set(links["number"]) == {printed}


def test_shared_themes_and_addressees_are_supporting_evidence_only() -> None:
    recs = _recs(REC_TEXTS).assign(themes="health_trauma", addressees="Department of Health")
    rows = [
        ("paragraph", "", "The Department of Health met partners about something else entirely."),
        (
            "paragraph",
            "",
            "The Department of Health has commissioned the review of weight "
            "management services and of the Health Trainers programme.",
        ),
    ]
    themes = pd.DataFrame(
        {
            "passage_id": ["upd:00000", "upd:00001"],
            "doc_id": "upd",
            "theme": "health_trauma",
            "method": "rule",
            "score": 1.0,
            "evidence": "",
        }
    )
    docs = docs_frame(
        {"doc_id": "report-pdf", "doc_type": "report"},
        {"doc_id": "upd", "review": "Healthy Travel"},
    )
    links = link_passages(passages_frame("upd", rows), docs, recs, themes=themes)
    assert list(links["passage_id"]) == ["upd:00001"]  # themes and addressee alone link nothing
    evidence = links["evidence"].iloc[0]
    assert "addressee Department of Health" in evidence and "themes health_trauma" in evidence


def test_a_reply_under_each_recommendation_number() -> None:
    """ "Recommendation 2 - Accepted. ..." (the reply carries the number as its label) links
    to recommendation 2 explicitly, with the status it opens with."""
    rows = [
        ("heading", "", "Our response to the recommendations"),
        ("recommendation", "8.2", "Accepted. Funding for two pilots was agreed in March."),
        (
            "recommendation",
            "8.5",
            "Partially accepted. A target will be set; an estimate for each policy will not.",
        ),
    ]
    docs = docs_frame(
        {"doc_id": "report-pdf", "doc_type": "report"},
        {"doc_id": "resp", "doc_type": "response", "review": "Healthy Travel"},
    )
    links = link_passages(passages_frame("resp", rows), docs, _recs(REC_TEXTS))
    got = {
        (n, st)
        for n, st, m in zip(links["number"], links["status"], links["method"], strict=True)
        if "explicit" in m
    }
    assert got == {("8.2", "accepted"), ("8.5", "partially_accepted")}


@pytest.mark.parametrize(
    "header",
    [
        "Rec no | Response | Status",
        "Rec. No. | Lead | Status",
        "Recommendation number | Lead | Status",
    ],
)
def test_a_table_whose_number_column_is_headed_rec_no(header: str) -> None:
    rows = [("table", "", header), ("table", "", "8.2 | Department for Transport | Completed")]
    docs = docs_frame(
        {"doc_id": "report-pdf", "doc_type": "report"},
        {"doc_id": "upd", "review": "Healthy Travel"},
    )
    links = link_passages(passages_frame("upd", rows), docs, _recs(REC_TEXTS))
    assert list(zip(links["number"], links["status"], strict=True)) == [("8.2", "completed")]


@pytest.mark.parametrize(
    ("title", "names"),
    [
        (
            "The Harrowmere Independent Inquiry into the death of Child T",
            {"harrowmere independent inquiry"},
        ),
        ("Local Child Safeguarding Practice Review: Child L", {"child l"}),
        ("Behaviour Change: report of the Science and Technology Committee", {"behaviour change"}),
        ("Serious Case Review", set()),
    ],
)
def test_title_names(title: str, names: set[str]) -> None:
    assert title_names(title) == names


def test_a_review_named_by_part_of_its_title() -> None:
    """Minutes that speak of "the Harrowmere Independent Inquiry" are about the review
    titled "The Harrowmere Independent Inquiry into the death of Child T"."""
    recs = _recs(REC_TEXTS, review="Child T")
    recs["title"] = "The Harrowmere Independent Inquiry into the death of Child T"
    index = ReviewIndex.build(recs)
    assert index.mentioned("Item 4: Harrowmere Independent Inquiry: progress report") == ["Child T"]


def test_lettered_recommendations_are_referred_to_by_letter() -> None:
    recs = _recs(
        {
            "A": "Kestrel Valley Council should offer a health visitor contact to new families.",
            "B": "The Partnership should publish a guide for practitioners on bruising.",
        }
    )
    rows = [
        ("paragraph", "2.1", "Recommendation B has been completed: the guide was published."),
        ("paragraph", "2.2", "The recommendation a practitioner raised was discussed."),
    ]
    docs = docs_frame(
        {"doc_id": "report-pdf", "doc_type": "report"},
        {"doc_id": "upd", "review": "Healthy Travel"},
    )
    links = link_passages(passages_frame("upd", rows), docs, recs)
    explicit = links[links["method"].str.contains("explicit")]
    assert list(zip(explicit["number"], explicit["status"], strict=True)) == [("B", "completed")]


def test_a_numbered_heading_of_an_unknown_review_is_not_another_reviews_number() -> None:
    """A response to a report that is not in the corpus prints "Recommendation 2" headings
    and replies: its 2 is not the 2 of a review that is there."""
    rows = []
    for k in (1, 2, 3):
        rows += [
            ("heading", str(k), f"Recommendation {k}"),
            ("paragraph", "", "That the regulator publish its inspection findings each year."),
            ("paragraph", "", "The government accepts this recommendation and will legislate."),
        ]
    docs = docs_frame(
        {"doc_id": "report-pdf", "doc_type": "report"},
        {"doc_id": "other-resp", "doc_type": "response", "title": "Response to the Tower Inquiry"},
    )
    recs = _recs({"1": REC_TEXTS["8.1"], "2": REC_TEXTS["8.3"], "3": REC_TEXTS["8.4"]})
    links = link_passages(passages_frame("other-resp", rows), docs, recs)
    assert links.empty


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Child Q review said so.", "The   review said so."),
        ("THE CHILD Q REVIEW; child q again", "THE   REVIEW;   again"),
        ("Child Qs are not Child Q.", "Child Qs are not  ."),
        ("Nothing named here.", "Nothing named here."),
        ("Café Child Q — naïve", "Café   — naïve"),  # not ASCII: the regex alone decides
        ("Behaviour Change and Child Q", "  and  "),
    ],
)
def test_strip_names_removes_each_review_name_in_any_case(text: str, expected: str) -> None:
    import re

    from pipeline.tracing.document_links import strip_names

    names = ["Child Q", "Behaviour Change"]
    reference = text
    for name in names:  # what strip_names is defined to do
        reference = re.sub(rf"\b{re.escape(name)}\b", " ", reference, flags=re.I)
    assert strip_names(text, names) == reference == expected


# --- each document linked on its own, and cached ---------------------------------------


def _two_documents() -> tuple[pd.DataFrame, pd.DataFrame]:
    docs = docs_frame(
        {"doc_id": "report-pdf", "doc_type": "report"},
        {"doc_id": "resp", "title": "Government response to the Healthy Travel report"},
        {
            "doc_id": "minutes",
            "doc_type": "minutes",
            "review": "Healthy Travel",
            "date": "2021-03-01",
        },
    )
    passages = pd.concat([passages_frame("resp", RESPONSE), passages_frame("minutes", MINUTES)])
    return docs, passages.reset_index(drop=True)


def test_a_documents_links_do_not_change_when_another_document_is_added() -> None:
    docs, passages = _two_documents()
    recs = _recs(REC_TEXTS)
    both = link_passages(passages, docs, recs)
    alone = link_passages(passages[passages["doc_id"] == "resp"], docs, recs)
    pd.testing.assert_frame_equal(
        both[both["doc_id"] == "resp"].reset_index(drop=True), alone.reset_index(drop=True)
    )
    assert set(both["doc_id"]) == {"resp", "minutes"}


def test_cached_links_are_the_links_and_only_a_changed_document_is_linked_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    docs, passages = _two_documents()
    recs = _recs(REC_TEXTS)
    cache = tmp_path / "links"
    fresh = link_passages(passages, docs, recs)
    first = link_passages(passages, docs, recs, cache_dir=cache)
    assert sorted(p.name for p in cache.glob("*.json")) == ["minutes.json", "resp.json"]
    with caplog.at_level("INFO", logger="pipeline.tracing.link"):
        again = link_passages(passages, docs, recs, cache_dir=cache)
    assert "0 document(s) linked, 2 from the cache" in caplog.text
    pd.testing.assert_frame_equal(fresh, first)
    pd.testing.assert_frame_equal(fresh, again)

    edited = passages.copy()
    row = (edited["doc_id"] == "minutes").idxmax()
    edited.loc[row, "text"] = edited.loc[row, "text"] + " Recommendation 8.5 is complete."
    caplog.clear()
    with caplog.at_level("INFO", logger="pipeline.tracing.link"):
        changed = link_passages(edited, docs, recs, cache_dir=cache)
    assert "1 document(s) linked, 1 from the cache" in caplog.text
    pd.testing.assert_frame_equal(changed, link_passages(edited, docs, recs))

    # new recommendations: every document is linked again
    more = {**REC_TEXTS, "8.6": "Schools should teach cycling proficiency to every pupil."}
    caplog.clear()
    with caplog.at_level("INFO", logger="pipeline.tracing.link"):
        link_passages(edited, docs, _recs(more), cache_dir=cache)
    assert "2 document(s) linked, 0 from the cache" in caplog.text


def test_a_damaged_cache_payload_is_a_miss() -> None:
    from pipeline.tracing.link import _cached_rows

    assert _cached_rows([[["passage_id", "a:00001"], ["score", 0.5]]]) == [
        {"passage_id": "a:00001", "score": 0.5}
    ]
    assert _cached_rows([[1, 2, 3]]) is None
    assert _cached_rows({"rows": []}) is None

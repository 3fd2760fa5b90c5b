"""Recommendation candidates: sentence-level candidates (a sentence set off inside a
prose paragraph), emphasis relative to its surroundings, the heading vocabulary of
lessons, and how a kept sentence becomes the recommendation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.passages import extract_document
from pipeline.tracing.candidates import (
    FEATURES,
    candidate_features,
    document_candidates,
    sentence_candidates,
    sentences,
)
from pipeline.tracing.recmodel import label_candidates
from pipeline.tracing.recommendations import decide, extract_recommendations, merge_copies

ASK = "Make the dates in the timeline show when the event happened."
PARA = f"Timeline view. Participants were keen on the timeline. {ASK} Some found it slow."


def _passages(rows: list[tuple], spans: list[list[list[int]]] | None = None) -> pd.DataFrame:
    """rows: (kind, ref, text); ``spans``: each row's underlined spans."""
    out = []
    for seq, (kind, ref, text) in enumerate(rows):
        out.append(
            {
                "passage_id": f"d:{seq:05d}",
                "doc_id": "d",
                "seq": seq,
                "page": 1,
                "ref": ref,
                "parent_ref": "",
                "kind": kind,
                "speaker": "",
                "text": text,
                "italic": 0.0,
                "underline_spans": json.dumps(spans[seq]) if spans and spans[seq] else "",
            }
        )
    return pd.DataFrame(out)


def _ux_rows(underlined: bool) -> pd.DataFrame:
    start = PARA.index(ASK)
    rows = [
        ("heading", "4.5", "User experience assessment"),
        ("paragraph", "", "Recommendations are underlined in the text below."),
        ("paragraph", "", PARA),
        ("paragraph", "", "Search. Participants searched case notes quickly and found them."),
    ]
    spans = [[], [], [[start, start + len(ASK)]] if underlined else [], []]
    return _passages(rows, spans)


def test_sentences_split_at_sentence_ends_only() -> None:
    text = "Explore ways to tell children apart, e.g., adding ages. Consider dates (e.g. on p. 2)."
    assert [text[a:b] for a, b in sentences(text)] == [
        "Explore ways to tell children apart, e.g., adding ages.",
        "Consider dates (e.g. on p. 2).",
    ]


def test_an_underlined_sentence_inside_prose_is_a_candidate() -> None:
    cands = document_candidates(_ux_rows(underlined=True))
    sent = [c for c in cands if c.sentence]
    assert [c.text for c in sent] == [ASK]
    (s,) = sent
    parent = cands[s.parent]
    assert parent.text == PARA and not parent.sentence
    assert s.passage_ids == parent.passage_ids and s.underline == 1.0
    # without the underline, the paragraph has no set-off sentence (no ask in words
    # after its first sentence but the imperative "Make ...", which is one)
    plain = [c.text for c in document_candidates(_ux_rows(underlined=False)) if c.sentence]
    assert plain == [ASK]


def test_a_paragraph_underlined_throughout_sets_nothing_apart() -> None:
    text = "The tool saves time. Users found documents faster than before."
    p = _passages([("heading", "", "Benefits"), ("paragraph", "", text)], [[], [[0, len(text)]]])
    assert not any(c.sentence for c in document_candidates(p))


def test_asks_in_words_and_announcements() -> None:
    text = (
        "The panel heard from staff. We recommend that the partnership reviews its "
        "escalation policy. It found the policy was little known."
    )
    announce = "Summary. Recommendations are underlined in the text below."
    p = _passages(
        [("heading", "", "Findings"), ("paragraph", "", text), ("paragraph", "", announce)],
        [[], [], [[0, len(announce)]]],
    )
    sent = [c.text for c in document_candidates(p) if c.sentence]
    assert sent == ["We recommend that the partnership reviews its escalation policy."]


def test_underline_is_a_contrast_with_the_paragraph() -> None:
    cands = document_candidates(_ux_rows(underlined=True))
    x = candidate_features(cands)
    col = {f: i for i, f in enumerate(FEATURES)}
    s = next(i for i, c in enumerate(cands) if c.sentence)
    parent = cands[s].parent
    assert x[s, col["sentence"]] == 1.0
    share = cands[parent].underline
    assert 0 < share < 0.8
    assert np.isclose(x[s, col["underline_contrast"]], 1.0 - share)
    # the sentence inherits the announcement above its paragraph
    assert x[s, col["section_intro_recommend"]] == 1.0
    # adding sentence candidates changes no other candidate's context features
    base = [c for c in cands if not c.sentence]
    for c in base:
        c.spans = []
    x_base = candidate_features(base)
    keep = [i for i, c in enumerate(cands) if not c.sentence]
    emphasis = [col["underline_contrast"]]
    rest = [j for j in range(len(FEATURES)) if j not in emphasis]
    assert np.array_equal(x[np.ix_(keep, rest)], x_base[:, rest])


def test_lessons_are_their_own_heading_feature() -> None:
    rows = [
        ("heading", "4.1.5", "Lessons Learnt"),
        ("bullet", "", "Gather best practice"),
        ("heading", "4.6", "Next steps and recommendations"),
        ("bullet", "", "Explore input methods for case notes"),
    ]
    cands = document_candidates(_passages(rows))
    x = candidate_features(cands)
    col = {f: i for i, f in enumerate(FEATURES)}
    assert x[0, col["h_lessons"]] == 1.0 and x[0, col["h_recommend"]] == 0.0
    assert x[1, col["h_lessons"]] == 0.0 and x[1, col["h_recommend"]] == 1.0


def test_a_kept_sentence_replaces_its_paragraph() -> None:
    cands = document_candidates(_ux_rows(underlined=True))
    s = next(i for i, c in enumerate(cands) if c.sentence)
    prob = np.zeros(len(cands))
    prob[s] = prob[cands[s].parent] = 0.95
    other = next(i for i, c in enumerate(cands) if c.text.startswith("Search."))
    prob[other] = 0.9
    items = decide(cands, prob)
    assert [it.text for it in items] == [ASK, cands[other].text]
    assert items[0].passage_ids == cands[cands[s].parent].passage_ids
    # the paragraph alone, when its sentence is not kept
    prob[s] = 0.1
    assert decide(cands, prob)[0].text == PARA


def test_training_labels_prefer_the_sentence() -> None:
    cands = document_candidates(_ux_rows(underlined=True))
    gold = pd.DataFrame(
        [{"doc": "d.pdf", "review": "", "number": "1", "opening": ASK[:40], "shape": "unnumbered"}]
    )
    y, w = label_candidates(cands, gold)
    s = next(i for i, c in enumerate(cands) if c.sentence)
    assert y[s] == 1 and w[s] == 1
    assert y[cands[s].parent] == 0 and w[cands[s].parent] == 0


def test_copies_with_the_same_opening_merge_though_one_is_shorter() -> None:
    from pipeline.tracing.recommendations import _Item

    long_ = _Item(
        number="",
        text="Update the file types being added to the case management system (do not allow "
        ".doc files, these should all be .docx) because some services cannot process .doc "
        "files (old versions of Word documents, for example)",
        labelled=False,
        passage_ids=["d:1"],
        pages=[6],
        seq=1,
        numbered=False,
        chapter="Summary",
    )
    short = _Item(
        number="",
        text="Update the file types being added to the case management system (do not allow "
        ".doc files, these should all be .docx)",
        labelled=False,
        passage_ids=["d:9"],
        pages=[51],
        seq=9,
        numbered=False,
        chapter="Next steps",
    )
    (merged,) = merge_copies([long_, short])
    assert merged.text == long_.text and merged.passage_ids == ["d:1", "d:9"]


def test_underlined_asks_in_a_made_pdf_become_sentence_recommendations(tmp_path: Path) -> None:
    """A made report (fictional text): a section says its recommendations are underlined,
    and each paragraph underlines one ask among plain sentences; the shipped model keeps
    the asks, each as its sentence, with the paragraph's passage as provenance."""
    from fpdf import FPDF

    asks = [
        "Ensure the case summary shows the date each note was written.",
        "Consider adding the child's age next to each name in the chart.",
        "Review the colours of the chart with users who are colour blind.",
    ]
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(0, 10, "Evaluation of a case tool", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 10, "User experience assessment", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 11)
    pdf.multi_cell(
        0, 6, "Recommendations are underlined in the text below.", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(4)
    for topic, ask in zip(("Notes", "Names", "Colours"), asks, strict=True):
        for style, text in (
            ("", f"{topic}. Participants talked about the {topic.lower()} in the tool. "),
            ("U", ask),
            ("", " Several of them had seen this in other systems."),
        ):
            pdf.set_font("helvetica", style, 11)
            pdf.write(6, text)
        pdf.ln(10)
    path = tmp_path / "ux.pdf"
    pdf.output(str(path))
    row, plist = extract_document(path, "ux.pdf", "sha", doc_type="report")
    row["review"] = ""
    recs = extract_recommendations(pd.DataFrame(plist), pd.DataFrame([row]))
    assert list(recs["text"]) == asks
    passages = pd.DataFrame(plist).set_index("passage_id")
    for pid, ask in zip(recs["passage_ids"], asks, strict=True):
        assert ask in passages.loc[pid, "text"] and passages.loc[pid, "text"] != ask


def test_sentence_candidates_leave_other_shapes_alone() -> None:
    rows = [
        ("heading", "", "Recommendations"),
        ("paragraph", "1", "The council should review its policy. Ensure staff are trained."),
        ("bullet", "", "Ensure staff are trained. Review the policy."),
    ]
    cands = document_candidates(_passages(rows))
    assert not any(c.sentence for c in cands)
    assert sentence_candidates([]) == []


def test_different_items_with_the_same_opening_stay_apart() -> None:
    from pipeline.tracing.recommendations import _Item

    opening = "The Department for Education should work with local authorities to "
    items = [
        _Item(
            number="",
            text=opening + rest,
            labelled=False,
            passage_ids=[f"d:{i}"],
            pages=[1],
            seq=i,
            numbered=False,
        )
        for i, rest in enumerate(
            (
                "publish a national protocol for sharing records between schools and police.",
                "fund a training programme for designated safeguarding leads in every area.",
            )
        )
    ]
    assert len(merge_copies(items)) == 2

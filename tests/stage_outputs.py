"""Small, realistic stage outputs (documents, passages, themes, recommendations,
links) written with ``pipeline.store``, for testing tables and exports without
running the theme and linking stages.

The text is from the fictional Northbridge demo corpus (see
``scripts/demo_corpus/README.md``), plus one hostile document whose title and
text carry HTML, to check that every export escapes document text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pipeline import schema, store
from pipeline.tracing.coverage import COVERAGE_COLUMNS
from pipeline.tracing.replies import STANCE_COLUMNS

REVIEW = "child-l-review-pdf"
PROGRESS = "progress-report-docx"
MINUTES = "scrutiny-minutes-html"
UNDATED = "hackney-minutes-txt"
HOSTILE = "hostile-notes-txt"
BROKEN = "broken-pdf"

HOSTILE_TITLE = 'Notes on <b>practice</b> & "quotes"'
HOSTILE_TEXT = (
    "Officers searched the pupil at school without an appropriate adult. "
    "<script>alert(1)</script> was pasted into the record."
)

DOCUMENTS = [
    # doc_id, path, format, doc_type, title, date, pages, status, error, review
    (
        REVIEW,
        "child_l_review.pdf",
        "pdf",
        "review",
        "Local Child Safeguarding Practice Review: Child L",
        "2024-03-12",
        6,
        "ok",
        "",
        "Child L",
    ),
    (
        PROGRESS,
        "progress_report.docx",
        "docx",
        "report",
        "Child L Review: Progress Report on Recommendations",
        "2024-11-20",
        1,
        "ok",
        "",
        "Child L",
    ),
    (
        MINUTES,
        "scrutiny_minutes.html",
        "html",
        "minutes",
        "Minutes of Children and Young People Scrutiny Commission, 15th January 2025",
        "2025-01-15",
        1,
        "ok",
        "",
        "Child L",
    ),
    (
        UNDATED,
        "hackney_minutes.txt",
        "txt",
        "minutes",
        "Child Q Safeguarding Report",
        "",
        1,
        "ok",
        "",
        "Child Q",
    ),
    (HOSTILE, "hostile_notes.txt", "txt", "other", HOSTILE_TITLE, "2024-11-02", 1, "ok", "", ""),
    (BROKEN, "broken.pdf", "pdf", "other", "broken.pdf", "", 0, "error", "not a PDF", ""),
]

# doc_id -> [(page, ref, parent_ref, kind, speaker, text)]
PASSAGES: dict[str, list[tuple[int, str, str, str, str, str]]] = {
    REVIEW: [
        (1, "1", "", "heading", "", "Introduction"),
        (
            1,
            "1.1",
            "",
            "paragraph",
            "",
            "This Local Child Safeguarding Practice Review considers how agencies in Northbridge "
            "responded to Child L, a fourteen-year-old Black British boy, after he was searched "
            "by police officers at school.",
        ),
        (3, "", "", "heading", "", "Finding 1: Race, racism and adultification"),
        (
            3,
            "5.1",
            "",
            "paragraph",
            "",
            'The review heard from almost every practitioner that Child L "looked older" and '
            '"came across as very confident". These descriptions recur in the school\'s '
            "records. Practitioners did not ask whether adultification shaped their view of "
            "him. The reviewer found no sign that his ethnicity was considered at any point, "
            "and no one asked what the events meant to a Black child in a mostly white school. "
            "This matters because the same words appear in the records of other Black pupils.",
        ),
        (
            3,
            "5.4",
            "",
            "paragraph",
            "",
            "There was no shared understanding between the school and Northbridge Police of "
            "when officers should be called to school premises.",
        ),
        (
            4,
            "5.8",
            "",
            "paragraph",
            "",
            "At no point on 9 February did anyone ask Child L what was happening for him, or "
            "whether he felt safe.",
        ),
        (
            4,
            "5.10",
            "",
            "paragraph",
            "",
            "Child L's parents were not contacted before the police were called, or before the "
            "search took place.",
        ),
        (
            5,
            "1",
            "",
            "recommendation",
            "",
            "Northbridge Police and the Northbridge Schools Partnership should jointly revise "
            "the protocol for police attending school premises.",
        ),
        (
            5,
            "2",
            "",
            "recommendation",
            "",
            "The Partnership should commission learning on adultification and anti-racist "
            "practice.",
        ),
    ],
    PROGRESS: [
        (1, "", "", "heading", "", "Child L Review: Progress Report on Recommendations"),
        (
            1,
            "3.1",
            "",
            "paragraph",
            "",
            "The joint protocol for police attending school premises has been rewritten and "
            "was signed off in June 2024.",
        ),
        (
            1,
            "3.3",
            "",
            "paragraph",
            "",
            "Recommendation 2 is in progress. The programme on adultification and anti-racist "
            "practice was launched in June 2024.",
        ),
        (
            1,
            "3.4",
            "",
            "paragraph",
            "",
            "Recommendation 4 is in progress: the Young Advisers panel first met in July 2024.",
        ),
        (
            1,
            "5.1",
            "",
            "paragraph",
            "",
            "Lead agencies will give a further written update to the Executive in May 2025.",
        ),
    ],
    MINUTES: [
        (1, "6", "", "heading", "", "Child L Safeguarding Review – Update"),
        (
            1,
            "6.2",
            "",
            "paragraph",
            "Director of Children's Services",
            "The Director of Children's Services highlighted the following:",
        ),
        (
            1,
            "",
            "6.2",
            "bullet",
            "Director of Children's Services",
            "Recommendation 1 had been completed: the revised protocol for police attending "
            "school premises had been in use in all secondary schools since September 2024.",
        ),
        (
            1,
            "6.4",
            "",
            "paragraph",
            "Councillor Okafor",
            "Councillor Okafor queried why the community reassurance plan with Black-led "
            "community organisations had not yet started.",
        ),
        (
            1,
            "6.7",
            "",
            "paragraph",
            "Chair",
            "The Chair thanked officers for the update. On 12th March 2024 the review was "
            "published. She asked for an update report in April 2025.",
        ),
        (1, "", "6.7", "action", "", "Action: Head of Education Safeguarding"),
    ],
    UNDATED: [
        (
            1,
            "11.4",
            "",
            "paragraph",
            "Director of Children's Social Care",
            "Revising protocols and guidance on the role of police in schools.",
        ),
        (
            1,
            "11.6",
            "",
            "paragraph",
            "Chair",
            "The Chair stressed that the health system played a crucial role. He asked for an "
            "update report in January 2023.",
        ),
        (1, "", "11.6", "action", "", "Action: Director of Children's Social Care"),
    ],
    HOSTILE: [
        (1, "", "", "heading", "", HOSTILE_TITLE),
        (1, "1", "", "paragraph", "", HOSTILE_TEXT),
    ],
}


def passage_id(doc_id: str, seq: int) -> str:
    """The id a passage of the fixture gets: ``<doc_id>:<seq 5 digits>``."""
    return f"{doc_id}:{seq:05d}"


def _pid(doc_id: str, ref_or_text: str, kind: str = "") -> str:
    for seq, (_, ref, _parent, pkind, _speaker, text) in enumerate(PASSAGES[doc_id]):
        if kind and pkind != kind:
            continue
        if ref == ref_or_text or text.startswith(ref_or_text):
            return passage_id(doc_id, seq)
    raise KeyError(ref_or_text)


def _text(pid: str) -> str:
    doc_id, seq = pid.rsplit(":", 1)
    return PASSAGES[doc_id][int(seq)][5]


def _span(pid: str, words: str) -> str:
    """``evidence_spans`` JSON for ``words`` in the passage (as the tagger writes it)."""
    text = _text(pid)
    i = text.index(words)
    return json.dumps([[i, i + len(words), words]])


# (passage, theme, method, score, evidence, negated, evidence_spans or None)
THEME_TAGS = [
    (_pid(REVIEW, "1.1"), "police", "rule", 0.9, "searched by police officers", False, True),
    (_pid(REVIEW, "1.1"), "searches", "rule", 0.8, "searched", False, True),
    (_pid(REVIEW, "1.1"), "anti_racism", "model", 0.61, "Black British", False, None),
    (_pid(REVIEW, "Finding 1"), "anti_racism", "rule", 0.7, "racism", False, None),
    (_pid(REVIEW, "5.1"), "adultification", "both", 0.97, "adultification", False, True),
    (_pid(REVIEW, "5.1"), "anti_racism", "both", 0.93, "ethnicity", False, None),
    (_pid(REVIEW, "5.4"), "police", "both", 0.88, "Northbridge Police", False, True),
    (_pid(REVIEW, "5.4"), "education", "rule", 0.75, "school premises", False, None),
    (_pid(REVIEW, "5.8"), "voice_of_child", "both", 0.95, "ask Child L", False, True),
    # the passage says no one asked: a negated tag, listed but not counted
    (_pid(REVIEW, "5.8"), "safeguarding_first", "model", 0.52, "felt safe", True, None),
    (
        _pid(REVIEW, "1", "recommendation"),
        "police",
        "rule",
        0.85,
        "police attending school",
        False,
        None,
    ),
    (
        _pid(REVIEW, "2", "recommendation"),
        "learning",
        "rule",
        0.8,
        "commission learning",
        False,
        None,
    ),
    (
        _pid(REVIEW, "2", "recommendation"),
        "adultification",
        "rule",
        0.9,
        "adultification",
        False,
        None,
    ),
    (_pid(PROGRESS, "3.1"), "police", "rule", 0.8, "police attending school", False, None),
    (
        _pid(REVIEW, "5.10"),
        "voice_of_family",
        "both",
        0.9,
        "parents were not contacted",
        False,
        True,
    ),
    (_pid(PROGRESS, "3.3"), "anti_racism", "rule", 0.85, "anti-racist practice", False, None),
    (_pid(PROGRESS, "3.4"), "voice_of_child", "model", 0.66, "Young Advisers", False, None),
    (_pid(PROGRESS, "5.1"), "oversight", "rule", 0.7, "written update", False, None),
    (_pid(MINUTES, "6.2"), "oversight", "model", 0.4, "highlighted", False, None),
    (_pid(MINUTES, "Recommendation 1"), "police", "rule", 0.82, "protocol for police", False, None),
    (
        _pid(MINUTES, "6.4"),
        "community_trust",
        "both",
        0.91,
        "community reassurance; Black-led community",
        False,
        None,
    ),
    # a model tag whose evidence is not a verbatim quote of the passage
    (_pid(MINUTES, "6.7"), "oversight", "model", 0.58, "update reports", False, None),
    (_pid(UNDATED, "11.4"), "police", "rule", 0.86, "police in schools", False, None),
    (_pid(UNDATED, "11.4"), "learning", "rule", 0.72, "guidance", False, None),
    (_pid(UNDATED, "11.6"), "health_trauma", "rule", 0.7, "health system", False, None),
    (_pid(HOSTILE, "1"), "searches", "rule", 0.8, "searched the pupil", False, None),
    (_pid(HOSTILE, "1"), "police", "model", 0.55, "<script>alert(1)</script>", False, None),
]

RECOMMENDATIONS = [
    (
        f"{REVIEW}#1",
        REVIEW,
        "Child L",
        "1",
        "Northbridge Police and the Northbridge Schools Partnership should jointly revise the "
        "protocol for police attending school premises.",
        "Northbridge Police;Northbridge Schools Partnership",
        "police;education",
    ),
    (
        f"{REVIEW}#2",
        REVIEW,
        "Child L",
        "2",
        "The Partnership should commission learning on adultification and anti-racist practice.",
        "Northbridge Safeguarding Children Partnership",
        "adultification;anti_racism;learning",
    ),
    (
        f"{REVIEW}#4",
        REVIEW,
        "Child L",
        "4",
        "Children's Services should make sure that children's own accounts shape practice.",
        "Northbridge Council Children's Services",
        "voice_of_child",
    ),
    (
        f"{REVIEW}#10",
        REVIEW,
        "Child L",
        "10",
        "The Partnership should write to the Department for Education and the Home Office.",
        "Northbridge Safeguarding Children Partnership",
        "national_policy",
    ),
    (
        "recommendations-csv#1",
        "recommendations-csv",
        "Missing Education",
        "1",
        "Keep a single borough-wide register of pupils on part-time timetables.",
        "Northbridge Council Education Service",
        "education",
    ),
]

# (passage, rec_id, score, method, status, evidence)
LINKS = [
    (_pid(PROGRESS, "3.1"), f"{REVIEW}#1", 0.74, "similarity", "completed", "protocol"),
    (_pid(PROGRESS, "3.3"), f"{REVIEW}#2", 1.0, "explicit", "in_progress", "Recommendation 2"),
    (_pid(PROGRESS, "3.4"), f"{REVIEW}#4", 1.0, "explicit", "in_progress", "Recommendation 4"),
    (
        _pid(MINUTES, "Recommendation 1"),
        f"{REVIEW}#1",
        1.0,
        "explicit",
        "completed",
        "Recommendation 1",
    ),
    (_pid(MINUTES, "6.4"), f"{REVIEW}#4", 0.41, "similarity", "planned", "not yet started"),
]


def documents_frame() -> pd.DataFrame:
    """``documents.parquet`` of the fixture."""
    rows = []
    for doc_id, path, fmt, doc_type, title, date, pages, status, error, review in DOCUMENTS:
        n = len(PASSAGES.get(doc_id, []))
        words = sum(len(p[5].split()) for p in PASSAGES.get(doc_id, []))
        rows.append(
            {
                "doc_id": doc_id,
                "path": path,
                "sha256": f"{n:064d}",
                "format": fmt,
                "doc_type": doc_type,
                "title": title,
                "date": date,
                "pages": pages,
                "words": words,
                "status": status,
                "error": error,
                "date_source": "manifest" if date else "",
                "review": review,
            }
        )
    return pd.DataFrame(rows)


def passages_frame() -> pd.DataFrame:
    """``passages.parquet`` of the fixture."""
    rows = []
    for doc_id, plist in PASSAGES.items():
        for seq, (page, ref, parent_ref, kind, speaker, text) in enumerate(plist):
            rows.append(
                {
                    "passage_id": passage_id(doc_id, seq),
                    "doc_id": doc_id,
                    "seq": seq,
                    "page": page,
                    "ref": ref,
                    "parent_ref": parent_ref,
                    "kind": kind,
                    "speaker": speaker,
                    "text": text,
                }
            )
    return pd.DataFrame(rows)


def themes_frame(*, with_planned_columns: bool = True) -> pd.DataFrame:
    """``themes.parquet`` of the fixture; ``with_planned_columns`` adds ``negated`` and
    ``evidence_spans`` (the tagger's planned extra columns)."""
    rows = []
    for pid, theme, method, score, ev, negated, spans in THEME_TAGS:
        row = {
            "passage_id": pid,
            "doc_id": pid.rsplit(":", 1)[0],
            "theme": theme,
            "method": method,
            "score": score,
            "evidence": ev,
        }
        if with_planned_columns:
            row["negated"] = negated
            row["evidence_spans"] = _span(pid, ev) if spans else ""
        rows.append(row)
    return pd.DataFrame(rows)


def recommendations_frame() -> pd.DataFrame:
    """``recommendations.parquet`` of the fixture."""
    cols = ["rec_id", "doc_id", "review", "number", "text", "addressees", "themes"]
    df = pd.DataFrame(RECOMMENDATIONS, columns=cols)
    df["confidence"] = 1.0
    df["list"] = 1
    df["title"] = df["text"].str.split().str[:8].str.join(" ")
    return df[list(schema.RECOMMENDATIONS.columns)]


def links_frame() -> pd.DataFrame:
    """``links.parquet`` of the fixture."""
    rows = [
        {
            "passage_id": pid,
            "doc_id": pid.rsplit(":", 1)[0],
            "rec_id": rec,
            "score": score,
            "method": method,
            "status": status,
            "evidence": ev,
        }
        for pid, rec, score, method, status, ev in LINKS
    ]
    return pd.DataFrame(rows)


def write_stage_outputs(folder: Path, *, with_planned_columns: bool = True) -> Path:
    """Write all five stage outputs of the fixture to ``folder``; return it."""
    store.write_table(documents_frame(), schema.DOCUMENTS, folder)
    store.write_table(passages_frame(), schema.PASSAGES, folder)
    store.write_table(
        themes_frame(with_planned_columns=with_planned_columns), schema.THEMES, folder
    )
    store.write_table(recommendations_frame(), schema.RECOMMENDATIONS, folder)
    store.write_table(links_frame(), schema.LINKS, folder)
    return folder


def coverage_double(
    recommendations: pd.DataFrame,
    links: pd.DataFrame,
    passages: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    cache_dir: object = None,
) -> pd.DataFrame:
    """Stands in for ``pipeline.tracing.coverage.coverage`` in tests of the exports: the same
    columns, with the values the fixture's links give (written out, not computed)."""
    rows = [
        ("Child L", "1", f"{REVIEW}#1", "Jointly revise the protocol", 2, 2, "2024-11-20",
         "2025-01-15", "completed", MINUTES, False),
        ("Child L", "2", f"{REVIEW}#2", "Commission learning", 1, 1, "2024-11-20",
         "2024-11-20", "in_progress", PROGRESS, False),
        ("Child L", "4", f"{REVIEW}#4", "Children's own accounts", 2, 2, "2024-11-20",
         "2025-01-15", "planned", MINUTES, False),
        ("Child L", "10", f"{REVIEW}#10", "Write to the Department <for> Education", 0, 0, "",
         "", "", "", True),
        ("Missing Education", "1", "recommendations-csv#1", "Keep a register", 0, 0, "", "",
         "", "", True),
    ]  # fmt: skip
    base = [c for c in COVERAGE_COLUMNS if c not in STANCE_COLUMNS]
    out = pd.DataFrame([(r[0], r[1], r[2], r[3], "", *r[4:]) for r in rows], columns=base)
    for col in STANCE_COLUMNS:  # no reply in these outputs states a stance
        out[col] = ""
    return out[out["rec_id"].isin(set(recommendations["rec_id"]))].reset_index(drop=True)

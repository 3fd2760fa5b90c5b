"""The review loop: export tags lowest score first, mark them, import the decisions,
and see them override the tagger on later runs and become training labels."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline import schema, store
from pipeline.cli import main
from pipeline.config import RunConfig, ThemeOptions
from pipeline.themes.codebook import load_codebook
from pipeline.themes.labels import LabelError, read_reviews
from pipeline.themes.review import EXPORT_COLUMNS, export_review, import_review
from pipeline.themes.stage import tag_stage
from pipeline.themes.tagger import Tagger
from pipeline.themes.training import Corpus, collect_training_data

TEXTS = [
    "Active anti-rascist practice",
    "Working with the Metropolitan Police",
    "Practitioners sat down with the youngsters to hear what they wanted.",
    "The policy was kept with the procedure.",
]


def write_run(folder: Path, texts: list[str]) -> Path:
    n = len(texts)
    passages = pd.DataFrame(
        {
            "passage_id": [f"minutes:{i:05d}" for i in range(n)],
            "doc_id": "minutes",
            "seq": range(n),
            "page": 1,
            "ref": "",
            "parent_ref": "",
            "kind": "paragraph",
            "speaker": "",
            "text": texts,
        }
    )
    store.write_table(passages, schema.PASSAGES, folder)
    docs = schema.DOCUMENTS.empty()
    docs.loc[0] = ["minutes", "sub/minutes.txt", "x", "txt", "minutes", "M", "", 1, 30, "ok", ""]
    store.write_table(docs, schema.DOCUMENTS, folder)
    return folder


#: Rules alone: no model and no review decisions, whatever lies in models/ and data/labels/.
RULES = ThemeOptions(model=None, reviews=None)


@pytest.fixture
def run(tmp_path: Path) -> Path:
    out = write_run(tmp_path / "out", TEXTS)
    tag_stage(RunConfig(input_dir=tmp_path, output_dir=out, themes=RULES))
    return out


def test_export_lowest_score_first_with_text_and_evidence(run: Path, tmp_path: Path) -> None:
    path = tmp_path / "review.csv"
    n = export_review(run, path)
    df = pd.read_csv(path, keep_default_na=False)
    assert n == len(df) > 0
    assert list(df.columns) == EXPORT_COLUMNS
    assert df["score"].is_monotonic_increasing
    assert (df["doc"] == "minutes.txt").all()
    first = df.iloc[0]
    assert first["evidence"] and first["text"] in TEXTS
    assert (df["decision"] == "").all()
    assert export_review(run, tmp_path / "two.csv", limit=2) == 2


def mark(path: Path) -> Path:
    df = pd.read_csv(path, keep_default_na=False)
    key = df["passage_id"] + "/" + df["theme"]
    df.loc[key == "minutes:00001/multi_agency", "decision"] = "reject"
    df.loc[key == "minutes:00000/anti_racism", "decision"] = "Accept"
    df.loc[key == "minutes:00001/police", ["decision", "add_themes"]] = [
        "accept",
        "community_trust",
    ]
    extra = {c: "" for c in df.columns}
    extra.update(passage_id="minutes:00002", theme="", add_themes="voice_of_child")
    df = pd.concat([df, pd.DataFrame([extra])], ignore_index=True)
    df.to_csv(path, index=False)
    return path


def test_import_then_retag_applies_the_decisions(run: Path, tmp_path: Path) -> None:
    exported = tmp_path / "review.csv"
    export_review(run, exported)
    reviews = tmp_path / "labels" / "themes_reviewed.csv"
    known = set(load_codebook().ids)
    res = import_review(mark(exported), run, reviews_path=reviews, known_themes=known)
    assert (res.accepted, res.rejected, res.added) == (2, 1, 2)
    assert res.skipped > 0
    stored = read_reviews(reviews)
    assert set(stored["decision"]) == {"accept", "reject", "add"}
    assert (stored["doc"] == "minutes.txt").all() and stored["text_sha"].str.len().eq(16).all()

    # a later run: a passage was inserted before the reviewed ones, so every id moved
    out2 = write_run(tmp_path / "out2", ["A new opening paragraph.", *TEXTS])
    themes = tag_stage(
        RunConfig(
            input_dir=tmp_path, output_dir=out2, themes=ThemeOptions(model=None, reviews=reviews)
        )
    )
    rows = themes.set_index(["passage_id", "theme"])
    assert ("minutes:00002", "multi_agency") not in rows.index  # rejected
    assert rows.loc[("minutes:00002", "police"), "reviewed"] == "accepted"
    assert rows.loc[("minutes:00002", "community_trust"), "method"] == "review"
    assert rows.loc[("minutes:00003", "voice_of_child"), "reviewed"] == "added"
    assert rows.loc[("minutes:00001", "anti_racism"), "score"] == 1.0

    # and the decisions are training labels
    tagger = Tagger.from_options(RULES)
    corpus = Corpus.from_output(out2, tagger=tagger)
    data = collect_training_data(
        corpus, gold_files=[], reviews=stored, known_themes=tagger.codebook.ids
    )
    labels = {
        pid: set(lab)
        for pid, lab, src in zip(data.passage_ids, data.labels, data.sources, strict=True)
        if src == "reviewed"
    }
    assert labels["minutes:00002"] == {"police", "community_trust"}
    assert labels["minutes:00003"] == {"voice_of_child"}
    assert "minutes:00004" not in labels  # not reviewed: a weak label at most


def test_a_later_decision_replaces_an_earlier_one(run: Path, tmp_path: Path) -> None:
    reviews = tmp_path / "reviewed.csv"
    known = set(load_codebook().ids)
    for decision in ("accept", "reject"):
        f = tmp_path / f"{decision}.csv"
        pd.DataFrame(
            [{"passage_id": "minutes:00000", "theme": "anti_racism", "decision": decision}]
        ).to_csv(f, index=False)
        import_review(f, run, reviews_path=reviews, known_themes=known)
    stored = read_reviews(reviews)
    assert stored[["theme", "decision"]].values.tolist() == [["anti_racism", "reject"]]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ({"passage_id": "minutes:00000", "theme": "anti_racism", "decision": "maybe"}, "row 2"),
        ({"passage_id": "minutes:00000", "theme": "anti_rascism", "decision": "accept"}, "unknown"),
        ({"passage_id": "minutes:99999", "theme": "police", "decision": "reject"}, "not in"),
        (
            {"passage_id": "minutes:00000", "theme": "", "decision": "", "add_themes": "polic"},
            "unknown theme id 'polic'",
        ),
    ],
)
def test_bad_review_file_is_refused(run: Path, tmp_path: Path, row: dict, problem: str) -> None:
    f = tmp_path / "bad.csv"
    pd.DataFrame([row]).to_csv(f, index=False)
    with pytest.raises(LabelError, match=problem):
        import_review(
            f, run, reviews_path=tmp_path / "r.csv", known_themes={"police", "anti_racism"}
        )
    assert not (tmp_path / "r.csv").exists()


def test_cli_review_export_and_import(run: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(main, ["review", "export", "--output", str(run)])
    assert res.exit_code == 0, res.output
    exported = run / "review" / "themes_review.csv"
    assert exported.is_file()
    reviews = tmp_path / "themes_reviewed.csv"
    res = runner.invoke(
        main,
        ["review", "import", str(mark(exported)), "--output", str(run), "--reviews", str(reviews)],
    )
    assert res.exit_code == 0, res.output
    assert "2 accepted, 1 rejected, 2 added" in res.output
    res = runner.invoke(
        main, ["tag", "--output", str(run), "--no-model", "--reviews", str(reviews)]
    )
    assert res.exit_code == 0, res.output
    themes = pd.read_parquet(run / "themes.parquet")
    assert "review" in set(themes["method"])


def test_a_decisions_file_without_its_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "themes_reviewed.csv"
    path.write_text("doc,quote\nminutes.txt,some words\n", encoding="utf-8")
    with pytest.raises(LabelError, match=r"themes_reviewed\.csv: missing column\(s\)"):
        read_reviews(path)
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(LabelError, match=r"themes_reviewed\.csv: cannot be read as CSV"):
        read_reviews(path)

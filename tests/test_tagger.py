"""The theme stage: themes.parquet from passages, rules + model combination, review
overrides, incremental re-runs, the CLI, and provenance on the real corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline import schema, store
from pipeline.cli import main
from pipeline.config import RunConfig, ThemeOptions
from pipeline.counting import counted
from pipeline.themes.modelbase import Thresholds
from pipeline.themes.stage import tag_stage
from pipeline.themes.tagger import EXTRA_COLUMNS, Tagger, tag_passages

TEXTS = [
    "Active anti-rascist practice",
    "There was no evidence that race was a factor.",
    "Working with the Metropolitan Police",
    "Minutes:",
    "The Department for Education published the figures for the year.",
    "Practitioners sat down with the youngsters to hear what they wanted.",
]


KINDS = ["bullet", "paragraph", "bullet", "heading", "paragraph", "paragraph"]


def passages_frame(texts: list[str] = TEXTS, doc: str = "doc-a") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "passage_id": [f"{doc}:{i:05d}" for i in range(len(texts))],
            "doc_id": doc,
            "seq": range(len(texts)),
            "page": 1,
            "ref": "",
            "parent_ref": "",
            "kind": [KINDS[i % len(KINDS)] for i in range(len(texts))],
            "speaker": "",
            "text": texts,
        }
    )


#: Rules alone: no model and no review decisions, whatever lies in models/ and data/labels/.
RULES = ThemeOptions(model=None, reviews=None)


@pytest.fixture(scope="module")
def themes() -> pd.DataFrame:
    return tag_passages(passages_frame(), options=RULES)


def test_output_contract_and_extra_columns(themes: pd.DataFrame) -> None:
    assert list(themes.columns) == [*schema.THEMES.columns, *EXTRA_COLUMNS]
    assert set(themes["method"]) <= {"rule", "model", "both", "review"}
    assert themes["score"].between(0, 1).all()
    assert not themes.duplicated(["passage_id", "theme"]).any()
    schema.conform(themes, schema.THEMES)  # checks the contract


def test_rule_tags_with_evidence_and_offsets(themes: pd.DataFrame) -> None:
    texts = dict(zip(passages_frame()["passage_id"], TEXTS, strict=True))
    row = themes[(themes["passage_id"] == "doc-a:00000") & (themes["theme"] == "anti_racism")]
    assert row["method"].item() == "rule" and row["evidence"].item() == "anti-rascist"
    for pid, ev, spans in zip(
        themes["passage_id"], themes["evidence"], themes["evidence_spans"], strict=True
    ):
        spans = json.loads(spans)
        assert ev == "; ".join(dict.fromkeys(s[2] for s in spans))
        for start, end, words in spans:
            assert texts[pid][start:end] == words


def test_negated_theme_kept_marked_and_not_counted(themes: pd.DataFrame) -> None:
    neg = themes[themes["passage_id"] == "doc-a:00001"]
    assert neg[["theme", "negated"]].values.tolist() == [["anti_racism", True]]
    assert "doc-a:00001" not in set(counted(themes)["passage_id"])
    dropped = tag_passages(
        passages_frame(), options=ThemeOptions(model=None, reviews=None, include_negated=False)
    )
    assert "doc-a:00001" not in set(dropped["passage_id"])


def test_names_and_headings(themes: pd.DataFrame) -> None:
    by_pid = themes.groupby("passage_id")["theme"].apply(set).to_dict()
    assert by_pid["doc-a:00002"] == {"police", "multi_agency"}
    assert "doc-a:00003" not in by_pid  # "Minutes:" carries no theme
    assert "education" not in by_pid.get("doc-a:00004", set())  # inside an organisation's name


def test_review_decisions_override_the_tagger() -> None:
    decisions = {
        "doc-a:00002": {"multi_agency": "reject", "community_trust": "add"},
        "doc-a:00000": {"anti_racism": "accept"},
    }
    out = tag_passages(passages_frame(), options=RULES, decisions=decisions)
    rows = out.set_index(["passage_id", "theme"])
    assert ("doc-a:00002", "multi_agency") not in rows.index
    added = rows.loc[("doc-a:00002", "community_trust")]
    assert (added["method"], added["score"], added["reviewed"]) == ("review", 1.0, "added")
    accepted = rows.loc[("doc-a:00000", "anti_racism")]
    assert (accepted["method"], accepted["score"], accepted["reviewed"]) == (
        "rule",
        1.0,
        "accepted",
    )


class StubModel:
    """A model that is sure of education and voice_of_child for every passage."""

    def __init__(self) -> None:
        self.classes = ["education", "voice_of_child"]

    def predict_proba(self, texts, kinds=None, rules=None):
        return np.tile([0.95, 0.9], (len(texts), 1))

    def threshold_set(self, theme, domain="children"):
        return {}  # no thresholds of its own: the option's

    def threshold(self, theme, default=0.5):
        return default

    def evidence(self, text, theme, top=3):
        return [[0, len(text.split()[0]), text.split()[0]]]


def test_model_tags_and_context_vetoes() -> None:
    tagger = Tagger.from_options(RULES)
    tagger.model = StubModel()
    out = tagger.tag(passages_frame())
    rows = out.set_index(["passage_id", "theme"])
    # a paraphrase the rules miss: the model's tag, with its evidence
    para = rows.loc[("doc-a:00005", "voice_of_child")]
    assert para["method"] == "model" and para["model_score"] == 0.9 and para["evidence"]
    assert np.isnan(para["rule_score"])
    # the rules dropped "Education" as part of an organisation's name: no model tag either
    assert ("doc-a:00004", "education") not in rows.index
    # short passages (a heading of one word) are left to the rules
    assert ("doc-a:00003", "education") not in rows.index
    # both agree
    out2 = tagger.tag(passages_frame(["The school governors met the teachers."]))
    assert out2.set_index("theme").loc["education", "method"] == "both"


class DoubtingModel(StubModel):
    """A model that reads the rule matches and doubts education (probability 0.1)."""

    def predict_proba(self, texts, kinds=None, rules=None):
        assert rules is not None and len(rules) == len(texts)  # the rule features reach it
        return np.tile([0.1, 0.2], (len(texts), 1))

    def threshold_set(self, theme, domain="children"):
        return {"model": 0.5, "keep": 0.3, "add": 0.9}


class KindAwareModel(Thresholds, StubModel):
    """Sure of education everywhere; its thresholds let it add education only in
    documents that are not about children and families."""

    def __init__(self) -> None:
        super().__init__()
        self.thresholds = {
            "education": {
                "model": 0.5,
                "keep": 0.0,
                "add": 1.01,
                "other_keep": 0.0,
                "other_add": 0.5,
            },
        }


def test_each_document_is_tagged_with_the_choice_made_for_its_kind() -> None:
    tagger = Tagger.from_options(RULES)
    tagger.model = KindAwareModel()
    about_children = ["The children met their parents at home.", "The children sat together."]
    other = ["The launch site opened on time.", "The satellites went up together."]
    frame = pd.concat(
        [passages_frame(about_children, doc="kids"), passages_frame(other, doc="space")],
        ignore_index=True,
    )
    out = tagger.tag(frame)
    education = out[out["theme"] == "education"]
    assert set(education["passage_id"]) == {"space:00000", "space:00001"}
    assert set(education["method"]) == {"model"}
    # tagged alone, as the theme stage tags each document, the same
    alone = tagger.tag_texts(about_children) + tagger.tag_texts(other)
    assert [any(r["theme"] == "education" for r in rows) for rows in alone] == [
        False,
        False,
        True,
        True,
    ]


def test_the_model_overrules_a_rule_tag_below_its_keep_threshold() -> None:
    tagger = Tagger.from_options(RULES)
    tagger.model = DoubtingModel()
    text = ["The school governors met the teachers."]
    assert "education" in set(tag_passages(passages_frame(text), options=RULES)["theme"])
    assert "education" not in set(tagger.tag(passages_frame(text))["theme"])


def _run_folder(tmp_path: Path, texts: list[str] = TEXTS) -> Path:
    out = tmp_path / "out"
    store.write_table(passages_frame(texts), schema.PASSAGES, out)
    docs = schema.DOCUMENTS.empty()
    docs.loc[0] = ["doc-a", "a.txt", "x", "txt", "minutes", "A", "", 1, 10, "ok", ""]
    store.write_table(docs, schema.DOCUMENTS, out)
    return out


def test_stage_is_skipped_when_nothing_changed(tmp_path: Path) -> None:
    out = _run_folder(tmp_path)
    cfg = RunConfig(input_dir=tmp_path, output_dir=out, themes=RULES)
    first = tag_stage(cfg)
    target = out / "themes.parquet"
    stamp = target.stat().st_mtime_ns
    second = tag_stage(cfg)
    assert target.stat().st_mtime_ns == stamp
    assert len(first) == len(second)
    store.write_table(passages_frame([*TEXTS, "Police in schools"]), schema.PASSAGES, out)
    tag_stage(cfg)
    assert target.stat().st_mtime_ns != stamp
    assert "doc-a:00006" in set(pd.read_parquet(target)["passage_id"])


def test_cli_tag_rules_only_and_bad_codebook(tmp_path: Path) -> None:
    out = _run_folder(tmp_path)
    runner = CliRunner()
    res = runner.invoke(main, ["tag", "--output", str(out), "--no-model"])
    assert res.exit_code == 0, res.output
    assert "rules only" in res.output and (out / "themes.parquet").is_file()
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "themes:\n  - id: police\n    label: P\n    description: d\n    patterns: [{phrse: x}]\n"
    )
    res = runner.invoke(main, ["tag", "--output", str(out), "--codebook", str(bad)])
    assert res.exit_code == 1
    assert str(bad.resolve()) in res.output and "theme 'police'" in res.output
    assert "unknown key 'phrse'" in res.output
    res = runner.invoke(main, ["tag", "--output", str(out), "--model", str(tmp_path / "no.skops")])
    assert res.exit_code == 1 and "model not found" in res.output


# --- the real corpus ------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_themes(corpus_run: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    themes = pd.read_parquet(corpus_run / "themes.parquet")
    passages = pd.read_parquet(corpus_run / "passages.parquet")
    return themes, passages


def test_corpus_evidence_offsets_index_passage_text(corpus_themes) -> None:
    themes, passages = corpus_themes
    assert len(themes) > 1000
    texts = passages.set_index("passage_id")["text"]
    assert set(themes["passage_id"]) <= set(texts.index)
    for pid, ev, spans in zip(
        themes["passage_id"], themes["evidence"], themes["evidence_spans"], strict=True
    ):
        spans = json.loads(spans)
        assert spans and ev
        text = texts[pid]
        for start, end, words in spans:
            assert text[start:end] == words


def test_seed_misspellings_tagged_by_rules(corpus_themes) -> None:
    themes, passages = corpus_themes
    minutes = passages[passages["doc_id"].str.startswith("hackney")]
    for opening, word in [
        ("Active anti-rascist practice", "anti-rascist"),
        ("Deputy Mayor Bramble thanked", "rascism"),
    ]:
        pid = minutes[minutes["text"].str.startswith(opening)]["passage_id"].item()
        row = themes[(themes["passage_id"] == pid) & (themes["theme"] == "anti_racism")]
        assert row["method"].item() in ("rule", "both")
        assert word in row["evidence"].item().split("; ")


def test_demo_run_writes_themes(demo_run: Path) -> None:
    themes = pd.read_parquet(demo_run / "themes.parquet")
    assert {"passage_id", "doc_id", "theme", "method", "score", "evidence"} <= set(themes.columns)
    assert {"anti_racism", "education", "police"} <= set(themes["theme"])


def _two_documents() -> pd.DataFrame:
    return pd.concat(
        [passages_frame(TEXTS, "doc-a"), passages_frame(TEXTS[::-1], "doc-b")], ignore_index=True
    )


def test_documents_are_cached_and_only_new_ones_tagged(tmp_path: Path) -> None:
    from pipeline.themes.stage import tag_documents
    from pipeline.themes.tagger import assemble

    cache = tmp_path / "themes"
    passages = _two_documents()
    first = tag_documents(passages, RULES, cache_dir=cache)
    assert sorted(first.tagged) == ["doc-a", "doc-b"] and first.cached == []
    added = pd.concat([passages, passages_frame(["Police in schools"], "doc-c")])
    second = tag_documents(added, RULES, cache_dir=cache)
    assert second.tagged == ["doc-c"] and sorted(second.cached) == ["doc-a", "doc-b"]
    # cached or not, the table is the one tagging everything at once gives
    whole = tag_passages(added, options=RULES)
    pd.testing.assert_frame_equal(assemble(added, second.found), whole)
    # a changed text re-tags its document only; a removed document leaves the cache
    changed = added[added["doc_id"] != "doc-a"].copy()
    changed.loc[changed["doc_id"] == "doc-b", "text"] += " Police."
    third = tag_documents(changed, RULES, cache_dir=cache)
    assert third.tagged == ["doc-b"] and third.cached == ["doc-c"]
    assert sorted(p.stem for p in cache.glob("*.json")) == ["doc-b", "doc-c"]
    # other options are another tagging: everything again
    assert len(tag_documents(changed, replace_threshold(0.5), cache_dir=cache).tagged) == 2


def replace_threshold(value: float) -> ThemeOptions:
    from dataclasses import replace

    return replace(RULES, model_threshold=value)


def test_a_document_is_tagged_alone(tmp_path: Path) -> None:
    # misspellings are learnt per document: "Rascism" capitalised inside a sentence reads
    # as a name in doc-a, which must not stop doc-b's "rascism" being read as racism
    texts_a = ["The report by Rascism Smith was read."]
    texts_b = ["Tackling rascism in schools."]
    both = pd.concat([passages_frame(texts_a, "doc-a"), passages_frame(texts_b, "doc-b")])
    together = tag_passages(both, options=RULES)
    alone = tag_passages(passages_frame(texts_b, "doc-b"), options=RULES)
    b = together[together["doc_id"] == "doc-b"].reset_index(drop=True)
    pd.testing.assert_frame_equal(b, alone)
    assert "anti_racism" in set(alone["theme"])


def test_tagging_in_processes_gives_the_same_rows(tmp_path: Path) -> None:
    from pipeline.themes.stage import tag_documents

    passages = _two_documents()
    one = tag_documents(passages, RULES, cache_dir=tmp_path / "one", jobs=1)
    two = tag_documents(passages, RULES, cache_dir=tmp_path / "two", jobs=2)
    assert json.dumps(one.found) == json.dumps(two.found)  # (NaN scores compare as text)
    cached = [json.loads(p.read_text()) for p in sorted((tmp_path / "two").glob("*.json"))]
    assert json.dumps([c["payload"] for c in cached], sort_keys=True) == json.dumps(
        [one.found[: len(TEXTS)], one.found[len(TEXTS) :]], sort_keys=True
    )

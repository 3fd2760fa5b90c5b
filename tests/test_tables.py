"""Tables: counts recomputed independently from themes.parquet, actions, evidence, the stage."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline import schema, store
from pipeline.cli import main
from pipeline.config import RunConfig
from pipeline.tables import actions as action_tables
from pipeline.tables import build as tables_build
from pipeline.tables import common as tables_common
from pipeline.tables import evidence as evidence_tables
from pipeline.tables import themes as theme_tables
from tests.stage_outputs import (
    BROKEN,
    HOSTILE,
    MINUTES,
    PROGRESS,
    REVIEW,
    THEME_TAGS,
    UNDATED,
    passages_frame,
    write_stage_outputs,
)

# As if pipeline.tracing.link were not installed, unless a test asks for the `linking_stage` double.
pytestmark = pytest.mark.usefixtures("without_linking_module")


def _read(folder: Path, name: str) -> pd.DataFrame:
    text = {c: str for c in ("item", "ref", "parent_ref", "number", "date", "due_date")}
    return pd.read_csv(folder / "tables" / f"{name}.csv", keep_default_na=False, dtype=text)


@pytest.fixture()
def built(stage_dir: Path) -> Path:
    tables_build.tables_stage(RunConfig(input_dir=stage_dir, output_dir=stage_dir))
    return stage_dir


def _counted_from_parquet(folder: Path) -> pd.DataFrame:
    """The counted tags, straight from themes.parquet and documents.parquet."""
    themes = pd.read_parquet(folder / "themes.parquet")
    docs = pd.read_parquet(folder / "documents.parquet")
    ok = set(docs.loc[docs["status"] == "ok", "doc_id"])
    themes = themes[~themes["negated"].astype(bool) & themes["doc_id"].isin(ok)]
    return themes.drop_duplicates(["passage_id", "theme"])


def test_theme_by_document_recomputed_from_parquet(built: Path) -> None:
    table = _read(built, "theme_by_document")
    counted = _counted_from_parquet(built)
    passages = pd.read_parquet(built / "passages.parquet")
    expected = counted.groupby(["doc_id", "theme"]).size()
    got = table.set_index(["doc_id", "theme"])["passages_tagged"]
    # every non-zero cell equals the recount, and every recount has its cell
    assert got[got > 0].sort_index().to_dict() == expected.sort_index().to_dict()
    per_doc = passages.groupby("doc_id").size()
    for row in table.itertuples():
        assert row.passages_in_doc == per_doc[row.doc_id]
        assert row.share == pytest.approx(row.passages_tagged / row.passages_in_doc, abs=1e-4)


def test_theme_by_document_is_the_full_matrix(built: Path) -> None:
    table = _read(built, "theme_by_document")
    docs, themes = table["doc_id"].nunique(), table["theme"].nunique()
    assert len(table) == docs * themes
    assert BROKEN not in set(table["doc_id"]), "a document that could not be read is not counted"
    assert set(table["doc_id"]) == {REVIEW, PROGRESS, MINUTES, UNDATED, HOSTILE}
    # the negated tag's theme is listed (it is in themes.parquet) but counts nothing
    assert table.loc[table["theme"] == "safeguarding_first", "passages_tagged"].sum() == 0
    # dated documents come in date order, undated last
    order = list(dict.fromkeys(table["doc_id"]))
    assert order == [REVIEW, HOSTILE, PROGRESS, MINUTES, UNDATED]


def test_summary_and_dates_add_up(built: Path) -> None:
    counted = _counted_from_parquet(built)
    summary = _read(built, "theme_summary").set_index("theme")
    by_doc = _read(built, "theme_by_document")
    by_date = _read(built, "theme_by_date")
    per_theme = counted.groupby("theme").size()
    for theme, n in per_theme.items():
        assert summary.at[theme, "passages_tagged"] == n
        assert by_doc.loc[by_doc["theme"] == theme, "passages_tagged"].sum() == n
        assert (
            summary.at[theme, "documents"] == counted[counted["theme"] == theme]["doc_id"].nunique()
        )
    assert summary["passages_tagged"].sum() == len(counted)
    dated_docs = {REVIEW, PROGRESS, MINUTES, HOSTILE}
    dated = counted[counted["doc_id"].isin(dated_docs)]
    assert by_date["passages_tagged"].sum() == len(dated)
    for theme, n in dated.groupby("theme").size().items():
        assert by_date.loc[by_date["theme"] == theme, "passages_tagged"].sum() == n
    assert set(by_date["period"]) == {"2024-03", "2024-11", "2025-01"}
    nov = by_date[(by_date["period"] == "2024-11") & (by_date["theme"] == "police")].iloc[0]
    assert nov["documents"] == 2 and nov["documents_raising"] == 2
    assert nov["doc_ids"] == f"{HOSTILE};{PROGRESS}"
    assert summary.at["police", "first_date"] == "2024-03-12"
    assert summary.at["police", "last_date"] == "2025-01-15"


def test_negated_tags_count_only_when_asked(stage_dir: Path) -> None:
    t = tables_build.build_tables(stage_dir)
    themes = store.read_table(schema.THEMES, stage_dir)
    with_neg = theme_tables.theme_summary(
        t.documents, t.passages, themes, catalog=t.catalog, include_negated=True
    ).set_index("theme")
    assert with_neg.at["safeguarding_first", "passages_tagged"] == 1
    assert t.theme_summary.set_index("theme").at["safeguarding_first", "passages_tagged"] == 0


def test_tables_without_planned_columns(tmp_path: Path) -> None:
    """themes.parquet with only the contract columns (no negated, no evidence_spans)."""
    folder = write_stage_outputs(tmp_path / "out", with_planned_columns=False)
    t = tables_build.build_tables(folder)
    # without a negated column every tag counts, the would-be negated one included
    assert t.theme_summary["passages_tagged"].sum() == len(THEME_TAGS)
    assert not t.evidence["negated"].any()


def test_empty_outputs_give_empty_tables_with_columns(tmp_path: Path) -> None:
    store.write_table(schema.DOCUMENTS.empty(), schema.DOCUMENTS, tmp_path)
    tables_build.tables_stage(RunConfig(input_dir=tmp_path, output_dir=tmp_path))
    for name in ("theme_summary", "theme_by_document", "theme_by_date", "actions", "evidence"):
        df = _read(tmp_path, name)
        assert df.empty and len(df.columns) > 3, name
    readme = (tmp_path / "tables" / "README.md").read_text()
    assert "themes.parquet not found" in readme


# --------------------------------------------------------------------------- actions


def test_actions_table(built: Path) -> None:
    acts = _read(built, "actions")
    assert list(acts["owner"]) == [
        "Head of Education Safeguarding",
        "Director of Children's Social Care",
    ]
    first = acts.iloc[0]
    assert (first["doc_id"], first["date"], first["item"]) == (MINUTES, "2025-01-15", "6.7")
    # the meeting's own date and the past publication date are not deadlines
    assert (first["due"], first["due_date"]) == ("April 2025", "2025-04")
    assert first["due_context"] == "She asked for an update report in April 2025."
    second = acts.iloc[1]
    assert (second["due"], second["due_date"], second["date"]) == ("January 2023", "2023-01", "")


@pytest.mark.parametrize(
    ("text", "owner", "task"),
    [
        ("Action: Director of Children's Social Care", "Director of Children's Social Care", ""),
        (
            "ACTION: Head of Service to circulate the protocol.",
            "Head of Service",
            "circulate the protocol",
        ),
        ("Action (Chair): write to the Home Office", "Chair", "write to the Home Office"),
        ("Agreed action - All members", "All members", ""),
        (
            "Actions: Scrutiny Officer to add the item to the work programme",
            "Scrutiny Officer",
            "add the item to the work programme",
        ),
    ],
)
def test_split_action(text: str, owner: str, task: str) -> None:
    assert action_tables.split_action(text) == (owner, task)


@pytest.mark.parametrize(
    ("texts", "not_before", "expected"),
    [
        (
            ["Action: Chair", "He asked for an update report in January 2023."],
            "",
            ("January 2023", "2023-01"),
        ),
        (
            ["Action: Officer to report back by 31 March 2025"],
            "2025-01-15",
            ("31 March 2025", "2025-03-31"),
        ),
        (
            [
                "Action: Officer",
                "On 12th March 2024 the review was published. An update in May 2025.",
            ],
            "2025-01-15",
            ("May 2025", "2025-05"),
        ),
        (
            ["Action: Officer", "On 12th March 2024 the review was published."],
            "2025-01-15",
            ("", ""),
        ),
        (
            [
                "Action: Officer",
                "Meetings on 3 February 2025 and 1 April 2025; report by April 2025.",
            ],
            "2025-01-01",
            ("April 2025", "2025-04"),
        ),
        (["Action: Officer to respond by 2025-02-28"], "", ("2025-02-28", "2025-02-28")),
        (["Action: Officer", "No dates here."], "", ("", "")),
    ],
)
def test_find_due(texts: list[str], not_before: str, expected: tuple[str, str]) -> None:
    due, value, _ = action_tables.find_due(texts, not_before=not_before)
    assert (due, value) == expected


def test_find_dates_rejects_impossible_months() -> None:
    assert action_tables.find_dates("on 31/13/2024 and in Smarch 2024") == []


# --------------------------------------------------------------------------- evidence


def test_evidence_lists_every_tag_and_link_with_provenance(built: Path) -> None:
    ev = _read(built, "evidence")
    themes = pd.read_parquet(built / "themes.parquet")
    links = pd.read_parquet(built / "links.parquet")
    passages = pd.read_parquet(built / "passages.parquet").set_index("passage_id")
    assert (ev["kind"] == "theme").sum() == len(themes)
    assert (ev["kind"] == "link").sum() == len(links)
    for col in ("kind", "theme", "rec_id", "review", "number", "status", "score", "method"):
        assert col in ev.columns
    for col in ("evidence", "quote", "doc_id", "title", "date", "page", "ref", "parent_ref"):
        assert col in ev.columns
    assert {"speaker", "passage_id", "counted"} <= set(ev.columns)
    for row in ev.itertuples():
        p = passages.loc[row.passage_id]
        assert (row.doc_id, row.page, row.ref, row.speaker) == (
            p["doc_id"],
            p["page"],
            p["ref"],
            p["speaker"],
        )
        body = row.quote.strip("… ")
        assert body in p["text"]
    # negated: listed, not counted
    neg = ev[ev["theme"] == "safeguarding_first"]
    assert list(neg["counted"]) == [False] and list(neg["negated"]) == [True]
    assert ev.loc[ev["kind"] == "theme", "counted"].sum() == len(themes) - 1
    link = ev[(ev["kind"] == "link") & (ev["passage_id"].str.startswith(MINUTES))].iloc[0]
    assert (link["review"], link["number"], link["status"]) == ("Child L", "1", "completed")
    assert link["speaker"] == "Director of Children's Services"
    assert link["parent_ref"] == "6.2"
    # theme rows first, then links, each in a stable order
    kinds = list(ev["kind"])
    assert kinds == sorted(kinds, key=lambda k: k != "theme")


def test_long_passage_quote_is_trimmed_around_the_evidence(built: Path) -> None:
    ev = _read(built, "evidence")
    row = ev[(ev["theme"] == "adultification") & (ev["ref"] == "5.1")].iloc[0]
    assert row["quote"].startswith("… ") and len(row["quote"]) <= tables_common.QUOTE_WIDTH + 4
    assert "adultification" in row["quote"]


@pytest.mark.parametrize(
    ("text", "evidence", "spans", "expected"),
    [
        ("Police searched him.", "searched", None, ["searched"]),
        ("Police searched him.", "SEARCHED", None, ["searched"]),
        ("anti-\u00adracist practice", "anti racist", None, ["anti-\u00adracist"]),
        (
            "the community reassurance plan with Black-led groups",
            "community reassurance; Black-led",
            None,
            ["community reassurance", "Black-led"],
        ),
        ("Police searched him.", "strip search", None, []),
        ("Police searched him.", "x", json.dumps([[7, 15, "searched"]]), ["searched"]),
        # offsets that do not fit the text: the span's words are searched for instead
        ("Officers searched him.", "x", json.dumps([[7, 15, "searched"]]), ["searched"]),
        ("Police searched him.", "", "not json", []),
    ],
)
def test_locate_evidence(text: str, evidence: str, spans: str | None, expected: list[str]) -> None:
    assert [
        text[s:e] for s, e in evidence_tables.locate_evidence(text, evidence, spans)
    ] == expected


@pytest.mark.parametrize(
    ("text", "needle", "skipped"),
    [
        ("Police searched him.", "police, school", True),
        ("similarity 0.42 (school, officer)", "similarity 0.42 (school, officer)", False),
        ("The anti-racist plan", "anti racist plan", False),
        ("ANTI_RACIST", "anti racist", False),
        ("\u2018Stra\u00dfe\u2019 police", "police school", True),
        # long s and dotless i are an s and an i to re.I, not to str.lower
        ("\u017fchool \u0131nquiry", "school inquiry", False),
        ("the Kelvin \u212a", "kelvin k", False),
        ("POL\u0130CE", "police", False),  # dotted capital I lowers to two characters
        ("the school, the police", "police school", True),  # both words, never in order
        ("school -- police", "school police", False),
        ("caf\u00e9 review", "CAF\u00c9 review", False),
    ],
)
def test_loose_search_skipped_only_where_the_regex_finds_nothing(
    text: str, needle: str, skipped: bool
) -> None:
    rx = evidence_tables._loose_pattern(needle)
    assert rx is not None
    assert evidence_tables._cannot_match(text, needle) is skipped
    if skipped:
        assert rx.search(text) is None
    else:
        assert rx.search(text) is not None


def test_only_unlowered_characters_match_an_ascii_word_character_they_do_not_lower_to() -> None:
    import re

    word = re.compile("[A-Za-z0-9_]", re.I)
    odd = {
        chr(cp)
        for cp in range(128, 0x110000)
        if word.fullmatch(chr(cp)) and not (len(chr(cp).lower()) == 1 and chr(cp).lower().isascii())
    }
    assert odd == set(evidence_tables.UNLOWERED)


@pytest.mark.parametrize("at", [0, 150, 420, 799])
def test_trim_quote_keeps_the_evidence_and_whole_sentences(at: int) -> None:
    sentences = [f"Sentence {i} says something about the case at some length." for i in range(14)]
    text = " ".join(sentences)
    quote = evidence_tables.trim_quote(text, at, width=200)
    body = quote.strip("… ")
    assert body in text and len(body) <= 200
    start = text.index(body)
    assert start <= at < start + len(body)
    assert body.startswith("Sentence") and body.endswith(".")


def test_trim_quote_one_long_sentence() -> None:
    text = "word " * 300 + "evidence " + "word " * 300
    at = text.index("evidence")
    quote = evidence_tables.trim_quote(text.strip(), at, width=120)
    assert "evidence" in quote and quote.startswith("… ") and quote.endswith(" …")


def test_top_quotes(built: Path) -> None:
    ev = tables_build.build_tables(built).evidence
    top = evidence_tables.top_quotes(ev, n=3)
    assert (top.groupby("theme").size() <= 3).all()
    assert top["counted"].all()
    police = top[top["theme"] == "police"]
    assert list(police["score"]) == sorted(police["score"], reverse=True)
    anti = top[top["theme"] == "anti_racism"]
    assert "heading" not in set(anti["passage_kind"]), "three text passages beat a heading"
    assert "safeguarding_first" not in set(top["theme"])


def test_provenance_line() -> None:
    row = {
        "title": "Minutes",
        "date": "2025-01-15",
        "page": 1,
        "ref": "",
        "parent_ref": "6.2",
        "speaker": "Chair",
        "passage_kind": "bullet",
    }
    assert (
        evidence_tables.provenance_line(row) == "Minutes (2025-01-15), p. 1, under para 6.2, Chair"
    )


# --------------------------------------------------------------------------- the stage


def test_stage_writes_tables_and_readme_deterministically(built: Path) -> None:
    folder = built / "tables"
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "README.md",
        "actions.csv",
        "evidence.csv",
        "theme_by_date.csv",
        "theme_by_document.csv",
        "theme_summary.csv",
    ]
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    tables_build.tables_stage(RunConfig(input_dir=built, output_dir=built))
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == first
    readme = first["README.md"].decode()
    assert "tracing stage (pipeline.tracing) is not installed" in readme
    assert "broken.pdf: error not a PDF" in readme


def test_coverage_comes_from_the_linking_stage(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def coverage(recommendations, links, passages, documents, *, cache_dir=None):  # type: ignore[no-untyped-def]
        calls.append((len(recommendations), len(links), len(passages), len(documents)))
        assert cache_dir == built / ".cache"  # the replies' readings are kept there
        return pd.DataFrame({"rec_id": sorted(recommendations["rec_id"]), "mentions": 0})

    fake = types.ModuleType("pipeline.tracing.coverage")
    fake.coverage = coverage  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pipeline.tracing.coverage", fake)
    t = tables_build.tables_stage(RunConfig(input_dir=built, output_dir=built))
    assert calls == [(5, 5, len(passages_frame()), 6)]
    assert not any("coverage" in n for n in t.notes)
    cov = _read(built, "recommendation_coverage")
    assert len(cov) == 5
    # when the linking stage goes away again, the stale table is removed
    monkeypatch.delitem(sys.modules, "pipeline.tracing.coverage")
    monkeypatch.setattr(tables_build, "recommendation_coverage", lambda *a, **k: (None, "gone"))
    tables_build.tables_stage(RunConfig(input_dir=built, output_dir=built))
    assert not (built / "tables" / "recommendation_coverage.csv").exists()


def test_cli_tables(stage_dir: Path) -> None:
    result = CliRunner().invoke(main, ["tables", "--output", str(stage_dir)])
    assert result.exit_code == 0, result.output
    assert (stage_dir / "tables" / "theme_by_document.csv").exists()
    assert "theme_by_document.csv" in result.output


def test_cli_tables_without_outputs(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["tables", "--output", str(tmp_path)])
    assert result.exit_code == 1
    assert "no pipeline outputs" in result.output


def test_the_runs_codebook_names_the_themes(
    stage_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = []

    def load(path=None):  # type: ignore[no-untyped-def]
        asked.append(path)
        return [theme_tables.ThemeInfo("police", "Police involvement", "officers, custody")]

    monkeypatch.setattr(tables_build, "theme_infos", load)
    cfg = RunConfig(input_dir=stage_dir, output_dir=stage_dir)
    cfg.themes = types.SimpleNamespace(codebook=Path("my_codebook.yaml"))  # type: ignore[attr-defined]
    t = tables_build.tables_stage(cfg)
    assert asked == [Path("my_codebook.yaml")]
    assert t.catalog[0] == theme_tables.ThemeInfo(
        "police", "Police involvement", "officers, custody"
    )
    assert _read(stage_dir, "theme_summary").at[0, "label"] == "Police involvement"


def test_reading_the_tables_writes_nothing(stage_dir: Path) -> None:
    """Building the tables to read them (``sgpipe changes``, exploring, exporting) keeps
    no cache; the ``tables`` stage keeps the replies' readings in ``.cache``."""
    before = sorted(p.relative_to(stage_dir) for p in stage_dir.rglob("*"))
    tables_build.build_tables(stage_dir)
    assert sorted(p.relative_to(stage_dir) for p in stage_dir.rglob("*")) == before

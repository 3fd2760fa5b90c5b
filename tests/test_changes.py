"""What changed since the last briefing (pipeline.changes), over the demo corpus: a first
run without the May 2025 progress update, a second with it, a third with nothing new."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline import schema, store
from pipeline.changes import build_snapshot, compare, list_snapshots, pick_base
from pipeline.cli import main
from pipeline.config import RunConfig
from pipeline.run import run_all

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "raw"
UPDATE = "northbridge_progress_update_2025-05.html"


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Run 1 on the demo corpus less the update, run 2 with it, run 3 unchanged; keep each
    run's changes table and briefing."""
    base = tmp_path_factory.mktemp("changes")
    before = base / "raw_before"
    shutil.copytree(DEMO, before)
    (before / UPDATE).unlink()
    out = base / "out"
    seen: dict[str, object] = {"out": out}
    for n, raw in ((1, before), (2, DEMO), (3, DEMO)):
        run_all(RunConfig(input_dir=raw, output_dir=out, jobs=1, progress=False))
        seen[f"changes{n}"] = pd.read_csv(
            out / "tables" / "changes.csv", dtype=str, keep_default_na=False
        )
        seen[f"md{n}"] = (out / "tables" / "briefing.md").read_text(encoding="utf-8")
        seen[f"html{n}"] = (out / "report" / "report.html").read_text(encoding="utf-8")
        seen[f"docx{n}"] = _docx_text((out / "report" / "briefing.docx").read_bytes())
        seen[f"xlsx{n}"] = pd.read_excel(
            out / "tables" / "briefing.xlsx", sheet_name="Since the last briefing", dtype=str
        ).fillna("")
    return seen


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml").decode("utf-8")


def test_the_first_run_has_nothing_to_compare_with(three_runs: dict) -> None:
    first = three_runs["changes1"]
    assert list(first["change"]) == ["compared_with"]
    assert "nothing to compare with" in first["detail"].iloc[0]
    assert "nothing to compare with" in three_runs["md1"]


def test_the_second_run_lists_exactly_what_the_update_changed(three_runs: dict) -> None:
    ch = three_runs["changes2"]
    assert ch["change"].iloc[0] == "compared_with"
    [doc] = ch.loc[ch["change"] == "new_document", "doc_id"]
    assert doc == "northbridge-progress-update-2025-05-html"
    assert not (ch["change"] == "removed_document").any()
    status = ch[ch["change"] == "status_changed"]
    assert set(zip(status["number"], status["old"], status["new"], strict=True)) == {
        ("2", "in_progress", "completed"),
        ("4", "in_progress", "on_hold"),
        ("8", "", "not_started"),
    }
    quotes = dict(zip(status["number"], status["quote"], strict=True))
    assert quotes["2"].startswith("Recommendation 2 has been completed.")
    assert quotes["4"].startswith("Recommendation 4 is on hold.")
    assert set(status["doc_id"]) == {doc} and set(status["page"]) == {"1"}
    first = ch[ch["change"] == "first_mention"]
    assert list(first["number"]) == ["8"]
    assert first["quote"].iloc[0].startswith("Recommendation 8 has not yet started.")
    # 3 was last reported on in November 2024: more than six months before May 2025
    silent = ch[ch["change"] == "silent"]
    assert list(zip(silent["review"], silent["number"], strict=True)) == [("Child L", "3")]
    assert "last mentioned 2024-11-20" in silent["detail"].iloc[0]
    moved = ch[ch["change"] == "theme_count"]
    assert len(moved) and (moved["new"].astype(int) > moved["old"].astype(int)).all()
    # recommendation 5 kept its status (amber, mapped to in_progress): not a change
    assert "5" not in set(ch["number"])


def test_the_briefings_show_the_changes_at_the_top(three_runs: dict) -> None:
    md = three_runs["md2"]
    since = md.index("## Since the last briefing")
    assert since < md.index("## Themes")
    section = md[since : md.index("## Themes")]
    for words in (
        "Status changed | Child L recommendation 4 | in progress | on hold",
        "Recommendation 2 has been completed.",
        "First mention | Child L recommendation 8",
        "Gone silent | Child L recommendation 3",
    ):
        assert words in section, words
    html = three_runs["html2"]
    assert html.index('id="changes"') < html.index('id="themes"')
    assert "Recommendation 4 is on hold." in html
    docx = three_runs["docx2"]
    assert docx.index("Since the last briefing") < docx.index(">Themes<")
    assert "Recommendation 8 has not yet started." in docx
    xlsx = three_runs["xlsx2"]
    assert list(xlsx["change"]) == list(three_runs["changes2"]["change"])


def test_a_third_run_with_nothing_new_reports_no_change(three_runs: dict) -> None:
    third = three_runs["changes3"]
    assert list(third["change"]) == ["compared_with"]
    assert "Nothing has changed since then." in three_runs["md3"]
    assert "Nothing has changed since then." in three_runs["html3"]
    # an unchanged run does not store a second copy of the same snapshot
    assert len(list_snapshots(three_runs["out"])) == 2


def test_since_compares_with_a_named_snapshot(three_runs: dict) -> None:
    out = three_runs["out"]
    first = list_snapshots(out)[0]
    assert pick_base(out, str(first.path)).created == first.created
    again = compare(pick_base(out, str(first.path)), build_snapshot(out))
    assert set(again["change"]) == set(three_runs["changes2"]["change"])
    result = CliRunner().invoke(main, ["changes", "--output", str(out), "--since", str(first.path)])
    assert result.exit_code == 0, result.output
    assert "Status changed: Child L recommendation 4: in progress -> on hold" in result.output
    assert '"Recommendation 4 is on hold.' in result.output
    result = CliRunner().invoke(main, ["changes", "--output", str(out)])
    assert result.exit_code == 0 and "Nothing has changed since then." in result.output
    result = CliRunner().invoke(main, ["changes", "--output", str(out), "--since", "1999-01-01"])
    assert result.exit_code == 1 and "no snapshot" in result.output


def test_silent_months_is_an_option(three_runs: dict) -> None:
    out = three_runs["out"]
    first = list_snapshots(out)[0]
    wide = compare(first, build_snapshot(out), silent_months=12)
    silent = wide[wide["change"] == "silent"]
    # 3 is quiet for six months only; 10, never mentioned, passes a year since the review
    # (12 March 2024) with the May 2025 update, but had not by January 2025
    assert list(silent["number"]) == ["10"]
    assert "review published 2024-03-12" in silent["detail"].iloc[0]


def test_the_rag_ratings_of_the_update_and_their_mapping(three_runs: dict) -> None:
    out = three_runs["out"]
    links = store.read_table(schema.LINKS, out)
    mine = links[links["doc_id"] == "northbridge-progress-update-2025-05-html"]
    rated = mine[mine["rag"] != ""]
    got = set(zip(rated["number"], rated["rag"], rated["status"], strict=True))
    # the words win (4: "On hold", 8: "Not yet started"); 5 says no status: its amber
    # becomes in_progress through the manifest's mapping
    assert got == {
        ("2", "green", "completed"),
        ("4", "red", "on_hold"),
        ("5", "amber", "in_progress"),
        ("8", "red", "not_started"),
    }
    [cue] = rated.loc[rated["number"] == "5", "status_cue"]
    assert cue == "RAG amber, mapped to in_progress"
    docs = store.read_table(schema.DOCUMENTS, out).set_index("path")
    assert docs.loc[UPDATE, "rag_mapping"] == "red=not_started; amber=in_progress; green=completed"
    assert docs.loc["northbridge_progress_report_2024-11.docx", "rag_mapping"] == ""

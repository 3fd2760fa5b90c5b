"""Link evaluation: the metrics on a hand-built case, and the CLI commands."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline import schema, store
from pipeline.cli import main
from pipeline.evaluate.links import evaluate_links

DOCS = pd.DataFrame([{"doc_id": "resp-pdf", "path": "resp.pdf", "title": "Response", "date": ""}])
PASSAGES = pd.DataFrame(
    [
        {"passage_id": f"resp-pdf:{i}", "doc_id": "resp-pdf", "page": 1, "text": t}
        for i, t in enumerate(
            [
                "The Government accepts recommendation 1.",
                "The Government agrees with recommendations 2 and 3 in principle.",
                "An introduction that answers nothing.",
                "A reply about the second recommendation.",
            ]
        )
    ]
)
GOLD = pd.DataFrame(
    [
        # doc, quote, page, review, numbers, status
        ("resp.pdf", "The Government accepts recommendation 1", "1", "R", "1", "accepted"),
        (
            "resp.pdf",
            "agrees with recommendations 2 and 3",
            "1",
            "R",
            "2;3",
            "accepted_in_principle;",
        ),
        ("resp.pdf", "An introduction", "1", "R", "", ""),
        ("resp.pdf", "A reply about the second", "1", "R", "2", ""),
        ("resp.pdf", "A quote that is nowhere", "1", "R", "4", "completed"),
    ],
    columns=["doc", "quote", "page", "review", "numbers", "status"],
)


def _link(pid: int, review: str, number: str, score: float, rank: int, status: str = "") -> dict:
    return {
        "passage_id": f"resp-pdf:{pid}",
        "doc_id": "resp-pdf",
        "rec_id": f"x#{number}",
        "score": score,
        "method": "explicit",
        "status": status,
        "evidence": "",
        "review": review,
        "number": number,
        "rank": rank,
    }


LINKS = pd.DataFrame(
    [
        _link(0, "R", "1", 0.9, 1, "accepted"),
        _link(1, "R", "2", 0.9, 1, "accepted"),  # wrong status
        _link(1, "R", "3", 0.9, 2, "accepted"),  # no gold status: not scored
        _link(3, "R", "3", 0.8, 1),  # wrong top-1
        _link(3, "R", "2", 0.7, 2),
        _link(2, "Other review", "1", 0.6, 1),  # a link where none belongs
    ]
)


def test_metrics_on_a_hand_built_case() -> None:
    scores = evaluate_links(GOLD, LINKS, PASSAGES, DOCS)
    # predictions: {1}, {2,3}, {other#1}, {3,2}, {} ; gold: {1}, {2,3}, {}, {2}, {4}
    assert scores.value("link_precision") == pytest.approx(4 / 6)
    assert scores.value("link_recall") == pytest.approx(4 / 5)
    assert scores.value("top1_accuracy") == pytest.approx(2 / 4)
    assert scores.value("status_accuracy") == pytest.approx(1 / 3)  # 1 ok, 2 wrong, 4 missing
    assert scores.value("none_accuracy") == 0.0
    assert scores.value("unlocated") == 1
    row = scores.items.iloc[1]
    assert row["gold"] == "2;3" and row["predicted"] == "2;3"
    assert row["status_pairs"] == "accepted_in_principle->accepted"


def test_gold_without_a_page_column_is_accepted() -> None:
    scores = evaluate_links(GOLD.drop(columns=["page"]), LINKS, PASSAGES, DOCS)
    assert scores.value("link_recall") == pytest.approx(4 / 5)


def _output_folder(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    docs = DOCS.assign(
        sha256="", format="pdf", doc_type="response", pages=1, words=10, status="ok", error=""
    )
    store.write_table(docs, schema.DOCUMENTS, out)
    passages = PASSAGES.assign(
        seq=range(len(PASSAGES)), ref="", parent_ref="", kind="paragraph", speaker=""
    )
    store.write_table(passages, schema.PASSAGES, out)
    store.write_table(LINKS, schema.LINKS, out)
    return out


def test_eval_links_command_prints_and_writes_csv(tmp_path: Path) -> None:
    out = _output_folder(tmp_path)
    gold = tmp_path / "links_test.csv"
    GOLD.to_csv(gold, index=False)
    result = CliRunner().invoke(main, ["eval", "links", "--gold", str(gold), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "link_precision   0.667" in result.stdout
    assert "top1_accuracy    0.500" in result.stdout
    metrics = pd.read_csv(out / "eval" / "links_test_metrics.csv")
    assert metrics.set_index("metric").loc["link_recall", "value"] == pytest.approx(0.8)
    assert (out / "eval" / "links_test_items.csv").exists()


def test_eval_links_with_a_malformed_gold_file_fails_cleanly(tmp_path: Path) -> None:
    out = _output_folder(tmp_path)
    gold = tmp_path / "bad.csv"
    gold.write_text("doc,quote\nresp.pdf,hello\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "links", "--gold", str(gold), "--output", str(out)])
    assert result.exit_code == 1
    assert "missing column(s)" in result.output


def test_trace_of_an_unknown_review_fails_cleanly(tmp_path: Path) -> None:
    out = _output_folder(tmp_path)
    store.write_table(schema.RECOMMENDATIONS.empty(), schema.RECOMMENDATIONS, out)
    result = CliRunner().invoke(main, ["trace", "Child Z", "--output", str(out)])
    assert result.exit_code == 1
    assert "review 'Child Z' not found" in result.output


def test_demo_commands_end_to_end(demo_run: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["trace", "child l", "--rec", "6", "--output", str(demo_run)])
    assert result.exit_code == 0, result.output
    assert "Recommendation 6:" in result.stdout and "not_accepted" in result.stdout
    gold = Path(__file__).resolve().parents[1] / "scripts" / "demo_corpus" / "answer_key.csv"
    result = runner.invoke(main, ["eval", "links", "--gold", str(gold), "--output", str(demo_run)])
    assert result.exit_code == 0, result.output
    assert (demo_run / "eval" / "answer_key_metrics.csv").exists()

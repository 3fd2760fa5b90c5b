"""Theme evaluation: the score table on hand-built sets, and the targets on the shared gold
(rules + model with document-grouped cross-validation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.evaluate.themes import evaluate_themes, format_table, score_table
from pipeline.metrics import bootstrap_interval, bootstrap_intervals
from pipeline.themes.codebook import load_codebook
from pipeline.themes.labels import gold_files

from .conftest import FIGURES, ROOT


def test_score_table_counts_and_scores() -> None:
    gold = [{"a", "b"}, {"a"}, set()]
    pred = [{"a"}, {"a", "c"}, {"b"}]
    table = score_table(gold, {"sys": pred}, ["a", "b", "c"], n_resamples=200)
    rows = table.set_index("theme")
    assert rows.loc["a", ["tp", "fp", "fn", "support"]].tolist() == [2, 0, 0, 2]
    assert rows.loc["a", "f1"] == 1.0
    assert rows.loc["b", ["tp", "fp", "fn", "f1"]].tolist() == [0, 1, 1, 0.0]
    assert rows.loc["c", ["support", "fp", "precision"]].tolist() == [0, 1, 0.0]
    micro = rows.loc["micro"]
    assert micro[["tp", "fp", "fn"]].tolist() == [2, 2, 1]
    assert micro["precision"] == 0.5 and micro["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert micro["f1"] == pytest.approx(4 / 7, abs=1e-4)
    assert rows.loc["macro", "f1"] == 0.5  # over a and b, the themes the gold uses
    for _, r in table.iterrows():
        if not np.isnan(r["f1"]):
            assert r["f1_low"] - 1e-9 <= r["f1"] <= r["f1_high"] + 1e-9


def test_theme_without_gold_or_prediction_has_no_score() -> None:
    table = score_table([{"a"}], {"sys": [{"a"}]}, ["a", "b"], n_resamples=20)
    assert np.isnan(table.set_index("theme").loc["b", "f1"])
    assert "-" in format_table(table).splitlines()[3]


def test_vector_bootstrap_matches_the_scalar_one() -> None:
    values = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    low, high = bootstrap_intervals(len(values), lambda idx: np.array([values[idx].mean()]))
    assert (low[0], high[0]) == bootstrap_interval(len(values), lambda idx: values[idx].mean())
    low, high = bootstrap_intervals(0, lambda idx: np.zeros(3))
    assert np.isnan(low).all() and low.shape == (3,)


@pytest.fixture(scope="module")
def dev_eval(corpus_run: Path, labels_dir: Path):
    return evaluate_themes(
        corpus_run,
        labels_dir / "themes_dev.csv",
        label_paths=[ROOT / "data" / "labels"],
        n_resamples=300,
    )


def test_targets_on_the_shared_gold(dev_eval) -> None:
    """micro-F1 >= 0.85 with rules + model; every core theme the gold uses has F1 >= 0.6."""
    core = set(load_codebook().core_ids)
    combined = dev_eval.score("combined")
    rules = dev_eval.score("rules")
    model = dev_eval.score("model")
    FIGURES["themes_dev micro-F1 (rules / model CV / combined)"] = (
        f"{rules['f1']:.3f} / {model['f1']:.3f} / {combined['f1']:.3f} "
        f"[combined 95% CI {combined['f1_low']:.3f}-{combined['f1_high']:.3f}]"
    )
    assert combined["f1"] >= 0.85
    table = dev_eval.table
    per_theme = table[(table["system"] == "combined") & table["theme"].isin(core)]
    present = per_theme[per_theme["support"] > 0]
    assert len(present) == 13  # every core theme but adultification
    weak = present[present["f1"] < 0.6]
    assert weak.empty, weak[["theme", "precision", "recall", "f1"]].to_string()


def test_model_part_is_document_grouped(dev_eval) -> None:
    note = next(n for n in dev_eval.notes if n.startswith("model:"))
    assert "keeping-children-safe-in-education-2025-pdf" in note
    assert "hackney-minutes-child-q-2022-txt" in note
    items = dev_eval.items
    assert len(items) == 71 and (items["passage_id"] != "").all()
    # leave one document out, thresholds inside the training documents, real labels only
    assert "leave one document out" in note and "inner leave-one-document-out" in note
    assert "weak" not in note


def test_cli_eval_themes_prints_and_writes(corpus_run: Path, labels_dir: Path) -> None:
    res = CliRunner().invoke(
        main,
        [
            "eval", "themes", "--gold", str(labels_dir / "themes_dev.csv"),
            "--output", str(corpus_run), "--rules-only", "--resamples", "50",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "micro" in res.output and "macro" in res.output
    table = pd.read_csv(corpus_run / "eval" / "themes_themes_dev.csv")
    assert set(table["system"]) == {"rules"}
    micro = table[table["theme"] == "micro"].iloc[0]
    assert micro["f1_low"] <= micro["f1"] <= micro["f1_high"]
    items = pd.read_csv(corpus_run / "eval" / "themes_themes_dev_items.csv")
    assert len(items) == 71


def test_cli_train_then_tag_with_the_model(
    corpus_run: Path, labels_dir: Path, tmp_path: Path
) -> None:
    model_path = tmp_path / "themes.skops"
    runner = CliRunner()
    res = runner.invoke(
        main,
        [
            "train", "--output", str(corpus_run), "--labels", str(labels_dir),
            "--labels", str(ROOT / "data" / "labels"), "--no-cv",
            "--model", str(model_path), "--reviews", str(tmp_path / "none.csv"),
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    meta = pd.read_json(tmp_path / "themes.skops.json", typ="series")
    files = gold_files([labels_dir, ROOT / "data" / "labels"])
    assert set(meta["training_passages"]) == {f.stem for f in files}  # real labels only
    assert set(meta["thresholds"]) == set(meta["classes"])
    # every passage of every gold file found (a file added later adds a key)
    assert meta["training_passages"] == {f.stem: len(pd.read_csv(f)) for f in files}
    assert meta["label_counts"]["education"]["themes_dev"] == 27
    out = tmp_path / "run"
    out.mkdir()
    for name in ("passages.parquet", "documents.parquet"):
        (out / name).write_bytes((corpus_run / name).read_bytes())
    res = runner.invoke(main, ["tag", "--output", str(out), "--model", str(model_path)])
    assert res.exit_code == 0, res.output
    themes = pd.read_parquet(out / "themes.parquet")
    assert {"rule", "both"} <= set(themes["method"])
    assert themes.loc[themes["method"] != "rule", "model_score"].notna().all()
    assert (themes.loc[themes["method"] == "model", "evidence"].str.len() > 0).all()

"""scripts/compare_outputs.py: identical folders compare clean; a changed passage,
a changed table cell and a missing file are each reported."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pandas as pd

from pipeline import store
from tests import stage_outputs

ROOT = Path(__file__).resolve().parents[1]


def _script():
    path = ROOT / "scripts" / "compare_outputs.py"
    spec = importlib.util.spec_from_file_location("compare_outputs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_identical_folders_compare_clean(tmp_path: Path) -> None:
    ref = tmp_path / "ref"
    stage_outputs.write_stage_outputs(ref)
    shutil.copytree(ref, tmp_path / "new")
    assert _script().compare(ref, tmp_path / "new") == []
    assert _script().main([str(ref), str(tmp_path / "new")]) == 0


def test_changes_are_reported_where_they_are(tmp_path: Path) -> None:
    ref, new = tmp_path / "ref", tmp_path / "new"
    stage_outputs.write_stage_outputs(ref)
    shutil.copytree(ref, new)
    passages = pd.read_parquet(new / "passages.parquet")
    passages.loc[0, "text"] = "A changed paragraph."
    store.write_parquet(passages, new / "passages.parquet")
    themes = pd.read_parquet(new / "themes.parquet")
    themes.loc[0, "score"] = themes.loc[0, "score"] + 1.0
    store.write_parquet(themes, new / "themes.parquet")
    (new / "links.parquet").unlink()
    (new / "extra.csv").write_text("a\n1\n")

    lines = _script().compare(ref, new)
    text = "\n".join(lines)
    assert "only in reference: links.parquet" in lines
    assert "only in new: extra.csv" in lines
    assert "differs: passages.parquet" in lines
    assert "A changed paragraph." in text  # the aligned passage diff shows the new text
    assert "differs: themes.parquet" in lines
    assert "row 0: ['score']" in text
    assert _script().main([str(ref), str(new)]) == 1


def test_run_snapshots_are_paired_in_time_order_without_their_creation_time(
    tmp_path: Path,
) -> None:
    ref, new = tmp_path / "ref", tmp_path / "new"
    for folder, stamp in ((ref, "20260101T000000Z"), (new, "20260202T000000Z")):
        (folder / "history").mkdir(parents=True)
        snap = {"created": stamp, "statuses": {"r#1": "completed"}}
        store.write_json(snap, folder / "history" / f"snapshot-{stamp}.json")
    assert _script().compare(ref, new) == []
    changed = {"created": "20260202T000000Z", "statuses": {"r#1": "planned"}}
    store.write_json(changed, new / "history" / "snapshot-20260202T000000Z.json")
    assert _script().compare(ref, new) == [
        "differs: history/snapshot-20260101T000000Z.json / history/snapshot-20260202T000000Z.json"
    ]

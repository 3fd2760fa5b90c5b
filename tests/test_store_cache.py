"""The keyed JSON caches of pipeline.store: read back only under the key they were written with."""

from __future__ import annotations

from pathlib import Path

from pipeline import store


def test_a_keyed_cache_is_read_under_its_key_only(tmp_path: Path) -> None:
    path = tmp_path / "c" / "doc.json"
    store.write_keyed({"rows": [1, 2]}, path, "k1")
    assert store.read_keyed(path, "k1") == {"rows": [1, 2]}
    assert store.read_keyed(path, "k2") is None
    assert store.read_keyed(tmp_path / "missing.json", "k1") is None
    path.write_text("{not json", encoding="utf-8")
    assert store.read_keyed(path, "k1") is None


def test_prune_cache_keeps_the_named_entries(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        store.write_keyed([], tmp_path / f"{name}.json", "k")
    (tmp_path / "notes.txt").write_text("kept", encoding="utf-8")
    store.prune_cache(tmp_path, ["a", "c"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "c.json", "notes.txt"]
    store.prune_cache(tmp_path / "absent", [])  # no folder: nothing to do

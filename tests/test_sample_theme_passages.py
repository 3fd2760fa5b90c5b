"""scripts/sample_theme_passages.py: the blind-labelling sample leaves out short
passages, footnotes and passages of other gold files, and is the same for the same seed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _script():
    path = ROOT / "scripts" / "sample_theme_passages.py"
    spec = importlib.util.spec_from_file_location("sample_theme_passages", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _passages() -> pd.DataFrame:
    words = "one two three four five six seven eight nine"
    rows = [
        ("a", "paragraph", f"{words} about the school timetable"),
        ("a", "paragraph", f"{words} the views of parents were sought"),
        ("a", "footnote", f"{words} the wishes of the child were heard"),
        ("a", "paragraph", "Too short to label"),
        ("a", "paragraph", f"Already in gold: {words} community trust"),
        ("b", "bullet", f"{words} the police attended the meeting"),
        ("b", "paragraph", f"{words} the budget for next year"),
    ]
    return pd.DataFrame(rows, columns=["doc_id", "kind", "text"]).assign(page=1)


def test_the_sample_leaves_out_short_footnote_and_gold_passages() -> None:
    script = _script()
    quotes = [script._norm("Already in gold: one two three")]
    picked = script.sample(_passages(), quotes, seed=1, n_random=5, n_rare=5)
    texts = list(picked["text"])
    assert len(texts) == 4
    assert not any(t.startswith(("Too short", "Already in gold")) for t in texts)
    assert set(picked["kind"]) <= {"paragraph", "bullet"}


def test_rare_theme_words_are_drawn_beyond_the_random_ones() -> None:
    script = _script()
    picked = script.sample(_passages(), [], seed=3, n_random=0, n_rare=5)
    assert set(picked["text"].str.extract(r"(parents|police|community)")[0].dropna()) == {
        "parents",
        "police",
        "community",
    }


def test_the_same_seed_gives_the_same_sample() -> None:
    script = _script()
    first = script.sample(_passages(), [], seed=7, n_random=1, n_rare=1)
    again = script.sample(_passages(), [], seed=7, n_random=1, n_rare=1)
    assert list(first.index) == list(again.index)

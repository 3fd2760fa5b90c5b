"""What the model reads of the rules: matches as features (theme, pattern, negation,
context drops, headings, lists of agencies), and the embedding block."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.config import ThemeOptions
from pipeline.themes.features import Meaning
from pipeline.themes.passage_features import record, records
from pipeline.themes.tagger import Tagger


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger.from_options(ThemeOptions(model=None, reviews=None))


def features(tagger: Tagger, text: str, kind: str = "paragraph") -> dict[str, float]:
    ((_, _, feats),) = tagger.rule_results([text], kinds=[kind])
    return feats


def test_rule_tags_and_patterns_are_features(tagger: Tagger) -> None:
    f = features(tagger, "The police arrested a man outside the school.")
    assert f["tag:police"] > 0 and f["tag:education"] > 0
    assert any(k.startswith("pat:police|") for k in f)
    assert f["kind:paragraph"] == 1.0 and "head:police" not in f


def test_heading_and_negation(tagger: Tagger) -> None:
    assert "head:education" in features(tagger, "Working with schools", kind="heading")
    f = features(tagger, "There was no evidence that race was a factor.")
    assert "tag:anti_racism" not in f and "negmatch:anti_racism" in f


def test_a_list_of_agencies_is_marked(tagger: Tagger) -> None:
    listed = features(tagger, "Contact the police, health services and the school.")
    assert "list:police" in listed and "onlylist:police" in listed
    alone = features(tagger, "The police arrested him after a long search.")
    assert "list:police" not in alone


def test_records_and_meaning_block() -> None:
    recs = records(["a child at risk", "the budget"], ["paragraph", "heading"])
    assert recs[1] == record("the budget", "heading")
    emb = Meaning().fit(recs).transform(recs)
    assert emb.shape == (2, 256)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, rtol=1e-5)
    # meaning beyond exact words: a paraphrase is nearer than an unrelated text
    a, b, c = Meaning().embed(
        ["the child was listened to", "we heard the young person's wishes", "road budget"]
    )
    assert a @ b > a @ c

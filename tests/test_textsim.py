"""textsim.tfidf_matrix computes scikit-learn's TfidfVectorizer(sublinear_tf=True)
without importing scikit-learn: same vocabulary, same stored entries, same bits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline import textsim

ROOT = Path(__file__).resolve().parents[1]

TEXTS = [
    "The Department for Education should publish guidance on searches of pupils in schools.",
    "Schools and the police should agree a protocol; the protocol should be published.",
    "",  # no words
    "and the of it",  # stop words only
    "Anti-racist practice: the anti racist training of staff, and antiracist supervision.",
    "Recommendation 3 is accepted. The Government agrees with the recommendation.",
    "Children's voices were not heard; the child's voice must be heard and recorded.",
]


def _sklearn(texts: list[str]):
    vec = TfidfVectorizer(analyzer=textsim._analyzer, sublinear_tf=True, min_df=1, norm="l2")
    matrix = vec.fit_transform(texts)
    return matrix, list(vec.get_feature_names_out())


def _demo_texts() -> list[str]:
    raw = (ROOT / "data" / "raw" / "hackney_minutes_child_q_2022.txt").read_text(encoding="utf-8")
    return [block.strip() for block in raw.split("\n\n") if block.strip()]


@pytest.mark.parametrize("texts", [TEXTS, TEXTS[::-1], TEXTS * 3], ids=["texts", "reversed", "x3"])
def test_same_matrix_as_scikit_learn(texts: list[str]) -> None:
    mine, vocab = textsim.tfidf_matrix(texts, return_vocabulary=True)
    theirs, their_vocab = _sklearn(texts)
    assert vocab == their_vocab
    assert np.array_equal(mine.indptr, theirs.indptr)
    assert np.array_equal(mine.indices, theirs.indices)
    assert np.array_equal(mine.data, theirs.data)  # bit for bit, not approximately
    assert np.array_equal(textsim.cosine(mine, mine), textsim.cosine(theirs, theirs))


def test_rows_have_unit_length_or_are_empty() -> None:
    mine = textsim.tfidf_matrix(TEXTS)
    lengths = np.sqrt(np.asarray(mine.multiply(mine).sum(axis=1)).ravel())
    assert lengths[2] == 0 and lengths[3] == 0
    assert np.allclose(np.delete(lengths, [2, 3]), 1.0)


def test_on_the_minutes_in_the_demo_corpus() -> None:
    texts = _demo_texts()
    assert len(texts) > 10
    mine, vocab = textsim.tfidf_matrix(texts, return_vocabulary=True)
    theirs, their_vocab = _sklearn(texts)
    assert vocab == their_vocab
    assert np.array_equal(mine.data, theirs.data)


def test_no_words_at_all_gives_an_empty_matrix() -> None:
    matrix, vocab = textsim.tfidf_matrix(["", "the and of"], return_vocabulary=True)
    assert matrix.shape == (2, 0) and vocab == []


def test_weighted_rows_under_the_texts_own_idf_are_tfidf_matrix() -> None:
    texts = [
        "Schools should record the views of each child in their own words.",
        "The police and schools agreed a protocol for calls about pupils.",
        "Each child's views were recorded by the school nurse.",
    ]
    expected, vocab = textsim.tfidf_matrix(texts, return_vocabulary=True)
    weights = textsim.fit_idf(texts)
    assert weights.terms == vocab
    rows = textsim.weighted_rows(texts, weights)
    np.testing.assert_allclose(rows.toarray(), expected.toarray())


def test_a_row_depends_on_its_text_and_the_weights_only() -> None:
    weights = textsim.fit_idf(
        ["Schools should record the views of each child.", "Police protocol."]
    )
    text = "The school recorded the child's views for the police."
    one = textsim.weighted_rows([text], weights).toarray()[0]
    among = textsim.weighted_rows(["Something else entirely.", text], weights).toarray()[1]
    np.testing.assert_array_equal(one, among)
    # words no reference text has lengthen the row, so the shared ones weigh less
    longer = textsim.weighted_rows([text + " Hackney weather harvest."], weights).toarray()[0]
    assert np.linalg.norm(longer) < 1.0
    assert (longer[one > 0] < one[one > 0]).all()
    assert (longer > 0).sum() == (one > 0).sum()

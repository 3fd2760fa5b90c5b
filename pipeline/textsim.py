"""Lexical similarity shared by recommendation extraction and linking.

Texts are compared as bags of content lemmas (spaCy's English lookup table from
``spacy-lookups-data``, stop words removed), weighted by TF-IDF over the texts
being compared, so that words every document uses ("government",
"recommendation") count for little and rare shared words ("Change4Life",
"adultification") for a lot. A restatement (a response quoting the
recommendation it answers) is recognised separately, by fuzzy containment of
one text in the other.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz
from sklearn.feature_extraction.text import TfidfVectorizer
from spacy.lang.en.stop_words import STOP_WORDS

from pipeline.textnorm import normalize_for_match

_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]", re.UNICODE)

#: Words that say how a text is phrased rather than what it is about.
EXTRA_STOP_WORDS = frozenset(
    {
        "also",
        "however",
        "therefore",
        "whether",
        "including",
        "particular",
        "ensure",
        "e.g",
        "eg",
        "ie",
        "etc",
        "para",
        "paragraph",
        # the language of recommending and responding, not what is recommended
        "agree",
        "accept",
        "recommend",
        "recommendation",
        "committee",
        "urge",
        "welcome",
    }
)


@lru_cache(maxsize=1)
def _lemma_table():
    from spacy.lookups import load_lookups

    return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """The dictionary form of one lower-cased word (itself when the table has none)."""
    return _lemma_table().get(word, word)


def content_lemmas(text: str) -> list[str]:
    """Lower-cased lemmas of the content words of ``text``, in order.

    Hyphens and apostrophes inside words are dropped first ("anti-racist" and
    "antiracist" are one word), numbers and stop words are skipped.
    """
    out = []
    for m in _WORD.finditer(text.lower().replace("’", "'")):
        word = m.group(0)
        if word.endswith("'s"):
            word = word[:-2]
        word = word.replace("-", "").replace("'", "")
        if len(word) < 2 or word in STOP_WORDS or word in EXTRA_STOP_WORDS:
            continue
        lem = lemma(word)
        if lem in STOP_WORDS:
            continue
        out.append(lem)
    return out


def _analyzer(text: str) -> list[str]:
    lemmas = content_lemmas(text)
    return lemmas + [f"{a} {b}" for a, b in itertools.pairwise(lemmas)]


def tfidf_matrix(texts: Sequence[str], *, return_vocabulary: bool = False):
    """TF-IDF rows (L2-normalised, sparse) of lemma unigrams and bigrams for ``texts``.

    The vocabulary and IDF come from ``texts`` themselves, so the weights reflect
    the documents being compared and nothing is learnt from elsewhere. With
    ``return_vocabulary`` the column terms are returned too.
    """
    vec = TfidfVectorizer(analyzer=_analyzer, sublinear_tf=True, min_df=1, norm="l2")
    try:
        matrix = vec.fit_transform(list(texts))
        vocab = list(vec.get_feature_names_out())
    except ValueError:  # no text, or stop words only
        matrix, vocab = np.zeros((len(texts), 0)), []
    return (matrix, vocab) if return_vocabulary else matrix


def cosine(a, b) -> np.ndarray:
    """Cosine similarities between the rows of two L2-normalised matrices (dense array)."""
    if a.shape[1] == 0:
        return np.zeros((a.shape[0], b.shape[0]))
    out = a @ b.T
    return out.toarray() if hasattr(out, "toarray") else np.asarray(out)


def containment(part: str, whole: str) -> float:
    """How completely ``part`` is quoted in ``whole``, 0 to 1 (1 = word for word).

    The best-matching stretch of ``whole`` is compared with ``part`` after
    :func:`~pipeline.textnorm.normalize_for_match`, so line breaks, quotes and
    punctuation do not matter and small wording changes lower the score a little.
    """
    a, b = normalize_for_match(part), normalize_for_match(whole)
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        # the quoted text may carry a little more than the original (a label, a
        # paragraph reference): compare the other way round, but penalise the excess
        return fuzz.partial_ratio(b, a) / 100.0 * min(1.0, len(b) / len(a)) ** 0.5
    return fuzz.partial_ratio(a, b) / 100.0

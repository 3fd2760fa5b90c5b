"""Lexical similarity shared by recommendation extraction and linking.

Texts are compared as bags of content lemmas (spaCy's English lookup table from
``spacy-lookups-data``, stop words removed), weighted by TF-IDF, so that common
words count for little and rare shared words ("Change4Life", "adultification")
for a lot: over the texts being compared (:func:`tfidf_matrix`), or by an IDF
fitted on reference texts and applied to any other (:func:`fit_idf`,
:func:`weighted_rows`; linking weighs passages by the recommendations' IDF, so a
passage's weights do not depend on the other documents of a run). A restatement
(a response quoting the recommendation it answers) is recognised separately, by
fuzzy containment of one text in the other.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz

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
def _stop_words() -> frozenset[str]:
    """spaCy's English stop words plus :data:`EXTRA_STOP_WORDS` (spaCy is imported on
    first use, so that importing this module stays light)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | EXTRA_STOP_WORDS


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
    stop = _stop_words()
    spacy_stop = _spacy_stop_words()
    for word in _WORD.findall(text.lower().replace("’", "'")):
        if word.endswith("'s"):
            word = word[:-2]
        if "-" in word or "'" in word:
            word = word.replace("-", "").replace("'", "")
        if len(word) < 2 or word in stop:
            continue
        lem = lemma(word)
        if lem in spacy_stop:
            continue
        out.append(lem)
    return out


@lru_cache(maxsize=1)
def _spacy_stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def _analyzer(text: str) -> list[str]:
    lemmas = content_lemmas(text)
    return lemmas + [f"{a} {b}" for a, b in itertools.pairwise(lemmas)]


def tfidf_matrix(texts: Sequence[str], *, return_vocabulary: bool = False):
    """TF-IDF rows (L2-normalised, sparse) of lemma unigrams and bigrams for ``texts``.

    The vocabulary and IDF come from ``texts`` themselves, so the weights reflect
    the documents being compared and nothing is learnt from elsewhere. With
    ``return_vocabulary`` the column terms are returned too, in sorted order.

    The weighting is scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` with its
    defaults (smoothed IDF ``ln((1 + n) / (1 + df)) + 1``, term frequency
    ``1 + ln(count)``, rows scaled to unit length), computed here with numpy and
    scipy because importing scikit-learn costs about a second per run, more than
    the computation; ``tests/test_textsim.py`` checks that both agree.
    """
    from scipy.sparse import csr_matrix

    vocabulary: dict[str, int] = {}
    indices: list[int] = []
    counts: list[int] = []
    indptr = [0]
    for text in texts:
        row: dict[int, int] = {}
        for term in _analyzer(text):
            col = vocabulary.setdefault(term, len(vocabulary))
            row[col] = row.get(col, 0) + 1
        indices.extend(row)
        counts.extend(row.values())
        indptr.append(len(indices))
    if not vocabulary:  # no text, or stop words only
        matrix, vocab = np.zeros((len(texts), 0)), []
        return (matrix, vocab) if return_vocabulary else matrix
    n_terms = len(vocabulary)
    # columns numbered by first sight, each row in that order (as scikit-learn stores it)
    matrix = csr_matrix(
        (np.asarray(counts, dtype=np.float64), indices, indptr), shape=(len(texts), n_terms)
    )
    matrix.sort_indices()
    vocab = sorted(vocabulary)
    sorted_col = np.empty(n_terms, dtype=matrix.indices.dtype)
    sorted_col[[vocabulary[t] for t in vocab]] = np.arange(n_terms, dtype=matrix.indices.dtype)
    matrix.indices = sorted_col[matrix.indices]  # sorted-vocabulary columns, order kept
    matrix.has_sorted_indices = False
    data = matrix.data
    np.log(data, out=data)
    data += 1.0
    df = np.bincount(matrix.indices, minlength=n_terms).astype(np.float64)
    data *= (np.log((len(texts) + 1) / (df + 1.0)) + 1.0)[matrix.indices]
    _scale_rows_to_unit_length(matrix)
    return (matrix, vocab) if return_vocabulary else matrix


@dataclass(frozen=True, eq=False)
class TermWeights:
    """IDF weights fitted on reference texts (:func:`fit_idf`), applied to any other
    text by :func:`weighted_rows` without refitting."""

    terms: list[str]  # the reference texts' terms, sorted: the columns
    idf: np.ndarray  # one weight per column
    unseen: float  # the weight of a term no reference text has
    columns: dict[str, int] = field(init=False, repr=False)  # term -> column

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", {t: i for i, t in enumerate(self.terms)})


def fit_idf(texts: Sequence[str]) -> TermWeights:
    """Smoothed IDF of the terms (:func:`_analyzer`) of ``texts``, as
    :func:`tfidf_matrix` weighs them (``ln((1 + n) / (1 + df)) + 1``), and the weight
    of an unseen term (``df`` = 0)."""
    df: dict[str, int] = {}
    for text in texts:
        for term in set(_analyzer(text)):
            df[term] = df.get(term, 0) + 1
    terms = sorted(df)
    n = len(texts)
    counts = np.array([df[t] for t in terms], dtype=np.float64)
    return TermWeights(
        terms=terms,
        idf=np.log((n + 1) / (counts + 1.0)) + 1.0,
        unseen=float(np.log(n + 1.0) + 1.0),
    )


def weighted_rows(texts: Sequence[str], weights: TermWeights):
    """TF-IDF rows (sparse, ``len(texts) x len(weights.terms)``) of ``texts`` under
    ``weights``: term frequency ``1 + ln(count)``, each row scaled to unit length over
    *all* its terms, the unseen ones (weighted ``weights.unseen``) included, then kept
    only on the reference terms (an unseen term is shared with no reference text, so
    it adds nothing to a cosine with one). A text's row depends on that text and the
    weights alone, not on the other texts compared."""
    from scipy.sparse import csr_matrix

    columns = weights.columns
    idf = weights.idf
    indices: list[int] = []
    data: list[float] = []
    indptr = [0]
    for text in texts:
        counts: dict[str, int] = {}
        for term in _analyzer(text):
            counts[term] = counts.get(term, 0) + 1
        known = sorted((columns[t], c) for t, c in counts.items() if t in columns)
        values = [(1.0 + math.log(c)) * float(idf[col]) for col, c in known]
        square = sum(v * v for v in values)
        square += sum(
            ((1.0 + math.log(c)) * weights.unseen) ** 2
            for t, c in counts.items()
            if t not in columns
        )
        norm = math.sqrt(square) or 1.0
        indices.extend(col for col, _ in known)
        data.extend(v / norm for v in values)
        indptr.append(len(indices))
    return csr_matrix(
        (np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int32), indptr),
        shape=(len(texts), len(weights.terms)),
    )


def _scale_rows_to_unit_length(matrix) -> None:
    """Divide each row of a CSR matrix by its Euclidean length, in place.

    The squares are summed one position of the rows at a time, in stored order, so
    each sum is made in the same order as scikit-learn's ``normalize`` makes it and
    the result is the same to the last bit.
    """
    starts, lengths = matrix.indptr[:-1], np.diff(matrix.indptr)
    squares = matrix.data * matrix.data
    sums = np.zeros(len(lengths))
    for k in range(int(lengths.max(initial=0))):
        rows = np.flatnonzero(lengths > k)
        sums[rows] += squares[starts[rows] + k]
    norms = np.sqrt(sums)
    norms[norms == 0.0] = 1.0
    matrix.data /= np.repeat(norms, lengths)


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

"""The theme model in linear form: what tagging needs of a trained model, without scikit-learn.

A trained :class:`~pipeline.themes.model.ThemeModel` is a union of feature blocks
(TF-IDF of word 1-2-grams, the rule features through a ``DictVectorizer``, a unit
sentence embedding, optionally the standardised likeness to each theme's description)
followed by one logistic regression per theme. Once fitted, every step is a fixed
array operation, so :func:`compile_model` keeps those arrays (the vocabulary and its
IDF weights, the rule feature names, the coefficients and intercepts) and
:class:`LinearThemeModel` computes the same probabilities and the same evidence words
with numpy and ``scipy.sparse``, the same operations in the same order as
scikit-learn. Tagging then never imports scikit-learn, which with the ``scipy.stats``
it imports costs about 0.8 s a run.

:func:`load_tagging_model` keeps the compiled form in the model's cache folder, keyed
by the model file's SHA-256 like its compact form. Compiling checks on probe records
(drawn from the model's own vocabulary and rule features) that the compiled form gives
exactly the probabilities and evidence of the scikit-learn model; a model of another
shape (calibrated classifiers, other vectoriser settings), or one whose check fails,
is not compiled and is used as it is.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.themes.modelbase import Thresholds, evidence_words
from pipeline.themes.passage_features import records, unit_embeddings

log = logging.getLogger(__name__)

#: The format name of a compiled model's JSON file.
LINEAR_FORMAT = "sgpipe-themes-linear-1"
#: Probe records the compiled form is checked on.
PROBES = 60
_HERE = Path(__file__).resolve().parent


def code_key() -> str:
    """Hash of the code that computes with a linear form: a form saved by other code
    is not read (it is compiled again)."""
    from pipeline import store

    names = ("linear.py", "modelbase.py", "passage_features.py")
    return store.code_hash([_HERE / n for n in names])


class NotLinear(ValueError):
    """The model has a shape the linear form does not reproduce."""


@dataclass
class LinearThemeModel(Thresholds):
    """A fitted theme model as arrays: the same ``classes``, ``thresholds`` and
    probabilities as the :class:`~pipeline.themes.model.ThemeModel` it was compiled from."""

    classes: list[str]
    thresholds: dict[str, dict[str, float]]
    metadata: dict[str, Any]
    #: ``(name, width)`` of each feature block, in the order of the feature union.
    blocks: list[tuple[str, int]]
    #: Words block: settings, term -> column, IDF weight of each column, stop words.
    words: dict[str, Any] = field(default_factory=dict)
    vocabulary: dict[str, int] = field(default_factory=dict)
    idf: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stop_words: frozenset[str] = frozenset()
    #: Rules block: feature name -> column.
    rule_vocabulary: dict[str, int] = field(default_factory=dict)
    #: Meaning and likeness blocks: embedding settings, prototype embeddings, scaling.
    meaning: dict[str, Any] = field(default_factory=dict)
    likeness: dict[str, np.ndarray] = field(default_factory=dict)
    #: One row of coefficients per class (``(n_classes, n_features)``) and intercepts.
    coef: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    intercept: np.ndarray = field(default_factory=lambda: np.zeros(0))

    # ------------------------------------------------------------------ features

    def _analyze(self, text: str) -> list[str]:
        """The words block's features of ``text``: lower-cased tokens and their n-grams."""
        tokens = re.findall(self.words["token_pattern"], text.lower())
        low, high = self.words["ngram_range"]
        out = list(tokens) if low == 1 else []
        for n in range(max(low, 2), min(high + 1, len(tokens) + 1)):
            out += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        return out

    def word_matrix(self, texts: Sequence[str]) -> Any:
        """TF-IDF rows of ``texts`` (sublinear counts times IDF, unit length), CSR."""
        from scipy import sparse

        indices: list[int] = []
        values: list[int] = []
        indptr = [0]
        for text in texts:
            counter: dict[int, int] = {}
            for feature in self._analyze(text):
                j = self.vocabulary.get(feature)
                if j is not None:
                    counter[j] = counter.get(j, 0) + 1
            indices.extend(counter)
            values.extend(counter.values())
            indptr.append(len(indices))
        X = sparse.csr_array(
            (
                np.asarray(values, dtype=np.intc),
                np.asarray(indices, dtype=np.int32),
                np.asarray(indptr, dtype=np.int32),
            ),
            shape=(len(texts), len(self.vocabulary)),
            dtype=np.float64,
        )
        X.sort_indices()
        if self.words["sublinear_tf"]:
            np.log(X.data, X.data)
            X.data += 1.0
        X.data *= self.idf[X.indices]
        data, ptr = X.data, X.indptr
        for i in range(X.shape[0]):  # row by row, summed in order, as scikit-learn does
            total = 0.0
            for k in range(ptr[i], ptr[i + 1]):
                total += data[k] * data[k]
            if total != 0.0:
                data[ptr[i] : ptr[i + 1]] /= math.sqrt(total)
        return X

    def _rule_matrix(self, rules: Sequence[dict[str, float]]) -> Any:
        from scipy import sparse

        indices: list[int] = []
        values: list[float] = []
        indptr = [0]
        for feats in rules:
            for name, value in feats.items():
                j = self.rule_vocabulary.get(name)
                if j is not None:
                    indices.append(j)
                    values.append(np.float64(value))
            indptr.append(len(indices))
        X = sparse.csr_array(
            (values, np.asarray(indices, dtype=np.intc), indptr),
            shape=(len(rules), len(self.rule_vocabulary)),
            dtype=np.float64,
        )
        X.sort_indices()
        return X

    def _embed(self, texts: Sequence[str], weight: float | None = None) -> np.ndarray:
        m = self.meaning
        w = m["weight"] if weight is None else weight
        return unit_embeddings(list(texts), m["config"], m["dim"], w)

    def features(self, recs: Sequence[dict[str, Any]]) -> Any:
        """The model's feature matrix of passage records, as its feature union builds it."""
        from scipy import sparse

        texts = [r["text"] for r in recs]
        parts: list[Any] = []
        for name, _ in self.blocks:
            if name == "words":
                parts.append(self.word_matrix(texts))
            elif name == "rules":
                parts.append(self._rule_matrix([r["rules"] for r in recs]))
            elif name == "meaning":
                parts.append(self._embed(texts))
            elif name == "likeness":
                sims = self._embed(texts, 1.0) @ self.likeness["prototypes"].T
                parts.append((sims - self.likeness["mean"]) / self.likeness["scale"])
        if any(sparse.issparse(p) for p in parts):
            return sparse.hstack(parts).tocsr()
        return np.concatenate(parts, axis=1)

    # ---------------------------------------------------------------- prediction

    def predict_proba(
        self,
        texts: Sequence[str],
        *,
        kinds: Sequence[str] | None = None,
        rules: Sequence[dict[str, float]] | None = None,
    ) -> np.ndarray:
        """Probability of each of :attr:`classes` for each text (as
        :meth:`ThemeModel.predict_proba`)."""
        from scipy.special import expit

        if not len(texts) or not self.classes:
            return np.zeros((len(texts), len(self.classes)))
        X = self.features(records(texts, kinds, rules))
        return np.column_stack(
            [
                expit(np.reshape(X @ self.coef[j][:, None], (-1,)) + self.intercept[j])
                for j in range(len(self.classes))
            ]
        )

    def _block(self, name: str) -> slice | None:
        at = 0
        for block, width in self.blocks:
            if block == name:
                return slice(at, at + width)
            at += width
        return None

    def evidence(self, text: str, theme: str, *, top: int = 3) -> list[list[Any]]:
        """``[start, end, words]`` of the words of ``text`` that raise ``theme`` most
        (computed as :meth:`ThemeModel.evidence` computes them)."""
        if theme not in self.classes:
            return []
        cols = self._block("words")
        meaning = self._block("meaning")
        return evidence_words(
            text,
            self.coef[self.classes.index(theme)],
            stop_words=self.stop_words,
            vocabulary=self.vocabulary if cols is not None else None,
            row=self.word_matrix([text]) if cols is not None else None,
            word_cols=cols,
            embed=self._embed if meaning is not None else None,
            meaning_cols=meaning,
            top=top,
        )

    # ------------------------------------------------------------------- storage

    def save(self, stem: Path) -> None:
        """Write ``stem.json`` (names, settings) and ``stem.npz`` (arrays), atomically."""
        from pipeline import store

        arrays = {"idf": self.idf, "coef": self.coef, "intercept": self.intercept}
        arrays.update({f"likeness_{k}": v for k, v in self.likeness.items()})
        tree = {
            "format": LINEAR_FORMAT,
            "code": code_key(),
            "classes": self.classes,
            "thresholds": self.thresholds,
            "metadata": self.metadata,
            "blocks": [list(b) for b in self.blocks],
            "words": self.words,
            "terms": sorted(self.vocabulary, key=self.vocabulary.__getitem__),
            "stop_words": sorted(self.stop_words),
            "rule_names": sorted(self.rule_vocabulary, key=self.rule_vocabulary.__getitem__),
            "meaning": self.meaning,
        }
        stem.parent.mkdir(parents=True, exist_ok=True)
        with store.atomic_path(stem.with_suffix(".npz")) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        store.write_json(tree, stem.with_suffix(".json"), indent=None)

    @classmethod
    def read(cls, stem: Path) -> LinearThemeModel | None:
        """The model saved at ``stem``, or ``None`` when absent, unreadable, of another
        format or saved by other code (arrays are read without pickle)."""
        try:
            tree = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
            if tree.get("format") != LINEAR_FORMAT or tree.get("code") != code_key():
                return None
            with np.load(stem.with_suffix(".npz"), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            words = dict(tree["words"])
            if "ngram_range" in words:
                words["ngram_range"] = tuple(words["ngram_range"])
            return cls(
                classes=list(tree["classes"]),
                thresholds=dict(tree["thresholds"]),
                metadata=dict(tree["metadata"]),
                blocks=[(str(n), int(w)) for n, w in tree["blocks"]],
                words=words,
                vocabulary={t: j for j, t in enumerate(tree["terms"])},
                idf=arrays["idf"],
                stop_words=frozenset(tree["stop_words"]),
                rule_vocabulary={t: j for j, t in enumerate(tree["rule_names"])},
                meaning=dict(tree["meaning"]),
                likeness={
                    k[len("likeness_") :]: v for k, v in arrays.items() if k.startswith("likeness_")
                },
                coef=arrays["coef"],
                intercept=arrays["intercept"],
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


def compile_model(model: Any) -> LinearThemeModel:
    """The linear form of a fitted :class:`~pipeline.themes.model.ThemeModel`.

    Raises :class:`NotLinear` when a step is not one the linear form reproduces."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from pipeline.themes.features import Likeness, Meaning

    steps = model.pipeline.named_steps
    estimators = steps["clf"].estimators_
    if not all(type(e) is LogisticRegression for e in estimators):
        raise NotLinear("not one plain logistic regression per theme")
    out = LinearThemeModel(
        classes=list(model.classes),
        thresholds=dict(model.thresholds),
        metadata=dict(model.metadata),
        blocks=[],
        stop_words=frozenset(ENGLISH_STOP_WORDS),
        coef=np.vstack([e.coef_.ravel() for e in estimators]) if estimators else np.zeros((0, 0)),
        intercept=np.array([float(e.intercept_[0]) for e in estimators]),
    )
    for name, trans in steps["features"].transformer_list:
        if name == "words":
            vec = trans.named_steps["tfidf"]
            settings = (vec.analyzer, vec.lowercase, vec.preprocessor, vec.tokenizer)
            settings += (vec.stop_words, vec.strip_accents, vec.norm, vec.use_idf, vec.binary)
            if (
                type(vec) is not TfidfVectorizer
                or settings != ("word", True, None, None, None, None, "l2", True, False)
                or vec.ngram_range[0] != 1
            ):
                raise NotLinear(f"words block settings {settings}, {vec.ngram_range}")
            out.words = {
                "token_pattern": vec.token_pattern,
                "ngram_range": tuple(vec.ngram_range),
                "sublinear_tf": bool(vec.sublinear_tf),
            }
            out.vocabulary = {str(t): int(j) for t, j in vec.vocabulary_.items()}
            out.idf = np.asarray(vec.idf_, dtype=np.float64)
            width = len(out.vocabulary)
        elif name == "rules":
            dv = trans.named_steps["dict"]
            if dv.dtype is not np.float64:
                raise NotLinear(f"rules block dtype {dv.dtype}")
            out.rule_vocabulary = {str(t): int(j) for t, j in dv.vocabulary_.items()}
            width = len(out.rule_vocabulary)
        elif name == "meaning" and type(trans) is Meaning:
            out.meaning = {"config": trans.config, "dim": int(trans.dim), "weight": trans.weight}
            width = trans.dim
        elif name == "likeness" and type(trans) is Likeness:
            unit = Meaning(trans.config, trans.dim)
            out.meaning.setdefault("config", trans.config)
            out.meaning.setdefault("dim", int(trans.dim))
            out.meaning.setdefault("weight", 1.0)
            out.likeness = {
                "prototypes": unit.embed(list(trans.prototypes)),
                "mean": np.asarray(trans.mean_, dtype=np.float64),
                "scale": np.asarray(trans.scale_, dtype=np.float64),
            }
            width = len(trans.prototypes)
        else:
            raise NotLinear(f"feature block {name!r} ({type(trans).__name__})")
        out.blocks.append((name, int(width)))
    return out


def probe_records(linear: LinearThemeModel, n: int = PROBES) -> list[dict[str, Any]]:
    """Records made of the model's own terms and rule features (a fixed random draw),
    on which a compiled form must agree with the model it was compiled from."""
    rng = np.random.default_rng(0)
    terms = sorted(linear.vocabulary) or ["passage"]
    names = sorted(linear.rule_vocabulary)
    out = []
    for _ in range(n):
        words = rng.choice(terms, size=int(rng.integers(1, 25)))
        rules = {}
        if names:
            size = min(int(rng.integers(0, 6)), len(names))
            for k in rng.choice(len(names), size=size, replace=False):
                rules[names[int(k)]] = float(rng.choice([1.0, round(float(rng.random()), 4)]))
        out.append({"text": " ".join(words) + ".", "kind": "", "rules": rules})
    return out


def agrees(linear: LinearThemeModel, model: Any, recs: Sequence[dict[str, Any]]) -> bool:
    """Whether ``linear`` gives exactly ``model``'s probabilities and evidence on ``recs``."""
    texts = [r["text"] for r in recs]
    kinds = [r["kind"] for r in recs]
    rules = [r["rules"] for r in recs]
    mine = linear.predict_proba(texts, kinds=kinds, rules=rules)
    theirs = model.predict_proba(texts, kinds=kinds, rules=rules)
    if mine.shape != theirs.shape or not np.array_equal(mine, theirs):
        return False
    return all(
        linear.evidence(text, theme) == model.evidence(text, theme)
        for text in texts[:10]
        for theme in linear.classes
    )


def load_tagging_model(
    path: str | Path, *, cache_dir: str | Path | None = None
) -> LinearThemeModel | Any:
    """The model at ``path`` for tagging: its linear form when it has one (read from
    ``cache_dir`` when compiled before), else the scikit-learn model.

    Raises :class:`~pipeline.themes.model.ModelError` as
    :meth:`ThemeModel.load` does for a missing or untrusted file."""
    from pipeline import store

    path = Path(path)
    stem = None
    if cache_dir is not None and path.is_file():
        prefix = path.name.replace(".", "_")
        stem = Path(cache_dir) / f"linear-{prefix}-{store.sha256_file_cached(path)[:32]}"
        cached = LinearThemeModel.read(stem)
        if cached is not None:
            return cached
    from pipeline.themes.model import ThemeModel

    model = ThemeModel.load(path, cache_dir=cache_dir)
    try:
        linear = compile_model(model)
    except NotLinear as exc:
        log.info("model %s kept as it is (%s)", path, exc)
        return model
    if not agrees(linear, model, probe_records(linear)):
        log.info("model %s kept as it is: its linear form does not agree with it", path)
        return model
    if stem is not None:
        try:
            linear.save(stem)
            for old in Path(cache_dir).glob(f"linear-{path.name.replace('.', '_')}-*"):
                if old.stem != stem.name:
                    old.unlink(missing_ok=True)
        except OSError as exc:  # a read-only folder: compiled again next time
            log.info("linear form of %s not cached (%s)", path, exc)
    return linear

"""The statistical theme model: words, rule matches and meaning, one logistic regression per theme.

One scikit-learn ``Pipeline`` goes from a passage record (text, kind, rule features;
see :mod:`pipeline.themes.features`) to a probability per theme, so nothing is
fitted on what it is tested on. Its features are the union of TF-IDF word
1-2-grams, the rule matches as features (which theme and pattern fired, negated
or not, dropped by context, in a heading, in a list of agencies) and a static
sentence embedding (WordLlama, shipped in its wheel). Each theme has its own
class-balanced logistic regression fitted with sample weights (labels people made
weigh 1; weak labels, when used, less).

Each theme has its own decision threshold (:attr:`ThemeModel.thresholds`), chosen
by document-grouped cross-validation inside the training data
(:func:`pipeline.themes.training.fit_with_thresholds`).

Models are saved with ``skops`` (never pickle) and loaded with the explicit
:data:`TRUSTED_TYPES` list; a file holding any other type is refused. The file
carries its metadata: training-data hash, label counts, library versions,
codebook hash, and cross-validated scores.

Evidence for a model tag is the words of the passage that push its score up most
(TF-IDF weight times coefficient, and each word's share of the embedding times
the embedding coefficients), with their character offsets in the passage text.

Kept as one module: the scikit-learn pipeline, its fitting, its per-theme
thresholds, its evidence words and its saving and loading are one object
(:class:`ThemeModel`) whose parts must agree on the feature layout.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from pipeline.themes.modelbase import TOKEN_PATTERN, Thresholds, evidence_words

log = logging.getLogger(__name__)

FORMAT = "sgpipe-themes-model"
FORMAT_VERSION = 2

#: The types a saved model holds beyond those ``skops`` trusts by default (stock
#: scikit-learn estimators, numpy arrays, builtins). ``skops`` refuses a file that holds
#: any other type, and :meth:`ThemeModel.load` names it.
TRUSTED_TYPES = [
    "pipeline.themes.features.Likeness",
    "pipeline.themes.features.Meaning",
    "pipeline.themes.features.RulesOf",
    "pipeline.themes.features.TextOf",
    "pipeline.themes.model.OneVsRestWeighted",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_extraction._dict_vectorizer.DictVectorizer",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.pipeline.FeatureUnion",
]
#: The blocks of features, in the order of the feature union.
BLOCKS = ("words", "rules", "meaning")


class ModelError(ValueError):
    """A model file cannot be used (missing, untrusted content, wrong format)."""


class OneVsRestWeighted(ClassifierMixin, BaseEstimator):
    """One binary classifier per label column, each fitted with the same sample weights.

    scikit-learn's ``OneVsRestClassifier`` passes sample weights only through
    metadata routing, whose objects ``skops`` cannot store; this estimator does the
    same job in a few lines. ``predict_proba`` returns the positive-class
    probability of every label, shape ``(n_samples, n_labels)``.
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def fit(
        self, X: Any, Y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> OneVsRestWeighted:
        """Fit one clone of ``estimator`` per column of the 0/1 matrix ``Y``."""
        Y = np.asarray(Y)
        if Y.ndim != 2:
            raise ValueError("Y must be a 2-d 0/1 label matrix")
        self.estimators_ = [
            clone(self.estimator).fit(X, Y[:, j], sample_weight=sample_weight)
            for j in range(Y.shape[1])
        ]
        self.n_labels_ = Y.shape[1]
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each label, one column per label."""
        if not self.estimators_:
            return np.zeros((X.shape[0], 0))
        return np.column_stack([e.predict_proba(X)[:, 1] for e in self.estimators_])

    def predict(self, X: Any) -> np.ndarray:
        """0/1 per label at probability 0.5."""
        return (self.predict_proba(X) >= 0.5).astype(int)


def build_pipeline(
    *,
    C: float = 1.0,
    seed: int = 0,
    blocks: Sequence[str] = BLOCKS,
    meaning_weight: float = 1.0,
    prototypes: Sequence[str] = (),
) -> Pipeline:
    """The untrained model: the feature ``blocks`` (see :mod:`pipeline.themes.features`)
    and a class-balanced logistic regression per theme. ``prototypes``: the theme
    descriptions the ``likeness`` block compares each passage with."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.pipeline import FeatureUnion

    from pipeline.themes.features import Likeness, Meaning, RulesOf, TextOf

    parts: list[tuple[str, Any]] = []
    if "words" in blocks:
        words = TfidfVectorizer(
            token_pattern=TOKEN_PATTERN,
            ngram_range=(1, 2),
            min_df=2,
            max_df=0.5,
            sublinear_tf=True,
            max_features=20000,
            dtype=np.float64,
        )
        parts.append(("words", Pipeline([("text", TextOf()), ("tfidf", words)])))
    if "rules" in blocks:
        parts.append(("rules", Pipeline([("rules", RulesOf()), ("dict", DictVectorizer())])))
    if "meaning" in blocks:
        parts.append(("meaning", Meaning(weight=meaning_weight)))
    if "likeness" in blocks and len(prototypes):
        parts.append(("likeness", Likeness(prototypes=list(prototypes))))
    base = LogisticRegression(
        C=C, solver="liblinear", max_iter=1000, class_weight="balanced", random_state=seed
    )
    return Pipeline([("features", FeatureUnion(parts)), ("clf", OneVsRestWeighted(base))])


#: The source of a weakly labelled passage (a rule tag taken as its label), which is
#: trained on but never scored.
WEAK = "weak"


@dataclass
class TrainingData:
    """Labelled passages: text, theme set, weight, document (the CV group) and source."""

    texts: list[str] = field(default_factory=list)
    labels: list[frozenset[str]] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    passage_ids: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    rules: list[dict[str, float]] = field(default_factory=list)

    def add(
        self,
        text: str,
        labels: Iterable[str],
        *,
        weight: float,
        group: str,
        source: str,
        pid: str,
        kind: str = "",
        rules: dict[str, float] | None = None,
    ) -> None:
        """Append one labelled passage (``kind`` and ``rules``: what the model reads
        besides the text, see :mod:`pipeline.themes.features`)."""
        self.kinds.append(kind)
        self.rules.append(rules or {})
        self.texts.append(text)
        self.labels.append(frozenset(labels))
        self.weights.append(float(weight))
        self.groups.append(group)
        self.sources.append(source)
        self.passage_ids.append(pid)

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, keep: Sequence[bool]) -> TrainingData:
        """The passages where ``keep`` is true."""
        out = TrainingData()
        for i, k in enumerate(keep):
            if k:
                out.add(
                    self.texts[i],
                    self.labels[i],
                    weight=self.weights[i],
                    group=self.groups[i],
                    source=self.sources[i],
                    pid=self.passage_ids[i],
                    kind=self.kinds[i],
                    rules=self.rules[i],
                )
        return out

    def records(self) -> list[dict[str, Any]]:
        """The model's input for every passage."""
        from pipeline.themes.passage_features import records

        return records(self.texts, self.kinds, self.rules)

    def without_groups(self, groups: Iterable[str]) -> TrainingData:
        """Everything except the passages of these documents (weak labels included)."""
        drop = set(groups)
        return self.subset([g not in drop for g in self.groups])

    def sha256(self) -> str:
        """Hash of texts, labels, weights and sources: identifies the training data."""
        digest = hashlib.sha256()
        for t, lab, w, s in zip(self.texts, self.labels, self.weights, self.sources, strict=True):
            digest.update(f"{s}\x1f{w:.4f}\x1f{';'.join(sorted(lab))}\x1f{t}\x1e".encode())
        return digest.hexdigest()

    def label_counts(self) -> dict[str, dict[str, int]]:
        """Positives per theme and source ("gold", "hand", "reviewed", "weak")."""
        counts: dict[str, Counter[str]] = {}
        for lab, src in zip(self.labels, self.sources, strict=True):
            for t in lab:
                counts.setdefault(t, Counter())[src] += 1
        return {t: dict(sorted(c.items())) for t, c in sorted(counts.items())}

    def source_counts(self) -> dict[str, int]:
        """Passages per source."""
        return dict(sorted(Counter(self.sources).items()))


@dataclass
class ThemeModel(Thresholds):
    """A fitted pipeline, the themes it predicts (column order), the decision threshold
    of each, and its metadata."""

    pipeline: Pipeline
    classes: list[str]
    metadata: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    _coef: np.ndarray | None = None

    def predict_proba(
        self,
        texts: Sequence[str],
        *,
        kinds: Sequence[str] | None = None,
        rules: Sequence[dict[str, float]] | None = None,
    ) -> np.ndarray:
        """Probability of each of :attr:`classes` for each text (``kinds`` and ``rules``:
        the passage kind and rule features of each, see :mod:`pipeline.themes.features`)."""
        from pipeline.themes.passage_features import records

        if not len(texts) or not self.classes:
            return np.zeros((len(texts), len(self.classes)))
        return self.pipeline.predict_proba(records(texts, kinds, rules))

    def _coefficients(self) -> np.ndarray:
        if self._coef is None:
            clf: OneVsRestWeighted = self.pipeline.named_steps["clf"]
            self._coef = np.vstack([_coef_of(e) for e in clf.estimators_])
        return self._coef

    def _block(self, name: str) -> tuple[Any, slice] | None:
        """The fitted transformer of feature block ``name`` and its columns."""
        union = self.pipeline.named_steps["features"]
        at = 0
        for block, trans in union.transformer_list:
            if block == "words":
                width = len(trans.named_steps["tfidf"].vocabulary_)
            elif block == "rules":
                width = len(trans.named_steps["dict"].vocabulary_)
            elif block == "likeness":
                width = len(trans.prototypes)
            else:
                width = trans.dim
            if block == name:
                return trans, slice(at, at + width)
            at += width
        return None

    def evidence(self, text: str, theme: str, *, top: int = 3) -> list[list[Any]]:
        """``[start, end, words]`` of the words of ``text`` that raise ``theme`` most.

        A word scores its TF-IDF weight times its coefficient (and the same for the
        two-word n-grams it starts) plus its share of the passage embedding times the
        embedding coefficients. Function words ("of", "for") are not evidence.
        Offsets index into ``text``; every span is ``text[start:end]``. When no word
        raises the theme, the word that lowers it least is given, so that a model tag
        always shows the words it was read from.
        """
        if theme not in self.classes:
            return []
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        coef = self._coefficients()[self.classes.index(theme)]
        words_block, meaning_block = self._block("words"), self._block("meaning")
        vec = words_block[0].named_steps["tfidf"] if words_block is not None else None
        return evidence_words(
            text,
            coef,
            stop_words=ENGLISH_STOP_WORDS,
            vocabulary=vec.vocabulary_ if vec is not None else None,
            row=vec.transform([text]).tocsr() if vec is not None else None,
            word_cols=words_block[1] if words_block is not None else None,
            embed=meaning_block[0].embed if meaning_block is not None else None,
            meaning_cols=meaning_block[1] if meaning_block is not None else None,
            top=top,
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model with ``skops`` (and its metadata beside it as JSON), atomically."""
        import skops.io as sio

        from pipeline import store

        path = Path(path)
        payload = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "classes": list(self.classes),
            "thresholds_json": json.dumps(self.thresholds, sort_keys=True),
            "metadata_json": json.dumps(self.metadata, sort_keys=True),
            "pipeline": self.pipeline,
        }
        with store.atomic_path(path) as tmp:
            sio.dump(payload, tmp)
        store.write_json(self.metadata, path.with_name(path.name + ".json"))
        return path

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None
    ) -> ThemeModel:
        """Load a model saved by :meth:`save`, trusting only :data:`TRUSTED_TYPES`.

        With ``cache_dir``, a model file loaded (and checked) once is kept there in a
        compact form (:func:`write_compact`: plain arrays and JSON, no pickle) keyed by
        the file's SHA-256, and later loads read that instead: a few hundredths of a
        second instead of seconds, and the same fitted objects.
        """
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"{path}: model file not found (train one with `sgpipe train`)")
        if cache_dir is None:
            return cls._load_skops(path)
        from pipeline import store

        prefix = path.name.replace(".", "_")  # the stem takes .json and .npz suffixes
        stem = Path(cache_dir) / f"{prefix}-{store.sha256_file_cached(path)[:32]}"
        cached = read_compact(stem)
        if cached is not None:
            return cached
        model = cls._load_skops(path)
        try:
            write_compact(model, stem)
            for old in Path(cache_dir).glob(f"{prefix}-*"):  # earlier versions of the file
                if old.stem != stem.name:
                    old.unlink(missing_ok=True)
        except (TypeError, ValueError, OSError) as exc:  # an unforeseen type, a read-only
            log.info("model %s not cached (%s)", path, exc)  # folder: load as before
        return model

    @classmethod
    def _load_skops(cls, path: Path) -> ThemeModel:
        import skops.io as sio

        try:
            untrusted = sorted(set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
        except Exception as exc:  # skops raises several types on a damaged file
            raise ModelError(f"{path}: not a readable skops file ({exc})") from exc
        if untrusted:
            raise ModelError(f"{path}: refusing to load untrusted types {untrusted}")
        payload = sio.load(path, trusted=TRUSTED_TYPES)
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise ModelError(f"{path}: not a safeguarding-pipeline theme model")
        if payload.get("format_version") != FORMAT_VERSION:
            raise ModelError(
                f"{path}: model format {payload.get('format_version')}, expected "
                f"{FORMAT_VERSION}; retrain with `sgpipe train`"
            )
        return cls(
            pipeline=payload["pipeline"],
            classes=list(payload["classes"]),
            metadata=json.loads(payload["metadata_json"]),
            thresholds=json.loads(payload.get("thresholds_json", "{}")),
        )


# --------------------------------------------------------------------------- compact cache

#: The only classes a compact model file may name (it is read without pickle: an object
#: is rebuilt as ``cls.__new__(cls)`` with its saved attributes).
_COMPACT_CLASSES: dict[str, type] = {}


def _compact_classes() -> dict[str, type]:
    if not _COMPACT_CLASSES:
        from sklearn.calibration import _CalibratedClassifier, _SigmoidCalibration
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.feature_extraction.text import TfidfTransformer
        from sklearn.pipeline import FeatureUnion

        from pipeline.themes.features import Likeness, Meaning, RulesOf, TextOf

        for c in (
            Pipeline,
            FeatureUnion,
            DictVectorizer,
            TextOf,
            RulesOf,
            Meaning,
            Likeness,
            TfidfVectorizer,
            TfidfTransformer,
            OneVsRestWeighted,
            CalibratedClassifierCV,
            _CalibratedClassifier,
            _SigmoidCalibration,
            LogisticRegression,
            StratifiedKFold,
        ):
            _COMPACT_CLASSES[f"{c.__module__}.{c.__qualname__}"] = c
    return _COMPACT_CLASSES


_COMPACT_TYPES = {"numpy.float64": np.float64, "numpy.float32": np.float32}
COMPACT_FORMAT = "sgpipe-themes-model-compact-1"


def _encode(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    """A JSON-able form of ``obj``; arrays go to ``arrays`` (see :func:`write_compact`)."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise TypeError("object array")
        name = f"a{len(arrays)}"
        arrays[name] = obj
        return {"$array": name}
    if isinstance(obj, np.generic):
        return {"$scalar": [obj.dtype.str, obj.item()]}
    if isinstance(obj, tuple):
        return {"$tuple": [_encode(x, arrays) for x in obj]}
    if isinstance(obj, list):
        return [_encode(x, arrays) for x in obj]
    if isinstance(obj, dict):
        if (
            obj
            and all(isinstance(k, str) for k in obj)
            and all(isinstance(v, np.integer) for v in obj.values())
        ):  # a vocabulary: terms -> column numbers
            values = np.array(list(obj.values()))
            if all(type(v) is type(values[0]) for v in obj.values()):
                return {"$vocab": [list(obj), _encode(values, arrays)]}
        return {"$dict": [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, type):
        name = f"{obj.__module__}.{obj.__qualname__}"
        if _COMPACT_TYPES.get(name) is not obj:
            raise TypeError(f"type {name}")
        return {"$type": name}
    name = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if _compact_classes().get(name) is not type(obj):
        raise TypeError(f"class {name}")
    return {"$object": name, "state": _encode(dict(obj.__dict__), arrays)}


def _decode(obj: Any, arrays: Any) -> Any:
    if isinstance(obj, list):
        return [_decode(x, arrays) for x in obj]
    if not isinstance(obj, dict):
        return obj
    if "$array" in obj:
        return arrays[obj["$array"]]
    if "$scalar" in obj:
        dtype, value = obj["$scalar"]
        return np.dtype(dtype).type(value)
    if "$tuple" in obj:
        return tuple(_decode(x, arrays) for x in obj["$tuple"])
    if "$vocab" in obj:
        keys, values = obj["$vocab"]
        return dict(zip(keys, _decode(values, arrays), strict=True))
    if "$dict" in obj:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in obj["$dict"]}
    if "$type" in obj:
        return _COMPACT_TYPES[obj["$type"]]
    if "$object" in obj:
        cls = _compact_classes()[obj["$object"]]  # KeyError: not a class we wrote
        inst = cls.__new__(cls)
        inst.__dict__.update(_decode(obj["state"], arrays))
        return inst
    raise ValueError(f"unknown compact entry {sorted(obj)[:3]}")


def write_compact(model: ThemeModel, stem: Path) -> None:
    """Write ``model`` as ``stem.json`` (structure, classes, metadata) and ``stem.npz``
    (its arrays), checking that reading them back gives the same model."""
    from pipeline import store

    arrays: dict[str, np.ndarray] = {}
    tree = {
        "format": COMPACT_FORMAT,
        "classes": list(model.classes),
        "thresholds": model.thresholds,
        "metadata": model.metadata,
        "pipeline": _encode(model.pipeline, arrays),
    }
    stem.parent.mkdir(parents=True, exist_ok=True)
    with store.atomic_path(stem.with_suffix(".npz")) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    store.write_json(tree, stem.with_suffix(".json"), indent=None)
    back = read_compact(stem)
    again: dict[str, np.ndarray] = {}
    same = back is not None and _encode(back.pipeline, again) == tree["pipeline"]
    same = same and all(
        a.dtype == again[k].dtype and np.array_equal(a, again[k]) for k, a in arrays.items()
    )
    if not same:
        stem.with_suffix(".json").unlink(missing_ok=True)
        raise ValueError("the compact form does not read back the same")


def read_compact(stem: Path) -> ThemeModel | None:
    """The model written by :func:`write_compact` at ``stem``, or ``None`` when absent
    or unreadable (arrays are read without pickle; classes only from a fixed list)."""
    try:
        tree = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
        if tree.get("format") != COMPACT_FORMAT:
            return None
        with np.load(stem.with_suffix(".npz"), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        pipeline = _decode(tree["pipeline"], arrays)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(pipeline, Pipeline):
        return None
    return ThemeModel(
        pipeline=pipeline,
        classes=list(tree["classes"]),
        metadata=tree["metadata"],
        thresholds=dict(tree.get("thresholds", {})),
    )


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model depends on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in (
        "scikit-learn",
        "skops",
        "numpy",
        "scipy",
        "spacy",
        "spacy-lookups-data",
        "wordllama",
    ):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = ""
    return out


def _coef_of(estimator: Any) -> np.ndarray:
    """The linear coefficients of a fitted per-theme estimator (calibrated or not)."""
    if hasattr(estimator, "calibrated_classifiers_"):
        return np.mean(
            [c.estimator.coef_.ravel() for c in estimator.calibrated_classifiers_], axis=0
        )
    return estimator.coef_.ravel()


def fit_model(
    data: TrainingData,
    *,
    themes: Sequence[str],
    min_positive: int = 5,
    C: float = 1.0,
    seed: int = 0,
    blocks: Sequence[str] = BLOCKS,
    meaning_weight: float = 1.0,
    prototypes: Sequence[str] = (),
) -> ThemeModel:
    """Fit the pipeline on ``data`` for the ``themes`` that have ``min_positive`` positives.

    Themes with fewer positives are left to the rules. No thresholds are chosen here
    (see :func:`pipeline.themes.training.fit_with_thresholds`).
    """
    Y = np.array([[t in lab for t in themes] for lab in data.labels], dtype=int).reshape(
        len(data), len(themes)
    )
    positives = Y.sum(axis=0)
    keep = [j for j, t in enumerate(themes) if positives[j] >= min_positive]
    # a column that is all positive cannot be fitted either
    keep = [j for j in keep if positives[j] < len(data)]
    classes = [themes[j] for j in keep]
    skipped = [t for j, t in enumerate(themes) if j not in keep]
    if skipped:
        log.info("themes left to the rules (fewer than %d positives): %s", min_positive, skipped)
    pipe = build_pipeline(
        C=C, seed=seed, blocks=blocks, meaning_weight=meaning_weight, prototypes=prototypes
    )
    if classes:
        pipe.fit(
            data.records(), Y[:, keep], clf__sample_weight=np.asarray(data.weights, dtype=float)
        )
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "classes": classes,
        "skipped_themes": skipped,
        "min_positive": min_positive,
        "C": C,
        "blocks": list(blocks),
        "meaning_weight": meaning_weight,
        "seed": seed,
        "training_data_sha256": data.sha256(),
        "training_passages": data.source_counts(),
        "label_counts": data.label_counts(),
        "library_versions": library_versions(),
    }
    return ThemeModel(pipeline=pipe, classes=classes, metadata=metadata)

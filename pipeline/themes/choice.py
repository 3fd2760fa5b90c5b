"""Which of the rules and the model decides each theme, and at what probability.

Chosen by a document-grouped cross-validation over labelled passages
(:func:`choose_thresholds`), for documents about children and families and for the
others apart (:mod:`pipeline.themes.domain`); :mod:`pipeline.themes.training` fits the
model with the choice, and the README has the figures behind it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np

from pipeline.themes.domain import CHILDREN, DOMAINS
from pipeline.themes.model import WEAK, ThemeModel, TrainingData, fit_model
from pipeline.themes.tagger import MIN_MODEL_WORDS

#: The thresholds a theme's tag may need, searched by the inner cross-validation.
THRESHOLD_GRID = tuple(round(x, 2) for x in np.arange(0.2, 0.91, 0.05))
#: How much F1 the rules must gain over the model on the rule-blind sets to decide a
#: theme the model can be judged on (see :func:`choose_thresholds`): a smaller gain, on
#: a few dozen passages, is taken for noise.
RULES_MARGIN = 0.02
#: A theme with fewer held-out positives than this in the inner folds keeps the defaults
#: (model 0.5; combined: the rules' tags, none added).
MIN_THRESHOLD_POSITIVES = 3
#: The defaults of the thresholds of a theme (see :func:`choose_thresholds`): ``keep``
#: and ``add`` for documents about children and families, ``other_keep`` and
#: ``other_add`` for the others (:mod:`pipeline.themes.domain`).
DEFAULT_THRESHOLDS = {
    "model": 0.5,
    "keep": 0.0,
    "add": 1.01,
    "other_keep": 0.0,
    "other_add": 1.01,
}


def predict_passages(
    model: ThemeModel, data: TrainingData, idx: Sequence[int]
) -> dict[int, np.ndarray]:
    """The model's probabilities of the passages ``idx`` of ``data`` (row per index),
    for those of at least :data:`~pipeline.themes.tagger.MIN_MODEL_WORDS` words."""
    usable = [i for i in idx if len(data.texts[i].split()) >= MIN_MODEL_WORDS]
    probs = model.predict_proba(
        [data.texts[i] for i in usable],
        kinds=[data.kinds[i] for i in usable],
        rules=[data.rules[i] for i in usable],
    )
    return {i: probs[row] for row, i in enumerate(usable)}


def _f1(pred: np.ndarray, gold: np.ndarray) -> float:
    denom = int(pred.sum() + gold.sum())
    return 2 * int((pred & gold).sum()) / denom if denom else 0.0


def choose_thresholds(
    data: TrainingData,
    *,
    themes: Sequence[str],
    blind_sources: Collection[str] = (),
    domains: Mapping[str, str] | None = None,
    n_splits: int = 0,
    min_positive: int = 5,
    seed: int = 0,
    **fit_args: Any,
) -> dict[str, dict[str, float]]:
    """Per-theme thresholds chosen on out-of-fold probabilities of ``data`` (folds
    grouped by document; ``n_splits`` 0: leave one document out), and whether the
    model or the rules decide the theme in each kind of document.

    ``model`` is the theme's F1-maximising probability. The theme is then judged on the
    out-of-fold passages of ``blind_sources``, the label sets whose errors were never
    read when the rules were written (a choice made on the others would favour the
    rules, written from them), the model at the threshold that maximises its F1 on the
    other passages, so that it is not tuned on those it is judged on. The rules decide
    (``keep`` 0, ``add`` above 1: their tags, none added) where they beat the model
    there by at least :data:`RULES_MARGIN`; else the model decides (``keep`` = ``add``
    = ``model``: a rule tag stands, and a tag the rules did not give is added, at that
    probability). ``domains`` (``document -> kind``, see
    :mod:`pipeline.themes.domain`): judged apart on the blind passages of documents
    about children and families (``keep``, ``add``) and of the others
    (``other_keep``, ``other_add``); a kind with fewer than
    :data:`MIN_THRESHOLD_POSITIVES` of the theme there takes the choice made on all
    blind passages, which also holds for both without ``domains``. Without blind sets,
    with too few of the theme in them or in the other passages, or where a fold's
    model lacked the theme, the rules decide; a theme with too few labelled positives
    keeps :data:`DEFAULT_THRESHOLDS`. The figures behind each choice: the README.
    """
    from sklearn.model_selection import GroupKFold

    labelled = [i for i, s in enumerate(data.sources) if s != WEAK]
    groups = [data.groups[i] for i in labelled]
    n_groups = len(set(groups))
    if n_groups < 2:
        return {}
    folds = GroupKFold(n_splits=min(n_splits or n_groups, n_groups))
    oof: dict[int, dict[str, float]] = {}
    for _, test in folds.split(labelled, groups=groups):
        held = {groups[k] for k in test}
        model = fit_model(
            data.without_groups(held),
            themes=themes,
            min_positive=min_positive,
            seed=seed,
            **fit_args,
        )
        for i, row in predict_passages(model, data, [labelled[k] for k in test]).items():
            oof[i] = dict(zip(model.classes, map(float, row), strict=True))
    out: dict[str, dict[str, float]] = {}
    scored = sorted(oof)
    blind_set = set(blind_sources)
    blind = np.array([data.sources[i] in blind_set for i in scored], dtype=bool)
    kind = np.array([(domains or {}).get(data.groups[i], CHILDREN) for i in scored])
    judged = {d: blind & (kind == d) if domains else blind for d in DOMAINS}
    rules = [data.rules[i] for i in scored]
    for theme in themes:
        gold = np.array([theme in data.labels[i] for i in scored])
        if gold.sum() < MIN_THRESHOLD_POSITIVES:
            continue
        probs = np.array([oof[i].get(theme, 0.0) for i in scored])
        best_thr = _best_threshold(probs, gold)
        out[theme] = {**DEFAULT_THRESHOLDS, "model": best_thr}
        seen = ~blind
        if gold[seen].sum() < MIN_THRESHOLD_POSITIVES:
            continue
        # the threshold the comparison uses is tuned off the blind passages, so that
        # the model is not fitted to the passages it is compared on
        trial_thr = _best_threshold(probs[seen], gold[seen])
        ruled = np.array([f"tag:{theme}" in r for r in rules])
        # the model deciding, as tagging combines them: a rule tag stands at the
        # threshold, a new tag also needs no veto of the rules' context, and where a
        # fold's model lacked the theme the rules decide (combine_themes)
        modelled = np.array([theme in oof[i] for i in scored])
        vetoed = np.array([_vetoed(r, theme) for r in rules])
        reached = probs >= trial_thr
        decided = np.where(modelled, np.where(ruled, reached, reached & ~vetoed), ruled)
        outcome = (ruled, decided, gold, modelled)
        enough = gold[blind].sum() >= MIN_THRESHOLD_POSITIVES
        pooled = enough and _model_decides(*outcome, blind)
        for domain, mask in judged.items():
            # a kind with too few of the theme among its blind passages takes the
            # choice made on all of them
            if gold[mask].sum() >= MIN_THRESHOLD_POSITIVES:
                by_model = _model_decides(*outcome, mask)
            else:
                by_model = pooled
            if by_model:
                prefix = "" if domain == CHILDREN else f"{domain}_"
                out[theme].update({f"{prefix}keep": best_thr, f"{prefix}add": best_thr})
    return out


def _model_decides(
    ruled: np.ndarray, decided: np.ndarray, gold: np.ndarray, modelled: np.ndarray, mask: np.ndarray
) -> bool:
    """Whether the model decides a theme, judged on the passages of ``mask``: the rules'
    tags (``ruled``) do not beat the model deciding (``decided``) by
    :data:`RULES_MARGIN` F1 against ``gold``, and every fold's model had the theme
    there (``modelled``; elsewhere the rules' tags stand in for it, and a tie would hand
    the model a theme never judged)."""
    gain = _f1(ruled[mask], gold[mask]) - _f1(decided[mask], gold[mask])
    return bool(modelled[mask].all()) and gain < RULES_MARGIN - 1e-9


def _best_threshold(probs: np.ndarray, gold: np.ndarray) -> float:
    """The F1-maximising threshold of :data:`THRESHOLD_GRID` (the lowest of ties)."""
    best_thr, best_f1 = DEFAULT_THRESHOLDS["model"], -1.0
    for thr in THRESHOLD_GRID:
        f1 = _f1(probs >= thr, gold)
        if f1 > best_f1 + 1e-9:
            best_thr, best_f1 = thr, f1
    return best_thr


def _vetoed(features: dict[str, float], theme: str) -> bool:
    """Whether the rules' context vetoes a model tag of ``theme`` (a negated mention, a
    mention dropped by context, a bibliographic reference), read from the passage's
    rule features as :meth:`~pipeline.themes.tagger.Tagger.rule_results` sets the veto."""
    if "reference" in features or f"negmatch:{theme}" in features:
        return True
    prefix = f"drop:{theme}|"
    return any(k.startswith(prefix) for k in features)

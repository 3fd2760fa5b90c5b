"""Precision, recall and F1, with percentile bootstrap intervals over gold items."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Score:
    """Counts and the scores they give."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 0 when there is nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def set_counts(gold: Sequence[set[str]], pred: Sequence[set[str]]) -> Score:
    """Micro counts over items whose gold and predicted labels are sets."""
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, pred, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, pred, strict=True))
    return Score(tp, fp, fn)


def bootstrap_interval(
    n_items: int,
    statistic: Callable[[np.ndarray], float],
    *,
    n_resamples: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic(indices)`` resampling items with replacement.

    Deterministic for a given ``seed``. Returns ``(low, high)``; ``(nan, nan)`` for no items.
    """
    if n_items == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    values = [statistic(rng.integers(0, n_items, n_items)) for _ in range(n_resamples)]
    low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def bootstrap_intervals(
    n_items: int,
    statistic: Callable[[np.ndarray], np.ndarray],
    *,
    n_resamples: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`bootstrap_interval` for a statistic that returns an array of values.

    Every value is computed on the same resamples. NaN values of a resample (an
    undefined score) are left out of that value's interval. Returns ``(low, high)``
    arrays; all NaN for no items.
    """
    if n_items == 0:
        shape = np.shape(statistic(np.arange(0)))
        return np.full(shape, np.nan), np.full(shape, np.nan)
    rng = np.random.default_rng(seed)
    values = np.array(
        [statistic(rng.integers(0, n_items, n_items)) for _ in range(n_resamples)], dtype=float
    )
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column stays NaN
        low = np.nanquantile(values, alpha / 2, axis=0)
        high = np.nanquantile(values, 1 - alpha / 2, axis=0)
    return low, high

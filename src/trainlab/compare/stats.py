"""Statistics of replicates: mean, spread, Student t intervals, and tests of a difference.

Every statistic comes from ``scipy.stats``; only Holm's adjustment (:func:`holm`) is written
here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
PAIRED_T = "paired t"
WELCH_T = "welch t"
WILCOXON = "wilcoxon"
# --test: the test for paired replicates; unpaired ones always get Welch's t-test.
PAIRED_TESTS = {"t": PAIRED_T, "wilcoxon": WILCOXON}


@dataclass(frozen=True)
class Summary:
    """Mean, sample standard deviation and Student t 95 % interval of the finite values."""

    n: int
    mean: float | None
    std: float | None
    ci95: tuple[float, float] | None


@dataclass(frozen=True)
class Difference:
    """One configuration against the best: ``mean_difference`` is this minus the best."""

    test: str | None
    n: int
    mean_difference: float | None
    ci95: tuple[float, float] | None
    p_value: float | None


def summarize(values: Sequence[float | None]) -> Summary:
    """Summary of ``values`` (``None`` and non-finite ones left out); no spread below two."""
    finite = _finite(values)
    if not finite:
        return Summary(0, None, None, None)
    mean = float(np.mean(finite))
    if len(finite) < 2:
        return Summary(1, mean, None, None)
    if min(finite) == max(finite):  # e.g. a constant learning rate: no spread, a point interval
        return Summary(len(finite), finite[0], 0.0, (finite[0], finite[0]))
    interval = stats.ttest_1samp(finite, popmean=0.0).confidence_interval(CONFIDENCE)
    return Summary(len(finite), mean, float(np.std(finite, ddof=1)), _pair(interval))


def paired_difference(this: Sequence[float], best: Sequence[float], test: str) -> Difference:
    """``this`` against ``best``, value by value (same seeds): paired t, or Wilcoxon signed-rank.

    The interval is the paired t interval of the mean difference in both cases (the signed-rank
    test has none of its own in scipy); with ``wilcoxon`` only the p-value changes.
    """
    if len(this) < 2:
        return _untested(this, best, paired=True)
    with _identical_values_allowed():
        t_test = stats.ttest_rel(this, best)
        p_value = t_test.pvalue if test == PAIRED_T else stats.wilcoxon(this, best).pvalue
    difference = float(np.mean(np.subtract(this, best)))
    return Difference(
        test, len(this), difference, _pair(t_test.confidence_interval(CONFIDENCE)), _float(p_value)
    )


def welch_difference(this: Sequence[float], best: Sequence[float]) -> Difference:
    """``this`` against ``best`` as independent samples: Welch's t-test (unequal variances)."""
    if len(this) < 2 or len(best) < 2:
        return _untested(this, best, paired=False)
    with _identical_values_allowed():
        result = stats.ttest_ind(this, best, equal_var=False)
    difference = float(np.mean(this) - np.mean(best))
    return Difference(
        WELCH_T,
        len(this),
        difference,
        _pair(result.confidence_interval(CONFIDENCE)),
        _float(result.pvalue),
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of ``p_values`` for their number, in the given order.

    Written by hand because scipy.stats has no Holm adjustment (``false_discovery_control`` is
    Benjamini-Hochberg/Yekutieli, which controls a different error rate) and statsmodels is not
    a dependency. The i-th smallest p becomes max over j <= i of min(1, (m - j + 1) p_(j)).
    """
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(sorted(range(m), key=lambda i: p_values[i])):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


@contextmanager
def _identical_values_allowed() -> Iterator[None]:
    """Silence scipy's warning on (nearly) identical values: two configurations that train
    identically (cross_entropy vs nll) are a result, and a NaN p-value is handled by the caller.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
        yield


def _untested(this: Sequence[float], best: Sequence[float], paired: bool) -> Difference:
    """Too few values for a test: the difference of the means, and nothing more."""
    if not this or not best:
        return Difference(None, len(this), None, None, None)
    difference = float(
        np.mean(np.subtract(this, best)) if paired else np.mean(this) - np.mean(best)
    )
    return Difference(None, len(this), difference, None, None)


def _finite(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def _float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _pair(interval: tuple[float, float]) -> tuple[float, float] | None:
    low, high = float(interval[0]), float(interval[1])
    return (low, high) if math.isfinite(low) and math.isfinite(high) else None

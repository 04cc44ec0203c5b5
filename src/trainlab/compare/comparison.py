"""The grouped comparison of a sweep: every configuration's replicates against the best one.

Configurations are ranked by the mean of the compared metric's final value (best first, by its
direction). Each other configuration is tested against the best: paired by seed when the seeds
it completed are among the best's, or the best's among its own (same data and initialisation
per seed, so the differences cancel the seed's effect), Welch's t-test otherwise. p-values are
Holm-adjusted for the number of tests; a configuration is ``worse`` when its adjusted p-value
is below alpha, else ``indistinguishable``; ``untested`` when there are too few values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trainlab.compare.metrics import infer_mode
from trainlab.compare.reader import RunSummary
from trainlab.compare.replicates import Configuration, group_replicates
from trainlab.compare.stats import (
    PAIRED_TESTS,
    Difference,
    Summary,
    holm,
    paired_difference,
    summarize,
    welch_difference,
)

DEFAULT_ALPHA = 0.05
BEST, WORSE, INDISTINGUISHABLE, UNTESTED = "best", "worse", "indistinguishable", "untested"


class UnknownMetricError(ValueError):
    """A metric no run logged, or whose direction cannot be told; the message lists the choices."""


@dataclass(frozen=True)
class GroupResult:
    """One configuration: its replicates and the summary of every metric over them."""

    configuration: Configuration
    metrics: dict[str, list[float | None]]
    summaries: dict[str, Summary]


@dataclass(frozen=True)
class Comparison:
    """One configuration tested against the best."""

    group: GroupResult
    difference: Difference
    p_adjusted: float | None
    verdict: str


@dataclass(frozen=True)
class SweepComparison:
    """The whole comparison: groups best first, comparisons in the same order, every run."""

    metric: str
    mode: str
    alpha: float
    test: str
    groups: list[GroupResult]
    comparisons: list[Comparison]
    runs: list[RunSummary]

    @property
    def best(self) -> GroupResult | None:
        """The best configuration, if any completed."""
        return self.groups[0] if self.groups and self.groups[0].summaries[self.metric].n else None

    def replicated(self) -> bool:
        """Whether some configuration has two completed replicates or more (a spread is known)."""
        return any(len(group.configuration.replicates) > 1 for group in self.groups)

    def comparison_of(self, group: GroupResult) -> Comparison | None:
        """The test of ``group`` against the best, if it has one."""
        return next((c for c in self.comparisons if c.group is group), None)

    def verdict_of(self, group: GroupResult) -> str | None:
        """``best``, a comparison's verdict, or None for a configuration without a value."""
        if group is self.best:
            return BEST
        tested = self.comparison_of(group)
        return tested.verdict if tested else None


def available_metrics(runs: Sequence[RunSummary]) -> list[str]:
    """Every metric a run offers for comparison (final, ``best/``, last gradient norms), sorted."""
    return sorted({name for run in runs for name in run.metrics()})


def compare_sweep(
    runs: Sequence[RunSummary],
    metric: str | None = None,
    mode: str | None = None,
    alpha: float = DEFAULT_ALPHA,
    test: str = "t",
) -> SweepComparison:
    """Group ``runs`` into configurations and compare each with the best on ``metric``.

    ``metric`` defaults to the runs' monitored metric; ``mode`` (``min``/``max``) to the
    monitor's mode or the one its name implies. Raises :class:`UnknownMetricError` for a metric
    no run has, or one whose direction cannot be inferred without ``mode``.
    """
    monitor, monitor_mode = _monitor(runs)
    available = available_metrics(runs)
    if metric is not None and metric not in available:
        raise UnknownMetricError(
            f"unknown metric {metric!r}; the runs have: {', '.join(available) or 'no metrics'}"
        )
    metric = metric or monitor
    mode = mode or infer_mode(metric, monitor, monitor_mode)
    if mode is None:
        raise UnknownMetricError(
            f"cannot tell whether a larger {metric} is better; pass --mode min or --mode max"
        )
    names = [metric, *(name for name in available if name != metric)]
    if f"best/{metric}" not in names:
        names.insert(1, f"best/{metric}")
    groups = [_group_result(c, names, metric, mode) for c in group_replicates(runs)]
    groups.sort(key=lambda g: _rank(g.summaries[metric].mean, mode))
    comparisons = _compare_with_best(groups, metric, alpha, PAIRED_TESTS[test])
    return SweepComparison(metric, mode, alpha, PAIRED_TESTS[test], groups, comparisons, list(runs))


def _monitor(runs: Sequence[RunSummary]) -> tuple[str, str]:
    """The monitored metric and mode: the first completed run's (runs may mix monitors)."""
    ordered = sorted(runs, key=lambda run: run.status != "completed")
    return (ordered[0].monitor, ordered[0].monitor_mode) if ordered else ("val/loss", "min")


def _group_result(
    configuration: Configuration, names: list[str], metric: str, mode: str
) -> GroupResult:
    metrics: dict[str, list[float | None]] = {}
    for name in names:
        values = [_value(run, name, metric, mode) for run in configuration.replicates]
        if any(v is not None for v in values) or name in (metric, f"best/{metric}"):
            metrics[name] = values
    summaries = {name: summarize(values) for name, values in metrics.items()}
    return GroupResult(configuration, metrics, summaries)


def _value(run: RunSummary, name: str, metric: str, mode: str) -> float | None:
    """``name`` of ``run``; ``best/<metric>`` from its curve when the record has no best."""
    value = run.metrics().get(name)
    if value is None and name == f"best/{metric}":
        value = run.best_of_curve(metric, mode)
    return value


def _rank(mean: float | None, mode: str) -> tuple[bool, float]:
    if mean is None or not math.isfinite(mean):
        return (True, 0.0)
    return (False, -mean if mode == "max" else mean)


def _compare_with_best(
    groups: list[GroupResult], metric: str, alpha: float, paired_test: str
) -> list[Comparison]:
    if not groups or not groups[0].summaries[metric].n:
        return []
    best = groups[0]
    differences = [
        (group, _difference(group, best, metric, paired_test))
        for group in groups[1:]
        if group.summaries[metric].n
    ]
    tested = [d.p_value for _, d in differences if d.p_value is not None]
    adjusted = iter(holm(tested))
    comparisons = []
    for group, difference in differences:
        p_adjusted = next(adjusted) if difference.p_value is not None else None
        comparisons.append(
            Comparison(group, difference, p_adjusted, _verdict(difference, p_adjusted, alpha))
        )
    return comparisons


def _difference(group: GroupResult, best: GroupResult, metric: str, paired_test: str) -> Difference:
    """Paired on the common seeds when one seed list holds the other, else Welch."""
    this = _by_seed(group, metric)
    reference = _by_seed(best, metric)
    if this.keys() <= reference.keys() or reference.keys() <= this.keys():
        seeds = [seed for seed in this if seed in reference]
        return paired_difference(
            [this[s] for s in seeds], [reference[s] for s in seeds], paired_test
        )
    return welch_difference(list(this.values()), list(reference.values()))


def _by_seed(group: GroupResult, metric: str) -> dict[int | None, float]:
    """``{seed: value}`` of the replicates with a finite value of ``metric``."""
    return {
        seed: value
        for seed, value in zip(group.configuration.seeds, group.metrics[metric], strict=True)
        if value is not None and math.isfinite(value)
    }


def _verdict(difference: Difference, p_adjusted: float | None, alpha: float) -> str:
    if p_adjusted is not None:
        return WORSE if p_adjusted < alpha else INDISTINGUISHABLE
    # scipy gives no p-value for a paired test whose differences are all exactly zero.
    if difference.test is not None and difference.mean_difference == 0:
        return INDISTINGUISHABLE
    return UNTESTED


def to_json(comparison: SweepComparison, runs_json: list[dict[str, Any]]) -> dict[str, Any]:
    """The comparison as JSON-ready data (NaN and inf as None), runs as ``runs_json``."""
    best = comparison.best
    return {
        "monitor": comparison.metric,
        "mode": comparison.mode,
        "alpha": comparison.alpha,
        "test": comparison.test,
        "groups": [_group_json(group) for group in comparison.groups],
        "comparisons": [
            {
                "config": c.group.configuration.config,
                "label": c.group.configuration.label,
                "best": best.configuration.config if best else None,
                "best_label": best.configuration.label if best else None,
                "metric": comparison.metric,
                "test": c.difference.test,
                "n": c.difference.n,
                "mean_difference": _finite(c.difference.mean_difference),
                "ci95": _interval(c.difference.ci95),
                "p_value": c.difference.p_value,
                "p_adjusted": c.p_adjusted,
                "verdict": c.verdict,
            }
            for c in comparison.comparisons
        ],
        "runs": runs_json,
    }


def _group_json(group: GroupResult) -> dict[str, Any]:
    configuration = group.configuration
    return {
        "label": configuration.label,
        "config": configuration.config,
        "n": len(configuration.replicates),
        "seeds": configuration.seeds,
        "statuses": configuration.statuses(),
        "runs": [str(run.run_dir.resolve()) for run in configuration.runs],
        "metrics": {
            name: {
                "values": [_finite(v) for v in values],
                "mean": _finite(group.summaries[name].mean),
                "std": _finite(group.summaries[name].std),
                "ci95": _interval(group.summaries[name].ci95),
            }
            for name, values in group.metrics.items()
        },
    }


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _interval(interval: tuple[float, float] | None) -> list[float] | None:
    return list(interval) if interval is not None else None

"""One row per configuration: replicates, mean ± std and 95 % CI, difference from the best, verdict.

A sweep with a single seed per configuration has no spread to show: it keeps the per-run table
(:mod:`trainlab.compare.table`) and says so.
"""

from __future__ import annotations

import json
import math
from typing import Any

from trainlab.compare.comparison import GroupResult, SweepComparison, to_json
from trainlab.compare.metrics import infer_mode
from trainlab.compare.reader import RunSummary
from trainlab.compare.stats import WELCH_T
from trainlab.compare.table import render, render_rows, runs_json, sort_runs, sort_value

NOTHING_COMPLETED_NOTE = "No run completed: there is nothing to compare."
NO_SPREAD_NOTE = (
    "One seed per configuration: no spread is known, so no difference can be tested. "
    "Sweep seeds as well (e.g. seed=0,1,2,3,4) to compare honestly."
)


def render_comparison(
    comparison: SweepComparison,
    fmt: str = "table",
    sort: str | None = None,
    descending: bool | None = None,
) -> str:
    """The comparison as ``table``/``markdown`` (with its notes), ``csv`` or ``json``.

    ``sort`` orders the rows by a metric (per run, or by each configuration's mean) instead of
    best first; the JSON keeps groups best first.
    """
    if fmt == "json":
        data = to_json(comparison, runs_json(ordered_runs(comparison, sort, descending)))
        return json.dumps(data, indent=2, allow_nan=False)
    if not comparison.replicated():
        text = render(ordered_runs(comparison, sort, descending), fmt)
        note = NO_SPREAD_NOTE if comparison.best else NOTHING_COMPLETED_NOTE
        return text if fmt == "csv" else f"{text}\n\n{note}"
    groups = ordered_groups(comparison, sort, descending)
    if fmt == "csv":
        return render_rows(numeric_rows(comparison, groups), fmt)
    return f"{render_rows(display_rows(comparison, groups), fmt)}\n\n{explanation(comparison)}"


def ordered_runs(
    comparison: SweepComparison, sort: str | None = None, descending: bool | None = None
) -> list[RunSummary]:
    """The runs by ``sort``, or best first by the compared metric."""
    if sort is None:
        return sort_runs(comparison.runs, comparison.metric, comparison.mode == "max")
    return sort_runs(comparison.runs, sort, descending)


def ordered_groups(
    comparison: SweepComparison, sort: str | None = None, descending: bool | None = None
) -> list[GroupResult]:
    """The configurations by the mean of ``sort`` over their replicates, or best first."""
    if sort is None:
        return comparison.groups
    if descending is None:
        descending = infer_mode(sort, comparison.metric, comparison.mode) == "max"

    def key(group: GroupResult) -> tuple[bool, float]:
        values = [sort_value(run, sort) for run in group.configuration.replicates]
        finite = [v for v in values if v is not None and math.isfinite(v)]
        if not finite:
            return (True, 0.0)
        mean = sum(finite) / len(finite)
        return (False, -mean if descending else mean)

    return sorted(comparison.groups, key=key)


def numeric_rows(comparison: SweepComparison, groups: list[GroupResult]) -> list[dict[str, Any]]:
    """The grouped table with one number per cell (for csv)."""
    metric = comparison.metric
    rows = []
    for group in groups:
        final, best = group.summaries[metric], group.summaries[f"best/{metric}"]
        difference = comparison.comparison_of(group)
        row: dict[str, Any] = {
            "config": group.configuration.label,
            "n": final.n,
            "seeds": " ".join(str(s) for s in group.configuration.seeds),
        }
        for name, summary in ((f"final {metric}", final), (f"best {metric}", best)):
            low, high = summary.ci95 or (None, None)
            row.update(
                {
                    f"{name} mean": summary.mean,
                    f"{name} std": summary.std,
                    f"{name} ci95 low": low,
                    f"{name} ci95 high": high,
                }
            )
        low, high = (difference.difference.ci95 if difference else None) or (None, None)
        row.update(
            {
                "difference": difference.difference.mean_difference if difference else None,
                "difference ci95 low": low,
                "difference ci95 high": high,
                "test": difference.difference.test if difference else None,
                "p": difference.difference.p_value if difference else None,
                "p holm": difference.p_adjusted if difference else None,
                "verdict": comparison.verdict_of(group),
                "not completed": group.configuration.not_completed(),
            }
        )
        rows.append(row)
    return rows


def display_rows(comparison: SweepComparison, groups: list[GroupResult]) -> list[dict[str, Any]]:
    """The grouped table for reading: ``mean ± std``, ``[low, high]`` intervals."""
    metric = comparison.metric
    rows = []
    for group in groups:
        final, best = group.summaries[metric], group.summaries[f"best/{metric}"]
        difference = comparison.comparison_of(group)
        rows.append(
            {
                "config": group.configuration.label,
                "n": final.n,
                f"final {metric}": _mean_std(final.mean, final.std),
                "95% CI": _interval(final.ci95),
                f"best {metric}": _mean_std(best.mean, best.std),
                "diff vs best": _signed(difference.difference.mean_difference)
                if difference
                else None,
                "95% CI of diff": _interval(difference.difference.ci95) if difference else None,
                "test": difference.difference.test if difference else None,
                "p": _number(difference.difference.p_value) if difference else None,
                "p (Holm)": _number(difference.p_adjusted) if difference else None,
                "verdict": comparison.verdict_of(group),
                "not completed": group.configuration.not_completed() or None,
            }
        )
    return rows


def explanation(comparison: SweepComparison) -> str:
    """What the grouped table's numbers are, in two sentences."""
    metric, direction = comparison.metric, "lower" if comparison.mode == "min" else "higher"
    tested = sum(c.p_adjusted is not None for c in comparison.comparisons)
    tests = {c.difference.test for c in comparison.comparisons}
    used = [f"{comparison.test} test on seed-paired values"] if comparison.test in tests else []
    used += ["Welch's t-test where the seeds differ"] if WELCH_T in tests else []
    return (
        f"final {metric} ({direction} is better): mean ± std over each configuration's completed "
        "seeds, 95% CI (Student t); failed and diverged runs are counted, not averaged. "
        f"diff = configuration minus the best; {', '.join(used) or 'no test'}; "
        f"p Holm-adjusted over {tested} test{'s' if tested != 1 else ''}; "
        f"worse: p (Holm) < {comparison.alpha:g}."
    )


def _mean_std(mean: float | None, std: float | None) -> str | None:
    if mean is None:
        return None
    return _number(mean) if std is None else f"{_number(mean)} ± {_number(std)}"


def _interval(interval: tuple[float, float] | None) -> str | None:
    return None if interval is None else f"[{_number(interval[0])}, {_number(interval[1])}]"


def _signed(value: float | None) -> str | None:
    return None if value is None else f"{value:+.4g}"


def _number(value: float | None) -> str | None:
    if value is None:
        return None
    return f"{value:.4g}" if math.isfinite(value) else str(value)

"""Pictures of a sweep, each one PNG legible with a dozen runs or configurations or more.

Per run: loss curves, monitored metric and total gradient norm. Per configuration: the same
curves as the mean over its replicates with a shaded band (std, or the Student t 95 % interval
of the mean), and the mean final gradient norm of every layer from input to output.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and in CI

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from trainlab.compare.comparison import GroupResult, SweepComparison
from trainlab.compare.reader import GRAD_NORM_PREFIX, RunSummary
from trainlab.compare.stats import CONFIDENCE
from trainlab.compare.table import varying_choices

LOSS_PANELS = (("train/loss_step", "train loss"), ("val/loss", "validation loss"))
GRAD_PANEL = ("grad_norm/total", "total gradient norm")
# 20 distinct colours, then the same colours with other line styles: 80 runs stay apart.
_STYLES = ("-", "--", ":", "-.")


BANDS = ("ci", "std")
BAND_ALPHA = 0.18


def panels_for(runs: Sequence[RunSummary], metric: str | None = None) -> list[tuple[str, str]]:
    """(tag, title) of each subplot: losses, the monitored (or compared) metric, gradient norm.

    ``metric`` gets a panel of its own when it is a curve (logged more than once) that the
    other panels do not show already.
    """
    monitors = list(dict.fromkeys(run.monitor for run in runs))
    if metric and any(len(run.curves.get(metric, [])) > 1 for run in runs):
        monitors.append(metric)
    shown = {tag for tag, _ in (*LOSS_PANELS, GRAD_PANEL)}
    extra = [(tag, tag) for tag in dict.fromkeys(monitors) if tag not in shown]
    return [*LOSS_PANELS, *extra, GRAD_PANEL]


def line_styles(count: int) -> list[tuple[tuple[float, float, float], str]]:
    """``count`` (colour, line style) pairs, all distinct for up to 80 runs."""
    tab20 = plt.get_cmap("tab20").colors
    # Dark shades first: the first ten runs get ten clearly different hues.
    colours = tab20[0::2] + tab20[1::2]
    pairs = [(colour, style) for style in _STYLES for colour in colours]
    return list(itertools.islice(itertools.cycle(pairs), count))


def plot_runs(
    runs: Sequence[RunSummary], path: Path | str, log_scale: bool = False, title: str = ""
) -> Path:
    """Draw each run's losses, monitored metric and total gradient norm per step into ``path``."""
    path = Path(path)
    panels = panels_for(runs)
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels) + 3, 4.5))
    keys = varying_choices(runs)
    for run, (colour, style) in zip(runs, line_styles(len(runs)), strict=True):
        label = ",".join(f"{k}={run.choices[k]}" for k in keys if k in run.choices) or run.name
        if run.status != "completed":
            label += f" [{run.status}]"
        for ax, (tag, _) in zip(axes, panels, strict=True):
            points = [(s, v) for s, v in run.curves.get(tag, []) if math.isfinite(v)]
            if points:
                steps, values = zip(*points, strict=True)
                ax.plot(steps, values, color=colour, linestyle=style, linewidth=1.4, label=label)
    _finish(fig, axes, [name for _, name in panels], "step", log_scale, title)
    return _save(fig, path)


def plot_groups(
    comparison: SweepComparison,
    path: Path | str,
    band: str = "ci",
    log_scale: bool = False,
    title: str = "",
) -> Path:
    """Each configuration's mean curves over its completed replicates with a ``band`` around them.

    ``band`` is ``ci`` (Student t 95 % interval of the mean at each step) or ``std`` (mean ± one
    standard deviation); steps logged by fewer than two replicates get no band.
    """
    if band not in BANDS:
        raise ValueError(f"unknown band {band!r}; choose one of: {', '.join(BANDS)}")
    path = Path(path)
    panels = panels_for(comparison.runs, comparison.metric)
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels) + 3, 4.5))
    groups = comparison.groups
    for group, (colour, style) in zip(groups, line_styles(len(groups)), strict=True):
        label = _group_label(group)
        for ax, (tag, _) in zip(axes, panels, strict=True):
            curves = [run.curves.get(tag, []) for run in group.configuration.replicates]
            steps, mean, low, high = mean_band(curves, band)
            if steps.size:
                ax.plot(steps, mean, color=colour, linestyle=style, linewidth=1.4, label=label)
                ax.fill_between(steps, low, high, color=colour, alpha=BAND_ALPHA, linewidth=0)
    names = [name for _, name in panels]
    what = "95% CI of the mean" if band == "ci" else "± 1 std"
    _finish(fig, axes, names, "step", log_scale, f"{title}  (mean over seeds, band: {what})")
    return _save(fig, path)


def plot_layers(comparison: SweepComparison, path: Path | str, title: str = "") -> Path:
    """Mean final gradient norm of each layer, input to output, one line per configuration."""
    path = Path(path)
    layers = list(dict.fromkeys(layer for run in comparison.runs for layer in run.layers()))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(layers) + 3), 4.5))
    positions = np.arange(len(layers))
    groups = comparison.groups
    for group, (colour, style) in zip(groups, line_styles(len(groups)), strict=True):
        means = [_mean(group, GRAD_NORM_PREFIX + layer) for layer in layers]
        points = [(x, y) for x, y in zip(positions, means, strict=True) if y is not None and y > 0]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, color=colour, linestyle=style, marker="o", label=_group_label(group))
    ax.set_xticks(positions, layers, rotation=45 if len(layers) > 8 else 0)
    ax.set_yscale("log")
    _finish(
        fig,
        [ax],
        ["final gradient norm per layer (mean over seeds)"],
        "layer: input → output",
        log_scale=False,
        title=title,
    )
    return _save(fig, path)


def mean_band(
    curves: Sequence[Sequence[tuple[int, float]]], band: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Steps, mean, band low and band high of ``curves`` (finite values only) step by step."""
    by_step: dict[int, list[float]] = {}
    for curve in curves:
        for step, value in curve:
            if math.isfinite(value):
                by_step.setdefault(step, []).append(value)
    steps = np.array(sorted(by_step))
    values = [by_step[step] for step in steps]
    mean = np.array([np.mean(v) for v in values])
    count = np.array([len(v) for v in values])
    std = np.array([np.std(v, ddof=1) if len(v) > 1 else np.nan for v in values])
    if band == "ci":
        half = stats.t.ppf((1 + CONFIDENCE) / 2, np.maximum(count - 1, 1)) * std / np.sqrt(count)
    else:
        half = std
    return steps, mean, mean - half, mean + half


def _mean(group: GroupResult, metric: str) -> float | None:
    summary = group.summaries.get(metric)
    return summary.mean if summary else None


def _group_label(group: GroupResult) -> str:
    configuration = group.configuration
    label = f"{configuration.label} (n={len(configuration.replicates)})"
    missing = configuration.not_completed()
    return f"{label} [{missing}]" if missing else label


def _finish(
    fig: plt.Figure,
    axes: Sequence[plt.Axes],
    names: Sequence[str],
    xlabel: str,
    log_scale: bool,
    title: str,
) -> None:
    """Titles, grids, log scales and one legend for the whole figure, outside on the right."""
    for ax, name in zip(axes, names, strict=True):
        ax.set_title(name)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
        if log_scale and ax.has_data():
            ax.set_yscale("log")
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes[1:]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    columns = 1 if len(labels) <= 20 else 2
    fig.legend(
        handles,
        labels,
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        ncols=columns,
        fontsize="small",
        frameon=False,
    )
    if title:
        fig.suptitle(title)
    fig.tight_layout()


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path

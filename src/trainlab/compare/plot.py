"""Loss curves and total gradient norm of every run, one PNG, legible with a dozen runs or more."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and in CI

import matplotlib.pyplot as plt

from trainlab.compare.reader import RunSummary
from trainlab.compare.table import varying_choices

LOSS_PANELS = (("train/loss_step", "train loss"), ("val/loss", "validation loss"))
GRAD_PANEL = ("grad_norm/total", "total gradient norm")
# 20 distinct colours, then the same colours with other line styles: 80 runs stay apart.
_STYLES = ("-", "--", ":", "-.")


def panels_for(runs: Sequence[RunSummary]) -> list[tuple[str, str]]:
    """(tag, title) of each subplot: losses, the monitored metric if not a loss, gradient norm."""
    monitors = list(dict.fromkeys(run.monitor for run in runs))
    extra = [(tag, tag) for tag in monitors if tag not in dict(LOSS_PANELS)]
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
    for ax, (_, name) in zip(axes, panels, strict=True):
        ax.set_title(name)
        ax.set_xlabel("step")
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
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path

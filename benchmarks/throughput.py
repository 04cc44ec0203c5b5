"""Samples/s of trainlab's path and its variants against the hand loop, repeats alternated."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

from torch import nn

from benchmarks.hand_loop import train_hand_loop
from benchmarks.settings import HAND_LOOP, TRAINLAB_VARIANTS, Workload
from benchmarks.trainlab_path import train_trainlab
from benchmarks.workload import TrainingParts, build_parts

PathRunner = Callable[[Workload, TrainingParts], tuple[nn.Module, float, float]]


@dataclass
class PathResult:
    """One path's throughput over the repeats; ``samples_per_s`` is their median."""

    name: str
    samples_per_s: float
    ratio_vs_hand_loop: float
    repeats_samples_per_s: list[float]
    final_loss: float


@dataclass
class ThroughputReport:
    """Everything ``scripts/benchmark.py`` prints, in JSON-ready form."""

    workload: dict[str, Any]
    environment: dict[str, Any]
    paths: list[PathResult]
    costs: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain dicts and lists for ``json.dump``."""
        return asdict(self)


def path_trainers(variants: Sequence[str]) -> dict[str, PathRunner]:
    """The hand loop, then each requested trainlab variant."""
    unknown = sorted(set(variants) - set(TRAINLAB_VARIANTS))
    if unknown:
        raise ValueError(
            f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(TRAINLAB_VARIANTS)}"
        )
    trainers: dict[str, PathRunner] = {HAND_LOOP: train_hand_loop}
    for name in variants:
        trainers[name] = partial(train_trainlab, **TRAINLAB_VARIANTS[name])
    return trainers


def measure_throughput(
    workload: Workload, variants: Sequence[str], repeats: int, environment: dict[str, Any]
) -> ThroughputReport:
    """Run every path ``repeats`` times, interleaved (a, b, c, a, b, c, ...), and compare medians.

    Interleaving spreads slow phases of a shared machine over all paths instead of one.
    """
    parts = build_parts(workload)
    trainers = path_trainers(variants)
    rates: dict[str, list[float]] = {name: [] for name in trainers}
    losses: dict[str, float] = {}
    for _ in range(repeats):
        for name, train in trainers.items():
            _, seconds, loss = train(workload, parts)
            rates[name].append(workload.steps * workload.batch_size / seconds)
            losses[name] = loss
    medians = {name: statistics.median(values) for name, values in rates.items()}
    paths = [
        PathResult(
            name=name,
            samples_per_s=medians[name],
            ratio_vs_hand_loop=medians[name] / medians[HAND_LOOP],
            repeats_samples_per_s=rates[name],
            final_loss=losses[name],
        )
        for name in trainers
    ]
    return ThroughputReport(asdict(workload), environment, paths, variant_costs(medians))


def variant_costs(medians: dict[str, float]) -> dict[str, float]:
    """Throughput lost to each feature: ``1 - with / without`` (0.03 = 3 % slower)."""
    costs = {}
    if "trainlab" in medians and "trainlab_no_grad_norms" in medians:
        costs["grad_norms"] = 1 - medians["trainlab"] / medians["trainlab_no_grad_norms"]
    if "trainlab" in medians and "trainlab_progress_bar" in medians:
        costs["progress_bar"] = 1 - medians["trainlab_progress_bar"] / medians["trainlab"]
    if "trainlab_no_grad_norms" in medians:
        costs["trainlab_without_grad_norms"] = (
            1 - medians["trainlab_no_grad_norms"] / medians[HAND_LOOP]
        )
    return costs


def format_table(report: ThroughputReport) -> str:
    """A fixed-width table: path, samples/s, ratio vs the hand loop."""
    lines = [f"{'path':<24} {'samples/s':>12} {'vs hand loop':>13}"]
    for path in report.paths:
        lines.append(
            f"{path.name:<24} {path.samples_per_s:>12.1f} {path.ratio_vs_hand_loop:>12.3f}x"
        )
    for name, cost in report.costs.items():
        lines.append(f"cost of {name}: {100 * cost:+.1f}% throughput")
    return "\n".join(lines)

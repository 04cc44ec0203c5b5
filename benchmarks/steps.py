"""The steps suite: steady training steps of every path, timed in one process, interleaved."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.hand_loop import train_hand_loop
from benchmarks.lightning_paths import train_user_module_steps
from benchmarks.report import Spread, interleaved, ratio_columns, speed_ratios
from benchmarks.runs import StepRun
from benchmarks.settings import (
    HAND_LOOP,
    STEP_PATHS,
    TRAINLAB_VARIANTS,
    StepWindow,
    Workload,
)
from benchmarks.trainlab_path import steps_overrides, train_trainlab_steps
from benchmarks.workload import TrainingParts, build_parts, compose_run_config

StepRunner = Callable[[Path], StepRun]


@dataclass
class StepPaths:
    """The shared parts and, per path, a function training it once in a given run folder."""

    parts: TrainingParts
    runners: dict[str, StepRunner]


def prepare_steps(workload: Workload, window: StepWindow, paths: Sequence[str]) -> StepPaths:
    """Build the shared data and initial model once; a runner for each of ``paths``."""
    unknown = [name for name in paths if name not in STEP_PATHS]
    if unknown:
        raise ValueError(
            f"unknown path(s) {', '.join(unknown)}; choose from {', '.join(STEP_PATHS)}"
        )
    parts = build_parts(workload, compose_run_config(workload, steps_overrides(window)))
    runners: dict[str, StepRunner] = {}
    for name in paths:
        if name == HAND_LOOP:
            runners[name] = lambda _run_dir: train_hand_loop(workload, window, parts)
        elif name in TRAINLAB_VARIANTS:
            cfg = compose_run_config(workload, steps_overrides(window, **TRAINLAB_VARIANTS[name]))
            runners[name] = partial(train_trainlab_steps, cfg, window, parts)
        else:
            runners[name] = partial(train_user_module_steps, name, workload, window, parts)
    return StepPaths(parts, runners)


@dataclass
class StepPathResult:
    """One path's steps over the repeats; ratios compare medians with each reference path."""

    name: str
    ms_per_step: Spread
    samples_per_s: float
    ratios: dict[str, float]
    final_loss: float


@dataclass
class StepsReport:
    """One workload's steps (``benchmark.py --suite steps`` prints one per model), JSON-ready."""

    workload: dict[str, Any]
    window: dict[str, Any]
    paths: list[StepPathResult] = field(default_factory=list)
    costs: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain dicts and lists for ``json.dump``."""
        return asdict(self)


def measure_steps(
    workload: Workload,
    window: StepWindow,
    paths: Sequence[str],
    repeats: int,
    work_dir: Path | None = None,
) -> StepsReport:
    """Train every path ``repeats`` times, interleaved, each run in a fresh folder; compare medians."""
    prepared = prepare_steps(workload, window, paths)
    seconds: dict[str, list[float]] = {name: [] for name in paths}
    losses: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="trainlab-benchmark-") as scratch:
        root = Path(work_dir or scratch)
        for repeat, name in interleaved(list(paths), repeats):
            run = prepared.runners[name](root / f"{name}-{repeat}")
            seconds[name].append(run.seconds / window.steps)
            losses[name] = run.last_loss
    medians = {name: Spread.of(values).median for name, values in seconds.items()}
    results = [
        StepPathResult(
            name=name,
            ms_per_step=Spread.of(values).scaled(1000),
            samples_per_s=workload.batch_size / medians[name],
            ratios=speed_ratios(medians, name),
            final_loss=losses[name],
        )
        for name, values in seconds.items()
    ]
    return StepsReport(asdict(workload), asdict(window), results, variant_costs(medians))


def variant_costs(seconds: dict[str, float]) -> dict[str, float]:
    """Throughput lost to each feature of a default run: ``1 - with / without`` (0.03 = 3 %)."""
    costs = {}
    if "trainlab" in seconds and "trainlab_no_grad_norms" in seconds:
        costs["grad_norms"] = 1 - seconds["trainlab_no_grad_norms"] / seconds["trainlab"]
    if "trainlab" in seconds and "trainlab_progress_bar" in seconds:
        costs["progress_bar"] = 1 - seconds["trainlab"] / seconds["trainlab_progress_bar"]
    return costs


def format_steps_table(report: StepsReport) -> str:
    """Path, ms/step (median, min–max), samples/s, and the speed relative to each reference."""
    names = [path.name for path in report.paths]
    references = ratio_columns(names)
    header = f"{'path':<24} {'ms/step (min–max)':>22} {'samples/s':>11}"
    header += "".join(f" {'x ' + reference:>16}" for reference in references)
    lines = [header]
    for path in report.paths:
        line = f"{path.name:<24} {path.ms_per_step.text(3):>22} {path.samples_per_s:>11.0f}"
        line += "".join(f" {path.ratios[reference]:>16.3f}" for reference in references)
        lines.append(line)
    for name, cost in report.costs.items():
        lines.append(f"cost of {name}: {100 * cost:+.1f}% throughput")
    return "\n".join(lines)

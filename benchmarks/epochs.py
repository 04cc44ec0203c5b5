"""The epochs suite: whole fits (training, validation, checkpoints, logging), interleaved.

Every path fits the same model on the same data for ``epochs`` epochs. An epoch is timed from
its start to the next one's (the last: to the end of the fit), so it holds all its work; the
first epoch also pays one-off costs (allocations, first files), so the steady epoch time is the
mean over the epochs after it. The whole ``Trainer.fit`` (for the hand loop: its whole body,
data loading included) is reported beside it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.epoch_hand_loop import fit_hand_loop_epochs
from benchmarks.lightning_paths import train_user_module_epochs
from benchmarks.report import (
    Spread,
    interleaved,
    paired_speed_ratios,
    ratio_columns,
    speed_ratios,
)
from benchmarks.runs import EpochRun
from benchmarks.settings import EPOCH_PATHS, HAND_LOOP, TRAINLAB, Workload
from benchmarks.trainlab_path import epochs_overrides, train_trainlab_epochs
from benchmarks.workload import (
    TrainingParts,
    build_parts,
    compose_run_config,
    write_cifar_files,
)

EpochRunner = Callable[[Path], EpochRun]


@dataclass
class EpochPaths:
    """The shared parts and, per path, a function fitting it once in a given run folder."""

    parts: TrainingParts
    runners: dict[str, EpochRunner]


def prepare_epochs(
    workload: Workload, epochs: int, paths: Sequence[str], cifar_dir: Path | None = None
) -> EpochPaths:
    """The run's config, data and initial model, once; a runner for each of ``paths``.

    ``cifar_dir`` holds the CNN's CIFAR-format files (see :func:`~benchmarks.workload.write_cifar_files`).
    """
    unknown = [name for name in paths if name not in EPOCH_PATHS]
    if unknown:
        raise ValueError(
            f"unknown path(s) {', '.join(unknown)}; choose from {', '.join(EPOCH_PATHS)}"
        )
    if epochs < 2:
        raise ValueError(f"epochs must be >= 2 (the first is not steady), got {epochs}")
    if workload.model != "mlp" and cifar_dir is None:
        raise ValueError("the CNN's epochs need CIFAR-format files: pass cifar_dir")
    cfg = compose_run_config(workload, epochs_overrides(epochs), cifar_dir)
    parts = build_parts(workload, cfg)
    runners: dict[str, EpochRunner] = {}
    for name in paths:
        if name == HAND_LOOP:
            every = int(cfg.trainer.log_every_n_steps)
            runners[name] = partial(
                fit_hand_loop_epochs, workload, epochs, parts, log_every_n_steps=every
            )
        elif name == TRAINLAB:
            runners[name] = partial(train_trainlab_epochs, cfg, parts)
        else:
            runners[name] = partial(train_user_module_epochs, name, workload, epochs, parts)
    return EpochPaths(parts, runners)


@dataclass
class EpochPathResult:
    """One path's fits over the repeats; ratios compare medians with each reference path, paired
    ratios the fits of each round (see :func:`~benchmarks.report.paired_speed_ratios`)."""

    name: str
    epoch_s: Spread
    first_epoch_s: Spread
    fit_s: Spread
    epoch_ratios: dict[str, float]
    epoch_paired_ratios: dict[str, float]
    fit_ratios: dict[str, float]


@dataclass
class EpochsReport:
    """One workload's epochs (``benchmark.py --suite epochs`` prints one per model), JSON-ready."""

    workload: dict[str, Any]
    epochs: int
    data: dict[str, Any]
    paths: list[EpochPathResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain dicts and lists for ``json.dump``."""
        return asdict(self)


def measure_epochs(
    workload: Workload,
    epochs: int,
    paths: Sequence[str],
    repeats: int,
    work_dir: Path | None = None,
) -> EpochsReport:
    """Fit every path ``repeats`` times, interleaved, each in a fresh folder; compare medians."""
    steady: dict[str, list[float]] = {name: [] for name in paths}
    first: dict[str, list[float]] = {name: [] for name in paths}
    whole: dict[str, list[float]] = {name: [] for name in paths}
    with tempfile.TemporaryDirectory(prefix="trainlab-benchmark-") as scratch:
        root = Path(work_dir or scratch)
        cifar_dir = write_cifar_files(workload, root / "cifar") if workload.model != "mlp" else None
        prepared = prepare_epochs(workload, epochs, paths, cifar_dir)
        for repeat, name in interleaved(list(paths), repeats):
            clock = prepared.runners[name](root / f"{name}-{repeat}").clock
            epoch_seconds = clock.epoch_seconds
            first[name].append(epoch_seconds[0])
            steady[name].append(sum(epoch_seconds[1:]) / len(epoch_seconds[1:]))
            whole[name].append(clock.fit_seconds)
        data = data_summary(prepared.parts)
    epoch_medians = {name: Spread.of(values).median for name, values in steady.items()}
    fit_medians = {name: Spread.of(values).median for name, values in whole.items()}
    results = [
        EpochPathResult(
            name=name,
            epoch_s=Spread.of(steady[name]),
            first_epoch_s=Spread.of(first[name]),
            fit_s=Spread.of(whole[name]),
            epoch_ratios=speed_ratios(epoch_medians, name),
            epoch_paired_ratios=paired_speed_ratios(steady, name),
            fit_ratios=speed_ratios(fit_medians, name),
        )
        for name in paths
    ]
    return EpochsReport(asdict(workload), epochs, data, results)


def data_summary(parts: TrainingParts) -> dict[str, Any]:
    """What one epoch reads: the data set, its split sizes and batches."""
    splits = parts.source.load()
    batch = parts.source.batch_size
    return {
        "source": type(parts.source).__name__,
        "train_examples": len(splits["train"][0]),
        "val_examples": len(splits["val"][0]),
        "train_batches": -(-len(splits["train"][0]) // batch),
        "val_batches": -(-len(splits["val"][0]) // batch),
    }


def format_epochs_table(report: EpochsReport) -> str:
    """Path, steady epoch, first epoch and whole fit seconds; speed relative to each reference.

    The ``x`` columns give the path's speed relative to each reference path, in the order of
    the header (``hand_loop/bare_lightning/peer``): above 1 is faster; ``paired`` is the
    median over the rounds of each round's ratio.
    """
    names = [path.name for path in report.paths]
    references = "/".join(ratio_columns(names))
    lines = [
        f"{'path':<16} {'epoch s (min–max)':>22} {'first epoch s':>14} {'fit s (min–max)':>22}"
        f"  {'epoch x ' + references:<36} {'paired epoch x':<22} {'fit x ' + references}"
    ]
    for path in report.paths:
        epoch_ratios = "/".join(f"{ratio:.3f}" for ratio in path.epoch_ratios.values())
        paired = "/".join(f"{ratio:.3f}" for ratio in path.epoch_paired_ratios.values())
        fit_ratios = "/".join(f"{ratio:.3f}" for ratio in path.fit_ratios.values())
        lines.append(
            f"{path.name:<16} {path.epoch_s.text(3):>22} {path.first_epoch_s.median:>14.3f} "
            f"{path.fit_s.text(3):>22}  {epoch_ratios:<36} {paired:<22} {fit_ratios}"
        )
    return "\n".join(lines)

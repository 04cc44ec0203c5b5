"""trainlab's full path: TrainLabModule under a real Trainer built from the real config."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from torch import nn

from trainlab.benchmark.clock import StepClock, StepClockCallback
from trainlab.benchmark.settings import Workload
from trainlab.benchmark.workload import (
    ImageData,
    TrainingParts,
    compose_benchmark_config,
    make_loader,
    resolve_device,
)
from trainlab.build import build_trainer


def train_trainlab(
    workload: Workload,
    data: ImageData,
    parts: TrainingParts,
    *,
    grad_norms: bool = True,
    progress_bar: bool = False,
) -> tuple[nn.Module, float, float]:
    """Fit a fresh copy of the model; return it, the timed seconds and the last loss.

    The Trainer, TensorBoard logger and GradientNormLogger come from :func:`build_trainer`
    with trainlab's default logging interval, writing real event files into a temporary
    run directory; only checkpointing is off (see :func:`compose_benchmark_config`).
    """
    cfg = compose_benchmark_config(workload, grad_norms=grad_norms, progress_bar=progress_bar)
    module = parts.fresh_module(workload)
    clock = StepClock(resolve_device(workload.device), workload.warmup_steps, workload.steps)
    timer = StepClockCallback(clock)
    with tempfile.TemporaryDirectory(prefix="trainlab-benchmark-") as run_dir:
        trainer = build_trainer(cfg, Path(run_dir))
        trainer.callbacks.append(timer)
        with warnings.catch_warnings():
            # "validation_step defined but no val_dataloader", "few batches": expected here.
            warnings.simplefilter("ignore", UserWarning)
            trainer.fit(module, train_dataloaders=make_loader(workload, data))
    return module.model, clock.seconds, float(timer.last_loss)

"""trainlab's full path: TrainLabModule under the Trainer that trainlab builds for the plan."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from torch import nn

from benchmarks.clock import StepClock, StepClockCallback
from benchmarks.settings import Workload
from benchmarks.workload import TrainingParts, make_loader, plan_benchmark, resolve_device
from trainlab.build import build_trainer


def train_trainlab(
    workload: Workload, parts: TrainingParts, *, grad_norms: bool = True, progress_bar: bool = False
) -> tuple[nn.Module, float, float]:
    """Fit a fresh copy of the model; return it, the timed seconds and the last loss.

    The Trainer, TensorBoard logger and GradientNormLogger come from :func:`build_trainer` for
    the run's plan, with trainlab's default logging interval, writing real event files into a
    temporary run directory; only checkpointing is off (see ``compose_benchmark_config``).
    """
    module = parts.fresh_module(workload)
    clock = StepClock(resolve_device(workload.device), workload.warmup_steps, workload.steps)
    timer = StepClockCallback(clock)
    with tempfile.TemporaryDirectory(prefix="trainlab-benchmark-") as run_dir:
        run_plan = plan_benchmark(
            workload, Path(run_dir), grad_norms=grad_norms, progress_bar=progress_bar
        )
        trainer = build_trainer(run_plan)
        trainer.callbacks.append(timer)
        with warnings.catch_warnings():
            # "validation_step defined but no val_dataloader", "few batches": expected here.
            warnings.simplefilter("ignore", UserWarning)
            trainer.fit(module, train_dataloaders=make_loader(workload, parts.data))
    return module.model, clock.seconds, float(timer.last_loss)

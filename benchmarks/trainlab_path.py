"""trainlab's own path: the run ``trainlab.plan.plan`` plans and ``trainlab.build`` builds.

The datamodule, TrainLabModule, TensorBoard logger, callbacks (gradient norms, divergence
checks, RNG states, checkpoints) and Trainer are the run's own; the only changes are that the
network starts from the shared initial weights and that a clock callback is appended.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import lightning as L
from omegaconf import DictConfig

from benchmarks.clock import FitClock, FitClockCallback, StepClock, StepClockCallback
from benchmarks.runs import EpochRun, StepRun
from benchmarks.settings import StepWindow
from benchmarks.workload import TrainingParts, plan_run
from trainlab.build import RunParts, build
from trainlab.tensorboard_logger import close_event_files


def steps_overrides(
    window: StepWindow, *, grad_norms: bool = True, progress_bar: bool = False
) -> Sequence[str]:
    """A default run cut to the window's steps: no validation or test, so only steps are timed.

    Checkpoints stay on (their per-step hooks are a default run's work); with no validation
    they follow the training loss.
    """
    return (
        f"trainer.max_steps={window.total_steps}",
        "trainer.max_epochs=-1",
        "trainer.limit_val_batches=0",
        f"trainer.enable_progress_bar={progress_bar}",
        f"grad_norms.enabled={grad_norms}",
        "run_test=false",
        "monitor=train/loss_epoch",
    )


def epochs_overrides(epochs: int) -> Sequence[str]:
    """A default run of ``epochs`` epochs; fit only (the test split is not the fit's work)."""
    return (f"trainer.max_epochs={epochs}", "run_test=false")


def build_run(cfg: DictConfig, parts: TrainingParts, run_dir: Path) -> RunParts:
    """The run trainlab plans for ``cfg`` in ``run_dir``, its network at the shared start."""
    run_plan = plan_run(cfg, run_dir, parts)
    L.seed_everything(run_plan.seed, workers=True, verbose=False)
    run = build(run_plan)
    run.module.model.load_state_dict(parts.initial_model.state_dict())
    return run


def train_trainlab_steps(
    cfg: DictConfig, window: StepWindow, parts: TrainingParts, run_dir: Path
) -> StepRun:
    """Fit the run of ``cfg`` (see :func:`steps_overrides`) for the window's steps."""
    run = build_run(cfg, parts, run_dir)
    timer = StepClockCallback(StepClock(parts.device, window.warmup_steps, window.steps))
    run.trainer.callbacks.append(timer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        run.trainer.fit(run.module, datamodule=run.datamodule)
    close_event_files(run.trainer.loggers)
    return StepRun(run.module.model, timer.clock.seconds, float(timer.last_loss))


def train_trainlab_epochs(cfg: DictConfig, parts: TrainingParts, run_dir: Path) -> EpochRun:
    """``Trainer.fit`` of the run of ``cfg`` (see :func:`epochs_overrides`), timed whole."""
    run = build_run(cfg, parts, run_dir)
    clock = FitClock(parts.device)
    run.trainer.callbacks.append(FitClockCallback(clock))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clock.start()
        run.trainer.fit(run.module, datamodule=run.datamodule)
        # Its event file is closed when the run ends; Lightning closes the other paths' at the
        # fit's end, inside the clock.
        close_event_files(run.trainer.loggers)
        clock.stop()
    return EpochRun(run.module.model, clock)

"""Build a run's Lightning objects from its plan: datamodule, module, loggers, callbacks, Trainer.

Nothing here checks the config: :func:`trainlab.plan.plan` did, once.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import lightning as L
from lightning.pytorch.loggers import Logger
from lightning.pytorch.utilities.exceptions import MisconfigurationException

from trainlab.callbacks import (
    ActivationHistogramLogger,
    DivergenceDetector,
    GradientNormLogger,
    RunCheckpoint,
    SyncedSigterm,
    WeightHistogramLogger,
)
from trainlab.checkpoint_io import AtomicCheckpointIO
from trainlab.components import make_loss, make_model
from trainlab.data.datamodule import InMemoryDataModule
from trainlab.distributed import check_launch, cluster_plugins
from trainlab.errors import ConfigError
from trainlab.log_writer import FIGURE, HISTOGRAM, TEXT, LogWriter
from trainlab.loggers import LOGGERS
from trainlab.losses import loss_spec
from trainlab.module import TrainLabModule
from trainlab.plan import RunPlan
from trainlab.tasks import Task


@dataclass
class RunParts:
    """What :func:`trainlab.execute.execute` fits and tests."""

    datamodule: InMemoryDataModule
    module: TrainLabModule
    trainer: L.Trainer


def build(plan: RunPlan) -> RunParts:
    """Every Lightning object of the run (seed the global RNGs first: the model draws from them)."""
    return RunParts(build_datamodule(plan), build_module(plan), build_trainer(plan))


def build_datamodule(plan: RunPlan) -> InMemoryDataModule:
    """The datamodule serving the plan's data source."""
    return InMemoryDataModule(plan.data)


def build_module(plan: RunPlan) -> TrainLabModule:
    """The LightningModule with the plan's model, loss, optimizer and scheduler."""
    model = make_model(plan.model, plan.activation, plan.init, plan.data)
    if plan.settings.compile:
        # In place (nn.Module.compile), so parameter names and checkpoints stay the same.
        model.compile()
    return TrainLabModule(
        model=model,
        loss=make_loss(plan.loss),
        loss_spec=loss_spec(plan.loss.name),
        task=plan.data.task,
        optimizer=plan.optimizer,
        scheduler=plan.scheduler,
        class_names=plan.data.class_names,
        gradient_clip_val=plan.settings.trainer.gradient_clip_val,
    )


def build_loggers(plan: RunPlan) -> list[Logger]:
    """The plan's loggers writing into the run directory (none when logging is off).

    When resuming, each logger purges what the killed run wrote at or after the checkpoint's
    step, so the resumed curves have no duplicate steps.
    """
    purge_step = plan.resume.global_step if plan.resume is not None else None
    return [
        LOGGERS.build(
            choice.name, save_dir=str(plan.run_dir), purge_step=purge_step, **choice.params
        )
        for choice in plan.loggers
    ]


def planned_writes(plan: RunPlan) -> set[str]:
    """What the run writes to its loggers besides metrics and hyperparameters."""
    settings = plan.settings
    writes = {TEXT}  # the resolved config, when the run ends
    if (
        settings.grad_norms.histograms
        or settings.histograms.weights
        or settings.histograms.activations
    ):
        writes.add(HISTOGRAM)
    if plan.data.task is Task.MULTICLASS and settings.run_test:
        writes.add(FIGURE)  # the test split's confusion matrix
    return writes


def build_callbacks(plan: RunPlan) -> list[L.Callback]:
    """Divergence checks, gradient norms, histograms, checkpoints (with the global RNG states;
    also on SIGTERM): only those the run uses, since every callback costs each step its hook
    calls (about 2 µs each, five hooks a training step)."""
    settings = plan.settings
    callbacks: list[L.Callback] = [DivergenceDetector()]
    if settings.grad_norms.enabled:
        callbacks.append(
            GradientNormLogger(
                per_layer=settings.grad_norms.per_layer, histograms=settings.grad_norms.histograms
            )
        )
    if settings.histograms.weights:
        callbacks.append(WeightHistogramLogger())
    if settings.histograms.activations:
        callbacks.append(ActivationHistogramLogger())
    if settings.checkpoint.enabled:
        folder = plan.run_dir / "checkpoints"
        callbacks.append(RunCheckpoint(folder, settings.monitor, settings.monitor_mode))
    return callbacks


def build_trainer(plan: RunPlan) -> L.Trainer:
    """``lightning.Trainer`` from the plan's trainer section with trainlab's loggers and callbacks.

    Refuses (ConfigError) a launch that cannot work, e.g. ``-m`` with ``trainer=ddp``.
    """
    kwargs = vars(plan.settings.trainer).copy()
    # The module clips (it optimises manually, and Lightning clips only automatic optimisation).
    del kwargs["gradient_clip_val"]
    if kwargs["enable_progress_bar"] is None:
        kwargs["enable_progress_bar"] = sys.stderr.isatty()
    try:
        trainer = L.Trainer(
            **kwargs,
            default_root_dir=str(plan.run_dir),
            logger=build_loggers(plan) or False,
            callbacks=build_callbacks(plan),
            # Otherwise Lightning adds its own ModelCheckpoint when checkpoint.enabled is false.
            enable_checkpointing=plan.settings.checkpoint.enabled,
            plugins=[AtomicCheckpointIO(), *cluster_plugins()],
        )
    except (ValueError, TypeError, MisconfigurationException) as error:
        # Arguments Lightning alone knows (strategy names, device counts), before anything ran.
        raise ConfigError(f"trainer: {error}") from None
    check_launch(trainer)
    if trainer.world_size > 1:  # DDP: every rank must stop at the same step on SIGTERM
        trainer.callbacks.append(SyncedSigterm())
    LogWriter.attach(trainer, planned_writes(plan))
    return trainer

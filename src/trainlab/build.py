"""Build a run's Lightning objects from its plan: datamodule, module, logger, callbacks, Trainer.

Nothing here checks the config: :func:`trainlab.plan.plan` did, once.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import Logger
from lightning.pytorch.utilities.exceptions import MisconfigurationException

from trainlab.callbacks import (
    ActivationHistogramLogger,
    DivergenceDetector,
    EpochEndPublisher,
    GlobalRNGState,
    GradientNormLogger,
    InterruptCheckpoint,
    SyncedSigterm,
    WeightHistogramLogger,
)
from trainlab.checkpoint_io import AtomicCheckpointIO
from trainlab.components import make_loss, make_model
from trainlab.data.datamodule import InMemoryDataModule
from trainlab.distributed import check_launch, cluster_plugins
from trainlab.errors import ConfigError
from trainlab.loggers import LOGGERS
from trainlab.losses import loss_spec
from trainlab.module import TrainLabModule
from trainlab.plan import RunPlan


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
    model = make_model(plan.model, plan.activation, plan.data)
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
    )


def build_logger(plan: RunPlan) -> Logger | None:
    """The plan's logger writing into the run directory, or None when logging is off.

    When resuming, the logger purges what the killed run wrote at or after the checkpoint's step,
    so the resumed curves have no duplicate steps.
    """
    if plan.logger is None:
        return None
    purge_step = plan.resume.global_step if plan.resume is not None else None
    return LOGGERS.build(
        plan.logger.name, save_dir=str(plan.run_dir), purge_step=purge_step, **plan.logger.params
    )


def build_callbacks(plan: RunPlan) -> list[L.Callback]:
    """Divergence checks, RNG states, gradient norms, histograms, checkpoints (also on SIGTERM)."""
    settings = plan.settings
    callbacks: list[L.Callback] = [DivergenceDetector(), GlobalRNGState(), SyncedSigterm()]
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
        checkpoints = plan.run_dir / "checkpoints"
        callbacks.append(
            ModelCheckpoint(
                dirpath=checkpoints,
                filename="best",
                monitor=settings.monitor,
                mode=settings.monitor_mode,
                save_last=True,
                save_top_k=1,
                auto_insert_metric_name=False,
            )
        )
        # The publisher before InterruptCheckpoint: on a SIGTERM it stops holding checkpoints
        # first, so the interrupted state is written at once.
        callbacks.append(EpochEndPublisher())
        callbacks.append(InterruptCheckpoint(checkpoints / "last.ckpt"))
    return callbacks


def build_trainer(plan: RunPlan) -> L.Trainer:
    """``lightning.Trainer`` from the plan's trainer section with trainlab's logger and callbacks.

    Refuses (ConfigError) a launch that cannot work, e.g. ``-m`` with ``trainer=ddp``.
    """
    kwargs = vars(plan.settings.trainer).copy()
    if kwargs["enable_progress_bar"] is None:
        kwargs["enable_progress_bar"] = sys.stderr.isatty()
    logger = build_logger(plan)
    try:
        trainer = L.Trainer(
            **kwargs,
            default_root_dir=str(plan.run_dir),
            logger=logger if logger is not None else False,
            callbacks=build_callbacks(plan),
            # Otherwise Lightning adds its own ModelCheckpoint when checkpoint.enabled is false.
            enable_checkpointing=plan.settings.checkpoint.enabled,
            plugins=[AtomicCheckpointIO(), *cluster_plugins()],
        )
    except (ValueError, TypeError, MisconfigurationException) as error:
        # Arguments Lightning alone knows (strategy names, device counts), before anything ran.
        raise ConfigError(f"trainer: {error}") from None
    check_launch(trainer)
    return trainer

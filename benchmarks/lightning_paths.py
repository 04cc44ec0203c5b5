"""Bare Lightning and the lightning-hydra-template peer, under plain ``lightning.Trainer``s.

Both train a copy of the shared network with the run's loss and optimizer. In the steps suite
they take trainlab's in-memory loader directly (the data needs no per-batch transform); in the
epochs suite they fit trainlab's datamodule, so every Lightning path reads, augments and
normalises the same batches as the run does.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import TensorBoardLogger

from benchmarks.clock import FitClock, FitClockCallback, StepClock, StepClockCallback
from benchmarks.lightning_modules import BareModule, PeerModule
from benchmarks.runs import EpochRun, StepRun
from benchmarks.settings import BARE_LIGHTNING, PEER, StepWindow, Workload
from benchmarks.workload import TrainingParts
from trainlab.data.datamodule import InMemoryDataModule


def user_module(path: str, workload: Workload, parts: TrainingParts) -> L.LightningModule:
    """The ``bare_lightning`` or ``peer`` module around a fresh copy of the network."""
    net = parts.fresh_model(workload)
    initial = parts.initial_module
    if path == BARE_LIGHTNING:
        return BareModule(net, initial.loss, initial.optimizer_choice)
    if path == PEER:
        return PeerModule(net, initial.loss, initial.optimizer_choice, parts.source.num_outputs)
    raise ValueError(f"no user module for path {path!r}")


def trainer_arguments(parts: TrainingParts, workload: Workload) -> dict[str, Any]:
    """The device, precision and quiet console every Lightning path shares with the run."""
    cuda = parts.device.type == "cuda"
    return {
        "accelerator": "gpu" if cuda else "cpu",
        "devices": 1,
        "precision": workload.precision,
        "benchmark": cuda,
        "enable_progress_bar": False,
        "enable_model_summary": False,
    }


def peer_logger(run_dir: Path) -> TensorBoardLogger:
    """Event files straight into ``run_dir``, as the run's logger writes them."""
    return TensorBoardLogger(str(run_dir), name="", version="", default_hp_metric=False)


def train_user_module_steps(
    path: str, workload: Workload, window: StepWindow, parts: TrainingParts, run_dir: Path
) -> StepRun:
    """Fit ``path``'s module for the window's steps: no validation, no checkpoints.

    Bare Lightning has no logger; the peer logs its epoch metrics to TensorBoard in ``run_dir``.
    """
    module = user_module(path, workload, parts)
    timer = StepClockCallback(StepClock(parts.device, window.warmup_steps, window.steps))
    trainer = L.Trainer(
        **trainer_arguments(parts, workload),
        max_steps=window.total_steps,
        max_epochs=-1,
        limit_val_batches=0,
        logger=peer_logger(run_dir) if path == PEER else False,
        enable_checkpointing=False,
        callbacks=[timer],
        default_root_dir=str(run_dir),
    )
    with warnings.catch_warnings():
        # "validation_step defined but no val_dataloader", "few batches": expected here.
        warnings.simplefilter("ignore", UserWarning)
        trainer.fit(module, train_dataloaders=parts.train_loader())
    return StepRun(module.net, timer.clock.seconds, float(timer.last_loss))


def train_user_module_epochs(
    path: str, workload: Workload, epochs: int, parts: TrainingParts, run_dir: Path
) -> EpochRun:
    """Fit ``path``'s module for ``epochs`` whole epochs, validating after each.

    Bare Lightning: no logger, callbacks or checkpoints. The peer: TensorBoard in ``run_dir``
    and ``best.ckpt``/``last.ckpt`` by ``val/loss``, as the run keeps them.
    """
    module = user_module(path, workload, parts)
    clock = FitClock(parts.device)
    callbacks: list[L.Callback] = [FitClockCallback(clock)]
    if path == PEER:
        callbacks.append(
            ModelCheckpoint(
                dirpath=run_dir / "checkpoints",
                filename="best",
                monitor="val/loss",
                mode="min",
                save_last=True,
                save_top_k=1,
                auto_insert_metric_name=False,
            )
        )
    trainer = L.Trainer(
        **trainer_arguments(parts, workload),
        max_epochs=epochs,
        logger=peer_logger(run_dir) if path == PEER else False,
        enable_checkpointing=path == PEER,
        callbacks=callbacks,
        default_root_dir=str(run_dir),
    )
    datamodule = InMemoryDataModule(parts.source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clock.start()
        trainer.fit(module, datamodule=datamodule)
        clock.stop()
    return EpochRun(module.net, clock)

"""Epoch-end checkpoints renamed into place only once their epoch has wholly ended."""

from __future__ import annotations

import lightning as L

from trainlab.checkpoint_io import AtomicCheckpointIO


class EpochEndPublisher(L.Callback):
    """Holds the checkpoints saved at an epoch's end until the next epoch starts (or training
    ends), then renames them into place (:class:`~trainlab.checkpoint_io.AtomicCheckpointIO`).

    ``ModelCheckpoint`` saves ``last.ckpt`` in the epoch's end hooks, but Lightning logs the
    epoch's training metrics (``train/loss_epoch``, ``train/acc``, ...) only after them, and a run
    resumed from that checkpoint does not repeat the epoch's end: a run killed in between would
    lose those points from its TensorBoard curves for good. Held, a killed run resumes from the
    previous ``last.ckpt`` and logs that epoch's end again. Lightning flushes the loggers after
    each logging call, so when the next epoch starts, everything logged before is on disk.

    On any exception the held checkpoints are dropped (the files in place stay the last whole
    epoch's) and saving is direct again, so :class:`InterruptCheckpoint`, which comes after this
    callback, writes the state at a SIGTERM at once.
    """

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if isinstance(io := trainer.strategy.checkpoint_io, AtomicCheckpointIO):
            io.holding = True

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if isinstance(io := trainer.strategy.checkpoint_io, AtomicCheckpointIO):
            io.publish()

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if isinstance(io := trainer.strategy.checkpoint_io, AtomicCheckpointIO):
            io.publish()
            io.holding = False

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        if isinstance(io := trainer.strategy.checkpoint_io, AtomicCheckpointIO):
            io.discard()
            io.holding = False

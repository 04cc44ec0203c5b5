"""A run's checkpoints: ``best.ckpt`` by the monitored metric, ``last.ckpt`` every epoch and on
SIGTERM (a cluster's pre-emption or time limit), epoch-end ones put in place once their epoch
has wholly ended, each with the global RNG states."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.trainer.states import TrainerFn
from lightning.pytorch.utilities.exceptions import SIGTERMException

from trainlab.checkpoint_io import AtomicCheckpointIO
from trainlab.rng_state import global_rng_states, restore_global_rng_states

BEST, LAST = "best", "last"
RNG_STATES = "global_rng_states"  # this callback's state key holding them


class RunCheckpoint(ModelCheckpoint):
    """Lightning's ModelCheckpoint into ``folder`` (``best.ckpt``, ``last.ckpt``), which also
    saves ``last.ckpt`` when Lightning stops the fit on SIGTERM.

    Lightning's signal connector turns SIGTERM into ``SIGTERMException`` at the next batch
    boundary on every rank (rank 0 broadcasts it), then calls ``on_exception`` on each rank;
    ``trainer.save_checkpoint`` is collective and writes on rank 0 only. Only fits are saved:
    a SIGTERM during testing must not replace the fit's ``last.ckpt`` with the test's weights.

    Epoch-end checkpoints are held (:class:`~trainlab.checkpoint_io.AtomicCheckpointIO`) until
    the next epoch starts or training ends: ModelCheckpoint saves in the epoch's end hooks, but
    Lightning logs the epoch's training metrics (``train/loss_epoch``, ``train/acc``, ...) only
    after them, and a run resumed from that checkpoint does not repeat the epoch's end, so a run
    killed in between would lose those points from its curves for good. Held, a killed run
    resumes from the previous ``last.ckpt`` and logs that epoch's end again (Lightning flushes
    the loggers after each logging call). On any exception the held files are dropped and
    saving is direct again, so a SIGTERM's state is written at once.

    Its state in each checkpoint also holds the global RNG states
    (:func:`~trainlab.rng_state.global_rng_states`), restored on resume.

    One callback rather than four (best, last, SIGTERM, RNG states): every callback costs each
    training step its hook calls.
    """

    def __init__(self, folder: Path, monitor: str, mode: str) -> None:
        super().__init__(
            dirpath=folder,
            filename=BEST,
            monitor=monitor,
            mode=mode,
            save_last=True,
            save_top_k=1,
            auto_insert_metric_name=False,
            # A run folder copied or moved elsewhere resumes into its own last.ckpt and
            # best.ckpt, never into last-v1.ckpt beside a stale last.ckpt.
            enable_version_counter=False,
        )
        self.last_path = Path(folder) / f"{LAST}.ckpt"

    @cached_property
    def state_key(self) -> str:
        # ModelCheckpoint formats it anew for every hook Lightning calls (five a training
        # step); what it is made of (monitor, mode, saving interval) is fixed at construction.
        return super().state_key

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), RNG_STATES: global_rng_states()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        if RNG_STATES in state_dict:
            restore_global_rng_states(state_dict[RNG_STATES])

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_start(trainer, pl_module)
        if isinstance(io := trainer.strategy.checkpoint_io, AtomicCheckpointIO):
            io.holding = True

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if isinstance(io := trainer.strategy.checkpoint_io, AtomicCheckpointIO):
            io.publish()

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_end(trainer, pl_module)
        if isinstance(io := trainer.strategy.checkpoint_io, AtomicCheckpointIO):
            io.publish()
            io.holding = False

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        if isinstance(io := trainer.strategy.checkpoint_io, AtomicCheckpointIO):
            io.discard()
            io.holding = False
        if isinstance(exception, SIGTERMException) and trainer.state.fn == TrainerFn.FITTING:
            trainer.save_checkpoint(self.last_path)

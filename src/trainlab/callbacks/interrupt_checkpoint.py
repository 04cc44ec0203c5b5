"""Checkpoint a fit that is stopped by SIGTERM (a cluster's pre-emption or time limit)."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.trainer.states import TrainerFn
from lightning.pytorch.utilities.exceptions import SIGTERMException


class InterruptCheckpoint(L.Callback):
    """Saves the fit's current state to ``path`` when Lightning stops it on SIGTERM.

    Lightning's signal connector turns SIGTERM into ``SIGTERMException`` at the next batch
    boundary on every rank (rank 0 broadcasts it), then calls ``on_exception`` on each rank;
    ``trainer.save_checkpoint`` is collective and writes on rank 0 only. Only fits are saved:
    a SIGTERM during testing must not replace the fit's ``last.ckpt`` with the test's weights.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        if isinstance(exception, SIGTERMException) and trainer.state.fn == TrainerFn.FITTING:
            trainer.save_checkpoint(self.path)

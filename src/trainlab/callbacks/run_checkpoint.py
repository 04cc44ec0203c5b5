"""A run's checkpoints: ``best.ckpt`` by the monitored metric, ``last.ckpt`` every epoch and on
SIGTERM (a cluster's pre-emption or time limit)."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.trainer.states import TrainerFn
from lightning.pytorch.utilities.exceptions import SIGTERMException

BEST, LAST = "best", "last"


class RunCheckpoint(ModelCheckpoint):
    """Lightning's ModelCheckpoint into ``folder`` (``best.ckpt``, ``last.ckpt``), which also
    saves ``last.ckpt`` when Lightning stops the fit on SIGTERM.

    Lightning's signal connector turns SIGTERM into ``SIGTERMException`` at the next batch
    boundary on every rank (rank 0 broadcasts it), then calls ``on_exception`` on each rank;
    ``trainer.save_checkpoint`` is collective and writes on rank 0 only. Only fits are saved:
    a SIGTERM during testing must not replace the fit's ``last.ckpt`` with the test's weights.
    One callback rather than two: every callback costs each training step its hook calls.
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

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        if isinstance(exception, SIGTERMException) and trainer.state.fn == TrainerFn.FITTING:
            trainer.save_checkpoint(self.last_path)

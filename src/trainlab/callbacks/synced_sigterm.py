"""Stop every DDP rank at the same step on SIGTERM, without collectives in a signal handler."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

import lightning as L
import torch
import torch.distributed as dist

from trainlab.lightning_state import stop_as_if_sigterm


class SyncedSigterm(L.Callback):
    """Replaces Lightning's SIGTERM handler in multi-process runs with a flag and one all-reduce.

    Written by hand because Lightning's handler broadcasts from inside the signal handler; when
    the signal lands while another rank is inside a collective (a DDP gradient all-reduce) the
    ranks wait on each other for ever, and a rank that raises alone at its batch end deadlocks
    the others (Lightning issue 20806). Here the handler only records the signal, whichever rank
    gets it; at each training batch start the ranks all-reduce that flag, and if any rank was
    signalled every rank sets Lightning's ``received_sigterm`` in the same step, so they all
    raise ``SIGTERMException`` after that batch together. Single-process runs keep Lightning's
    handler, which has no collectives.
    """

    def __init__(self) -> None:
        super().__init__()
        self._signalled = False

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.world_size > 1 and dist.is_available() and dist.is_initialized():
            # Lightning restores the handler it found at fit start when the fit ends.
            signal.signal(signal.SIGTERM, self._record_signal)

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        if trainer.world_size == 1 or not dist.is_initialized():
            return
        flag = torch.tensor([int(self._signalled)], device=trainer.strategy.root_device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        if flag.item():
            stop_as_if_sigterm(trainer)

    def _record_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signalled = True

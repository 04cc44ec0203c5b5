"""Steady-state step timing shared by both benchmark paths."""

from __future__ import annotations

import time
from typing import Any

import lightning as L
import torch


class StepClock:
    """Reads the clock at the start of step ``first`` and of step ``first + count``.

    Both readings are taken at a batch start (after the batch is fetched, before the forward
    pass), so the window holds exactly ``count`` whole iterations: step, logging and the next
    fetch. On CUDA the device is synchronised before each reading, and only then, so queued
    work is counted and the steps in between run asynchronously as they would untimed.
    """

    def __init__(self, device: torch.device, first: int, count: int) -> None:
        self.device = device
        self.first = first
        self.count = count
        self.started: float | None = None
        self.stopped: float | None = None

    def at_step_start(self, step: int) -> None:
        """Call at the start of every step (0-based)."""
        if step == self.first:
            self.started = self._now()
        elif step == self.first + self.count:
            self.stopped = self._now()

    @property
    def seconds(self) -> float:
        """Wall time of the timed steps."""
        if self.started is None or self.stopped is None:
            raise RuntimeError("the run ended before the timed window closed")
        return self.stopped - self.started

    def _now(self) -> float:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return time.perf_counter()


class StepClockCallback(L.Callback):
    """A :class:`StepClock` driven by Lightning's ``on_train_batch_start``.

    Lightning has fetched the batch when this hook runs, as the hand loop has at its
    ``at_step_start`` call, so both windows contain the same work per step.
    """

    def __init__(self, clock: StepClock) -> None:
        super().__init__()
        self.clock = clock
        self.last_loss: torch.Tensor | None = None

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        self.clock.at_step_start(trainer.global_step)

    def on_train_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        # Kept as a tensor: reading it here would add a host sync to every step.
        self.last_loss = outputs["loss"]

"""The clocks every benchmark path reads at the same points: step starts, epoch starts, fit end."""

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
        return synchronized_now(self.device)


def synchronized_now(device: torch.device) -> float:
    """``time.perf_counter()``, once the device has finished the work queued on it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


class FitClock:
    """Reads the clock when a fit starts, at the start of every epoch, and when the fit ends.

    An epoch runs from its start to the next epoch's start (the last: to the fit's end), so it
    holds the training steps, the validation, the checkpoint saves and the logging of that
    epoch; the fit's end comes after the last epoch's teardown (event files flushed and closed).
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.started: float | None = None
        self.epoch_starts: list[float] = []
        self.stopped: float | None = None

    def start(self) -> None:
        """Call when the fit starts (before the data is loaded)."""
        self.started = synchronized_now(self.device)

    def at_epoch_start(self) -> None:
        """Call at the start of every epoch."""
        self.epoch_starts.append(synchronized_now(self.device))

    def stop(self) -> None:
        """Call when the fit has returned."""
        self.stopped = synchronized_now(self.device)

    @property
    def fit_seconds(self) -> float:
        """The whole fit: setup, every epoch, teardown."""
        if self.started is None or self.stopped is None:
            raise RuntimeError("the fit clock was not started and stopped")
        return self.stopped - self.started

    @property
    def epoch_seconds(self) -> list[float]:
        """Each epoch's wall time, in order."""
        if self.stopped is None:
            raise RuntimeError("the fit clock was not stopped")
        ends = [*self.epoch_starts[1:], self.stopped]
        return [end - start for start, end in zip(self.epoch_starts, ends, strict=True)]


class StepClockCallback(L.Callback):
    """A :class:`StepClock` driven by Lightning's ``on_train_batch_start``.

    Lightning has fetched the batch when this hook runs, as the hand loop has at its
    ``at_step_start`` call, so every window contains the same work per step.
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


class FitClockCallback(L.Callback):
    """A :class:`FitClock`'s epoch starts, read in Lightning's ``on_train_epoch_start``."""

    def __init__(self, clock: FitClock) -> None:
        super().__init__()
        self.clock = clock

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.clock.at_epoch_start()

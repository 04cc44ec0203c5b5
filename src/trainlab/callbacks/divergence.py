"""Stop a run the moment its training loss stops being a finite number."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import lightning as L
import torch

from trainlab.errors import DivergedError


class DivergenceDetector(L.Callback):
    """Raises :class:`DivergedError` on the first NaN/inf training loss.

    Raising (rather than setting ``trainer.should_stop``) skips validation and the epoch-end
    hooks, so ``ModelCheckpoint`` never saves the diverged weights: ``last.ckpt`` stays the last
    good one.

    On CPU every step is checked, which costs nothing. On an accelerator reading the loss back
    each step would force a device sync in the hot loop, so the (detached) losses are kept and
    read back together, in one transfer, every ``trainer.log_every_n_steps`` steps and before
    each validation, hence before any checkpoint is saved.
    """

    def __init__(self) -> None:
        self._last_finite: tuple[float, int] | None = None
        self._unchecked: list[tuple[int, torch.Tensor]] = []

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:  # fmt: skip
        loss = outputs["loss"] if isinstance(outputs, Mapping) else outputs
        if loss is None:
            return
        # global_step already counts this batch's optimizer step: it is this step's number.
        step = trainer.global_step
        if loss.device.type == "cpu":
            self._check(step, float(loss))
            return
        self._unchecked.append((step, loss.detach()))
        if step % trainer.log_every_n_steps == 0:
            self._check_unchecked()

    def on_validation_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._check_unchecked()

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._check_unchecked()

    def _check_unchecked(self) -> None:
        if not self._unchecked:
            return
        steps = [step for step, _ in self._unchecked]
        values = torch.stack([loss for _, loss in self._unchecked]).double().tolist()
        self._unchecked = []
        for step, value in zip(steps, values, strict=True):
            self._check(step, value)

    def _check(self, step: int, value: float) -> None:
        if not math.isfinite(value):
            raise DivergedError(_message(step, value, self._last_finite))
        self._last_finite = (value, step)


def _message(step: int, loss: float, last_finite: tuple[float, int] | None) -> str:
    where = f"training diverged at step {step}: train loss is {loss}"
    if last_finite is None:
        return f"{where}, and no step before it had a finite loss"
    value, last_step = last_finite
    return f"{where}; the last finite loss was {value:.6g} at step {last_step}"

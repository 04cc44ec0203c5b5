"""Stop a run the moment its training loss stops being a finite number."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import lightning as L
import torch


class DivergedError(RuntimeError):
    """Training produced a NaN or infinite loss; the message names the step and the losses."""


class DivergenceDetector(L.Callback):
    """Raises :class:`DivergedError` on the first NaN/inf training loss.

    Raising (rather than setting ``trainer.should_stop``) skips validation and the epoch-end
    hooks, so ``ModelCheckpoint`` never saves the diverged weights: ``last.ckpt`` stays the last
    good one.

    On CPU every step is checked, which costs nothing. On CUDA reading the loss back each step
    would force a device sync in the hot loop, so the check stays on the device (the first bad
    step and the losses around it are kept in tensors) and is read back only every
    ``trainer.log_every_n_steps`` steps and before each validation, hence before any checkpoint.
    """

    def __init__(self) -> None:
        self._last_finite: tuple[float, int] | None = None
        # On CUDA: [first bad step or -1, its loss, last finite loss, its step], on the device.
        self._device_state: torch.Tensor | None = None

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
            value = float(loss)
            if not math.isfinite(value):
                raise DivergedError(_message(step, value, self._last_finite))
            self._last_finite = (value, step)
            return
        self._track_on_device(loss.detach().double(), step)
        if step % trainer.log_every_n_steps == 0:
            self._raise_if_diverged_on_device()

    def on_validation_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._raise_if_diverged_on_device()

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._raise_if_diverged_on_device()

    def _track_on_device(self, loss: torch.Tensor, step: int) -> None:
        if self._device_state is None:
            self._device_state = torch.tensor([-1.0, math.nan, math.nan, -1.0], device=loss.device)
        bad_step, bad_loss, last_loss, last_step = self._device_state.unbind()
        finite = torch.isfinite(loss)
        still_good = bad_step < 0
        newly_bad = still_good & ~finite
        keep = still_good & finite
        self._device_state = torch.stack(
            [
                torch.where(newly_bad, float(step), bad_step),
                torch.where(newly_bad, loss, bad_loss),
                torch.where(keep, loss, last_loss),
                torch.where(keep, float(step), last_step),
            ]
        )

    def _raise_if_diverged_on_device(self) -> None:
        if self._device_state is None:
            return
        bad_step, bad_loss, last_loss, last_step = self._device_state.tolist()
        if bad_step >= 0:
            last = (last_loss, int(last_step)) if last_step >= 0 else None
            raise DivergedError(_message(int(bad_step), bad_loss, last))


def _message(step: int, loss: float, last_finite: tuple[float, int] | None) -> str:
    where = f"training diverged at step {step}: train loss is {loss}"
    if last_finite is None:
        return f"{where}, and no step before it had a finite loss"
    value, last_step = last_finite
    return f"{where}; the last finite loss was {value:.6g} at step {last_step}"

"""The one LightningModule: any model, loss, optimizer and scheduler from the registries."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import lightning as L
import torch
from torch import nn
from torchmetrics import MeanMetric

from trainlab.class_report import ClassReport
from trainlab.components import Choice, make_optimizer, make_scheduler, scheduler_interval
from trainlab.lightning_state import is_logging_step, logger_step
from trainlab.log_writer import FIGURE, LogWriter
from trainlab.losses import LossSpec
from trainlab.metrics import task_metrics
from trainlab.output_transforms import LossAdapter
from trainlab.tasks import Task

# The tag of each stage's mean loss over its epoch.
LOSS_TAGS = {"train": "train/loss_epoch", "val": "val/loss", "test": "test/loss"}


class EpochBuffer:
    """One epoch's detached batch losses, raw outputs and targets, left on their device."""

    def __init__(self) -> None:
        self._batches: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []

    def add(self, loss: torch.Tensor, output: torch.Tensor, targets: torch.Tensor) -> None:
        """Keep one batch (no copy, no host transfer)."""
        self._batches.append((loss.detach(), output.detach(), targets))

    def drain(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None:
        """The epoch's losses, batch sizes (as loss weights), outputs and targets, then forget
        them; None when this process saw no batch (a DDP rank with an empty shard)."""
        if not self._batches:
            return None
        losses, outputs, targets = zip(*self._batches, strict=True)
        self._batches = []
        sizes = torch.tensor(
            [len(t) for t in targets], dtype=losses[0].dtype, device=losses[0].device
        )
        return torch.stack(losses), sizes, torch.cat(outputs), torch.cat(targets)


class TrainLabModule(L.LightningModule):
    """Trains ``model`` on a ``task`` with ``loss``, through the :class:`LossAdapter` that fits.

    Logs ``{train,val,test}/loss`` and the task's metrics (``val/acc``, ``val/f1``, or
    ``val/mse``, ``val/mae``, ``val/r2``) and ``train/lr``. Multiclass runs also log
    ``test/acc_class/<class name>`` and a ``test/confusion_matrix`` image at the end of testing,
    labelled by ``class_names`` (one per class; required for multiclass tasks).
    """

    def __init__(
        self,
        model: nn.Module,
        loss: nn.Module,
        loss_spec: LossSpec,
        task: Task,
        optimizer: Choice,
        scheduler: Choice | None = None,
        class_names: Sequence[str] | None = None,
        gradient_clip_val: float | None = None,
    ) -> None:
        super().__init__()
        # Manual optimisation: one zero_grad, backward and step per batch, in training_step,
        # without Lightning's closure machinery, which costs a small model about 15 % of its
        # step. The order of operations (forward, zero_grad, backward, unscale, hooks, clip,
        # step, schedule) and the hooks callbacks see are those of automatic optimisation.
        self.automatic_optimization = False
        self.gradient_clip_val = gradient_clip_val
        self.model = model
        self.loss = loss
        num_classes = len(class_names) if task is Task.MULTICLASS else 1
        self.adapter = LossAdapter(loss_spec, task, num_classes)
        self.optimizer_choice = optimizer
        self.scheduler_choice = scheduler
        # Per stage, the epoch's mean loss and the task's metrics, fed once at the epoch's end
        # from the epoch's detached batches (EpochBuffer) rather than batch by batch: each
        # Lightning self.log call and each torchmetrics update costs Python bookkeeping (and
        # torchmetrics' input checks a host sync) that would otherwise be paid every step.
        # compute() syncs each across DDP ranks once per epoch. The losses are weighted by
        # batch size; nan_strategy=NaN keeps a NaN loss visible (torchmetrics' "disable" would
        # also drop the weights, and "warn"/"ignore" would drop the NaN).
        # (ModuleDict keys cannot be "train": nn.Module.train exists.)
        self.epoch_losses = nn.ModuleDict(
            {f"{stage}_loss": MeanMetric(nan_strategy=math.nan) for stage in LOSS_TAGS}
        )
        self.epoch_metrics = nn.ModuleDict(
            {
                f"{stage}_metrics": task_metrics(task, num_classes, f"{stage}/")
                for stage in LOSS_TAGS
            }
        )
        self.class_report = ClassReport(class_names) if task is Task.MULTICLASS else None
        self._batches = {stage: EpochBuffer() for stage in LOSS_TAGS}
        self._loss_in_progress_bar = False
        self._writer = LogWriter([])
        self._step_lr: float | None = None  # this step's learning rate, on logging steps only

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Raw model output (logits or values)."""
        return self.model(x)

    def on_fit_start(self) -> None:
        self._loss_in_progress_bar = self.trainer.progress_bar_callback is not None
        self._writer = LogWriter.of(self.trainer)

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        # Read here, before step-interval schedulers step: the rate this step trains with.
        # (Not LearningRateMonitor: its tag names the optimizer class, lr-SGD or lr-Adam, so the
        # runs of an optimizer sweep would not share one curve.)
        logging_step = bool(self.trainer.loggers) and is_logging_step(self.trainer)
        self._step_lr = self.trainer.optimizers[0].param_groups[0]["lr"] if logging_step else None

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        inputs, targets = batch
        output = self.model(inputs)
        loss = self.loss(self.adapter.loss_input(output), self.adapter.loss_target(targets))
        optimizer = self.optimizers()
        optimizer.zero_grad()
        self.manual_backward(loss)
        optimizer.step()
        self._advance_schedule(batch_idx)
        if self._loss_in_progress_bar:
            self.log("train/loss_step", loss, prog_bar=True, logger=False)
        if self._step_lr is not None:
            # Written straight to the loggers on the steps Lightning logs: a self.log call costs
            # about half a millisecond of Lightning's bookkeeping, more than a small model's step.
            step_values = {"train/loss_step": loss.item(), "train/lr": self._step_lr}
            self._writer.metrics(step_values, logger_step(self.trainer))
        self._batches["train"].add(loss, output, targets)
        return loss.detach()

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        # After AMP's unscaling and the callbacks' own hook (gradient norms are logged unclipped),
        # as Lightning clips under automatic optimisation.
        if self.gradient_clip_val is not None:
            self.clip_gradients(optimizer, gradient_clip_val=self.gradient_clip_val)

    def _advance_schedule(self, batch_idx: int) -> None:
        """Step the learning-rate schedule where automatic optimisation would: after every
        optimizer step, or (epoch interval) after the epoch's last batch, before validation."""
        if self.scheduler_choice is None:
            return
        every_step = scheduler_interval(self.scheduler_choice) == "step"
        if every_step or batch_idx + 1 == self.trainer.num_training_batches:
            self.lr_schedulers().step()

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def on_train_epoch_end(self) -> None:
        self._log_epoch("train")

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        test = self._log_epoch("test")
        if self.class_report is None:
            return
        if test is not None:
            self.class_report.update(*test)
        self.log_dict(self.class_report.accuracies(prefix="test/"))
        writer = LogWriter.of(self.trainer)
        if writer.takes(FIGURE):
            writer.figure("test/confusion_matrix", self.class_report.figure(), self.global_step)
        self.class_report.reset()

    def _evaluate(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> None:
        inputs, targets = batch
        output = self.model(inputs)
        loss = self.loss(self.adapter.loss_input(output), self.adapter.loss_target(targets))
        self._batches[stage].add(loss, output, targets)

    def _log_epoch(self, stage: str) -> tuple[torch.Tensor, torch.Tensor] | None:
        """Log ``stage``'s epoch loss and metrics; this process's predictions and targets."""
        batches = self._batches[stage].drain()
        loss = self.epoch_losses[f"{stage}_loss"]
        metrics = self.epoch_metrics[f"{stage}_metrics"]
        predictions = targets = None
        if batches is not None:
            losses, sizes, outputs, targets = batches
            predictions = self.adapter.predictions(outputs)
            loss.update(losses, weight=sizes)
            metrics.update(predictions, targets)
        # compute() is collective under DDP: every rank calls it, with or without batches.
        self.log(LOSS_TAGS[stage], loss.compute(), prog_bar=stage == "val")
        self.log_dict(metrics.compute())
        loss.reset()
        metrics.reset()
        return None if batches is None else (predictions, targets)

    def configure_optimizers(self) -> Any:
        optimizer = make_optimizer(self.optimizer_choice, self.parameters())
        if self.scheduler_choice is None:
            return optimizer
        total_steps = int(self.trainer.estimated_stepping_batches)
        scheduler = make_scheduler(self.scheduler_choice, optimizer, total_steps)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {
                "scheduler": scheduler,
                "interval": scheduler_interval(self.scheduler_choice),
            },
        }

"""The one LightningModule: any model, loss, optimizer and scheduler from the registries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lightning as L
import torch
from torch import nn
from torchmetrics import MeanMetric

from trainlab.class_report import ClassReport
from trainlab.components import Choice, make_optimizer, make_scheduler, scheduler_interval
from trainlab.lightning_state import is_logging_step
from trainlab.log_writer import FIGURE, LogWriter
from trainlab.losses import LossSpec
from trainlab.metrics import task_metrics
from trainlab.output_transforms import LossAdapter
from trainlab.tasks import Task


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
    ) -> None:
        super().__init__()
        self.model = model
        self.loss = loss
        num_classes = len(class_names) if task is Task.MULTICLASS else 1
        self.adapter = LossAdapter(loss_spec, task, num_classes)
        self.optimizer_choice = optimizer
        self.scheduler_choice = scheduler
        # The epoch's mean training loss as a metric rather than a logged tensor: synced across
        # DDP ranks once, at compute (sync_dist on an on_step value would all-reduce every step).
        # nan_strategy="disable": the default NaN check is a host sync on every update.
        self.train_loss = MeanMetric(nan_strategy="disable")
        self.train_metrics = task_metrics(task, num_classes, prefix="train/")
        self.val_metrics = task_metrics(task, num_classes, prefix="val/")
        self.test_metrics = task_metrics(task, num_classes, prefix="test/")
        self.class_report = ClassReport(class_names) if task is Task.MULTICLASS else None
        # This epoch's detached training predictions and targets, fed to train_metrics at epoch
        # end: torchmetrics' per-batch update checks its inputs with torch.unique and counts
        # classes with torch.bincount, each a host sync, which on a GPU would stall every step.
        self._train_outputs: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Raw model output (logits or values)."""
        return self.model(x)

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        inputs, targets = batch
        output = self.model(inputs)
        loss = self.loss(self.adapter.loss_input(output), self.adapter.loss_target(targets))
        self.log("train/loss_step", loss, on_step=True, prog_bar=True)
        # A weight made on the loss's device: a Python number would be copied to it every step.
        detached = loss.detach()
        self.train_loss.update(detached, weight=torch.full_like(detached, len(inputs)))
        self._train_outputs.append((self.adapter.predictions(output.detach()), targets))
        return loss

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        # Logged here rather than by LearningRateMonitor, whose tag names the optimizer class
        # (lr-SGD, lr-Adam), so runs of an optimizer sweep would not share one curve tag.
        # Here, because step-interval schedulers step before on_train_batch_end. Only on the
        # steps Lightning writes, gated as LearningRateMonitor gates: every self.log costs
        # Python time and, from a float, a host-to-device copy, and other steps' values are
        # never written.
        if is_logging_step(self.trainer):
            self.log("train/lr", self.trainer.optimizers[0].param_groups[0]["lr"], on_step=True)

    def on_train_epoch_end(self) -> None:
        if self._train_outputs:
            predictions, targets = zip(*self._train_outputs, strict=True)
            self.train_metrics.update(torch.cat(predictions), torch.cat(targets))
            self._train_outputs.clear()
        # compute() syncs both across DDP ranks; Lightning resets train_loss at the epoch's end.
        self.log("train/loss_epoch", self.train_loss)
        self.log_dict(self.train_metrics.compute())
        self.train_metrics.reset()

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "val", self.val_metrics)

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        output = self._evaluate(batch, "test", self.test_metrics)
        if self.class_report is not None:
            self.class_report.update(self.adapter.predictions(output), batch[1])

    def on_validation_epoch_end(self) -> None:
        self._log_epoch_metrics(self.val_metrics)

    def on_test_epoch_end(self) -> None:
        self._log_epoch_metrics(self.test_metrics)
        if self.class_report is None:
            return
        self.log_dict(self.class_report.accuracies(prefix="test/"))
        writer = LogWriter.of(self.trainer)
        if writer.takes(FIGURE):
            writer.figure("test/confusion_matrix", self.class_report.figure(), self.global_step)
        self.class_report.reset()

    def _evaluate(
        self, batch: tuple[torch.Tensor, torch.Tensor], stage: str, metrics: Any
    ) -> torch.Tensor:
        inputs, targets = batch
        output = self.model(inputs)
        loss = self.loss(self.adapter.loss_input(output), self.adapter.loss_target(targets))
        # Epoch-level only, so sync_dist costs one all-reduce per evaluation, not one per step.
        self.log(f"{stage}/loss", loss, on_epoch=True, prog_bar=stage == "val", sync_dist=True)
        metrics.update(self.adapter.predictions(output), targets)
        return output

    def _log_epoch_metrics(self, metrics: Any) -> None:
        # Logged once per evaluation, not per batch: Lightning's log of a metric object runs
        # its bookkeeping on every call. compute() syncs across DDP ranks, as Lightning would.
        self.log_dict(metrics.compute())
        metrics.reset()

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

"""The one LightningModule: any model, loss, optimizer and scheduler from the registries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightning as L
import torch
from torch import nn
from torchmetrics import MeanMetric

from trainlab.metrics import task_metrics
from trainlab.optimizers import SCHEDULERS
from trainlab.output_transforms import LossAdapter

OptimizerFactory = Callable[[list[nn.Parameter]], torch.optim.Optimizer]


class TrainLabModule(L.LightningModule):
    """Trains ``model`` with ``loss`` behind the :class:`LossAdapter` that fits the task.

    Logs ``{train,val,test}/loss`` and the task's metrics (``val/acc``, ``val/f1``, or
    ``val/mse``, ``val/mae``, ``val/r2``) and ``train/lr``.
    """

    def __init__(
        self,
        model: nn.Module,
        loss: nn.Module,
        adapter: LossAdapter,
        optimizer_factory: OptimizerFactory,
        scheduler: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.loss = loss
        self.adapter = adapter
        self.optimizer_factory = optimizer_factory
        self.scheduler_config = scheduler
        num_classes = adapter.num_classes
        # A metric rather than a logged tensor: its epoch mean is synced across DDP ranks once,
        # at compute; sync_dist on an on_step value would all-reduce on every step.
        self.train_loss = MeanMetric()
        self.train_metrics = task_metrics(adapter.task, num_classes, prefix="train/")
        self.val_metrics = task_metrics(adapter.task, num_classes, prefix="val/")
        self.test_metrics = task_metrics(adapter.task, num_classes, prefix="test/")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Raw model output (logits or values)."""
        return self.model(x)

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        inputs, targets = batch
        output = self.model(inputs)
        loss = self.loss(self.adapter.loss_input(output), self.adapter.loss_target(targets))
        self.train_loss(loss.detach(), weight=len(inputs))
        self.log("train/loss", self.train_loss, on_step=True, on_epoch=True, prog_bar=True)
        self.train_metrics.update(self.adapter.predictions(output.detach()), targets)
        return loss

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        # Logged here rather than by LearningRateMonitor, whose tag names the optimizer class
        # (lr-SGD, lr-Adam), so runs of an optimizer sweep would not share one curve tag.
        self.log("train/lr", self.trainer.optimizers[0].param_groups[0]["lr"], on_step=True)

    def on_train_epoch_end(self) -> None:
        # The metric objects, not their values: Lightning computes them (synced across DDP ranks
        # by torchmetrics) and resets them at the epoch's end.
        self.log_dict(self.train_metrics)

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "val", self.val_metrics)

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "test", self.test_metrics)

    def _evaluate(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str, metrics: Any) -> None:
        inputs, targets = batch
        output = self.model(inputs)
        loss = self.loss(self.adapter.loss_input(output), self.adapter.loss_target(targets))
        # Epoch-level only, so sync_dist costs one all-reduce per evaluation, not one per step.
        self.log(f"{stage}/loss", loss, on_epoch=True, prog_bar=stage == "val", sync_dist=True)
        metrics.update(self.adapter.predictions(output), targets)
        self.log_dict(metrics, on_epoch=True)

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(list(self.parameters()))
        if self.scheduler_config is None:
            return optimizer
        config = dict(self.scheduler_config)
        entry = SCHEDULERS.get(config.pop("name"))
        total_steps = int(self.trainer.estimated_stepping_batches)
        scheduler = entry.factory(optimizer, total_steps=total_steps, **config)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": entry.info.interval},
        }

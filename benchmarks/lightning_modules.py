"""Two LightningModules as users write them, to time trainlab's module against.

:class:`BareModule` is the least a LightningModule can be: its training step returns the loss.
:class:`PeerModule` is written as lightning-hydra-template writes its ``MNISTLitModule``
(src/models/mnist_module.py): torchmetrics objects for the loss (``MeanMetric``) and the
accuracy, called on every batch and passed to ``self.log(..., on_step=False, on_epoch=True,
prog_bar=True)``, and the best validation accuracy so far (``MaxMetric``). Our own code, in
that template's shape.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import nn
from torchmetrics import MaxMetric, MeanMetric
from torchmetrics.classification import Accuracy

from trainlab.components import Choice, make_optimizer

Batch = tuple[torch.Tensor, torch.Tensor]


class BareModule(L.LightningModule):
    """``training_step`` returns the loss; ``validation_step`` computes it and logs nothing."""

    def __init__(self, net: nn.Module, criterion: nn.Module, optimizer: Choice) -> None:
        super().__init__()
        self.net = net
        self.criterion = criterion
        self.optimizer_choice = optimizer

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        inputs, targets = batch
        return self.criterion(self.net(inputs), targets)

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        inputs, targets = batch
        self.criterion(self.net(inputs), targets)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return make_optimizer(self.optimizer_choice, self.parameters())


class PeerModule(L.LightningModule):
    """A classifier with lightning-hydra-template's per-batch metric objects and logging.

    (The template also calls ``save_hyperparameters``, which would pickle the network into
    every checkpoint a second time; left out, as it is not per-step work.)
    """

    def __init__(
        self, net: nn.Module, criterion: nn.Module, optimizer: Choice, num_classes: int
    ) -> None:
        super().__init__()
        self.net = net
        self.criterion = criterion
        self.optimizer_choice = optimizer
        self.train_acc = Accuracy(task="multiclass", num_classes=num_classes)
        self.val_acc = Accuracy(task="multiclass", num_classes=num_classes)
        self.train_loss = MeanMetric()
        self.val_loss = MeanMetric()
        self.val_acc_best = MaxMetric()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits."""
        return self.net(x)

    def on_train_start(self) -> None:
        # As the template: forget what the sanity-check validation accumulated.
        self.val_loss.reset()
        self.val_acc.reset()
        self.val_acc_best.reset()

    def model_step(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Loss, predicted classes and targets of one batch."""
        inputs, targets = batch
        logits = self(inputs)
        return self.criterion(logits, targets), logits.argmax(dim=1), targets

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        loss, predictions, targets = self.model_step(batch)
        self.train_loss(loss)
        self.train_acc(predictions, targets)
        self.log("train/loss", self.train_loss, on_step=False, on_epoch=True, prog_bar=True)
        self.log("train/acc", self.train_acc, on_step=False, on_epoch=True, prog_bar=True)
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        loss, predictions, targets = self.model_step(batch)
        self.val_loss(loss)
        self.val_acc(predictions, targets)
        self.log("val/loss", self.val_loss, on_step=False, on_epoch=True, prog_bar=True)
        self.log("val/acc", self.val_acc, on_step=False, on_epoch=True, prog_bar=True)

    def on_validation_epoch_end(self) -> None:
        self.val_acc_best(self.val_acc.compute())
        # A value, not the metric object: Lightning would reset the object every epoch.
        self.log("val/acc_best", self.val_acc_best.compute(), sync_dist=True, prog_bar=True)

    def configure_optimizers(self) -> Any:
        return make_optimizer(self.optimizer_choice, self.parameters())

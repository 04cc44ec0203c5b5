"""Per-class test accuracy and the confusion matrix of a multiclass run."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from matplotlib.figure import Figure
from torch import nn
from torchmetrics.classification import MulticlassAccuracy, MulticlassConfusionMatrix


class ClassReport(nn.Module):
    """Accumulates test predictions; reports ``acc_class/<name>`` scalars and a confusion figure."""

    def __init__(self, class_names: Sequence[str]) -> None:
        super().__init__()
        self.class_names = list(class_names)
        num_classes = len(self.class_names)
        self.accuracy = MulticlassAccuracy(num_classes=num_classes, average=None)
        self.confusion = MulticlassConfusionMatrix(num_classes=num_classes)

    def update(self, predictions: torch.Tensor, targets: torch.Tensor) -> None:
        """Add a batch of predicted class indices (or scores) and true class indices."""
        self.accuracy.update(predictions, targets)
        self.confusion.update(predictions, targets)

    def accuracies(self, prefix: str) -> dict[str, torch.Tensor]:
        """``{prefix}acc_class/<class name>``: the fraction of each class predicted correctly."""
        values = self.accuracy.compute()
        return {
            f"{prefix}acc_class/{name}": value
            for name, value in zip(self.class_names, values, strict=True)
        }

    def figure(self) -> Figure:
        """The confusion matrix (rows: true class, columns: predicted) as a matplotlib figure."""
        with warnings.catch_warnings():
            # torchmetrics hands matplotlib a tensor, whose __array__ lacks numpy 2's `copy`.
            warnings.filterwarnings("ignore", "__array__ implementation", DeprecationWarning)
            figure, _ = self.confusion.plot(labels=self.class_names)
        figure.set_size_inches(8, 8)
        return figure

    def reset(self) -> None:
        """Forget the accumulated predictions."""
        self.accuracy.reset()
        self.confusion.reset()

"""Per-class test accuracy and the confusion matrix of a multiclass run."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from matplotlib.figure import Figure
from torch import nn
from torchmetrics.classification import MulticlassAccuracy, MulticlassConfusionMatrix


def figure_inches(num_classes: int) -> float:
    """The confusion figure's side: about half an inch per class, 4 to 8 inches (100 dpi).

    Ten classes fill 8 inches with legible labels and counts; three need half that, and an
    image of a quarter the pixels renders and PNG-encodes in about half the time (at 8 inches
    that was a fifth of a small sweep job's time).
    """
    return min(8.0, max(4.0, 3.0 + 0.5 * num_classes))


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
        inches = figure_inches(len(self.class_names))
        figure.set_size_inches(inches, inches)
        return figure

    def reset(self) -> None:
        """Forget the accumulated predictions."""
        self.accuracy.reset()
        self.confusion.reset()

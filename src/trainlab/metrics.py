"""torchmetrics collections fitting each task."""

from __future__ import annotations

from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection, R2Score
from torchmetrics.classification import (
    BinaryAccuracy,
    BinaryF1Score,
    MulticlassAccuracy,
    MulticlassF1Score,
)

from trainlab.tasks import Task


def task_metrics(task: Task, num_classes: int | None, prefix: str) -> MetricCollection:
    """Accuracy and F1 for classification, MSE/MAE/R² for regression, tagged ``{prefix}<name>``.

    Multiclass accuracy is top-1 over all examples (micro); F1 is the macro average over classes.
    """
    if task is Task.MULTICLASS:
        metrics = {
            "acc": MulticlassAccuracy(num_classes=num_classes, average="micro"),
            "f1": MulticlassF1Score(num_classes=num_classes, average="macro"),
        }
    elif task is Task.BINARY:
        metrics = {"acc": BinaryAccuracy(), "f1": BinaryF1Score()}
    else:
        metrics = {"mse": MeanSquaredError(), "mae": MeanAbsoluteError(), "r2": R2Score()}
    return MetricCollection(metrics, prefix=prefix)

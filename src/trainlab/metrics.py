"""The metrics each task logs, named once: torchmetrics collections and the names they log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trainlab.tasks import Task

if TYPE_CHECKING:
    from torchmetrics import MetricCollection

# Multiclass accuracy is top-1 over all examples (micro); F1 is the macro average over classes.
TASK_METRICS: dict[Task, tuple[str, ...]] = {
    Task.MULTICLASS: ("acc", "f1"),
    Task.BINARY: ("acc", "f1"),
    Task.REGRESSION: ("mse", "mae", "r2"),
}


def monitorable_metrics(task: Task) -> list[str]:
    """Every metric a run of ``task`` logs per epoch, so ``monitor`` can name it."""
    names = []
    for stage, loss in (("val", "val/loss"), ("train", "train/loss_epoch")):
        names += [loss, *(f"{stage}/{metric}" for metric in TASK_METRICS[task])]
    return names


def task_metrics(task: Task, num_classes: int | None, prefix: str) -> MetricCollection:
    """The torchmetrics of :data:`TASK_METRICS` for ``task``, logged as ``{prefix}<name>``."""
    # torchmetrics takes about a second to import: only runs that train pay for it.
    from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection, R2Score
    from torchmetrics.classification import (
        BinaryAccuracy,
        BinaryF1Score,
        MulticlassAccuracy,
        MulticlassF1Score,
    )

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

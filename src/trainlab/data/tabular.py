"""Tabular data: rows of numeric features and a target, from a CSV file or a bundled data set.

:class:`TabularData` holds a whole table, decides (or checks) its task from the target, splits
it by ``seed`` as the synthetic data are split, and standardises the features (and, for
regression, the target) with the training split's mean and standard deviation, so nothing of
the validation and test rows leaks into training.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from trainlab.data.source import DataSource, Split
from trainlab.data.splits import resolve_size, split_indices
from trainlab.errors import ConfigError
from trainlab.tasks import Task


@dataclass(frozen=True)
class Targets:
    """A target column encoded for its task: float64 values, 0/1 floats, or class indices."""

    values: torch.Tensor
    task: Task
    class_names: tuple[str, ...] | None


def encode_targets(labels: Sequence[str], task: str | None, where: str) -> Targets:
    """The target column ``labels`` (as text) for ``task``, or for the task it implies.

    Inferred: labels that are all whole numbers, or not numbers at all, are classes (two →
    binary, more → multiclass); any other numbers are a regression target. Classes are ordered
    numerically (whole numbers) or alphabetically; for binary data the second is class 1.
    ``where`` names the column in messages.
    """
    numbers = _as_floats(labels)
    whole = numbers is not None and all(value.is_integer() for value in numbers)
    if task is None:
        chosen = Task.REGRESSION if numbers is not None and not whole else None
    else:
        chosen = _parse_task(task)
    if chosen is Task.REGRESSION:
        if numbers is None:
            raise ConfigError(
                f"{where} is not numeric, so it cannot be a regression target; "
                "use data.task=binary or multiclass for class labels"
            )
        return Targets(torch.tensor(numbers, dtype=torch.float64), Task.REGRESSION, None)
    names = tuple(sorted(set(labels), key=float if whole else str))
    if len(names) < 2:
        raise ConfigError(f"{where} holds one class only ({names[0]!r}); nothing to learn")
    inferred = Task.BINARY if len(names) == 2 else Task.MULTICLASS
    if chosen is Task.BINARY and inferred is not Task.BINARY:
        raise ConfigError(
            f"data.task=binary but {where} has {len(names)} classes "
            f"({', '.join(names[:10])}{', ...' if len(names) > 10 else ''}); use data.task=multiclass"
        )
    chosen = chosen or inferred
    index = {name: i for i, name in enumerate(names)}
    classes = torch.tensor([index[label] for label in labels])
    if chosen is Task.BINARY:
        return Targets(classes.float(), Task.BINARY, None)
    return Targets(classes, Task.MULTICLASS, names)


class TabularData(DataSource):
    """A whole table of numeric ``features`` (rows × columns) with encoded ``targets``.

    The rows are split into validation, test and training sets by ``seed`` (``val_size``,
    ``test_size``: counts, or fractions below 1); features are standardised with the training
    rows' statistics (a constant column is only centred), and so is a regression target when
    ``standardize_target`` is true (its metrics are then in units of its standard deviation).
    """

    def __init__(
        self,
        features: torch.Tensor,
        targets: Targets,
        seed: int,
        val_size: float,
        test_size: float,
        batch_size: int,
        standardize_target: bool,
    ) -> None:
        super().__init__(seed=seed, batch_size=batch_size)
        rows = len(features)
        val_count = resolve_size(val_size, rows, "data.val_size")
        test_count = resolve_size(test_size, rows, "data.test_size")
        val, test, train = split_indices(rows, [val_count, test_count], seed=seed + 1)
        # In float64, then float32 as the model takes it.
        features = _standardized(features.double(), train).float()
        values = targets.values
        if targets.task is Task.REGRESSION:
            values = (_standardized(values, train) if standardize_target else values).float()
        self._targets = targets
        self._splits = {
            name: (features[index], values[index])
            for name, index in (("train", train), ("val", val), ("test", test))
        }

    @property
    def task(self) -> Task:
        """Declared (``data.task``) or inferred from the target column."""
        return self._targets.task

    @property
    def input_shape(self) -> tuple[int, ...]:
        """``(number of feature columns,)``."""
        return (self._splits["train"][0].shape[1],)

    @property
    def class_names(self) -> tuple[str, ...] | None:
        """The class labels of multiclass data, in class-index order."""
        return self._targets.class_names

    def load(self) -> dict[str, Split]:
        """The three splits, standardised."""
        return dict(self._splits)


def _standardized(values: torch.Tensor, train: torch.Tensor) -> torch.Tensor:
    mean = values[train].mean(0)
    std = values[train].std(0)
    return (values - mean) / torch.where(std > 0, std, torch.ones_like(std))


def _as_floats(labels: Sequence[str]) -> list[float] | None:
    try:
        numbers = [float(label) for label in labels]
    except ValueError:
        return None
    return numbers if all(math.isfinite(n) for n in numbers) else None


def _parse_task(task: str) -> Task:
    try:
        return Task(task)
    except ValueError:
        allowed = ", ".join(t.value for t in Task)
        raise ConfigError(
            f"data.task must be one of {allowed} (or null: inferred); got {task!r}"
        ) from None

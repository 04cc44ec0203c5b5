"""What every data set offers a run, declared once: the contract between data, model and module.

A :class:`DataSource` is a plain object (no Lightning), so a run's plan can build it, check its
arguments and read its contract before Lightning is imported. The one Lightning datamodule,
:class:`trainlab.data.datamodule.InMemoryDataModule`, serves any source's splits in batches.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch

from trainlab.errors import ConfigError
from trainlab.tasks import Task

Split = tuple[torch.Tensor, torch.Tensor]
SPLITS = ("train", "val", "test")


class DataSource(ABC):
    """A data set held whole in tensors: its task, input shape, classes, and its three splits.

    Subclasses declare :attr:`task`, :attr:`input_shape` and (for multiclass data)
    :attr:`class_names`; :attr:`num_outputs` follows from them. ``seed`` is the run's seed: a
    source draws everything random (generation, splits) from it.
    """

    def __init__(self, seed: int, batch_size: int) -> None:
        if batch_size < 1:
            raise ConfigError(f"data.batch_size must be >= 1, got {batch_size}")
        self.seed = seed
        self.batch_size = batch_size

    @property
    @abstractmethod
    def task(self) -> Task:
        """What the model predicts: regression, binary or multiclass."""

    @property
    @abstractmethod
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one input example, e.g. ``(4,)`` or ``(3, 32, 32)``."""

    @property
    def class_names(self) -> tuple[str, ...] | None:
        """One name per class for multiclass data (labels per-class metrics); None otherwise."""
        return None

    @property
    def num_outputs(self) -> int:
        """How many raw scores the model emits per example: one per class, else one."""
        if self.task is Task.MULTICLASS:
            if not self.class_names:
                raise NotImplementedError(f"{type(self).__name__} must declare class_names")
            return len(self.class_names)
        return 1

    def prepare(self) -> None:  # noqa: B027 (optional hook: most sources need no download)
        """Fetch what :meth:`load` needs (a download), once per machine; default: nothing."""

    @abstractmethod
    def load(self) -> dict[str, Split]:
        """The ``train``, ``val`` and ``test`` splits as (inputs, targets) tensors on the host.

        Targets are class indices (int64) for multiclass data, 0/1 floats for binary data and
        floats for regression.
        """

    def example_batch(self, size: int) -> Split:
        """The first ``size`` training examples, as loaded (a run's plan tries a step on them)."""
        inputs, targets = self.load()["train"]
        return inputs[:size], targets[:size]

    def transform_batch(
        self, inputs: torch.Tensor, *, training: bool, step: int, epoch: int
    ) -> torch.Tensor:
        """Inputs of one batch, on its device, before the model sees them; default: unchanged.

        ``step`` and ``epoch`` let random augmentation be a function of where the run is, so a
        rerun or a resumed run augments exactly as the uninterrupted one.
        """
        return inputs

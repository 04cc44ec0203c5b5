"""The loss registry: torch losses with their exact semantics, plus what each expects.

Each entry's ``info`` is a :class:`LossSpec` saying which tasks the loss supports, what it
expects from the model and as target. :mod:`trainlab.output_transforms` reads it to put the
right transform (sigmoid, softmax, log-softmax, one-hot) between model and loss.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import Enum

import torch
from torch import nn
from torch.nn import functional

from trainlab.errors import ConfigError
from trainlab.registry import Registry
from trainlab.tasks import Task


class ModelOutput(str, Enum):
    """What a loss expects as its first argument."""

    LOGITS = "logits"
    PROBABILITIES = "probabilities"
    LOG_PROBABILITIES = "log_probabilities"
    VALUES = "values"


class TargetKind(str, Enum):
    """What a loss expects as its target."""

    CLASS_INDEX = "class_index"
    BINARY = "binary_float"
    REAL = "real_value"


@dataclass(frozen=True)
class LossSpec:
    """Which tasks a loss supports and what it takes as input and target."""

    tasks: frozenset[Task]
    expects: ModelOutput
    target: TargetKind


LOSSES: Registry[nn.Module] = Registry("loss", "losses")

_ANY_TASK = frozenset(Task)
_VALUE_LOSS = LossSpec(_ANY_TASK, ModelOutput.VALUES, TargetKind.REAL)

LOSSES.register("mse", info=_VALUE_LOSS)(nn.MSELoss)
LOSSES.register("sse", info=_VALUE_LOSS)(functools.partial(nn.MSELoss, reduction="sum"))
LOSSES.register("l1", info=_VALUE_LOSS)(nn.L1Loss)
LOSSES.register("smooth_l1", info=_VALUE_LOSS)(nn.SmoothL1Loss)
LOSSES.register("huber", info=_VALUE_LOSS)(nn.HuberLoss)
LOSSES.register(
    "bce",
    info=LossSpec(frozenset({Task.BINARY}), ModelOutput.PROBABILITIES, TargetKind.BINARY),
)(nn.BCELoss)
LOSSES.register(
    "bce_with_logits",
    info=LossSpec(frozenset({Task.BINARY}), ModelOutput.LOGITS, TargetKind.BINARY),
)(nn.BCEWithLogitsLoss)
LOSSES.register(
    "cross_entropy",
    info=LossSpec(frozenset({Task.MULTICLASS}), ModelOutput.LOGITS, TargetKind.CLASS_INDEX),
)(nn.CrossEntropyLoss)
LOSSES.register(
    "nll",
    info=LossSpec(
        frozenset({Task.MULTICLASS}), ModelOutput.LOG_PROBABILITIES, TargetKind.CLASS_INDEX
    ),
)(nn.NLLLoss)


@LOSSES.register("mse_output_penalty", info=_VALUE_LOSS)
class MSEWithOutputPenalty(nn.Module):
    """MSE plus ``weight * mean(input)**2``: an example of a user-defined loss.

    The penalty pulls the average prediction towards zero. Registering it takes only the
    decorator above and a YAML file in ``conf/loss/``.
    """

    def __init__(self, weight: float = 0.1, reduction: str = "mean") -> None:
        super().__init__()
        self.weight = weight
        self.reduction = reduction

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``input`` and ``target`` of the same shape; returns a scalar unless reduction='none'."""
        mse = functional.mse_loss(input, target, reduction=self.reduction)
        return mse + self.weight * input.mean().pow(2)


def loss_spec(name: str) -> LossSpec:
    """The :class:`LossSpec` of a registered loss."""
    return LOSSES.get(name).info


def losses_for_task(task: Task) -> list[str]:
    """Names of every registered loss that supports ``task``."""
    return [name for name in LOSSES.names() if task in loss_spec(name).tasks]


class LossTaskMismatchError(ConfigError):
    """A loss that does not support the data's task."""


# The loss a run trains with when neither its data config nor the command line names one (a CSV
# file's task is known only once the file is read).
NATURAL_LOSSES = {
    Task.REGRESSION: "mse",
    Task.BINARY: "bce_with_logits",
    Task.MULTICLASS: "cross_entropy",
}


def check_loss_fits(name: str, task: Task) -> None:
    """Refuse a loss that does not support ``task``, naming the losses that do."""
    spec = loss_spec(name)
    if task not in spec.tasks:
        raise LossTaskMismatchError(
            f"Loss {name!r} does not support {task} data "
            f"(it supports: {', '.join(sorted(map(str, spec.tasks)))}). "
            f"Losses for {task} data: {', '.join(losses_for_task(task))}."
        )

"""The one place that maps a model's raw output and the data's targets to what a loss expects.

Models always emit raw scores: one logit per example for binary data, one logit per class for
multiclass data, one value per example for regression. The loss's :class:`LossSpec` decides
what goes in between: sigmoid for ``bce`` and for ``mse`` on binary data (the classic
sigmoid+MSE), softmax and one-hot targets for ``mse`` on multiclass data, log-softmax for
``nll``, nothing for ``cross_entropy`` and ``bce_with_logits``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.nn import functional

from trainlab.losses import LossSpec, ModelOutput, TargetKind
from trainlab.tasks import Task

Transform = Callable[[torch.Tensor], torch.Tensor]


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def _softmax(x: torch.Tensor) -> torch.Tensor:
    return x.softmax(dim=-1)


def _log_softmax(x: torch.Tensor) -> torch.Tensor:
    return x.log_softmax(dim=-1)


_OUTPUT_TRANSFORMS: dict[tuple[ModelOutput, Task], Transform] = {
    (ModelOutput.VALUES, Task.REGRESSION): _identity,
    (ModelOutput.VALUES, Task.BINARY): torch.sigmoid,
    (ModelOutput.VALUES, Task.MULTICLASS): _softmax,
    (ModelOutput.PROBABILITIES, Task.BINARY): torch.sigmoid,
    (ModelOutput.PROBABILITIES, Task.MULTICLASS): _softmax,
    (ModelOutput.LOGITS, Task.BINARY): _identity,
    (ModelOutput.LOGITS, Task.MULTICLASS): _identity,
    (ModelOutput.LOG_PROBABILITIES, Task.BINARY): functional.logsigmoid,
    (ModelOutput.LOG_PROBABILITIES, Task.MULTICLASS): _log_softmax,
}


class LossAdapter:
    """Transforms raw model outputs and targets for one loss on one task it supports.

    Which losses fit which tasks is checked once, by the run's plan
    (:func:`trainlab.losses.check_loss_fits`).
    """

    def __init__(self, spec: LossSpec, task: Task, num_classes: int) -> None:
        self.task = task
        self.num_classes = num_classes
        self.expects = spec.expects
        self.target_kind = spec.target
        self._transform = _OUTPUT_TRANSFORMS[(spec.expects, task)]

    def loss_input(self, output: torch.Tensor) -> torch.Tensor:
        """Raw model output (N, C) or (N, 1) → what the loss takes as input."""
        return self._transform(self._squeeze(output))

    def loss_target(self, target: torch.Tensor) -> torch.Tensor:
        """Data target → what the loss takes as target (class index, 0/1 float, real, one-hot)."""
        if self.task is Task.MULTICLASS and self.target_kind is TargetKind.REAL:
            return functional.one_hot(target, self.num_classes).to(torch.get_default_dtype())
        if self.task is Task.MULTICLASS:
            return target
        return target.to(torch.get_default_dtype())

    def predictions(self, output: torch.Tensor) -> torch.Tensor:
        """Raw model output → what torchmetrics takes: probabilities, class logits or values."""
        output = self._squeeze(output)
        if self.task is Task.BINARY:
            # torchmetrics only applies sigmoid when values leave [0, 1]; be explicit.
            return torch.sigmoid(output)
        return output

    def _squeeze(self, output: torch.Tensor) -> torch.Tensor:
        return output if self.task is Task.MULTICLASS else output.squeeze(-1)

"""A multilayer perceptron with a registry activation between its layers."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Sequence

import torch
from torch import nn


class MLP(nn.Module):
    """``Linear → act → … → Linear`` on flattened inputs.

    Layers are named ``hidden1``, ``hidden2``, …, ``output`` so gradient-norm tags read as
    ``grad_norm/hidden1``. Input (N, *input_shape); output (N, num_outputs) raw scores.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        num_outputs: int,
        activation: Callable[[], nn.Module],
        hidden_sizes: Sequence[int] = (64, 64),
    ) -> None:
        super().__init__()
        layers: OrderedDict[str, nn.Module] = OrderedDict(flatten=nn.Flatten())
        width = math.prod(input_shape)
        for index, size in enumerate(hidden_sizes, start=1):
            layers[f"hidden{index}"] = nn.Linear(width, size)
            layers[f"act{index}"] = activation()
            width = size
        layers["output"] = nn.Linear(width, num_outputs)
        self.layers = nn.Sequential(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, *input_shape) → (N, num_outputs)."""
        return self.layers(x)

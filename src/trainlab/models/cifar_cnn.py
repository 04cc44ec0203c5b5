"""The classic CIFAR10 network with a registry activation after each conv and the hidden linear."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

import torch
from torch import nn


class CifarCNN(nn.Module):
    """Conv5x5(32) → pool → Conv5x5(32) → pool → Conv5x5(64) → pool → Linear(1024, 64) → Linear(64, 10).

    Input (N, 3, 32, 32); output (N, num_outputs) logits. ``channels_last=True`` stores the
    weights and converts each input to the channels-last memory format (NHWC), which cuDNN's
    tensor-core convolutions run fastest on.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        num_outputs: int,
        activation: Callable[[], nn.Module],
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        if tuple(input_shape) != (3, 32, 32):
            raise ValueError(
                f"CifarCNN takes 3x32x32 images, got input shape {tuple(input_shape)}; "
                "use model=mlp for other data"
            )
        self.layers = nn.Sequential(
            OrderedDict(
                conv1=nn.Conv2d(3, 32, kernel_size=5, padding=2),
                act1=activation(),
                pool1=nn.MaxPool2d(2),
                conv2=nn.Conv2d(32, 32, kernel_size=5, padding=2),
                act2=activation(),
                pool2=nn.MaxPool2d(2),
                conv3=nn.Conv2d(32, 64, kernel_size=5, padding=2),
                act3=activation(),
                pool3=nn.MaxPool2d(2),
                flatten=nn.Flatten(),
                fc1=nn.Linear(64 * 4 * 4, 64),
                act4=activation(),
                fc2=nn.Linear(64, num_outputs),
            )
        )
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, 32, 32) → (N, num_outputs)."""
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.layers(x)

"""The activation registry: torch activation modules by name, plus one user-defined example."""

from __future__ import annotations

import torch
from torch import nn

from trainlab.registry import Registry

ACTIVATIONS: Registry[nn.Module] = Registry("activation")

ACTIVATIONS.register("relu")(nn.ReLU)
ACTIVATIONS.register("leaky_relu")(nn.LeakyReLU)
ACTIVATIONS.register("elu")(nn.ELU)
ACTIVATIONS.register("gelu")(nn.GELU)
ACTIVATIONS.register("silu", aliases=("swish",))(nn.SiLU)
ACTIVATIONS.register("sigmoid")(nn.Sigmoid)
ACTIVATIONS.register("tanh")(nn.Tanh)
ACTIVATIONS.register("softplus")(nn.Softplus)
ACTIVATIONS.register("identity")(nn.Identity)


@ACTIVATIONS.register("scaled_tanh")
class ScaledTanh(nn.Module):
    """LeCun's ``amplitude * tanh(slope * x)`` (1.7159, 2/3 by default): a user-defined example.

    With the defaults, unit-variance inputs give roughly unit-variance outputs and
    ``f(±1) = ±1``, so the unit sits away from tanh's saturated tails.
    """

    def __init__(self, amplitude: float = 1.7159, slope: float = 2.0 / 3.0) -> None:
        super().__init__()
        self.amplitude = amplitude
        self.slope = slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Elementwise; any shape."""
        return self.amplitude * torch.tanh(self.slope * x)

    def extra_repr(self) -> str:
        return f"amplitude={self.amplitude}, slope={self.slope}"

"""The activation registry: torch activation modules by name, plus one user-defined example.

Each entry's ``info`` is a :class:`GainRule`: how the initialisers (:mod:`trainlab.initializers`)
fit their gain to the activation that follows a layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from trainlab.registry import Registry


@dataclass(frozen=True)
class GainRule:
    """Where the gain of the weights feeding an activation comes from.

    ``nonlinearity``: the activation's name for ``torch.nn.init.calculate_gain``, whose ``param``
    is the activation's own argument named ``param`` (leaky_relu's ``negative_slope``). ``None``:
    torch has no gain for it, and the gain is ``1 / sqrt(E[f(z)²])`` for ``z ~ N(0, 1)``, computed
    for the configured activation. That is He et al.'s (2015) derivation: a layer's
    pre-activations have variance ``fan_in · Var[w] · E[f(x)²]``, so this gain keeps unit-variance
    pre-activations at unit variance layer after layer. It reproduces torch's own values for
    ``linear`` (1), ``relu`` (√2) and ``leaky_relu`` (√(2/(1+slope²))); torch's ``tanh`` (5/3) and
    ``sigmoid`` (1) are conventions of their own, kept because torch knows those activations.
    """

    nonlinearity: str | None = None
    param: str | None = None


# Fixed point of the forward variance: silu, gelu, elu, softplus, scaled_tanh (see GainRule).
UNIT_VARIANCE_GAIN = GainRule()

ACTIVATIONS: Registry[nn.Module] = Registry("activation")

ACTIVATIONS.register("relu", info=GainRule("relu"))(nn.ReLU)
ACTIVATIONS.register("leaky_relu", info=GainRule("leaky_relu", param="negative_slope"))(
    nn.LeakyReLU
)
ACTIVATIONS.register("elu", info=UNIT_VARIANCE_GAIN)(nn.ELU)
ACTIVATIONS.register("gelu", info=UNIT_VARIANCE_GAIN)(nn.GELU)
ACTIVATIONS.register("silu", aliases=("swish",), info=UNIT_VARIANCE_GAIN)(nn.SiLU)
ACTIVATIONS.register("sigmoid", info=GainRule("sigmoid"))(nn.Sigmoid)
ACTIVATIONS.register("tanh", info=GainRule("tanh"))(nn.Tanh)
ACTIVATIONS.register("softplus", info=UNIT_VARIANCE_GAIN)(nn.Softplus)
ACTIVATIONS.register("identity", info=GainRule("linear"))(nn.Identity)


@ACTIVATIONS.register("scaled_tanh", info=UNIT_VARIANCE_GAIN)
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

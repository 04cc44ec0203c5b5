"""The initialiser registry: torch.nn.init schemes by name, with the gain fitted to the activation.

``init=kaiming_normal`` re-draws the weights of every Linear and Conv layer of the model and
zeroes their biases; ``init=default`` leaves PyTorch's own initialisation (each layer's
``reset_parameters``) untouched, without drawing a single random number. The gain of a layer
is that of the activation after it (the activation registry's :class:`GainRule`); the output
layer, which no activation follows, gets the linear gain. A new initialiser is one registered
function ``(weight, gain, **arguments)`` and one YAML in ``conf/init/``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from trainlab.activations import ACTIVATIONS, GainRule
from trainlab.registry import Registry

DEFAULT = "default"
# The layers an initialiser draws; the last of them in module order is the output layer.
INITIALIZED_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
# Arguments trainlab passes to every initialiser itself; a config may not set them.
INJECTED = ("weight", "gain")


@dataclass(frozen=True)
class LayerGain:
    """The gain of one layer's weights, with the ``nonlinearity``/``a`` that kaiming takes."""

    value: float
    # calculate_gain's name for kaiming_*_; "linear" for activations torch has no gain for.
    nonlinearity: str = "linear"
    a: float = 0.0


LINEAR_GAIN = LayerGain(nn.init.calculate_gain("linear"))


INITIALIZERS: Registry[None] = Registry("initializer")


@INITIALIZERS.register(DEFAULT)
def default(weight: torch.Tensor, gain: LayerGain) -> None:
    """PyTorch's own initialisation; :func:`initialize` never calls this (nothing is drawn)."""


@INITIALIZERS.register("xavier_uniform")
def xavier_uniform(weight: torch.Tensor, gain: LayerGain) -> None:
    """Glorot & Bengio (2010): ``U(-b, b)``, ``b = gain · sqrt(6 / (fan_in + fan_out))``."""
    nn.init.xavier_uniform_(weight, gain=gain.value)


@INITIALIZERS.register("xavier_normal")
def xavier_normal(weight: torch.Tensor, gain: LayerGain) -> None:
    """Glorot & Bengio (2010): ``N(0, std²)``, ``std = gain · sqrt(2 / (fan_in + fan_out))``."""
    nn.init.xavier_normal_(weight, gain=gain.value)


@INITIALIZERS.register("kaiming_uniform")
def kaiming_uniform(weight: torch.Tensor, gain: LayerGain, mode: str = "fan_in") -> None:
    """He et al. (2015): ``U(-b, b)``, ``b = gain · sqrt(3 / fan)``, fan by ``mode``."""
    nn.init.kaiming_uniform_(weight, a=gain.a, mode=mode, nonlinearity=gain.nonlinearity)
    _rescale_kaiming(weight, gain)


@INITIALIZERS.register("kaiming_normal")
def kaiming_normal(weight: torch.Tensor, gain: LayerGain, mode: str = "fan_in") -> None:
    """He et al. (2015): ``N(0, std²)``, ``std = gain / sqrt(fan)``, fan by ``mode``."""
    nn.init.kaiming_normal_(weight, a=gain.a, mode=mode, nonlinearity=gain.nonlinearity)
    _rescale_kaiming(weight, gain)


@INITIALIZERS.register("orthogonal")
def orthogonal(weight: torch.Tensor, gain: LayerGain) -> None:
    """Saxe et al. (2014): a (semi-)orthogonal matrix times ``gain``, so ``W Wᵀ = gain² I``."""
    nn.init.orthogonal_(weight, gain=gain.value)


def _rescale_kaiming(weight: torch.Tensor, gain: LayerGain) -> None:
    # kaiming_*_ only know calculate_gain's names: for other activations they drew with the
    # linear gain (1), and scaling the draw by the fitted gain gives the same distribution.
    weight.mul_(gain.value / nn.init.calculate_gain(gain.nonlinearity, gain.a))


def activation_gain(name: str, params: Mapping[str, Any]) -> LayerGain:
    """The gain of weights that feed activation ``name`` configured with ``params``."""
    rule: GainRule = ACTIVATIONS.get(name).info or GainRule()
    activation = ACTIVATIONS.build(name, **params)
    if rule.nonlinearity is not None:
        # The module holds the argument as configured, or its default (leaky_relu's 0.01).
        a = float(getattr(activation, rule.param)) if rule.param else 0.0
        return LayerGain(nn.init.calculate_gain(rule.nonlinearity, a), rule.nonlinearity, a)
    # torch has no gain for it: the unit-variance fixed point 1 / sqrt(E[f(z)²]), z ~ N(0, 1),
    # integrated by scipy (already imported with Lightning) for the activation as configured.
    from scipy import stats

    def squared(z: float) -> float:
        return float(activation(torch.tensor(z, dtype=torch.float64))) ** 2

    return LayerGain(1.0 / math.sqrt(stats.norm.expect(squared)))


def initialize(
    model: nn.Module,
    init: Mapping[str, Any],
    activation: str,
    activation_params: Mapping[str, Any],
) -> None:
    """Draw ``model``'s Linear/Conv weights with ``init`` (``{"name": ..., **arguments}``).

    Hidden layers get the gain of ``activation`` (configured with ``activation_params``), the
    output layer (the last such layer) the linear gain; biases are zeroed. ``init["name"] ==
    "default"`` touches nothing.
    """
    arguments = dict(init)
    name = arguments.pop("name")
    if name == DEFAULT:
        return
    layers = [module for module in model.modules() if isinstance(module, INITIALIZED_LAYERS)]
    draw = INITIALIZERS.get(name).factory
    hidden_gain = activation_gain(activation, activation_params)
    with torch.no_grad():
        for layer in layers:
            draw(layer.weight, LINEAR_GAIN if layer is layers[-1] else hidden_gain, **arguments)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)

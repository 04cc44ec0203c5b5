"""The torch pieces of a run, made from a plan's sections: model, loss, optimizer, scheduler.

One place makes each piece, used both by the plan (a throwaway trial build that turns every bad
argument into a message before training) and by the real build. Free of Lightning.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from hydra.utils import get_object
from torch import nn

from trainlab.activations import ACTIVATIONS
from trainlab.data.source import DataSource
from trainlab.initializers import initialize
from trainlab.losses import LOSSES
from trainlab.optimizers import OPTIMIZERS, SCHEDULERS


@dataclass(frozen=True)
class Choice:
    """A registry entry chosen by name, with its typed arguments."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """A class named by its import path (a config's ``_target_``), with its typed arguments."""

    path: str
    params: dict[str, Any] = field(default_factory=dict)


def activation_factory(activation: Choice) -> Callable[[], nn.Module]:
    """A function making a fresh activation module for each place a model needs one."""
    return functools.partial(ACTIVATIONS.build, activation.name, **activation.params)


def make_model(model: Target, activation: Choice, init: Choice, data: DataSource) -> nn.Module:
    """The network ``model`` names, sized for ``data``, with ``activation`` between its layers
    and its weights drawn by ``init`` (from the global RNG: seed it first)."""
    network = get_object(model.path)(
        input_shape=data.input_shape,
        num_outputs=data.num_outputs,
        activation=activation_factory(activation),
        **model.params,
    )
    initialize(network, {"name": init.name, **init.params}, activation.name, activation.params)
    return network


def make_loss(loss: Choice) -> nn.Module:
    """The loss module ``loss`` names."""
    return LOSSES.build(loss.name, **loss.params)


def make_optimizer(optimizer: Choice, parameters: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    """The torch optimizer ``optimizer`` names, over ``parameters``."""
    return OPTIMIZERS.build(optimizer.name, params=parameters, **optimizer.params)


def make_scheduler(
    scheduler: Choice, optimizer: torch.optim.Optimizer, total_steps: int
) -> torch.optim.lr_scheduler.LRScheduler:
    """The learning-rate schedule ``scheduler`` names, for a run of ``total_steps`` steps."""
    return SCHEDULERS.build(
        scheduler.name, optimizer=optimizer, total_steps=total_steps, **scheduler.params
    )


def scheduler_interval(scheduler: Choice) -> str:
    """``step`` or ``epoch``: how often the schedule advances."""
    return SCHEDULERS.get(scheduler.name).info.interval

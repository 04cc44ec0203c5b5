"""The optimizer and learning-rate scheduler registries.

Optimizers are the torch classes themselves, so ``OPTIMIZERS.build("sgd", params=..., lr=...)``
returns exactly ``torch.optim.SGD``. Schedulers are small factories that receive the number of
optimizer steps of the whole run, so a config never has to repeat it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch.optim import lr_scheduler

from trainlab.registry import Registry

OPTIMIZERS: Registry[torch.optim.Optimizer] = Registry("optimizer")

OPTIMIZERS.register("sgd")(torch.optim.SGD)
OPTIMIZERS.register("adam")(torch.optim.Adam)
OPTIMIZERS.register("adamw")(torch.optim.AdamW)
OPTIMIZERS.register("rmsprop")(torch.optim.RMSprop)
OPTIMIZERS.register("adagrad")(torch.optim.Adagrad)
OPTIMIZERS.register("adamax")(torch.optim.Adamax)
OPTIMIZERS.register("nadam")(torch.optim.NAdam)


@dataclass(frozen=True)
class SchedulerSpec:
    """How often Lightning steps the scheduler: after every optimizer step or every epoch."""

    interval: Literal["step", "epoch"]


SCHEDULERS: Registry[lr_scheduler.LRScheduler] = Registry("scheduler")


@SCHEDULERS.register("cosine", info=SchedulerSpec("step"))
def cosine(
    optimizer: torch.optim.Optimizer, total_steps: int, eta_min: float = 0.0
) -> lr_scheduler.LRScheduler:
    """Cosine annealing from the optimizer's lr to ``eta_min`` over the whole run."""
    return lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps, eta_min=eta_min)


@SCHEDULERS.register("step", info=SchedulerSpec("epoch"))
def step(
    optimizer: torch.optim.Optimizer, total_steps: int, step_size: int = 10, gamma: float = 0.1
) -> lr_scheduler.LRScheduler:
    """Multiply the lr by ``gamma`` every ``step_size`` epochs."""
    del total_steps  # counted in epochs, not steps
    return lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma)


@SCHEDULERS.register("onecycle", info=SchedulerSpec("step"))
def onecycle(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    max_lr: float | None = None,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> lr_scheduler.LRScheduler:
    """Smith's one-cycle policy; ``max_lr`` defaults to the optimizer's configured lr."""
    peak = max_lr if max_lr is not None else [group["lr"] for group in optimizer.param_groups]
    return lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=peak,
        total_steps=total_steps,
        pct_start=pct_start,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
    )

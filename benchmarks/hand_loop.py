"""The steps suite's floor: a minimal PyTorch training loop over the same tensors and batch order."""

from __future__ import annotations

import contextlib

import torch

from benchmarks.clock import StepClock
from benchmarks.runs import StepRun
from benchmarks.settings import StepWindow, Workload
from benchmarks.workload import TrainingParts
from trainlab.components import make_optimizer


def autocast_for(workload: Workload, device: torch.device) -> contextlib.AbstractContextManager:
    """What Lightning's ``precision`` does to the forward pass: bf16 autocast, or nothing."""
    if workload.precision == "bf16-mixed":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def train_hand_loop(workload: Workload, window: StepWindow, parts: TrainingParts) -> StepRun:
    """Train a fresh copy of the model for the window's steps.

    Per step: ``zero_grad(set_to_none=True)``, forward, the run's loss, ``backward``, ``step``.
    """
    device = parts.device
    # What the Lightning paths' Trainers set from trainer.benchmark; set here too so the hand
    # loop never runs with a setting left over from the previous path.
    torch.backends.cudnn.benchmark = device.type == "cuda"
    model = parts.fresh_model(workload)
    loss_function = parts.initial_module.loss
    optimizer = make_optimizer(parts.initial_module.optimizer_choice, model.parameters())
    loader = parts.train_loader()
    clock = StepClock(device, window.warmup_steps, window.steps)
    autocast = autocast_for(workload, device)
    model.train()
    step = epoch = 0
    while step < window.total_steps:
        # The same per-epoch order Lightning selects through ``sampler.set_epoch``.
        loader.sampler.set_epoch(epoch)
        for inputs, targets in loader:
            clock.at_step_start(step)
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                loss = loss_function(model(inputs), targets)
            loss.backward()
            optimizer.step()
            step += 1
            if step == window.total_steps:
                break
        epoch += 1
    return StepRun(model, clock.seconds, float(loss.detach()))

"""The baseline: a minimal PyTorch training loop over the same tensors and batch order."""

from __future__ import annotations

import contextlib

import torch
from torch.nn import functional

from benchmarks.clock import StepClock
from benchmarks.settings import Workload
from benchmarks.workload import TrainingParts, make_loader, resolve_device
from trainlab.components import make_optimizer


def train_hand_loop(
    workload: Workload, parts: TrainingParts
) -> tuple[torch.nn.Module, float, float]:
    """Train a fresh copy of the model; return it, the timed seconds and the last loss."""
    device = resolve_device(workload.device)
    # What the trainlab path's Trainer sets from trainer.benchmark (see compose_benchmark_config);
    # set here too so the hand loop never runs with a setting left over from the previous path.
    torch.backends.cudnn.benchmark = device.type == "cuda"
    module = parts.fresh_module(workload)
    model = module.model
    optimizer = make_optimizer(module.optimizer_choice, module.parameters())
    loader = make_loader(workload, parts.data)
    clock = StepClock(device, workload.warmup_steps, workload.steps)
    autocast = (
        torch.autocast(device.type, dtype=torch.bfloat16)
        if workload.precision == "bf16-mixed"
        else contextlib.nullcontext()
    )
    model.train()
    step = epoch = 0
    while step < workload.total_steps:
        # The same per-epoch order Lightning selects through ``sampler.set_epoch``.
        loader.sampler.set_epoch(epoch)
        for inputs, targets in loader:
            clock.at_step_start(step)
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                loss = functional.cross_entropy(model(inputs), targets)
            loss.backward()
            optimizer.step()
            step += 1
            if step == workload.total_steps:
                break
        epoch += 1
    return model, clock.seconds, float(loss.detach())

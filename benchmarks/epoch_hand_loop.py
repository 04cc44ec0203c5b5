"""The epochs suite's floor: a default run's whole work per epoch, in plain PyTorch.

Each epoch: the training steps, writing the loss, learning rate and gradient norms to
TensorBoard every ``log_every_n_steps``; a validation pass with the run's metrics
(:func:`trainlab.metrics.task_metrics`); the epoch's training and validation scalars; then
``best.ckpt`` (when ``val/loss`` improved) and ``last.ckpt`` of the model and optimizer, each
written atomically (temporary file, fsync, rename) as the run writes its checkpoints. The tags
and steps written are the run's own (a test compares them). Batches come from the same
in-memory loaders and the source's ``transform_batch``, with the step and epoch the run's
datamodule passes.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import torch
from torch.utils.tensorboard import SummaryWriter

from benchmarks.clock import FitClock
from benchmarks.hand_loop import autocast_for
from benchmarks.runs import EpochRun
from benchmarks.settings import Workload
from benchmarks.workload import TrainingParts
from trainlab.callbacks.gradient_norms import GradientNormLogger
from trainlab.components import make_optimizer
from trainlab.data.loaders import InMemoryBatchLoader
from trainlab.metrics import task_metrics
from trainlab.models.layers import layer_names


def fit_hand_loop_epochs(
    workload: Workload, epochs: int, parts: TrainingParts, run_dir: Path, log_every_n_steps: int
) -> EpochRun:
    """Train and validate a fresh copy of the model for ``epochs`` epochs, writing into ``run_dir``."""
    device = parts.device
    torch.backends.cudnn.benchmark = device.type == "cuda"
    clock = FitClock(device)
    clock.start()
    source = parts.source
    splits = {name: (x.to(device), y.to(device)) for name, (x, y) in source.load().items()}
    train_loader = parts.train_loader(splits["train"])
    val_loader = InMemoryBatchLoader(*splits["val"], source.batch_size)
    model = parts.fresh_model(workload)
    loss_function = parts.initial_module.loss
    optimizer = make_optimizer(parts.initial_module.optimizer_choice, model.parameters())
    num_classes = source.num_outputs
    train_metrics = task_metrics(source.task, num_classes, prefix="train/").to(device)
    val_metrics = task_metrics(source.task, num_classes, prefix="val/").to(device)
    # The run's own norm computation and layer tags (one fused norm, one host transfer).
    norms = GradientNormLogger(per_layer=True)
    layers = layer_names(model)
    named = [(layers[name], p) for name, p in model.named_parameters() if name in layers]
    writer = SummaryWriter(log_dir=str(run_dir))
    checkpoints = run_dir / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    autocast = autocast_for(workload, device)
    best = math.inf
    step = 0
    for epoch in range(epochs):
        clock.at_epoch_start()
        train_loader.sampler.set_epoch(epoch)
        model.train()
        loss_sum = torch.zeros((), device=device)
        outputs: list[tuple[torch.Tensor, torch.Tensor]] = []
        for inputs, targets in train_loader:
            inputs = source.transform_batch(inputs, training=True, step=step, epoch=epoch)
            logging_step = (step + 1) % log_every_n_steps == 0
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                output = model(inputs)
                loss = loss_function(output, targets)
            loss.backward()
            if logging_step:
                grads = [(layer, p.grad) for layer, p in named if p.grad is not None]
                write(writer, norms.norms(grads), step)
            optimizer.step()
            detached = loss.detach()
            if logging_step:
                lr = optimizer.param_groups[0]["lr"]
                write(writer, {"train/loss_step": detached, "train/lr": lr}, step)
            loss_sum += detached * len(inputs)
            outputs.append((output.detach(), targets))
            step += 1
        val_loss = validate(
            model, loss_function, val_loader, val_metrics, source, autocast, step, epoch
        )
        write(writer, {"val/loss": val_loss, **val_metrics.compute(), "epoch": epoch}, step - 1)
        val_metrics.reset()
        predictions, labels = (torch.cat(column) for column in zip(*outputs, strict=True))
        train_metrics.update(predictions, labels)
        train_loss = loss_sum / len(predictions)
        epoch_scalars = {"train/loss_epoch": train_loss, **train_metrics.compute(), "epoch": epoch}
        write(writer, epoch_scalars, step - 1)
        train_metrics.reset()
        state = {
            "epoch": epoch,
            "global_step": step,
            "state_dict": model.state_dict(),
            "optimizer_states": [optimizer.state_dict()],
        }
        if val_loss < best:
            best = val_loss
            save_atomically(state, checkpoints / "best.ckpt")
        save_atomically(state, checkpoints / "last.ckpt")
        writer.flush()
    writer.close()
    clock.stop()
    return EpochRun(model, clock)


def validate(
    model: torch.nn.Module,
    loss_function: torch.nn.Module,
    loader: InMemoryBatchLoader,
    metrics: Any,
    source: Any,
    autocast: Any,
    step: int,
    epoch: int,
) -> float:
    """One pass over ``loader`` in eval mode; update ``metrics``; return the mean loss."""
    model.eval()
    total = torch.zeros((), device=next(model.parameters()).device)
    count = 0
    with torch.inference_mode():
        for inputs, targets in loader:
            inputs = source.transform_batch(inputs, training=False, step=step, epoch=epoch)
            with autocast:
                output = model(inputs)
                loss = loss_function(output, targets)
            total += loss * len(inputs)
            count += len(inputs)
            metrics.update(output, targets)
    model.train()
    return float(total / count)


def write(writer: SummaryWriter, scalars: dict[str, Any], step: int) -> None:
    """Each scalar (a number or a one-element tensor) under its tag at ``step``."""
    for tag, value in scalars.items():
        writer.add_scalar(tag, float(value), step)


def save_atomically(state: dict[str, Any], path: Path) -> None:
    """``torch.save`` to a temporary file beside ``path``, fsync it, rename it into place."""
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as file:
        torch.save(state, file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)

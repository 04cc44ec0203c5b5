"""What both benchmark paths train: one seeded model, one set of tensors, one batch order."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import lightning as L
import torch
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig
from torch import nn

from trainlab.benchmark.settings import IMAGE_SHAPE, NUM_CLASSES, Workload
from trainlab.build import build_loss, build_model, build_optimizer_factory
from trainlab.config.schema import register_schema
from trainlab.data.loaders import InMemoryBatchLoader
from trainlab.module import OptimizerFactory, TrainLabModule
from trainlab.output_transforms import LossAdapter
from trainlab.paths import CONFIG_DIR
from trainlab.tasks import Task


@dataclass
class ImageData:
    """Random CIFAR-shaped inputs (N, 3, 32, 32) and class targets on the benchmark device.

    Has the attributes trainlab's builders read from a datamodule.
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    input_shape: tuple[int, ...] = IMAGE_SHAPE
    num_outputs: int = NUM_CLASSES
    task: Task = Task.MULTICLASS


def resolve_device(device: str) -> torch.device:
    """``auto`` → ``cuda`` when a GPU is visible, else ``cpu``."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA GPU is visible; use --device cpu")
    return torch.device(device)


def make_data(workload: Workload) -> ImageData:
    """Normalised-looking random images and labels, drawn on the host and moved once."""
    generator = torch.Generator().manual_seed(workload.seed)
    device = resolve_device(workload.device)
    inputs = torch.randn(workload.samples, *IMAGE_SHAPE, generator=generator)
    targets = torch.randint(0, NUM_CLASSES, (workload.samples,), generator=generator)
    if workload.channels_last:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    return ImageData(inputs.to(device), targets.to(device))


def make_loader(workload: Workload, data: ImageData) -> InMemoryBatchLoader:
    """trainlab's shuffled in-memory loader; a fresh one replays the same batch order."""
    return InMemoryBatchLoader(
        data.inputs, data.targets, workload.batch_size, shuffle=True, seed=workload.seed
    )


def compose_benchmark_config(
    workload: Workload, *, grad_norms: bool = True, progress_bar: bool = False
) -> DictConfig:
    """``conf/train.yaml`` as a user would run it, with the benchmark's model and trainer."""
    cuda = resolve_device(workload.device).type == "cuda"
    overrides = [
        f"seed={workload.seed}",
        f"model={workload.model}",
        "loss=cross_entropy",
        "activation=relu",
        "optimizer=sgd",
        "scheduler=none",
        "logger=tensorboard",
        f"trainer.accelerator={'gpu' if cuda else 'cpu'}",
        "trainer.devices=1",
        f"trainer.precision={workload.precision}",
        f"trainer.max_steps={workload.total_steps}",
        "trainer.max_epochs=-1",
        # No validation split: both paths time training steps only.
        "trainer.limit_val_batches=0",
        f"trainer.benchmark={cuda}",
        f"trainer.enable_progress_bar={progress_bar}",
        "trainer.enable_model_summary=false",
        # Checkpoint writes are I/O, not per-step framework cost; they would only add noise.
        "checkpoint.enabled=false",
        f"grad_norms.enabled={grad_norms}",
        "run_test=false",
    ]
    register_schema()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name="train", overrides=overrides)


@dataclass
class TrainingParts:
    """The seeded initial model and the loss/optimizer trainlab builds for it."""

    initial_model: nn.Module
    loss: nn.Module
    adapter: LossAdapter
    optimizer_factory: OptimizerFactory

    def fresh_model(self, workload: Workload) -> nn.Module:
        """A copy of the initial model on the device, in the workload's memory format."""
        model = copy.deepcopy(self.initial_model).to(resolve_device(workload.device))
        if workload.channels_last:
            model = model.to(memory_format=torch.channels_last)
        return model

    def fresh_module(self, workload: Workload) -> TrainLabModule:
        """A :class:`TrainLabModule` around a fresh copy of the initial model."""
        model = self.fresh_model(workload)
        return TrainLabModule(
            model=torch.compile(model) if workload.compile else model,
            loss=copy.deepcopy(self.loss),
            adapter=self.adapter,
            optimizer_factory=self.optimizer_factory,
        )


def build_parts(workload: Workload, data: ImageData) -> TrainingParts:
    """Model, loss and optimizer from trainlab's own builders, seeded once."""
    cfg = compose_benchmark_config(workload)
    L.seed_everything(workload.seed, verbose=False)
    model = build_model(cfg, data)
    loss, adapter = build_loss(cfg, data)
    return TrainingParts(model, loss, adapter, build_optimizer_factory(cfg, model))

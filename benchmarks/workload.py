"""What both benchmark paths train: one seeded model, one set of tensors, one batch order."""

from __future__ import annotations

import copy
import tempfile
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import torch
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig
from torch import nn

from benchmarks.settings import IMAGE_SHAPE, NUM_CLASSES, Workload
from trainlab.build import build_module
from trainlab.config.schema import register_schema
from trainlab.data.loaders import InMemoryBatchLoader
from trainlab.data.source import DataSource, Split
from trainlab.module import TrainLabModule
from trainlab.paths import CONFIG_DIR
from trainlab.plan import RunPlan, plan
from trainlab.tasks import Task


class RandomImages(DataSource):
    """Normalised-looking random CIFAR-shaped images (N, 3, 32, 32) and class targets.

    Drawn once on the host from ``seed`` (what :meth:`load` serves); :attr:`inputs` and
    :attr:`targets` are the same tensors on the benchmark's device, which both timed paths slice
    their batches from.
    """

    def __init__(
        self,
        seed: int,
        samples: int,
        batch_size: int,
        device: str = "cpu",
        channels_last: bool = False,
    ) -> None:
        super().__init__(seed=seed, batch_size=batch_size)
        generator = torch.Generator().manual_seed(seed)
        inputs = torch.randn(samples, *IMAGE_SHAPE, generator=generator)
        targets = torch.randint(0, NUM_CLASSES, (samples,), generator=generator)
        if channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        self._host = (inputs, targets)
        self.inputs = inputs.to(device)
        self.targets = targets.to(device)

    @property
    def task(self) -> Task:
        """Ten classes."""
        return Task.MULTICLASS

    @property
    def input_shape(self) -> tuple[int, ...]:
        """``(3, 32, 32)``."""
        return IMAGE_SHAPE

    @property
    def class_names(self) -> tuple[str, ...]:
        """``class_0`` … ``class_9``."""
        return tuple(f"class_{i}" for i in range(NUM_CLASSES))

    def load(self) -> dict[str, Split]:
        """Every image is a training image; no held-out splits (the benchmark times training)."""
        inputs, targets = self._host
        empty = (inputs[:0], targets[:0])
        return {"train": (inputs, targets), "val": empty, "test": empty}


def resolve_device(device: str) -> torch.device:
    """``auto`` → ``cuda`` when a GPU is visible, else ``cpu``."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA GPU is visible; use --device cpu")
    return torch.device(device)


def make_loader(workload: Workload, data: RandomImages) -> InMemoryBatchLoader:
    """trainlab's shuffled in-memory loader; a fresh one replays the same batch order."""
    return InMemoryBatchLoader(
        data.inputs, data.targets, workload.batch_size, shuffle=True, seed=workload.seed
    )


def compose_benchmark_config(
    workload: Workload, *, grad_norms: bool = True, progress_bar: bool = False
) -> DictConfig:
    """``conf/train.yaml`` as a user would run it, with the benchmark's data, model and trainer."""
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
        "monitor=train/loss_epoch",
    ]
    register_schema()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="train", overrides=overrides)
    cfg.data = {
        "_target_": f"{RandomImages.__module__}.{RandomImages.__name__}",
        "samples": workload.samples,
        "batch_size": workload.batch_size,
        "device": resolve_device(workload.device).type,
        "channels_last": workload.channels_last,
    }
    return cfg


def plan_benchmark(workload: Workload, run_dir: Path, **variant: bool) -> RunPlan:
    """trainlab's own plan of the benchmark run (a fresh ``run_dir`` each time)."""
    return plan(compose_benchmark_config(workload, **variant), run_dir)


@dataclass
class TrainingParts:
    """The seeded initial module trainlab builds, and the data both paths train on."""

    data: RandomImages
    initial_module: TrainLabModule

    @property
    def initial_model(self) -> nn.Module:
        """The network inside the initial module."""
        return self.initial_module.model

    def fresh_module(self, workload: Workload) -> TrainLabModule:
        """A copy of the initial module on the device, in the workload's memory format."""
        module = copy.deepcopy(self.initial_module).to(resolve_device(workload.device))
        if workload.channels_last:
            module = module.to(memory_format=torch.channels_last)
        if workload.compile:
            module.model.compile()
        return module


def build_parts(workload: Workload) -> TrainingParts:
    """Data and module from trainlab's own plan and builder, seeded once."""
    with tempfile.TemporaryDirectory(prefix="trainlab-benchmark-") as run_dir:
        run_plan = plan_benchmark(workload, Path(run_dir) / "plan")
    L.seed_everything(workload.seed, verbose=False)
    return TrainingParts(run_plan.data, build_module(run_plan))

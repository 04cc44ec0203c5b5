"""What every benchmark path trains: the data and the seeded model of one run trainlab plans."""

from __future__ import annotations

import copy
import dataclasses
import tempfile
from collections.abc import Sequence
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

# CIFAR10 holds out a tenth of its training images (5000 of 50000) for validation.
CIFAR_VAL_FRACTION = 0.1
CIFAR_TEST_IMAGES = 100


class RandomImages(DataSource):
    """Normalised-looking random CIFAR-shaped images (N, 3, 32, 32) and class targets.

    Drawn from ``seed`` when first loaded, then kept: every path and every plan of one benchmark
    shares one instance (see :func:`plan_run`), so the images are drawn once.
    """

    def __init__(
        self, seed: int, samples: int, batch_size: int, channels_last: bool = False
    ) -> None:
        super().__init__(seed=seed, batch_size=batch_size)
        self.samples = samples
        self.channels_last = channels_last
        self._images: Split | None = None

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
        """Every image is a training image; no held-out splits (the steps suite times training)."""
        if self._images is None:
            generator = torch.Generator().manual_seed(self.seed)
            inputs = torch.randn(self.samples, *IMAGE_SHAPE, generator=generator)
            targets = torch.randint(0, NUM_CLASSES, (self.samples,), generator=generator)
            if self.channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            self._images = (inputs, targets)
        inputs, targets = self._images
        empty = (inputs[:0], targets[:0])
        return {"train": (inputs, targets), "val": empty, "test": empty}

    def example_batch(self, size: int) -> Split:
        """Zeros of the images' shape: a plan's dry step needs no drawing of the whole set."""
        return torch.zeros(size, *IMAGE_SHAPE), torch.zeros(size, dtype=torch.int64)


def resolve_device(device: str) -> torch.device:
    """``auto`` → ``cuda`` when a GPU is visible, else ``cpu``."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA GPU is visible; use --device cpu")
    return torch.device(device)


def compose_run_config(
    workload: Workload, overrides: Sequence[str] = (), cifar_dir: Path | None = None
) -> DictConfig:
    """``conf/train.yaml`` as a user runs it, with the workload's model, data and trainer.

    The MLP trains the default job's synthetic data (``data=multiclass``); the CNN trains the
    CIFAR-format files in ``cifar_dir`` (``data=cifar10``) or, without them, :class:`RandomImages`.
    ``overrides`` (the suite's) come last.
    """
    cuda = resolve_device(workload.device).type == "cuda"
    run = [
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
        f"trainer.benchmark={cuda}",
        "trainer.enable_progress_bar=false",
        f"compile={workload.compile}",
    ]
    if workload.channels_last:
        run.append("model.channels_last=true")
    if workload.model == "mlp":
        run += ["data=multiclass", f"data.n_samples={workload.samples}"]
    elif cifar_dir is not None:
        run += [
            "data=cifar10",
            f"data.data_dir={cifar_dir}",
            "data.download=false",
            "data.check_integrity=false",
            f"data.val_size={CIFAR_VAL_FRACTION}",
        ]
    run += [f"data.batch_size={workload.batch_size}", *overrides]
    register_schema()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="train", overrides=run)
    if workload.model != "mlp" and cifar_dir is None:
        cfg.data = {
            "_target_": f"{RandomImages.__module__}.{RandomImages.__name__}",
            "samples": workload.samples,
            "batch_size": workload.batch_size,
            "channels_last": workload.channels_last,
        }
    return cfg


def write_cifar_files(workload: Workload, folder: Path) -> Path:
    """``workload.samples`` CIFAR-format training images (and a few test images) in ``folder``."""
    from benchmarks.fake_cifar10 import write_cifar10

    return write_cifar10(
        folder, per_batch=workload.samples // 5, test_count=CIFAR_TEST_IMAGES, seed=workload.seed
    )


@dataclass
class TrainingParts:
    """One benchmark's shared data source, its training split on the device, and the seeded
    initial module every path copies."""

    source: DataSource
    train: Split
    initial_module: TrainLabModule
    device: torch.device

    @property
    def initial_model(self) -> nn.Module:
        """The network inside the initial module."""
        return self.initial_module.model

    def fresh_model(self, workload: Workload) -> nn.Module:
        """A copy of the initial network on the device (compiled when the workload says so)."""
        model = copy.deepcopy(self.initial_model).to(self.device)
        if workload.compile:
            model.compile()
        return model

    def train_loader(self, train: Split | None = None) -> InMemoryBatchLoader:
        """trainlab's shuffled in-memory loader (the run's (seed, epoch) order) over ``train``.

        Default: the training split loaded when the parts were built.
        """
        inputs, targets = self.train if train is None else train
        return InMemoryBatchLoader(
            inputs, targets, self.source.batch_size, shuffle=True, seed=self.source.seed
        )


def plan_run(cfg: DictConfig, run_dir: Path, parts: TrainingParts | None = None) -> RunPlan:
    """trainlab's own plan of ``cfg`` in ``run_dir``, serving ``parts``' source when given.

    Sharing the source guarantees every path reads the same examples (and draws them once).
    """
    run_plan = plan(cfg, run_dir)
    return run_plan if parts is None else dataclasses.replace(run_plan, data=parts.source)


def build_parts(workload: Workload, cfg: DictConfig) -> TrainingParts:
    """The data source and initial module of ``cfg``'s plan, from trainlab's own builder."""
    with tempfile.TemporaryDirectory(prefix="trainlab-benchmark-") as run_dir:
        # Built uncompiled: each path compiles its own copy of the network.
        cfg = cfg.copy()
        cfg.compile = False
        run_plan = plan_run(cfg, Path(run_dir) / "plan")
    L.seed_everything(workload.seed, verbose=False)
    module = build_module(run_plan)
    device = resolve_device(workload.device)
    inputs, targets = run_plan.data.load()["train"]
    return TrainingParts(run_plan.data, (inputs.to(device), targets.to(device)), module, device)

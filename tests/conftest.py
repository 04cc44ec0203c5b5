"""Shared fixtures: real Hydra composition of conf/ with small, fast settings."""

from __future__ import annotations

import os

# One torch (OpenMP) thread per process, set before torch is imported here and inherited by every
# process a test starts: the suite runs two xdist workers on two cores, each training in-process
# or starting training processes, and with a thread per core each, a step's threads wait on each
# other's time slices (the whole suite about 15 % slower). The models here are too small to gain
# from a second thread; results match wherever they are computed, since every process has one.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from filelock import FileLock
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from tests.subprocess_runs import TRAIN, run_script, run_sweep
from trainlab.config.schema import register_schema
from trainlab.paths import CONFIG_DIR
from trainlab.plan import RunPlan, plan

if TYPE_CHECKING:
    from trainlab.build import RunParts
    from trainlab.outcome import Outcome

# Small data and few epochs: each run takes about a second on 2 CPU cores.
FAST_OVERRIDES = (
    "data.n_samples=400",
    "trainer.max_epochs=2",
    "trainer.accelerator=cpu",
    "trainer.enable_progress_bar=false",
    "trainer.log_every_n_steps=2",
)
# Training only, for tests that read the training curves.
QUICK_OVERRIDES = (*FAST_OVERRIDES, "run_test=false", "checkpoint.enabled=false")


def compose_config(*overrides: str, fast: bool = True) -> DictConfig:
    """``conf/train.yaml`` composed by Hydra with ``overrides`` (after the fast defaults)."""
    register_schema()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(
            config_name="train", overrides=[*(FAST_OVERRIDES if fast else ()), *overrides]
        )


def planned(*overrides: str, run_dir: Path, fast: bool = True) -> RunPlan:
    """The plan of the real config with ``overrides`` (after the fast defaults) in ``run_dir``."""
    return plan(compose_config(*overrides, fast=fast), run_dir)


def built(run_plan: RunPlan) -> RunParts:
    """Datamodule, module and Trainer of ``run_plan``, seeded as a run seeds them."""
    import lightning as L

    from trainlab.build import build

    L.seed_everything(run_plan.seed, workers=True, verbose=False)
    return build(run_plan)


def execute_config(cfg: DictConfig, run_dir: Path) -> Outcome:
    """A whole run of ``cfg`` in ``run_dir``: plan, then execute; how it ended."""
    from trainlab.execute import execute

    return execute(plan(cfg, run_dir))


def train(cfg: DictConfig, run_dir: Path) -> dict[str, float]:
    """The final metrics of a whole run of ``cfg``; the test fails unless it completed."""
    from trainlab.outcome import Ending

    outcome = execute_config(cfg, run_dir)
    assert outcome.ending is Ending.COMPLETED, outcome.message()
    return outcome.metrics


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files whose every test is marked slow first, then files with some slow tests, then the
    rest, each file's tests in their own order. pytest-xdist hands whole files to its workers in
    this order (``--dist loadfile``), so the long files start early and the quick ones even out
    the end."""
    slow_by_file: dict[Path, list[bool]] = {}
    for item in items:
        slow_by_file.setdefault(item.path, []).append(item.get_closest_marker("slow") is not None)
    rank = {path: (not all(slow), not any(slow)) for path, slow in slow_by_file.items()}
    items.sort(key=lambda item: rank[item.path])  # stable: the order within a file is kept


@pytest.fixture
def make_config() -> Callable[..., DictConfig]:
    """A function composing the real config with fast defaults and extra overrides."""
    return compose_config


TRAIN_SCRIPT = TRAIN
__all__ = [
    "FAST_OVERRIDES",
    "QUICK_OVERRIDES",
    "TRAIN_SCRIPT",
    "built",
    "compose_config",
    "execute_config",
    "planned",
    "run_script",
    "run_sweep",
    "train",
]


@pytest.fixture(scope="session")
def generated_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real sweep folder shared by the sweep, compare and TensorBoard tests, made once per
    test session even across pytest-xdist's workers (the first worker to need it makes it
    under a file lock; the others wait and read it).

    Four completed runs (loss × optimizer) with every histogram switched on, then, into the same
    folder, a second sweep whose first job diverges (lr=1e6) and whose second job fails on a
    bad value; that second sweep still runs both jobs and exits 1, as any sweep with a failed job.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return make_generated_sweep(tmp_path_factory.mktemp("sweep") / "multirun")
    shared = tmp_path_factory.getbasetemp().parent  # the same folder for every worker
    sweep, made = shared / "generated_sweep" / "multirun", shared / "generated_sweep.made"
    with FileLock(shared / "generated_sweep.lock"):
        if not made.is_file():
            make_generated_sweep(sweep)
            made.touch()
    return sweep


def make_generated_sweep(sweep: Path) -> Path:
    """The two sweeps of :func:`generated_sweep`, into ``sweep``."""
    grid = run_sweep(
        sweep,
        "loss=mse,cross_entropy",
        "optimizer=sgd,adam",
        "grad_norms.histograms=true",
        "histograms.weights=true",
        "histograms.activations=true",
        *FAST_OVERRIDES,
    )
    assert grid.returncode == 0, grid.stderr
    broken = run_sweep(sweep, "optimizer.lr=1e6,abc", *FAST_OVERRIDES)
    assert broken.returncode == 1, broken.stderr
    return sweep

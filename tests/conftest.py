"""Shared fixtures: real Hydra composition of conf/ with small, fast settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from tests.subprocess_runs import TRAIN, run_script, run_sweep
from trainlab.config.schema import register_schema
from trainlab.paths import CONFIG_DIR

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


@pytest.fixture
def make_config() -> Callable[..., DictConfig]:
    """A function composing the real config with fast defaults and extra overrides."""
    return compose_config


TRAIN_SCRIPT = TRAIN
__all__ = [
    "FAST_OVERRIDES",
    "QUICK_OVERRIDES",
    "TRAIN_SCRIPT",
    "compose_config",
    "run_script",
    "run_sweep",
]


@pytest.fixture(scope="session")
def generated_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real sweep folder shared by the sweep, compare and TensorBoard tests.

    Four completed runs (loss × optimizer) with every histogram switched on, then, into the same
    folder, a second sweep whose first job diverges (lr=1e6) and whose second job fails on a
    bad value; that second sweep still runs both jobs and exits 1, as any sweep with a failed job.
    """
    sweep = tmp_path_factory.mktemp("sweep") / "multirun"
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

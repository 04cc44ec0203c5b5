"""Shared fixtures: real Hydra composition of conf/ with small, fast settings."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

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

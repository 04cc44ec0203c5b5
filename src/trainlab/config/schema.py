"""The typed top-level schema, registered in Hydra's ConfigStore as ``train_schema``.

Fixed sections (``trainer``, ``grad_norms``, ``checkpoint``) are typed here, so Hydra rejects a
misspelled key or a wrong type while composing. The choice sections (``loss``, ``activation``,
``init``, ``optimizer``, ``scheduler``, ``model``, ``data``) differ per option; their parameters are typed
by the chosen factory's signature in :mod:`trainlab.config.params`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from trainlab.errors import ConfigError

# OmegaConf 2.3 reads these annotations at runtime and does not accept `X | None`.
# ruff: noqa: UP045


@dataclass
class TrainerConfig:
    """Arguments passed to ``lightning.Trainer``."""

    accelerator: str = "auto"
    devices: Any = "auto"
    strategy: str = "auto"
    num_nodes: int = 1
    precision: Any = "32-true"
    max_epochs: int = 10
    max_steps: int = -1
    log_every_n_steps: int = 10
    check_val_every_n_epoch: int = 1
    limit_train_batches: Optional[float] = None
    limit_val_batches: Optional[float] = None
    limit_test_batches: Optional[float] = None
    gradient_clip_val: Optional[float] = None
    deterministic: Any = False
    benchmark: Optional[bool] = None
    # None: on when stderr is a terminal, off in sweeps piped to files and in CI logs.
    enable_progress_bar: Optional[bool] = None
    enable_model_summary: bool = True
    # Lightning's default runs 2 validation batches before training to catch errors early; a
    # run's plan already took a dry training step, and every job of a sweep would pay for it.
    num_sanity_val_steps: int = 0

    def __post_init__(self) -> None:
        if self.max_epochs < 1 and self.max_epochs != -1:
            raise ConfigError(
                f"trainer.max_epochs must be >= 1 (or -1 for no limit), got {self.max_epochs}"
            )
        if self.max_steps == 0 or self.max_steps < -1:
            raise ConfigError(f"trainer.max_steps must be >= 1 or -1, got {self.max_steps}")
        if self.log_every_n_steps < 1:
            raise ConfigError(
                f"trainer.log_every_n_steps must be >= 1, got {self.log_every_n_steps}"
            )


@dataclass
class GradNormConfig:
    """Gradient-norm tracking; costs one fused norm per logging step."""

    enabled: bool = True
    per_layer: bool = True
    histograms: bool = False


@dataclass
class HistogramConfig:
    """Optional weight and activation histograms in TensorBoard, on logging steps only."""

    weights: bool = False
    activations: bool = False


@dataclass
class CheckpointConfig:
    """``last.ckpt`` and ``best.ckpt`` (by ``monitor``) in the run's ``checkpoints/``."""

    enabled: bool = True


@dataclass
class TrainConfig:
    """Everything one run needs; see ``conf/train.yaml`` for the defaults list."""

    seed: int = 42
    # Modules imported before the registries are read (the user's own losses, activations, ...).
    imports: list[str] = field(default_factory=list)
    data: Any = MISSING
    model: Any = MISSING
    loss: Any = None
    activation: Any = MISSING
    init: Any = None
    optimizer: Any = MISSING
    scheduler: Any = None
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    logger: Any = None
    monitor: str = "val/loss"
    monitor_mode: str = "min"
    run_test: bool = True
    compile: bool = False
    grad_norms: GradNormConfig = field(default_factory=GradNormConfig)
    histograms: HistogramConfig = field(default_factory=HistogramConfig)
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    # Continue this run directory's run from its checkpoints/last.ckpt (scripts/rerun.py --resume).
    resume: bool = False

    def __post_init__(self) -> None:
        if self.seed < 0:
            raise ConfigError(
                f"seed must be >= 0 (numpy and Lightning take unsigned seeds), got {self.seed}"
            )
        if self.monitor_mode not in ("min", "max"):
            raise ConfigError(f"monitor_mode must be 'min' or 'max', got {self.monitor_mode!r}")


def register_schema() -> None:
    """Store ``train_schema`` so ``conf/train.yaml`` can extend it; idempotent."""
    ConfigStore.instance().store(name="train_schema", node=TrainConfig)

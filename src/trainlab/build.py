"""Build every object of a run from its config, validating each section first.

Everything here runs before training, so a bad value costs a message, not a run; the checks
that need no Lightning are in :mod:`trainlab.config.checks`.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra.errors import InstantiationException
from hydra.utils import get_object, instantiate
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import Logger
from omegaconf import DictConfig, OmegaConf
from torch import nn

from trainlab.activations import ACTIVATIONS
from trainlab.callbacks import (
    ActivationHistogramLogger,
    DivergenceDetector,
    GlobalRNGState,
    GradientNormLogger,
    InterruptCheckpoint,
    SyncedSigterm,
    WeightHistogramLogger,
)
from trainlab.checkpoint_io import AtomicCheckpointIO
from trainlab.config.checks import init_params, optimizer_params, registry_params, scheduler_params
from trainlab.config.params import check_params
from trainlab.distributed import check_launch, cluster_plugins
from trainlab.errors import ConfigError
from trainlab.initializers import initialize
from trainlab.losses import LOSSES, loss_spec
from trainlab.module import TrainLabModule
from trainlab.optimizers import OPTIMIZERS
from trainlab.output_transforms import LossAdapter, LossTaskMismatchError

MODEL_INJECTED = ("input_shape", "num_outputs", "activation")
DATA_INJECTED = ("seed",)


def build_datamodule(cfg: DictConfig) -> L.LightningDataModule:
    """The datamodule of ``cfg.data``, seeded with ``cfg.seed``."""
    return _instantiate_target("data", cfg.data, DATA_INJECTED, seed=cfg.seed)


def build_model(cfg: DictConfig, datamodule: L.LightningDataModule) -> nn.Module:
    """The network of ``cfg.model``, ``cfg.activation`` and ``cfg.init``, sized for ``datamodule``."""
    activation = registry_params("activation", ACTIVATIONS, cfg.activation)
    name = activation.pop("name")
    factory = functools.partial(ACTIVATIONS.build, name, **activation)
    model = _instantiate_target(
        "model",
        cfg.model,
        MODEL_INJECTED,
        input_shape=datamodule.input_shape,
        num_outputs=datamodule.num_outputs,
        activation=factory,
    )
    initialize(model, init_params(cfg), name, activation)
    return model


def build_loss(cfg: DictConfig, datamodule: L.LightningDataModule) -> tuple[nn.Module, LossAdapter]:
    """The loss of ``cfg.loss`` and the adapter that fits it to the data's task."""
    params = registry_params("loss", LOSSES, cfg.loss)
    name = params.pop("name")
    try:
        adapter = LossAdapter(name, loss_spec(name), datamodule.task, datamodule.num_outputs)
    except LossTaskMismatchError as error:
        raise ConfigError(f"loss={name} with data task {datamodule.task}: {error}") from None
    return _call("loss", LOSSES.get(name).factory, params), adapter


def build_optimizer_factory(
    cfg: DictConfig, model: nn.Module
) -> Callable[..., torch.optim.Optimizer]:
    """A factory ``(params=...) -> optimizer``; built once here so torch's checks run now."""
    params = optimizer_params(cfg)
    name = params.pop("name")
    factory = functools.partial(OPTIMIZERS.get(name).factory, **params)
    _call("optimizer", factory, {"params": model.parameters()})
    return factory


def build_module(cfg: DictConfig, datamodule: L.LightningDataModule) -> TrainLabModule:
    """The LightningModule with model, loss, optimizer and scheduler from ``cfg``."""
    model = build_model(cfg, datamodule)
    if cfg.get("compile"):
        # In place (nn.Module.compile), so parameter names and checkpoints stay the same.
        model.compile()
    loss, adapter = build_loss(cfg, datamodule)
    class_names = getattr(datamodule, "class_names", None)
    return TrainLabModule(
        model=model,
        loss=loss,
        adapter=adapter,
        optimizer_factory=build_optimizer_factory(cfg, model),
        scheduler=scheduler_params(cfg),
        class_names=list(class_names) if class_names else None,
    )


def build_logger(cfg: DictConfig, run_dir: Path, purge_step: int | None = None) -> Logger | None:
    """The logger of ``cfg.logger`` writing into ``run_dir``, or None when disabled.

    ``purge_step`` (when resuming) makes TensorBoard readers drop the events a killed run wrote
    at or after that step, so the resumed curves have no duplicate steps.
    """
    if not cfg.get("logger"):
        return None
    extra = {"purge_step": purge_step} if purge_step is not None else {}
    return _instantiate_target(
        "logger", cfg.logger, ("save_dir", "purge_step"), save_dir=str(run_dir), **extra
    )


def build_callbacks(cfg: DictConfig, run_dir: Path) -> list[L.Callback]:
    """Divergence checks, RNG states, gradient norms, histograms, checkpoints (also on SIGTERM)."""
    callbacks: list[L.Callback] = [DivergenceDetector(), GlobalRNGState(), SyncedSigterm()]
    if cfg.grad_norms.enabled:
        callbacks.append(
            GradientNormLogger(
                per_layer=cfg.grad_norms.per_layer, histograms=cfg.grad_norms.histograms
            )
        )
    if cfg.histograms.weights:
        callbacks.append(WeightHistogramLogger())
    if cfg.histograms.activations:
        callbacks.append(ActivationHistogramLogger())
    if cfg.checkpoint.enabled:
        callbacks.append(
            ModelCheckpoint(
                dirpath=run_dir / "checkpoints",
                filename="best",
                monitor=cfg.monitor,
                mode=cfg.monitor_mode,
                save_last=True,
                save_top_k=1,
                auto_insert_metric_name=False,
            )
        )
        callbacks.append(InterruptCheckpoint(run_dir / "checkpoints" / "last.ckpt"))
    return callbacks


def build_trainer(cfg: DictConfig, run_dir: Path, purge_step: int | None = None) -> L.Trainer:
    """``lightning.Trainer`` from ``cfg.trainer`` with trainlab's logger and callbacks.

    Refuses (ConfigError) a launch that cannot work, e.g. ``-m`` with ``trainer=ddp``.
    """
    kwargs = OmegaConf.to_container(cfg.trainer, resolve=True)
    if kwargs.get("enable_progress_bar") is None:
        kwargs["enable_progress_bar"] = sys.stderr.isatty()
    logger = build_logger(cfg, run_dir, purge_step)
    try:
        trainer = L.Trainer(
            **kwargs,
            default_root_dir=str(run_dir),
            logger=logger if logger is not None else False,
            callbacks=build_callbacks(cfg, run_dir),
            # Otherwise Lightning adds its own ModelCheckpoint when checkpoint.enabled is false.
            enable_checkpointing=cfg.checkpoint.enabled,
            plugins=[AtomicCheckpointIO(), *cluster_plugins()],
        )
    except (ValueError, TypeError) as error:
        raise ConfigError(f"trainer: {error}") from None
    check_launch(trainer)
    return trainer


def _instantiate_target(
    section: str, cfg: DictConfig, injected: tuple[str, ...], **values: Any
) -> Any:
    params = OmegaConf.to_container(cfg, resolve=True)
    path = params.pop("_target_", None)
    if path is None:
        raise ConfigError(f"{section}._target_ is missing: name the class to build")
    try:
        target = get_object(path)
    except Exception as error:
        raise ConfigError(f"{section}._target_={path!r} cannot be imported: {error}") from None
    typed = check_params(section, target, params, injected=injected)
    config = {"_target_": path, "_convert_": "all", **typed}
    return _call(section, functools.partial(instantiate, config), values)


def _call(section: str, factory: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    try:
        return factory(**kwargs)
    except InstantiationException as error:
        cause = error.__cause__
        if isinstance(cause, ConfigError):
            raise cause from None
        if isinstance(cause, (ValueError, TypeError)):
            raise ConfigError(f"{section}: {cause}") from None
        raise
    except ConfigError:
        raise
    except (ValueError, TypeError) as error:
        raise ConfigError(f"{section}: {error}") from None

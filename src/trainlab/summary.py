"""What a finished run reports: its final metrics, hyperparameters and config in TensorBoard."""

from __future__ import annotations

from typing import Any

import lightning as L
from omegaconf import DictConfig, OmegaConf

CHOICE_SECTIONS = ("loss", "activation", "init", "optimizer", "scheduler", "model", "data")
TRAINER_HPARAMS = ("max_epochs", "max_steps", "precision", "gradient_clip_val")


def final_metrics(trainer: L.Trainer) -> dict[str, float]:
    """Every epoch-level metric Lightning holds now, as floats."""
    return {
        name: float(value)
        for name, value in trainer.callback_metrics.items()
        if not name.endswith("_step") and value.numel() == 1
    }


def hparams(cfg: DictConfig) -> dict[str, Any]:
    """The run's choices for TensorBoard's HParams tab: ``loss``, ``optimizer.lr``, ``seed``, ..."""
    values: dict[str, Any] = {"seed": cfg.seed}
    for section in CHOICE_SECTIONS:
        params = OmegaConf.to_container(cfg.get(section) or {}, resolve=True)
        choice = params.pop("name", None) or params.pop("_target_", "none").rsplit(".", 1)[-1]
        values[section] = choice
        for key, value in params.items():
            values[f"{section}.{key}"] = (
                value if isinstance(value, (int, float, str, bool)) else str(value)
            )
    for key in TRAINER_HPARAMS:
        values[f"trainer.{key}"] = cfg.trainer.get(key)
    return values


def hparam_metrics(metrics: dict[str, float]) -> dict[str, float]:
    """Final metrics under ``hp/`` tags, so TensorBoard's HParams tab shows them per run."""
    return {
        "hp/" + name.replace("/", "_"): value
        for name, value in metrics.items()
        if name.startswith(("val/", "test/", "best/"))
    }


def write_summary(trainer: L.Trainer, cfg: DictConfig, metrics: dict[str, float]) -> None:
    """Hyperparameters with final metrics, and the resolved config as text, to every logger."""
    for logger in trainer.loggers:
        logger.log_hyperparams(hparams(cfg), metrics=hparam_metrics(metrics))
        experiment = getattr(logger, "experiment", None)
        if hasattr(experiment, "add_text"):
            yaml = OmegaConf.to_yaml(cfg, resolve=True)
            # Two leading spaces per line make TensorBoard's markdown show it as code.
            experiment.add_text("config", "\n".join("    " + line for line in yaml.splitlines()))
        logger.save()

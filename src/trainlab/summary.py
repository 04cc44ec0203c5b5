"""What a finished run reports: its final metrics, hyperparameters and config in TensorBoard."""

from __future__ import annotations

from typing import Any

import lightning as L
from omegaconf import DictConfig, OmegaConf

from trainlab.log_writer import LogWriter
from trainlab.run_record import Progress

CHOICE_SECTIONS = ("loss", "activation", "optimizer", "scheduler", "model", "data")
TRAINER_HPARAMS = ("max_epochs", "max_steps", "precision", "gradient_clip_val")


def final_metrics(trainer: L.Trainer) -> dict[str, float]:
    """Every epoch-level metric Lightning holds now, as floats."""
    return {
        name: float(value)
        for name, value in trainer.callback_metrics.items()
        if not name.endswith("_step") and value.numel() == 1
    }


def best_metrics(trainer: L.Trainer) -> dict[str, float]:
    """``{monitor: best value}`` as the checkpoint callback saw it; empty without one."""
    checkpoint = trainer.checkpoint_callback
    score = getattr(checkpoint, "best_model_score", None)
    if score is None:
        return {}
    return {str(checkpoint.monitor): float(score)}


def progress(trainer: L.Trainer, metrics: dict[str, float] | None = None) -> Progress:
    """How far ``trainer`` got, with ``metrics`` (default: what it holds now) as final metrics."""
    return Progress(
        final_metrics=dict(metrics) if metrics is not None else final_metrics(trainer),
        best_metrics=best_metrics(trainer),
        epochs_completed=int(trainer.current_epoch),
        global_step=int(trainer.global_step),
    )


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
    writer = LogWriter.of(trainer)
    writer.hyperparams(hparams(cfg), metrics=hparam_metrics(metrics))
    writer.text("config", OmegaConf.to_yaml(cfg, resolve=True))
    writer.flush()

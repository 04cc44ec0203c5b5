"""What a finished run reports: its final metrics, hyperparameters and config in TensorBoard."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lightning as L
from omegaconf import DictConfig, OmegaConf

from trainlab.log_writer import LogWriter
from trainlab.run_record import Progress

CHOICE_SECTIONS = ("loss", "activation", "init", "optimizer", "scheduler", "model", "data")


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


def hparams(cfg: DictConfig, overrides: Sequence[str] | None = None) -> dict[str, Any]:
    """The run's choices for TensorBoard's HParams tab: loss, activation, optimizer, lr, seed, ...

    TensorBoard orders the tab's columns itself, by name (those that differ between runs first
    when it compares the runs: ``_sort_and_reduce_to_hparams_limit`` in its hparams plugin), so
    the order of this dict cannot put anything first; what leads is decided by which keys are
    here. A column
    per default argument that never changes (``optimizer.dampening``, ``data.noise``, ...) buries
    the choices, and the whole config is in the ``config`` text. So: the headline choices, the
    other sections' choice names, and the value of every key the run's overrides set (``None``:
    Hydra's task overrides), which is what a sweep varies.
    """
    choices = {section: _choice_name(cfg.get(section)) for section in CHOICE_SECTIONS}
    values: dict[str, Any] = {
        "loss": choices.pop("loss"),
        "activation": choices.pop("activation"),
        "optimizer": choices.pop("optimizer"),
        "optimizer.lr": OmegaConf.select(cfg, "optimizer.lr"),
        "seed": cfg.seed,
        **choices,
    }
    for key in _overridden_keys(_task_overrides() if overrides is None else overrides):
        value = OmegaConf.select(cfg, key, default=None)
        if key not in values and value is not None:
            values[key] = OmegaConf.to_container(value) if OmegaConf.is_config(value) else value
    return {k: v if isinstance(v, (int, float, str, bool)) else str(v) for k, v in values.items()}


def _choice_name(section: Any) -> str:
    """The registered name of a section's choice (``adam``), its class name, or ``none``."""
    params = OmegaConf.to_container(section, resolve=True) if section is not None else {}
    return str(params.get("name") or params.get("_target_", "none").rsplit(".", 1)[-1])


def _overridden_keys(overrides: Sequence[str]) -> list[str]:
    """``["optimizer.momentum=0.9", "+x=1", "loss=mse"]`` → their keys (``hydra.*`` left out)."""
    keys = [override.partition("=")[0].lstrip("+~") for override in overrides]
    return [key for key in keys if key and not key.startswith("hydra.")]


def _task_overrides() -> list[str]:
    """The command line's (or sweep job's) overrides, when Hydra runs this process."""
    from hydra.core.hydra_config import HydraConfig

    return [str(o) for o in HydraConfig.get().overrides.task] if HydraConfig.initialized() else []


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

"""Train one run: compose → seed → build → fit → test → report."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from omegaconf import DictConfig

from trainlab.build import build_datamodule, build_module, build_trainer, validate_schema
from trainlab.interrupts import interrupted_on_sigterm
from trainlab.summary import final_metrics, write_summary


def train(cfg: DictConfig, run_dir: Path) -> dict[str, float]:
    """Fit and test the run described by ``cfg``, writing into ``run_dir``; return final metrics.

    Every config error is raised as :class:`trainlab.errors.ConfigError` before training starts;
    a SIGTERM during training saves ``checkpoints/last.ckpt`` and raises
    :class:`trainlab.errors.RunInterrupted`.
    """
    validate_schema(cfg)
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    datamodule = build_datamodule(cfg)
    module = build_module(cfg, datamodule)
    trainer = build_trainer(cfg, run_dir)

    with interrupted_on_sigterm(trainer):
        trainer.fit(module, datamodule=datamodule)
        metrics = final_metrics(trainer)
        checkpoint = trainer.checkpoint_callback
        if checkpoint is not None and checkpoint.best_model_score is not None:
            metrics[f"best/{cfg.monitor}"] = float(checkpoint.best_model_score)

        if cfg.run_test:
            best = checkpoint.best_model_path if checkpoint is not None else ""
            trainer.test(module, datamodule=datamodule, ckpt_path=best or None, verbose=False)
            metrics.update(
                {k: v for k, v in final_metrics(trainer).items() if k.startswith("test/")}
            )

    write_summary(trainer, cfg, metrics)
    return metrics

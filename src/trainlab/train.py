"""Train one run: compose → seed → build → fit → test → report."""

from __future__ import annotations

import math
from pathlib import Path

import lightning as L
from omegaconf import DictConfig

from trainlab.build import build_datamodule, build_module, build_trainer
from trainlab.config.checks import check_config
from trainlab.distributed import is_global_zero, slurm_requeued
from trainlab.errors import DivergedError
from trainlab.interrupts import interrupted_on_sigterm
from trainlab.resume import logged_step
from trainlab.run_dir import RunStatus, check_fresh_run_dir, last_checkpoint
from trainlab.run_record import RunRecord
from trainlab.summary import final_metrics, write_summary


def train(cfg: DictConfig, run_dir: Path) -> dict[str, float]:
    """Fit and test the run described by ``cfg``, writing into ``run_dir``; return final metrics.

    Every config error is raised as :class:`trainlab.errors.ConfigError` before training starts.
    With ``cfg.resume`` the run continues from ``run_dir/checkpoints/last.ckpt``; a SIGTERM during
    training saves that checkpoint and raises :class:`trainlab.errors.RunInterrupted`.
    Rank 0 records the run and how it ended in ``run_dir/run.json`` (:mod:`trainlab.run_record`).
    """
    check_config(cfg, run_dir)
    continuing = cfg.resume or slurm_requeued()
    if is_global_zero():  # extra DDP ranks join the run directory rank 0 has just started
        check_fresh_run_dir(run_dir, continuing)
    resume_from = last_checkpoint(run_dir) if cfg.resume else None
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    datamodule = build_datamodule(cfg)
    module = build_module(cfg, datamodule)
    purge_step = logged_step(resume_from) if resume_from is not None else None
    trainer = build_trainer(cfg, run_dir, purge_step=purge_step)

    record = RunRecord.start(run_dir, cfg, resumed=continuing, write=is_global_zero())
    with record.tracking(trainer), interrupted_on_sigterm(trainer):
        try:
            trainer.fit(module, datamodule=datamodule, ckpt_path=resume_from)
        except DivergedError:
            # A diverged run is a result too: the HParams tab lists it, its monitored metric NaN.
            write_summary(trainer, cfg, {**final_metrics(trainer), cfg.monitor: math.nan})
            raise
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
    record.finish(RunStatus.COMPLETED, trainer, metrics)
    return metrics

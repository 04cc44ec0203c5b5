"""Carry out a run's plan: seed → build → fit → test → record how it ended.

``execute(plan(cfg, run_dir))`` is a whole run; :func:`trainlab.plan.plan` has checked everything
before this module (and Lightning) is imported.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import lightning as L
from lightning.pytorch.utilities.exceptions import SIGTERMException

from trainlab.build import RunParts, build
from trainlab.callbacks import RunCheckpoint
from trainlab.errors import ConfigError, DivergedError, RunInterrupted
from trainlab.outcome import Ending, Outcome
from trainlab.plan import RunPlan
from trainlab.ranks import slurm_requeued
from trainlab.run_dir import sole_writer
from trainlab.run_record import Progress, RunRecord
from trainlab.summary import final_metrics, progress, write_summary
from trainlab.tensorboard_logger import close_event_files


def execute(plan: RunPlan) -> Outcome:
    """Build, fit and test the planned run in its folder, as its one writer; return how it ended.

    Rank 0 records the run and its ending in ``run.json`` (extra DDP ranks join its folder).
    """
    fresh = plan.resume is None and not slurm_requeued()
    owner = sole_writer(plan.run_dir, fresh) if plan.first_process else contextlib.nullcontext()
    try:
        with owner:
            L.seed_everything(plan.seed, workers=True, verbose=False)
            parts = build(plan)
            try:
                return fit_and_test(plan, parts)
            finally:
                close_event_files(parts.trainer.loggers)
    except ConfigError as error:  # the folder is taken, or Lightning refused a Trainer argument
        return Outcome(Ending.BAD_INPUT, plan.run_dir, error=error)


def fit_and_test(plan: RunPlan, parts: RunParts) -> Outcome:
    """Fit and test ``parts`` as ``plan`` says, recording the run from start to ending."""
    trainer = parts.trainer
    resumed = plan.resume is not None or slurm_requeued()
    try:
        record = RunRecord.start(
            plan.run_dir, plan.cfg, resumed, write=plan.first_process, extensions=plan.extensions
        )
    except OSError as error:  # a full disk or a read-only folder: nothing ran
        return Outcome(Ending.FAILED, plan.run_dir, error=error)
    ckpt_path = plan.resume.checkpoint if plan.resume is not None else None
    try:
        trainer.fit(parts.module, datamodule=parts.datamodule, ckpt_path=ckpt_path)
        metrics = final_metrics(trainer)
        checkpoint = trainer.checkpoint_callback
        if checkpoint is not None and checkpoint.best_model_score is not None:
            metrics[f"best/{plan.settings.monitor}"] = float(checkpoint.best_model_score)
        if plan.settings.run_test:
            best = checkpoint.best_model_path if checkpoint is not None else ""
            trainer.test(
                parts.module, datamodule=parts.datamodule, ckpt_path=best or None, verbose=False
            )
            metrics.update(
                {k: v for k, v in final_metrics(trainer).items() if k.startswith("test/")}
            )
        write_summary(trainer, plan.cfg, metrics)
    except BaseException as error:  # every ending is recorded, Ctrl-C and SIGTERM included
        outcome = _ending(plan, trainer, error)
        if outcome.ending is Ending.DIVERGED:
            # A diverged run is a result too: the HParams tab lists it, its monitored metric NaN.
            write_summary(
                trainer, plan.cfg, {**final_metrics(trainer), plan.settings.monitor: math.nan}
            )
        return _recorded(record, outcome, progress(trainer))
    return _recorded(
        record, Outcome(Ending.COMPLETED, plan.run_dir, metrics), progress(trainer, metrics)
    )


def _recorded(record: RunRecord, outcome: Outcome, reached: Progress) -> Outcome:
    """``outcome``, once written to the record; a record that cannot be written fails the run."""
    try:
        record.finish(outcome.rule.status, reached, error=outcome.error_text)
    except OSError as error:
        return Outcome(Ending.FAILED, outcome.run_dir, outcome.metrics, error=error)
    return outcome


def _ending(plan: RunPlan, trainer: L.Trainer, error: BaseException) -> Outcome:
    """The :class:`Outcome` of a fit or test stopped by ``error``."""
    if isinstance(error, DivergedError):
        return Outcome(Ending.DIVERGED, plan.run_dir, error=error)
    if isinstance(error, SIGTERMException):
        # Lightning raises it (a SystemExit without a code) at the next batch after SIGTERM.
        return Outcome(
            Ending.SIGTERM, plan.run_dir, error=RunInterrupted("SIGTERM", _saved(trainer))
        )
    if isinstance(error, KeyboardInterrupt) or (
        isinstance(error, SystemExit) and trainer.interrupted
    ):
        # Lightning turns Ctrl-C during fit into sys.exit(1) after marking the trainer.
        return Outcome(Ending.CTRL_C, plan.run_dir, error=RunInterrupted("Ctrl-C", _saved(trainer)))
    if isinstance(error, ConfigError):
        return Outcome(Ending.BAD_INPUT, plan.run_dir, error=error)
    return Outcome(Ending.FAILED, plan.run_dir, error=error)


def _saved(trainer: L.Trainer) -> Path | None:
    """The ``last.ckpt`` of :class:`RunCheckpoint` when the fit stopped, or None."""
    paths = [c.last_path for c in trainer.callbacks if isinstance(c, RunCheckpoint)]
    return next((path for path in paths if path.is_file()), None)

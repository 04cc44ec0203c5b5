"""What a resumed sweep does with each job, decided from the job folder's run record alone."""

from __future__ import annotations

import math
import shutil
from enum import Enum
from pathlib import Path

from trainlab.atomic_write import TEMPORARY_GLOB
from trainlab.csv_metrics import CSV_DIR
from trainlab.errors import ConfigError
from trainlab.run_dir import (
    HYDRA_DIR,
    LAST_CHECKPOINT,
    RUN_RECORD,
    RunStatus,
    read_record,
    recorded_config,
)
from trainlab.sweeps.folder import PENDING, job_state

# What a run leaves in its folder, besides train.log (which keeps every attempt's story).
ATTEMPT_FILES = (
    RUN_RECORD, HYDRA_DIR, "checkpoints", "hparams.yaml", "events.out.tfevents.*",
    "hpc_ckpt_*.ckpt", CSV_DIR, TEMPORARY_GLOB,
)  # fmt: skip


class JobAction(str, Enum):
    """What a resumed sweep does with one job."""

    SKIP = "skip"  # finished: its files stay exactly as they are
    CONTINUE = "continue"  # stopped after a checkpoint: resume=true in its folder
    RESTART = "restart"  # stopped before its first checkpoint, or a retried failure: anew there
    START = "start"  # never started


def resume_action(job_dir: Path, retry_failed: bool = False) -> JobAction:
    """The action for the job in ``job_dir``: completed jobs are skipped, failed and diverged ones
    too unless ``retry_failed``, stopped ones continue from their ``last.ckpt`` if they saved one.
    """
    state = job_state(job_dir)
    if state == PENDING:
        return JobAction.START
    if state == RunStatus.COMPLETED.value:
        return JobAction.SKIP
    if state in (RunStatus.FAILED.value, RunStatus.DIVERGED.value):
        return JobAction.RESTART if retry_failed else JobAction.SKIP
    if state in (RunStatus.RUNNING.value, RunStatus.INTERRUPTED.value):
        has_checkpoint = (Path(job_dir) / LAST_CHECKPOINT).is_file()
        return JobAction.CONTINUE if has_checkpoint else JobAction.RESTART
    raise ConfigError(f"{job_dir / RUN_RECORD} has an unknown status {state!r}")


def prepare_job(job_dir: Path, action: JobAction) -> list[Path]:
    """Make ``job_dir`` ready for ``action``; the files removed.

    A job that restarts loses everything its earlier attempt wrote but ``train.log``, so the new
    attempt's record and curves are the only ones; one that continues keeps its files (the
    resumed run removes the temporary files its killed process left, as every run does).
    """
    patterns = ATTEMPT_FILES if action is JobAction.RESTART else ()
    removed = [path for pattern in patterns for path in sorted(Path(job_dir).glob(pattern))]
    for path in removed:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    return removed


def recorded_result(job_dir: Path) -> float:
    """What the finished job returned to its sweeper: its final monitored metric, NaN unless it
    completed (as :func:`trainlab.cli.train.report` returns it).
    """
    record = read_record(job_dir)
    if record.get("status") != RunStatus.COMPLETED.value:
        return math.nan
    monitor = str(recorded_config(job_dir).get("monitor"))
    return float(record.get("final_metrics", {}).get(monitor, math.nan))

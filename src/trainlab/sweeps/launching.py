"""What trainlab's sweepers share: composing a job's plan entry, deciding what a resume does with
each job, and launching the jobs to run through the sweep's own launcher with their numbers.
"""

from __future__ import annotations

import itertools
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from hydra.core.config_loader import ConfigLoader
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn
from hydra.errors import HydraException
from hydra.plugins.launcher import Launcher
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from trainlab.errors import ConfigError
from trainlab.sweeps.folder import PlannedJob
from trainlab.sweeps.jobs import JobAction, prepare_job, resume_action

log = logging.getLogger(__name__)
# Added to the overrides of a job that continues from its last checkpoint; conf/train.yaml keeps
# it out of the job's folder name (hydra.job.config.override_dirname.exclude_keys).
CONTINUE_OVERRIDE = "resume=true"


def plan_job(
    config_loader: ConfigLoader, master: DictConfig, num: int, overrides: Sequence[str]
) -> PlannedJob:
    """Job ``num`` with ``overrides``, composed as its launcher will compose it, so a job that no
    longer composes fails here, before anything runs; its folder is resolved for its number.
    """
    job_config = config_loader.load_sweep_config(master, list(overrides))
    with open_dict(job_config):
        job_config.hydra.job.num = num
        job_config.hydra.job.id = num
    hydra_config = HydraConfig.instance()
    previous = hydra_config.cfg
    hydra_config.set_config(job_config)  # for ${hydra:...} in hydra.sweep.subdir
    try:
        subdir = str(OmegaConf.select(job_config, "hydra.sweep.subdir"))
    finally:
        hydra_config.cfg = previous
    return PlannedJob(num, tuple(overrides), subdir)


def plan_resumed_job(
    config_loader: ConfigLoader, master: DictConfig, num: int, overrides: Sequence[str]
) -> PlannedJob:
    """:func:`plan_job` for a resume: a job that no longer composes is bad input (exit 2)."""
    try:
        return plan_job(config_loader, master, num, overrides)
    except (HydraException, OmegaConfBaseException) as error:
        refuse(
            f"job #{num} [{' '.join(overrides)}] no longer composes with today's configs, so the "
            f"sweep cannot be resumed as it was planned: {error}"
        )


def resume_actions(
    sweep_dir: Path, jobs: Sequence[PlannedJob], retry_failed: bool
) -> dict[int, JobAction]:
    """Each job's action from its record; once all are decided, each folder made ready (logged)."""
    try:
        actions = {job.num: resume_action(sweep_dir / job.subdir, retry_failed) for job in jobs}
    except ConfigError as error:
        refuse(str(error))
    for job in jobs:
        job_dir = sweep_dir / job.subdir
        removed = prepare_job(job_dir, actions[job.num])
        cleaned = f" (removed {', '.join(str(p.relative_to(job_dir)) for p in removed)})"
        log.info(
            "#%d %s: %s%s", job.num, actions[job.num].value, job.subdir, cleaned if removed else ""
        )
    return actions


def launch_jobs(
    launcher: Launcher, jobs: Sequence[PlannedJob], actions: Mapping[int, JobAction]
) -> list[JobReturn]:
    """Launch the jobs that are not skipped, keeping their numbers.

    ``launcher.launch(batch, initial_job_idx)`` numbers a batch's jobs consecutively, so each run
    of consecutive job numbers is one batch starting at its first number.
    """
    to_run = [job for job in jobs if actions[job.num] is not JobAction.SKIP]
    returns: list[JobReturn] = []
    for _, group in itertools.groupby(enumerate(to_run), key=lambda item: item[1].num - item[0]):
        run = [job for _, job in group]
        batch = [job_overrides(job, actions[job.num]) for job in run]
        returns.extend(launcher.launch(batch, initial_job_idx=run[0].num))
    return returns


def job_overrides(job: PlannedJob, action: JobAction) -> list[str]:
    """The overrides ``job`` is launched with: its own, and ``resume=true`` if it continues."""
    extra = [CONTINUE_OVERRIDE] if action is JobAction.CONTINUE else []
    return [*job.overrides, *extra]


def refuse(message: str) -> NoReturn:
    """Stop the sweep as bad input, before it changed anything: the message and exit status 2.

    ``SystemExit`` passes Hydra's error handling (which would exit 1) and its callbacks.
    """
    print(f"trainlab: error: {message}", file=sys.stderr)
    sys.exit(2)

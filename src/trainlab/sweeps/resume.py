"""``rerun.py SWEEP --resume`` and ``--status``: continue a sweep in place, or say where it stands.

A resume is the sweep's own command again (``train.py -m`` with the overrides recorded in its
``multirun.yaml``, into its folder) with ``hydra.sweeper.resume=true``: the same sweeper, launcher
and callbacks run it, so it ends as the first run would have (failure report, exit status).
Everything that can be refused is checked here first, before anything is written.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from trainlab.errors import ConfigError
from trainlab.paths import CONFIG_DIR
from trainlab.rerun import path_override, run_train
from trainlab.run_dir import RunStatus, rerun_command
from trainlab.sweeps.folder import (
    JOB_STATES,
    PENDING,
    SWEEP_PLAN,
    SweepBusy,
    job_state,
    read_plan,
    read_sweep_config,
    sweep_holder,
)

RESUMABLE_SWEEPERS = {
    "hydra_plugins.trainlab_sweepers.sweepers.TrainlabSweeper": "sweep=grid",
    "hydra_plugins.trainlab_sweepers.sweepers.TrainlabOptunaSweeper": "sweep=optuna",
}
# Hydra overrides a resume sets itself, so the recorded ones are left out.
RESUME_KEYS = (
    "hydra.mode",
    "hydra.sweep.dir",
    "hydra.sweeper.resume",
    "hydra.sweeper.retry_failed",
)


def resume_sweep(sweep_dir: Path, retry_failed: bool = False) -> int:
    """Continue the sweep in ``sweep_dir`` to its end; the exit status of the sweep command."""
    return run_train(["-m", *resume_overrides(sweep_dir, retry_failed)])


def resume_overrides(sweep_dir: Path, retry_failed: bool = False) -> list[str]:
    """The overrides of the sweep's command that resume it; :class:`ConfigError` if it cannot be.

    Refused: a folder that is not a sweep, a sweep a live process runs, a sweeper that cannot
    resume, and recorded overrides that no longer compose with today's ``conf/``.
    """
    config = read_sweep_config(sweep_dir)
    holder = sweep_holder(sweep_dir)
    if holder is not None:
        raise SweepBusy(
            f"{sweep_dir} is being run by another process ({holder}); wait for it to end, "
            "or stop it before resuming the sweep"
        )
    recorded = [str(o) for o in config.hydra.overrides.hydra if _key(str(o)) not in RESUME_KEYS]
    overrides = [
        *recorded,
        *(str(o) for o in config.hydra.overrides.task),
        path_override("hydra.sweep.dir", Path(sweep_dir).resolve()),
    ]
    check_resumable(sweep_dir, str(config.hydra.job.config_name), overrides)
    return [
        *overrides,
        "hydra.sweeper.resume=true",
        f"hydra.sweeper.retry_failed={str(retry_failed).lower()}",
    ]


def check_resumable(sweep_dir: Path, config_name: str, overrides: list[str]) -> None:
    """Compose the sweep's config from today's ``conf/`` as ``train.py -m`` will, and check that
    its sweeper can resume; :class:`ConfigError` naming what is wrong.
    """
    composed = _compose_sweep(sweep_dir, config_name, overrides)
    target = str(OmegaConf.select(composed, "hydra.sweeper._target_"))
    if target not in RESUMABLE_SWEEPERS:
        raise ConfigError(
            f"{sweep_dir} was swept by {target}, which cannot be resumed; trainlab resumes "
            f"sweeps run with {' or '.join(RESUMABLE_SWEEPERS.values())}"
        )
    if "storage" in composed.hydra.sweeper and not composed.hydra.sweeper.storage:
        raise ConfigError(
            f"{sweep_dir}'s Optuna study was not stored (hydra.sweeper.storage was null), so "
            "there is nothing to continue; start the search anew"
        )


def sweep_status(sweep_dir: Path) -> str:
    """How many jobs are completed, running, interrupted, failed, diverged and pending, and each
    job's number, state and folder.
    """
    read_sweep_config(sweep_dir)
    plan = read_plan(sweep_dir)
    if plan is None:
        raise ConfigError(
            f"{sweep_dir} has no {SWEEP_PLAN}: it was swept before trainlab's sweepers wrote one; "
            f"{rerun_command(sweep_dir, resume=True)} writes it"
        )
    states = [job_state(Path(sweep_dir) / job.subdir) for job in plan.jobs]
    counts = Counter(states)
    counts[PENDING] += plan.unsampled
    holder = sweep_holder(sweep_dir)
    running = f"running now ({holder})" if holder else "no process is running it"
    lines = [
        f"{sweep_dir}: {plan.sweeper} sweep of {plan.total} jobs; {running}",
        "  " + ", ".join(f"{counts[state]} {state}" for state in JOB_STATES),
    ]
    width = len(str(plan.total))
    lines += [
        f"  #{job.num:<{width}}  {state:<11}  {job.subdir}"
        for job, state in zip(plan.jobs, states, strict=True)
    ]
    if plan.unsampled:
        lines.append(f"  {plan.unsampled} more trials to sample")
    if holder is None and counts[RunStatus.COMPLETED.value] < plan.total:
        lines.append(f"continue with: {rerun_command(sweep_dir, resume=True)}")
    return "\n".join(lines)


def _compose_sweep(sweep_dir: Path, config_name: str, overrides: list[str]) -> DictConfig:
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from hydra.types import RunMode
    from omegaconf.errors import OmegaConfBaseException

    from trainlab.config.schema import register_schema

    register_schema()
    try:
        with warnings.catch_warnings():  # the sweep's own run shows Hydra's warnings
            warnings.simplefilter("ignore")
            with initialize_config_dir(str(CONFIG_DIR), version_base="1.3", job_name="train"):
                loader = GlobalHydra.instance().config_loader()
                return loader.load_configuration(config_name, overrides, RunMode.MULTIRUN)
    except (HydraException, OmegaConfBaseException, ValueError) as error:
        raise ConfigError(
            f"{sweep_dir}'s recorded overrides no longer compose with today's configs "
            f"({CONFIG_DIR}), so the sweep cannot be resumed as it was planned: {error}"
        ) from None


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")

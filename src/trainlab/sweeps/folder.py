"""What makes a folder a sweep folder: Hydra's ``multirun.yaml``, the plan of its jobs, each job's
state (read from its run record), and its one live process (the sweep lock).

Free of torch, Lightning, Hydra's composition and Optuna, so ``rerun.py SWEEP --status`` and
``compare.py`` read a sweep at once.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from trainlab.atomic_write import write_text_atomically
from trainlab.errors import ConfigError
from trainlab.folder_lock import HeldLock, LockHeld, lock_holder, take_lock
from trainlab.run_dir import RUN_RECORD, RunStatus, read_record

SWEEP_CONFIG = "multirun.yaml"
SWEEP_PLAN = "sweep_plan.json"
SWEEP_LOCK = ".sweep.lock"
# A planned job whose folder holds no run record yet.
PENDING = "pending"
# Every state a job can be in: its record's status, or pending; in the order --status lists them.
JOB_STATES = tuple(
    state.value if isinstance(state, RunStatus) else state
    for state in (
        RunStatus.COMPLETED, RunStatus.RUNNING, RunStatus.INTERRUPTED, RunStatus.FAILED,
        RunStatus.DIVERGED, PENDING,
    )
)  # fmt: skip


class SweepBusy(ConfigError):
    """Another live process runs the sweep."""


@dataclass(frozen=True)
class PlannedJob:
    """One job of a sweep: its number, its command-line overrides and its folder in the sweep."""

    num: int
    overrides: tuple[str, ...]
    subdir: str


@dataclass(frozen=True)
class SweepPlan:
    """The jobs a sweep runs: all of them for a grid; for a search, the trials sampled so far."""

    sweeper: str  # "grid" or "optuna"
    total: int  # jobs the sweep has run when it is done (a search's n_trials)
    jobs: tuple[PlannedJob, ...]

    @property
    def unsampled(self) -> int:
        """Jobs a search has still to sample (always 0 for a grid)."""
        return self.total - len(self.jobs)


def read_sweep_config(sweep_dir: Path) -> DictConfig:
    """The sweep's ``multirun.yaml``; :class:`ConfigError` when ``sweep_dir`` is no sweep folder."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise ConfigError(f"{sweep_dir} is not a folder")
    path = sweep_dir / SWEEP_CONFIG
    if not path.is_file():
        raise ConfigError(
            f"{sweep_dir} is not a sweep folder: it has no {SWEEP_CONFIG} (a sweep folder is "
            "what train.py -m writes, outputs/multirun/<time>/)"
        )
    try:
        config = OmegaConf.load(path)
    except (OSError, OmegaConfBaseException, ValueError) as error:
        raise ConfigError(f"{path} is not a readable sweep config: {error}") from None
    if not isinstance(config, DictConfig) or OmegaConf.select(config, "hydra.overrides") is None:
        raise ConfigError(f"{path} is not a Hydra multirun config (it has no hydra.overrides)")
    return config


def write_plan(sweep_dir: Path, plan: SweepPlan) -> None:
    """Write ``sweep_plan.json`` (atomically)."""
    content = {**asdict(plan), "jobs": [asdict(job) for job in plan.jobs]}
    write_text_atomically(Path(sweep_dir) / SWEEP_PLAN, json.dumps(content, indent=2) + "\n")


def read_plan(sweep_dir: Path) -> SweepPlan | None:
    """The sweep's plan, or None for a sweep that never wrote one (started by another sweeper)."""
    path = Path(sweep_dir) / SWEEP_PLAN
    if not path.is_file():
        return None
    try:
        content: dict[str, Any] = json.loads(path.read_text())
        jobs = tuple(
            PlannedJob(int(job["num"]), tuple(job["overrides"]), str(job["subdir"]))
            for job in content["jobs"]
        )
        return SweepPlan(str(content["sweeper"]), int(content["total"]), jobs)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"{path} is not a readable sweep plan: {error}") from None


def job_state(job_dir: Path) -> str:
    """``pending`` before the job's run is recorded, then its record's status."""
    if not (Path(job_dir) / RUN_RECORD).is_file():
        return PENDING
    return str(read_record(job_dir).get("status"))


def hold_sweep(sweep_dir: Path) -> HeldLock:
    """Take the sweep's lock for this process; :class:`SweepBusy` when a live process has it."""
    try:
        return take_lock(Path(sweep_dir) / SWEEP_LOCK)
    except LockHeld as held:
        raise SweepBusy(
            f"{sweep_dir} is being run by another process ({held.holder}); wait for it to end, "
            "or stop it before resuming the sweep"
        ) from None


def sweep_holder(sweep_dir: Path) -> str | None:
    """The live process running the sweep now (``pid N on HOST``), or None."""
    return lock_holder(Path(sweep_dir) / SWEEP_LOCK)

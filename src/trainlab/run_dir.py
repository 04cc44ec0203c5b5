"""What makes a folder a run directory: its record (read here, written by ``run_record``), its
config, its last checkpoint, the checks made on it before a run starts, and its one writer.

Free of torch and Lightning, so the command lines can check a run directory (and refuse a bad
one) without paying for importing them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from trainlab.atomic_write import TEMPORARY_GLOB
from trainlab.errors import ConfigError
from trainlab.folder_lock import LockHeld, take_lock

RUN_RECORD = "run.json"
HYDRA_DIR = ".hydra"
LAST_CHECKPOINT = Path("checkpoints") / "last.ckpt"
WRITER_LOCK = ".writer.lock"


class RunStatus(str, Enum):
    """Where a run stands; ``running`` is left behind only by a process that was killed."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    DIVERGED = "diverged"
    INTERRUPTED = "interrupted"


class RunDirBusy(ConfigError):
    """Another live process is writing the run folder."""


def rerun_command(run_dir: Path, resume: bool = False) -> str:
    """The command that reruns (or, with ``resume``, continues) ``run_dir``'s run, quoted.

    It names the command the way this process was started (``python scripts/rerun.py`` from a
    checkout's scripts, else ``trainlab-rerun``).
    """
    from trainlab.entry_points import command_hint

    return command_hint("rerun", str(run_dir), *(["--resume"] if resume else []))


def record_path(run_dir: Path) -> Path:
    """``run_dir/run.json``."""
    return Path(run_dir) / RUN_RECORD


def read_record(run_dir: Path) -> dict[str, Any]:
    """The run record of ``run_dir``; :class:`ConfigError` if it is missing or unreadable."""
    path = record_path(run_dir)
    if not path.is_file():
        raise ConfigError(f"{run_dir} is not a trainlab run directory: it has no {RUN_RECORD}")
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{path} is not a readable run record: {error}") from None
    if not isinstance(record, dict):
        raise ConfigError(f"{path} is not a run record: it holds a {type(record).__name__}")
    return record


def recorded_config(run_dir: Path) -> DictConfig:
    """The config ``run_dir``'s run was started with (``.hydra/config.yaml``)."""
    config = _load_hydra_file(run_dir, "config.yaml")
    if not isinstance(config, DictConfig):
        raise ConfigError(f"{Path(run_dir) / HYDRA_DIR / 'config.yaml'} is not a config mapping")
    return config


def recorded_overrides(run_dir: Path) -> list[str]:
    """The command-line overrides ``run_dir``'s run was started with (``.hydra/overrides.yaml``)."""
    overrides = _load_hydra_file(run_dir, "overrides.yaml")
    if not isinstance(overrides, ListConfig):
        raise ConfigError(f"{Path(run_dir) / HYDRA_DIR / 'overrides.yaml'} is not a list")
    return [str(override) for override in overrides]


def _load_hydra_file(run_dir: Path, name: str) -> DictConfig | ListConfig:
    path = Path(run_dir) / HYDRA_DIR / name
    if not path.is_file():
        raise ConfigError(f"{run_dir} is not a complete trainlab run directory: {path} is missing")
    try:
        return OmegaConf.load(path)
    except (OSError, OmegaConfBaseException, ValueError, yaml.YAMLError) as error:
        reason = " ".join(str(error).split())
        raise ConfigError(f"{path} is not readable YAML: {reason}") from None


def check_fresh_run_dir(run_dir: Path) -> None:
    """Refuse to start a new run where one already ran, so no earlier run is ever overwritten."""
    if record_path(run_dir).exists():
        raise ConfigError(
            f"{run_dir} already holds a run ({RUN_RECORD} exists); choose a new hydra.run.dir, "
            f"or continue that run with resume=true ({rerun_command(run_dir, resume=True)})"
        )


def last_checkpoint(run_dir: Path) -> Path:
    """``run_dir/checkpoints/last.ckpt``; :class:`ConfigError` when the run never saved one."""
    path = Path(run_dir) / LAST_CHECKPOINT
    if not path.is_file():
        raise ConfigError(
            f"resume=true but {path} does not exist: the run never finished an epoch "
            "(or ran with checkpoint.enabled=false), so there is nothing to resume; start it anew"
        )
    return path


@contextmanager
def sole_writer(run_dir: Path, fresh: bool) -> Iterator[None]:
    """Hold ``run_dir``'s writer lock for the enclosed block: one writing process per run folder.

    The lock (:func:`trainlab.folder_lock.take_lock` on ``.writer.lock``) is released by the
    kernel when the process dies, so a killed run leaves no stale lock; a second process is
    refused at once with :class:`RunDirBusy`. A ``fresh`` run is also refused if a run was
    recorded in the folder between its plan and now. Temporary files a killed writer left
    are removed.
    """
    run_dir = Path(run_dir)
    try:
        lock = take_lock(run_dir / WRITER_LOCK)
    except LockHeld as held:
        raise RunDirBusy(
            f"{run_dir} is being written by another run ({held.holder}); wait for it to end, "
            "or choose another hydra.run.dir"
        ) from None
    try:
        if fresh:
            check_fresh_run_dir(run_dir)
        for folder in (run_dir, run_dir / LAST_CHECKPOINT.parent):
            for stale in folder.glob(TEMPORARY_GLOB):  # left by a writer that was killed
                stale.unlink()
        yield
    finally:
        lock.release()

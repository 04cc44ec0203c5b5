"""The run record: ``run.json`` (and the run's ``.hydra/`` config) in each run directory.

This is the one place that writes them. Other tools (``rerun.py``, sweep reports, comparisons)
read them with :mod:`trainlab.run_dir`; the record's keys are listed in :data:`RECORD_KEYS`.
Free of Lightning, so a sweep can record a job refused for bad input without importing it.
"""

from __future__ import annotations

import functools
import json
import platform
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from trainlab.atomic_write import write_text_atomically
from trainlab.errors import ConfigError
from trainlab.paths import FROM_CHECKOUT, PROJECT_ROOT
from trainlab.run_dir import (
    HYDRA_DIR,
    RunStatus,
    read_record,
    record_path,
    sole_writer,
)

RECORD_KEYS = (
    "status", "seed", "command", "overrides", "job_num", "run_dir", "started_at", "ended_at",
    "wall_time_s", "final_metrics", "best_metrics", "epochs_completed", "global_step", "error",
    "environment", "git",
)  # fmt: skip
PACKAGES = ("torch", "lightning", "hydra-core", "torchmetrics", "omegaconf", "numpy", "tensorboard")


@dataclass
class Progress:
    """How far a run got: its final and best metrics, epochs and optimizer steps."""

    final_metrics: dict[str, float] = field(default_factory=dict)
    best_metrics: dict[str, float] = field(default_factory=dict)
    epochs_completed: int = 0
    global_step: int = 0


def write_record(run_dir: Path, record: Mapping[str, Any]) -> None:
    """Write ``run.json`` atomically: a reader sees the old record or the new, never half of one.

    If the write fails (a full disk), the temporary file is removed and the error raised.
    """
    write_text_atomically(record_path(run_dir), json.dumps(record, indent=2, sort_keys=True) + "\n")


def write_config_files(run_dir: Path, cfg: DictConfig) -> None:
    """The run's ``.hydra/`` files, as Hydra would write them: config, hydra config, overrides.

    Hydra's own writing is switched off (``hydra.output_subdir: null``) so that a run refused by
    its plan writes nothing; trainlab writes them once the run owns its folder.
    """
    from hydra.core.hydra_config import HydraConfig

    folder = Path(run_dir) / HYDRA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {"config.yaml": cfg, "overrides.yaml": []}
    if HydraConfig.initialized():
        hydra_cfg = HydraConfig.get()
        files["hydra.yaml"] = {"hydra": hydra_cfg}
        files["overrides.yaml"] = hydra_cfg.overrides.task
    for name, content in files.items():
        (folder / name).write_text(OmegaConf.to_yaml(content))


@functools.cache  # a sweep's jobs share the process: ask once
def environment() -> dict[str, Any]:
    """Versions of Python and the libraries that decide a run's numbers, and the device used."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        **{name: _version(name) for name in PACKAGES},
        "cuda_available": torch.cuda.is_available(),
    }
    if torch.cuda.is_available():
        info["cuda"] = torch.version.cuda
        info["cudnn"] = torch.backends.cudnn.version()
        info["device_name"] = torch.cuda.get_device_name()
    return info


@functools.cache  # two git subprocesses: once per process, not per sweep job
def git_state(root: Path | None = None) -> dict[str, Any]:
    """The project's commit and whether its tree had uncommitted changes; nulls without git.

    The project is trainlab's checkout when it runs from one; an installed trainlab records the
    working directory's repository, the user's project that holds their own code.
    """
    root = root or (PROJECT_ROOT if FROM_CHECKOUT else Path.cwd())
    try:
        commit = _git(root, "rev-parse", "HEAD")
        dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


class RunRecord:
    """Keeps ``run_dir/run.json`` current: ``running`` at the start, the outcome at the end.

    With ``write=False`` (extra DDP ranks) the record is kept in memory only.
    """

    def __init__(self, run_dir: Path, record: dict[str, Any], write: bool = True) -> None:
        self.run_dir = Path(run_dir)
        self.record = record
        self.write = write
        self._started = time.monotonic()
        self._earlier_wall_time = float(record.get("wall_time_s") or 0.0)

    @classmethod
    def start(
        cls,
        run_dir: Path,
        cfg: DictConfig,
        resumed: bool = False,
        write: bool = True,
        extensions: Mapping[str, tuple[Any, Any]] | None = None,
    ) -> RunRecord:
        """Write a ``running`` record; a resumed run keeps its record and adds ``resumed_at``.

        A new run also writes its ``.hydra/`` config files; a resumed run keeps the recorded ones,
        except for the limits it extends (``extensions``: key → (recorded, new)), which are
        updated there, in the overrides a rerun uses, and listed under ``extended``.
        """
        now = _now()
        resumed = resumed and record_path(run_dir).is_file()
        record: dict[str, Any] = read_record(run_dir) if resumed else {"started_at": now}
        if resumed:
            record["resumed_at"] = [*record.get("resumed_at", []), now]
            if extensions:
                record["extended"] = [
                    *record.get("extended", []),
                    *(
                        {"key": k, "from": old, "to": new, "at": now}
                        for k, (old, new) in extensions.items()
                    ),
                ]
                record["overrides"] = _with_overrides(record.get("overrides", []), extensions)
        else:
            command, overrides, job_num = _invocation()
            record.update(command=command, overrides=overrides, job_num=job_num)
        record.update(
            status=RunStatus.RUNNING.value,
            seed=int(cfg.seed),
            run_dir=str(Path(run_dir).resolve()),
            ended_at=None,
            error=None,
            environment=dict(environment()),
            git=dict(git_state()),
        )
        for key, value in vars(Progress()).items():
            record.setdefault(key, value)
        record.setdefault("wall_time_s", 0.0)
        run = cls(run_dir, record, write)
        if write:
            if not resumed:
                write_config_files(run_dir, cfg)
            elif extensions:
                _record_extensions(run_dir, extensions)
            write_record(run_dir, record)
        return run

    def finish(
        self, status: RunStatus, progress: Progress | None = None, error: str | None = None
    ) -> None:
        """Write the outcome, the metrics and the progress reached."""
        self.record.update(
            status=status.value,
            ended_at=_now(),
            wall_time_s=self._earlier_wall_time + time.monotonic() - self._started,
            error=error,
        )
        if progress is not None:
            self.record.update(vars(progress))
        if self.write:
            write_record(self.run_dir, self.record)


def mark_unresumable(run_dir: Path, error: str) -> None:
    """Make the record of a run that can no longer be resumed final: ``failed``, and why.

    A run killed mid-training leaves ``running`` behind; when its checkpoint then proves unusable,
    nothing will ever continue it.
    """
    try:
        with sole_writer(run_dir, fresh=False):
            record = read_record(run_dir)
            record.update(status=RunStatus.FAILED.value, ended_at=_now(), error=error)
            write_record(run_dir, record)
    except ConfigError:
        pass  # another process writes the folder (or no record): its record stands


def record_refusal(run_dir: Path, cfg: DictConfig, error: str) -> None:
    """Record a sweep job refused before training (bad input), so the sweep's report lists it.

    Only into a free folder that holds no run yet: a folder another run holds or has written is
    never touched.
    """
    try:
        with sole_writer(run_dir, fresh=True):
            run = RunRecord.start(run_dir, cfg)
            run.finish(RunStatus.FAILED, error=error)
    except ConfigError:
        pass  # the folder belongs to another run; its own record stands


def _with_overrides(overrides: list[str], values: Mapping[str, tuple[Any, Any]]) -> list[str]:
    """``overrides`` with ``key=new`` for each extended key, replacing that key's old override."""
    kept = [o for o in overrides if o.split("=", 1)[0].lstrip("+~") not in values]
    return [*kept, *(f"{key}={new}" for key, (_, new) in values.items())]


def _record_extensions(run_dir: Path, extensions: Mapping[str, tuple[Any, Any]]) -> None:
    """Write the extended limits into ``.hydra/config.yaml`` and ``.hydra/overrides.yaml``."""
    folder = Path(run_dir) / HYDRA_DIR
    config = OmegaConf.load(folder / "config.yaml")
    for key, (_, new) in extensions.items():
        OmegaConf.update(config, key, new)
    (folder / "config.yaml").write_text(OmegaConf.to_yaml(config))
    overrides = [str(o) for o in OmegaConf.load(folder / "overrides.yaml")]
    (folder / "overrides.yaml").write_text(
        OmegaConf.to_yaml(_with_overrides(overrides, extensions))
    )


def _invocation() -> tuple[list[str], list[str], int | None]:
    """The command line, Hydra's task overrides, and the job number within a sweep."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized():
        return list(sys.argv), [], None
    hydra_cfg = HydraConfig.get()
    overrides = [str(o) for o in hydra_cfg.overrides.task]
    job_num = int(hydra_cfg.job.num) if hydra_cfg.mode == RunMode.MULTIRUN else None
    return list(sys.argv), overrides, job_num


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True, timeout=10
    )
    return result.stdout.strip()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()
